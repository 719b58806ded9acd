//! A person turns 2FA on and logs in with a code, in headless Chromium.

use super::{Phone, early_in_a_step};
use crate::browser::{Driver, click, element, fill, wait_for_path};
use crate::helpers::{PASSWORD, TestApp};
use fantoccini::Locator;

#[tokio::test]
async fn a_person_turns_on_2fa_and_logs_in_with_a_code_in_chromium() {
    let app = TestApp::spawn().await;
    app.register("chromie").await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    fill(&browser, "username", "chromie").await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "form.form button[type=submit]").await;
    wait_for_path(&browser, "/dashboard").await;

    click(&browser, "a[href='/account/2fa']").await;
    wait_for_path(&browser, "/account/2fa").await;
    fill(&browser, "current_password", PASSWORD).await;
    click(&browser, "form[action='/account/2fa/totp/setup'] button").await;
    wait_for_path(&browser, "/account/2fa/totp/setup").await;
    let secret = element(&browser, Locator::Css(".totp-secret")).await.text().await.unwrap();
    let qr = element(&browser, Locator::Css("img.qr-code")).await;
    let loaded = browser
        .execute("return arguments[0].naturalWidth > 0;", vec![serde_json::to_value(&qr).unwrap()])
        .await
        .unwrap();
    assert_eq!(loaded, serde_json::Value::Bool(true), "the QR code image renders under the CSP");
    let phone = Phone::from_base32(&secret);
    early_in_a_step().await;
    fill(&browser, "code", &phone.code(-1)).await;
    click(&browser, "form[action='/account/2fa/totp/confirm'] button").await;
    wait_for_path(&browser, "/account/2fa/totp/confirm").await;
    let codes = browser.find_all(Locator::Css(".recovery-code")).await.unwrap();
    assert_eq!(codes.len(), 10);

    click(&browser, "form[action='/logout'] button").await;
    wait_for_path(&browser, "/login").await;
    fill(&browser, "username", "chromie").await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "form.form button[type=submit]").await;
    wait_for_path(&browser, "/login/2fa").await;
    fill(&browser, "code", &phone.code(0)).await;
    click(&browser, "form[action='/login/2fa'] button[type=submit]").await;
    wait_for_path(&browser, "/dashboard").await;
    browser.close().await.unwrap();
}
