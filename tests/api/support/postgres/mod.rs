//! Owns the PostgreSQL that integration tests run against: one server per test process
//! (`TEST_DATABASE_URL`, or a throwaway unix-socket cluster), one migrated template on it,
//! and one fresh clone of that template per test, so tests share nothing and run in parallel.

mod cluster;

pub use cluster::OwnCluster;

use cluster::{PORT, find_bin_dir, percent_encode, spawn_watchdog, start_cluster};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, sql_query};
use std::path::PathBuf;
use std::process::ChildStdin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};

/// URL (libpq-style, usable by `diesel::PgConnection::establish`) of a new, empty, fully
/// migrated database for one test.
pub fn new_test_database() -> String {
    let server = SERVER.as_ref().unwrap_or_else(|e| panic!("{e}"));
    let name = format!("gatehouse_test_{}_{}", server.run_id, server.created.fetch_add(1, Ordering::Relaxed));
    // A test that panicked while holding the lock left the connection itself intact.
    let mut admin = server.admin.lock().unwrap_or_else(PoisonError::into_inner);
    sql_query(format!("CREATE DATABASE {name} TEMPLATE {}", server.template))
        .execute(&mut *admin)
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    server.place.url(&name)
}

/// URL of a new database with nothing in it, not even the migrations: for tests of what
/// instances do to a fresh database.
pub fn new_empty_database() -> String {
    let server = SERVER.as_ref().unwrap_or_else(|e| panic!("{e}"));
    let name = format!("gatehouse_test_{}_{}", server.run_id, server.created.fetch_add(1, Ordering::Relaxed));
    let mut admin = server.admin.lock().unwrap_or_else(PoisonError::into_inner);
    exec(&mut admin, format!("CREATE DATABASE {name}")).unwrap_or_else(|e| panic!("{e}"));
    server.place.url(&name)
}

/// `Err` is kept rather than panicking inside the `LazyLock`, so every test reports the
/// real reason instead of all but the first saying "poisoned".
static SERVER: LazyLock<Result<Server, String>> = LazyLock::new(start);

struct Server {
    /// `<pid>_<random>`: pids alone collide between machines sharing one external server.
    run_id: String,
    template: String,
    /// Open for the whole run: its application_name is how other runs tell that this
    /// run's databases are still in use (see `drop_sql`).
    admin: Mutex<PgConnection>,
    created: AtomicU32,
    place: Place,
    /// Never written to: the test process ending, however it ends (even SIGKILL), closes
    /// it, and that EOF sets the watchdog cleaning up. No `#[ctor::dtor]`: its expansion
    /// carries `#[allow(unsafe_code)]`, which the crate's `forbid(unsafe_code)` rejects.
    _watchdog: Option<ChildStdin>,
}

enum Place {
    External(String),
    Local(PathBuf),
}

impl Place {
    fn url(&self, db: &str) -> String {
        match self {
            Self::External(url) => with_database(url, db),
            Self::Local(dir) => format!("postgres://postgres@/{db}?host={}&port={PORT}", percent_encode(dir)),
        }
    }

    fn admin_url(&self) -> String {
        match self {
            Self::External(url) => url.clone(),
            Self::Local(_) => self.url("postgres"),
        }
    }
}

