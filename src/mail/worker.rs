//! The outbox worker: claims due messages, sends each outside any transaction, records
//! the outcome, and retries failures with exponential backoff until it gives up.
//!
//! Delivery is at least once: a process killed between the SMTP server's "250 OK" and
//! the row being marked sent sends that message again once its lease runs out. Several
//! workers (one per instance) never send a message twice otherwise: a claim takes its
//! rows with `FOR UPDATE SKIP LOCKED` and leases them in the same transaction.

use super::mailer::{Mailer, Outgoing, SendError};
use super::outbox::Outbox;
use crate::config::OutboxSettings;
use crate::db::{self, Db, DbError, outbox::Claimed};
use chrono::TimeDelta;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Messages claimed at once.
const BATCH: i64 = 10;
/// How long a claim keeps other workers off its messages: more than a whole batch can
/// take at the SMTP timeout, so that a lease never runs out while its message is sent.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Sent messages (bodies already removed) are kept this long, then deleted.
const KEEP_SENT: TimeDelta = TimeDelta::days(30);
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// `last_error` is for a human to read, not an archive of server chatter.
const ERROR_CHARS: usize = 500;

struct Worker {
    db: Db,
    mailer: Mailer,
    outbox: Outbox,
    settings: OutboxSettings,
    wake: Arc<Notify>,
    stop: CancellationToken,
}

/// Starts the worker; it stops between messages once `stop` is cancelled.
pub fn spawn(
    db: Db,
    mailer: Mailer,
    outbox: &Outbox,
    settings: OutboxSettings,
    stop: CancellationToken,
) -> JoinHandle<()> {
    let worker = Worker { db, mailer, outbox: outbox.clone(), settings, wake: outbox.wakeup(), stop };
    tokio::spawn(worker.run())
}

impl Worker {
    async fn run(self) {
        let mut last_purge: Option<Instant> = None;
        loop {
            if !self.drain().await {
                tracing::info!("mail worker stopped");
                return;
            }
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                self.purge_sent().await;
                last_purge = Some(Instant::now());
            }
            tokio::select! {
                () = self.stop.cancelled() => {
                    tracing::info!("mail worker stopped");
                    return;
                }
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
    }

    /// Sends batch after batch until nothing is due; `false` once told to stop.
    async fn drain(&self) -> bool {
        loop {
            if self.stop.is_cancelled() {
                return false;
            }
            let now = db::now();
            let claimed = self
                .db
                .run(move |conn| db::outbox::claim_due(conn, now, now + LEASE, BATCH).map_err(DbError::from))
                .await;
            let batch = match claimed {
                Ok(batch) if batch.is_empty() => return true,
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim emails to send; trying again later");
                    return true;
                }
            };
            let mut batch = batch.into_iter();
            while let Some(message) = batch.next() {
                if self.stop.is_cancelled() {
                    let unsent = std::iter::once(message.id).chain(batch.map(|m| m.id)).collect();
                    self.release(unsent).await;
                    return false;
                }
                self.deliver(message).await;
            }
        }
    }

    async fn deliver(&self, message: Claimed) {
        let (id, attempts) = (message.id, message.attempts + 1);
        let opened = self
            .outbox
            .open_body(&message.body_text, &message.recipient)
            .and_then(|text| Ok((text, self.outbox.open_body(&message.body_html, &message.recipient)?)));
        let Ok((text, html)) = opened else {
            // Sealed under another SECRET_KEY: no retry can help, so it fails for good.
            let unreadable =
                SendError::Permanent("the stored body cannot be decrypted (was SECRET_KEY changed?)".into());
            if let Err(e) = self.record_failure(id, attempts, &unreadable).await {
                tracing::warn!(email_id = id, error = %e, "could not record an email's outcome");
            }
            return;
        };
        let outgoing =
            Outgoing { recipient: &message.recipient, subject: &message.subject, text: &text, html: &html };
        let recorded = match self.mailer.send(&outgoing).await {
            Ok(()) => {
                tracing::info!(email_id = id, to = %message.recipient, "email sent");
                let marked = self
                    .db
                    .run(move |conn| db::outbox::mark_sent(conn, id, db::now()).map_err(DbError::from))
                    .await;
                // Counted once recorded, so a scrape never sees it both sent and queued.
                crate::telemetry::email("sent");
                marked
            }
            Err(e) => self.record_failure(id, attempts, &e).await,
        };
        if let Err(e) = recorded {
            tracing::warn!(email_id = id, error = %e, "could not record an email's outcome");
        }
    }

    /// Schedules the next attempt after a backoff, or gives up on the message.
    async fn record_failure(&self, id: i64, attempts: i32, e: &SendError) -> Result<(), DbError> {
        let now = db::now();
        let retry_at = match e {
            SendError::Transient(_) if attempts < self.settings.max_attempts => {
                Some(now + backoff(&self.settings, attempts))
            }
            _ => None,
        };
        let error: String = e.to_string().chars().take(ERROR_CHARS).collect();
        if let Some(at) = retry_at {
            tracing::warn!(email_id = id, attempts, %error, retry_at = %at, "email not sent; will retry");
        } else {
            tracing::error!(email_id = id, attempts, %error, "email failed for good");
        }
        let outcome = if retry_at.is_some() { "retried" } else { "failed" };
        let recorded = self
            .db
            .run(move |conn| {
                db::outbox::record_failure(conn, id, attempts, &error, retry_at, now).map_err(DbError::from)
            })
            .await;
        crate::telemetry::email(outcome);
        recorded
    }

    async fn release(&self, ids: Vec<i64>) {
        let released =
            self.db.run(move |conn| db::outbox::release(conn, &ids, db::now()).map_err(DbError::from));
        if let Err(e) = released.await {
            tracing::warn!(error = %e, "could not release claimed emails; they go out when their lease ends");
        }
    }

    async fn purge_sent(&self) {
        let before = db::now() - KEEP_SENT;
        let purged = self
            .db
            .run(move |conn| db::outbox::delete_sent_before(conn, before).map_err(DbError::from))
            .await;
        match purged {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "deleted old sent emails"),
            Err(e) => tracing::warn!(error = %e, "could not delete old sent emails"),
        }
    }
}

/// `retry_base` after the first failure, doubling with each further one, capped.
fn backoff(settings: &OutboxSettings, attempts: i32) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(31);
    let wait = settings.retry_base.saturating_mul(1 << doublings).min(settings.retry_cap);
    TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let settings = OutboxSettings::default();
        let waits: Vec<i64> = (1..=12).map(|n| backoff(&settings, n).num_seconds()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
        assert_eq!(backoff(&settings, i32::MAX).num_seconds(), 3600);
    }
}
