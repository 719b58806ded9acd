//! Queries on `email_tokens` (verify, change and revert links; only SHA-256 digests are
//! stored) and on the `users` columns those links change: the address and when it was
//! confirmed.

use super::Conn;
use super::schema::{email_tokens as tokens, users};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a link does; each is bound to the address in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirms the address it was sent to.
    Verify,
    /// Makes the (new) address it was sent to the account's.
    Change,
    /// Restores the (old) address it was sent to.
    Revert,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Change => "change",
            Self::Revert => "revert",
        }
    }
}

/// A live link and the account it belongs to, as the account is now.
#[derive(Queryable, Debug, Clone)]
pub struct LinkOwner {
    pub user_id: i64,
    /// The address the link was sent to (and acts on).
    pub link_email: String,
    pub username: String,
    /// The account's address now.
    pub email: String,
}

/// A link that was just used up.
#[derive(Queryable, Debug, Clone)]
pub struct Taken {
    pub id: i64,
    pub user_id: i64,
    pub email: String,
}

/// An account's address and whether it is confirmed.
#[derive(Queryable, Debug, Clone)]
pub struct Address {
    pub username: String,
    pub email: String,
    pub verified_at: Option<NaiveDateTime>,
    pub is_active: bool,
}

pub struct NewToken<'a> {
    pub user: UserId,
    pub purpose: Purpose,
    pub token_hash: &'a str,
    pub email: &'a str,
    pub now: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, token: &NewToken<'_>) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values((
            tokens::user_id.eq(token.user.0),
            tokens::purpose.eq(token.purpose.as_str()),
            tokens::token_hash.eq(token.token_hash),
            tokens::email.eq(token.email),
            tokens::created_at.eq(token.now),
            tokens::expires_at.eq(token.expires_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn delete_of(conn: &mut Conn, user: UserId, purpose: Purpose) -> QueryResult<usize> {
    diesel::delete(
        tokens::table.filter(tokens::user_id.eq(user.0)).filter(tokens::purpose.eq(purpose.as_str())),
    )
    .execute(conn)
}

/// Deletes the account's links of `purpose` issued after the one with id `than`.
pub fn delete_newer_of(conn: &mut Conn, user: UserId, purpose: Purpose, than: i64) -> QueryResult<usize> {
    diesel::delete(
        tokens::table
            .filter(tokens::user_id.eq(user.0))
            .filter(tokens::purpose.eq(purpose.as_str()))
            .filter(tokens::id.gt(than)),
    )
    .execute(conn)
}

/// When the account's newest link of `purpose` was issued.
pub fn newest_of(conn: &mut Conn, user: UserId, purpose: Purpose) -> QueryResult<Option<NaiveDateTime>> {
    tokens::table
        .filter(tokens::user_id.eq(user.0))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .order(tokens::created_at.desc())
        .select(tokens::created_at)
        .first(conn)
        .optional()
}

/// The owner of an unexpired link of `purpose`, if the account is active.
pub fn find_live(
    conn: &mut Conn,
    purpose: Purpose,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<LinkOwner>> {
    tokens::table
        .inner_join(users::table)
        .filter(tokens::token_hash.eq(token_hash))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .filter(tokens::expires_at.gt(now))
        .filter(users::is_active.eq(true))
        .select((users::id, tokens::email, users::username, users::email))
        .first(conn)
        .optional()
}

/// Deletes an unexpired link of `purpose` and returns it: whoever deletes it first uses it.
pub fn take(
    conn: &mut Conn,
    purpose: Purpose,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Taken>> {
    diesel::delete(
        tokens::table
            .filter(tokens::token_hash.eq(token_hash))
            .filter(tokens::purpose.eq(purpose.as_str()))
            .filter(tokens::expires_at.gt(now)),
    )
    .returning((tokens::id, tokens::user_id, tokens::email))
    .get_result(conn)
    .optional()
}

pub fn address_of(conn: &mut Conn, user: UserId) -> QueryResult<Option<Address>> {
    users::table
        .find(user.0)
        .select((users::username, users::email, users::email_verified_at, users::is_active))
        .first(conn)
        .optional()
}

/// Marks the account's address confirmed, if it still is `email`; the rows changed.
pub fn mark_verified(conn: &mut Conn, user: UserId, email: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(user.0).filter(users::email.eq(email)))
        .set(users::email_verified_at.eq(at))
        .execute(conn)
}

/// Makes `email` the account's address, confirmed now (the caller proved it is the owner's).
pub fn set_confirmed_address(
    conn: &mut Conn,
    user: UserId,
    email: &str,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user.0))
        .set((users::email.eq(email), users::email_verified_at.eq(at), users::updated_at.eq(at)))
        .execute(conn)
}

/// Whether an account other than `user` has `email`.
pub fn taken_by_other(conn: &mut Conn, email: &str, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(email)).filter(users::id.ne(user.0)),
    ))
    .get_result(conn)
}

/// The address an unexpired link of `purpose` of the account was sent to, the newest first.
pub fn pending_of(
    conn: &mut Conn,
    user: UserId,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    tokens::table
        .filter(tokens::user_id.eq(user.0))
        .filter(tokens::purpose.eq(purpose.as_str()))
        .filter(tokens::expires_at.gt(now))
        .order(tokens::id.desc())
        .select(tokens::email)
        .first(conn)
        .optional()
}

/// Deletes links past their expiry; the periodic sweep's.
pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(tokens::table.filter(tokens::expires_at.le(now))).execute(conn)
}
