//! Queries on `throttle_events`: the shared log that rate limits count.

use super::Conn;
use super::schema::throttle_events;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// How many events `bucket` has had since `since`, and when the latest was.
pub fn recent(
    conn: &mut Conn,
    bucket: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    throttle_events::table
        .filter(throttle_events::bucket.eq(bucket))
        .filter(throttle_events::created_at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::max(throttle_events::created_at)))
        .first(conn)
}

/// Records an event and returns its id.
pub fn record(conn: &mut Conn, bucket: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(throttle_events::table)
        .values((throttle_events::bucket.eq(bucket), throttle_events::created_at.eq(at)))
        .returning(throttle_events::id)
        .get_result(conn)
}

pub fn delete_events(conn: &mut Conn, ids: &[i64]) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.filter(throttle_events::id.eq_any(ids))).execute(conn)
}

/// Serialises the callers that count against any of these buckets until the end of the
/// transaction. PostgreSQL: one transaction-scoped advisory lock per bucket, taken in
/// sorted order so that two callers never wait on each other. SQLite: the write
/// transaction ([`super::Db::transaction`] begins it IMMEDIATE) already holds the
/// database, so there is nothing more to take.
pub fn lock(conn: &mut Conn, buckets: &mut [&str]) -> QueryResult<()> {
    let Conn::Postgres(pg) = conn else { return Ok(()) };
    buckets.sort_unstable();
    for bucket in buckets.iter() {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(lock_key(bucket))
            .execute(pg)?;
    }
    Ok(())
}

/// A stable 64-bit key per bucket name for `pg_advisory_xact_lock`.
fn lock_key(bucket: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("gatehouse-throttle:{bucket}"));
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

pub fn clear(conn: &mut Conn, bucket: &str) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.filter(throttle_events::bucket.eq(bucket))).execute(conn)
}

/// Clears every bucket whose name starts with `prefix` (all of one account's counters).
pub fn clear_prefix(conn: &mut Conn, prefix: &str) -> QueryResult<usize> {
    let pattern = format!("{}%", super::escape_like(prefix));
    diesel::delete(throttle_events::table.filter(throttle_events::bucket.like(pattern).escape('\\')))
        .execute(conn)
}

pub fn delete_older_than(conn: &mut Conn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.filter(throttle_events::created_at.le(cutoff))).execute(conn)
}
