//! A rolling restart under load: each instance in turn gets SIGTERM, drains, exits 0 and
//! starts again, while requests keep coming through HAProxy; none of them fails.

use super::instance::series;
use super::{Cluster, NAMES};
use crate::helpers::{Browser, PASSWORD, location};
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::task::JoinSet;

/// Parallel clients keeping the cluster busy.
const CLIENTS: usize = 4;

#[tokio::test]
async fn restarting_each_instance_in_turn_under_load_fails_no_request() {
    let mut cluster = Cluster::start(&[("SHUTDOWN_DRAIN", "4s")]).await;
    let user = Arc::new(cluster.logged_in("frank").await);
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = JoinSet::new();
    for _ in 0..CLIENTS {
        load.spawn(keep_viewing(user.clone(), stop.clone()));
    }
    cluster.logged_in("grace").await;
    load.spawn(keep_logging_in(cluster.proxy.base.clone(), "grace", stop.clone()));
    for (n, name) in NAMES.iter().enumerate() {
        cluster.instances[n].terminate();
        // Draining: the proxy takes it out of rotation while it still serves.
        cluster.proxy.wait_for(name, "DOWN").await;
        assert!(cluster.instances[n].is_running(), "{name} stopped before the proxy noticed");
        let exit = cluster.instances[n].exited().await;
        assert!(exit.success(), "{name} exited with {exit}:\n{}", cluster.instances[n].log());
        let mut restarted = cluster.instances[n].restart();
        restarted.ready().await;
        cluster.proxy.wait_for(name, "UP").await;
        cluster.instances[n] = restarted;
    }
    // The proxy sends load to the restarted processes (their counters started at zero).
    let served = |scrape: &str| {
        series(scrape, "gatehouse_http_requests_total", "method=\"GET\",route=\"/dashboard\",status=\"200\"")
    };
    for instance in &cluster.instances {
        instance.scrape_until("the restarted instance gets traffic", |scrape| served(scrape) >= 10.0).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (mut asked, mut failures) = (0, Vec::new());
    while let Some(outcome) = load.join_next().await {
        let (n, failed) = outcome.unwrap();
        asked += n;
        failures.extend(failed);
    }
    assert!(failures.is_empty(), "{} of {asked} requests failed: {failures:?}", failures.len());
    assert!(asked > 100, "only {asked} requests were made");
}

/// `GET /dashboard` through the proxy until told to stop: how many, and what went wrong.
pub async fn keep_viewing(user: Arc<Browser>, stop: Arc<AtomicBool>) -> (usize, Vec<String>) {
    let (mut asked, mut failed) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) {
        asked += 1;
        match user.client.get(user.url("/dashboard")).send().await {
            Ok(response) if response.status() == StatusCode::OK => {}
            Ok(response) => failed.push(format!("dashboard: {}", response.status())),
            Err(e) => failed.push(format!("dashboard: {e}")),
        }
    }
    (asked, failed)
}

/// Logs in again and again from new browsers (a form, then a POST that verifies a
/// password): slower requests, more likely to be in flight when an instance stops.
pub async fn keep_logging_in(
    base: String,
    username: &'static str,
    stop: Arc<AtomicBool>,
) -> (usize, Vec<String>) {
    let (mut asked, mut failed) = (0, Vec::new());
    while !stop.load(Ordering::Relaxed) {
        asked += 2;
        let response = Browser::at(&base).login(username, PASSWORD, false).await;
        if location(&response) != "/dashboard" {
            failed.push(format!("login: {}", response.status()));
        }
    }
    (asked, failed)
}
