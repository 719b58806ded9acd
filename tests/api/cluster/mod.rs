//! gatehouse as a cluster: a real HAProxy (running `docs/haproxy.cfg`) in front of two
//! gatehouse processes on one PostgreSQL, round robin, no sticky sessions, health checks
//! on `/readyz`, `TRUSTED_PROXIES` set to the proxy. Checks that need a given instance go
//! to it directly; the rest go through the proxy, landing wherever it sends them.
//!
//! The JSON API's and two-factor's cross-instance checks are in `behaviour.rs` too.

mod behaviour;
mod instance;
mod metrics;
mod migrations;
mod nginx;
mod restarts;
mod shutdown;

use crate::helpers::{Browser, MAIL_PUBLIC_URL, PASSWORD, location};
use crate::support::haproxy::Haproxy;
use crate::support::postgres::new_test_database;
use crate::support::smtp::SmtpSink;
use instance::Instance;

pub struct Cluster {
    pub database_url: String,
    pub instances: Vec<Instance>,
    pub proxy: Haproxy,
    pub sink: SmtpSink,
}

pub const NAMES: [&str; 2] = ["app1", "app2"];

impl Cluster {
    /// Two instances on a fresh database, both up behind HAProxy.
    pub async fn start(extra_env: &[(&str, &str)]) -> Self {
        let sink = SmtpSink::start().await;
        let database_url = new_test_database();
        let smtp = sink.url();
        let mut env = vec![("SMTP_URL", smtp.as_str()), ("PUBLIC_URL", MAIL_PUBLIC_URL)];
        env.extend_from_slice(extra_env);
        let mut instances: Vec<Instance> =
            NAMES.iter().map(|_| Instance::start(&database_url, &env)).collect();
        for instance in &mut instances {
            instance.ready().await;
        }
        let servers: Vec<(&str, u16)> = NAMES.iter().copied().zip(instances.iter().map(|i| i.port)).collect();
        let proxy = Haproxy::start(&servers).await;
        for name in NAMES {
            proxy.wait_for(name, "UP").await;
        }
        Self { database_url, instances, proxy, sink }
    }

    /// A new browser talking to the proxy.
    pub fn browser(&self) -> Browser {
        Browser::at(&self.proxy.base)
    }

    /// `browser` (its cookies) talking to instance `n` directly.
    pub fn direct(&self, browser: &Browser, n: usize) -> Browser {
        browser.on(&self.instances[n].base())
    }

    /// Registers `username` through the proxy and returns a browser logged in as it.
    pub async fn logged_in(&self, username: &str) -> Browser {
        let browser = self.browser();
        let registered = browser.register(username, &format!("{username}@example.com"), PASSWORD).await;
        assert_eq!(location(&registered), "/login", "registering {username}");
        assert_eq!(location(&browser.login(username, PASSWORD, false).await), "/dashboard");
        browser
    }
}

#[test]
fn the_operators_guide_shows_the_proxy_configs_exactly_as_the_tests_run_them() {
    let guide = include_str!("../../../docs/operations.md");
    assert!(guide.contains(crate::support::haproxy::CONFIG), "docs/operations.md lost docs/haproxy.cfg");
    assert!(
        guide.contains(include_str!("../../../docs/nginx.conf")),
        "docs/operations.md lost docs/nginx.conf"
    );
}
