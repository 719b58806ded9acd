//! Roles: `/editor` for editors and admins, 403 for the rest, changes applied at once.

use crate::helpers::TestApp;
use gatehouse::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn a_plain_user_gets_the_403_page_for_the_editors_area() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("victor").await;
    let response = browser.get("/editor").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("You do not have permission"));
}

#[tokio::test]
async fn editors_and_admins_may_enter_the_editors_area() {
    let app = TestApp::spawn().await;
    for (name, role) in [("wendy", Role::Editor), ("xavier", Role::Admin)] {
        let browser = app.logged_in(name).await;
        app.set_role(name, role);
        assert_eq!(browser.get("/editor").await.status(), StatusCode::OK, "{role}");
    }
}

#[tokio::test]
async fn a_role_change_applies_to_an_existing_session_at_once() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("yara").await;
    app.set_role("yara", Role::Editor);
    assert_eq!(browser.get("/editor").await.status(), StatusCode::OK);
    assert!(browser.get_html("/dashboard").await.contains("href=\"/editor\""));
    app.set_role("yara", Role::User);
    assert_eq!(browser.get("/editor").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_nav_shows_the_admin_link_only_to_admins() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("zoe").await;
    assert!(!browser.get_html("/dashboard").await.contains("href=\"/admin\""));
    app.set_role("zoe", Role::Admin);
    assert!(browser.get_html("/dashboard").await.contains("href=\"/admin\""));
}
