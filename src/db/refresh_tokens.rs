//! Queries on `refresh_tokens`: each API session's family of one-use refresh tokens.

use super::Conn;
use super::schema::refresh_tokens;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut Conn, session_id: i64, token_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Spends the unspent token with this hash in one statement, so of two concurrent
/// refreshes exactly one gets its session id back.
pub fn spend(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<i64>> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::spent_at.is_null()),
    )
    .set(refresh_tokens::spent_at.eq(now))
    .returning(refresh_tokens::session_id)
    .get_result(conn)
    .optional()
}

/// The session a token (spent or not) belongs to, if the token was ever issued.
pub fn session_of(conn: &mut Conn, token_hash: &str) -> QueryResult<Option<i64>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(token_hash))
        .select(refresh_tokens::session_id)
        .first(conn)
        .optional()
}
