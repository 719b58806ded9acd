//! Email verification: the link registration mails (24 hours, single use, bound to its
//! address, used up by POST only), resending it, and what the dashboard shows.

use crate::admin::id_of;
use crate::helpers::{Browser, MAIL_PUBLIC_URL, TestApp, flashes, hidden_value, location};
use crate::support::smtp::{REGISTRATION_CONFIRMATION, Received, SmtpSink};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, email_outbox, email_tokens, users};
use reqwest::StatusCode;

pub const PUBLIC_ANSWER: &str =
    "If that address belongs to an account that still needs confirming, a new link has been sent.";

/// The path of the one link in `message` under `route` (like `/verify-email/`).
pub fn link_path(message: &Received, route: &str) -> String {
    let link = message.link(&format!("{MAIL_PUBLIC_URL}{route}"));
    link.strip_prefix(MAIL_PUBLIC_URL).unwrap().to_owned()
}

/// The newest verification link mailed to `email`, once `count` such emails have come.
pub async fn verification_link(sink: &SmtpSink, email: &str, count: usize) -> String {
    let wanted = |m: &Received| m.to == [email] && m.subject() == REGISTRATION_CONFIRMATION;
    crate::helpers::eventually("the verification emails arrive", || {
        sink.all_messages().iter().filter(|m| wanted(m)).count() >= count
    })
    .await;
    let messages = sink.all_messages();
    link_path(messages.iter().filter(|m| wanted(m)).nth(count - 1).unwrap(), "/verify-email/")
}

pub fn verified(app: &TestApp, username: &str) -> bool {
    let at: Option<chrono::NaiveDateTime> = users::table
        .filter(users::username.eq(username))
        .select(users::email_verified_at)
        .first(&mut app.db())
        .unwrap();
    at.is_some()
}

/// Posts the page's form at `path` with the CSRF token of `page`.
pub async fn press(browser: &Browser, page: &str, path: &str) -> reqwest::Response {
    browser.submit(page, path, &[]).await
}

fn verification_emails_queued(app: &TestApp) -> i64 {
    let queued = email_outbox::table.filter(email_outbox::kind.eq("email_verification"));
    queued.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn registration_mails_a_link_that_a_get_leaves_alone_and_one_post_uses() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("vera").await;
    let path = verification_link(&sink, "vera@example.com", 1).await;
    let token = path.trim_start_matches("/verify-email/");
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    use sha2::Digest;
    let stored: Vec<String> =
        email_tokens::table.select(email_tokens::token_hash).load(&mut app.db()).unwrap();
    assert_eq!(stored, [hex::encode(sha2::Sha256::digest(token.as_bytes()))]);

    // A mail scanner's prefetch (two of them) shows the button and changes nothing.
    let browser = app.browser();
    for _ in 0..2 {
        let page = browser.get(&path).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("action=\"{path}\"")) && html.contains("vera@example.com"), "{html}");
    }
    assert!(!verified(&app, "vera"));

    let response = press(&browser, &path, &path).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login");
    assert_eq!(
        flashes(&browser.get_html("/login").await, "success"),
        ["Thank you: your email address is confirmed."]
    );
    assert!(verified(&app, "vera"));

    // Used once, the link is dead for the page and for a second POST alike.
    assert_eq!(browser.get(&path).await.status(), StatusCode::BAD_REQUEST);
    let again = press(&app.browser(), "/verify-email", &path).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("action=\"/verify-email\""), "offers a new link");
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("email.verified"))
        .filter(audit_events::target_id.eq(id_of(&app, "vera")))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_link_lives_24_hours_and_an_expired_one_gets_the_page_offering_a_new_link() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("walt").await;
    let path = verification_link(&sink, "walt@example.com", 1).await;
    let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) = email_tokens::table
        .select((email_tokens::created_at, email_tokens::expires_at))
        .first(&mut app.db())
        .unwrap();
    assert_eq!(expires - created, TimeDelta::hours(24));
    // The clock moves past the expiry.
    diesel::update(email_tokens::table)
        .set(email_tokens::expires_at.eq(Utc::now().naive_utc() - TimeDelta::seconds(1)))
        .execute(&mut app.db())
        .unwrap();
    let page = app.browser.get(&path).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(html.contains("This confirmation link is not valid") && html.contains("Send me a new link"));
    assert_eq!(press(&app.browser(), "/verify-email", &path).await.status(), StatusCode::BAD_REQUEST);
    assert!(!verified(&app, "walt"));
}

