//! The one query every logged-in request makes: a session with its account and roles.
//! Defined once, run two ways: through the pool (`&mut Conn`, both backends) or, on
//! PostgreSQL, on the worker's pipelined connection (see [`super::pipeline`]).

use super::pipeline::Pipeline;
use super::schema::{roles, sessions, user_roles, users};
use super::sessions::{SESSION_COLUMNS, SessionRow};
use super::{Conn, Db, DbError};
use crate::domain::SessionRecordId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::rc::Rc;

/// A session joined with its account: everything a request needs, in one query.
pub struct SessionWithAccount {
    pub session: SessionRow,
    pub account: AccountColumns,
    pub role_names: Vec<String>,
}

/// What every logged-in page may show of its account, read with the session.
#[derive(Queryable, Clone, Debug)]
pub struct AccountColumns {
    pub username: String,
    pub email: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub email_verified_at: Option<NaiveDateTime>,
}

pub(super) type AccountSelection = (
    users::username,
    users::email,
    users::is_active,
    users::created_at,
    users::last_login_at,
    users::email_verified_at,
);
pub(super) const ACCOUNT_COLUMNS: AccountSelection = (
    users::username,
    users::email,
    users::is_active,
    users::created_at,
    users::last_login_at,
    users::email_verified_at,
);

type Row = (SessionRow, AccountColumns, Option<String>);

/// The query, for either executor: one row per role (or one with none), unexpired only.
macro_rules! session_with_account {
    ($now:expr, $($filter:expr),+) => {
        sessions::table
            .inner_join(users::table)
            .left_join(user_roles::table.on(user_roles::user_id.eq(sessions::user_id)))
            .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
            $(.filter($filter))+
            .filter(sessions::expires_at.gt($now))
            .select((SESSION_COLUMNS, ACCOUNT_COLUMNS, roles::name.nullable()))
    };
}

/// The unexpired session with this token hash, its account and the account's roles.
pub fn find_with_account(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionWithAccount>> {
    let rows = session_with_account!(now, sessions::token_hash.eq(token_hash)).load(conn)?;
    Ok(collect(rows))
}

/// The unexpired session with this id and kind (an access token's `sid`), its account
/// and the account's roles: the same one query as [`find_with_account`].
pub fn find_by_id_with_account(
    conn: &mut Conn,
    id: SessionRecordId,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionWithAccount>> {
    let rows = session_with_account!(now, sessions::id.eq(id.0), sessions::kind.eq(kind)).load(conn)?;
    Ok(collect(rows))
}

/// [`find_with_account`] for a request: on the worker's pipelined connection when it
/// has one up, otherwise (SQLite, connecting, broken) through the pool.
pub async fn for_token(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<Option<SessionWithAccount>, DbError> {
    if let Some(pipeline) = pipeline {
        let query = session_with_account!(now, sessions::token_hash.eq(&token_hash));
        let rows = pipeline.read(async move |conn| diesel_async::RunQueryDsl::load::<Row>(query, conn).await);
        if let Some(rows) = rows.await {
            return Ok(collect(rows));
        }
    }
    db.run(move |conn| find_with_account(conn, &token_hash, now).map_err(DbError::from)).await
}

/// [`find_by_id_with_account`] for a request, the same two ways as [`for_token`].
pub async fn for_id(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    id: SessionRecordId,
    kind: &'static str,
    now: NaiveDateTime,
) -> Result<Option<SessionWithAccount>, DbError> {
    if let Some(pipeline) = pipeline {
        let query = session_with_account!(now, sessions::id.eq(id.0), sessions::kind.eq(kind));
        let rows = pipeline.read(async move |conn| diesel_async::RunQueryDsl::load::<Row>(query, conn).await);
        if let Some(rows) = rows.await {
            return Ok(collect(rows));
        }
    }
    db.run(move |conn| find_by_id_with_account(conn, id, kind, now).map_err(DbError::from)).await
}

/// One row per role (or one with none): the session once, with every role name.
fn collect(rows: Vec<Row>) -> Option<SessionWithAccount> {
    let mut rows = rows.into_iter();
    let (session, account, first_role) = rows.next()?;
    let role_names = first_role.into_iter().chain(rows.filter_map(|row| row.2)).collect();
    Some(SessionWithAccount { session, account, role_names })
}
