//! Every way a login ends reaches its access tokens at once: API logout, deactivation,
//! an admin's revoke-sessions, a password change or reset, revoking it on
//! /account/sessions. Role changes apply to existing tokens at once.

use super::{Api, Pair, assert_invalid_token, error_code};
use crate::admin::{act, admin, id_of};
use crate::helpers::{PASSWORD, TestApp};
use crate::password_reset::{reset_link, set_password};
use gatehouse::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

/// The login is over: its access token is refused and its refresh token too.
async fn assert_ended(api: &Api, pair: &Pair) {
    assert_invalid_token(api.get("/api/v1/me", &pair.access).await).await;
    assert_eq!(error_code(api.refresh(&pair.refresh).await).await, "invalid_grant");
}

async fn setup() -> (TestApp, Api, Pair) {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let api = Api::new(&app);
    let pair = api.pair("alice").await;
    assert_eq!(api.me_status(&pair.access).await, StatusCode::OK);
    (app, api, pair)
}

#[tokio::test]
async fn logout_ends_this_login_only() {
    let (_app, api, pair) = setup().await;
    let other = api.pair("alice").await;
    let response = api.post("/api/v1/auth/logout", &pair.access).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_ended(&api, &pair).await;
    assert_eq!(api.me_status(&other.access).await, StatusCode::OK);
}

#[tokio::test]
async fn deactivation_by_an_admin_ends_it() {
    let (app, api, pair) = setup().await;
    let boss = admin(&app, "boss").await;
    act(&boss, id_of(&app, "alice"), "toggle-active", &[]).await;
    assert_ended(&api, &pair).await;
    let response = api.login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(response).await, "account_deactivated");
}

#[tokio::test]
async fn an_admins_revoke_sessions_ends_it() {
    let (app, api, pair) = setup().await;
    let boss = admin(&app, "boss").await;
    act(&boss, id_of(&app, "alice"), "revoke-sessions", &[]).await;
    assert_ended(&api, &pair).await;
}

#[tokio::test]
async fn a_password_change_ends_it() {
    let (app, api, pair) = setup().await;
    let browser = app.browser();
    browser.login("alice", PASSWORD, false).await;
    let fields = [
        ("current_password", PASSWORD),
        ("password", "another long passphrase"),
        ("confirm_password", "another long passphrase"),
    ];
    let response = browser.submit("/account/password", "/account/password", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_ended(&api, &pair).await;
}

#[tokio::test]
async fn a_password_reset_ends_it() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("alice").await;
    let api = Api::new(&app);
    let pair = api.pair("alice").await;
    let path = reset_link(&app, &sink, "alice").await;
    let response =
        set_password(&app.browser(), &path, "a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_ended(&api, &pair).await;
}

#[tokio::test]
async fn it_is_listed_on_account_sessions_as_api_and_revoked_there() {
    let (app, api, pair) = setup().await;
    let browser = app.browser();
    browser.login("alice", PASSWORD, false).await;
    let html = browser.get_html("/account/sessions").await;
    assert!(html.contains("badge api"), "{html}");
    let sid = super::claims_of(&pair.access).sid;
    let response = browser.submit("/account/sessions", &format!("/account/sessions/{sid}/revoke"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_ended(&api, &pair).await;
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK, "the browser session goes on");
}

#[tokio::test]
async fn a_role_change_applies_to_an_existing_token_at_once() {
    let (app, api, pair) = setup().await;
    assert_eq!(api.get("/api/v1/admin/users", &pair.access).await.status(), StatusCode::FORBIDDEN);
    app.set_role("alice", Role::Admin);
    assert_eq!(api.get("/api/v1/admin/users", &pair.access).await.status(), StatusCode::OK);
    app.set_role("alice", Role::User);
    let response = api.get("/api/v1/admin/users", &pair.access).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(response).await, "forbidden");
    let me: serde_json::Value = api.get("/api/v1/me", &pair.access).await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["user"]));
}
