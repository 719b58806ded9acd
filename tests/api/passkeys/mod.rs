//! Passkeys over HTTP, with the software passkey of `support::passkey` playing browser and
//! authenticator: the app's relying party is `localhost` (`PUBLIC_URL=http://localhost`).

mod chromium;
mod deletion;
mod login;
mod registration;
mod second_factor;

use crate::helpers::{Browser, PASSWORD, TestApp};
use crate::support::passkey::SoftPasskey;
use gatehouse::config::{PublicUrl, Settings};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const ORIGIN: &str = "http://localhost";

/// Settings for an app whose relying party is `localhost`.
pub fn on_localhost(settings: &mut Settings) {
    settings.public_url = PublicUrl::parse(ORIGIN).unwrap();
}

pub async fn spawn() -> TestApp {
    TestApp::spawn_with(on_localhost).await
}

/// Posts JSON as the page script does, with the CSRF token of `page` in `X-CSRF-Token`.
pub async fn post_json(browser: &Browser, page: &str, path: &str, body: &Value) -> reqwest::Response {
    let token = browser.csrf_token(page).await;
    browser.client.post(browser.url(path)).header("X-CSRF-Token", token).json(body).send().await.unwrap()
}

/// The status and JSON body of a response.
pub async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Starts a registration on the passkeys page with the account's password.
pub async fn start_registration(browser: &Browser, name: &str) -> (StatusCode, Value) {
    let body = json!({ "name": name, "current_password": PASSWORD });
    answer(post_json(browser, "/account/passkeys", "/webauthn/register/start", &body).await).await
}

pub async fn finish_registration(browser: &Browser, credential: Value) -> (StatusCode, Value) {
    let body = json!({ "credential": credential });
    answer(post_json(browser, "/account/passkeys", "/webauthn/register/finish", &body).await).await
}

/// Adds a new passkey named `name` to the logged-in browser's account.
pub async fn add_passkey(browser: &Browser, name: &str) -> SoftPasskey {
    let mut key = SoftPasskey::new(ORIGIN);
    add(browser, name, &mut key).await;
    key
}

/// Registers `key` under `name`, asserting it worked.
pub async fn add(browser: &Browser, name: &str, key: &mut SoftPasskey) {
    let (status, options) = start_registration(browser, name).await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let (status, done) = finish_registration(browser, key.register(&options)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["redirect"], "/account/passkeys");
}

/// A passkey login's start, from `page` (`/login`, or `/login/2fa` for the second step).
pub async fn start_login(browser: &Browser, page: &str) -> (StatusCode, Value) {
    let body = json!({ "second_factor": page == "/login/2fa" });
    answer(post_json(browser, page, "/webauthn/login/start", &body).await).await
}

pub async fn finish_login(browser: &Browser, page: &str, credential: Value) -> (StatusCode, Value) {
    let body = json!({ "credential": credential, "second_factor": page == "/login/2fa" });
    answer(post_json(browser, page, "/webauthn/login/finish", &body).await).await
}

/// A whole passwordless login with `key` in `browser`: the finish's status and body.
pub async fn log_in_with(browser: &Browser, key: &mut SoftPasskey) -> (StatusCode, Value) {
    let (status, options) = start_login(browser, "/login").await;
    assert_eq!(status, StatusCode::OK, "{options}");
    finish_login(browser, "/login", key.authenticate(&options)).await
}

/// A registered account, logged in, with one passkey.
pub async fn account_with_passkey(app: &TestApp, username: &str) -> (Browser, SoftPasskey) {
    let browser = app.logged_in(username).await;
    let key = add_passkey(&browser, "Laptop").await;
    (browser, key)
}

/// The audit entries with `action` about account `id`, newest first: their details.
pub fn audited(app: &TestApp, id: i64, action: &str) -> Vec<String> {
    use diesel::prelude::*;
    use gatehouse::db::schema::audit_events as audit;
    audit::table
        .filter(audit::action.eq(action))
        .filter(audit::target_id.eq(id))
        .order(audit::id.desc())
        .select(audit::details)
        .load(&mut app.db())
        .unwrap()
}

/// How many passkeys the account has, straight from the database.
pub fn passkeys_of(app: &TestApp, id: i64) -> i64 {
    use diesel::prelude::*;
    use gatehouse::db::schema::passkeys;
    passkeys::table.filter(passkeys::user_id.eq(id)).count().get_result(&mut app.db()).unwrap()
}
