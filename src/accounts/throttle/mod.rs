//! Rate limits over the shared `throttle_events` log, so every instance sees the same
//! counts: "N events per window", then a wait that doubles with each event past N.
//!
//! An attempt is recorded and decided in one step, under a lock per bucket
//! ([`admit`]): checking first and recording after the password was verified would let a
//! burst of parallel guesses all pass the check.

mod buckets;

pub use buckets::Bucket;

use crate::config::Policy;
use crate::db::{self, Conn, DbError};
use chrono::{NaiveDateTime, TimeDelta};

/// Events older than this are of no use to any policy and are swept away.
pub const MAX_WINDOW: TimeDelta = TimeDelta::days(1);

pub const FIRST_WAIT: TimeDelta = TimeDelta::seconds(30);

/// An attempt that was let through, and counted: [`give_back`] uncounts it (a login that
/// turned out to be the owner's).
#[derive(Debug, Clone, Default)]
#[must_use = "an admitted attempt is given back on success"]
pub struct Attempt {
    events: Vec<i64>,
}

/// The attempt was refused: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_secs: u64,
}

/// Counts an attempt against every bucket unless one of them is over its limit, all in
/// the caller's transaction and under each bucket's lock, so parallel attempts are
/// decided one after the other. A refused attempt is not counted.
pub fn admit(
    conn: &mut Conn,
    checks: &[(&Bucket, Policy)],
    now: NaiveDateTime,
) -> Result<Result<Attempt, Refused>, DbError> {
    let mut keys: Vec<&str> = checks.iter().map(|(bucket, _)| bucket.as_str()).collect();
    db::throttle::lock(conn, &mut keys)?;
    let mut longest = None;
    for (bucket, policy) in checks {
        longest = longest.max(retry_after(conn, bucket, *policy, now)?);
    }
    if let Some(retry_after_secs) = longest {
        return Ok(Err(Refused { retry_after_secs }));
    }
    let mut events = Vec::with_capacity(checks.len());
    for (bucket, _) in checks {
        events.push(db::throttle::record(conn, bucket.as_str(), now)?);
    }
    Ok(Ok(Attempt { events }))
}

/// Uncounts an admitted attempt.
pub fn give_back(conn: &mut Conn, attempt: Attempt) -> Result<(), DbError> {
    db::throttle::delete_events(conn, &attempt.events)?;
    Ok(())
}

/// How long to wait after the latest of `count` events in the window.
fn wait(policy: Policy, count: i64) -> TimeDelta {
    let excess = u32::try_from(count - i64::from(policy.limit)).unwrap_or(0).min(20);
    FIRST_WAIT.checked_mul(1 << excess).unwrap_or(policy.window).min(policy.window)
}

/// Seconds until `bucket` may be used again under `policy`, or `None` if it may now.
fn retry_after(
    conn: &mut Conn,
    bucket: &Bucket,
    policy: Policy,
    now: NaiveDateTime,
) -> Result<Option<u64>, DbError> {
    let (count, latest) = db::throttle::recent(conn, bucket.as_str(), now - policy.window)?;
    let Some(latest) = latest.filter(|_| count >= i64::from(policy.limit)) else {
        return Ok(None);
    };
    let free_at = latest + wait(policy, count);
    Ok((free_at > now).then(|| u64::try_from((free_at - now).num_seconds()).unwrap_or(0).max(1)))
}

/// Forgets a bucket's count (the owner logged in from this address).
pub fn clear(conn: &mut Conn, bucket: &Bucket) -> Result<(), DbError> {
    db::throttle::clear(conn, bucket.as_str())?;
    Ok(())
}

/// Forgets every count of an account's logins, from any address (after a reset).
pub fn clear_account(conn: &mut Conn, account: crate::domain::UserId) -> Result<(), DbError> {
    db::throttle::clear_prefix(conn, &Bucket::account_prefix(account))?;
    Ok(())
}

/// Deletes events no policy can still count; run periodically.
pub async fn purge_old(db: &db::Db) -> Result<usize, DbError> {
    db.run(|conn| db::throttle::delete_older_than(conn, db::now() - MAX_WINDOW).map_err(DbError::from)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_past_the_limit_up_to_the_window() {
        let policy = Policy { limit: 5, window: TimeDelta::minutes(15) };
        let waits: Vec<i64> = (5..=11).map(|n| wait(policy, n).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(wait(policy, 1_000_000), TimeDelta::minutes(15));
    }
}
