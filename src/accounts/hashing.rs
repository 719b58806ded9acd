//! bcrypt, off the async workers and bounded, with a dummy hash for unknown users.

use crate::domain::{Password, PlainPassword};
use anyhow::Context;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords on the blocking pool. At most one hash per core runs at
/// a time, so a burst of logins queues here instead of starving every other request.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the user is unknown, so that a miss costs what a hit costs.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// Computes the dummy hash at `cost`: call once at start-up, off the async workers.
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy_hash =
            bcrypt::hash("gatehouse-dummy-password", cost).context("computing the dummy hash")?;
        Ok(Self { cost, permits: Arc::new(Semaphore::new(cores)), dummy_hash: dummy_hash.into() })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let plain = password.plain().clone();
        let cost = self.cost;
        // `Password` guarantees at most 72 bytes, so nothing is cut. (The non-truncating
        // variant refuses exactly 72, counting the NUL terminator it appends.)
        self.blocking(move || bcrypt::hash(plain.as_bytes(), cost).context("hashing a password")).await
    }

    /// Whether `candidate` matches `hash`; with no hash (unknown user) or a candidate too
    /// long for bcrypt, the same work is done against the dummy hash and the answer is no.
    pub async fn verify(&self, candidate: &PlainPassword, hash: Option<String>) -> anyhow::Result<bool> {
        let candidate = candidate.clone();
        let real = hash.is_some() && candidate.fits_bcrypt();
        let hash = hash.filter(|_| real).unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = self
            .blocking(move || {
                let bytes = &candidate.as_bytes()[..candidate.as_bytes().len().min(Password::MAX_BYTES)];
                bcrypt::verify(bytes, &hash).context("verifying a password")
            })
            .await?;
        Ok(matched && real)
    }

    /// Whether a stored hash was made at another cost and should be redone at login.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        hash.parse::<bcrypt::HashParts>().map_or(true, |parts| parts.get_cost() != self.cost)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let queued = (Instant::now(), crate::telemetry::bcrypt_queued());
        let _permit = self.permits.acquire().await.context("the hasher was shut down")?;
        let started = Instant::now();
        drop(queued.1);
        let done = actix_web::web::block(work).await.context("the hashing task was cancelled")?;
        crate::telemetry::bcrypt(started - queued.0, started.elapsed());
        done
    }
}
