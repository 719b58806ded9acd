//! Security headers, cookie flags, body limits and malformed input: a clear 4xx, no change.

use crate::helpers::{TestApp, session_cookie};
use diesel::prelude::*;
use gatehouse::config::PublicUrl;
use gatehouse::db::schema::users;
use reqwest::StatusCode;

fn user_count(app: &TestApp) -> i64 {
    users::table.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/login", "/nope", "/static/style.css", "/dashboard"] {
        let response = app.browser.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(headers.get("strict-transport-security").is_none(), "{path}: HSTS over plain http");
    }
}

#[tokio::test]
async fn under_https_cookies_are_secure_and_hsts_is_sent() {
    let app =
        TestApp::spawn_with(|s| s.public_url = PublicUrl::parse("https://accounts.example").unwrap()).await;
    let response = app.browser.get("/login").await;
    assert!(response.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let cookie = session_cookie(response.headers()).unwrap().to_lowercase();
    assert!(
        cookie.contains("secure") && cookie.contains("httponly") && cookie.contains("samesite=lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn bodies_over_64_kib_get_413() {
    let app = TestApp::spawn().await;
    let token = app.browser.csrf_token("/register").await;
    let huge = "a".repeat(70 * 1024);
    let fields = [("csrf_token", token.as_str()), ("username", "big"), ("email", &huge)];
    assert_eq!(app.browser.post_form("/register", &fields).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Streamed without a Content-Length, too.
    let chunks: Vec<Result<String, std::io::Error>> = (0..80).map(|_| Ok("b".repeat(1024))).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let response = app
        .browser
        .client
        .post(app.browser.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(user_count(&app), 0);
}

#[tokio::test]
async fn malformed_forms_get_a_clear_4xx_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.browser.csrf_token("/register").await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.browser
            .client
            .post(app.browser.url("/register"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let valid = format!(
        "csrf_token={token}&username=eve&email=eve%40example.com&password=abc%20def%20ghi%20jkl&confirm_password=abc%20def%20ghi%20jkl"
    );
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        ("application/json", br#"{"username":"eve"}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nhi\r\n--x--"
                .to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/x-www-form-urlencoded",
            [valid.as_bytes(), b"&username=%FF%FE"].concat(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded",
            valid.replace("username=eve", "username=e%00ve").into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("{valid}&username=again").into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded",
            valid.replace("username=eve", &format!("username={}", "e".repeat(5000))).into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded",
            format!("{valid}&csrf_token={token}").into_bytes(),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (content_type, body, expected) in cases {
        let response = send(content_type, body.clone()).await.unwrap();
        assert_eq!(response.status(), expected, "{content_type}: {}", String::from_utf8_lossy(&body));
        let html = response.text().await.unwrap();
        assert!(html.contains("class=\"error-code\""), "no error page for {content_type}");
    }
    assert_eq!(user_count(&app), 0);
    // The same body, well-formed, goes through: the cases above failed for their flaw alone.
    assert_eq!(
        send("application/x-www-form-urlencoded", valid.into_bytes()).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn missing_fields_are_reported_as_field_errors_not_server_errors() {
    let app = TestApp::spawn().await;
    let response = app.browser.submit("/register", "/register", &[("username", "only_me")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app.browser.submit("/login", "/login", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Invalid username or password."));
}

#[tokio::test]
async fn a_malformed_query_string_gets_400() {
    let app = TestApp::spawn().await;
    assert_eq!(app.browser.get("/login?next=%2Fa&next=%2Fb").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_empty_post_without_a_content_type_is_an_empty_form_and_gets_403() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("emptybody").await;
    for path in ["/logout", "/account/sessions/revoke-others", "/register"] {
        let response =
            browser.client.post(browser.url(path)).header("content-length", "0").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Still logged in: the logout without a token changed nothing.
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn error_pages_show_the_visitors_own_navigation() {
    let app = TestApp::spawn().await;
    let user = app.logged_in("navuser").await;
    for (path, status) in [("/admin", StatusCode::FORBIDDEN), ("/no-such-page", StatusCode::NOT_FOUND)] {
        let response = user.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"href="/dashboard""#) && html.contains(r#"action="/logout""#),
            "{path}: {html}"
        );
        assert!(!html.contains(r#"href="/login""#), "{path} offers a logged-in user the login form");
    }
    let anonymous = app.browser.get_html("/no-such-page").await;
    assert!(anonymous.contains(r#"href="/login""#) && !anonymous.contains(r#"action="/logout""#));
}

#[tokio::test]
async fn errors_under_api_are_json_never_html() {
    let app = TestApp::spawn().await;
    let response = app.browser.get("/api/v1/no-such-route").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}
