//! Queries on `auth_pending` (sign-ins sent to a provider) and `identity_signups` (new
//! identities waiting for a username): only SHA-256 digests of their keys are stored.

use super::Conn;
use super::schema::{auth_pending as pending, identity_signups as signups};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable, Queryable, Debug, Clone)]
#[diesel(table_name = pending)]
pub struct Pending {
    pub state_hash: String,
    pub browser_hash: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub next_path: String,
    pub link_user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, row: &Pending) -> QueryResult<()> {
    diesel::insert_into(pending::table).values(row).execute(conn).map(drop)
}

/// Deletes the live sign-in with this state, if it is this browser's and this provider's,
/// and returns it: whoever deletes it first uses it.
pub fn take(
    conn: &mut Conn,
    state_hash: &str,
    browser_hash: &str,
    provider: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Pending>> {
    diesel::delete(
        pending::table
            .filter(pending::state_hash.eq(state_hash))
            .filter(pending::browser_hash.eq(browser_hash))
            .filter(pending::provider.eq(provider))
            .filter(pending::expires_at.gt(now)),
    )
    .returning((
        pending::state_hash,
        pending::browser_hash,
        pending::provider,
        pending::pkce_verifier,
        pending::nonce,
        pending::next_path,
        pending::link_user_id,
        pending::created_at,
        pending::expires_at,
    ))
    .get_result(conn)
    .optional()
}

#[derive(Insertable, Queryable, Debug, Clone)]
#[diesel(table_name = signups)]
pub struct Signup {
    pub token_hash: String,
    pub provider: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub username_hint: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

const SIGNUP_COLUMNS: (
    signups::token_hash,
    signups::provider,
    signups::subject,
    signups::email,
    signups::email_verified,
    signups::username_hint,
    signups::created_at,
    signups::expires_at,
) = (
    signups::token_hash,
    signups::provider,
    signups::subject,
    signups::email,
    signups::email_verified,
    signups::username_hint,
    signups::created_at,
    signups::expires_at,
);

pub fn insert_signup(conn: &mut Conn, row: &Signup) -> QueryResult<()> {
    diesel::insert_into(signups::table).values(row).execute(conn).map(drop)
}

pub fn find_signup(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<Signup>> {
    signups::table
        .filter(signups::token_hash.eq(token_hash))
        .filter(signups::expires_at.gt(now))
        .select(SIGNUP_COLUMNS)
        .first(conn)
        .optional()
}

pub fn take_signup(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> QueryResult<Option<Signup>> {
    diesel::delete(
        signups::table.filter(signups::token_hash.eq(token_hash)).filter(signups::expires_at.gt(now)),
    )
    .returning(SIGNUP_COLUMNS)
    .get_result(conn)
    .optional()
}

/// Deletes both kinds past their expiry; run periodically.
pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    let a = diesel::delete(pending::table.filter(pending::expires_at.le(now))).execute(conn)?;
    let b = diesel::delete(signups::table.filter(signups::expires_at.le(now))).execute(conn)?;
    Ok(a + b)
}
