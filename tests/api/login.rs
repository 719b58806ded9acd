//! `/login` and `/logout`: one generic failure, safe redirects, fresh sessions, remember-me.

use crate::helpers::{PASSWORD, TestApp, hidden_value, location, session_cookie};
use diesel::prelude::*;
use gatehouse::db::schema::{sessions, users};
use reqwest::StatusCode;

const GENERIC: &str = "Invalid username or password.";

#[tokio::test]
async fn users_log_in_by_username_or_email_in_any_case() {
    let app = TestApp::spawn().await;
    app.register("Erin").await;
    for identifier in ["Erin", "erin", "ERIN", "erin@example.com", "Erin@Example.COM"] {
        let response = app.browser().login(identifier, PASSWORD, false).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{identifier}");
        assert_eq!(location(&response), "/dashboard", "{identifier}");
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_account() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("frank").await;
    let html = browser.get_html("/dashboard").await;
    assert!(html.contains("<dd class=\"username\">frank</dd>"));
    assert!(html.contains("<dd class=\"email\">frank@example.com</dd>"));
    assert!(html.contains("<span class=\"badge\">user</span>"));
    assert!(!html.contains("<dd class=\"last-login\">never</dd>"));
    let last_login: Option<chrono::NaiveDateTime> =
        users::table.select(users::last_login_at).first(&mut app.db()).unwrap();
    assert!(last_login.is_some());
}

#[tokio::test]
async fn every_failure_gets_the_same_single_message() {
    let app = TestApp::spawn().await;
    app.register("grace").await;
    for (username, password) in [("grace", "wrong password!"), ("nobody", PASSWORD), ("", ""), ("grace", "")]
    {
        let response = app.browser.login(username, password, false).await;
        assert_eq!(response.status(), StatusCode::OK, "{username}/{password}");
        let html = response.text().await.unwrap();
        assert_eq!(html.matches(GENERIC).count(), 1, "{username}/{password}");
        assert!(!html.contains("deactivated"));
    }
}

#[tokio::test]
async fn a_deactivated_account_is_told_so_only_with_the_right_password() {
    let app = TestApp::spawn().await;
    app.register("heidi").await;
    diesel::update(users::table).set(users::is_active.eq(false)).execute(&mut app.db()).unwrap();
    let wrong = app.browser.login("heidi", "not the password", false).await.text().await.unwrap();
    assert!(wrong.contains(GENERIC) && !wrong.contains("deactivated"));
    let right = app.browser.login("heidi", PASSWORD, false).await;
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.text().await.unwrap().contains("This account has been deactivated."));
    assert_eq!(sessions::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
}

#[tokio::test]
async fn next_is_carried_from_the_query_to_the_form_and_followed_when_local() {
    let app = TestApp::spawn().await;
    app.register("ivan").await;
    let html = app.browser.get_html("/login?next=%2Feditor%3Fx%3D1").await;
    assert_eq!(hidden_value(&html, "next").as_deref(), Some("/editor?x=1"));
    let token = app.browser.csrf_token("/login").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("username", "ivan"),
        ("password", PASSWORD),
        ("next", "/editor?x=1"),
    ];
    assert_eq!(location(&app.browser.post_form("/login", &fields).await), "/editor?x=1");
}

