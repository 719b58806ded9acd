//! Queries on `pending_sign_ins` (a right password waiting for its second factor) and
//! `remembered_devices` (browsers that skip it): only token hashes are stored.

use super::Conn;
use super::schema::{pending_sign_ins as pending, remembered_devices as devices};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = pending)]
pub struct NewPending<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub credentials_version: i64,
    pub require_verified: bool,
    pub remember: bool,
    pub api: bool,
    pub next_path: Option<&'a str>,
    pub expires_at: NaiveDateTime,
}

#[derive(Queryable, Debug, Clone)]
pub struct PendingRow {
    pub id: i64,
    pub user_id: i64,
    pub credentials_version: i64,
    pub require_verified: bool,
    pub remember: bool,
    pub api: bool,
    pub next_path: Option<String>,
    pub failures: i32,
}

pub fn insert_pending(conn: &mut Conn, row: &NewPending<'_>) -> QueryResult<()> {
    diesel::insert_into(pending::table).values(row).execute(conn).map(drop)
}

/// The live pending sign-in behind `token_hash`, if it has tries left.
pub fn find_pending(
    conn: &mut Conn,
    token_hash: &str,
    max_failures: i32,
    now: NaiveDateTime,
) -> QueryResult<Option<PendingRow>> {
    pending::table
        .filter(pending::token_hash.eq(token_hash))
        .filter(pending::expires_at.gt(now))
        .filter(pending::failures.lt(max_failures))
        .select((
            pending::id,
            pending::user_id,
            pending::credentials_version,
            pending::require_verified,
            pending::remember,
            pending::api,
            pending::next_path,
            pending::failures,
        ))
        .first(conn)
        .optional()
}

/// Counts a wrong code; the count after it (an increment under the row's lock, so a
/// burst of wrong codes counts every one).
pub fn count_failure(conn: &mut Conn, id: i64) -> QueryResult<Option<i32>> {
    diesel::update(pending::table.find(id))
        .set(pending::failures.eq(pending::failures + 1))
        .returning(pending::failures)
        .get_result(conn)
        .optional()
}

/// Ends a pending sign-in; 1 for whoever ends it first.
pub fn delete_pending(conn: &mut Conn, id: i64) -> QueryResult<usize> {
    diesel::delete(pending::table.find(id)).execute(conn)
}

pub fn delete_expired_pending(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(pending::table.filter(pending::expires_at.le(now))).execute(conn)
}

pub fn insert_device(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(devices::table)
        .values((
            devices::token_hash.eq(token_hash),
            devices::user_id.eq(user.0),
            devices::created_at.eq(now),
            devices::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Whether `token_hash` is a live remembered device of `user`.
pub fn is_remembered(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let live = devices::table
        .filter(devices::token_hash.eq(token_hash))
        .filter(devices::user_id.eq(user.0))
        .filter(devices::expires_at.gt(now));
    diesel::select(diesel::dsl::exists(live)).get_result(conn)
}

/// Forgets every remembered device of the account.
pub fn forget_devices(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(devices::table.filter(devices::user_id.eq(user.0))).execute(conn)
}

pub fn delete_expired_devices(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(devices::table.filter(devices::expires_at.le(now))).execute(conn)
}
