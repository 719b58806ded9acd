//! Queries behind the admin panel: a page of accounts with their roles and live-session
//! counts in a constant number of queries, and the lock that serializes admin changes.

use super::Conn;
use super::escape_like;
use super::schema::{roles, sessions, user_roles, users};
use super::users::{PROFILE_COLUMNS, Profile, lower};
use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

type Backend = <Conn as Connection>::Backend;

/// Accounts whose lower-cased username or email contains `needle` (already lower-case);
/// every account when there is none. `%`, `_` and `\` in the needle match themselves.
fn matching(needle: Option<&str>) -> users::BoxedQuery<'static, Backend> {
    let query = users::table.into_boxed();
    let Some(needle) = needle else { return query };
    let pattern = format!("%{}%", escape_like(needle));
    // Emails are stored lower-case, so the column is compared as it is (and its index used).
    query.filter(
        lower(users::username).like(pattern.clone()).escape('\\').or(users::email.like(pattern).escape('\\')),
    )
}

/// One page of matching accounts, newest first.
pub fn search(conn: &mut Conn, needle: Option<&str>, offset: i64, limit: i64) -> QueryResult<Vec<Profile>> {
    matching(needle)
        .order((users::created_at.desc(), users::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(PROFILE_COLUMNS)
        .load(conn)
}

pub fn count(conn: &mut Conn, needle: Option<&str>) -> QueryResult<i64> {
    matching(needle).count().get_result(conn)
}

/// `(user id, role name)` for every role of the given accounts, in one query.
pub fn role_names_of(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
    user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq_any(ids))
        .select((user_roles::user_id, roles::name))
        .load(conn)
}

/// `(user id, number of unexpired sessions)` for those of the given accounts that have any.
pub fn live_session_counts(conn: &mut Conn, ids: &[i64], now: NaiveDateTime) -> QueryResult<Vec<(i64, i64)>> {
    sessions::table
        .filter(sessions::user_id.eq_any(ids))
        .filter(sessions::expires_at.gt(now))
        .group_by(sessions::user_id)
        .select((sessions::user_id, count_star()))
        .load(conn)
}

/// Takes the one lock every change that could take `admin` away from someone holds until
/// its transaction ends, so that the "last active admin" rule is checked and applied with
/// no other such change in between. A no-op write, because it locks on both backends: on
/// PostgreSQL the `roles` row (other admin changes wait for it), on SQLite the database's
/// write lock, taken before anything is read. Call it first in the transaction.
pub fn lock_admin_changes(conn: &mut Conn) -> QueryResult<()> {
    diesel::update(roles::table.filter(roles::name.eq("admin")))
        .set(roles::name.eq(roles::name))
        .execute(conn)
        .map(drop)
}

/// Active accounts holding `admin`.
pub fn active_admin_count(conn: &mut Conn) -> QueryResult<i64> {
    user_roles::table
        .inner_join(users::table)
        .inner_join(roles::table)
        .filter(roles::name.eq("admin"))
        .filter(users::is_active.eq(true))
        .count()
        .get_result(conn)
}
