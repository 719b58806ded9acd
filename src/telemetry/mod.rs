//! Metrics: the one-line hooks that route handlers, the mail worker, the hasher and the
//! pool call, and (in `exporter`) the Prometheus recorder and the `METRICS_ADDR` listener.
//!
//! The `metrics` facade records into one recorder per process (one process is one
//! instance); until `exporter::install` runs, every hook is a no-op. Label values are
//! `&'static str` or numbers, so no username, email or address can become a label.

pub mod exporter;

use actix_web::http::Method;
use metrics::{counter, gauge, histogram};
use std::time::Duration;

/// One answered request, by route pattern (never the path: `/password-reset/{token}`).
pub fn request(method: &Method, route: Option<&str>, status: u16, elapsed: Duration) {
    let method = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "other",
    };
    // Unmatched paths are whatever a client typed: one label for all of them.
    let route = route.unwrap_or("unmatched").to_owned();
    let status = status.to_string();
    counter!("gatehouse_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    histogram!("gatehouse_http_request_duration_seconds", "method" => method, "route" => route)
        .record(elapsed.as_secs_f64());
}

/// A login attempt's outcome: `success`, `invalid`, `deactivated`, `throttled` (and,
/// with the second factor, `second_factor`).
pub fn login(outcome: &'static str) {
    counter!("gatehouse_logins_total", "outcome" => outcome).increment(1);
}

/// A registration attempt's outcome: `created`, `invalid`, `throttled`.
pub fn registration(outcome: &'static str) {
    counter!("gatehouse_registrations_total", "outcome" => outcome).increment(1);
}

/// A reset asked for (`requested`, whether or not the address is known, as the answer
/// is the same) or a new password set through a link (`completed`).
pub fn password_reset(stage: &'static str) {
    counter!("gatehouse_password_resets_total", "stage" => stage).increment(1);
}

pub fn session_started() {
    counter!("gatehouse_sessions_started_total").increment(1);
}

/// Sessions ended before their time, by why: `logout`, `owner` (from the sessions
/// page), `admin`.
pub fn sessions_revoked(by: &'static str, count: usize) {
    counter!("gatehouse_sessions_revoked_total", "by" => by).increment(count as u64);
}

/// An outbox message's attempt: `sent`, `retried` (failed, will try again), `failed`
/// (for good).
pub fn email(outcome: &'static str) {
    counter!("gatehouse_outbox_emails_total", "outcome" => outcome).increment(1);
}

/// How long a request waited for a database connection.
pub fn pool_wait(waited: Duration) {
    histogram!("gatehouse_db_pool_wait_seconds").record(waited.as_secs_f64());
}

/// A password hash or check waiting for a core: counted in the queue's depth until the
/// guard drops (also when the request is abandoned while it waits).
pub fn bcrypt_queued() -> BcryptQueued {
    gauge!("gatehouse_bcrypt_queue_depth").increment(1.0);
    BcryptQueued
}

pub struct BcryptQueued;

impl Drop for BcryptQueued {
    fn drop(&mut self) {
        gauge!("gatehouse_bcrypt_queue_depth").decrement(1.0);
    }
}

/// One bcrypt hash or check: how long it waited for a core, and how long it took.
pub fn bcrypt(waited: Duration, took: Duration) {
    histogram!("gatehouse_bcrypt_wait_seconds").record(waited.as_secs_f64());
    histogram!("gatehouse_bcrypt_duration_seconds").record(took.as_secs_f64());
}
