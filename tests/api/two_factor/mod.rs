//! Two-factor authentication over HTTP: codes are computed here from the secret the setup
//! page shows, as an authenticator app would.

mod api;
mod chromium;
mod enrolment;
mod login;
mod remembered;

use crate::helpers::{Browser, PASSWORD, TestApp, location};
use reqwest::StatusCode;

/// A person's phone: the secret read off the setup page.
pub struct Phone(totp_rs::Totp);

impl Phone {
    /// The app, set up from the base32 key as typed off the page.
    pub fn from_base32(secret: &str) -> Self {
        let bytes = totp_rs::Secret::try_from_base32(secret).unwrap().as_bytes().to_vec();
        assert_eq!(bytes.len(), 20);
        Self(totp_rs::Builder::new().with_secret(bytes).build().unwrap())
    }

    /// The code for the current step moved by `offset` steps.
    pub fn code(&self, offset: i64) -> String {
        let step = now() / 30 + offset;
        self.0.generate(u64::try_from(step * 30).unwrap()).to_string()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Waits out the last seconds of a time step, so that the steps a test computes are the
/// ones the server sees (a boundary crossed between the two would shift them by one).
pub async fn early_in_a_step() {
    let into = now() % 30;
    if into >= 25 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::try_from(31 - into).unwrap())).await;
    }
}

/// The text of the first element with `class="{class}"`.
pub fn element_text(html: &str, class: &str) -> Option<String> {
    all_texts(html, class).into_iter().next()
}

pub fn all_texts(html: &str, class: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\">");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let start = at + marker.len();
            html[start..].find('<').map(|end| html[start..start + end].to_owned())
        })
        .collect()
}

/// Posts the password to the setup form and reads the secret like a person would.
pub async fn start_setup(browser: &Browser) -> (Phone, String) {
    let response =
        browser.submit("/account/2fa", "/account/2fa/totp/setup", &[("current_password", PASSWORD)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let secret = element_text(&html, "totp-secret").expect("the base32 secret on the page");
    (Phone::from_base32(&secret), html)
}

/// Turns 2FA on for a logged-in browser, confirming with the previous step's code (so the
/// current and next steps are left for logins). The phone and the recovery codes.
pub async fn enable(browser: &Browser) -> (Phone, Vec<String>) {
    early_in_a_step().await;
    let (phone, _) = start_setup(browser).await;
    let response =
        browser.submit("/account/2fa", "/account/2fa/totp/confirm", &[("code", &phone.code(-1))]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let codes = all_texts(&response.text().await.unwrap(), "recovery-code");
    assert_eq!(codes.len(), 10);
    (phone, codes)
}

/// A registered account with 2FA on; the browser that set it up stays logged in.
pub async fn account_with_2fa(app: &TestApp, username: &str) -> (Browser, Phone, Vec<String>) {
    let browser = app.logged_in(username).await;
    let (phone, codes) = enable(&browser).await;
    (browser, phone, codes)
}

/// The first step, for a fresh browser: the right password leads to `/login/2fa`.
pub async fn password_step(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    let response = browser.login(username, PASSWORD, false).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login/2fa");
    browser
}

pub async fn send_code(browser: &Browser, code: &str) -> reqwest::Response {
    browser.submit("/login/2fa", "/login/2fa", &[("code", code)]).await
}
