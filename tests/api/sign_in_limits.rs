//! Provider sign-ins are throttled like password logins: callbacks per address (counted
//! before the `state` is looked up or the provider asked, given back when they sign in)
//! and sign-ins per account, held to their limits under bursts of parallel requests.

use crate::helpers::{Browser, TestApp, location};
use crate::sign_in_flow::{provider_redirect, providers, sign_in};
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use futures_util::future::join_all;
use gatehouse::config::{Policy, Settings};
use gatehouse::db::schema::sessions;
use reqwest::{Response, StatusCode};

const BURST: usize = 10;
const CLIENT: &str = "203.0.113.60";

/// An app with the mock's providers whose requests may say (through `X-Forwarded-For`)
/// which address they come from.
pub async fn spawn(idp: &MockIdp, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let providers = providers(idp, false);
    TestApp::spawn_with(|s| {
        s.auth_providers = providers;
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.db_pool_size = 8;
        configure(s);
    })
    .await
}

/// Presses "Continue with" and lets the mock answer: the callback path, not yet visited.
pub async fn callback_path(browser: &Browser, name: &str, page: &str, fields: &[(&str, &str)]) -> String {
    let start = browser.submit(page, &format!("/auth/{name}"), fields).await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    provider_redirect(&location(&start)).await
}

pub async fn get_from(browser: &Browser, path: &str, ip: &str) -> Response {
    browser.client.get(browser.url(path)).header("x-forwarded-for", ip).send().await.unwrap()
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

fn limit(raw: &str) -> Policy {
    Policy::parse(raw).unwrap()
}

#[tokio::test]
async fn a_burst_of_callbacks_from_one_address_is_held_to_the_limit_and_uses_up_nothing() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |s| s.limits.provider_ip = limit("3/15m")).await;
    let waiting = callback_path(&app.browser, "mock", "/login", &[]).await;
    let forged: Vec<String> =
        (0..BURST).map(|i| format!("/auth/mock/callback?state=forged{i}&code=x")).collect();
    let answers = join_all(forged.iter().map(|path| get_from(&app.browser, path, CLIENT))).await;
    let statuses: Vec<StatusCode> = answers.iter().map(Response::status).collect();
    assert_eq!(count(&statuses, StatusCode::BAD_REQUEST), 3, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), BURST - 3, "{statuses:?}");
    let throttled = answers.iter().find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).unwrap();
    assert!(throttled.headers().contains_key("retry-after"));
    // A real callback from that address is refused too, before its state is used up...
    let refused = get_from(&app.browser, &waiting, CLIENT).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("Too many attempts"));
    // ...so from another address it still works.
    let elsewhere = get_from(&app.browser, &waiting, "203.0.113.61").await;
    assert_eq!(location(&elsewhere), "/auth/complete");
}

#[tokio::test]
async fn a_callback_that_signs_in_gives_its_count_back() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |s| s.limits.provider_ip = limit("2/15m")).await;
    for round in 0..3 {
        let (answer, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
        assert_eq!(location(&answer), "/auth/complete", "sign-in {round}");
    }
    let forged = "/auth/mock/callback?state=forged&code=x";
    assert_eq!(app.browser.get(forged).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.browser.get(forged).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.browser.get(forged).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_burst_of_sign_ins_into_one_account_is_held_to_the_account_limit() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |s| s.limits.provider_account = limit("3/15m")).await;
    let (first, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&first), "/auth/complete");
    let done = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(location(&done), "/dashboard");
    // Each from its own browser and address: only the account is in common.
    let mut pending = Vec::new();
    for _ in 0..BURST {
        let browser = app.browser();
        let path = callback_path(&browser, "mock", "/login", &[]).await;
        pending.push((browser, path));
    }
    let addresses: Vec<String> = (0..BURST).map(|i| format!("198.51.100.{i}")).collect();
    let sends = pending.iter().zip(&addresses).map(|((b, path), ip)| get_from(b, path, ip));
    let answers = join_all(sends).await;
    let statuses: Vec<StatusCode> = answers.iter().map(Response::status).collect();
    let logged_in = answers.iter().filter(|r| location(r) == "/dashboard").count();
    assert_eq!(logged_in, 3, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), BURST - 3, "{statuses:?}");
    let sessions: i64 = sessions::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(sessions, 1 + 3);
}

#[tokio::test]
async fn finishing_sign_ups_counts_as_registrations_from_the_address() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |s| s.limits.register_ip = limit("2/1h")).await;
    let (first, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&first), "/auth/complete");
    let bad = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "x")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "y")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
}
