//! Fake accounts in bulk (`gatehouse seed-users`), so that anyone can see how the admin
//! panel copes with a hundred thousand of them.

use crate::db::{self, Conn, DbError};
use crate::domain::Role;
use chrono::TimeDelta;
use diesel::Connection;

/// Names are `seed_` and six digits.
pub const MAX_SEEDED: u32 = 999_999;
const PREFIX: &str = "seed_";
/// Rows per statement and per transaction: large enough to be fast, small enough for
/// SQLite's limit on bound parameters.
const BATCH: u32 = 1000;

/// Inserts `count` active accounts with the role `user`, named `seed_000001`... after any
/// seeded before, created a second apart (the last one now), all with `password_hash`.
/// Returns the first and last usernames.
pub fn seed(conn: &mut Conn, count: u32, password_hash: &str) -> anyhow::Result<(String, String)> {
    let existing = db::users::usernames_starting_with(conn, PREFIX)?;
    let last = existing.iter().filter_map(|name| name.strip_prefix(PREFIX)?.parse::<u32>().ok()).max();
    let first = last.unwrap_or(0) + 1;
    let end = first.saturating_add(count).saturating_sub(1);
    anyhow::ensure!(
        count > 0 && end <= MAX_SEEDED,
        "--count must be between 1 and {} (the names go up to seed_{MAX_SEEDED})",
        MAX_SEEDED.saturating_sub(first - 1)
    );
    let now = db::now();
    let mut number = first;
    while number <= end {
        let batch_end = end.min(number + BATCH - 1);
        let names: Vec<(String, String)> = (number..=batch_end)
            .map(|n| (format!("{PREFIX}{n:06}"), format!("{PREFIX}{n:06}@example.invalid")))
            .collect();
        let rows: Vec<db::users::NewUser<'_>> = names
            .iter()
            .zip(number..)
            .map(|((username, email), n)| {
                let created_at = now - TimeDelta::seconds(i64::from(end - n));
                db::users::NewUser {
                    username,
                    email,
                    password_hash: Some(password_hash),
                    is_active: true,
                    created_at,
                    updated_at: created_at,
                }
            })
            .collect();
        conn.transaction::<_, DbError, _>(|conn| {
            let ids = db::users::insert_many(conn, &rows)?;
            db::users::grant_many(conn, &ids, Role::User)?;
            Ok(())
        })?;
        number = batch_end + 1;
    }
    db::users::analyze(conn)?;
    Ok((format!("{PREFIX}{first:06}"), format!("{PREFIX}{end:06}")))
}