fn start() -> Result<Server, String> {
    let run_id = format!("{}_{:08x}", std::process::id(), rand::random::<u32>());
    let (place, watchdog) = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
                return Err("TEST_DATABASE_URL must be a postgres:// URL".into());
            }
            // Without psql, this run's databases wait for the next run's sweep below.
            let watchdog = match find_bin_dir(&["psql"]) {
                Some(bin) => Some(spawn_watchdog(&[
                    ("PSQL", bin.join("psql").into()),
                    ("ADMIN_URL", url.clone().into()),
                    ("DROP_SQL", drop_sql(&run_id).into()),
                ])?),
                None => None,
            };
            (Place::External(url), watchdog)
        }
        _ => {
            let (dir, watchdog) = start_cluster(&run_id)?;
            (Place::Local(dir), Some(watchdog))
        }
    };
    let mut admin = PgConnection::establish(&place.admin_url())
        .map_err(|e| format!("connecting to the test server: {e}"))?;
    exec(&mut admin, format!("SET application_name = 'gatehouse-tests-{run_id}'"))?;
    if matches!(place, Place::External(_)) {
        #[derive(QueryableByName)]
        struct Statement {
            #[diesel(sql_type = Text)]
            sql: String,
        }
        let stale: Vec<Statement> = sql_query(drop_sql(&run_id))
            .load(&mut admin)
            .map_err(|e| format!("listing stale test databases: {e}"))?;
        for Statement { sql } in stale {
            // Failure is fine: another run may be sweeping too, or the owner is another role.
            let _ = exec(&mut admin, sql);
        }
    }
    let template = format!("gatehouse_tpl_{run_id}");
    exec(&mut admin, format!("CREATE DATABASE {template}"))?;
    gatehouse::db::migrate(&place.url(&template))
        .map_err(|e| format!("migrating the template database: {e:#}"))?;
    // One stray session on the template would make every later clone fail.
    exec(&mut admin, format!("ALTER DATABASE {template} ALLOW_CONNECTIONS false"))?;
    let (admin, created) = (Mutex::new(admin), AtomicU32::new(0));
    Ok(Server { run_id, template, admin, created, place, _watchdog: watchdog })
}

fn exec(conn: &mut PgConnection, sql: String) -> Result<(), String> {
    sql_query(&sql).execute(conn).map(drop).map_err(|e| format!("{sql}: {e}"))
}

/// A query yielding `DROP DATABASE` statements for the databases of `own_run` (whose process
/// is gone by the time the watchdog runs this) and of every run whose admin session is gone.
fn drop_sql(own_run: &str) -> String {
    let run_of = "'^gatehouse_(?:tpl|test)_([0-9]+_[0-9a-f]{8})(?:_[0-9]+)?$'";
    format!(
        "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE);', datname) AS sql \
         FROM (SELECT datname, substring(datname FROM {run_of}) AS run FROM pg_database) d \
         WHERE run = '{own_run}' OR (run IS NOT NULL AND NOT EXISTS \
         (SELECT FROM pg_stat_activity WHERE application_name = 'gatehouse-tests-' || run))"
    )
}

/// `url` with its database name replaced; user, password, host and options kept.
fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = before_query.split_once('/').map_or(before_query, |(authority, _)| authority);
    // A dbname= option would override the path.
    let options: Vec<&str> =
        query.split('&').filter(|o| !o.is_empty() && !o.starts_with("dbname=")).collect();
    let query = if options.is_empty() { String::new() } else { format!("?{}", options.join("&")) };
    format!("{scheme}://{authority}/{db}{query}")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sql_query(sql).get_result::<Count>(conn).unwrap_or_else(|e| panic!("{sql}: {e}")).n
}

#[test]
fn two_test_databases_are_separate_and_migrated() {
    let (url_a, url_b) = (new_test_database(), new_test_database());
    assert_ne!(url_a, url_b);
    let connect = |url: &str| PgConnection::establish(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let (mut a, mut b) = (connect(&url_a), connect(&url_b));
    for conn in [&mut a, &mut b] {
        let users = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'users'";
        assert_eq!(count(conn, users), 1);
    }
    sql_query("INSERT INTO roles (id, name) VALUES (99, 'only-in-a')")
        .execute(&mut a)
        .unwrap_or_else(|e| panic!("{e}"));
    let only_in_a = "SELECT count(*) AS n FROM roles WHERE id = 99";
    assert_eq!((count(&mut a, only_in_a), count(&mut b, only_in_a)), (1, 0));
}

#[test]
fn external_server_urls_keep_everything_but_the_database_name() {
    let url = "postgres://app:p%2Fw@db:5433/postgres?sslmode=require&dbname=postgres";
    assert_eq!(with_database(url, "t_1"), "postgres://app:p%2Fw@db:5433/t_1?sslmode=require");
    assert_eq!(with_database("postgresql://localhost", "t_1"), "postgresql://localhost/t_1");
}
