//! Provider sign-in at the edges: a provider that redirects, hangs, or is down when the
//! app starts, and a `state` past its 10 minutes.

use crate::helpers::{TestApp, eventually, flashes, location};
use crate::sign_in_flow::{app_with, provider, providers, sign_in};
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use gatehouse::config::ProviderKind;
use gatehouse::db::schema::auth_pending;
use reqwest::StatusCode;
use std::time::Duration;

const UNREACHABLE: &str = "mock Label could not be reached. Please try again in a moment.";

#[tokio::test]
async fn the_provider_client_follows_no_redirect() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    idp.set(|b| b.token_redirect = true);
    let browser = app.browser();
    let (answer, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&answer), "/login");
    assert_eq!(flashes(&browser.get_html("/login").await, "error"), [UNREACHABLE]);
    assert_eq!(idp.token_calls(), 0, "the code was posted where the redirect pointed");
}

#[tokio::test]
async fn a_provider_that_does_not_answer_is_given_up_on() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    // Longer than the client's timeout: without one, the callback would wait it out and succeed.
    idp.set(|b| b.token_delay = Some(Duration::from_secs(40)));
    let browser = app.browser();
    let (answer, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&answer), "/login");
    assert_eq!(flashes(&browser.get_html("/login").await, "error"), [UNREACHABLE]);
}

#[tokio::test]
async fn a_provider_down_at_start_does_not_stop_the_app_and_is_retried_in_the_background() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with(|s| {
        s.auth_providers = vec![provider("mock", ProviderKind::Oidc { issuer }, false)];
    })
    .await;
    assert_eq!(app.browser.get("/healthz").await.status(), StatusCode::OK);
    assert!(app.browser.get_html("/login").await.contains("Continue with mock Label"));
    let pressed = app.browser.submit("/login", "/auth/mock", &[]).await;
    assert_eq!(location(&pressed), "/login");
    assert_eq!(flashes(&app.browser.get_html("/login").await, "error"), [UNREACHABLE]);

    let idp = MockIdp::start_on("127.0.0.1", port).await;
    // Nobody asks the app anything now: the discovery it fetches is its own retry.
    eventually("the app fetched the discovery document again", || idp.discovery_fetches() > 0).await;
    let (answer, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&answer), "/auth/complete");
}

#[tokio::test]
async fn a_state_lives_ten_minutes() {
    let idp = MockIdp::start().await;
    let app = TestApp::spawn_with(|s| s.auth_providers = providers(&idp, false)).await;
    let start = app.browser.submit("/login", "/auth/mock", &[]).await;
    let callback = crate::sign_in_flow::provider_redirect(&location(&start)).await;
    let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) = auth_pending::table
        .select((auth_pending::created_at, auth_pending::expires_at))
        .first(&mut app.db())
        .unwrap();
    assert_eq!(expires - created, chrono::TimeDelta::minutes(10));
    // Ten minutes later.
    diesel::update(auth_pending::table)
        .set(auth_pending::expires_at.eq(gatehouse::db::now() - chrono::TimeDelta::seconds(1)))
        .execute(&mut app.db())
        .unwrap();
    assert_eq!(app.browser.get(&callback).await.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn serve_stops_with_a_one_line_reason_when_a_listed_provider_lacks_its_client_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .env("DATABASE_URL", format!("sqlite://{}/g.db", dir.path().display()))
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SECRET_KEY", "k".repeat(64))
        .env("AUTH_PROVIDERS", "corp")
        .env("AUTH_CORP_ISSUER", "https://id.example.com")
        .env("AUTH_CORP_CLIENT_SECRET", "s3cret")
        .env_remove("AUTH_CORP_CLIENT_ID")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AUTH_CORP_CLIENT_ID is required"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("s3cret"));
}