#[tokio::test]
async fn a_link_never_issued_gets_the_same_page() {
    let app = TestApp::spawn().await;
    assert_eq!(app.browser.get("/verify-email/not-a-token").await.status(), StatusCode::BAD_REQUEST);
    let posted = press(&app.browser(), "/verify-email", "/verify-email/not-a-token").await;
    assert_eq!(posted.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_link_for_an_old_address_cannot_confirm_the_new_one() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("xena").await;
    let path = verification_link(&sink, "xena@example.com", 1).await;
    // The account's address is another one now, not yet confirmed.
    diesel::update(users::table.filter(users::username.eq("xena")))
        .set(users::email.eq("xena.new@example.com"))
        .execute(&mut app.db())
        .unwrap();
    assert_eq!(app.browser.get(&path).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(press(&app.browser(), "/verify-email", &path).await.status(), StatusCode::BAD_REQUEST);
    assert!(!verified(&app, "xena"));
}

#[tokio::test]
async fn the_dashboard_shows_the_status_and_resends_at_most_one_link_a_minute() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("yusuf").await;
    let first = verification_link(&sink, "yusuf@example.com", 1).await;
    let dashboard = browser.get_html("/dashboard").await;
    assert!(dashboard.contains("<dd class=\"email-verified\">not yet</dd>"), "{dashboard}");
    assert!(dashboard.contains("action=\"/account/verify-email\""));

    // Within a minute of the registration's email: no second one, and the owner is told.
    let soon = press(&browser, "/dashboard", "/account/verify-email").await;
    assert_eq!(location(&soon), "/dashboard");
    let page = browser.get_html("/dashboard").await;
    assert_eq!(
        flashes(&page, "info"),
        ["A link was sent less than a minute ago; please check your inbox for it."]
    );
    assert_eq!(verification_emails_queued(&app), 1);

    diesel::update(email_tokens::table)
        .set(email_tokens::created_at.eq(Utc::now().naive_utc() - TimeDelta::minutes(2)))
        .execute(&mut app.db())
        .unwrap();
    let sent = press(&browser, "/dashboard", "/account/verify-email").await;
    assert_eq!(location(&sent), "/dashboard");
    let page = browser.get_html("/dashboard").await;
    assert_eq!(flashes(&page, "success"), ["We have sent a new confirmation link to yusuf@example.com."]);
    let second = verification_link(&sink, "yusuf@example.com", 2).await;
    assert_ne!(first, second);

    // Only the newest link works.
    assert_eq!(browser.get(&first).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(press(&browser, "/dashboard", &first).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location(&press(&browser, &second, &second).await), "/dashboard");
    assert!(browser.get_html("/dashboard").await.contains("<dd class=\"email-verified\">yes</dd>"));
    let done = press(&browser, "/dashboard", "/account/verify-email").await;
    assert_eq!(location(&done), "/dashboard");
    assert_eq!(
        flashes(&browser.get_html("/dashboard").await, "info"),
        ["Your email address is already confirmed."]
    );
    assert_eq!(verification_emails_queued(&app), 2);
}

#[tokio::test]
async fn the_public_resend_form_answers_the_same_for_any_address() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    for name in ["zara", "yann", "xavi"] {
        app.register(name).await;
    }
    verification_link(&sink, "zara@example.com", 1).await;
    let minutes_ago = Utc::now().naive_utc() - TimeDelta::minutes(2);
    diesel::update(email_tokens::table)
        .set(email_tokens::created_at.eq(minutes_ago))
        .execute(&mut app.db())
        .unwrap();
    diesel::update(users::table.filter(users::username.eq("yann")))
        .set(users::email_verified_at.eq(minutes_ago))
        .execute(&mut app.db())
        .unwrap();
    diesel::update(users::table.filter(users::username.eq("xavi")))
        .set(users::is_active.eq(false))
        .execute(&mut app.db())
        .unwrap();
    for email in ["nobody@example.com", "yann@example.com", "xavi@example.com", "Zara@Example.com"] {
        let browser = app.browser();
        let response = browser.submit("/verify-email", "/verify-email", &[("email", email)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email}");
        assert_eq!(location(&response), "/login", "{email}");
        assert_eq!(flashes(&browser.get_html("/login").await, "info"), [PUBLIC_ANSWER], "{email}");
    }
    // Three at registration, one more for the unconfirmed, active account only.
    assert_eq!(verification_emails_queued(&app), 4);
    let second = verification_link(&sink, "zara@example.com", 2).await;
    assert_eq!(location(&press(&app.browser(), &second, &second).await), "/login");
    let bad = app.browser.submit("/verify-email", "/verify-email", &[("email", "not an address")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn resend_requests_are_throttled_per_ip_like_reset_requests() {
    let app =
        TestApp::spawn_with(|s| s.limits.reset_ip = gatehouse::config::Policy::parse("3/1h").unwrap()).await;
    let browser = app.logged_in("wanda").await;
    assert_eq!(press(&browser, "/dashboard", "/account/verify-email").await.status(), StatusCode::SEE_OTHER);
    for email in ["a@example.com", "b@example.com"] {
        let answered = app.browser.submit("/verify-email", "/verify-email", &[("email", email)]).await;
        assert_eq!(answered.status(), StatusCode::SEE_OTHER);
    }
    for refused in [
        app.browser.submit("/verify-email", "/verify-email", &[("email", "c@example.com")]).await,
        press(&browser, "/dashboard", "/account/verify-email").await,
    ] {
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
    }
    // Password-reset requests keep their own count.
    let reset = app.browser.submit("/password-reset", "/password-reset", &[("email", "a@example.com")]).await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_new_post_needs_the_csrf_token_and_changes_nothing_without_it() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("ulla").await;
    let path = verification_link(&sink, "ulla@example.com", 1).await;
    let token = browser.csrf_token("/dashboard").await;
    let wrong = [
        ("csrf_token", "forged"),
        ("current_password", crate::helpers::PASSWORD),
        ("email", "u2@example.com"),
    ];
    for action in [
        path.as_str(),
        "/verify-email",
        "/account/verify-email",
        "/account/email",
        "/account/email/confirm/some-token",
        "/account/email/revert/some-token",
    ] {
        assert_eq!(browser.post_form(action, &wrong[1..]).await.status(), StatusCode::FORBIDDEN, "{action}");
        assert_eq!(browser.post_form(action, &wrong).await.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert!(!verified(&app, "ulla"));
    assert_eq!(email_tokens::table.count().get_result::<i64>(&mut app.db()).unwrap(), 1);
    assert_eq!(hidden_value(&browser.get_html(&path).await, "csrf_token"), Some(token.clone()));
    assert_eq!(location(&browser.post_form(&path, &[("csrf_token", &token)]).await), "/dashboard");
    assert!(verified(&app, "ulla"));
}
