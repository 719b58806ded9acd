//! Throttles under bursts of parallel requests: at most the limit get through, the rest
//! get 429, whatever the interleaving. IPv6 clients count per /64.

use crate::helpers::{Browser, PASSWORD, TestApp};
use diesel::prelude::*;
use futures_util::future::join_all;
use gatehouse::config::Policy;
use gatehouse::db::schema::{audit_events, users};
use reqwest::StatusCode;

const BURST: usize = 40;

async fn spawn(configure: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    TestApp::spawn_with(|s| {
        // Requests come from 127.0.0.1, standing in for a proxy that says who the client is.
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.db_pool_size = 8;
        configure(s);
    })
    .await
}

/// Posts `fields` (with the CSRF token of `page`) `n` times at once, as the client `ip`.
async fn burst(
    browser: &Browser,
    page: &str,
    action: &str,
    ip: &str,
    fields: &[(&str, &str)],
    n: usize,
) -> Vec<StatusCode> {
    let token = browser.csrf_token(page).await;
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    let sends = (0..n)
        .map(|_| browser.client.post(browser.url(action)).header("x-forwarded-for", ip).form(&form).send());
    join_all(sends).await.into_iter().map(|r| r.unwrap().status()).collect()
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

fn failed_logins(app: &TestApp) -> i64 {
    audit_events::table
        .filter(audit_events::action.eq("login.failed"))
        .count()
        .get_result(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_for_one_account_checks_at_most_the_limit() {
    let app = spawn(|_| {}).await;
    app.register("burst_target").await;
    let fields = [("username", "burst_target"), ("password", "wrong guess")];
    let statuses = burst(&app.browser, "/login", "/login", "203.0.113.40", &fields, BURST).await;
    let (checked, throttled) =
        (count(&statuses, StatusCode::OK), count(&statuses, StatusCode::TOO_MANY_REQUESTS));
    let limit = app_limit();
    assert!(checked <= limit, "{checked} of {BURST} guesses were checked; the limit is {limit}");
    assert_eq!(checked + throttled, BURST, "{statuses:?}");
    assert_eq!(failed_logins(&app), checked as i64, "only checked guesses are failed logins");
}

#[tokio::test]
async fn a_burst_for_an_unknown_name_is_held_to_the_same_limit() {
    let app = spawn(|_| {}).await;
    let fields = [("username", "nobody_here"), ("password", "wrong guess")];
    let statuses = burst(&app.browser, "/login", "/login", "203.0.113.41", &fields, BURST).await;
    let (checked, throttled) =
        (count(&statuses, StatusCode::OK), count(&statuses, StatusCode::TOO_MANY_REQUESTS));
    assert!(checked <= app_limit(), "{checked} of {BURST} guesses were checked");
    assert_eq!(checked + throttled, BURST, "{statuses:?}");
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
}

/// The default `LIMIT_LOGIN_ACCOUNT_IP`: 5 per 15 minutes.
fn app_limit() -> usize {
    gatehouse::config::Limits::default().login_account_ip.limit as usize
}

#[tokio::test]
async fn a_burst_of_registrations_from_one_address_creates_at_most_the_limit() {
    let app = spawn(|s| s.limits.register_ip = Policy::parse("3/1h").unwrap()).await;
    let token = app.browser.csrf_token("/register").await;
    let sends = (0..20).map(|n| {
        let (name, email) = (format!("racer{n}"), format!("racer{n}@example.com"));
        let form = [
            ("csrf_token", token.clone()),
            ("username", name),
            ("email", email),
            ("password", PASSWORD.into()),
            ("confirm_password", PASSWORD.into()),
        ];
        app.browser
            .client
            .post(app.browser.url("/register"))
            .header("x-forwarded-for", "203.0.113.42")
            .form(&form)
            .send()
    });
    let statuses: Vec<StatusCode> = join_all(sends).await.into_iter().map(|r| r.unwrap().status()).collect();
    assert_eq!(count(&statuses, StatusCode::SEE_OTHER), 3, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 17, "{statuses:?}");
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 3);
}

#[tokio::test]
async fn a_burst_of_reset_requests_from_one_address_is_held_to_the_limit() {
    let app = spawn(|s| s.limits.reset_ip = Policy::parse("4/1h").unwrap()).await;
    let fields = [("email", "someone@example.com")];
    let statuses =
        burst(&app.browser, "/password-reset", "/password-reset", "203.0.113.43", &fields, 20).await;
    assert_eq!(count(&statuses, StatusCode::SEE_OTHER), 4, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 16, "{statuses:?}");
}

#[tokio::test]
async fn a_burst_of_wrong_current_passwords_is_held_to_the_login_limit() {
    let app = spawn(|_| {}).await;
    app.register("changer").await;
    let browser = app.browser();
    assert_eq!(crate::helpers::location(&login_as(&browser, "203.0.113.44", "changer").await), "/dashboard");
    let fields = [
        ("current_password", "not my password"),
        ("password", "a brand new passphrase"),
        ("confirm_password", "a brand new passphrase"),
    ];
    let statuses =
        burst(&browser, "/account/password", "/account/password", "203.0.113.44", &fields, 20).await;
    let wrong = count(&statuses, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong <= app_limit(), "{wrong} wrong current passwords were checked");
    assert_eq!(wrong + count(&statuses, StatusCode::TOO_MANY_REQUESTS), 20, "{statuses:?}");
}

async fn login_as(browser: &Browser, ip: &str, username: &str) -> reqwest::Response {
    let token = browser.csrf_token("/login").await;
    let form = [("csrf_token", token.as_str()), ("username", username), ("password", PASSWORD)];
    browser.client.post(browser.url("/login")).header("x-forwarded-for", ip).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn ipv6_clients_are_throttled_per_64() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    app.register("v6_target").await;
    let guess = async |ip: &str| {
        let fields = [("username", "v6_target"), ("password", "wrong guess")];
        burst(&app.browser, "/login", "/login", ip, &fields, 1).await[0]
    };
    // Three addresses of one /64: each a fresh address, all one host's network.
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        assert_eq!(guess(ip).await, StatusCode::OK, "{ip}");
    }
    assert_eq!(guess("2001:db8:1:2:abcd:ef01:2345:6789").await, StatusCode::TOO_MANY_REQUESTS);
    // The neighbouring /64 is someone else.
    assert_eq!(guess("2001:db8:1:3::1").await, StatusCode::OK);
}
