//! What admins read: pages of accounts and of the audit log, each in a fixed number of
//! queries however many rows the page shows.

use crate::db::{self, Db, DbError, audit::AuditRow};
use crate::domain::{Role, UserId};
use chrono::NaiveDateTime;
use std::collections::HashMap;

pub const ACCOUNTS_PER_PAGE: i64 = 25;
pub const AUDIT_ENTRIES_PER_PAGE: i64 = 50;

/// One page of a longer list. `page` is the one shown: a request past the end gets the last.
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The page to show and the rows to skip, for `requested` (from 1) of `total` rows.
fn clamp(requested: i64, total: i64, per_page: i64) -> (i64, i64, i64) {
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
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub live_sessions: i64,
}

/// Accounts newest first; with a non-empty `search`, those whose username or email contains
/// it, in any case. Four queries: count, page, the page's roles, its session counts.
pub async fn accounts(db: &Db, search: &str, page: i64) -> Result<Paged<AccountSummary>, DbError> {
    let needle = Some(search.trim().to_lowercase()).filter(|s| !s.is_empty());
    db.run(move |conn| {
        let needle = needle.as_deref();
        let total = db::admin::count(conn, needle)?;
        let (page, pages, offset) = clamp(page, total, ACCOUNTS_PER_PAGE);
        let rows = db::admin::search(conn, needle, offset, ACCOUNTS_PER_PAGE)?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut role_names: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, name) in db::admin::role_names_of(conn, &ids)? {
            role_names.entry(id).or_default().push(name);
        }
        let sessions: HashMap<i64, i64> =
            db::admin::live_session_counts(conn, &ids, db::now())?.into_iter().collect();
        let items = rows
            .into_iter()
            .map(|row| AccountSummary {
                id: UserId(row.id),
                roles: db::users::parse_roles(
                    role_names.get(&row.id).into_iter().flatten().map(String::as_str),
                ),
                live_sessions: sessions.get(&row.id).copied().unwrap_or(0),
                username: row.username,
                email: row.email,
                is_active: row.is_active,
                created_at: row.created_at,
                last_login_at: row.last_login_at,
            })
            .collect();
        Ok(Paged { items, total, page, pages })
    })
    .await
}

/// One account as the admin API shows it, or `None` for an unknown id.
pub async fn account(db: &Db, id: UserId) -> Result<Option<AccountSummary>, DbError> {
    db.run(move |conn| {
        let Some(profile) = db::users::profile(conn, id)? else { return Ok(None) };
        let roles = db::users::roles_of(conn, id)?;
        Ok(Some(AccountSummary {
            id,
            username: profile.username,
            email: profile.email,
            roles,
            is_active: profile.is_active,
            created_at: profile.created_at,
            last_login_at: profile.last_login_at,
            live_sessions: 0,
        }))
    })
    .await
}

/// Whether the account's email address is verified (false for an unknown account).
pub async fn email_verified(db: &Db, id: UserId) -> Result<bool, DbError> {
    db.run(move |conn| Ok(db::users::email_verified(conn, id).unwrap_or(false))).await
}

pub struct AuditEntry {
    pub row: AuditRow,
    /// The usernames of the actor and the target, while those accounts exist.
    pub actor_name: Option<String>,
    pub target_name: Option<String>,
}

pub struct AuditLog {
    pub entries: Paged<AuditEntry>,
    /// The username of the account the log is filtered by, if it still exists.
    pub account_name: Option<String>,
}

/// The audit log newest first; with `account`, the entries naming it as actor or target.
/// Three queries: count, page, and the usernames the page mentions.
pub async fn audit_log(db: &Db, account: Option<UserId>, page: i64) -> Result<AuditLog, DbError> {
    db.run(move |conn| {
        let total = db::audit::count(conn, account)?;
        let (page, pages, offset) = clamp(page, total, AUDIT_ENTRIES_PER_PAGE);
        let rows = db::audit::page(conn, account, offset, AUDIT_ENTRIES_PER_PAGE)?;
        let mut ids: Vec<i64> = rows.iter().flat_map(|r| [r.actor_id, r.target_id]).flatten().collect();
        ids.extend(account.map(|a| a.0));
        ids.sort_unstable();
        ids.dedup();
        let names: HashMap<i64, String> = db::users::usernames_of(conn, &ids)?.into_iter().collect();
        let name = |id: Option<i64>| id.and_then(|id| names.get(&id).cloned());
        let items = rows
            .into_iter()
            .map(|row| AuditEntry { actor_name: name(row.actor_id), target_name: name(row.target_id), row })
            .collect();
        let account_name = name(account.map(|a| a.0));
        Ok(AuditLog { entries: Paged { items, total, page, pages }, account_name })
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
