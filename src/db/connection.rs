//! One connection type for both backends, chosen by the URL's scheme, and its pool.

use deadpool::managed;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::result::{DatabaseErrorKind, Error::DatabaseError};
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The connection every query in `db/` takes. Built by scheme in [`DatabaseUrl::connect`],
/// never by the derive's own `establish`, which would try PostgreSQL and then quietly
/// create a SQLite file named after a mistyped PostgreSQL URL.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives: `postgres://…`/`postgresql://…`, or `sqlite://PATH`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("DATABASE_URL must start with postgres://, postgresql:// or sqlite://")]
pub struct UnknownScheme;

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, UnknownScheme> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(raw.to_owned()))
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(UnknownScheme);
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            Err(UnknownScheme)
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    pub fn connect(&self) -> Result<Conn, ConnectionError> {
        match self {
            Self::Postgres(url) => PgConnection::establish(url).map(Conn::Postgres),
            Self::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                // Per connection, not per file: SQLite forgets these on every open.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(Conn::Sqlite(conn))
            }
        }
    }
}

/// Redacts the password: URLs end up in error messages and logs.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Postgres(url) => write!(f, "Postgres({})", redact_password(url)),
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

const HIDDEN: &str = "***";

/// The URL with its password replaced by `***`, wherever libpq may take one from: the
/// userinfo (`user:pw@host`) and the `password` query parameter.
fn redact_password(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else { return redact_unparsed(raw) };
    if url.password().is_some() && url.set_password(Some(HIDDEN)).is_err() {
        return redact_unparsed(raw);
    }
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let secret = key.eq_ignore_ascii_case("password");
            (key.into_owned(), if secret { HIDDEN.to_owned() } else { value.into_owned() })
        })
        .collect();
    if !query.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(query);
    }
    url.to_string()
}

/// For what the `url` crate refuses but libpq takes, such as a unix socket's empty host
/// (`postgres://user@/db?host=/run/postgresql`): the same two places, by hand.
fn redact_unparsed(raw: &str) -> String {
    let (base, query) = raw.split_once('?').unwrap_or((raw, ""));
    let base = match base.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.split_once('@')?))) {
        Some((scheme, (userinfo, host))) if userinfo.contains(':') => {
            format!("{scheme}://{}:{HIDDEN}@{host}", userinfo.split(':').next().unwrap_or_default())
        }
        _ => base.to_owned(),
    };
    if query.is_empty() {
        return base;
    }
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}={HIDDEN}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// A pooled connection: the connection, when it was last used, and what its probe saw.
pub struct Pooled {
    pub(super) conn: Conn,
    pub(super) last_used: Instant,
    broken: Arc<AtomicBool>,
    statements: Arc<AtomicU64>,
}

impl Pooled {
    fn open(url: &DatabaseUrl) -> Result<Self, ConnectionError> {
        let mut conn = url.connect()?;
        let (broken, statements) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
        conn.set_instrumentation(Probe { broken: broken.clone(), statements: statements.clone() });
        Ok(Self { conn, last_used: Instant::now(), broken, statements })
    }

    /// How many statements this connection has run.
    pub(super) fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Makes sure a connection unused for longer than `idle` still answers, and opens a
    /// new one in its place when it does not (the server restarted meanwhile).
    pub(super) fn revive_if_idle(
        &mut self,
        url: &DatabaseUrl,
        idle: Duration,
    ) -> Result<(), ConnectionError> {
        if self.last_used.elapsed() < idle || super::ping(&mut self.conn).is_ok() {
            return Ok(());
        }
        let statements = self.statements();
        *self = Self::open(url)?;
        self.statements.store(statements, Ordering::Relaxed);
        Ok(())
    }
}

/// Watches every statement of a connection: counts them, and notices when
/// the server has gone (so the pool drops the connection instead of handing it out).
struct Probe {
    broken: Arc<AtomicBool>,
    statements: Arc<AtomicU64>,
}

impl Instrumentation for Probe {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery { error, .. } = event {
            self.statements.fetch_add(1, Ordering::Relaxed);
            if let Some(DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )) = error
            {
                self.broken.store(true, Ordering::Relaxed);
            }
        }
    }
}

pub struct Manager(DatabaseUrl);

impl managed::Manager for Manager {
    type Type = Pooled;
    type Error = ConnectionError;

    /// Connecting blocks (libpq, SQLite's open), so it happens on the blocking pool.
    async fn create(&self) -> Result<Pooled, ConnectionError> {
        let url = self.0.clone();
        actix_web::rt::task::spawn_blocking(move || Pooled::open(&url))
            .await
            .unwrap_or_else(|_| Err(ConnectionError::BadConnection("connecting was cancelled".into())))
    }

    /// No query here: a connection that broke was noticed by its probe, and one idle for
    /// long is pinged on the blocking pool just before use (see [`Pooled::revive_if_idle`]).
    async fn recycle(
        &self,
        pooled: &mut Pooled,
        _: &managed::Metrics,
    ) -> managed::RecycleResult<ConnectionError> {
        if pooled.broken.load(Ordering::Relaxed) {
            return Err(managed::RecycleError::message("the server closed the connection"));
        }
        Ok(())
    }
}

pub type DbPool = managed::Pool<Manager>;

/// A pool of at most `max_size` connections, opened as they are needed, so it starts even
/// when the database is down (requests then get 503 until it is back). Callers wait for a
/// connection asynchronously, in the order they asked, at most `wait`: no thread blocks
/// on the pool, and under load nobody is overtaken by later arrivals (with a thread per
/// waiter, 56 blocking threads raced for 10 connections under 32 clients' load, and the
/// unlucky ones waited half a second).
pub fn build_pool(url: &DatabaseUrl, max_size: u32, wait: Duration) -> Result<DbPool, managed::BuildError> {
    managed::Pool::builder(Manager(url.clone()))
        .max_size(usize::try_from(max_size).unwrap_or(usize::MAX))
        .wait_timeout(Some(wait))
        .create_timeout(Some(wait))
        .queue_mode(managed::QueueMode::Lifo)
        .runtime(deadpool::Runtime::Tokio1)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chooses_the_backend_by_scheme_only() {
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert!(matches!(DatabaseUrl::parse("postgresql://u@h/db"), Ok(DatabaseUrl::Postgres(_))));
        assert_eq!(DatabaseUrl::parse("sqlite://data/app.db"), Ok(DatabaseUrl::Sqlite("data/app.db".into())));
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/app.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/app.db".into()))
        );
        for bad in ["gatehouse.db", "mysql://x", "sqlite://", "postgres:/x"] {
            assert_eq!(DatabaseUrl::parse(bad), Err(UnknownScheme), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let shown = |raw: &str| DatabaseUrl::parse(raw).map(|u| format!("{u:?}")).unwrap_or_default();
        assert_eq!(shown("postgres://app:hunter22@db:5432/x"), "Postgres(postgres://app:***@db:5432/x)");
        let query = shown("postgres://app@db/x?sslmode=require&password=hunter22&PASSWORD=p%40ss");
        assert!(
            !query.contains("hunter22") && !query.contains("p%40ss") && query.contains("sslmode=require"),
            "{query}"
        );
        let both = shown("postgresql://app:pw1@db/x?password=pw2");
        assert!(!both.contains("pw1") && !both.contains("pw2"), "{both}");
        let socket = shown("postgres://app:pw3@/x?host=/run/postgresql&password=pw4");
        assert!(
            !socket.contains("pw3") && !socket.contains("pw4") && socket.contains("host=/run/postgresql"),
            "{socket}"
        );
    }
}
