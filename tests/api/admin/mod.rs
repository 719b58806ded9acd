//! The admin panel: access rules, the list (search, filters, sort, pages), an account's
//! page, actions and bulk actions with their safety rules, the overview, the audit log.

mod access;
mod account_page;
mod actions;
mod audit_log;
mod bulk;
mod filters;
mod listing;
mod overview;
mod safety;

use crate::helpers::{Browser, TestApp};
use gatehouse::db;
use gatehouse::domain::{Role, UserId};
use reqwest::Response;

/// Every action route, by its last path segment, in the order a test can run them all on one account: reset before deactivation, delete last.
pub const ACTIONS: [&str; 5] = ["send-reset", "toggle-active", "role", "revoke-sessions", "delete"];

/// A new browser, logged in as a freshly registered admin.
pub async fn admin(app: &TestApp, name: &str) -> Browser {
    let browser = app.logged_in(name).await;
    app.set_role(name, Role::Admin);
    browser
}

pub fn id_of(app: &TestApp, name: &str) -> i64 {
    db::users::find_id_by_username(&mut app.db(), &name.to_lowercase()).unwrap().unwrap().0
}

pub fn roles_of(app: &TestApp, name: &str) -> Vec<Role> {
    db::users::roles_of(&mut app.db(), UserId(id_of(app, name))).unwrap()
}

pub fn exists(app: &TestApp, name: &str) -> bool {
    db::users::find_id_by_username(&mut app.db(), &name.to_lowercase()).unwrap().is_some()
}

pub fn is_active(app: &TestApp, name: &str) -> bool {
    db::users::profile(&mut app.db(), UserId(id_of(app, name))).unwrap().unwrap().is_active
}

/// Posts `action` on account `id` from the admin list, with its CSRF token.
pub async fn act(browser: &Browser, id: i64, action: &str, fields: &[(&str, &str)]) -> Response {
    browser.submit("/admin", &format!("/admin/users/{id}/{action}"), fields).await
}

/// Whether the browser's session still works.
pub async fn logged_in(browser: &Browser) -> bool {
    browser.get("/dashboard").await.status() == reqwest::StatusCode::OK
}
