//! `GET /admin`: accounts, filtered by role, status and a search, sorted by creation or
//! last login, paged; each row links to the account's page and has a bulk-action checkbox.

use super::{Pager, page_param, parse_page, with_query};
use crate::accounts::directory::{self, AccountSummary, Filter, Sort, SortKey, Status};
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
pub const STATUSES: [&str; 3] = ["active", "deactivated", "unverified"];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    role: String,
    status: String,
    sort: String,
    order: String,
    page: String,
}

/// The list's query, parsed: what it shows and in which order.
struct Listing {
    q: String,
    role: Option<Role>,
    status: Option<(Status, &'static str)>,
    sort: Sort,
}

impl Listing {
    fn parse(query: &ListQuery) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::BadRequest(what.to_owned());
        let role = match query.role.as_str() {
            "" => None,
            raw => Some(Role::parse(raw).map_err(|_| bad("The role must be one of: user, editor, admin"))?),
        };
        let status = match query.status.as_str() {
            "" => None,
            "active" => Some((Status::Active, "active")),
            "deactivated" => Some((Status::Deactivated, "deactivated")),
            "unverified" => Some((Status::Unverified, "unverified")),
            _ => return Err(bad("The status must be one of: active, deactivated, unverified")),
        };
        let key = match query.sort.as_str() {
            "" | "created" => SortKey::Created,
            "last_login" => SortKey::LastLogin,
            _ => return Err(bad("The sort must be created or last_login")),
        };
        let ascending = match query.order.as_str() {
            "" | "desc" => false,
            "asc" => true,
            _ => return Err(bad("The order must be asc or desc")),
        };
        let q = query.q.trim().chars().take(MAX_SEARCH_CHARS).collect();
        Ok(Self { q, role, status, sort: Sort { key, ascending } })
    }

    /// The list's URL with this listing and `sort` on `page`.
    fn link(&self, sort: Sort, page: i64) -> String {
        let key = match sort.key {
            SortKey::Created => "",
            SortKey::LastLogin => "last_login",
        };
        let params = [
            ("q", self.q.clone()),
            ("role", self.role.map(|r| r.as_str().to_owned()).unwrap_or_default()),
            ("status", self.status.map(|(_, s)| s.to_owned()).unwrap_or_default()),
            ("sort", key.to_owned()),
            ("order", if sort.ascending { "asc".into() } else { String::new() }),
            ("page", page_param(page)),
        ];
        with_query("/admin", &params)
    }

    /// A column header's link: its sort, newest first, or reversed when it is the current one.
    fn sort_link(&self, key: SortKey) -> (String, &'static str) {
        let current = self.sort.key == key;
        let ascending = current && !self.sort.ascending;
        let aria = match (current, self.sort.ascending) {
            (false, _) => "none",
            (true, false) => "descending",
            (true, true) => "ascending",
        };
        (self.link(Sort { key, ascending }, 1), aria)
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    q: String,
    role: &'static str,
    status: &'static str,
    filtered: bool,
    total: i64,
    rows: Vec<Row>,
    pager: Pager,
    /// This page's own URL, so that each action comes back to it.
    return_to: String,
    all_roles: [&'static str; 3],
    statuses: [&'static str; 3],
    by_created: (String, &'static str),
    by_last_login: (String, &'static str),
}

struct Row {
    id: UserId,
    username: String,
    email: String,
    roles: Vec<&'static str>,
    active: bool,
    verified: bool,
    two_factor: bool,
    created: String,
    /// Date and time (UTC), or `None`: never.
    last_login: Option<(String, String)>,
    is_self: bool,
}

pub async fn list(
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = parse_page(&query.page)?;
    let listing = Listing::parse(&query)?;
    let filter = Filter {
        needle: Some(listing.q.clone()),
        role: listing.role.map(Role::as_str),
        status: listing.status.map(|(s, _)| s),
    };
    let found = directory::accounts(&state.db, filter, listing.sort, page).await?;
    let me = admin.user.id;
    render(&UsersPage {
        return_to: listing.link(listing.sort, found.page),
        pager: Pager::new(found.page, found.pages, |page| listing.link(listing.sort, page)),
        rows: found.items.into_iter().map(|account| row(account, me)).collect(),
        total: found.total,
        by_created: listing.sort_link(SortKey::Created),
        by_last_login: listing.sort_link(SortKey::LastLogin),
        filtered: listing.role.is_some() || listing.status.is_some() || !listing.q.is_empty(),
        role: listing.role.map_or("", Role::as_str),
        status: listing.status.map_or("", |(_, s)| s),
        q: listing.q,
        chrome,
        all_roles: Role::ALL.map(Role::as_str),
        statuses: STATUSES,
    })
}

fn row(account: AccountSummary, me: UserId) -> Row {
    Row {
        is_self: account.id == me,
        id: account.id,
        roles: account.roles.iter().map(|r| r.as_str()).collect(),
        username: account.username,
        email: account.email,
        active: account.is_active,
        verified: account.email_verified_at.is_some(),
        two_factor: account.two_factor,
        created: account.created_at.format("%Y-%m-%d").to_string(),
        last_login: account
            .last_login_at
            .map(|at| (at.format("%Y-%m-%d").to_string(), at.format("%H:%M UTC").to_string())),
    }
}
