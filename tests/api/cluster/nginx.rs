//! The same two instances behind nginx (`docs/nginx-proxy.conf`): a session works
//! across them, and a rolling restart under load fails no request, though nginx only
//! notices an instance is gone when a connection is refused.

use super::instance::{Instance, series};
use super::restarts::{keep_logging_in, keep_viewing};
use crate::helpers::{Browser, PASSWORD, location};
use crate::support::nginx::Nginx;
use crate::support::postgres::new_test_database;
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

#[tokio::test]
async fn behind_nginx_a_session_spans_both_instances_and_a_rolling_restart_fails_no_request() {
    let url = new_test_database();
    let mut instances: Vec<Instance> =
        (0..2).map(|_| Instance::start(&url, &[("SHUTDOWN_DRAIN", "1s")])).collect();
    for instance in &mut instances {
        instance.ready().await;
    }
    let nginx = Nginx::start(&instances.iter().map(|i| i.port).collect::<Vec<_>>()).await;
    let user = Browser::at(&nginx.base);
    assert_eq!(location(&user.register("heidi", "heidi@example.com", PASSWORD).await), "/login");
    assert_eq!(location(&user.login("heidi", PASSWORD, false).await), "/dashboard");
    for _ in 0..4 {
        assert_eq!(user.get("/dashboard").await.status(), StatusCode::OK);
    }
    Browser::at(&nginx.base).register("ivan", "ivan@example.com", PASSWORD).await;

    let (user, stop) = (Arc::new(user), Arc::new(AtomicBool::new(false)));
    let mut load = JoinSet::new();
    for _ in 0..3 {
        load.spawn(keep_viewing(user.clone(), stop.clone()));
    }
    load.spawn(keep_logging_in(nginx.base.clone(), "ivan", stop.clone()));
    let served = |scrape: &str| {
        series(scrape, "gatehouse_http_requests_total", "method=\"GET\",route=\"/dashboard\",status=\"200\"")
    };
    for instance in &mut instances {
        instance.terminate();
        let exit = instance.exited().await;
        assert!(exit.success(), "exited with {exit}:\n{}", instance.log());
        let mut restarted = instance.restart();
        restarted.ready().await;
        // nginx sends it traffic again before the other one goes.
        restarted.scrape_until("nginx uses the restarted instance", |s| served(s) >= 10.0).await;
        *instance = restarted;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut asked, mut failures) = (0, Vec::new());
    while let Some(outcome) = load.join_next().await {
        let (n, failed) = outcome.unwrap();
        asked += n;
        failures.extend(failed);
    }
    assert!(failures.is_empty(), "{} of {asked} requests failed: {failures:?}", failures.len());
}
