//! Rate limits over the shared `throttle_events` log, so every instance sees the same
//! counts: "N events per window", then a wait that doubles with each event past N.

use crate::db::{self, Conn, DbError};
use chrono::{NaiveDateTime, TimeDelta};

/// At most `limit` events per `window`; past that, the wait after the latest event starts
/// at [`FIRST_WAIT`] and doubles with every further event, up to the whole window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window: TimeDelta,
}

/// The limits of one deployment, each set by its own environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed logins for one account from one IP (`LIMIT_LOGIN_ACCOUNT_IP`, 5/15m).
    pub login_account_ip: Policy,
    /// Failed logins from one IP, whatever the account (`LIMIT_LOGIN_IP`, 30/15m).
    pub login_ip: Policy,
    /// Failed logins for one account from anywhere (`LIMIT_LOGIN_ACCOUNT`, 100/1h).
    pub login_account: Policy,
    /// Registration attempts from one IP (`LIMIT_REGISTER_IP`, 10/1h).
    pub register_ip: Policy,
    /// Password-reset requests from one IP (`LIMIT_RESET_IP`, 10/1h).
    pub reset_ip: Policy,
}

impl Default for Limits {
    fn default() -> Self {
        let policy = |limit, window| Policy { limit, window };
        Self {
            login_account_ip: policy(5, TimeDelta::minutes(15)),
            login_ip: policy(30, TimeDelta::minutes(15)),
            login_account: policy(100, TimeDelta::hours(1)),
            register_ip: policy(10, TimeDelta::hours(1)),
            reset_ip: policy(10, TimeDelta::hours(1)),
        }
    }
}

/// Events older than this are of no use to any policy and are swept away.
pub const MAX_WINDOW: TimeDelta = TimeDelta::days(1);

pub const FIRST_WAIT: TimeDelta = TimeDelta::seconds(30);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid rate limit {0:?}: expected COUNT/DURATION, like 5/15m, 20/1h or 3/30s")]
pub struct PolicyError(String);

impl Policy {
    /// Parses `5/15m`: a count, then a duration in s, m, h or d.
    pub fn parse(raw: &str) -> Result<Self, PolicyError> {
        let fail = || PolicyError(raw.to_owned());
        let (count, duration) = raw.trim().split_once('/').ok_or_else(fail)?;
        let limit: u32 = count.trim().parse().map_err(|_| fail())?;
        let duration = duration.trim();
        let split = duration.find(|c: char| !c.is_ascii_digit()).ok_or_else(fail)?;
        let amount: i64 = duration[..split].parse().map_err(|_| fail())?;
        let window = match &duration[split..] {
            "s" => TimeDelta::try_seconds(amount),
            "m" => TimeDelta::try_minutes(amount),
            "h" => TimeDelta::try_hours(amount),
            "d" => TimeDelta::try_days(amount),
            _ => None,
        }
        .filter(|w| *w > TimeDelta::zero())
        .ok_or_else(fail)?;
        if limit == 0 {
            return Err(fail());
        }
        Ok(Self { limit, window })
    }

    /// How long to wait after `latest`, given `count` events in the window.
    fn wait(&self, count: i64) -> TimeDelta {
        let excess = u32::try_from(count - i64::from(self.limit)).unwrap_or(0).min(20);
        FIRST_WAIT.checked_mul(1 << excess).unwrap_or(self.window).min(self.window)
    }
}

/// Seconds until `bucket` may be used again under `policy`, or `None` if it may now.
pub fn retry_after(
    conn: &mut Conn,
    bucket: &str,
    policy: Policy,
    now: NaiveDateTime,
) -> Result<Option<u64>, DbError> {
    let (count, latest) = db::throttle::recent(conn, bucket, now - policy.window)?;
    let Some(latest) = latest.filter(|_| count >= i64::from(policy.limit)) else {
        return Ok(None);
    };
    let free_at = latest + policy.wait(count);
    Ok((free_at > now).then(|| u64::try_from((free_at - now).num_seconds()).unwrap_or(0).max(1)))
}

/// The longest wait among several buckets, each under its own policy.
pub fn longest_wait(
    conn: &mut Conn,
    checks: &[(&str, Policy)],
    now: NaiveDateTime,
) -> Result<Option<u64>, DbError> {
    let mut longest = None;
    for (bucket, policy) in checks {
        longest = longest.max(retry_after(conn, bucket, *policy, now)?);
    }
    Ok(longest)
}

pub fn record(conn: &mut Conn, buckets: &[&str], now: NaiveDateTime) -> Result<(), DbError> {
    for bucket in buckets {
        db::throttle::record(conn, bucket, now)?;
    }
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
    fn parses_counts_per_duration() {
        assert_eq!(Policy::parse("5/15m"), Ok(Policy { limit: 5, window: TimeDelta::minutes(15) }));
        assert_eq!(Policy::parse(" 20 / 1h "), Ok(Policy { limit: 20, window: TimeDelta::hours(1) }));
        assert_eq!(Policy::parse("3/30s").map(|p| p.window), Ok(TimeDelta::seconds(30)));
        for bad in ["", "5", "5/", "/15m", "0/15m", "5/0m", "5/15", "5/15y", "-1/1h", "x/1h", "5/m"] {
            assert!(Policy::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_wait_doubles_past_the_limit_up_to_the_window() {
        let policy = Policy { limit: 5, window: TimeDelta::minutes(15) };
        let waits: Vec<i64> = (5..=11).map(|n| policy.wait(n).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(policy.wait(1_000_000), TimeDelta::minutes(15));
    }
}
