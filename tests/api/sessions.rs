//! Server-side sessions: checked on every request, revocable, expiring, touched sparingly.

use crate::helpers::{TestApp, location};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use gatehouse::db::schema::{sessions, users};
use reqwest::StatusCode;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

async fn assert_logged_out(browser: &crate::helpers::Browser) {
    let response = browser.get("/dashboard").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn anonymous_requests_for_private_pages_go_to_login_with_next() {
    let app = TestApp::spawn().await;
    assert_logged_out(&app.browser).await;
    let response = app.browser.get("/editor?tab=2").await;
    assert_eq!(location(&response), "/login?next=%2Feditor%3Ftab%3D2");
}

#[tokio::test]
async fn a_deactivated_accounts_session_stops_at_its_next_request() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("olga").await;
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    diesel::update(users::table).set(users::is_active.eq(false)).execute(&mut app.db()).unwrap();
    assert_logged_out(&browser).await;
}

#[tokio::test]
async fn a_session_deleted_on_the_server_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("pete").await;
    diesel::delete(sessions::table).execute(&mut app.db()).unwrap();
    assert_logged_out(&browser).await;
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("quinn").await;
    diesel::update(sessions::table)
        .set(sessions::expires_at.eq(now() - TimeDelta::seconds(1)))
        .execute(&mut app.db())
        .unwrap();
    assert_logged_out(&browser).await;
}

#[tokio::test]
async fn an_idle_session_is_refused_before_its_absolute_expiry() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("rosa").await;
    let long_ago = now() - TimeDelta::minutes(61);
    diesel::update(sessions::table).set(sessions::last_seen_at.eq(long_ago)).execute(&mut app.db()).unwrap();
    assert_logged_out(&browser).await;
}

#[tokio::test]
async fn last_seen_is_written_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("sam").await;
    let last_seen =
        || -> NaiveDateTime { sessions::table.select(sessions::last_seen_at).first(&mut app.db()).unwrap() };
    let first = last_seen();
    browser.get("/dashboard").await;
    browser.get("/dashboard").await;
    assert_eq!(last_seen(), first, "a request within the minute wrote last_seen");
    let earlier = now() - TimeDelta::seconds(90);
    diesel::update(sessions::table).set(sessions::last_seen_at.eq(earlier)).execute(&mut app.db()).unwrap();
    browser.get("/dashboard").await;
    assert!(last_seen() > earlier + TimeDelta::seconds(60));
}

#[tokio::test]
async fn a_session_is_bound_to_its_own_account() {
    // Sessions of two users in one database: each browser sees only its own account.
    let app = TestApp::spawn().await;
    let tina = app.logged_in("tina").await;
    let uma = app.logged_in("uma").await;
    assert!(tina.get_html("/dashboard").await.contains("<dd class=\"username\">tina</dd>"));
    assert!(uma.get_html("/dashboard").await.contains("<dd class=\"username\">uma</dd>"));
}

#[tokio::test]
async fn a_page_that_changes_nothing_in_the_session_sends_no_cookie_but_a_flash_still_clears() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("unchanged").await;
    let set_cookies = |response: &reqwest::Response| response.headers().get_all("set-cookie").iter().count();
    for path in ["/dashboard", "/account/sessions", "/dashboard"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(set_cookies(&response), 0, "{path}: nothing changed, so no cookie is sent back");
    }
    // A flash is written, shown once, and then cleared: each of those changes the cookie.
    let revoked = browser.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    assert_eq!(set_cookies(&revoked), 1, "the flash is written");
    let shown = browser.get("/account/sessions").await;
    assert_eq!(set_cookies(&shown), 1, "the flash is cleared after it is shown");
    assert!(shown.text().await.unwrap().contains("There were no other sessions to log out."));
    let after = browser.get("/account/sessions").await;
    assert_eq!(set_cookies(&after), 0);
    assert!(!after.text().await.unwrap().contains("no other sessions"), "shown once only");
}
