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

pub fn record(conn: &mut Conn, bucket: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(throttle_events::table)
        .values((throttle_events::bucket.eq(bucket), throttle_events::created_at.eq(at)))
        .execute(conn)
        .map(drop)
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
