//! The admin overview's figures: account totals, daily counts from `users` and the audit
//! log, the outbox's state, and the daily count of refused (throttled) logins.

use super::Conn;
use super::schema::{email_outbox, throttle_refusals, users};
use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

/// `(day as YYYY-MM-DD, count)`.
pub type Daily = Vec<(String, i64)>;

#[derive(QueryableByName)]
struct DayCount {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows per day since `$1` (and with `action = $2`), the day as `YYYY-MM-DD` text. Each
/// backend groups by its own cheapest day expression: on PostgreSQL a cast to `date`
/// (formatted once per day, not once per row: twice as fast), on SQLite `date()`.
fn per_day(conn: &Conn, table: &str, extra: &str) -> String {
    match conn {
        Conn::Postgres(_) => format!(
            "SELECT to_char(d, 'YYYY-MM-DD') AS day, n FROM (SELECT created_at::date AS d, count(*) AS n \
             FROM {table} WHERE created_at >= $1 {extra} GROUP BY 1) AS days"
        ),
        Conn::Sqlite(_) => format!(
            "SELECT date(created_at) AS day, count(*) AS n FROM {table} WHERE created_at >= $1 {extra} GROUP BY 1"
        ),
    }
}

fn load_daily(conn: &mut Conn, sql: &str, since: NaiveDateTime, action: Option<&str>) -> QueryResult<Daily> {
    // Raw SQL does not go through the two-backend connection type, hence the branch;
    // SQLite binds `$1` and `$2` by position too.
    let rows: Vec<DayCount> = match (conn, action) {
        (Conn::Postgres(c), None) => diesel::sql_query(sql).bind::<Timestamp, _>(since).load(c)?,
        (Conn::Sqlite(c), None) => diesel::sql_query(sql).bind::<Timestamp, _>(since).load(c)?,
        (Conn::Postgres(c), Some(a)) => {
            diesel::sql_query(sql).bind::<Timestamp, _>(since).bind::<Text, _>(a).load(c)?
        }
        (Conn::Sqlite(c), Some(a)) => {
            diesel::sql_query(sql).bind::<Timestamp, _>(since).bind::<Text, _>(a).load(c)?
        }
    };
    Ok(rows.into_iter().map(|r| (r.day, r.n)).collect())
}

/// Accounts created per day since `since` (an index range on `created_at`).
pub fn new_accounts(conn: &mut Conn, since: NaiveDateTime) -> QueryResult<Daily> {
    let sql = per_day(conn, "users", "");
    load_daily(conn, &sql, since, None)
}

/// Audit entries of `action` per day since `since` (an index range on `(action, created_at)`).
pub fn actions_per_day(conn: &mut Conn, action: &str, since: NaiveDateTime) -> QueryResult<Daily> {
    let sql = per_day(conn, "audit_events", "AND action = $2");
    load_daily(conn, &sql, since, Some(action))
}

/// `(all accounts, active accounts)`. Active is counted as all but the deactivated, who
/// are few and have a partial index: no pass over every row to find who is active.
pub fn account_totals(conn: &mut Conn) -> QueryResult<(i64, i64)> {
    let total: i64 = users::table.count().get_result(conn)?;
    let deactivated: i64 =
        users::table.filter(diesel::dsl::not(users::is_active)).count().get_result(conn)?;
    Ok((total, total - deactivated))
}

/// How many outbox messages have `status`.
pub fn outbox_count(conn: &mut Conn, status: &str) -> QueryResult<i64> {
    email_outbox::table.filter(email_outbox::status.eq(status)).select(count_star()).get_result(conn)
}

/// Counts one refused attempt of `kind` on `day` (YYYY-MM-DD): one row per day and kind,
/// however many attempts a flood brings.
pub fn count_refusal(conn: &mut Conn, kind: &str, day: &str) -> QueryResult<()> {
    let row =
        (throttle_refusals::day.eq(day), throttle_refusals::kind.eq(kind), throttle_refusals::count.eq(1));
    let upsert = diesel::insert_into(throttle_refusals::table)
        .values(row)
        .on_conflict((throttle_refusals::day, throttle_refusals::kind))
        .do_update()
        .set(throttle_refusals::count.eq(throttle_refusals::count + 1));
    // Upserts don't go through the two-backend connection type either.
    match conn {
        Conn::Postgres(c) => upsert.execute(c).map(drop),
        Conn::Sqlite(c) => upsert.execute(c).map(drop),
    }
}

/// Refusals of `kind` per day, from `since` (YYYY-MM-DD) on.
pub fn refusals(conn: &mut Conn, kind: &str, since: &str) -> QueryResult<Daily> {
    throttle_refusals::table
        .filter(throttle_refusals::kind.eq(kind))
        .filter(throttle_refusals::day.ge(since))
        .select((throttle_refusals::day, throttle_refusals::count))
        .load(conn)
}
