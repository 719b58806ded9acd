//! A real nginx on loopback in front of gatehouse instances: the upstream and server
//! blocks of `docs/nginx.conf` on test ports, proxying with `docs/nginx-proxy.conf` itself.

use crate::support::haproxy::free_port;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PROXY_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/nginx-proxy.conf");

pub struct Nginx {
    pub base: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// nginx on a free loopback port in front of instances on `ports`, once it answers.
    pub async fn start(ports: &[u16]) -> Self {
        let dir = tempfile::tempdir().expect("a directory for nginx");
        let port = free_port();
        let servers: String =
            ports.iter().map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n")).collect();
        let d = dir.path().display();
        let config = format!(
            // One process, so killing it leaves no orphaned worker behind.
            "master_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             upstream gatehouse {{\n{servers} keepalive 32;\n}}\n\
             server {{\n listen 127.0.0.1:{port};\n client_max_body_size 64k;\n\
             location / {{ include {PROXY_CONFIG}; }}\n}}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, config).expect("writing the nginx config");
        let child = Command::new(binary())
            .args(["-g", "daemon off;", "-p"])
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nginx (apt-get install nginx-light, or set NGINX)");
        let nginx = Self { base: format!("http://127.0.0.1:{port}"), child, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/healthz", nginx.base)).await.is_err() {
            let log = std::fs::read_to_string(nginx.dir.path().join("error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx did not start:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> std::path::PathBuf {
    match std::env::var_os("NGINX").filter(|p| !p.is_empty()) {
        Some(path) => path.into(),
        None if std::path::Path::new("/usr/sbin/nginx").exists() => "/usr/sbin/nginx".into(),
        None => "nginx".into(),
    }
}
