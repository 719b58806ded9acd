//! A logged-in page costs one database round trip: the session, its account and roles
//! come back in one query, however many extractors ask for the user. Pages arriving
//! together share it: their lookups go out as one statement.

use crate::helpers::{PASSWORD, TestApp, location};
use reqwest::StatusCode;

/// Statements the app's request pool runs while `requests` GETs of `path` are answered.
async fn statements_for(app: &TestApp, browser: &crate::helpers::Browser, path: &str, requests: u64) -> u64 {
    let before = app.requests_db.statements();
    for _ in 0..requests {
        assert_eq!(browser.get(path).await.status(), StatusCode::OK, "{path}");
    }
    app.requests_db.statements() - before
}

#[tokio::test]
async fn a_logged_in_dashboard_makes_one_query() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("frugal").await;
    // The dashboard asks for the user twice (its nav and its content): still one query.
    assert_eq!(statements_for(&app, &browser, "/dashboard", 10).await, 10);
}

#[tokio::test]
async fn an_anonymous_page_makes_no_query() {
    let app = TestApp::spawn().await;
    assert_eq!(statements_for(&app, &app.browser, "/login", 5).await, 0);
    assert_eq!(statements_for(&app, &app.browser, "/", 5).await, 0);
}

#[tokio::test]
async fn a_burst_of_logged_in_pages_is_read_on_the_workers_one_pipelined_connection() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("piper").await;
    app.until_pipelined(&browser).await;
    let db = &app.requests_db;
    let (reads, statements) = (db.pipelined_reads(), db.statements());
    let burst = (0..40).map(|_| browser.get("/dashboard"));
    for response in futures_util::future::join_all(burst).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(db.pipelined_reads() - reads, 40, "every read of the burst on the pipeline");
    let statements = db.statements() - statements;
    assert!((1..=40).contains(&statements), "at most one statement each, shared when together: {statements}");
}

#[tokio::test]
async fn lookups_that_arrive_while_one_is_out_go_out_together_each_with_its_own_answer() {
    let app = TestApp::spawn().await;
    let names: Vec<String> = (0..8).map(|i| format!("batched{i}")).collect();
    let mut browsers = Vec::new();
    for name in &names {
        browsers.push(std::sync::Arc::new(app.logged_in(name).await));
    }
    app.until_pipelined(&browsers[0]).await;
    let db = &app.requests_db;
    let (reads, statements) = (db.pipelined_reads(), db.statements());

    // The worker's next read waits on the sessions table; 39 pages arrive meanwhile,
    // five from each of the 8 sessions (one less from the first).
    let held = app.hold_locks("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE");
    let page = |i: usize| {
        let browser = browsers[i % 8].clone();
        tokio::spawn(async move { browser.get("/dashboard").await.text().await.unwrap() })
    };
    let first = page(0);
    crate::helpers::eventually("the first read waits for the lock", || app.waiting_for_locks() == 1).await;
    let rest: Vec<_> = (1..40).map(page).collect();
    crate::helpers::eventually("the other 39 wait behind it", || db.lookups_waiting() == 39).await;
    held.release().await;

    let pages = futures_util::future::join_all(std::iter::once(first).chain(rest)).await;
    for (i, page) in pages.into_iter().enumerate() {
        let own = format!(r#"<dd class="username">{}</dd>"#, names[i % 8]);
        assert!(page.unwrap().contains(&own), "page {i} shows its own session's account");
    }
    assert_eq!(db.pipelined_reads() - reads, 40);
    assert_eq!(db.statements() - statements, 2, "the first read, then one for the 39 that waited");
    assert_eq!(db.lookups_waiting(), 0);
}

#[tokio::test]
async fn a_revoked_session_is_refused_by_the_very_next_pipelined_read() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("revoked").await;
    app.until_pipelined(&browser).await;
    let other = app.browser();
    assert_eq!(location(&other.login("revoked", PASSWORD, false).await), "/dashboard");
    let revoked = other.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    assert_eq!(location(&revoked), "/account/sessions");
    let reads = app.requests_db.pipelined_reads();
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(app.requests_db.pipelined_reads() - reads, 1, "answered on the pipeline, not the pool");
}

#[tokio::test]
async fn an_api_request_with_an_access_token_makes_one_query() {
    let app = TestApp::spawn().await;
    app.register("programmatic").await;
    let api = crate::api::Api::new(&app);
    let pair = api.pair("programmatic").await;
    // The login's own work is done; from here on each /me is its one read.
    assert_eq!(api.me_status(&pair.access).await, StatusCode::OK);
    let before = app.requests_db.statements();
    for _ in 0..10 {
        let me = api.get("/api/v1/me", &pair.access).await;
        assert_eq!(me.status(), StatusCode::OK);
        let body: serde_json::Value = me.json().await.unwrap();
        assert_eq!(
            (body["username"].as_str(), body["email_verified"].as_bool()),
            (Some("programmatic"), Some(false))
        );
    }
    assert_eq!(app.requests_db.statements() - before, 10);
}

#[tokio::test]
async fn personal_tokens_arriving_together_are_read_together_each_as_its_own_account() {
    let app = TestApp::spawn().await;
    let api = std::sync::Arc::new(crate::api::Api::new(&app));
    let names: Vec<String> = (0..4).map(|i| format!("scripted{i}")).collect();
    let mut tokens = Vec::new();
    for name in &names {
        let browser = app.logged_in(name).await;
        let token = crate::api::personal_tokens::make(&browser, "batch", "30", "read").await;
        // Used once, so last-used is fresh and no request below writes.
        assert_eq!(api.me_status(&token).await, StatusCode::OK);
        tokens.push(token);
    }
    app.until_pipelined(&app.logged_in("pipelined").await).await;
    let db = &app.requests_db;
    let (reads, statements) = (db.pipelined_reads(), db.statements());

    let held = app.hold_locks("LOCK TABLE personal_access_tokens IN ACCESS EXCLUSIVE MODE");
    let me = |i: usize| {
        let (api, token) = (api.clone(), tokens[i % 4].clone());
        tokio::spawn(async move {
            let response = api.get("/api/v1/me", &token).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<serde_json::Value>().await.unwrap()["username"].as_str().unwrap().to_owned()
        })
    };
    let first = me(0);
    crate::helpers::eventually("the first read waits for the lock", || app.waiting_for_locks() == 1).await;
    let rest: Vec<_> = (1..12).map(me).collect();
    crate::helpers::eventually("the other 11 wait behind it", || db.lookups_waiting() == 11).await;
    held.release().await;

    let answers = futures_util::future::join_all(std::iter::once(first).chain(rest)).await;
    for (i, username) in answers.into_iter().enumerate() {
        assert_eq!(username.unwrap(), names[i % 4], "answer {i} is its own token's account");
    }
    assert_eq!(db.pipelined_reads() - reads, 12);
    assert_eq!(db.statements() - statements, 2, "the first read, then one for the 11 that waited");
}
