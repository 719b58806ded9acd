//! Queries behind the admin panel: a filtered, sorted page of accounts with their roles and
//! live-session counts in a constant number of queries, and the lock that serializes admin changes.

use super::Conn;
use super::escape_like;
use super::outbox::{FAILED, PENDING};
use super::schema::{email_outbox, roles, sessions, user_roles, users};
use super::users::{PROFILE_COLUMNS, Profile, lower};
use chrono::NaiveDateTime;
use diesel::dsl::{count_star, not};
use diesel::prelude::*;

type Backend = <Conn as Connection>::Backend;

/// Which accounts a listing shows; every part is optional and they combine.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A lower-case substring of the username or email, taken literally.
    pub needle: Option<String>,
    /// A role name from the `roles` table.
    pub role: Option<&'static str>,
    pub status: Option<Status>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Deactivated,
    /// The email address was never confirmed (`email_verified_at` is NULL).
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Created,
    /// Never-logged-in accounts count as the oldest logins.
    LastLogin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sort {
    pub key: SortKey,
    pub ascending: bool,
}

/// The accounts `filter` lets through, its role given by id (see [`role_id`]). The status
/// tests are written without bound values, so that PostgreSQL matches them to the partial
/// indexes on those statuses.
fn matching(filter: &Filter, role_id: Option<i64>) -> users::BoxedQuery<'static, Backend> {
    let mut query = users::table.into_boxed();
    if let Some(needle) = &filter.needle {
        let pattern = format!("%{}%", escape_like(needle));
        // Emails are stored lower-case, so the column is compared as it is (and its index used).
        query = query.filter(
            lower(users::username)
                .like(pattern.clone())
                .escape('\\')
                .or(users::email.like(pattern).escape('\\')),
        );
    }
    if let Some(role_id) = role_id {
        let holders = user_roles::table.filter(user_roles::role_id.eq(role_id)).select(user_roles::user_id);
        query = query.filter(users::id.eq_any(holders));
    }
    match filter.status {
        Some(Status::Active) => query.filter(users::is_active),
        Some(Status::Deactivated) => query.filter(not(users::is_active)),
        Some(Status::Unverified) => query.filter(users::email_verified_at.is_null()),
        None => query,
    }
}

/// A listed account: its profile and when its email was confirmed.
pub type Listed = (Profile, Option<NaiveDateTime>);

/// Up to this many matches, a page's ids are read without `LIMIT` and cut here. The
/// count is exact, but PostgreSQL's estimate for a search (from sampled statistics) can
/// be a hundred times too high; with a `LIMIT` it then walks the sort's index hoping to
/// meet 25 matches early, and reads most of the table for a search that matches ten
/// accounts (measured: 14-25 ms instead of under 1 over 100,000 accounts, depending on
/// which sample the last `ANALYZE` took). Without one it finds the matches through the
/// trigram indexes and sorts them: at most this many ids.
const FEW_MATCHES: i64 = 1000;

/// One page of matching accounts in `sort` order (ties broken by id, so pages never
/// overlap), `offset` rows into the `total` that match. The page's ids come first, from
/// the sort's index alone, and its rows after: a jump to the 4,000th page then skips
/// index entries, not whole rows. Past the middle the index is walked from the other end
/// (the sorts are exact mirrors), so the last page skips nothing at all.
pub fn search(conn: &mut Conn, filter: &Filter, sort: Sort, window: Window) -> QueryResult<Vec<Listed>> {
    let role = role_id(conn, filter)?;
    let Window { offset, limit, total } = window;
    let from_end = offset > total / 2;
    let (walk, skip, take) = if from_end {
        let mirrored = Sort { ascending: !sort.ascending, ..sort };
        (mirrored, (total - offset - limit).max(0), limit.min(total - offset).max(0))
    } else {
        (sort, offset, limit)
    };
    let ids = ordered(matching(filter, role), walk).select(users::id);
    let ids: Vec<i64> = if total <= FEW_MATCHES {
        let all: Vec<i64> = ids.load(conn)?;
        all.into_iter()
            .skip(usize::try_from(skip).unwrap_or(0))
            .take(usize::try_from(take).unwrap_or(0))
            .collect()
    } else {
        ids.offset(skip).limit(take).load(conn)?
    };
    let page = users::table.into_boxed().filter(users::id.eq_any(ids));
    ordered(page, sort).select((PROFILE_COLUMNS, users::email_verified_at)).load(conn)
}

/// Which rows of a listing to show: `limit` from `offset`, of `total` that match.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub offset: i64,
    pub limit: i64,
    pub total: i64,
}

fn ordered(query: users::BoxedQuery<'static, Backend>, sort: Sort) -> users::BoxedQuery<'static, Backend> {
    match (sort.key, sort.ascending) {
        (SortKey::Created, false) => query.order((users::created_at.desc(), users::id.desc())),
        (SortKey::Created, true) => query.order((users::created_at.asc(), users::id.asc())),
        // These match the (last_login_at IS NULL, last_login_at DESC, id DESC) index, forwards and backwards.
        (SortKey::LastLogin, false) => {
            query.order((users::last_login_at.is_null().asc(), users::last_login_at.desc(), users::id.desc()))
        }
        (SortKey::LastLogin, true) => {
            query.order((users::last_login_at.is_null().desc(), users::last_login_at.asc(), users::id.asc()))
        }
    }
}

/// One account as the list shows it.
pub fn listed(conn: &mut Conn, id: crate::domain::UserId) -> QueryResult<Option<Listed>> {
    users::table.find(id.0).select((PROFILE_COLUMNS, users::email_verified_at)).first(conn).optional()
}

pub fn count(conn: &mut Conn, filter: &Filter) -> QueryResult<i64> {
    let role = role_id(conn, filter)?;
    matching(filter, role).count().get_result(conn)
}

/// The filter's role as its id, looked up first: filtering `user_roles` by the id itself
/// lets PostgreSQL's statistics see that admins are few (behind a join on the name, it
/// guesses a third of all accounts and walks every one of them looking for the admins).
fn role_id(conn: &mut Conn, filter: &Filter) -> QueryResult<Option<i64>> {
    let Some(name) = filter.role else { return Ok(None) };
    let id = roles::table.filter(roles::name.eq(name)).select(roles::id).first(conn).optional()?;
    // A name the table lacks matches nobody: no role has the id 0.
    Ok(Some(id.unwrap_or(0)))
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
/// Those of the accounts that have a second factor turned on.
pub fn with_two_factor(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<i64>> {
    use super::schema::two_factor;
    two_factor::table
        .filter(two_factor::user_id.eq_any(ids))
        .filter(two_factor::enabled_at.is_not_null())
        .select(two_factor::user_id)
        .load(conn)
}

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

/// An email on its way to an account, or one that failed for good.
#[derive(Queryable, Debug)]
pub struct UnsentEmail {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The pending and failed emails to `recipient`, newest first.
pub fn unsent_emails_to(conn: &mut Conn, recipient: &str, limit: i64) -> QueryResult<Vec<UnsentEmail>> {
    email_outbox::table
        .filter(email_outbox::recipient.eq(recipient))
        .filter(email_outbox::status.eq_any([PENDING, FAILED]))
        .order(email_outbox::id.desc())
        .limit(limit)
        .select((
            email_outbox::id,
            email_outbox::created_at,
            email_outbox::subject,
            email_outbox::status,
            email_outbox::attempts,
            email_outbox::last_error,
        ))
        .load(conn)
}
