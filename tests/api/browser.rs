//! End to end in headless Chromium: register, log in, see the dashboard, log out, all
//! through the real forms, at phone width.

use crate::helpers::{PASSWORD, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL: &str = "the browser test needs Chromium and ChromeDriver: \
    `apt-get install chromium chromium-driver` (Debian/Ubuntu), or set CHROMEDRIVER and CHROMIUM";

/// A chromedriver on a free loopback port, killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    profile: tempfile::TempDir,
}

impl Driver {
    pub async fn start() -> Self {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL} ({binary}: {e})"));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("a profile directory for Chromium");
        Self { child, url, profile }
    }

    pub async fn browser(&self) -> Client {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        // The flags keep Chromium from reaching for the network this machine doesn't have.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=390,844",
            &format!("--user-data-dir={}", self.profile.path().display()),
        ];
        let options = serde_json::json!({ "binary": chromium, "args": args });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{INSTALL} ({e})"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// The element, once the page has it (waiting out a page still loading).
pub async fn element(browser: &Client, locator: Locator<'_>) -> fantoccini::elements::Element {
    browser.wait().at_most(Duration::from_secs(15)).for_element(locator).await.unwrap()
}

pub async fn fill(browser: &Client, field: &str, value: &str) {
    element(browser, Locator::Id(field)).await.send_keys(value).await.unwrap();
}

pub async fn click(browser: &Client, css: &str) {
    element(browser, Locator::Css(css)).await.click().await.unwrap();
}

/// Waits for the navigation a click started (a click may return before the next page
/// has arrived, more so on a busy machine), and says what is on screen if it never does.
pub async fn wait_for_path(browser: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = browser.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        if Instant::now() > deadline {
            let page = browser.source().await.unwrap_or_default();
            panic!("still at {} instead of {path} after 15 s; the page:\n{page}", url.path());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text_of(browser: &Client, css: &str) -> String {
    element(browser, Locator::Css(css)).await.text().await.unwrap()
}

#[tokio::test]
async fn a_person_registers_logs_in_sees_the_dashboard_and_logs_out_in_chromium() {
    let app = TestApp::spawn().await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    browser.goto(&format!("{}/", app.base)).await.unwrap();
    click(&browser, "a.button[href='/register']").await;

    fill(&browser, "username", "Browser_User").await;
    fill(&browser, "email", "browser@example.com").await;
    fill(&browser, "password", PASSWORD).await;
    fill(&browser, "confirm_password", PASSWORD).await;
    click(&browser, "form button[type=submit]").await;
    wait_for_path(&browser, "/login").await;
    assert!(text_of(&browser, ".flash.success").await.contains("account has been created"));

    fill(&browser, "username", "browser@example.com").await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "label[for=remember]").await;
    click(&browser, "form.form button[type=submit]").await;
    wait_for_path(&browser, "/dashboard").await;
    assert_eq!(text_of(&browser, "dd.username").await, "Browser_User");
    assert_eq!(text_of(&browser, "dd.email").await, "browser@example.com");

    click(&browser, "form[action='/logout'] button").await;
    wait_for_path(&browser, "/login").await;
    assert!(text_of(&browser, ".flash.info").await.contains("logged out"));
    browser.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    wait_for_path(&browser, "/login").await;
    browser.close().await.unwrap();
}
