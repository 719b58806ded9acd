//! `EMAIL_VERIFICATION`: `required` keeps an unconfirmed account out (after the right
//! password only), `optional` lets it in with a notice; `create-admin` makes confirmed
//! accounts.

use crate::email_verification::{PUBLIC_ANSWER, press, verification_link, verified};
use crate::helpers::{PASSWORD, TestApp, flashes, location};
use diesel::prelude::*;
use gatehouse::config::EmailVerification;
use gatehouse::db::schema::{audit_events, sessions};
use reqwest::StatusCode;

const CONFIRM_FIRST: &str = "Please confirm your email address first.";

fn session_count(app: &TestApp) -> i64 {
    sessions::table.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn required_mode_refuses_an_unconfirmed_login_with_403_a_resend_form_and_no_session() {
    let (app, sink) = TestApp::spawn_with_mail(|s| s.email_verification = EmailVerification::Required).await;
    app.register("rhea").await;
    let browser = app.browser();
    let refused = browser.login("rhea@example.com", PASSWORD, false).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let html = refused.text().await.unwrap();
    assert!(html.contains(CONFIRM_FIRST), "{html}");
    assert!(
        html.contains("action=\"/verify-email\"") && html.contains("value=\"rhea@example.com\""),
        "{html}"
    );
    assert_eq!(session_count(&app), 0);
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    let audited: Vec<String> = audit_events::table
        .filter(audit_events::action.eq("login.failed"))
        .select(audit_events::details)
        .load(&mut app.db())
        .unwrap();
    assert_eq!(audited, ["email address not confirmed"]);

    // A wrong password learns nothing about the address.
    let wrong = app.browser().login("rhea", "not the password", false).await;
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(wrong.text().await.unwrap().contains("Invalid username or password."));

    // The form on the 403 page works without a login.
    let resent = browser.submit("/verify-email", "/verify-email", &[("email", "rhea@example.com")]).await;
    assert_eq!(location(&resent), "/login");
    assert_eq!(flashes(&browser.get_html("/login").await, "info"), [PUBLIC_ANSWER]);

    let link = verification_link(&sink, "rhea@example.com", 1).await;
    assert_eq!(location(&press(&browser, &link, &link).await), "/login");
    assert_eq!(location(&browser.login("rhea", PASSWORD, false).await), "/dashboard");
    assert_eq!(session_count(&app), 1);
}

#[tokio::test]
async fn optional_mode_lets_an_unconfirmed_account_in_with_a_notice() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("omar").await;
    let dashboard = browser.get_html("/dashboard").await;
    assert!(dashboard.contains("Please confirm your email address"), "{dashboard}");
    assert!(dashboard.contains("<dd class=\"email-verified\">not yet</dd>"));
}

#[tokio::test]
async fn create_admin_makes_a_confirmed_account_that_required_mode_lets_in() {
    let app = TestApp::spawn_with(|s| s.email_verification = EmailVerification::Required).await;
    let args = ["create-admin", "--username", "root_admin", "--email", "root@example.com"];
    let output = crate::cli::gatehouse(&app.database_url, &args, &format!("{PASSWORD}\n"));
    assert!(output.status.success(), "{}", crate::cli::text(&output.stderr));
    assert!(verified(&app, "root_admin"));
    assert_eq!(location(&app.browser().login("root_admin", PASSWORD, false).await), "/dashboard");
}
