//! Stopping gracefully. SIGTERM (what systemd and orchestrators send) first drains:
//! `/readyz` answers 503 for `SHUTDOWN_DRAIN` while every request is still served, so a
//! load balancer moves traffic away before anything is refused. Then the listeners stop
//! accepting, requests in flight finish, and the mail worker stops between two messages.
//! SIGINT (Ctrl-C at a terminal) skips the drain.

use super::Application;
use crate::web::readiness::Readiness;
use actix_web::dev::ServerHandle;
use std::future::Future;
use std::time::Duration;

/// How long a stopping server waits for the mail worker to finish the message in hand.
const MAIL_WORKER_GRACE: Duration = Duration::from_secs(30);

/// What the process was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Drain first.
    Terminate,
    /// Stop now (still finishing what is in flight).
    Interrupt,
}

/// Waits for SIGTERM or SIGINT.
pub async fn terminated() -> Stop {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => Stop::Terminate,
            _ = int.recv() => Stop::Interrupt,
        },
        _ => {
            tracing::warn!("cannot listen for SIGTERM; stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
            Stop::Interrupt
        }
    }
}

impl Application {
    /// Serves until `stop` resolves (or the server fails), then stops as described above.
    pub async fn run_until(self, stop: impl Future<Output = Stop>) -> std::io::Result<()> {
        let handles = (self.server.handle(), self.metrics.as_ref().map(|m| m.server.handle()));
        let mut serving = tokio::spawn(self.server);
        if let Some(metrics) = self.metrics {
            tokio::spawn(metrics.server);
        }
        let ended = tokio::select! {
            told = stop => Err(told),
            served = &mut serving => Ok(served),
        };
        let served = match ended {
            Ok(served) => served,
            Err(told) => {
                drain_and_stop(&self.readiness, self.drain, told, &handles.0).await;
                serving.await
            }
        };
        if let Some(metrics) = handles.1 {
            metrics.stop(true).await;
        }
        self.stop_mail.cancel();
        if tokio::time::timeout(MAIL_WORKER_GRACE, self.mail_worker).await.is_err() {
            tracing::warn!("the mail worker did not stop in time; its unsent messages stay queued");
        }
        served.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

async fn drain_and_stop(readiness: &Readiness, drain: Duration, told: Stop, server: &ServerHandle) {
    readiness.start_draining();
    if told == Stop::Terminate && !drain.is_zero() {
        tracing::info!(drain = ?drain, "told to stop: /readyz now answers 503, still serving");
        tokio::time::sleep(drain).await;
    }
    tracing::info!("no longer accepting connections; finishing requests in flight");
    server.stop(true).await;
}
