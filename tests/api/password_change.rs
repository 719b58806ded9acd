//! `/account/password`: the current password first, the registration rules, this session
//! kept and every other one ended, and an email to the owner.

use crate::helpers::{PASSWORD, TestApp, flashes, location};
use reqwest::StatusCode;

const NEW_PASSWORD: &str = "an entirely new passphrase";

fn fields<'a>(current: &'a str, new: &'a str, confirm: &'a str) -> [(&'static str, &'a str); 3] {
    [("current_password", current), ("password", new), ("confirm_password", confirm)]
}

#[tokio::test]
async fn a_change_keeps_this_session_ends_the_others_and_tells_the_owner() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let here = app.logged_in("kira").await;
    let elsewhere = app.browser();
    elsewhere.login("kira", PASSWORD, true).await;
    let response = here
        .submit("/account/password", "/account/password", &fields(PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/dashboard");
    let dashboard = here.get("/dashboard").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert_eq!(
        flashes(&html, "success"),
        ["Your password has been changed. Your other sessions have been logged out."]
    );
    assert_eq!(location(&elsewhere.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(location(&app.browser().login("kira", NEW_PASSWORD, false).await), "/dashboard");
    assert_eq!(app.browser().login("kira", PASSWORD, false).await.status(), StatusCode::OK);
    let notice = &sink.wait_for(1).await[0];
    assert_eq!(notice.to, ["kira@example.com"]);
    assert_eq!(notice.subject(), "Your gatehouse password was changed");
    assert!(notice.text().contains("from your account settings"));
}

#[tokio::test]
async fn a_wrong_current_password_or_a_refused_new_one_gets_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("lars").await;
    let elsewhere = app.browser();
    elsewhere.login("lars", PASSWORD, false).await;
    for (current, new, confirm, message) in [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "Your current password is not correct."),
        (PASSWORD, "qwerty123", "qwerty123", "too common"),
        (PASSWORD, "short", "short", "at least 8 characters"),
        (PASSWORD, "lars", "lars", "at least 8 characters"),
        (PASSWORD, NEW_PASSWORD, "a different passphrase", "The two passwords do not match."),
    ] {
        let response =
            here.submit("/account/password", "/account/password", &fields(current, new, confirm)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{current}/{new}/{confirm}");
        let html = response.text().await.unwrap();
        assert!(html.contains("class=\"field-error\"") && html.contains(message), "{message}: {html}");
    }
    assert_eq!(elsewhere.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(location(&app.browser().login("lars", PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn the_new_password_may_not_be_the_username() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("margarethe").await;
    let response = here
        .submit("/account/password", "/account/password", &fields(PASSWORD, "Margarethe", "Margarethe"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("same as your username"));
}

#[tokio::test]
async fn the_password_page_needs_a_login_and_is_linked_from_the_dashboard() {
    let app = TestApp::spawn().await;
    assert_eq!(location(&app.browser.get("/account/password").await), "/login?next=%2Faccount%2Fpassword");
    let browser = app.logged_in("nils").await;
    let dashboard = browser.get_html("/dashboard").await;
    assert!(
        dashboard.contains("href=\"/account/password\"") && dashboard.contains("href=\"/account/sessions\"")
    );
    let form = browser.get_html("/account/password").await;
    for name in ["current_password", "password", "confirm_password", "csrf_token"] {
        assert!(form.contains(&format!("name=\"{name}\"")), "{name}");
    }
}

#[tokio::test]
async fn guessing_the_current_password_from_a_stolen_session_is_throttled_like_logins() {
    let app = TestApp::spawn_with(|s| {
        s.limits.login_account_ip = gatehouse::config::Policy::parse("3/15m").unwrap();
    })
    .await;
    let thief = app.logged_in("lena").await;
    for guess in ["guess one", "guess two", "guess three"] {
        let response = thief
            .submit("/account/password", "/account/password", &fields(guess, NEW_PASSWORD, NEW_PASSWORD))
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = thief
        .submit("/account/password", "/account/password", &fields(PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    // One count with logins: the thief can't switch to the login form for more guesses.
    assert_eq!(
        app.browser().login("lena", "guess four", false).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
