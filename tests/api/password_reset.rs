//! `/password-reset`: one answer for every address, a link that works once for an hour,
//! delivered by the outbox worker to a real SMTP server on loopback.

use crate::helpers::{Browser, MAIL_PUBLIC_URL, PASSWORD, TestApp, flashes, location};
use crate::support::smtp::{Received, SmtpSink};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use gatehouse::db::schema::{email_outbox, password_reset_tokens, sessions, users};
use reqwest::StatusCode;

pub const ANSWER: &str = "If that email is registered, a reset link has been sent.";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Asks for a reset of `email` from a fresh anonymous browser; checks the one answer.
pub async fn ask_for_reset(app: &TestApp, email: &str) {
    let browser = app.browser();
    let response = browser.submit("/password-reset", "/password-reset", &[("email", email)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email}");
    assert_eq!(location(&response), "/login", "{email}");
    assert_eq!(flashes(&browser.get_html("/login").await, "info"), [ANSWER], "{email}");
}

/// The path of the reset link in `message`, to request from the app under test.
pub fn link_path(message: &Received) -> String {
    let link = message.link(&format!("{MAIL_PUBLIC_URL}/password-reset/"));
    link.strip_prefix(MAIL_PUBLIC_URL).unwrap().to_owned()
}

/// Asks for a reset of `username`'s address and returns the emailed link's path.
pub async fn reset_link(app: &TestApp, sink: &SmtpSink, username: &str) -> String {
    let before = sink.messages().len();
    ask_for_reset(app, &format!("{username}@example.com")).await;
    let messages = sink.wait_for(before + 1).await;
    link_path(&messages[before])
}

/// Posts a new password to the link at `path` (the CSRF token comes from the request
/// form, since a dead link's page has no form).
pub async fn set_password(browser: &Browser, path: &str, password: &str, confirm: &str) -> reqwest::Response {
    browser.submit("/password-reset", path, &[("password", password), ("confirm_password", confirm)]).await
}

fn outbox_count(app: &TestApp) -> i64 {
    let resets = email_outbox::table.filter(email_outbox::kind.eq("password_reset"));
    resets.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn the_emailed_link_sets_a_new_password_once() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("alice").await;
    let path = reset_link(&app, &sink, "alice").await;
    let email = &sink.messages()[0];
    assert_eq!(email.to, ["alice@example.com"]);
    assert_eq!(email.subject(), "Reset your gatehouse password");
    // The link's line is longer than 76 characters, so it arrived soft-wrapped...
    assert!(email.raw.contains("quoted-printable") && email.raw.contains("=\r\n"), "{}", email.raw);
    // ...and decodes intact in both parts.
    assert!(email.html().contains(&format!("href=\"{MAIL_PUBLIC_URL}{path}\"")));
    assert!(email.text().contains("alice") && email.html().contains("alice"));

    let browser = app.browser();
    let form = browser.get(&path).await;
    assert_eq!(form.status(), StatusCode::OK);
    let response = set_password(&browser, &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(location(&response), "/login");
    let login_page = browser.get_html("/login").await;
    assert_eq!(
        flashes(&login_page, "success"),
        ["Your password has been reset. Log in with your new password."]
    );
    assert_eq!(location(&app.browser().login("alice", NEW_PASSWORD, false).await), "/dashboard");
    assert_eq!(app.browser().login("alice", PASSWORD, false).await.status(), StatusCode::OK);

    // Used once, the link is dead: for the form and for a second submission.
    assert_eq!(browser.get(&path).await.status(), StatusCode::BAD_REQUEST);
    let again = set_password(&app.browser(), &path, "yet another passphrase", "yet another passphrase").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("href=\"/password-reset\""));
    assert_eq!(location(&app.browser().login("alice", NEW_PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn the_token_is_stored_only_as_its_sha256_and_the_sent_body_is_removed() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("bruno").await;
    let path = reset_link(&app, &sink, "bruno").await;
    let token = path.trim_start_matches("/password-reset/");
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    let stored: Vec<String> =
        password_reset_tokens::table.select(password_reset_tokens::token_hash).load(&mut app.db()).unwrap();
    use sha2::Digest;
    assert_eq!(stored, [hex::encode(sha2::Sha256::digest(token.as_bytes()))]);
    crate::helpers::eventually("the message is marked sent", || {
        let rows: Vec<(String, String, String)> = email_outbox::table
            .select((email_outbox::status, email_outbox::body_text, email_outbox::body_html))
            .load(&mut app.db())
            .unwrap();
        rows.iter()
            .all(|(status, text, html)| status == "sent" && !text.contains(token) && !html.contains(token))
    })
    .await;
}

#[tokio::test]
async fn every_session_of_the_account_ends_after_a_reset_and_the_owner_is_told() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let phone = app.logged_in("carla").await;
    let laptop = app.browser();
    laptop.login("carla", PASSWORD, true).await;
    let path = reset_link(&app, &sink, "carla").await;
    set_password(&app.browser(), &path, NEW_PASSWORD, NEW_PASSWORD).await;
    for browser in [&phone, &laptop] {
        assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    }
    assert_eq!(sessions::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
    let notice = &sink.wait_for(2).await[1];
    assert_eq!(notice.to, ["carla@example.com"]);
    assert_eq!(notice.subject(), "Your gatehouse password was changed");
    assert!(notice.text().contains("with a password reset link"));
}

#[tokio::test]
async fn an_expired_link_gets_a_clear_page_with_a_way_to_ask_again() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("dmitri").await;
    let path = reset_link(&app, &sink, "dmitri").await;
    let expired = Utc::now().naive_utc() - TimeDelta::seconds(1);
    diesel::update(password_reset_tokens::table)
        .set(password_reset_tokens::expires_at.eq(expired))
        .execute(&mut app.db())
        .unwrap();
    let page = app.browser.get(&path).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(html.contains("This reset link is not valid") && html.contains("href=\"/password-reset\""));
    let response = set_password(&app.browser(), &path, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location(&app.browser().login("dmitri", PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn a_link_never_issued_gets_the_same_page() {
    let app = TestApp::spawn().await;
    let page = app.browser.get("/password-reset/not-a-token").await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("Ask for a new link"));
}

#[tokio::test]
async fn a_link_dies_when_the_password_is_changed_another_way() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("elena").await;
    let path = reset_link(&app, &sink, "elena").await;
    let fields =
        [("current_password", PASSWORD), ("password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)];
    let changed = browser.submit("/account/password", "/account/password", &fields).await;
    assert_eq!(location(&changed), "/dashboard");
    assert_eq!(app.browser.get(&path).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_new_request_supersedes_the_older_link() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("farid").await;
    let first = reset_link(&app, &sink, "farid").await;
    // Past the one-email-a-minute limit.
    let earlier = Utc::now().naive_utc() - TimeDelta::minutes(2);
    diesel::update(password_reset_tokens::table)
        .set(password_reset_tokens::created_at.eq(earlier))
        .execute(&mut app.db())
        .unwrap();
    let second = reset_link(&app, &sink, "farid").await;
    assert_ne!(first, second);
    assert_eq!(app.browser.get(&first).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.browser.get(&second).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_deactivated_addresses_get_the_same_answer_and_no_email() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("gina").await;
    app.register("hugo").await;
    diesel::update(users::table.filter(users::username.eq("hugo")))
        .set(users::is_active.eq(false))
        .execute(&mut app.db())
        .unwrap();
    for email in ["nobody@example.com", "hugo@example.com", "Gina@Example.com"] {
        ask_for_reset(&app, email).await;
    }
    assert_eq!(outbox_count(&app), 1);
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, ["gina@example.com"]);
}

#[tokio::test]
async fn an_address_gets_at_most_one_email_a_minute() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("ines").await;
    for _ in 0..3 {
        ask_for_reset(&app, "ines@example.com").await;
    }
    assert_eq!(outbox_count(&app), 1);
    let first = link_path(&sink.wait_for(1).await[0]);
    // The ignored requests did not replace the link that was sent.
    assert_eq!(app.browser.get(&first).await.status(), StatusCode::OK);
    let earlier = Utc::now().naive_utc() - TimeDelta::seconds(61);
    diesel::update(password_reset_tokens::table)
        .set(password_reset_tokens::created_at.eq(earlier))
        .execute(&mut app.db())
        .unwrap();
    ask_for_reset(&app, "ines@example.com").await;
    assert_eq!(outbox_count(&app), 2);
}

#[tokio::test]
async fn the_new_password_follows_the_registration_rules() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("jonas").await;
    let path = reset_link(&app, &sink, "jonas").await;
    for (password, confirm, message) in [
        ("password123", "password123", "too common"),
        ("jonas", "jonas", "at least 8 characters"),
        ("Jonas@Example.com", "Jonas@Example.com", "same as your email"),
        (NEW_PASSWORD, "something else entirely", "do not match"),
    ] {
        let response = set_password(&app.browser(), &path, password, confirm).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let html = response.text().await.unwrap();
        assert!(html.contains("class=\"field-error\"") && html.contains(message), "{password}: {html}");
    }
    // Refusals do not use the link up.
    assert_eq!(app.browser.get(&path).await.status(), StatusCode::OK);
    assert_eq!(location(&app.browser().login("jonas", PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn a_malformed_address_gets_422_and_no_email() {
    let app = TestApp::spawn().await;
    let response =
        app.browser.submit("/password-reset", "/password-reset", &[("email", "not an address")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Enter a valid email address"));
    assert_eq!(outbox_count(&app), 0);
}
