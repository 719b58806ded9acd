//! `GET /admin/audit.csv`: the filtered audit log as CSV, streamed in keyset batches, so
//! a million entries go out without ever being in memory at once.

use super::audit::{AuditQuery, Filters};
use super::present::describe_device;
use crate::accounts::audit_log::{self, AuditEntry, EXPORT_BATCH, Filter};
use crate::db::Db;
use crate::web::AppError;
use crate::web::AppState;
use crate::web::auth::{Admin, RequireRole};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::stream;

const HEADER: [&str; 12] = [
    "id",
    "time_utc",
    "action",
    "actor_id",
    "actor",
    "target_id",
    "target",
    "subject",
    "details",
    "ip",
    "device",
    "user_agent",
];

/// Where an export has got to: the next batch starts below `before`.
struct Cursor {
    db: Db,
    filter: Option<Filter>,
    before: Option<i64>,
    started: bool,
}

pub async fn export(
    admin: RequireRole<Admin>,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let filters = Filters::parse(&query)?;
    let filter = filters.resolve(&state.db).await?;
    tracing::info!(admin = %admin.user.id, "audit log exported");
    let cursor = Cursor { db: state.db.clone(), filter, before: None, started: false };
    let body = stream::unfold(Some(cursor), next_chunk);
    let name = format!("attachment; filename=\"audit-{}.csv\"", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, name))
        .insert_header((CACHE_CONTROL, "no-store"))
        .streaming(body))
}

type Chunk = Result<Bytes, actix_web::Error>;

/// The header line first, then one batch per step; `None` ends the stream.
async fn next_chunk(cursor: Option<Cursor>) -> Option<(Chunk, Option<Cursor>)> {
    let mut cursor = cursor?;
    if !cursor.started {
        cursor.started = true;
        return Some((csv_bytes(&[HEADER.map(str::to_owned).to_vec()]), Some(cursor)));
    }
    let filter = cursor.filter.clone()?;
    match audit_log::export_batch(&cursor.db, filter, cursor.before).await {
        Ok(batch) if batch.is_empty() => None,
        Ok(batch) => {
            let full = i64::try_from(batch.len()).is_ok_and(|n| n == EXPORT_BATCH);
            cursor.before = batch.last().map(|e| e.row.id);
            let records: Vec<Vec<String>> = batch.into_iter().map(record).collect();
            Some((csv_bytes(&records), full.then_some(cursor)))
        }
        Err(e) => {
            // The status line has gone out: all that is left is to cut the download short.
            tracing::error!(error = %e, "the audit export failed part-way");
            Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
        }
    }
}

fn csv_bytes(records: &[Vec<String>]) -> Chunk {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(records.len() * 160));
    for record in records {
        writer.write_record(record).map_err(actix_web::error::ErrorInternalServerError)?;
    }
    let bytes = writer.into_inner().map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    Ok(Bytes::from(bytes))
}

fn record(entry: AuditEntry) -> Vec<String> {
    let AuditEntry { row, actor_name, target_name } = entry;
    let id = |id: Option<i64>| id.map(|id| id.to_string()).unwrap_or_default();
    let device = if row.user_agent.is_empty() { String::new() } else { describe_device(&row.user_agent) };
    vec![
        row.id.to_string(),
        row.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        cell(&row.action),
        id(row.actor_id),
        cell(&actor_name.unwrap_or_default()),
        id(row.target_id),
        cell(&target_name.unwrap_or_default()),
        cell(&row.subject),
        cell(&row.details),
        cell(&row.ip),
        cell(&device),
        cell(&row.user_agent),
    ]
}

/// A text cell a spreadsheet will not run as a formula: a leading `=`, `+`, `-`, `@`, tab
/// or carriage return (a username typed at a failed login can be anything) gets a `'`
/// before it, as OWASP advises for CSV injection.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_that_a_spreadsheet_would_evaluate_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("alice"), "alice");
    }
}
