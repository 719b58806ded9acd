//! A smoke run of the main flows on the embedded SQLite default.

use crate::helpers::{PASSWORD, TestApp, location};
use reqwest::StatusCode;

#[tokio::test]
async fn register_login_dashboard_and_logout_work_on_sqlite() {
    let app = TestApp::spawn_sqlite().await;
    assert_eq!(app.browser.get("/readyz").await.status(), StatusCode::OK);
    let response = app.browser.register("Sqlite_User", "Lite@Example.com", PASSWORD).await;
    assert_eq!(location(&response), "/login");
    let duplicate = app.browser.register("sqlite_user", "other@example.com", PASSWORD).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(location(&app.browser.login("lite@example.com", PASSWORD, true).await), "/dashboard");
    let html = app.browser.get_html("/dashboard").await;
    assert!(html.contains("Sqlite_User") && html.contains("lite@example.com"));
    assert_eq!(location(&app.browser.logout().await), "/login");
    assert_eq!(location(&app.browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(app.browser.login("sqlite_user", "wrong password", false).await.status(), StatusCode::OK);
}
