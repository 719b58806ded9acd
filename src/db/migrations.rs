//! Both backends' migrations, embedded in the binary and applied at start-up.

use super::connection::{Conn, DatabaseUrl};
use anyhow::Context;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Applies pending migrations and returns the names of those it applied.
pub fn run_pending(conn: &mut Conn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        Conn::Postgres(c) => c.run_pending_migrations(POSTGRES),
        Conn::Sqlite(c) => c.run_pending_migrations(SQLITE),
    }
    .map_err(|e| anyhow::anyhow!(e))
    .context("applying migrations")?;
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Connects to `database_url` and migrates it: `gatehouse migrate`, start-up and tests.
pub fn migrate(database_url: &str) -> anyhow::Result<Vec<String>> {
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.connect().with_context(|| format!("connecting to {url:?}"))?;
    run_pending(&mut conn)
}
