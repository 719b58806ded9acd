//! Personal access tokens: made on /account/tokens and shown once, hashed at rest, acting
//! with the owner's current roles capped by their scope, ended by revocation, expiry,
//! deactivation, deletion or an admin's revoke-sessions, but not by a password change.

use super::{Api, error_code};
use crate::admin::{act, admin, id_of};
use crate::helpers::{Browser, PASSWORD, TestApp};
use diesel::prelude::*;
use gatehouse::db::schema::personal_access_tokens as pat;
use gatehouse::domain::Role;
use reqwest::StatusCode;

/// Makes a token on the page; returns it as shown.
pub async fn make(browser: &Browser, name: &str, days: &str, scope: &str) -> String {
    let fields = [("name", name), ("expires_days", days), ("scope", scope)];
    let response = browser.submit("/account/tokens", "/account/tokens", &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let start = html.find("gatehouse_pat_").expect("the new token is shown");
    html[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_listed() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("alice").await;
    let token = make(&browser, "ci script", "30", "read").await;
    assert!(token.len() > 40);
    let html = browser.get_html("/account/tokens").await;
    assert!(!html.contains(&token), "shown once only");
    assert!(html.contains("ci script") && html.contains(">read<") && html.contains("Never"));
    let hashes: Vec<String> = pat::table.select(pat::token_hash).load(&mut app.db()).unwrap();
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].contains(&token[14..]));
    // Used once, its last use is shown.
    assert_eq!(Api::new(&app).me_status(&token).await, StatusCode::OK);
    assert!(!browser.get_html("/account/tokens").await.contains("Never"));
}

#[tokio::test]
async fn bad_input_is_422_and_makes_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("alice").await;
    for (name, days, scope) in
        [("", "30", "read"), ("x", "31", "read"), ("x", "30", "admin"), (&"n".repeat(65)[..], "7", "full")]
    {
        let fields = [("name", name), ("expires_days", days), ("scope", scope)];
        let response = browser.submit("/account/tokens", "/account/tokens", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name} {days} {scope}");
    }
    assert_eq!(pat::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
    let no_csrf = browser
        .post_form("/account/tokens", &[("name", "x"), ("expires_days", "7"), ("scope", "read")])
        .await;
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_read_token_may_only_get_and_a_full_token_acts_with_the_owners_current_roles() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("alice").await;
    let api = Api::new(&app);
    let read = make(&browser, "reader", "7", "read").await;
    let full = make(&browser, "writer", "7", "full").await;
    assert_eq!(api.me_status(&read).await, StatusCode::OK);
    let refused = api.post("/api/v1/auth/logout", &read).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "forbidden");
    assert_eq!(api.post("/api/v1/auth/logout", &full).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(api.me_status(&full).await, StatusCode::OK, "a personal token is no login to log out");
    assert_eq!(api.get("/api/v1/admin/users", &full).await.status(), StatusCode::FORBIDDEN);
    app.set_role("alice", Role::Admin);
    assert_eq!(api.get("/api/v1/admin/users", &full).await.status(), StatusCode::OK);
    assert_eq!(api.get("/api/v1/admin/users", &read).await.status(), StatusCode::OK);
    let bob = id_of(&app, "alice");
    let write = api.post(&format!("/api/v1/admin/users/{bob}/revoke-sessions"), &read).await;
    assert_eq!(write.status(), StatusCode::FORBIDDEN, "read scope caps an admin too");
}

#[tokio::test]
async fn revoking_ends_it_and_another_accounts_token_is_404() {
    let app = TestApp::spawn().await;
    let alice = app.logged_in("alice").await;
    let mallory = app.logged_in("mallory").await;
    let token = make(&alice, "t", "7", "full").await;
    let id: i64 = pat::table.select(pat::id).first(&mut app.db()).unwrap();
    let path = format!("/account/tokens/{id}/revoke");
    assert_eq!(mallory.submit("/account/tokens", &path, &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(Api::new(&app).me_status(&token).await, StatusCode::OK);
    assert_eq!(alice.submit("/account/tokens", &path, &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(Api::new(&app).me_status(&token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn expiry_deactivation_and_revoke_sessions_end_it_but_a_password_change_does_not() {
    let app = TestApp::spawn().await;
    let alice = app.logged_in("alice").await;
    let api = Api::new(&app);
    let token = make(&alice, "t", "7", "full").await;
    let fields = [
        ("current_password", PASSWORD),
        ("password", "another long passphrase"),
        ("confirm_password", "another long passphrase"),
    ];
    assert_eq!(
        alice.submit("/account/password", "/account/password", &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(api.me_status(&token).await, StatusCode::OK, "a password change leaves it");
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "alice");
    act(&boss, id, "toggle-active", &[]).await;
    assert_eq!(api.me_status(&token).await, StatusCode::UNAUTHORIZED, "deactivated");
    act(&boss, id, "toggle-active", &[]).await;
    assert_eq!(api.me_status(&token).await, StatusCode::OK, "reactivated");
    act(&boss, id, "revoke-sessions", &[]).await;
    assert_eq!(api.me_status(&token).await, StatusCode::UNAUTHORIZED, "revoke-sessions");
    let relogged = app.browser();
    relogged.login("alice", "another long passphrase", false).await;
    let again = make(&relogged, "u", "7", "full").await;
    assert_eq!(api.me_status(&again).await, StatusCode::OK);
    let past = gatehouse::db::now() - chrono::TimeDelta::seconds(1);
    diesel::update(pat::table).set(pat::expires_at.eq(past)).execute(&mut app.db()).unwrap();
    assert_eq!(api.me_status(&again).await, StatusCode::UNAUTHORIZED, "expired");
}
