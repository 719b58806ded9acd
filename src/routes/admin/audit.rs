//! `GET /admin/audit`: the audit log newest first, paged, filterable by account.

use super::{Pager, parse_page, with_query};
use crate::accounts::directory::{self, AuditEntry};
use crate::domain::UserId;
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::page::Chrome;
use crate::web::{AppState, Page, render};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    user: String,
    page: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    /// The account filtered by: its id, and its username while it exists.
    account: Option<(UserId, String)>,
    total: i64,
    rows: Vec<Row>,
    pager: Pager,
}

struct Row {
    time: String,
    action: String,
    actor: Option<Party>,
    target: Option<Party>,
    subject: String,
    details: String,
    ip: String,
    user_agent: String,
}

/// An account an entry names: its username, or `#id` once it is deleted.
struct Party {
    id: i64,
    name: String,
}

pub async fn show(
    _admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let page = parse_page(&query.page)?;
    let account = parse_account(query.user.trim())?;
    let log = directory::audit_log(&state.db, account, page).await?;
    let entries = log.entries;
    let filter = account.map_or_else(String::new, |id| id.to_string());
    let link = |page: i64| {
        let page = if page > 1 { page.to_string() } else { String::new() };
        with_query("/admin/audit", &[("user", filter.clone()), ("page", page)])
    };
    render(&AuditPage {
        account: account.map(|id| (id, log.account_name.unwrap_or_else(|| format!("#{id}")))),
        total: entries.total,
        pager: Pager::new(entries.page, entries.pages, link),
        rows: entries.items.into_iter().map(row).collect(),
        chrome,
    })
}

/// `user`: empty for the whole log, else an account id.
fn parse_account(raw: &str) -> Result<Option<UserId>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(Some(UserId(id))),
        _ => Err(AppError::BadRequest("The user filter must be an account id".into())),
    }
}

fn row(entry: AuditEntry) -> Row {
    let party = |id: Option<i64>, name: Option<String>| {
        id.map(|id| Party { id, name: name.unwrap_or_else(|| format!("#{id}")) })
    };
    let AuditEntry { row, actor_name, target_name } = entry;
    Row {
        time: format!("{} UTC", row.created_at.format("%Y-%m-%d %H:%M:%S")),
        action: row.action,
        actor: party(row.actor_id, actor_name),
        target: party(row.target_id, target_name),
        subject: row.subject,
        details: row.details,
        ip: row.ip,
        user_agent: row.user_agent,
    }
}
