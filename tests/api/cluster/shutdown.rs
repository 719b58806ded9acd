//! SIGTERM: `/readyz` says 503 at once while requests are still served for
//! `SHUTDOWN_DRAIN`, then the instance exits 0.

use super::instance::Instance;
use crate::support::postgres::new_test_database;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn sigterm_makes_readyz_fail_at_once_while_pages_are_still_served_then_exits_zero() {
    let mut instance = Instance::start(&new_test_database(), &[("SHUTDOWN_DRAIN", "6s")]);
    instance.ready().await;
    let client = reqwest::Client::new();
    let base = instance.base();
    let get = |path: &str| client.get(format!("{base}{path}")).send();
    instance.terminate();
    let deadline = Instant::now() + Duration::from_secs(5);
    while get("/readyz").await.unwrap().status() != StatusCode::SERVICE_UNAVAILABLE {
        assert!(Instant::now() < deadline, "/readyz kept saying ready after SIGTERM");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Draining, not refusing: pages and the liveness probe still answer.
    for path in ["/", "/login", "/healthz"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path} while draining");
        // No idle keep-alive connection is left for a proxy to reuse as the instance stops.
        assert_eq!(response.headers()["connection"], "close", "{path} while draining");
    }
    let exit = instance.exited().await;
    assert!(exit.success(), "exited with {exit}:\n{}", instance.log());
    assert!(get("/").await.is_err(), "still accepting connections after exit");
}
