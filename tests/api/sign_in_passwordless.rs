//! Accounts without a password (signed up through a provider): password features cope.

use crate::helpers::{PASSWORD, TestApp, location};
use crate::password_reset::{reset_link, set_password};
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, users};
use gatehouse::domain::Role;
use reqwest::StatusCode;

const GENERIC: &str = "Invalid username or password.";

/// An account as a provider sign-up leaves it: no password hash at all.
pub fn passwordless_account(app: &TestApp, username: &str) {
    let mut conn = app.db();
    let now = gatehouse::db::now();
    let email = format!("{username}@example.com");
    let user = gatehouse::db::users::NewUser {
        username,
        email: &email,
        password_hash: None,
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    let id = gatehouse::db::users::insert(&mut conn, &user).unwrap();
    gatehouse::db::users::set_role(&mut conn, id, Role::User).unwrap();
}

#[tokio::test]
async fn a_password_login_on_an_account_without_a_password_fails_generically() {
    let app = TestApp::spawn().await;
    passwordless_account(&app, "nopass");
    for password in [PASSWORD, "", "anything at all"] {
        let response = app.browser.login("nopass", password, false).await;
        assert_eq!(response.status(), StatusCode::OK, "{password}");
        assert_eq!(response.text().await.unwrap().matches(GENERIC).count(), 1, "{password}");
    }
    let failures: i64 = audit_events::table
        .filter(audit_events::action.eq("login.failed"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(failures, 3);
}

#[tokio::test]
async fn an_account_without_a_password_can_set_one_by_reset_and_then_log_in() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    passwordless_account(&app, "nopass");
    let path = reset_link(&app, &sink, "nopass").await;
    let browser = app.browser();
    let response = set_password(&browser, &path, "a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let hash: Option<String> = users::table.select(users::password_hash).first(&mut app.db()).unwrap();
    assert!(hash.is_some_and(|h| h.starts_with("$2")));
    let login = app.browser.login("nopass", "a brand new passphrase", false).await;
    assert_eq!(location(&login), "/dashboard");
}
