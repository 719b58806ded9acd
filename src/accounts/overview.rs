//! The admin overview: account totals, the last 30 days day by day (new accounts, logins,
//! failed logins, throttled logins), and the outbox's state. Every figure is one indexed
//! query; see the README for their timings at 100,000 accounts and a million entries.

use super::audit::Action;
use crate::db::{self, Conn, Db, DbError};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use std::collections::HashMap;

pub const DAYS: i64 = 30;
/// The `throttle_refusals` kind of a login refused by the throttle.
pub const LOGIN_REFUSED: &str = "login";

/// One figure per day, oldest first, for each of the last [`DAYS`] days (today included).
#[derive(Debug, Clone)]
pub struct Series {
    pub days: Vec<(NaiveDate, i64)>,
}

impl Series {
    pub fn total(&self) -> i64 {
        self.days.iter().map(|(_, n)| n).sum()
    }

    pub fn max(&self) -> i64 {
        self.days.iter().map(|(_, n)| *n).max().unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
pub struct Overview {
    pub accounts: i64,
    pub active: i64,
    pub new_accounts: Series,
    pub logins: Series,
    pub failed_logins: Series,
    /// Logins refused by the throttle (counted in `throttle_refusals`, see [`count_refusal`]).
    pub throttled: Series,
    pub emails_queued: i64,
    pub emails_failed: i64,
}

pub async fn overview(db: &Db) -> Result<Overview, DbError> {
    db.run(|conn| {
        let today = db::now().date();
        let first = today - TimeDelta::days(DAYS - 1);
        let since = first.and_hms_opt(0, 0, 0).unwrap_or(NaiveDateTime::MIN);
        let series = |daily: db::stats::Daily| fill(first, daily);
        let (accounts, active) = db::stats::account_totals(conn)?;
        let logins = db::stats::actions_per_day(conn, Action::LoginSucceeded.as_str(), since)?;
        let failed = db::stats::actions_per_day(conn, Action::LoginFailed.as_str(), since)?;
        let throttled = db::stats::refusals(conn, LOGIN_REFUSED, &day_key(first))?;
        Ok(Overview {
            accounts,
            active,
            new_accounts: series(db::stats::new_accounts(conn, since)?),
            logins: series(logins),
            failed_logins: series(failed),
            throttled: series(throttled),
            emails_queued: db::stats::outbox_count(conn, db::outbox::PENDING)?,
            emails_failed: db::stats::outbox_count(conn, db::outbox::FAILED)?,
        })
    })
    .await
}

/// Counts one login the throttle refused, on today's row. Called on the refusal path, in
/// the same connection as the check: one small upsert, never a row per attempt.
pub fn count_refusal(conn: &mut Conn) -> Result<(), DbError> {
    Ok(db::stats::count_refusal(conn, LOGIN_REFUSED, &day_key(db::now().date()))?)
}

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Every day from `first` through the next [`DAYS`] - 1, with 0 where `daily` has none.
fn fill(first: NaiveDate, daily: db::stats::Daily) -> Series {
    let counts: HashMap<String, i64> = daily.into_iter().collect();
    let days = (0..DAYS)
        .map(|offset| first + TimeDelta::days(offset))
        .map(|day| (day, counts.get(&day_key(day)).copied().unwrap_or(0)))
        .collect();
    Series { days }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_days_count_zero_and_days_outside_are_ignored() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
        let daily = vec![("2026-11-02".into(), 3), ("2026-12-01".into(), 5), ("2026-10-01".into(), 9)];
        let series = fill(first, daily);
        assert_eq!(series.days.len(), 30);
        assert_eq!(series.days[0], (first, 3));
        assert_eq!(series.days[29].1, 5);
        assert_eq!((series.total(), series.max()), (8, 5));
    }
}
