//! Queries on `personal_access_tokens`: long-lived bearer tokens an account makes itself.

use super::Conn;
use super::schema::{personal_access_tokens as pat, roles, user_roles, users};
use super::session_lookup::AccountColumns;
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
pub struct TokenWithAccount {
    pub token: PersonalTokenRow,
    pub user_id: i64,
    pub account: AccountColumns,
    pub role_names: Vec<String>,
}

pub fn find_with_account(
    conn: &mut Conn,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<TokenWithAccount>> {
    let rows: Vec<(PersonalTokenRow, i64, AccountColumns, Option<String>)> = pat::table
        .inner_join(users::table)
        .left_join(user_roles::table.on(user_roles::user_id.eq(pat::user_id)))
        .left_join(roles::table.on(roles::id.eq(user_roles::role_id)))
        .filter(pat::token_hash.eq(token_hash))
        .filter(pat::expires_at.gt(now))
        .select((COLUMNS, users::id, AccountColumns::as_select(), roles::name.nullable()))
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((token, user_id, account, first_role)) = rows.next() else {
        return Ok(None);
    };
    let role_names = first_role.into_iter().chain(rows.filter_map(|row| row.3)).collect();
    Ok(Some(TokenWithAccount { token, user_id, account, role_names }))
}

pub fn touch(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(pat::table.find(id)).set(pat::last_used_at.eq(at)).execute(conn).map(drop)
}
