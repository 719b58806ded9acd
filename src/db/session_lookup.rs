//! The one query every logged-in request makes: a session with its account and roles.
//! Defined once, for any number of keys, and run two ways: through the pool (`&mut Conn`,
//! both backends, one key) or, on PostgreSQL, on the worker's pipelined connection (see
//! [`super::pipeline`]), where the lookups that requests start while a read is out go
//! out together in the next one (see [`super::coalesce`]).
//!
//! The batch is `token_hash = ANY($1)`: one prepared statement whatever its size. Its
//! generic plan probes the sessions' unique index and the users' and roles' keys once
//! per key, given statistics (autovacuum gathers them); on a tiny table without any,
//! PostgreSQL may scan `user_roles` instead, which is as cheap there.

use super::coalesce::Coalescer;
use super::pipeline::Pipeline;
use super::schema::{roles, sessions, user_roles, users};
use super::sessions::{SESSION_COLUMNS, SessionRow};
use super::{Conn, Counters, Db, DbError};
use crate::domain::SessionRecordId;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;
use std::rc::Rc;
use std::sync::Arc;

/// A session joined with its account: everything a request needs, in one query.
#[derive(Clone)]
pub struct SessionWithAccount {
    pub session: SessionRow,
    pub account: AccountColumns,
    pub role_names: Vec<String>,
}

/// What every logged-in page may show of its account, read with the session (selected
/// with `AccountColumns::as_select()`).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = users)]
pub struct AccountColumns {
    pub username: String,
    pub email: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub email_verified_at: Option<NaiveDateTime>,
}

/// A row of the query: the key it was asked by, the session, its account, one role.
type Row<K> = (K, SessionRow, AccountColumns, Option<String>);

/// The query, for either executor: one row per role (or one with none) of each unexpired
/// session whose `$key` is among `$keys`, the key first so a batch can tell rows apart.
macro_rules! sessions_with_accounts {
    ($key:expr, $keys:expr, $now:expr) => {
        sessions::table
            .inner_join(users::table)
            .left_join(user_roles::table.on(user_roles::user_id.eq(sessions::user_id)))
            .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
            .filter($key.eq_any($keys))
            .filter(sessions::expires_at.gt($now))
            .select(($key, SESSION_COLUMNS, AccountColumns::as_select(), roles::name.nullable()))
    };
}

/// The unexpired session with this token hash, its account and the account's roles.
pub fn find_with_account(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionWithAccount>> {
    let rows: Vec<Row<String>> =
        sessions_with_accounts!(sessions::token_hash, [token_hash], now).load(conn)?;
    Ok(collect(rows).remove(token_hash))
}

/// The unexpired session with this id and kind (an access token's `sid`), its account
/// and the account's roles: the same one query as [`find_with_account`].
pub fn find_by_id_with_account(
    conn: &mut Conn,
    id: SessionRecordId,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionWithAccount>> {
    let rows: Vec<Row<i64>> = sessions_with_accounts!(sessions::id, [id.0], now).load(conn)?;
    Ok(collect(rows).remove(&id.0).filter(|found| found.session.kind == kind))
}

/// A worker's queues of lookups waiting for their batch (see [`super::coalesce`]).
pub(super) struct Batches {
    by_token: Rc<Coalescer<String, SessionWithAccount>>,
    by_id: Rc<Coalescer<i64, SessionWithAccount>>,
    /// Personal access tokens by hash (see [`super::personal_tokens::for_hash`]).
    pub(super) personal_tokens: Rc<Coalescer<String, super::personal_tokens::TokenWithAccount>>,
}

impl Batches {
    pub(super) fn new(counters: &Arc<Counters>) -> Self {
        Self {
            by_token: Rc::new(Coalescer::new(counters.clone())),
            by_id: Rc::new(Coalescer::new(counters.clone())),
            personal_tokens: Rc::new(Coalescer::new(counters.clone())),
        }
    }
}

/// [`find_with_account`] for a request: on the worker's pipelined connection when it
/// has one up, in one statement with the lookups queued beside it (see
/// [`super::coalesce`]); otherwise (SQLite, connecting, broken) through the pool.
pub async fn for_token(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<Option<SessionWithAccount>, DbError> {
    if let Some(pipeline) = pipeline.filter(|pipeline| pipeline.is_up()) {
        let batch = pipeline.clone();
        let found = pipeline.batches().by_token.get(
            token_hash.clone(),
            async move |hashes: Vec<String>, requests| {
                let query = sessions_with_accounts!(sessions::token_hash, hashes, super::now());
                let rows = batch.read(requests, async move |conn| {
                    diesel_async::RunQueryDsl::load::<Row<String>>(query, conn).await
                });
                rows.await.map(collect)
            },
        );
        if let Some(found) = found.await {
            return Ok(found);
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
    if let Some(pipeline) = pipeline.filter(|pipeline| pipeline.is_up()) {
        let batch = pipeline.clone();
        let found = pipeline.batches().by_id.get(id.0, async move |ids: Vec<i64>, requests| {
            let query = sessions_with_accounts!(sessions::id, ids, super::now());
            let rows = batch.read(requests, async move |conn| {
                diesel_async::RunQueryDsl::load::<Row<i64>>(query, conn).await
            });
            rows.await.map(collect)
        });
        if let Some(found) = found.await {
            return Ok(found.filter(|found| found.session.kind == kind));
        }
    }
    db.run(move |conn| find_by_id_with_account(conn, id, kind, now).map_err(DbError::from)).await
}

/// Rows to sessions by their key: each session once, with every role name.
fn collect<K: Eq + Hash>(rows: Vec<Row<K>>) -> HashMap<K, SessionWithAccount> {
    let mut found: HashMap<K, SessionWithAccount> = HashMap::with_capacity(rows.len());
    for (key, session, account, role) in rows {
        found
            .entry(key)
            .or_insert_with(|| SessionWithAccount { session, account, role_names: Vec::new() })
            .role_names
            .extend(role);
    }
    found
}
