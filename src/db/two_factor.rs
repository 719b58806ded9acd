//! Queries on `two_factor` and `recovery_codes`: sealed TOTP secrets, the last accepted
//! time step, and hashes of unused recovery codes.

use super::Conn;
use super::schema::{recovery_codes as codes, two_factor as tf};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An account's second factor, enabled or waiting for its first code.
#[derive(Queryable, Clone)]
pub struct TwoFactorRow {
    pub secret_sealed: String,
    pub enabled_at: Option<NaiveDateTime>,
    pub last_step: i64,
}

pub fn find(conn: &mut Conn, user: UserId) -> QueryResult<Option<TwoFactorRow>> {
    tf::table.find(user.0).select((tf::secret_sealed, tf::enabled_at, tf::last_step)).first(conn).optional()
}

pub fn is_enabled(conn: &mut Conn, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tf::table.find(user.0).filter(tf::enabled_at.is_not_null())))
        .get_result(conn)
}

/// A new secret waiting for its first code, replacing an unconfirmed one; an enabled
/// second factor is left alone (0 rows).
pub fn begin_enrolment(
    conn: &mut Conn,
    user: UserId,
    sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if is_enabled(conn, user)? {
        return Ok(0);
    }
    diesel::delete(tf::table.find(user.0)).execute(conn)?;
    diesel::insert_into(tf::table)
        .values((tf::user_id.eq(user.0), tf::secret_sealed.eq(sealed), tf::created_at.eq(now)))
        .execute(conn)
}

/// Turns the waiting secret on, with the step of the code that confirmed it.
pub fn enable(conn: &mut Conn, user: UserId, step: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(tf::table.find(user.0).filter(tf::enabled_at.is_null()).filter(tf::last_step.lt(step)))
        .set((tf::enabled_at.eq(now), tf::last_step.eq(step)))
        .execute(conn)
}

/// Records `step` as used if it is later than the last one used: 1 row when this code
/// wins, 0 when it (or a later one) was used already, on this instance or another.
pub fn use_step(conn: &mut Conn, user: UserId, step: i64) -> QueryResult<usize> {
    diesel::update(tf::table.find(user.0).filter(tf::enabled_at.is_not_null()).filter(tf::last_step.lt(step)))
        .set(tf::last_step.eq(step))
        .execute(conn)
}

/// Removes the second factor and its recovery codes; how many rows of `two_factor` went.
pub fn delete(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(codes::table.filter(codes::user_id.eq(user.0))).execute(conn)?;
    diesel::delete(tf::table.find(user.0)).execute(conn)
}

/// Replaces the account's recovery codes with these hashes.
pub fn replace_recovery_codes(conn: &mut Conn, user: UserId, hashes: &[String]) -> QueryResult<()> {
    diesel::delete(codes::table.filter(codes::user_id.eq(user.0))).execute(conn)?;
    let rows: Vec<_> = hashes.iter().map(|h| (codes::user_id.eq(user.0), codes::code_hash.eq(h))).collect();
    // Multi-row inserts don't go through the two-backend connection type, hence the branch.
    let insert = diesel::insert_into(codes::table).values(&rows);
    match conn {
        Conn::Postgres(c) => insert.execute(c).map(drop),
        Conn::Sqlite(c) => insert.execute(c).map(drop),
    }
}

/// Deletes the code if it is one of the account's: whoever deletes it first uses it.
pub fn take_recovery_code(conn: &mut Conn, user: UserId, hash: &str) -> QueryResult<bool> {
    diesel::delete(codes::table.filter(codes::user_id.eq(user.0)).filter(codes::code_hash.eq(hash)))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn recovery_codes_left(conn: &mut Conn, user: UserId) -> QueryResult<i64> {
    codes::table.filter(codes::user_id.eq(user.0)).count().get_result(conn)
}
