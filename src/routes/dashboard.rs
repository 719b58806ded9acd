//! `GET /dashboard`: the logged-in user's own account.

use crate::web::AppError;
use crate::web::page::Chrome;
use crate::web::{CurrentUser, Page, render};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    username: String,
    email: String,
    roles: Vec<&'static str>,
    member_since: String,
    last_login: String,
    email_verified: bool,
}

/// Everything it shows came with the session check: one query for the whole page.
pub async fn show(user: CurrentUser, Page(chrome): Page) -> Result<HttpResponse, AppError> {
    render(&DashboardPage {
        chrome,
        roles: user.roles.iter().map(|r| r.as_str()).collect(),
        member_since: user.created_at.format("%Y-%m-%d").to_string(),
        last_login: user
            .last_login_at
            .map_or_else(|| "never".into(), |at| format!("{} UTC", at.format("%Y-%m-%d %H:%M"))),
        email_verified: user.email_verified,
        username: user.username,
        email: user.email,
    })
}
