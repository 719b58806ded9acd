//! Refresh tokens: each spent by its one use, a spent one presented again revoking the
//! whole login, and of concurrent refreshes with one token exactly one succeeding.

use super::{Api, Pair, assert_invalid_token, error_code};
use crate::helpers::TestApp;
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, refresh_tokens, sessions};
use reqwest::StatusCode;
use serde_json::Value;

async fn setup(name: &str) -> (TestApp, Api, Pair) {
    let app = TestApp::spawn().await;
    app.register(name).await;
    let api = Api::new(&app);
    let pair = api.pair(name).await;
    (app, api, pair)
}

#[tokio::test]
async fn a_refresh_gives_a_new_pair_of_the_same_login_and_spends_the_old_token() {
    let (app, api, first) = setup("alice").await;
    let response = api.refresh(&first.refresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let second = Pair::from(body.clone());
    assert_ne!(second.refresh, first.refresh);
    assert!(body["refresh_expires_in"].as_i64().unwrap() <= 30 * 24 * 3600);
    assert_eq!(super::claims_of(&second.access).sid, super::claims_of(&first.access).sid);
    assert_eq!(api.me_status(&second.access).await, StatusCode::OK);
    // Only hashes are stored.
    let hashes: Vec<String> =
        refresh_tokens::table.select(refresh_tokens::token_hash).load(&mut app.db()).unwrap();
    assert_eq!(hashes.len(), 2);
    assert!(hashes.iter().all(|h| h.len() == 64 && *h != first.refresh && *h != second.refresh));
}

#[tokio::test]
async fn a_spent_refresh_token_presented_again_revokes_the_whole_login_and_is_audited() {
    let (app, api, first) = setup("alice").await;
    let second = Pair::from(api.refresh(&first.refresh).await.json::<Value>().await.unwrap());
    let replay = api.refresh(&first.refresh).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(replay).await, "invalid_grant");
    // Every token of the login is dead: the thief's and the owner's alike.
    assert_invalid_token(api.get("/api/v1/me", &second.access).await).await;
    assert_invalid_token(api.get("/api/v1/me", &first.access).await).await;
    assert_eq!(error_code(api.refresh(&second.refresh).await).await, "invalid_grant");
    let count: i64 = sessions::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(count, 0);
    let reused: i64 = audit_events::table
        .filter(audit_events::action.eq("session.refresh_token_reused"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(reused, 1);
    // Another login of the same account is untouched by it.
    assert_eq!(api.me_status(&api.pair("alice").await.access).await, StatusCode::OK);
}

#[tokio::test]
async fn of_concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let (_app, api, pair) = setup("alice").await;
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (client, url) = (api.client.clone(), api.url("/api/v1/auth/refresh"));
        let body = serde_json::json!({ "refresh_token": pair.refresh });
        burst.spawn(async move { client.post(url).json(&body).send().await.unwrap() });
    }
    let mut winners = Vec::new();
    while let Some(response) = burst.join_next().await {
        let response = response.unwrap();
        match response.status() {
            StatusCode::OK => winners.push(Pair::from(response.json::<Value>().await.unwrap())),
            StatusCode::UNAUTHORIZED => assert_eq!(error_code(response).await, "invalid_grant"),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    // The losers presented a spent token: reuse, so the login ends (RFC 9700's rule; a
    // client must not refresh one login twice at once). The winner's pair dies with it.
    assert_eq!(error_code(api.refresh(&winners[0].refresh).await).await, "invalid_grant");
}

#[tokio::test]
async fn a_login_ends_at_its_refresh_lifetime_however_often_it_is_refreshed() {
    let (app, api, pair) = setup("alice").await;
    // Arrange: the login reached its end (REFRESH_TOKEN_TTL after it began).
    let ended = gatehouse::db::now() - chrono::TimeDelta::seconds(1);
    diesel::update(sessions::table).set(sessions::expires_at.eq(ended)).execute(&mut app.db()).unwrap();
    assert_eq!(error_code(api.refresh(&pair.refresh).await).await, "invalid_grant");
    assert_invalid_token(api.get("/api/v1/me", &pair.access).await).await;
}

#[tokio::test]
async fn the_login_lifetime_is_refresh_token_ttl() {
    let app = TestApp::spawn_with(|s| s.api.refresh_token_ttl = chrono::TimeDelta::hours(3)).await;
    app.register("alice").await;
    let body: Value = Api::new(&app).login("alice", crate::helpers::PASSWORD).await.json().await.unwrap();
    let left = body["refresh_expires_in"].as_i64().unwrap();
    assert!((3 * 3600 - 60..=3 * 3600).contains(&left), "{left}");
}

#[tokio::test]
async fn login_refresh_and_me_work_on_sqlite() {
    let app = TestApp::spawn_sqlite().await;
    app.register("alice").await;
    let api = Api::new(&app);
    let pair = api.pair("alice").await;
    assert_eq!(api.me_status(&pair.access).await, StatusCode::OK);
    let next = Pair::from(api.refresh(&pair.refresh).await.json::<Value>().await.unwrap());
    assert_eq!(error_code(api.refresh(&pair.refresh).await).await, "invalid_grant");
    assert_invalid_token(api.get("/api/v1/me", &next.access).await).await;
}
