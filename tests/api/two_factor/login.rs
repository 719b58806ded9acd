//! Logging in with 2FA on: the pending sign-in is no session, codes are accepted once
//! (on any instance), one step of skew, five wrong codes end it, recovery codes once each.

use super::{account_with_2fa, early_in_a_step, password_step, send_code};
use crate::helpers::{PASSWORD, TestApp, location};
use reqwest::StatusCode;

#[tokio::test]
async fn the_pending_sign_in_is_not_a_session_and_a_code_finishes_it_with_a_new_session() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = account_with_2fa(&app, "anouk").await;
    let browser = app.browser();
    let response = browser
        .submit(
            "/login?next=%2Faccount%2Fsessions",
            "/login",
            &[
                ("username", "anouk"),
                ("password", PASSWORD),
                ("remember", "on"),
                ("next", "/account/sessions"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/login/2fa");
    let before = browser.cookie_header();
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(location(&browser.get("/account/2fa").await), "/login?next=%2Faccount%2F2fa");
    let page = browser.get_html("/login/2fa").await;
    assert!(page.contains("autocomplete=\"one-time-code\"") && page.contains("name=\"remember_device\""));
    assert!(page.contains("href=\"/login/2fa?recovery=1\""));

    early_in_a_step().await;
    let response = send_code(&browser, &phone.code(0)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/sessions");
    let cookie = crate::helpers::session_cookie(response.headers()).unwrap();
    assert!(cookie.contains("Max-Age="), "remember from the first step: {cookie}");
    assert_ne!(browser.cookie_header(), before);
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    // The pending sign-in is used up.
    assert_eq!(location(&browser.get("/login/2fa").await), "/login");
}

#[tokio::test]
async fn a_code_is_accepted_once_even_across_two_instances_and_one_step_of_skew_only() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_on(&app.database_url, |_| {}).await;
    let (_, phone, _) = account_with_2fa(&app, "bodil").await;
    early_in_a_step().await;
    let code = phone.code(0);
    let first = password_step(&app, "bodil").await;
    let second = password_step(&other, "bodil").await;
    assert_eq!(location(&send_code(&first, &code).await), "/dashboard");
    let replay = send_code(&second, &code).await;
    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(location(&second.get("/dashboard").await), "/login?next=%2Fdashboard");
    // The previous step was used by the enrolment and the current one now: both refused,
    // as is a code two steps ahead; one step ahead (a fast phone) is accepted.
    for stale in [phone.code(-1), phone.code(2), phone.code(-2)] {
        assert_eq!(send_code(&second, &stale).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(location(&send_code(&second, &phone.code(1)).await), "/dashboard");
}

#[tokio::test]
async fn a_burst_of_the_same_code_logs_in_once() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = account_with_2fa(&app, "cecil").await;
    let mut browsers = Vec::new();
    for _ in 0..4 {
        browsers.push(password_step(&app, "cecil").await);
    }
    early_in_a_step().await;
    let code = phone.code(0);
    let mut tokens = Vec::new();
    for b in &browsers {
        tokens.push(b.csrf_token("/login/2fa").await);
    }
    let sent = browsers.iter().zip(&tokens).map(|(b, t)| {
        let code = code.clone();
        async move { b.post_form("/login/2fa", &[("csrf_token", t.as_str()), ("code", code.as_str())]).await }
    });
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(sent).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 1, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count(),
        3,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn five_wrong_codes_end_the_pending_sign_in() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = account_with_2fa(&app, "dagny").await;
    let browser = password_step(&app, "dagny").await;
    let wrong = ["000000", "111111"].into_iter().find(|c| ![-1, 0, 1].iter().any(|o| phone.code(*o) == *c));
    let wrong = wrong.unwrap();
    for _ in 0..4 {
        assert_eq!(send_code(&browser, wrong).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let fifth = send_code(&browser, wrong).await;
    assert_eq!(fifth.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&fifth), "/login");
    // Even the right code is no use now: the password step has to be done again.
    let right = browser.submit("/login", "/login/2fa", &[("code", &phone.code(0))]).await;
    assert_eq!(location(&right), "/login");
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    use diesel::prelude::*;
    use gatehouse::db::schema::audit_events::dsl::*;
    let failed: i64 = audit_events.filter(action.eq("2fa.failed")).count().get_result(&mut app.db()).unwrap();
    assert_eq!(failed, 5, "every wrong code is audited");
}

#[tokio::test]
async fn each_recovery_code_works_once_and_its_use_emails_the_owner() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let (_, _, codes) = account_with_2fa(&app, "edda").await;
    let browser = password_step(&app, "edda").await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_eq!(location(&send_code(&browser, &typed).await), "/dashboard");
    let notice = &sink.wait_for(1).await[0];
    assert_eq!(notice.to, ["edda@example.com"]);
    assert!(notice.subject().contains("recovery code was used"));
    let again = password_step(&app, "edda").await;
    assert_eq!(send_code(&again, &codes[3]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(location(&send_code(&again, &codes[4]).await), "/dashboard");
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_the_second_step() {
    use crate::helpers::hidden_value;
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let (_, phone, _) = account_with_2fa(&app, "frida").await;
    let browser = app.browser();
    browser.submit("/password-reset", "/password-reset", &[("email", "frida@example.com")]).await;
    let mail = &sink.wait_for(1).await[0];
    let link = mail.text().lines().find(|l| l.contains("/password-reset/")).unwrap().trim().to_owned();
    let path = link.split_once("/password-reset/").map(|(_, t)| format!("/password-reset/{t}")).unwrap();
    let new = "a brand new passphrase for frida";
    let page = browser.get_html(&path).await;
    let token = hidden_value(&page, "csrf_token").unwrap();
    let fields = [("csrf_token", token.as_str()), ("password", new), ("confirm_password", new)];
    let reset = browser.post_form(&path, &fields).await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&browser.get("/dashboard").await),
        "/login?next=%2Fdashboard",
        "a reset never logs in"
    );
    let response = browser.login("frida", new, false).await;
    assert_eq!(location(&response), "/login/2fa");
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    early_in_a_step().await;
    assert_eq!(location(&send_code(&browser, &phone.code(0)).await), "/dashboard");
}
