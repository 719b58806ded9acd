//! A real HAProxy (Debian's `haproxy`, or `HAPROXY`) on loopback, running the config that
//! operators get (`docs/haproxy.cfg`) with one `server` line per instance appended, and
//! its stats socket to see which instances it considers up.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const CONFIG: &str = include_str!("../../../docs/haproxy.cfg");

pub struct Haproxy {
    pub base: String,
    socket: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    /// HAProxy on a free loopback port in front of `servers` (name, port), waiting until
    /// it answers on its stats socket.
    pub async fn start(servers: &[(&str, u16)]) -> Self {
        let dir = tempfile::tempdir().expect("a directory for HAProxy");
        let mut config = CONFIG.to_owned();
        for (name, port) in servers {
            config.push_str(&format!("    server {name} 127.0.0.1:{port}\n"));
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).expect("writing the HAProxy config");
        let port = free_port();
        let socket = dir.path().join("admin.sock");
        let child = Command::new(binary())
            .args(["-db", "-f"])
            .arg(&path)
            .env("GATEHOUSE_LISTEN", format!("127.0.0.1:{port}"))
            .env("HAPROXY_STATS_SOCKET", &socket)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("haproxy.log")).expect("HAProxy's log"))
            .spawn()
            .expect("starting haproxy (apt-get install haproxy, or set HAPROXY)");
        let proxy = Self { base: format!("http://127.0.0.1:{port}"), socket, child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while proxy.try_command("show info").await.is_none() {
            let log = std::fs::read_to_string(proxy._dir.path().join("haproxy.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "haproxy did not start:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        proxy
    }

    /// Each server's status as HAProxy sees it (`UP`, `DOWN`, `NOLB`...).
    pub async fn statuses(&self) -> Vec<(String, String)> {
        let csv = self.try_command("show stat").await.unwrap_or_default();
        let mut lines = csv.lines();
        let header: Vec<&str> =
            lines.next().unwrap_or_default().trim_start_matches("# ").split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name);
        let (Some(name), Some(status)) = (column("svname"), column("status")) else { return Vec::new() };
        lines
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|row| row.len() > status && !matches!(row[name], "FRONTEND" | "BACKEND"))
            .map(|row| (row[name].to_owned(), row[status].to_owned()))
            .collect()
    }

    /// Waits (at most 30 s) until HAProxy reports `server` as `status`.
    pub async fn wait_for(&self, server: &str, status: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let statuses = self.statuses().await;
            if statuses.iter().any(|(name, s)| name == server && s.starts_with(status)) {
                return;
            }
            assert!(Instant::now() < deadline, "{server} never became {status}: {statuses:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn try_command(&self, command: &str) -> Option<String> {
        let mut stream = tokio::net::UnixStream::connect(&self.socket).await.ok()?;
        stream.write_all(format!("{command}\n").as_bytes()).await.ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.ok()?;
        Some(answer)
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HAPROXY").filter(|p| !p.is_empty()) {
        return path.into();
    }
    let sbin = Path::new("/usr/sbin/haproxy");
    if sbin.exists() { sbin.into() } else { "haproxy".into() }
}

/// A port nothing listens on now (the kernel's pick, released for the caller to bind).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    listener.local_addr().expect("the port").port()
}
