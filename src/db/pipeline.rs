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

use diesel::QueryResult;
use diesel::result::Error;
use diesel_async::AsyncPgConnection;
use std::cell::RefCell;
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

/// Connects as libpq would from the same URL, with TLS by rustls (Mozilla's roots) where
/// the URL's `sslmode` asks for it or the server offers it; over a unix socket, none.
/// A server whose certificate those roots do not vouch for refuses this connection and
/// the pool (libpq, which checks as `sslmode` says) serves alone.
async fn connect(url: &str) -> anyhow::Result<AsyncPgConnection> {
    // ring by name, not the process's default provider: nothing to panic over if another
    // crate ever brings a second one into the build.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = tokio_postgres::connect(url, tls).await?;
    Ok(AsyncPgConnection::try_from_client_and_connection(client, connection).await?)
}
