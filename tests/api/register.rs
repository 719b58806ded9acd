//! `/register`: the rules of CONTRACT, a message per field, nothing kept that shouldn't be.

use crate::helpers::{PASSWORD, TestApp, flashes, location};
use diesel::prelude::*;
use gatehouse::db::schema::users;
use reqwest::StatusCode;

fn user_count(app: &TestApp) -> i64 {
    users::table.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn the_form_has_labelled_fields_with_autocomplete_and_a_csrf_token() {
    let app = TestApp::spawn().await;
    let html = app.browser.get_html("/register").await;
    for (field, autocomplete) in [
        ("username", "username"),
        ("email", "email"),
        ("password", "new-password"),
        ("confirm_password", "new-password"),
    ] {
        assert!(html.contains(&format!("<label for=\"{field}\"")), "label for {field}");
        assert!(html.contains(&format!("name=\"{field}\"")), "field {field}");
        assert!(html.contains(&format!("autocomplete=\"{autocomplete}\"")), "autocomplete for {field}");
    }
    assert!(html.contains("method=\"post\"") && html.contains("name=\"csrf_token\""));
}

#[tokio::test]
async fn a_valid_registration_redirects_to_login_with_a_success_flash() {
    let app = TestApp::spawn().await;
    let response = app.browser.register("Alice_1", "Alice@Example.COM", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    // The flash survives its redirect, and only once.
    let html = app.browser.get_html("/login").await;
    assert_eq!(flashes(&html, "success").len(), 1, "{html}");
    assert!(flashes(&app.browser.get_html("/login").await, "success").is_empty());
}

#[tokio::test]
async fn the_account_is_stored_with_a_lower_case_email_a_bcrypt_hash_and_the_user_role() {
    let app = TestApp::spawn().await;
    app.browser.register("Alice_1", "Alice@Example.COM", PASSWORD).await;
    let mut conn = app.db();
    let (name, email, hash, active): (String, String, Option<String>, bool) = users::table
        .select((users::username, users::email, users::password_hash, users::is_active))
        .first(&mut conn)
        .unwrap();
    assert_eq!((name.as_str(), email.as_str(), active), ("Alice_1", "alice@example.com", true));
    let hash = hash.unwrap();
    assert!(hash.starts_with("$2") && !hash.contains(PASSWORD));
    let id = gatehouse::db::users::find_id_by_username(&mut conn, "alice_1").unwrap().unwrap();
    assert_eq!(gatehouse::db::users::roles_of(&mut conn, id).unwrap(), vec![gatehouse::domain::Role::User]);
}

#[tokio::test]
async fn invalid_input_gets_422_with_a_message_per_field_and_keeps_username_and_email() {
    let app = TestApp::spawn().await;
    let response = app
        .browser
        .submit(
            "/register",
            "/register",
            &[
                ("username", "no spaces!"),
                ("email", "not-an-email"),
                ("password", "Zx9!short"),
                ("confirm_password", "different"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Username may only contain letters, digits and underscores."));
    assert!(html.contains("Enter a valid email address"));
    assert!(html.contains("The two passwords do not match."));
    assert!(html.contains("value=\"no spaces!\"") && html.contains("value=\"not-an-email\""));
    assert!(!html.contains("Zx9!short") && !html.contains("different"), "a password was echoed");
    assert_eq!(user_count(&app), 0);
}

#[tokio::test]
async fn each_password_rule_is_enforced_with_its_own_message() {
    let app = TestApp::spawn().await;
    let cases = [
        ("short1!", "at least 8 characters"),
        ("password123", "too common"),
        ("Bob_the_Builder", "same as your username"),
        ("bob_the_builder@example.com", "same as your email"),
        (&"a1".repeat(37), "at most 72 bytes"),
        (&"é".repeat(40), "at most 72 bytes"),
    ];
    for (password, message) in cases {
        let response = app.browser.register("Bob_the_Builder", "bob_the_builder@example.com", password).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert!(response.text().await.unwrap().contains(message), "{password}: expected {message:?}");
    }
    assert_eq!(user_count(&app), 0);
    // 72 bytes exactly is fine, and is stored whole, not truncated.
    let response = app.browser.register("Bob_the_Builder", "bob@example.com", &"a1".repeat(36)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    app.register("carol").await;
    let response = app.browser.register("CAROL", "other@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("That username is already taken."));
    let response = app.browser.register("carol2", "Carol@Example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("An account with that email already exists."));
    assert_eq!(user_count(&app), 1);
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_gets_403_and_creates_nothing() {
    let app = TestApp::spawn().await;
    app.browser.get("/register").await;
    let fields = [
        ("username", "mallory"),
        ("email", "m@example.com"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    assert_eq!(app.browser.post_form("/register", &fields).await.status(), StatusCode::FORBIDDEN);
    let mut forged = fields.to_vec();
    forged.push(("csrf_token", "forged"));
    assert_eq!(app.browser.post_form("/register", &forged).await.status(), StatusCode::FORBIDDEN);
    // A token from another browser's session is no good either.
    let other = app.browser().csrf_token("/register").await;
    let mut stolen = fields.to_vec();
    stolen.push(("csrf_token", &other));
    assert_eq!(app.browser.post_form("/register", &stolen).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(user_count(&app), 0);
}

#[tokio::test]
async fn a_logged_in_user_is_sent_from_register_to_the_dashboard() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("dave").await;
    assert_eq!(location(&browser.get("/register").await), "/dashboard");
}
