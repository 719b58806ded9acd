//! Passwordless login with a discoverable passkey: one session-start path, audited,
//! throttled, single-use challenges, counters, deactivated accounts, two instances.

use super::*;
use crate::admin::id_of;
use crate::support::passkey::SoftPasskey;
use diesel::prelude::*;
use gatehouse::db::schema::{passkeys, users};

#[tokio::test]
async fn a_passkey_logs_in_with_no_username_or_password() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "nora").await;
    let browser = app.browser();
    let (status, done) = log_in_with(&browser, &mut key).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["redirect"], "/dashboard");
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert!(dashboard.text().await.unwrap().contains("Hello, nora"));
    let id = id_of(&app, "nora");
    assert_eq!(audited(&app, id, "login.succeeded").len(), 2, "the password login, then the passkey's");
    let html = browser.get_html("/account/passkeys").await;
    assert!(!html.contains("Never"), "last used is recorded: {html}");
}

#[tokio::test]
async fn a_local_next_is_followed_and_another_origin_is_not() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "nick").await;
    for (next, expected) in [("/account/sessions", "/account/sessions"), ("//evil.example", "/dashboard")] {
        let browser = app.browser();
        let (_, options) = start_login(&browser, "/login").await;
        let body = json!({ "credential": key.authenticate(&options), "next": next, "remember": true });
        let (status, done) =
            answer(post_json(&browser, "/login", "/webauthn/login/finish", &body).await).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["redirect"], expected);
    }
}

#[tokio::test]
async fn a_challenge_is_answered_once() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "rex").await;
    let browser = app.browser();
    let (_, options) = start_login(&browser, "/login").await;
    let first = key.authenticate(&options);
    let again = key.authenticate(&options);
    assert_eq!(finish_login(&browser, "/login", first.clone()).await.0, StatusCode::OK);
    // The same browser (now logged in, its token on the dashboard) and another one.
    for credential in [first, again.clone()] {
        let body = json!({ "credential": credential });
        let (status, error) =
            answer(post_json(&browser, "/dashboard", "/webauthn/login/finish", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    }
    let (status, error) = finish_login(&app.browser(), "/login", again).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let failures = audited(&app, id_of(&app, "rex"), "login.failed");
    assert!(failures.is_empty(), "no account is blamed for a spent challenge: {failures:?}");
}

#[tokio::test]
async fn an_answer_for_another_origin_or_relying_party_logs_nobody_in() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "olga").await;
    let id = id_of(&app, "olga");
    key.origin = "http://localhost:4444".into();
    let browser = app.browser();
    assert_eq!(log_in_with(&browser, &mut key).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    key.origin = ORIGIN.into();
    key.rp_id = Some("example.com".into());
    assert_eq!(log_in_with(&browser, &mut key).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    key.rp_id = None;
    key.verifies_user = false;
    assert_eq!(log_in_with(&browser, &mut key).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(audited(&app, id, "login.failed").len(), 3);
    key.verifies_user = true;
    assert_eq!(log_in_with(&browser, &mut key).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_counter_going_backwards_is_refused_and_audited() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "clone").await;
    for _ in 0..3 {
        assert_eq!(log_in_with(&app.browser(), &mut key).await.0, StatusCode::OK);
    }
    key.counter = 1;
    let browser = app.browser();
    let (status, error) = log_in_with(&browser, &mut key).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
    let id = id_of(&app, "clone");
    let refused = audited(&app, id, "passkey.refused");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("counter went backwards"), "{refused:?}");
    let stored: i64 = passkeys::table.select(passkeys::sign_count).first(&mut app.db()).unwrap();
    assert_eq!(stored, 3, "the refused use did not move the counter");
}

#[tokio::test]
async fn a_synced_passkeys_counter_of_0_is_accepted_every_time() {
    let app = spawn().await;
    let browser = app.logged_in("sync").await;
    let mut key = SoftPasskey::synced(ORIGIN);
    add(&browser, "Synced", &mut key).await;
    for _ in 0..3 {
        let (status, done) = log_in_with(&app.browser(), &mut key).await;
        assert_eq!(status, StatusCode::OK, "{done}");
    }
    assert_eq!(key.counter, 0);
}

#[tokio::test]
async fn a_deactivated_accounts_passkey_opens_no_session() {
    let app = spawn().await;
    let (_, mut key) = account_with_passkey(&app, "dora").await;
    let id = id_of(&app, "dora");
    diesel::update(users::table.find(id)).set(users::is_active.eq(false)).execute(&mut app.db()).unwrap();
    let browser = app.browser();
    let (status, error) = log_in_with(&browser, &mut key).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"], "account_deactivated");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(audited(&app, id, "login.failed"), ["passkey: account deactivated"]);
}

#[tokio::test]
async fn a_burst_of_bad_finishes_is_held_to_the_limit() {
    let app = TestApp::spawn_with(|s| {
        on_localhost(s);
        s.limits.login_ip = gatehouse::config::Policy { limit: 5, window: chrono::TimeDelta::minutes(15) };
    })
    .await;
    let (_, mut key) = account_with_passkey(&app, "burst").await;
    let browser = app.browser();
    let (_, options) = start_login(&browser, "/login").await;
    let mut forged = key.authenticate(&options);
    forged["response"]["signature"] = json!("AAAA");
    let token = browser.csrf_token("/login").await;
    let body = json!({ "credential": forged });
    let sends = (0..20).map(|_| {
        let request = browser.client.post(browser.url("/webauthn/login/finish"));
        request.header("X-CSRF-Token", &token).json(&body).send()
    });
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status()).collect();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(throttled, 15, "5 checked, the rest refused: {statuses:?}");
    assert_eq!(log_in_with(&app.browser(), &mut key).await.0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another() {
    let app = spawn().await;
    let other = TestApp::spawn_on(&app.database_url, on_localhost).await;
    let (_, mut key) = account_with_passkey(&app, "duo").await;
    let on_a = app.browser();
    let (_, options) = start_login(&on_a, "/login").await;
    let on_b = on_a.on(&other.base);
    let (status, done) = finish_login(&on_b, "/login", key.authenticate(&options)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(on_a.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(on_b.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn with_2fa_on_a_passkey_login_needs_no_code_since_it_verified_the_user() {
    let app = spawn().await;
    let (browser, _, _) = crate::two_factor::account_with_2fa(&app, "mfa").await;
    let mut key = add_passkey(&browser, "Laptop").await;
    let fresh = app.browser();
    let (status, done) = log_in_with(&fresh, &mut key).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["redirect"], "/dashboard");
    assert_eq!(fresh.get("/dashboard").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn on_a_server_whose_public_url_is_an_ip_address_passkeys_are_off() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("ipv4").await;
    assert!(!browser.get_html("/login").await.contains("Sign in with a passkey"));
    let html = browser.get_html("/account/passkeys").await;
    assert!(html.contains("Passkeys are not available on this server"), "{html}");
    let (status, error) = start_login(&app.browser(), "/login").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
}

#[tokio::test]
async fn passkeys_register_and_log_in_on_sqlite_too() {
    let app = TestApp::spawn_sqlite_with(on_localhost).await;
    let (_, mut key) = account_with_passkey(&app, "lite").await;
    let browser = app.browser();
    let (_, options) = start_login(&browser, "/login").await;
    let credential = key.authenticate(&options);
    assert_eq!(finish_login(&browser, "/login", credential.clone()).await.0, StatusCode::OK);
    assert_eq!(finish_login(&app.browser(), "/login", credential).await.0, StatusCode::BAD_REQUEST);
    key.counter = 0;
    assert_eq!(log_in_with(&app.browser(), &mut key).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}
