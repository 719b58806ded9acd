//! `GET /admin/audit`: the audit log newest first, paged, filtered by action, account (as
//! actor, target or either) and dates; details as before → after, devices by name.

use super::present::{Detail, describe_device, details};
use super::{Pager, page_param, parse_page, with_query};
use crate::accounts::audit::Action;
use crate::accounts::audit_log::{self, AuditEntry};
use crate::accounts::directory::Paged;
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::page::Chrome;
use crate::web::{AppState, Page, render};
use actix_web::{HttpResponse, web};
use askama::Template;

mod filters;
pub use filters::{AuditQuery, Filters};

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    f: Filters,
    /// The account filtered by, as the page names it.
    account: Option<String>,
    actions: Vec<&'static str>,
    total: i64,
    rows: Vec<Row>,
    pager: Pager,
    export: String,
}

struct Row {
    date: String,
    clock: String,
    action: String,
    actor: Option<Party>,
    target: Option<Party>,
    subject: String,
    details: Vec<Detail>,
    ip: String,
    device: String,
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
    let f = Filters::parse(&query)?;
    let (log, account_name) = match f.resolve(&state.db).await? {
        Some(filter) => {
            let log = audit_log::audit_log(&state.db, filter, page).await?;
            (log.entries, log.account_name)
        }
        None => (Paged { items: Vec::new(), total: 0, page: 1, pages: 1 }, None),
    };
    let link = |page: i64| with_query("/admin/audit", &f.params(page_param(page)));
    render(&AuditPage {
        account: f.account_label(account_name),
        actions: Action::ALL.iter().map(|a| a.as_str()).collect(),
        total: log.total,
        pager: Pager::new(log.page, log.pages, link),
        rows: log.items.into_iter().map(row).collect(),
        export: with_query("/admin/audit.csv", &f.params(String::new())),
        f,
        chrome,
    })
}

fn row(entry: AuditEntry) -> Row {
    let party = |id: Option<i64>, name: Option<String>| {
        id.map(|id| Party { id, name: name.unwrap_or_else(|| format!("#{id}")) })
    };
    let AuditEntry { row, actor_name, target_name } = entry;
    Row {
        date: row.created_at.format("%Y-%m-%d").to_string(),
        clock: row.created_at.format("%H:%M:%S").to_string(),
        action: row.action,
        actor: party(row.actor_id, actor_name),
        target: party(row.target_id, target_name),
        subject: row.subject,
        details: details(&row.details),
        ip: row.ip,
        device: if row.user_agent.is_empty() { String::new() } else { describe_device(&row.user_agent) },
        user_agent: row.user_agent,
    }
}
