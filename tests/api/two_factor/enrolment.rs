//! Turning 2FA on (only after a right code), recovery codes, turning it off, and CSRF.

use super::{account_with_2fa, all_texts, early_in_a_step, enable, start_setup};
use crate::helpers::{PASSWORD, TestApp, flashes, location};
use reqwest::StatusCode;

#[tokio::test]
async fn setup_shows_a_qr_code_the_uri_and_the_secret_and_a_wrong_code_leaves_2fa_off() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("tove").await;
    let page = browser.get_html("/account/2fa").await;
    assert!(page.contains("is <strong>off</strong>"), "{page}");
    assert!(browser.get_html("/dashboard").await.contains("href=\"/account/2fa\""));

    let wrong =
        browser.submit("/account/2fa", "/account/2fa/totp/setup", &[("current_password", "not it")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let (phone, html) = start_setup(&browser).await;
    assert!(html.contains("src=\"data:image/svg+xml;base64,"), "{html}");
    let uri = super::element_text(&html, "totp-uri").unwrap();
    assert!(uri.starts_with("otpauth://totp/") && uri.contains("secret="), "{uri}");
    assert!(!html.contains("<script") && !html.contains("style="));

    let bad = if phone.code(0) == "000000" { "111111" } else { "000000" };
    let response = browser.submit("/account/2fa", "/account/2fa/totp/confirm", &[("code", bad)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("action=\"/account/2fa/totp/confirm\""));
    assert!(browser.get_html("/account/2fa").await.contains("is <strong>off</strong>"));
    // Still off: the password alone logs in.
    assert_eq!(location(&app.browser().login("tove", PASSWORD, false).await), "/dashboard");

    early_in_a_step().await;
    let response =
        browser.submit("/account/2fa", "/account/2fa/totp/confirm", &[("code", &phone.code(0))]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(all_texts(&response.text().await.unwrap(), "recovery-code").len(), 10);
    assert!(browser.get_html("/account/2fa").await.contains("is <strong>on</strong>"));
    assert_eq!(location(&app.browser().login("tove", PASSWORD, false).await), "/login/2fa");
}

#[tokio::test]
async fn the_secret_is_stored_sealed() {
    use diesel::prelude::*;
    let app = TestApp::spawn().await;
    let browser = app.logged_in("ulla").await;
    let (_, html) = start_setup(&browser).await;
    let secret = super::element_text(&html, "totp-secret").unwrap();
    let stored: Vec<String> = gatehouse::db::schema::two_factor::table
        .select(gatehouse::db::schema::two_factor::secret_sealed)
        .load(&mut app.db())
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("v1.") && !stored[0].contains(&secret));
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_set_and_are_shown_once() {
    let app = TestApp::spawn().await;
    let (browser, _phone, old) = account_with_2fa(&app, "vera").await;
    let wrong = browser
        .submit("/account/2fa", "/account/2fa/recovery-codes", &[("current_password", "not it")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = browser
        .submit("/account/2fa", "/account/2fa/recovery-codes", &[("current_password", PASSWORD)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new = all_texts(&response.text().await.unwrap(), "recovery-code");
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert!(all_texts(&browser.get_html("/account/2fa").await, "recovery-code").is_empty());

    let old_code = super::password_step(&app, "vera").await;
    assert_eq!(super::send_code(&old_code, &old[0]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let new_code = super::password_step(&app, "vera").await;
    assert_eq!(location(&super::send_code(&new_code, &new[0]).await), "/dashboard");
}

#[tokio::test]
async fn turning_2fa_off_needs_the_password_and_a_code_and_tells_the_owner() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("wanda").await;
    let (phone, _) = enable(&browser).await;
    for (password, code) in
        [("not it", phone.code(0)), (PASSWORD, "123456".into()), (PASSWORD, String::new())]
    {
        let fields = [("current_password", password), ("code", code.as_str())];
        let response = browser.submit("/account/2fa", "/account/2fa/disable", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}/{code}");
    }
    assert!(browser.get_html("/account/2fa").await.contains("is <strong>on</strong>"));
    let fields = [("current_password", PASSWORD), ("code", &phone.code(0))];
    let response = browser.submit("/account/2fa", "/account/2fa/disable", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/2fa");
    let page = browser.get_html("/account/2fa").await;
    assert!(page.contains("is <strong>off</strong>"));
    assert_eq!(flashes(&page, "success").len(), 1);
    let notice = &sink.wait_for(1).await[0];
    assert_eq!(notice.to, ["wanda@example.com"]);
    assert!(notice.subject().contains("Two-factor authentication was turned off"));
    assert_eq!(location(&app.browser().login("wanda", PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn every_new_form_refuses_a_post_without_its_csrf_token() {
    let app = TestApp::spawn().await;
    let (browser, phone, codes) = account_with_2fa(&app, "xenia").await;
    let code = phone.code(0);
    for (action, fields) in [
        ("/account/2fa/totp/setup", vec![("current_password", PASSWORD)]),
        ("/account/2fa/totp/confirm", vec![("code", code.as_str())]),
        ("/account/2fa/recovery-codes", vec![("current_password", PASSWORD)]),
        ("/account/2fa/disable", vec![("current_password", PASSWORD), ("code", code.as_str())]),
    ] {
        assert_eq!(browser.post_form(action, &fields).await.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let pending = super::password_step(&app, "xenia").await;
    let response = pending.post_form("/login/2fa", &[("code", &codes[0])]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(location(&super::send_code(&pending, &codes[0]).await), "/dashboard");
    assert!(browser.get_html("/account/2fa").await.contains("is <strong>on</strong>"));
}
