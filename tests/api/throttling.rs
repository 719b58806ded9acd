//! Login and registration throttling: shared counts in the database, growing waits, and a
//! victim who can still get in.

use crate::helpers::{Browser, PASSWORD, TestApp, location};
use diesel::prelude::*;
use gatehouse::config::Policy;
use gatehouse::db::schema::users;
use reqwest::{Response, StatusCode};

async fn spawn(configure: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    TestApp::spawn_with(|s| {
        // Requests come from 127.0.0.1, standing in for a proxy that says who the client is.
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        configure(s);
    })
    .await
}

/// Logs in through the trusted proxy as the client at `ip`.
async fn login_from(browser: &Browser, ip: &str, username: &str, password: &str) -> Response {
    let token = browser.csrf_token("/login").await;
    browser
        .client
        .post(browser.url("/login"))
        .header("x-forwarded-for", ip)
        .form(&[("csrf_token", token.as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn repeated_failures_for_an_account_from_one_address_get_429_with_retry_after() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    app.register("target").await;
    for _ in 0..3 {
        let response = login_from(&app.browser, "203.0.113.7", "target", "wrong guess").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let throttled = login_from(&app.browser, "203.0.113.7", "target", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!((1..=30).contains(&retry_after(&throttled)));
    let html = throttled.text().await.unwrap();
    assert!(html.contains("Too many attempts") && html.contains("href=\"/password-reset\""));
}

#[tokio::test]
async fn the_owner_logging_in_from_another_address_is_not_locked_out() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    app.register("victim").await;
    for _ in 0..5 {
        login_from(&app.browser, "198.51.100.66", "victim", "attacker guess").await;
    }
    let owner = app.browser();
    let response = login_from(&owner, "192.0.2.10", "victim", PASSWORD).await;
    assert_eq!(location(&response), "/dashboard");
}

#[tokio::test]
async fn unknown_names_are_throttled_exactly_like_real_accounts() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("2/15m").unwrap()).await;
    app.register("real_one").await;
    for name in ["real_one", "made_up_name"] {
        for _ in 0..2 {
            assert_eq!(
                login_from(&app.browser, "203.0.113.8", name, "nope nope").await.status(),
                StatusCode::OK
            );
        }
        let response = login_from(&app.browser, "203.0.113.8", name, "nope nope").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{name}");
    }
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 1);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_throttled() {
    let app = spawn(|s| s.limits.login_ip = Policy::parse("4/15m").unwrap()).await;
    for n in 0..4 {
        let response = login_from(&app.browser, "203.0.113.9", &format!("user{n}"), "Summer2026!").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = login_from(&app.browser, "203.0.113.9", "user99", "Summer2026!").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address is unaffected.
    assert_eq!(login_from(&app.browser, "203.0.113.10", "user99", "x").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_wait_doubles_with_each_failure_past_the_limit() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("2/15m").unwrap()).await;
    app.register("slow").await;
    let mut waits = Vec::new();
    for _ in 0..2 {
        login_from(&app.browser, "203.0.113.11", "slow", "bad guess").await;
    }
    for _ in 0..3 {
        let response = login_from(&app.browser, "203.0.113.11", "slow", "bad guess").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&response);
        waits.push(wait);
        // Let the wait pass (by moving the log back in time), then fail once more.
        let shift =
            format!("UPDATE throttle_events SET created_at = created_at - interval '{} seconds'", wait + 1);
        diesel::sql_query(shift).execute(&mut app.db()).unwrap();
        assert_eq!(
            login_from(&app.browser, "203.0.113.11", "slow", "bad guess").await.status(),
            StatusCode::OK
        );
    }
    assert!(
        waits[0] <= 30 && waits[1] > 30 && waits[1] <= 60 && waits[2] > 60 && waits[2] <= 120,
        "{waits:?}"
    );
}

#[tokio::test]
async fn a_successful_login_clears_the_count_for_that_address() {
    let app = spawn(|s| s.limits.login_account_ip = Policy::parse("3/15m").unwrap()).await;
    app.register("forgetful").await;
    for _ in 0..2 {
        login_from(&app.browser, "203.0.113.12", "forgetful", "typo typo").await;
    }
    assert_eq!(
        location(&login_from(&app.browser(), "203.0.113.12", "forgetful", PASSWORD).await),
        "/dashboard"
    );
    for _ in 0..2 {
        let response = login_from(&app.browser, "203.0.113.12", "forgetful", "typo again").await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = TestApp::spawn_with(|s| s.limits.login_ip = Policy::parse("2/15m").unwrap()).await;
    for n in 0..2 {
        login_from(&app.browser, &format!("203.0.113.{n}"), "someone", "guess guess").await;
    }
    // The forged header names a fresh address, but the peer (127.0.0.1) is what counts.
    let response = login_from(&app.browser, "203.0.113.200", "someone", "guess guess").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn registrations_from_one_address_are_throttled() {
    let app = spawn(|s| s.limits.register_ip = Policy::parse("2/1h").unwrap()).await;
    for n in 0..2 {
        let response =
            app.browser.register(&format!("new{n}"), &format!("new{n}@example.com"), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let response = app.browser.register("new3", "new3@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 2);
}

#[tokio::test]
async fn reset_requests_from_one_address_are_throttled_whatever_the_address_asked_for() {
    let app = spawn(|s| s.limits.reset_ip = Policy::parse("2/1h").unwrap()).await;
    app.register("resetter").await;
    let ask = async |email: &str| {
        app.browser.submit("/password-reset", "/password-reset", &[("email", email)]).await
    };
    assert_eq!(location(&ask("resetter@example.com").await), "/login");
    assert_eq!(location(&ask("nobody@example.com").await), "/login");
    for email in ["resetter@example.com", "nobody@example.com"] {
        let response = ask(email).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert!(response.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
async fn a_password_reset_lets_a_victim_of_a_distributed_attack_back_in() {
    let (app, sink) = TestApp::spawn_with_mail(|s| {
        s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.limits.login_account = Policy::parse("3/1h").unwrap();
    })
    .await;
    app.register("besieged").await;
    for n in 0..3 {
        login_from(&app.browser, &format!("198.51.100.{n}"), "besieged", "botnet guess").await;
    }
    let owner = app.browser();
    let locked = login_from(&owner, "192.0.2.50", "besieged", PASSWORD).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);

    owner.submit("/password-reset", "/password-reset", &[("email", "besieged@example.com")]).await;
    let link = crate::password_reset::link_path(&sink.wait_for(1).await[0]);
    let fresh = "fresh start passphrase";
    let fields = [("password", fresh), ("confirm_password", fresh)];
    assert_eq!(location(&owner.submit(&link, &link, &fields).await), "/login");
    assert_eq!(location(&login_from(&owner, "192.0.2.50", "besieged", fresh).await), "/dashboard");
}
