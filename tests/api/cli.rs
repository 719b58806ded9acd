//! The `gatehouse` binary: `migrate`, `create-admin`, and refusing bad settings.

use crate::helpers::{PASSWORD, TestApp, location};
use diesel::prelude::*;
use gatehouse::db::schema::users;
use std::io::Write;
use std::process::{Command, Output, Stdio};

pub fn gatehouse(database_url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running gatehouse");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn migrate_applies_pending_migrations_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/m.db", dir.path().display());
    let first = gatehouse(&url, &["migrate"], "");
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("applied 20261123000001"));
    let second = gatehouse(&url, &["migrate"], "");
    assert!(text(&second.stdout).contains("no pending migrations"));
}

#[tokio::test]
async fn create_admin_creates_an_active_admin_who_can_log_in() {
    let app = TestApp::spawn().await;
    let out = gatehouse(
        &app.database_url,
        &["create-admin", "--username", "root_admin", "--email", "Root@Example.com"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created admin account root_admin"));
    assert_eq!(location(&app.browser.login("root@example.com", PASSWORD, false).await), "/dashboard");
    assert!(app.browser.get_html("/dashboard").await.contains("<span class=\"badge\">admin</span>"));
}

#[tokio::test]
async fn create_admin_promotes_and_reactivates_an_existing_account_without_touching_its_password() {
    let app = TestApp::spawn().await;
    app.register("promoted").await;
    diesel::update(users::table).set(users::is_active.eq(false)).execute(&mut app.db()).unwrap();
    let out = gatehouse(
        &app.database_url,
        &["create-admin", "--username", "PROMOTED", "--email", "x@example.com"],
        "another password entirely\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(location(&app.browser.login("promoted", PASSWORD, false).await), "/dashboard");
    assert!(app.browser.get_html("/dashboard").await.contains("<span class=\"badge\">admin</span>"));
    let email: String = users::table.select(users::email).first(&mut app.db()).unwrap();
    assert_eq!(email, "promoted@example.com");
}

#[tokio::test]
async fn create_admin_refuses_bad_input_with_a_one_line_reason() {
    let app = TestApp::spawn().await;
    let cases = [
        (["create-admin", "--username", "ok_name", "--email", "ok@example.com"], "password1\n", "too common"),
        (["create-admin", "--username", "ok_name", "--email", "ok@example.com"], "short\n", "at least 8"),
        (["create-admin", "--username", "ok_name", "--email", "ok@example.com"], "", "no password"),
        (
            ["create-admin", "--username", "no way", "--email", "ok@example.com"],
            "fine password 1\n",
            "--username",
        ),
        (["create-admin", "--username", "ok_name", "--email", "nope"], "fine password 1\n", "--email"),
    ];
    for (args, stdin, reason) in cases {
        let out = gatehouse(&app.database_url, &args, stdin);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(reason) && stderr.trim().lines().count() == 1, "{args:?}: {stderr}");
    }
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
}

#[test]
fn serve_refuses_postgres_without_a_secret_key() {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("SECRET_KEY is required"));
}

#[test]
fn a_bad_postgres_url_reports_the_connection_error_and_creates_no_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("migrate")
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("127.0.0.1") && stderr.to_lowercase().contains("connect"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "something was created");
}

#[tokio::test]
async fn serve_finishes_in_flight_requests_when_told_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .current_dir(dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        // A slow hash keeps the registration in flight while the signal arrives.
        .env("BCRYPT_COST", "15")
        // No drain: this is about what is in flight when the server stops accepting.
        .env("SHUTDOWN_DRAIN", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let browser = crate::helpers::Browser::at(&format!("http://127.0.0.1:{port}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while browser.client.get(browser.url("/healthz")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = browser.csrf_token("/register").await;
    let fields = [
        ("csrf_token", token.as_str()),
        ("username", "last_one"),
        ("email", "last@example.com"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    let in_flight = browser.client.post(browser.url("/register")).form(&fields).send();
    let signal = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let sent = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
        assert!(sent.success());
    };
    let (response, ()) = tokio::join!(in_flight, signal);
    assert_eq!(response.unwrap().status(), reqwest::StatusCode::SEE_OTHER, "the in-flight request was cut");
    let exit = tokio::task::spawn_blocking(move || server.wait()).await.unwrap().unwrap();
    assert!(exit.success(), "serve exited with {exit}");
}
