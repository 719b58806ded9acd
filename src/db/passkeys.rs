//! Queries on `passkeys`: webauthn-rs' `Passkey` as JSON (public data only), one row per
//! credential, its id unique across every account.

use super::Conn;
use super::schema::{passkeys, sessions};
use crate::domain::{SessionRecordId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = passkeys)]
pub struct NewPasskey<'a> {
    pub user_id: i64,
    pub credential_id: &'a str,
    pub user_handle: &'a str,
    pub name: &'a str,
    pub passkey: &'a str,
    pub sign_count: i64,
    pub created_at: NaiveDateTime,
}

/// A passkey as the account's page lists it.
#[derive(Queryable, Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A passkey as a login needs it.
#[derive(Queryable, Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub user_id: i64,
    pub user_handle: String,
    pub passkey: String,
    pub sign_count: i64,
}

const STORED: (
    passkeys::id,
    passkeys::user_id,
    passkeys::user_handle,
    passkeys::passkey,
    passkeys::sign_count,
) = (passkeys::id, passkeys::user_id, passkeys::user_handle, passkeys::passkey, passkeys::sign_count);

/// Fails with a unique violation when the credential is registered already (to anyone).
pub fn insert(conn: &mut Conn, row: &NewPasskey<'_>) -> QueryResult<()> {
    diesel::insert_into(passkeys::table).values(row).execute(conn).map(drop)
}

pub fn list(conn: &mut Conn, user: UserId) -> QueryResult<Vec<Listed>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user.0))
        .order(passkeys::id)
        .select((passkeys::id, passkeys::name, passkeys::created_at, passkeys::last_used_at))
        .load(conn)
}

pub fn of(conn: &mut Conn, user: UserId) -> QueryResult<Vec<Stored>> {
    passkeys::table.filter(passkeys::user_id.eq(user.0)).order(passkeys::id).select(STORED).load(conn)
}

pub fn by_credential(conn: &mut Conn, credential_id: &str) -> QueryResult<Option<Stored>> {
    passkeys::table.filter(passkeys::credential_id.eq(credential_id)).select(STORED).first(conn).optional()
}

pub fn count(conn: &mut Conn, user: UserId) -> QueryResult<i64> {
    passkeys::table.filter(passkeys::user_id.eq(user.0)).count().get_result(conn)
}

/// Records a use: the new counter and credential, only if the stored counter is still
/// the one the check was made against (a compare-and-swap), so two uses that each passed
/// the counter check cannot both move it. 1 when written.
pub fn record_use(
    conn: &mut Conn,
    id: i64,
    checked_count: i64,
    new_count: i64,
    passkey: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(passkeys::table.find(id).filter(passkeys::sign_count.eq(checked_count)))
        .set((
            passkeys::sign_count.eq(new_count),
            passkeys::passkey.eq(passkey),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)
}

/// Deletes the account's own passkey `id`; 0 when it has none by that id.
pub fn delete(conn: &mut Conn, user: UserId, id: i64) -> QueryResult<usize> {
    diesel::delete(passkeys::table.filter(passkeys::id.eq(id)).filter(passkeys::user_id.eq(user.0)))
        .execute(conn)
}

/// The user handle the account's passkeys already carry, if any.
pub fn handle_of(conn: &mut Conn, user: UserId) -> QueryResult<Option<String>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user.0))
        .order(passkeys::id)
        .select(passkeys::user_handle)
        .first(conn)
        .optional()
}

/// When the session started: for an account with no password, a fresh sign-in stands in
/// for the current password.
pub fn session_started_at(conn: &mut Conn, session: SessionRecordId) -> QueryResult<Option<NaiveDateTime>> {
    sessions::table.find(session.0).select(sessions::created_at).first(conn).optional()
}
