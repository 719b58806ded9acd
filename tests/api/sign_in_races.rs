//! Provider sign-in under bursts of parallel requests: one `state` signs in once, one
//! identity links to one account, and parallel disconnects never remove the last way in.

use crate::helpers::{Browser, TestApp, location};
use crate::sign_in_flow::sign_in;
use crate::sign_in_limits::{callback_path, spawn};
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use futures_util::future::join_all;
use gatehouse::db::schema::{identities, sessions, users};
use reqwest::StatusCode;

const BURST: usize = 8;
/// Fewer than the app's 8 pooled connections: each waiting disconnect holds one.
const DISCONNECTS: usize = 6;

async fn statuses_and_locations(sends: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, String)> {
    let answers = join_all(sends.into_iter().map(|s| s.send())).await;
    answers.into_iter().map(|r| r.unwrap()).map(|r| (r.status(), location(&r))).collect()
}

fn no_server_error(answers: &[(StatusCode, String)]) {
    assert!(answers.iter().all(|(s, _)| !s.is_server_error()), "{answers:?}");
}

#[tokio::test]
async fn a_burst_of_callbacks_with_one_state_signs_in_once() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |_| {}).await;
    let (first, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&first), "/auth/complete");
    app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    let before: i64 = sessions::table.count().get_result(&mut app.db()).unwrap();
    let browser = app.browser();
    let path = callback_path(&browser, "mock", "/login", &[]).await;
    let sends = (0..BURST).map(|_| browser.client.get(browser.url(&path))).collect();
    let answers = statuses_and_locations(sends).await;
    no_server_error(&answers);
    let signed_in = answers.iter().filter(|(_, to)| to == "/dashboard").count();
    let refused = answers.iter().filter(|(s, _)| *s == StatusCode::BAD_REQUEST).count();
    assert_eq!((signed_in, refused), (1, BURST - 1), "{answers:?}");
    let after: i64 = sessions::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn parallel_connects_of_one_identity_to_two_accounts_link_it_to_one() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |_| {}).await;
    let (grace, heidi) = (app.logged_in("grace").await, app.logged_in("heidi").await);
    let mut pending: Vec<(&Browser, String)> = Vec::new();
    for _ in 0..BURST / 2 {
        for browser in [&grace, &heidi] {
            let path = callback_path(browser, "mock", "/account/connections", &[("link", "1")]).await;
            pending.push((browser, path));
        }
    }
    let sends = pending.iter().map(|(b, path)| b.client.get(b.url(path))).collect();
    let answers = statuses_and_locations(sends).await;
    no_server_error(&answers);
    let linked = answers.iter().filter(|(_, to)| to == "/account/connections").count();
    let conflicts = answers.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).count();
    assert_eq!((linked, conflicts), (BURST / 2, BURST / 2), "one account's connects all win: {answers:?}");
    let owners: Vec<String> =
        identities::table.inner_join(users::table).select(users::username).load(&mut app.db()).unwrap();
    assert_eq!(owners.len(), 1, "{owners:?}");
}

#[tokio::test]
async fn parallel_disconnects_of_both_providers_of_an_account_without_a_password_leave_one() {
    let idp = MockIdp::start().await;
    let app = spawn(&idp, |_| {}).await;
    let browser = app.browser();
    sign_in(&browser, "mock", "/login", &[]).await;
    let done = browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(location(&done), "/dashboard");
    idp.set(|b| b.subject = "4242".into());
    let (gh, _) = sign_in(&browser, "gh", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&gh), "/account/connections");
    let token = browser.csrf_token("/account/connections").await;

    // The identities' rows are held while the burst arrives, so that every disconnect
    // has read them before any may delete: only the account's lock can order them then.
    let held = app.hold_locks("SELECT id FROM identities FOR UPDATE");
    let sends: Vec<_> = (0..DISCONNECTS)
        .map(|i| {
            let name = if i % 2 == 0 { "mock" } else { "gh" };
            let action = browser.url(&format!("/account/connections/{name}/disconnect"));
            browser.client.post(action).form(&[("csrf_token", token.as_str())])
        })
        .collect();
    let burst = tokio::spawn(statuses_and_locations(sends));
    crate::helpers::eventually("every disconnect waits for a lock", || {
        app.waiting_for_locks() == DISCONNECTS as i64
    })
    .await;
    held.release().await;

    let answers = burst.await.unwrap();
    no_server_error(&answers);
    let done = answers.iter().filter(|(s, _)| *s == StatusCode::SEE_OTHER).count();
    assert_eq!(done, 1, "{answers:?}");
    let left: i64 = identities::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(left, 1);
}

#[tokio::test]
async fn an_account_with_two_identities_of_one_provider_keeps_a_way_in() {
    let idp = MockIdp::start().await;
    let app = TestApp::spawn_with(|s| s.auth_providers = crate::sign_in_flow::providers(&idp, false)).await;
    let browser = app.browser();
    sign_in(&browser, "mock", "/login", &[]).await;
    browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    // A second identity at the same provider, connected by posting the form directly.
    idp.set(|b| b.subject = "sub-2".into());
    let (again, _) = sign_in(&browser, "mock", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&again), "/account/connections");
    let refused = browser.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let left: i64 = identities::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(left, 2);
}
