//! `GET /admin/users/{id}`: one account: its profile, roles, status, sessions, latest audit
//! entries and unsent emails, and every action on it (404 for an unknown id).

use super::present::{Detail, details};
use super::when;
use crate::accounts::directory::{self, AccountDetail, UnsentEmail};
use crate::domain::{Role, UserId};
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::page::Chrome;
use crate::web::{AppState, Page, render};
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    chrome: Chrome,
    id: UserId,
    username: String,
    email: String,
    roles: Vec<&'static str>,
    /// The role the role form starts on: the highest held.
    role: &'static str,
    all_roles: [&'static str; 3],
    active: bool,
    verified: Option<String>,
    two_factor: bool,
    created: String,
    last_login: String,
    is_self: bool,
    sessions: Vec<directory::SessionView>,
    recent: Vec<Entry>,
    emails: Vec<UnsentEmail>,
    any_failed: bool,
    return_to: String,
}

struct Entry {
    time: String,
    action: String,
    /// The other account the entry names, if it is not this one.
    other: Option<String>,
    details: Vec<Detail>,
    ip: String,
}

impl AccountPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        when(*at)
    }
}

pub async fn show(
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.parse::<i64>().ok().filter(|id| *id >= 1).map(UserId).ok_or(AppError::NotFound)?;
    let detail = directory::account(&state.db, id).await?.ok_or(AppError::NotFound)?;
    render(&page(detail, admin.user.id, chrome))
}

fn page(detail: AccountDetail, me: UserId, chrome: Chrome) -> AccountPage {
    let AccountDetail { summary: account, sessions, recent, names, unsent_emails } = detail;
    let id = account.id;
    let name_of = |other: i64| names.get(&other).cloned().unwrap_or_else(|| format!("#{other}"));
    let recent = recent
        .into_iter()
        .map(|row| {
            let other = [row.actor_id, row.target_id].into_iter().flatten().find(|other| *other != id.0);
            Entry {
                time: when(row.created_at),
                action: row.action,
                other: other.map(name_of),
                details: details(&row.details),
                ip: row.ip,
            }
        })
        .collect();
    AccountPage {
        chrome,
        id,
        role: account.roles.first().map_or("user", |r| r.as_str()),
        roles: account.roles.iter().map(|r| r.as_str()).collect(),
        all_roles: Role::ALL.map(Role::as_str),
        username: account.username,
        email: account.email,
        active: account.is_active,
        verified: account.email_verified_at.map(when),
        two_factor: account.two_factor,
        created: when(account.created_at),
        last_login: account.last_login_at.map_or_else(|| "never".into(), when),
        is_self: id == me,
        sessions,
        recent,
        any_failed: unsent_emails.iter().any(|m| m.status == "failed"),
        emails: unsent_emails,
        return_to: format!("/admin/users/{id}"),
    }
}
