//! `GET /admin`: accounts newest first, searchable and paged, each with its actions.

use super::{Pager, parse_page, when, with_query};
use crate::accounts::directory::{self, AccountSummary};
use crate::domain::{Role, UserId};
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::page::Chrome;
use crate::web::{AppState, Page, render};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// Longer searches are cut: no username or email is longer than this.
const MAX_SEARCH_CHARS: usize = 254;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    page: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    q: String,
    total: i64,
    rows: Vec<Row>,
    pager: Pager,
    /// This page's own URL, so that each action comes back to it.
    return_to: String,
    all_roles: [&'static str; 3],
}

struct Row {
    id: UserId,
    username: String,
    email: String,
    roles: Vec<&'static str>,
    /// The role the role form starts on: the highest held.
    role: &'static str,
    active: bool,
    created: String,
    last_login: String,
    sessions: i64,
    is_self: bool,
}

pub async fn list(
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = parse_page(&query.page)?;
    let q: String = query.q.trim().chars().take(MAX_SEARCH_CHARS).collect();
    let listing = directory::accounts(&state.db, &q, page).await?;
    let link = |page: i64| with_query("/admin", &[("q", q.clone()), ("page", page_param(page))]);
    let me = admin.user.id;
    render(&UsersPage {
        return_to: link(listing.page),
        pager: Pager::new(listing.page, listing.pages, link),
        rows: listing.items.into_iter().map(|account| row(account, me)).collect(),
        total: listing.total,
        q,
        chrome,
        all_roles: Role::ALL.map(Role::as_str),
    })
}

/// Page 1 is the list's plain URL.
fn page_param(page: i64) -> String {
    if page > 1 { page.to_string() } else { String::new() }
}

fn row(account: AccountSummary, me: UserId) -> Row {
    Row {
        is_self: account.id == me,
        id: account.id,
        role: account.roles.first().map_or("user", |r| r.as_str()),
        roles: account.roles.iter().map(|r| r.as_str()).collect(),
        username: account.username,
        email: account.email,
        active: account.is_active,
        created: account.created_at.format("%Y-%m-%d").to_string(),
        last_login: account.last_login_at.map_or_else(|| "never".into(), when),
        sessions: account.live_sessions,
    }
}
