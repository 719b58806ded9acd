//! Queries on `identities`: accounts linked to providers, keyed by (provider, subject).

use super::Conn;
use super::schema::{identities, users};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Queryable, Debug, Clone)]
pub struct Linked {
    pub provider: String,
    pub email: String,
    pub created_at: NaiveDateTime,
}

/// The account this identity is linked to.
pub fn owner(conn: &mut Conn, provider: &str, subject: &str) -> QueryResult<Option<UserId>> {
    identities::table
        .filter(identities::provider.eq(provider))
        .filter(identities::subject.eq(subject))
        .select(identities::user_id)
        .first(conn)
        .optional()
        .map(|id| id.map(UserId))
}

/// Links the identity to `user` unless an account has it already; whether it did. Under
/// a race, PostgreSQL makes the loser wait for the winner's commit and then do nothing
/// (SQLite's write transactions run one at a time), so the unique (provider, subject)
/// index decides, and the caller reads who won with [`owner`].
pub fn link(
    conn: &mut Conn,
    provider: &str,
    subject: &str,
    user: UserId,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let insert = diesel::insert_into(identities::table)
        .values((
            identities::provider.eq(provider),
            identities::subject.eq(subject),
            identities::user_id.eq(user.0),
            identities::email.eq(email),
            identities::created_at.eq(now),
        ))
        .on_conflict((identities::provider, identities::subject))
        .do_nothing();
    // Upserts don't go through the two-backend connection type.
    let inserted = match conn {
        Conn::Postgres(c) => insert.execute(c)?,
        Conn::Sqlite(c) => insert.execute(c)?,
    };
    Ok(inserted == 1)
}

pub fn of(conn: &mut Conn, user: UserId) -> QueryResult<Vec<Linked>> {
    identities::table
        .filter(identities::user_id.eq(user.0))
        .order(identities::provider)
        .select((identities::provider, identities::email, identities::created_at))
        .load(conn)
}

pub fn delete(conn: &mut Conn, user: UserId, provider: &str) -> QueryResult<usize> {
    diesel::delete(
        identities::table.filter(identities::user_id.eq(user.0)).filter(identities::provider.eq(provider)),
    )
    .execute(conn)
}

/// Whether the account has a password.
pub fn has_password(conn: &mut Conn, user: UserId) -> QueryResult<bool> {
    users::table
        .find(user.0)
        .select(users::password_hash.is_not_null())
        .first(conn)
        .optional()
        .map(|has| has.unwrap_or(false))
}

/// `(id, email verified?, active?)` of the account with this (lower-case) email.
pub fn account_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<(UserId, bool)>> {
    users::table
        .filter(users::email.eq(email))
        .select((users::id, users::email_verified_at.is_not_null()))
        .first::<(i64, bool)>(conn)
        .optional()
        .map(|found| found.map(|(id, verified)| (UserId(id), verified)))
}
