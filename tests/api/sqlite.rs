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

/// Read-then-write transactions begin IMMEDIATE on SQLite; deferred ones would fail with
/// "database is locked" as soon as two writers overlap.
#[tokio::test]
async fn parallel_registrations_and_logins_on_sqlite_never_fail() {
    let app = TestApp::spawn_sqlite_with(|s| {
        s.workers = Some(2);
        s.db_pool_size = 8;
        s.limits.register_ip = gatehouse::config::Policy::parse("100/1h").unwrap();
    })
    .await;
    let browsers: Vec<_> = (0..20).map(|_| app.browser()).collect();
    let registrations = browsers.iter().enumerate().map(|(n, b)| async move {
        b.register(&format!("lite{n}"), &format!("lite{n}@example.com"), PASSWORD).await.status()
    });
    let statuses = futures_util::future::join_all(registrations).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    let app = &app;
    let logins = browsers.iter().enumerate().map(|(n, b)| async move {
        let right = b.login(&format!("lite{n}"), PASSWORD, false).await.status();
        let (other, name) = (app.browser(), format!("lite{}", (n + 1) % 20));
        (right, other.login(&name, "wrong password", false).await.status())
    });
    let statuses = futures_util::future::join_all(logins).await;
    assert!(statuses.iter().all(|s| *s == (StatusCode::SEE_OTHER, StatusCode::OK)), "{statuses:?}");
}