#[tokio::test]
async fn next_is_ignored_unless_it_is_a_local_path() {
    let app = TestApp::spawn().await;
    app.register("judy").await;
    for next in ["//evil.example", "/\\evil.example", "https://evil.example/", "evil", "/x\ny", "/\tx"] {
        let html = app.browser().get_html(&format!("/login?next={}", urlencode(next))).await;
        assert_eq!(hidden_value(&html, "next"), None, "{next:?} reached the form");
        let browser = app.browser();
        let token = browser.csrf_token("/login").await;
        let fields =
            [("csrf_token", token.as_str()), ("username", "judy"), ("password", PASSWORD), ("next", next)];
        assert_eq!(location(&browser.post_form("/login", &fields).await), "/dashboard", "{next:?}");
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_owned()
}

#[tokio::test]
async fn login_starts_a_new_session_and_never_reuses_the_old_cookie() {
    let app = TestApp::spawn().await;
    app.register("ken").await;
    let before = app.browser.get("/login").await;
    let anonymous_cookie = session_cookie(before.headers()).expect("the login form sets a cookie");
    let token = crate::helpers::hidden_value(&before.text().await.unwrap(), "csrf_token").unwrap();
    let fields = [("csrf_token", token.as_str()), ("username", "ken"), ("password", PASSWORD)];
    let response = app.browser.post_form("/login", &fields).await;
    let logged_in_cookie = session_cookie(response.headers()).expect("login sets a new cookie");
    assert_ne!(value(&anonymous_cookie), value(&logged_in_cookie));
    // The CSRF token of the anonymous session does not carry over.
    let after = app.browser.csrf_token("/dashboard").await;
    assert_ne!(after, token);
    // Two logins are two server-side sessions with different tokens.
    app.browser().login("ken", PASSWORD, false).await;
    let hashes: Vec<String> = sessions::table.select(sessions::token_hash).load(&mut app.db()).unwrap();
    assert_eq!(hashes.len(), 2);
    assert_ne!(hashes[0], hashes[1]);
}

fn value(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

#[tokio::test]
async fn without_remember_me_the_cookie_is_a_browser_session_cookie_and_the_session_ends_in_2_hours() {
    let app = TestApp::spawn().await;
    app.register("liam").await;
    let response = app.browser.login("liam", PASSWORD, false).await;
    let cookie = session_cookie(response.headers()).unwrap().to_lowercase();
    assert!(!cookie.contains("max-age") && !cookie.contains("expires"), "{cookie}");
    assert!(
        cookie.contains("httponly") && cookie.contains("samesite=lax") && !cookie.contains("secure"),
        "{cookie}"
    );
    let lifetime = session_lifetime(&app);
    assert_eq!(lifetime.num_minutes(), 120);
    let later = app.browser.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    let rewritten = session_cookie(later.headers()).expect("the flash rewrites the cookie").to_lowercase();
    assert!(!rewritten.contains("max-age") && !rewritten.contains("expires"), "{rewritten}");
}

#[tokio::test]
async fn with_remember_me_the_cookie_and_the_session_last_14_days() {
    let app = TestApp::spawn().await;
    app.register("mia").await;
    let response = app.browser.login("mia", PASSWORD, true).await;
    let cookie = session_cookie(response.headers()).unwrap().to_lowercase();
    assert!(cookie.contains("max-age=1209600"), "{cookie}");
    assert_eq!(session_lifetime(&app).num_days(), 14);
    // A later response that rewrites the cookie (here, to carry a flash) keeps it persistent.
    let later = app.browser.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    let rewritten = session_cookie(later.headers()).expect("the flash rewrites the cookie").to_lowercase();
    assert!(rewritten.contains("max-age=1209600"), "{rewritten}");
}

fn session_lifetime(app: &TestApp) -> chrono::TimeDelta {
    let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) =
        sessions::table.select((sessions::created_at, sessions::expires_at)).first(&mut app.db()).unwrap();
    expires - created
}

#[tokio::test]
async fn logout_ends_the_session_and_a_replayed_cookie_gets_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("nina").await;
    let cookie = browser.cookie_header();
    let response = browser.logout().await;
    assert_eq!(location(&response), "/login");
    assert!(
        crate::helpers::flashes(&browser.get_html("/login").await, "info")
            .iter()
            .any(|f| f.contains("logged out"))
    );
    assert_eq!(sessions::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
    // The attacker who copied the cookie before logout replays it.
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        replay.get(format!("{}/dashboard", app.base)).header("cookie", cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn a_hash_made_at_another_cost_is_redone_at_the_next_login() {
    let app = TestApp::spawn().await;
    app.register("oldhash").await;
    let cost = |app: &TestApp| -> String {
        let hash: Option<String> = users::table.select(users::password_hash).first(&mut app.db()).unwrap();
        let hash = hash.unwrap();
        hash.split('$').nth(2).unwrap().to_owned()
    };
    assert_eq!(cost(&app), "04");
    // The operator raises BCRYPT_COST and restarts.
    let raised = TestApp::spawn_on(&app.database_url, |s| s.bcrypt_cost = 5).await;
    assert_eq!(location(&raised.browser.login("oldhash", PASSWORD, false).await), "/dashboard");
    assert_eq!(cost(&raised), "05");
    assert_eq!(location(&raised.browser().login("oldhash", PASSWORD, false).await), "/dashboard");
}
