//! bcrypt, off the async workers on threads of its own at a lower priority, bounded, with
//! a dummy hash for unknown users.

use crate::domain::{Password, PlainPassword};
use anyhow::Context;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;
use tokio::sync::{Semaphore, oneshot};

/// How much nicer than the rest of the process the hashing threads are. At 10 the
/// scheduler gives a thread about a tenth of what a normal one gets when both want a
/// core: a page's request, woken while both cores hash, runs at once instead of waiting
/// out a time slice. With nothing else to run, a hash still has the whole core.
const HASHING_NICENESS: i32 = 10;

/// Hashes and verifies passwords on its own threads, one per core. At most one hash per
/// core runs at a time, so a burst of logins queues here instead of starving every other
/// request; and those threads yield to the workers and the database whenever they want a
/// core, so pages stay quick while passwords hash.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    threads: HashingThreads,
    /// Verified against when the user is unknown, so that a miss costs what a hit costs.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// Computes the dummy hash at `cost`: call once at start-up, off the async workers.
    pub fn new(cost: u32) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy_hash =
            bcrypt::hash("gatehouse-dummy-password", cost).context("computing the dummy hash")?;
        let threads = HashingThreads::start(cores)?;
        Ok(Self { cost, permits: Arc::new(Semaphore::new(cores)), threads, dummy_hash: dummy_hash.into() })
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
        let done = self.threads.run(work).await?;
        crate::telemetry::bcrypt(started - queued.0, started.elapsed());
        done
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and their queue. They stop when the last clone is dropped.
#[derive(Clone)]
struct HashingThreads {
    jobs: mpsc::Sender<Job>,
}

impl HashingThreads {
    fn start(count: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..count {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .spawn(move || {
                    lower_this_threads_priority();
                    // The lock is held only while waiting for a job, not while doing it.
                    while let Ok(job) = queue.lock().map_err(drop).and_then(|q| q.recv().map_err(drop)) {
                        // A job that panics loses its answer (its caller sees an error),
                        // not the thread.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .context("starting a hashing thread")?;
        }
        Ok(Self { jobs })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = answer.send(work());
        });
        self.jobs.send(job).map_err(|_| anyhow::anyhow!("the hashing threads have stopped"))?;
        answered.await.context("the hashing job failed")
    }
}

/// On Linux a thread's niceness is its own (setpriority with its thread id); lowering it
/// needs no privilege. If the system refuses, hashing goes on at the normal priority.
fn lower_this_threads_priority() {
    let thread = rustix::thread::gettid();
    let niceness = rustix::process::getpriority_process(Some(thread)).unwrap_or(0) + HASHING_NICENESS;
    if let Err(e) = rustix::process::setpriority_process(Some(thread), niceness.min(19)) {
        tracing::warn!(error = %e, "could not lower the hashing threads' priority");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_threads_run_at_a_lower_priority_than_their_callers() {
        let threads = HashingThreads::start(2).unwrap();
        let ours = rustix::process::getpriority_process(None).unwrap();
        let theirs = threads.run(|| rustix::process::getpriority_process(None).unwrap()).await.unwrap();
        assert_eq!(theirs, (ours + HASHING_NICENESS).min(19));
        assert!(std::thread::current().name() != Some("bcrypt-0"));
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_alone_and_the_threads_go_on() {
        let threads = HashingThreads::start(1).unwrap();
        let failed = threads.run(|| -> u32 { panic!("a hashing job panicked") }).await;
        assert!(failed.is_err());
        assert_eq!(threads.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_hash_made_on_the_threads_verifies_and_a_wrong_password_does_not() {
        let hasher = PasswordHasher::new(4).unwrap();
        let password =
            Password::parse("correct horse battery staple", "someone", "someone@example.com").unwrap();
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hasher.verify(password.plain(), Some(hash.clone())).await.unwrap());
        let wrong = PlainPassword::new("incorrect horse battery staple");
        assert!(!hasher.verify(&wrong, Some(hash)).await.unwrap());
        assert!(!hasher.verify(password.plain(), None).await.unwrap());
    }
}
