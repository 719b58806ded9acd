//! Queries on `sessions`: the server-side record behind every logged-in cookie.

use super::Conn;
use super::schema::sessions;
use crate::domain::{SessionRecordId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub remember: bool,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: &'a str,
    pub ip: &'a str,
    pub kind: &'a str,
}

#[derive(Queryable, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub remember: bool,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: String,
    pub ip: String,
    pub kind: String,
}

pub(super) type SessionColumns = (
    sessions::id,
    sessions::user_id,
    sessions::remember,
    sessions::created_at,
    sessions::last_seen_at,
    sessions::expires_at,
    sessions::user_agent,
    sessions::ip,
    sessions::kind,
);

pub(super) const SESSION_COLUMNS: SessionColumns = (
    sessions::id,
    sessions::user_id,
    sessions::remember,
    sessions::created_at,
    sessions::last_seen_at,
    sessions::expires_at,
    sessions::user_agent,
    sessions::ip,
    sessions::kind,
);

pub fn insert(conn: &mut Conn, session: &NewSession<'_>) -> QueryResult<SessionRecordId> {
    diesel::insert_into(sessions::table)
        .values(session)
        .returning(sessions::id)
        .get_result(conn)
        .map(SessionRecordId)
}

pub fn touch(conn: &mut Conn, id: SessionRecordId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id.0)).set(sessions::last_seen_at.eq(at)).execute(conn).map(drop)
}

pub fn delete_by_token_hash(conn: &mut Conn, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(token_hash))).execute(conn)
}

pub fn delete(conn: &mut Conn, id: SessionRecordId) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id.0)).execute(conn)
}

/// Deletes one session, only if it belongs to `user`.
pub fn delete_of(conn: &mut Conn, user: UserId, id: SessionRecordId) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id.0).filter(sessions::user_id.eq(user.0))).execute(conn)
}

pub fn delete_all_of(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user.0))).execute(conn)
}

pub fn delete_all_of_except(conn: &mut Conn, user: UserId, keep: SessionRecordId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user.0)).filter(sessions::id.ne(keep.0)))
        .execute(conn)
}

pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// The account's live sessions, most recently seen first.
pub fn list_of(conn: &mut Conn, user: UserId, now: NaiveDateTime) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user.0))
        .filter(sessions::expires_at.gt(now))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(SESSION_COLUMNS)
        .load(conn)
}

/// The account a session belongs to, if the session exists.
pub fn owner_of(conn: &mut Conn, id: SessionRecordId) -> QueryResult<Option<UserId>> {
    sessions::table.find(id.0).select(sessions::user_id).first(conn).optional().map(|id| id.map(UserId))
}

/// Locks the session's row until the end of the transaction (PostgreSQL; SQLite's write
/// transactions hold the whole database); `false` if it is gone. Refreshes of one login
/// take this lock before touching its tokens, in the same order as deleting the session
/// (row, then its tokens by cascade), so concurrent refreshes queue instead of deadlocking.
pub fn lock(conn: &mut Conn, id: SessionRecordId) -> QueryResult<bool> {
    let query = sessions::table.find(id.0).select(sessions::id);
    let found: Option<i64> = match conn {
        Conn::Postgres(c) => query.for_update().first(c).optional()?,
        Conn::Sqlite(c) => query.first(c).optional()?,
    };
    Ok(found.is_some())
}
