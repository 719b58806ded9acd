//! Every Diesel call lives here: small functions over `&mut Conn`, run off the async workers.

pub mod admin;
pub mod audit;
pub mod auth_pending;
mod coalesce;
mod connection;
pub mod email_tokens;
pub mod identities;
mod migrations;
pub mod outbox;
pub mod passkeys;
pub mod personal_tokens;
mod pipeline;
pub mod refresh_tokens;
pub mod reset_tokens;
pub mod schema;
pub mod session_lookup;
pub mod sessions;
pub mod sign_ins;
pub mod signing_keys;
pub mod stats;
pub mod throttle;
pub mod two_factor;
pub mod users;
pub mod webauthn_ceremonies;

pub use connection::{Conn, DatabaseUrl, DbPool, UnknownScheme};
pub use migrations::{migrate, run_pending};
pub use pipeline::Pipeline;

use actix_web::web;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database is unavailable")]
    Unavailable(#[source] deadpool::managed::PoolError<diesel::ConnectionError>),
    /// A unique constraint refused the write: someone else took the name or address
    /// between a check and the insert. Use cases answer it; they never match Diesel's errors.
    #[error("a unique value is already taken")]
    UniqueViolation,
    /// The server went away under a connection: as unavailable as a pool timeout.
    #[error("the connection to the database was lost")]
    ConnectionLost(#[source] diesel::result::Error),
    #[error(transparent)]
    Query(diesel::result::Error),
    #[error("a blocking database task was cancelled")]
    Cancelled,
    #[error("building the connection pool")]
    Pool(#[source] deadpool::managed::BuildError),
}

impl From<diesel::result::Error> for DbError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Self::UniqueViolation,
            lost @ Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::ConnectionLost(lost),
            other => Self::Query(other),
        }
    }
}

impl DbError {
    /// The database cannot be reached right now (503), as opposed to a query that failed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::ConnectionLost(_))
    }
}

/// The pool, plus the one way to use it: on the blocking thread pool, never on an
/// async worker, so a slow query stalls nobody else's page.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    url: Arc<DatabaseUrl>,
    counters: Arc<Counters>,
}

/// What the work given to a [`Db`] did, for tests that hold pages to a query budget.
#[derive(Default)]
struct Counters {
    /// Statements run, through the pool or a pipeline (health pings aside).
    statements: AtomicU64,
    /// Reads answered on a worker's pipelined connection.
    pipelined: AtomicU64,
    /// Lookups queued on a worker behind a read in flight, waiting to go out in the next.
    waiting: AtomicUsize,
}

/// A connection unused for longer than this is pinged before it is used, so one that
/// died while idle (a database restart) is replaced instead of failing a request.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(5);

impl Db {
    /// A pool of at most `max_size` connections; a caller waits at most `wait` for one.
    pub fn connect(url: &DatabaseUrl, max_size: u32, wait: Duration) -> Result<Self, DbError> {
        let pool = connection::build_pool(url, max_size, wait).map_err(DbError::Pool)?;
        Ok(Self { pool, url: Arc::new(url.clone()), counters: Arc::default() })
    }

    /// How many statements the work given to this `Db` has run (health pings aside).
    pub fn statements(&self) -> u64 {
        self.counters.statements.load(Ordering::Relaxed)
    }

    /// How many reads were answered on a worker's pipelined connection.
    pub fn pipelined_reads(&self) -> u64 {
        self.counters.pipelined.load(Ordering::Relaxed)
    }

    /// How many session lookups wait, on every worker, for a read in flight to come back
    /// so they can go out together in the next (see `coalesce`).
    pub fn lookups_waiting(&self) -> usize {
        self.counters.waiting.load(Ordering::Relaxed)
    }

    /// A pipelined connection for the worker thread that calls this (see [`Pipeline`]);
    /// on SQLite one that is never there, so every read goes through the pool.
    pub fn pipeline(&self) -> Rc<Pipeline> {
        let url = match &*self.url {
            DatabaseUrl::Postgres(url) => Some(url.clone()),
            DatabaseUrl::Sqlite(_) => None,
        };
        Pipeline::new(url, self.counters.clone())
    }

    /// The pool's size and what it holds now, for the metrics.
    pub fn pool_stats(&self) -> PoolStats {
        let status = self.pool.status();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PoolStats {
            max_size: count(status.max_size),
            connections: count(status.size),
            idle: count(status.available),
        }
    }

    /// Runs `work` with a connection, on the blocking thread pool. The connection is
    /// awaited here, on the async worker, so only work that has one occupies a thread.
    pub async fn run<T, E>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let asked = Instant::now();
        let pooled = self.pool.get().await;
        crate::telemetry::pool_wait(asked.elapsed());
        let mut pooled = pooled.map_err(DbError::Unavailable)?;
        let (url, counters) = (self.url.clone(), self.counters.clone());
        web::block(move || {
            pooled
                .revive_if_idle(&url, IDLE_BEFORE_PING)
                .map_err(|e| DbError::Unavailable(deadpool::managed::PoolError::Backend(e)))?;
            let before = pooled.statements();
            let done = work(&mut pooled.conn);
            counters.statements.fetch_add(pooled.statements() - before, Ordering::Relaxed);
            pooled.last_used = Instant::now();
            done
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// Like [`Db::run`], inside one write transaction (see [`write_transaction`]).
    pub async fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, work)).await
    }
}

/// A transaction that may read, then write. On SQLite it begins IMMEDIATE, taking the
/// write lock up front: a deferred transaction that reads and then writes fails with
/// "database is locked" when another writer got there first, busy timeout or not.
pub fn write_transaction<T, E>(conn: &mut Conn, work: impl FnOnce(&mut Conn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let Conn::Sqlite(sqlite) = conn else { return conn.transaction(work) };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let outcome = work(conn);
    let Conn::Sqlite(sqlite) = conn else { return outcome };
    match outcome {
        Ok(value) => AnsiTransactionManager::commit_transaction(sqlite).map(|()| value).map_err(E::from),
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(sqlite).ok();
            Err(e)
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub max_size: u32,
    pub connections: u32,
    pub idle: u32,
}

/// `raw` with LIKE's wildcards and the escape character escaped, to be matched literally
/// (with `ESCAPE '\\'`).
pub fn escape_like(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Whether the database answers: `/readyz`, and connections idle for a while.
pub fn ping(conn: &mut Conn) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::sql_query("SELECT 1").execute(conn).map(drop)
}

/// Timestamps are naive UTC everywhere, bound as parameters rather than the database's
/// `now()`, so both backends compare like with like.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn escapes_like_wildcards_and_the_escape_character() {
        assert_eq!(escape_like("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(escape_like("plain"), "plain");
    }
}
