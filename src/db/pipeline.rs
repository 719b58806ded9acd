//! The hot read path on PostgreSQL: one async connection per worker thread, shared by
//! every request that worker serves, so concurrent reads are pipelined on it.
//!
//! The session lookup every logged-in request makes is most of gatehouse's database
//! traffic. Through the pool it costs two thread hand-offs (to a blocking thread and back)
//! and a connection per request in flight; here it is written to one socket from the
//! worker itself and its answer read there, with the other requests' lookups queued
//! behind it on the same connection. It only reads: every write stays on the pool, in
//! its transactions, so there is one way to change data.
//!
//! When there is no such connection (SQLite, not connected yet, or it broke) the caller
//! gets `None` and uses the pool: [`Pipeline`] is a fast path, never the only one.

use anyhow::Context;
use diesel::QueryResult;
use diesel::result::Error;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// After a failed connect the pool serves alone for a while: 2 s, doubling with every
/// failure in a row up to 5 minutes (a server that refuses this connection for good,
/// say over TLS, gets a try and a log line every 5 minutes, not every request).
const FIRST_RETRY: Duration = Duration::from_secs(2);
const LAST_RETRY: Duration = Duration::from_secs(300);

/// One worker thread's async connection (not `Send`: each worker makes its own with
/// [`super::Db::pipeline`]).
pub struct Pipeline {
    url: Option<String>,
    state: RefCell<State>,
    counters: Arc<super::Counters>,
    batches: super::session_lookup::Batches,
}

enum State {
    Down { retry_at: Instant, failures: u32 },
    Connecting,
    Up(Rc<AsyncPgConnection>),
}

impl Pipeline {
    /// `url` is `None` where there is nothing to pipeline to (SQLite).
    pub(super) fn new(url: Option<String>, counters: Arc<super::Counters>) -> Rc<Self> {
        Rc::new(Self {
            url,
            state: RefCell::new(State::Down { retry_at: Instant::now(), failures: 0 }),
            batches: super::session_lookup::Batches::new(&counters),
            counters,
        })
    }

    /// The session lookups waiting on this worker for their batch.
    pub(super) fn batches(&self) -> &super::session_lookup::Batches {
        &self.batches
    }

    /// Runs `read`, one statement answering `lookups` requests, on this worker's
    /// connection. `None` when there is none right now (the callers then ask the pool),
    /// or when the read failed: the connection is dropped and the pool's answer (an error
    /// page, or the data once the server is back) stands.
    pub(super) async fn read<T>(
        self: &Rc<Self>,
        lookups: usize,
        read: impl AsyncFnOnce(&mut &AsyncPgConnection) -> QueryResult<T>,
    ) -> Option<T> {
        let conn = self.connection()?;
        match read(&mut &*conn).await {
            Ok(value) => {
                self.counters.statements.fetch_add(1, Ordering::Relaxed);
                self.counters.pipelined.fetch_add(lookups as u64, Ordering::Relaxed);
                Some(value)
            }
            Err(e) => {
                if !matches!(e, Error::NotFound) {
                    tracing::warn!(error = %e, "pipelined read failed; reconnecting, the pool serves meanwhile");
                }
                self.forget(&conn);
                None
            }
        }
    }

    /// Whether reads can go out on this worker's connection now (starting a connect in
    /// the background when one is due, so the next request may find it up).
    pub(super) fn is_up(self: &Rc<Self>) -> bool {
        self.connection().is_some()
    }

    /// The live connection, or `None` (starting a connect in the background when due).
    fn connection(self: &Rc<Self>) -> Option<Rc<AsyncPgConnection>> {
        let url = self.url.as_ref()?;
        let mut state = self.state.borrow_mut();
        let failures = match &*state {
            State::Up(conn) => return Some(conn.clone()),
            State::Connecting => return None,
            State::Down { retry_at, .. } if Instant::now() < *retry_at => return None,
            State::Down { failures, .. } => *failures,
        };
        *state = State::Connecting;
        let (this, url) = (self.clone(), url.clone());
        actix_web::rt::spawn(async move {
            let next = match connect(&url).await {
                Ok(conn) => State::Up(Rc::new(conn)),
                Err(e) => {
                    let wait = FIRST_RETRY.saturating_mul(2u32.saturating_pow(failures)).min(LAST_RETRY);
                    tracing::warn!(error = %e, retry_in = ?wait, "no pipelined connection; the pool serves meanwhile");
                    State::Down { retry_at: Instant::now() + wait, failures: failures.saturating_add(1) }
                }
            };
            *this.state.borrow_mut() = next;
        });
        None
    }

