//! Health checks, the landing page, static files and the 404 page.

use crate::helpers::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_and_readyz_answer_200_while_the_database_is_up() {
    let app = TestApp::spawn().await;
    assert_eq!(app.browser.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.browser.get("/readyz").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_landing_page_links_anonymous_visitors_to_login_and_register() {
    let app = TestApp::spawn().await;
    let response = app.browser.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    // No form on the page, so no reason to set a cookie yet.
    assert!(crate::helpers::session_cookie(response.headers()).is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("href=\"/login\"") && html.contains("href=\"/register\""));
    assert!(!html.contains("href=\"/dashboard\""));
}

#[tokio::test]
async fn the_landing_page_links_a_logged_in_user_to_the_dashboard() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("alice").await;
    let html = browser.get_html("/").await;
    assert!(html.contains("href=\"/dashboard\""));
    assert!(html.contains("action=\"/logout\""));
    assert!(!html.contains("href=\"/register\""));
}

#[tokio::test]
async fn unknown_paths_get_the_404_page() {
    let app = TestApp::spawn().await;
    let response = app.browser.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
    assert_eq!(app.browser.get("/static/nope.css").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let response = app.browser.get("/static/style.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
    assert!(response.text().await.unwrap().contains(".flash.success"));
}
