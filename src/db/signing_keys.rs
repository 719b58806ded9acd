//! Queries on `signing_keys`: the access-token keys, at most one of them signing.

use super::Conn;
use super::schema::signing_keys;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

#[derive(Insertable)]
#[diesel(table_name = signing_keys)]
pub struct NewSigningKey<'a> {
    pub kid: &'a str,
    pub algorithm: &'a str,
    pub public_key: &'a str,
    pub private_key_sealed: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Clone)]
pub struct SigningKeyRow {
    pub id: i64,
    pub kid: String,
    pub algorithm: String,
    pub public_key: String,
    pub private_key_sealed: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

/// The key that signs now, if there is one.
pub fn current(conn: &mut Conn) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table.filter(signing_keys::retired_at.is_null()).first(conn).optional()
}

/// Keys that still verify: the current one, and those retired after `retired_after`.
pub fn verifying(conn: &mut Conn, retired_after: NaiveDateTime) -> QueryResult<Vec<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::retired_at.is_null().or(signing_keys::retired_at.gt(retired_after)))
        .order(signing_keys::id.desc())
        .load(conn)
}

/// Inserts `key` as the signing key; `false` when another one already signs (the unique
/// index on the current key decides a race between instances starting together).
pub fn insert_current(conn: &mut Conn, key: &NewSigningKey<'_>) -> QueryResult<bool> {
    match diesel::insert_into(signing_keys::table).values(key).execute(conn) {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Stops the current key signing; it goes on verifying for as long as its tokens live.
pub fn retire_current(conn: &mut Conn, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
        .set(signing_keys::retired_at.eq(at))
        .execute(conn)
}
