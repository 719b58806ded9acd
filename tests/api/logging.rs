//! The log of a whole register, confirm, login, reset, email change and revert cycle,
//! read back for every secret it used: passwords, the reset, verification, change and
//! revert tokens, cookies, CSRF tokens and SECRET_KEY never appear.

use crate::helpers::{Browser, MAIL_PUBLIC_URL, location};
use crate::support::smtp::{REGISTRATION_CONFIRMATION, Received, SmtpSink};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET_KEY: &str = "log-test-secret-key-0123456789abcdef0123456789abcdef0123456789abcdef";
const FIRST_PASSWORD: &str = "first secret passphrase";
const SECOND_PASSWORD: &str = "second secret passphrase";

#[tokio::test]
async fn a_full_cycle_logs_each_request_and_no_secret() {
    let sink = SmtpSink::start().await;
    let (database_url, db_password) = with_a_password(crate::support::postgres::new_test_database());
    let log_file = tempfile::NamedTempFile::new().unwrap();
    let log = log_file.reopen().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .env("DATABASE_URL", &database_url)
        .env("SECRET_KEY", SECRET_KEY)
        .env("SMTP_URL", sink.url())
        .env("PUBLIC_URL", MAIL_PUBLIC_URL)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("BCRYPT_COST", "4")
        // The most a operator could turn on: every crate's every event.
        .env("RUST_LOG", "trace")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let browser = Browser::at(&format!("http://127.0.0.1:{port}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while browser.client.get(browser.url("/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut secrets =
        vec![SECRET_KEY.to_owned(), FIRST_PASSWORD.to_owned(), SECOND_PASSWORD.to_owned(), db_password];
    secrets.push(browser.csrf_token("/register").await);
    assert_eq!(
        location(&browser.register("logged_user", "logged@example.com", FIRST_PASSWORD).await),
        "/login"
    );
    let confirm =
        sink.wait_for_one("confirming the address", |m| m.subject() == REGISTRATION_CONFIRMATION).await;
    let path = use_link(&browser, &confirm, "/verify-email/", &mut secrets).await;
    assert_eq!(location(&path), "/login");
    assert_eq!(location(&browser.login("logged_user", FIRST_PASSWORD, true).await), "/dashboard");
    secrets.push(browser.cookie_header());
    secrets.push(browser.csrf_token("/dashboard").await);
    assert_eq!(location(&browser.logout().await), "/login");
    let asked =
        browser.submit("/password-reset", "/password-reset", &[("email", "logged@example.com")]).await;
    assert_eq!(location(&asked), "/login");
    let link = sink.wait_for(1).await[0].link(&format!("{MAIL_PUBLIC_URL}/password-reset/"));
    let path = link.strip_prefix(MAIL_PUBLIC_URL).unwrap().to_owned();
    let token = path.trim_start_matches("/password-reset/").to_owned();
    secrets.push(token.clone());
    let fields = [("password", SECOND_PASSWORD), ("confirm_password", SECOND_PASSWORD)];
    assert_eq!(location(&browser.submit(&path, &path, &fields).await), "/login");
    assert_eq!(location(&browser.login("logged@example.com", SECOND_PASSWORD, false).await), "/dashboard");
    secrets.push(browser.cookie_header());
    let fields = [("current_password", SECOND_PASSWORD), ("email", "moved@example.com")];
    assert_eq!(location(&browser.submit("/account/email", "/account/email", &fields).await), "/dashboard");
    let change = sink.wait_for_one("confirming the change", |m| m.to == ["moved@example.com"]).await;
    let confirmed = use_link(&browser, &change, "/account/email/confirm/", &mut secrets).await;
    assert_eq!(location(&confirmed), "/dashboard");
    let notice = sink.wait_for_one("the change notice", |m| m.subject().contains("is being changed")).await;
    assert_eq!(
        location(&use_link(&browser, &notice, "/account/email/revert/", &mut secrets).await),
        "/login"
    );
    let reset = |m: &Received| m.subject().starts_with("Reset");
    crate::helpers::eventually("the revert's reset link", || {
        sink.all_messages().iter().filter(|m| reset(m)).count() == 2
    })
    .await;
    let second_reset = sink.all_messages().into_iter().filter(reset).nth(1).unwrap();
    secrets.push(second_reset.link(&format!("{MAIL_PUBLIC_URL}/password-reset/")));

    Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    tokio::task::spawn_blocking(move || server.wait()).await.unwrap().unwrap();
    let logged = std::fs::read_to_string(log_file.path()).unwrap();

    // The log is there and says what happened, by route pattern...
    // ...and SIGTERM stopped the mail worker too, between messages.
    for expected in [
        "/register",
        "/login",
        "/password-reset/{token}",
        "/verify-email/{token}",
        "/account/email/confirm/{token}",
        "/account/email/revert/{token}",
        "status=303",
        "request_id=",
        "mail worker stopped",
    ] {
        assert!(logged.contains(expected), "the log lacks {expected:?}");
    }
    for secret in &secrets {
        for part in secret.split(['=', ';', ' ']).filter(|p| p.len() >= 16) {
            assert!(!logged.contains(part), "a secret reached the log: {part}");
        }
    }
    assert!(!logged.contains(&token[..12]), "part of the reset token reached the log");
}

/// Opens the link under `route` in `message` and presses its button, keeping the token
/// among the secrets to look for.
async fn use_link(
    browser: &Browser,
    message: &Received,
    route: &str,
    secrets: &mut Vec<String>,
) -> reqwest::Response {
    let link = message.link(&format!("{MAIL_PUBLIC_URL}{route}"));
    let path = link.strip_prefix(MAIL_PUBLIC_URL).unwrap().to_owned();
    secrets.push(path.trim_start_matches(route).to_owned());
    browser.submit(&path, &path, &[]).await
}

/// The database URL with a password in it: its own, or else libpq's `password` parameter
/// (which a server that trusts the connection ignores).
fn with_a_password(database_url: String) -> (String, String) {
    let userinfo = database_url.split_once("://").and_then(|(_, rest)| rest.split_once('@')).map(|(u, _)| u);
    if let Some((_, password)) = userinfo.and_then(|u| u.split_once(':')) {
        let password = percent_encoding::percent_decode_str(password).decode_utf8_lossy().into_owned();
        return (database_url.clone(), password);
    }
    let password = "database-password-never-logged".to_owned();
    let separator = if database_url.contains('?') { '&' } else { '?' };
    (format!("{database_url}{separator}password={password}"), password)
}
