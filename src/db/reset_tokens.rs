//! Queries on `password_reset_tokens`: only SHA-256 digests of the tokens are stored.

use super::Conn;
use super::schema::{password_reset_tokens as tokens, users};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The account a live token belongs to, with what the password rules need.
#[derive(Queryable, Debug, Clone)]
pub struct TokenOwner {
    pub user_id: i64,
    pub username: String,
    pub email: String,
}

pub fn insert(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values((
            tokens::user_id.eq(user.0),
            tokens::token_hash.eq(token_hash),
            tokens::created_at.eq(now),
            tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete_all_of(conn: &mut Conn, user: UserId) -> QueryResult<usize> {
    diesel::delete(tokens::table.filter(tokens::user_id.eq(user.0))).execute(conn)
}

/// When the account's newest token was issued.
pub fn newest_of(conn: &mut Conn, user: UserId) -> QueryResult<Option<NaiveDateTime>> {
    tokens::table
        .filter(tokens::user_id.eq(user.0))
        .order(tokens::created_at.desc())
        .select(tokens::created_at)
        .first(conn)
        .optional()
}

/// The owner of an unexpired token, if the account is still active.
pub fn find_live(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<TokenOwner>> {
    tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(token_hash))
        .filter(tokens::expires_at.gt(now))
        .filter(users::is_active.eq(true))
        .select((users::id, users::username, users::email))
        .first(conn)
        .optional()
}

/// Deletes an unexpired token and says whose it was: whoever deletes it first uses it.
pub fn take(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<UserId>> {
    diesel::delete(tokens::table.filter(tokens::token_hash.eq(token_hash)).filter(tokens::expires_at.gt(now)))
        .returning(tokens::user_id)
        .get_result(conn)
        .optional()
        .map(|id| id.map(UserId))
}

/// Deletes tokens past their expiry; run periodically.
pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(tokens::table.filter(tokens::expires_at.le(now))).execute(conn)
}
