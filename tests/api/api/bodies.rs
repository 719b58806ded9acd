//! API bodies: JSON only (415), at most 64 KiB (413), strictly parsed (422 naming the
//! field, never a 500); login failures and throttling shared with the login form.

use super::{Api, error_code};
use crate::helpers::{PASSWORD, TestApp};
use gatehouse::config::Policy;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let form = api
        .client
        .post(api.url("/api/v1/auth/login"))
        .form(&[("username", "a"), ("password", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(form).await, "unsupported_media_type");
    let bare = api.client.post(api.url("/api/v1/auth/refresh")).body("{}").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn a_body_over_64_kib_is_413() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let big = json!({ "username": "a".repeat(70 * 1024), "password": "x" });
    let response = api.post_json("/api/v1/auth/login", None, &big).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "payload_too_large");
}

#[tokio::test]
async fn unknown_fields_wrong_types_and_broken_json_are_422_with_the_field_named() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let cases = [
        (json!({ "username": "a", "password": "b", "admin": true }), "admin"),
        (json!({ "username": 5, "password": "b" }), "username"),
        (json!({ "username": "a" }), "password"),
        (json!(["a", "b"]), "body"),
    ];
    for (body, field) in cases {
        let response = api.post_json("/api/v1/auth/login", None, &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert!(answer["fields"][field].is_string(), "{body} -> {answer}");
    }
    let broken = api
        .client
        .post(api.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let api = Api::new(&app);
    let mut answers = Vec::new();
    for (user, password) in [("alice", "wrong password"), ("nobody", "wrong password"), ("nobody", PASSWORD)]
    {
        let response = api.login(user, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        answers.push(response.json::<Value>().await.unwrap());
    }
    assert!(answers.iter().all(|a| *a == answers[0] && a["error"] == "invalid_credentials"));
}

async fn form_login(browser: &crate::helpers::Browser, password: &str) -> StatusCode {
    browser.login("alice", password, false).await.status()
}

#[tokio::test]
async fn failures_on_the_form_throttle_the_api_and_the_other_way_round() {
    let app = TestApp::spawn_with(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    app.register("alice").await;
    let api = Api::new(&app);
    let browser = app.browser();
    for _ in 0..3 {
        assert_eq!(form_login(&browser, "wrong guess").await, StatusCode::OK);
    }
    let throttled = api.login("alice", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
    assert_eq!(error_code(throttled).await, "too_many_requests");

    let other = TestApp::spawn_with(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    other.register("alice").await;
    let api = Api::new(&other);
    for _ in 0..3 {
        assert_eq!(api.login("alice", "wrong guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(form_login(&other.browser(), PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn cors_answers_listed_origins_only_preflight_included() {
    let app =
        TestApp::spawn_with(|s| s.api.cors_allowed_origins = vec!["https://app.example.com".into()]).await;
    let api = Api::new(&app);
    let preflight = |origin: &'static str| {
        api.client
            .request(reqwest::Method::OPTIONS, api.url("/api/v1/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example.com");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused.headers().contains_key("access-control-allow-origin"));
    let page =
        api.client.get(api.url("/login")).header("origin", "https://app.example.com").send().await.unwrap();
    assert!(!page.headers().contains_key("access-control-allow-origin"), "pages get no CORS");
    let plain = TestApp::spawn().await;
    let none = Api::new(&plain)
        .client
        .get(format!("{}/api/v1/openapi.json", plain.base))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert!(!none.headers().contains_key("access-control-allow-origin"), "no origins listed: no CORS");
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let response = api.client.put(api.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET");
    assert_eq!(error_code(response).await, "method_not_allowed");
    let users = api.client.patch(api.url("/api/v1/admin/users/7")).send().await.unwrap();
    assert_eq!(users.headers()["allow"], "DELETE, GET");
}