    /// Drops `conn` if it is still the current one (reads that failed with it all land here).
    fn forget(&self, conn: &Rc<AsyncPgConnection>) {
        let mut state = self.state.borrow_mut();
        if matches!(&*state, State::Up(current) if Rc::ptr_eq(current, conn)) {
            *state = State::Down { retry_at: Instant::now(), failures: 0 };
        }
    }
}

/// Connects as libpq would from the same URL, with TLS by rustls where the URL's
/// `sslmode` asks for it or the server offers it; over a unix socket, none. rustls always
/// checks the server's certificate and name, against `sslrootcert` when the URL gives
/// one, else Mozilla's roots. A server it cannot verify refuses this connection and the
/// pool (libpq, which checks as `sslmode` says) serves alone.
async fn connect(url: &str) -> anyhow::Result<AsyncPgConnection> {
    let target = Target::from_url(url);
    let roots = match &target.root_certificates {
        None => rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() },
        Some(file) => {
            let certificates = CertificateDer::pem_file_iter(file)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .with_context(|| format!("reading sslrootcert {}", file.display()))?;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in certificates {
                roots.add(certificate).with_context(|| format!("a certificate in {}", file.display()))?;
            }
            roots
        }
    };
    // ring by name, not the process's default provider: nothing to panic over if another
    // crate ever brings a second one into the build.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = tokio_postgres::connect(&target.url, tls).await?;
    let mut conn = AsyncPgConnection::try_from_client_and_connection(client, connection).await?;
    // Only lookups by key run here, the same few statements all day. PostgreSQL plans a
    // prepared statement afresh on each run while a generic plan looks no cheaper, which
    // an `= ANY($1)` never does (the custom plan knows the array's length): planning the
    // joins was about two thirds of the server's time a lookup. The generic plan is the
    // same index scans, planned once per connection. The pool keeps custom plans (the
    // admin pages' searches need them).
    conn.batch_execute("SET plan_cache_mode = force_generic_plan").await?;
    Ok(conn)
}

/// `DATABASE_URL` as tokio-postgres takes it. It knows `sslmode` `disable`, `prefer` and
/// `require` but refuses libpq's `verify-ca` and `verify-full` and its `sslrootcert`:
/// those two modes become `require` (rustls verifies in every mode, so nothing is lost)
/// and the root file is read here. (No `Debug`: the URL may hold a password.)
struct Target {
    url: String,
    /// `sslrootcert`, unless absent or libpq's `system` (then Mozilla's roots).
    root_certificates: Option<PathBuf>,
}

impl Target {
    fn from_url(raw: &str) -> Self {
        let as_is = || Self { url: raw.to_owned(), root_certificates: None };
        // A `key=value` connection string goes as it is.
        let Ok(mut url) = url::Url::parse(raw) else { return as_is() };
        let libpq_only = |(key, value): &(String, String)| {
            key == "sslrootcert" || (key == "sslmode" && value.starts_with("verify-"))
        };
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        if !pairs.iter().any(libpq_only) {
            return as_is();
        }
        let mut root_certificates = None;
        let mut kept = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            match (key.as_str(), value.as_str()) {
                ("sslrootcert", "system") => {}
                ("sslrootcert", file) => root_certificates = Some(PathBuf::from(file)),
                ("sslmode", "verify-ca" | "verify-full") => kept.push((key, "require".to_owned())),
                _ => kept.push((key, value)),
            }
        }
        url.query_pairs_mut().clear().extend_pairs(kept);
        if url.query() == Some("") {
            url.set_query(None);
        }
        Self { url: url.into(), root_certificates }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn libpq_only_parameters_become_what_tokio_postgres_takes() {
        let target = Target::from_url(
            "postgres://app:s%40cret@db.internal:5432/app?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=gh",
        );
        assert_eq!(target.root_certificates, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(
            target.url,
            "postgres://app:s%40cret@db.internal:5432/app?sslmode=require&application_name=gh"
        );
        let system = Target::from_url("postgres://db/app?sslrootcert=system");
        assert_eq!((system.url.as_str(), system.root_certificates), ("postgres://db/app", None));
    }

    #[test]
    fn other_urls_are_left_exactly_as_they_are() {
        for raw in [
            "postgres://postgres@/postgres?host=/tmp/pg%20dir",
            "postgres://db/app?sslmode=require",
            "host=/tmp user=postgres sslrootcert=/ca.pem",
        ] {
            let target = Target::from_url(raw);
            assert_eq!((target.url.as_str(), target.root_certificates), (raw, None));
        }
    }
}
