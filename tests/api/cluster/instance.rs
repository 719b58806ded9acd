//! One gatehouse process (the built binary) on loopback ports of its own, as an operator
//! runs it: configured by environment, stopped by signal.

use crate::support::haproxy::free_port;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const SECRET_KEY: &str = "cluster-test-secret-key-shared-by-every-instance-0123456789abcdef";

pub struct Instance {
    pub port: u16,
    pub metrics_port: u16,
    env: Vec<(String, String)>,
    child: Child,
    /// Where its log goes (`RUST_LOG=warn`), shown when it fails to start.
    log: tempfile::NamedTempFile,
}

impl Instance {
    /// Starts an instance on `database_url`, with `env` on top of the defaults (which a
    /// test may override: later entries win). Does not wait for it: see [`Instance::ready`].
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let (port, metrics_port) = (free_port(), free_port());
        let mut all: Vec<(String, String)> = [
            ("DATABASE_URL", database_url),
            ("SECRET_KEY", SECRET_KEY),
            ("BCRYPT_COST", "4"),
            ("RUST_LOG", "warn"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ]
        .iter()
        .chain(env)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        all.push(("BIND_ADDR".into(), format!("127.0.0.1:{port}")));
        all.push(("METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}")));
        Self::spawn(port, metrics_port, all)
    }

    fn spawn(port: u16, metrics_port: u16, env: Vec<(String, String)>) -> Self {
        let log = tempfile::NamedTempFile::new().expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
            .arg("serve")
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("the log file"))
            .spawn()
            .expect("starting gatehouse");
        Self { port, metrics_port, env, child, log }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Waits (at most 60 s) until `/readyz` answers 200; fails the test if the process
    /// exits first.
    pub async fn ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("instance on port {} exited with {status}:\n{}", self.port, self.log());
            }
            let answer = client.get(format!("{}/readyz", self.base())).send().await;
            if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "instance on port {} never got ready:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn terminate(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(sent.is_ok_and(|s| s.success()), "could not signal the instance");
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("checking on the instance").is_none()
    }

    /// Waits for the process to exit (at most 60 s) and returns how it did.
    pub async fn exited(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the instance") {
                return status;
            }
            assert!(Instant::now() < deadline, "instance on port {} did not exit", self.port);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The same instance again (same ports, same settings), after it exited.
    pub fn restart(&self) -> Self {
        Self::spawn(self.port, self.metrics_port, self.env.clone())
    }

    /// The body of `GET /metrics`.
    pub async fn scrape(&self) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        let response = reqwest::get(url).await.expect("scraping metrics");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.text().await.expect("reading metrics")
    }
}

impl Instance {
    /// Scrapes until `condition` holds for a scrape (at most 30 s), and returns that scrape.
    pub async fn scrape_until(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let scrape = self.scrape().await;
            if condition(&scrape) {
                return scrape;
            }
            assert!(Instant::now() < deadline, "timed out waiting until {what}:\n{scrape}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the series `name{labels}` in a scrape (labels as rendered, in order,
/// e.g. `outcome="success"`), or 0 when it is absent.
pub fn series(scrape: &str, name: &str, labels: &str) -> f64 {
    let wanted = if labels.is_empty() { name.to_owned() } else { format!("{name}{{{labels}}}") };
    scrape
        .lines()
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(key, _)| *key == wanted)
        .map_or(0.0, |(_, value)| value.parse().expect("a number"))
}
