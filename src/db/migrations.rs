//! Both backends' migrations, embedded in the binary and applied at start-up.

use super::connection::{Conn, DatabaseUrl};
use anyhow::Context;
use diesel::RunQueryDsl;
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The advisory lock that instances starting together on one PostgreSQL database queue
/// on, so one applies the migrations and the others find nothing left to do. Without it,
/// two `CREATE TABLE`s of the same name race and the loser exits with a unique violation
/// on `pg_type`. Any fixed number works; this one is "gatehouse" in ASCII.
const MIGRATION_LOCK: i64 = 0x6761_7465_686f_7573;

/// Applies pending migrations and returns the names of those it applied.
pub fn run_pending(conn: &mut Conn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        Conn::Postgres(c) => {
            advisory(c, "SELECT pg_advisory_lock($1)").context("waiting for the migration lock")?;
            let applied = c.run_pending_migrations(POSTGRES).map(|names| names_of(&names));
            // A session lock outlives a failed migration: release it either way. (The
            // connection goes back to the pool, so it must not keep the lock.)
            advisory(c, "SELECT pg_advisory_unlock($1)").context("releasing the migration lock")?;
            applied
        }
        Conn::Sqlite(c) => c.run_pending_migrations(SQLITE).map(|names| names_of(&names)),
    }
    .map_err(|e| anyhow::anyhow!(e))
    .context("applying migrations")?;
    Ok(applied)
}

fn advisory(conn: &mut diesel::PgConnection, sql: &str) -> diesel::QueryResult<()> {
    diesel::sql_query(sql).bind::<BigInt, _>(MIGRATION_LOCK).execute(conn).map(drop)
}

fn names_of(versions: &[diesel::migration::MigrationVersion<'_>]) -> Vec<String> {
    versions.iter().map(ToString::to_string).collect()
}

/// Connects to `database_url` and migrates it: `gatehouse migrate`, start-up and tests.
pub fn migrate(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.connect().with_context(|| format!("connecting to {url:?}"))?;
    run_pending(&mut conn)
}
