//! Accounts without a password (signed up through a provider): password features cope.

use crate::helpers::{PASSWORD, TestApp, hidden_value, location};
use crate::password_reset::{link_path, reset_link, set_password};
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, throttle_events, users};
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

#[tokio::test]
async fn the_password_page_of_an_account_without_one_offers_to_set_one_by_email() {
    let idp = MockIdp::start().await;
    let providers = crate::sign_in_flow::providers(&idp, false);
    let (app, sink) = TestApp::spawn_with_mail(|s| s.auth_providers = providers).await;
    let browser = app.browser();
    crate::sign_in_flow::sign_in(&browser, "mock", "/register", &[]).await;
    let done = browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(location(&done), "/dashboard");

    let page = browser.get_html("/account/password").await;
    assert!(page.contains("Your account has no password yet"), "{page}");
    assert_eq!(hidden_value(&page, "email").as_deref(), Some("ada@example.com"));
    let fields = [("current_password", ""), ("password", PASSWORD), ("confirm_password", PASSWORD)];
    let refused = browser.submit("/account/password", "/account/password", &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("Email me a link to set a password"));
    let counted: i64 = throttle_events::table
        .filter(throttle_events::bucket.like("login-%"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(counted, 0, "there was no password to guess");

    let asked = browser.submit("/account/password", "/password-reset", &[("email", "ada@example.com")]).await;
    assert_eq!(location(&asked), "/login");
    let path = link_path(&sink.wait_for(1).await[0]);
    let set = set_password(&app.browser(), &path, "a brand new passphrase", "a brand new passphrase").await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&app.browser().login("ada", "a brand new passphrase", false).await), "/dashboard");
}
