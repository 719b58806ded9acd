//! Queries on `personal_access_tokens`: long-lived bearer tokens an account makes itself.

use super::pipeline::Pipeline;
use super::schema::{personal_access_tokens as pat, roles, user_roles, users};
use super::session_lookup::AccountColumns;
use super::{Conn, Db, DbError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Insertable)]
#[diesel(table_name = pat)]
pub struct NewPersonalToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub scope: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Queryable, Clone)]
pub struct PersonalTokenRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

type Columns = (pat::id, pat::name, pat::scope, pat::created_at, pat::expires_at, pat::last_used_at);
const COLUMNS: Columns =
    (pat::id, pat::name, pat::scope, pat::created_at, pat::expires_at, pat::last_used_at);

pub fn insert(conn: &mut Conn, token: &NewPersonalToken<'_>) -> QueryResult<i64> {
    diesel::insert_into(pat::table).values(token).returning(pat::id).get_result(conn)
}

/// The account's unexpired tokens, newest first.
pub fn list_of(conn: &mut Conn, user_id: i64, now: NaiveDateTime) -> QueryResult<Vec<PersonalTokenRow>> {
    pat::table
        .filter(pat::user_id.eq(user_id))
        .filter(pat::expires_at.gt(now))
        .order(pat::id.desc())
        .select(COLUMNS)
        .load(conn)
}

/// Deletes one token, only if it belongs to `user_id`.
pub fn delete_of(conn: &mut Conn, user_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(pat::table.find(id).filter(pat::user_id.eq(user_id))).execute(conn)
}

pub fn delete_all_of(conn: &mut Conn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(pat::table.filter(pat::user_id.eq(user_id))).execute(conn)
}

/// An unexpired token with its account and the account's roles, in one query.
#[derive(Clone)]
pub struct TokenWithAccount {
    pub token: PersonalTokenRow,
    pub user_id: i64,
    pub account: AccountColumns,
    pub role_names: Vec<String>,
}

/// A row of the query: the hash it was asked by, the token, its account, one role.
type Row = (String, PersonalTokenRow, i64, AccountColumns, Option<String>);

/// The query, for either executor: one row per role (or one with none) of each unexpired
/// token whose hash is among `$hashes`, like the session lookup's.
macro_rules! tokens_with_accounts {
    ($hashes:expr, $now:expr) => {
        pat::table
            .inner_join(users::table)
            .left_join(user_roles::table.on(user_roles::user_id.eq(pat::user_id)))
            .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
            .filter(pat::token_hash.eq_any($hashes))
            .filter(pat::expires_at.gt($now))
            .select((
                pat::token_hash,
                COLUMNS,
                users::id,
                AccountColumns::as_select(),
                roles::name.nullable(),
            ))
    };
}

pub fn find_with_account(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<TokenWithAccount>> {
    let rows: Vec<Row> = tokens_with_accounts!([token_hash], now).load(conn)?;
    Ok(collect(rows).remove(token_hash))
}

/// [`find_with_account`] for a request, the two ways a session is looked up (see
/// [`super::session_lookup::for_token`]): batched on the worker's pipelined connection
/// when it is up, else through the pool.
pub async fn for_hash(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    token_hash: String,
    now: NaiveDateTime,
) -> Result<Option<TokenWithAccount>, DbError> {
    if let Some(pipeline) = pipeline.filter(|pipeline| pipeline.is_up()) {
        let batch = pipeline.clone();
        let found = pipeline.batches().personal_tokens.get(
            token_hash.clone(),
            async move |hashes: Vec<String>, requests| {
                let query = tokens_with_accounts!(hashes, super::now());
                let rows = batch.read(requests, async move |conn| {
                    diesel_async::RunQueryDsl::load::<Row>(query, conn).await
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

/// Rows to tokens by their hash: each token once, with every role name.
fn collect(rows: Vec<Row>) -> HashMap<String, TokenWithAccount> {
    let mut found: HashMap<String, TokenWithAccount> = HashMap::with_capacity(rows.len());
    for (hash, token, user_id, account, role) in rows {
        found
            .entry(hash)
            .or_insert_with(|| TokenWithAccount { token, user_id, account, role_names: Vec::new() })
            .role_names
            .extend(role);
    }
    found
}

pub fn touch(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(pat::table.find(id)).set(pat::last_used_at.eq(at)).execute(conn).map(drop)
}
