//! `GET /metrics` on `METRICS_ADDR`: the series an operator alerts on move as requests
//! come in, and no label carries a username, an email or an address.
//!
//! Scraped from a separate process: the recorder is per process, like an instance.

use super::instance::{Instance, series};
use crate::helpers::{Browser, MAIL_PUBLIC_URL, PASSWORD, location};
use crate::support::postgres::new_test_database;
use crate::support::smtp::SmtpSink;
use diesel::prelude::*;
use gatehouse::db::schema::users;
use reqwest::StatusCode;

pub const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test]
async fn requests_logins_registrations_resets_sessions_and_mail_are_counted() {
    let sink = SmtpSink::start().await;
    let url = new_test_database();
    let smtp = sink.url();
    let env =
        [("SMTP_URL", smtp.as_str()), ("PUBLIC_URL", MAIL_PUBLIC_URL), ("LIMIT_LOGIN_ACCOUNT_IP", "3/15m")];
    let mut instance = Instance::start(&url, &env);
    instance.ready().await;
    let before = instance.scrape().await;
    assert_eq!(series(&before, "gatehouse_logins_total", "outcome=\"success\""), 0.0);

    let browser = Browser::at(&instance.base());
    for name in ["mallory", "trudy"] {
        let response = browser.register(name, &format!("{name}@example.com"), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let refused = browser.register("x", "not-an-email", "short").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let user = Browser::at(&instance.base());
    assert_eq!(location(&user.login("mallory", PASSWORD, false).await), "/dashboard");
    assert_eq!(user.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(location(&user.logout().await), "/login");
    deactivate(&url, "trudy");
    assert_eq!(browser.login("trudy", PASSWORD, false).await.status(), StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(browser.login("mallory", "wrong guess", false).await.status(), StatusCode::OK);
    }
    let throttled = browser.login("mallory", "wrong guess", false).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let link = reset_password(&browser, &sink, "mallory@example.com").await;
    assert_eq!(browser.get("/no-such-page/s3cr3t-token").await.status(), StatusCode::NOT_FOUND);

    let after = instance.scrape().await;
    let count = |name: &str, labels: &str| series(&after, name, labels);
    assert_eq!(count("gatehouse_registrations_total", "outcome=\"created\""), 2.0);
    assert_eq!(count("gatehouse_registrations_total", "outcome=\"invalid\""), 1.0);
    assert_eq!(count("gatehouse_logins_total", "outcome=\"success\""), 1.0);
    assert_eq!(count("gatehouse_logins_total", "outcome=\"deactivated\""), 1.0);
    assert_eq!(count("gatehouse_logins_total", "outcome=\"invalid\""), 3.0);
    assert_eq!(count("gatehouse_logins_total", "outcome=\"throttled\""), 1.0);
    assert_eq!(count("gatehouse_sessions_started_total", ""), 1.0);
    assert_eq!(count("gatehouse_sessions_revoked_total", "by=\"logout\""), 1.0);
    assert_eq!(count("gatehouse_password_resets_total", "stage=\"requested\""), 1.0);
    assert_eq!(count("gatehouse_password_resets_total", "stage=\"completed\""), 1.0);
    assert!(count("gatehouse_outbox_emails_total", "outcome=\"sent\"") >= 1.0, "{after}");

    // Requests by route pattern and status, with a latency histogram.
    // Two views of the dashboard: one to look, one for the logout form's token.
    let dashboard = "method=\"GET\",route=\"/dashboard\",status=\"200\"";
    assert_eq!(count("gatehouse_http_requests_total", dashboard), 2.0);
    assert_eq!(
        count("gatehouse_http_requests_total", "method=\"POST\",route=\"/login\",status=\"429\""),
        1.0
    );
    let reset_route = "method=\"POST\",route=\"/password-reset/{token}\",status=\"303\"";
    assert_eq!(count("gatehouse_http_requests_total", reset_route), 1.0);
    let unmatched = "method=\"GET\",route=\"unmatched\",status=\"404\"";
    assert_eq!(count("gatehouse_http_requests_total", unmatched), 1.0, "{after}");
    let histogram = "gatehouse_http_request_duration_seconds_count";
    assert_eq!(count(histogram, "method=\"GET\",route=\"/dashboard\""), 2.0);
    let bucket = "method=\"GET\",route=\"/dashboard\",le=\"+Inf\"";
    assert_eq!(count("gatehouse_http_request_duration_seconds_bucket", bucket), 2.0);

    // The pool, the hasher and the outbox.
    assert_eq!(count("gatehouse_db_pool_size", ""), 10.0);
    assert!(count("gatehouse_db_pool_connections", "") >= 1.0, "{after}");
    assert!(after.contains("gatehouse_db_pool_in_use "), "{after}");
    assert!(count("gatehouse_db_statements_total", "") > count_in(&before, "gatehouse_db_statements_total"));
    assert!(after.contains("gatehouse_db_pipelined_lookups_total "), "{after}");
    assert_eq!(count("gatehouse_db_lookups_waiting", ""), 0.0);
    assert!(
        count("gatehouse_db_pool_wait_seconds_count", "")
            > count_in(&before, "gatehouse_db_pool_wait_seconds_count")
    );
    // Registrations, logins and the reset each hashed or verified a password.
    assert!(count("gatehouse_bcrypt_duration_seconds_count", "") >= 8.0, "{after}");
    assert!(count("gatehouse_bcrypt_wait_seconds_count", "") >= 8.0, "{after}");
    assert_eq!(count("gatehouse_bcrypt_queue_depth", ""), 0.0);
    assert!(after.contains("gatehouse_outbox_depth "), "{after}");

    let token = link.trim_start_matches("/password-reset/");
    for private in ["mallory", "trudy", "example.com", "127.0.0.1", "wrong guess", "s3cr3t", token] {
        assert!(!after.contains(private), "{private} in the metrics:\n{after}");
    }
}

#[tokio::test]
async fn the_outbox_depth_counts_messages_waiting_to_be_sent() {
    let sink = SmtpSink::start().await;
    sink.stop().await;
    let url = new_test_database();
    let smtp = sink.url();
    let mut instance = Instance::start(&url, &[("SMTP_URL", smtp.as_str())]);
    instance.ready().await;
    let browser = Browser::at(&instance.base());
    for name in ["wendy", "victor"] {
        browser.register(name, &format!("{name}@example.com"), PASSWORD).await;
        let fields = [("email", format!("{name}@example.com"))];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let asked = browser.submit("/password-reset", "/password-reset", &fields).await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    }
    let scrape = instance.scrape().await;
    // Each registration queued its confirmation email, each request its reset link.
    assert_eq!(series(&scrape, "gatehouse_outbox_depth", ""), 4.0, "{scrape}");
    // The mail server is down: the worker's attempts fail and are retried.
    let retried = |scrape: &str| series(scrape, "gatehouse_outbox_emails_total", "outcome=\"retried\"");
    instance.scrape_until("a failed attempt is counted as retried", |scrape| retried(scrape) >= 1.0).await;
}

#[tokio::test]
async fn a_message_the_mail_server_refuses_counts_as_failed_and_leaves_the_queue() {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let mut instance = Instance::start(&new_test_database(), &[("SMTP_URL", smtp.as_str())]);
    instance.ready().await;
    let browser = Browser::at(&instance.base());
    browser.register("bouncer", "bounce@example.com", PASSWORD).await;
    let asked =
        browser.submit("/password-reset", "/password-reset", &[("email", "bounce@example.com")]).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let failed = |scrape: &str| series(scrape, "gatehouse_outbox_emails_total", "outcome=\"failed\"");
    // Refused twice: the registration's confirmation email and the reset link.
    // The depth is read at the start of a scrape and the counters at its end, so one
    // scrape may catch the last refusal between the two: wait for a consistent one.
    let depth = |scrape: &str| series(scrape, "gatehouse_outbox_depth", "");
    let scrape = instance
        .scrape_until("the refusals are counted and the queue is empty", |s| {
            failed(s) == 2.0 && depth(s) == 0.0
        })
        .await;
    assert_eq!(series(&scrape, "gatehouse_outbox_emails_total", "outcome=\"sent\""), 0.0);
}

fn count_in(scrape: &str, name: &str) -> f64 {
    series(scrape, name, "")
}

fn deactivate(url: &str, username: &str) {
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::update(users::table.filter(users::username.eq(username)))
        .set(users::is_active.eq(false))
        .execute(&mut conn)
        .unwrap();
}

/// Asks for a reset link for `email` (the sink's first message), follows it and sets
/// [`NEW_PASSWORD`].
pub async fn reset_password(browser: &Browser, sink: &SmtpSink, email: &str) -> String {
    let asked = browser.submit("/password-reset", "/password-reset", &[("email", email)]).await;
    assert_eq!(location(&asked), "/login");
    let sent = sink.wait_for(1).await;
    let link = sent.last().unwrap().link(MAIL_PUBLIC_URL);
    let path = link.strip_prefix(MAIL_PUBLIC_URL).unwrap().to_owned();
    let fields = [("password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)];
    let done = browser.submit(&path, &path, &fields).await;
    assert_eq!(location(&done), "/login", "resetting through {path}");
    path
}
