//! End to end in headless Chromium with WebDriver's virtual authenticator (CTAP2, internal,
//! resident keys, user verification): a passkey is added through the real page, and after
//! a logout it logs in alone. The browser is at `http://localhost:PORT`, as `PUBLIC_URL` says.

use crate::browser::{Driver, click, element, fill, wait_for_path};
use crate::helpers::{PASSWORD, TestApp};
use fantoccini::Locator;
use fantoccini::wd::WebDriverCompatibleCommand;
use gatehouse::config::PublicUrl;
use std::time::Duration;

/// A WebDriver command fantoccini has no method for: `POST /session/{id}/{path}`.
#[derive(Debug)]
struct Post {
    path: &'static str,
    body: serde_json::Value,
}

impl WebDriverCompatibleCommand for Post {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/{}", session.unwrap_or_default(), self.path))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// WebAuthn Level 2, §11.3: a platform authenticator that verifies its user.
fn virtual_authenticator() -> Post {
    let body = serde_json::json!({
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": true,
        "hasUserVerification": true,
        "isUserVerified": true,
        "isUserConsenting": true,
    });
    Post { path: "webauthn/authenticator", body }
}

/// From the next page on, the browser offers no passkey autofill (conditional mediation),
/// as older browsers do: only the button is left (ChromeDriver's CDP passthrough).
fn without_autofill() -> Post {
    let source = "delete PublicKeyCredential.isConditionalMediationAvailable;";
    let body = serde_json::json!({
        "cmd": "Page.addScriptToEvaluateOnNewDocument",
        "params": { "source": source },
    });
    Post { path: "goog/cdp/execute", body }
}

#[tokio::test]
async fn a_passkey_added_on_the_page_logs_in_alone_in_chromium() {
    // A relying party id must be a domain: the app is browsed as localhost, at its own port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://localhost:{port}");
    let public = base.clone();
    let app = TestApp::spawn_with(move |s| {
        s.bind_addr = format!("127.0.0.1:{port}").parse().unwrap();
        s.public_url = PublicUrl::parse(&public).unwrap();
    })
    .await;
    app.register("passkey_person").await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.issue_cmd(virtual_authenticator()).await.unwrap();

    browser.goto(&format!("{base}/login")).await.unwrap();
    fill(&browser, "username", "passkey_person").await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "form.form button[type=submit]").await;
    wait_for_path(&browser, "/dashboard").await;
    click(&browser, "a[href='/account/passkeys']").await;
    wait_for_path(&browser, "/account/passkeys").await;
    fill(&browser, "passkey_name", "Chromium").await;
    fill(&browser, "current_password", PASSWORD).await;
    click(&browser, "#passkey-register button[type=submit]").await;
    let listed =
        browser.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("td.passkey-name")).await;
    let status = browser.find(Locator::Id("passkey-status")).await.ok();
    let said = match status {
        Some(s) => s.text().await.unwrap_or_default(),
        None => String::new(),
    };
    assert_eq!(
        listed
            .unwrap_or_else(|e| panic!("no passkey listed ({e}); the page said {said:?}"))
            .text()
            .await
            .unwrap(),
        "Chromium"
    );

    // Logged out, the login page's autofill offers the passkey; Chromium's virtual
    // authenticator picks it at once.
    click(&browser, "form[action='/logout'] button").await;
    wait_for_path(&browser, "/login").await;
    wait_for_path(&browser, "/dashboard").await;
    let username = element(&browser, Locator::Css("dd.username")).await.text().await.unwrap();
    assert_eq!(username, "passkey_person");

    // And with no autofill, "Sign in with a passkey".
    browser.issue_cmd(without_autofill()).await.unwrap();
    click(&browser, "form[action='/logout'] button").await;
    wait_for_path(&browser, "/login").await;
    click(&browser, "#passkey-login-button").await;
    wait_for_path(&browser, "/dashboard").await;
    assert!(element(&browser, Locator::Css("dd.last-login")).await.text().await.unwrap().contains("UTC"));
    browser.close().await.unwrap();
}
