//! Queries on `users` and their roles.

use super::Conn;
use super::schema::{roles, user_roles, users};
use crate::domain::{Role, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// What a login needs to decide: the hash, whether the account may log in, and the
/// version of its credentials the decision was made on.
#[derive(Queryable)]
pub struct Credentials {
    pub id: i64,
    /// `None`: an account signed up through a provider that has set no password yet.
    pub password_hash: Option<String>,
    pub is_active: bool,
    pub credentials_version: i64,
}

#[derive(Queryable)]
pub struct Profile {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
}

/// The columns of a [`Profile`], in its field order.
pub const PROFILE_COLUMNS: (
    users::id,
    users::username,
    users::email,
    users::is_active,
    users::created_at,
    users::last_login_at,
) = (users::id, users::username, users::email, users::is_active, users::created_at, users::last_login_at);

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, user: &NewUser<'_>) -> QueryResult<UserId> {
    diesel::insert_into(users::table).values(user).returning(users::id).get_result(conn).map(UserId)
}

/// `identifier` is a username or an email, already lower-cased.
pub fn find_credentials(conn: &mut Conn, identifier: &str) -> QueryResult<Option<Credentials>> {
    users::table
        .filter(lower(users::username).eq(identifier).or(users::email.eq(identifier)))
        .select((users::id, users::password_hash, users::is_active, users::credentials_version))
        .first(conn)
        .optional()
}

/// `(credentials_version, is_active)` of the account, its row locked until the end of the
/// transaction (PostgreSQL; SQLite's write transactions hold the whole database), so no
/// credentials change can slip between this check and what the caller writes next.
pub fn lock_credentials(conn: &mut Conn, id: UserId) -> QueryResult<Option<(i64, bool)>> {
    let query = users::table.find(id.0).select((users::credentials_version, users::is_active));
    match conn {
        Conn::Postgres(c) => query.for_update().first(c).optional(),
        Conn::Sqlite(c) => query.first(c).optional(),
    }
}

pub fn find_id_by_username(conn: &mut Conn, folded_username: &str) -> QueryResult<Option<UserId>> {
    users::table
        .filter(lower(users::username).eq(folded_username))
        .select(users::id)
        .first(conn)
        .optional()
        .map(|id| id.map(UserId))
}

pub fn username_taken(conn: &mut Conn, folded_username: &str) -> QueryResult<bool> {
    find_id_by_username(conn, folded_username).map(|id| id.is_some())
}

pub fn email_taken(conn: &mut Conn, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::email.eq(email)))).get_result(conn)
}

pub fn profile(conn: &mut Conn, id: UserId) -> QueryResult<Option<Profile>> {
    users::table.find(id.0).select(PROFILE_COLUMNS).first(conn).optional()
}

/// The account with this (lower-case) email address.
pub fn find_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<Profile>> {
    users::table.filter(users::email.eq(email)).select(PROFILE_COLUMNS).first(conn).optional()
}

/// The account's hash; `None` for an unknown account or one without a password.
pub fn password_hash(conn: &mut Conn, id: UserId) -> QueryResult<Option<String>> {
    users::table.find(id.0).select(users::password_hash).first(conn).optional().map(Option::flatten)
}

pub fn record_login(conn: &mut Conn, id: UserId, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id.0)).set(users::last_login_at.eq(at)).execute(conn).map(drop)
}

/// Deactivating also moves the credentials on, so a login already past its password check
/// cannot start a session afterwards.
pub fn set_active(conn: &mut Conn, id: UserId, active: bool, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id.0))
        .set((
            users::is_active.eq(active),
            users::updated_at.eq(at),
            users::credentials_version.eq(users::credentials_version + 1),
        ))
        .execute(conn)
}

/// A new password: logins that verified the old one can no longer start sessions.
pub fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id.0))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(at),
            users::credentials_version.eq(users::credentials_version + 1),
        ))
        .execute(conn)
}

/// The same password hashed again at another cost: nothing a login proved has changed.
pub fn rehash_password(conn: &mut Conn, id: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id.0)).set(users::password_hash.eq(hash)).execute(conn)
}

/// Makes `role` the account's one role.
pub fn set_role(conn: &mut Conn, id: UserId, role: Role) -> QueryResult<()> {
    let role_id: i64 = roles::table.filter(roles::name.eq(role.as_str())).select(roles::id).first(conn)?;
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(id.0))).execute(conn)?;
    diesel::insert_into(user_roles::table)
        .values((user_roles::user_id.eq(id.0), user_roles::role_id.eq(role_id)))
        .execute(conn)
        .map(drop)
}

pub fn roles_of(conn: &mut Conn, id: UserId) -> QueryResult<Vec<Role>> {
    let names: Vec<String> = user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(id.0))
        .select(roles::name)
        .load(conn)?;
    Ok(parse_roles(names.iter().map(String::as_str)))
}

/// Names from the `roles` table as [`Role`]s, highest first; unknown names are ignored
/// (the table is seeded by migration and nothing in the app adds to it).
pub fn parse_roles<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Role> {
    let mut parsed: Vec<Role> = names.filter_map(|n| Role::parse(n).ok()).collect();
    parsed.sort_unstable_by(|a, b| b.cmp(a));
    parsed.dedup();
    parsed
}

/// `(id, username)` of those of the given accounts that still exist.
pub fn usernames_of(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::username)).load(conn)
}

/// Deletes the account; its roles, sessions and reset tokens go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut Conn, id: UserId) -> QueryResult<usize> {
    diesel::delete(users::table.find(id.0)).execute(conn)
}

/// Inserts many accounts in one statement and returns their ids. Multi-row inserts don't
/// go through the two-backend connection type, hence the branch.
pub fn insert_many(conn: &mut Conn, rows: &[NewUser<'_>]) -> QueryResult<Vec<i64>> {
    let insert = diesel::insert_into(users::table).values(rows).returning(users::id);
    match conn {
        Conn::Postgres(c) => insert.get_results(c),
        Conn::Sqlite(c) => insert.get_results(c),
    }
}

/// Gives each of the accounts `role`; for accounts that have none yet.
pub fn grant_many(conn: &mut Conn, ids: &[i64], role: Role) -> QueryResult<usize> {
    let role_id: i64 = roles::table.filter(roles::name.eq(role.as_str())).select(roles::id).first(conn)?;
    let rows: Vec<_> =
        ids.iter().map(|id| (user_roles::user_id.eq(*id), user_roles::role_id.eq(role_id))).collect();
    let insert = diesel::insert_into(user_roles::table).values(&rows);
    match conn {
        Conn::Postgres(c) => insert.execute(c),
        Conn::Sqlite(c) => insert.execute(c),
    }
}

/// Usernames beginning with `prefix` (taken literally).
pub fn usernames_starting_with(conn: &mut Conn, prefix: &str) -> QueryResult<Vec<String>> {
    let pattern = format!("{}%", super::escape_like(&prefix.to_lowercase()));
    users::table.filter(lower(users::username).like(pattern).escape('\\')).select(users::username).load(conn)
}

/// Refreshes the query planner's statistics on `users` after a bulk insert, so that
/// searches use their indexes at once rather than after the next autovacuum.
pub fn analyze(conn: &mut Conn) -> QueryResult<()> {
    diesel::sql_query("ANALYZE users").execute(conn).map(drop)
}
