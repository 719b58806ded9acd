//! What admins read about accounts: filtered, sorted pages of them, and one account's
//! page; each in a fixed number of queries however many rows it shows.

use super::session_list::describe_device;
/// The list's query and the account page's emails, as the callers name them.
pub use crate::db::admin::{Filter, Sort, SortKey, Status, UnsentEmail};
use crate::db::{self, Db, DbError, audit::AuditRow};
use crate::domain::{Role, UserId};
use chrono::NaiveDateTime;
use std::collections::{HashMap, HashSet};

/// The page size of the admin list (CONTRACT: at most 50).
pub const ACCOUNTS_PER_PAGE: i64 = 25;
/// How many of an account's latest audit entries and unsent emails its page shows.
pub const RECENT_ON_ACCOUNT_PAGE: i64 = 20;

/// One page of a longer list. `page` is the one shown: a request past the end gets the last.
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The page to show and the rows to skip, for `requested` (from 1) of `total` rows.
pub fn clamp(requested: i64, total: i64, per_page: i64) -> (i64, i64, i64) {
    let pages = ((total + per_page - 1) / per_page).max(1);
    let page = requested.clamp(1, pages);
    (page, pages, (page - 1) * per_page)
}

pub struct AccountSummary {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub is_active: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    /// Two-factor authentication is on.
    pub two_factor: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub live_sessions: i64,
}

/// Accounts that `filter` lets through (a search needle is trimmed and lower-cased here),
/// in `sort` order. Four queries: count, page, the page's roles, its session counts.
pub async fn accounts(
    db: &Db,
    mut filter: Filter,
    sort: Sort,
    page: i64,
) -> Result<Paged<AccountSummary>, DbError> {
    filter.needle = filter.needle.map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty());
    db.run(move |conn| {
        let total = db::admin::count(conn, &filter)?;
        let (page, pages, offset) = clamp(page, total, ACCOUNTS_PER_PAGE);
        let window = db::admin::Window { offset, limit: ACCOUNTS_PER_PAGE, total };
        let rows = db::admin::search(conn, &filter, sort, window)?;
        let ids: Vec<i64> = rows.iter().map(|(p, _)| p.id).collect();
        let mut role_names: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, name) in db::admin::role_names_of(conn, &ids)? {
            role_names.entry(id).or_default().push(name);
        }
        let sessions: HashMap<i64, i64> =
            db::admin::live_session_counts(conn, &ids, db::now())?.into_iter().collect();
        let two_factor: HashSet<i64> = db::admin::with_two_factor(conn, &ids)?.into_iter().collect();
        let items = rows
            .into_iter()
            .map(|(row, email_verified_at)| AccountSummary {
                id: UserId(row.id),
                roles: db::users::parse_roles(
                    role_names.get(&row.id).into_iter().flatten().map(String::as_str),
                ),
                live_sessions: sessions.get(&row.id).copied().unwrap_or(0),
                two_factor: two_factor.contains(&row.id),
                username: row.username,
                email: row.email,
                is_active: row.is_active,
                email_verified_at,
                created_at: row.created_at,
                last_login_at: row.last_login_at,
            })
            .collect();
        Ok(Paged { items, total, page, pages })
    })
    .await
}

/// A live session as an admin sees it.
pub struct SessionView {
    pub device: String,
    pub user_agent: String,
    pub ip: String,
    pub started: NaiveDateTime,
    pub last_seen: NaiveDateTime,
}

/// Everything an account's admin page shows.
pub struct AccountDetail {
    pub summary: AccountSummary,
    pub sessions: Vec<SessionView>,
    /// Its latest audit entries, as actor or target, newest first.
    pub recent: Vec<AuditRow>,
    /// Usernames of the accounts those entries name, while they exist.
    pub names: HashMap<i64, String>,
    pub unsent_emails: Vec<UnsentEmail>,
}

/// The account's page, or `None` when there is no such account.
pub async fn account(db: &Db, id: UserId) -> Result<Option<AccountDetail>, DbError> {
    db.run(move |conn| {
        let Some((profile, email_verified_at)) = db::admin::listed(conn, id)? else { return Ok(None) };
        let now = db::now();
        let sessions: Vec<SessionView> = db::sessions::list_of(conn, id, now)?
            .into_iter()
            .map(|s| SessionView {
                device: describe_device(&s.user_agent),
                user_agent: s.user_agent,
                ip: s.ip,
                started: s.created_at,
                last_seen: s.last_seen_at,
            })
            .collect();
        let recent = db::audit::page(conn, Some(id), 0, RECENT_ON_ACCOUNT_PAGE)?;
        let mut ids: Vec<i64> = recent.iter().flat_map(|r| [r.actor_id, r.target_id]).flatten().collect();
        ids.sort_unstable();
        ids.dedup();
        let names = db::users::usernames_of(conn, &ids)?.into_iter().collect();
        let unsent_emails = db::admin::unsent_emails_to(conn, &profile.email, RECENT_ON_ACCOUNT_PAGE)?;
        let summary = AccountSummary {
            id,
            roles: db::users::roles_of(conn, id)?,
            live_sessions: i64::try_from(sessions.len()).unwrap_or(i64::MAX),
            two_factor: !db::admin::with_two_factor(conn, &[id.0])?.is_empty(),
            username: profile.username,
            email: profile.email,
            is_active: profile.is_active,
            email_verified_at,
            created_at: profile.created_at,
            last_login_at: profile.last_login_at,
        };
        Ok(Some(AccountDetail { summary, sessions, recent, names, unsent_emails }))
    })
    .await
}

/// One account's summary (the admin API's and `/api/v1/me`'s view), without the page's
/// sessions and audit entries; `None` for an unknown id. Two queries.
pub async fn summary(db: &Db, id: UserId) -> Result<Option<AccountSummary>, DbError> {
    db.run(move |conn| {
        let Some((profile, email_verified_at)) = db::admin::listed(conn, id)? else { return Ok(None) };
        Ok(Some(AccountSummary {
            id,
            roles: db::users::roles_of(conn, id)?,
            live_sessions: 0,
            two_factor: !db::admin::with_two_factor(conn, &[id.0])?.is_empty(),
            username: profile.username,
            email: profile.email,
            is_active: profile.is_active,
            email_verified_at,
            created_at: profile.created_at,
            last_login_at: profile.last_login_at,
        }))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::clamp;

    #[test]
    fn pages_are_clamped_to_the_ones_that_exist() {
        assert_eq!(clamp(1, 0, 25), (1, 1, 0));
        assert_eq!(clamp(2, 26, 25), (2, 2, 25));
        assert_eq!(clamp(9, 26, 25), (2, 2, 25));
        assert_eq!(clamp(0, 26, 25), (1, 2, 0));
        assert_eq!(clamp(1, 25, 25), (1, 1, 0));
    }
}
