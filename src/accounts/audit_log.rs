//! What admins read of the audit trail: filtered pages, and the batches an export streams
//! (keyset steps, so no export holds more than one batch in memory).

use super::directory::{Paged, clamp};
use crate::db::audit::AuditRow;
/// The log's filter, as the callers name it.
pub use crate::db::audit::{Filter, Party};
use crate::db::{self, Db, DbError};
use crate::domain::UserId;
use std::collections::HashMap;

pub const AUDIT_ENTRIES_PER_PAGE: i64 = 50;
/// Rows per step of an export.
pub const EXPORT_BATCH: i64 = 1000;

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

/// The entries `filter` lets through, newest first. Three queries: count, page, and the
/// usernames the page mentions.
pub async fn audit_log(db: &Db, filter: Filter, page: i64) -> Result<AuditLog, DbError> {
    db.run(move |conn| {
        let total = db::audit::filtered_count(conn, &filter)?;
        let (page, pages, offset) = clamp(page, total, AUDIT_ENTRIES_PER_PAGE);
        let rows = db::audit::filtered_page(conn, &filter, offset, AUDIT_ENTRIES_PER_PAGE)?;
        let account = filter.account.map(party_id);
        let (items, names) = with_names(conn, rows, account)?;
        let account_name = account.and_then(|id| names.get(&id.0).cloned());
        Ok(AuditLog { entries: Paged { items, total, page, pages }, account_name })
    })
    .await
}

/// The next batch of an export: up to [`EXPORT_BATCH`] entries older than `before`.
pub async fn export_batch(db: &Db, filter: Filter, before: Option<i64>) -> Result<Vec<AuditEntry>, DbError> {
    db.run(move |conn| {
        let rows = db::audit::batch_before(conn, &filter, before, EXPORT_BATCH)?;
        Ok(with_names(conn, rows, None)?.0)
    })
    .await
}

/// The id of the account an audit filter names.
pub fn party_id(party: Party) -> UserId {
    match party {
        Party::Either(id) | Party::Actor(id) | Party::Target(id) => id,
    }
}

/// The account with this username, for a filter typed as a name.
pub async fn find_account(db: &Db, username: String) -> Result<Option<UserId>, DbError> {
    db.run(move |conn| db::users::find_id_by_username(conn, &username.to_lowercase()).map_err(DbError::from))
        .await
}

type Named = (Vec<AuditEntry>, HashMap<i64, String>);

fn with_names(conn: &mut db::Conn, rows: Vec<AuditRow>, also: Option<UserId>) -> Result<Named, DbError> {
    let mut ids: Vec<i64> = rows.iter().flat_map(|r| [r.actor_id, r.target_id]).flatten().collect();
    ids.extend(also.map(|a| a.0));
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i64, String> = db::users::usernames_of(conn, &ids)?.into_iter().collect();
    let name = |id: Option<i64>| id.and_then(|id| names.get(&id).cloned());
    let items = rows
        .into_iter()
        .map(|row| AuditEntry { actor_name: name(row.actor_id), target_name: name(row.target_id), row })
        .collect();
    Ok((items, names))
}
