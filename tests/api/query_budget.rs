//! A logged-in page costs one database round trip: the session, its account and roles
//! come back in one query, however many extractors ask for the user.

use crate::helpers::TestApp;
use reqwest::StatusCode;

/// Statements the app's request pool runs while `requests` GETs of `path` are answered.
async fn statements_for(app: &TestApp, browser: &crate::helpers::Browser, path: &str, requests: u64) -> u64 {
    let before = app.requests_db.statements();
    for _ in 0..requests {
        assert_eq!(browser.get(path).await.status(), StatusCode::OK, "{path}");
    }
    app.requests_db.statements() - before
}

#[tokio::test]
async fn a_logged_in_dashboard_makes_one_query() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("frugal").await;
    // The dashboard asks for the user twice (its nav and its content): still one query.
    assert_eq!(statements_for(&app, &browser, "/dashboard", 10).await, 10);
}

#[tokio::test]
async fn an_anonymous_page_makes_no_query() {
    let app = TestApp::spawn().await;
    assert_eq!(statements_for(&app, &app.browser, "/login", 5).await, 0);
    assert_eq!(statements_for(&app, &app.browser, "/", 5).await, 0);
}
