//! `GET /dashboard`: the logged-in user's own account.

use crate::db::{self, DbError};
use crate::web::AppError;
use crate::web::page::Chrome;
use crate::web::{AppState, CurrentUser, Page, render};
use actix_web::{HttpResponse, web};
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

pub async fn show(
    user: CurrentUser,
    Page(chrome): Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let id = user.id;
    let (profile, address) = state
        .db
        .run(move |conn| {
            Ok::<_, DbError>((db::users::profile(conn, id)?, db::email_tokens::address_of(conn, id)?))
        })
        .await?;
    let profile = profile.ok_or(AppError::NotFound)?;
    let email_verified = address.is_some_and(|a| a.verified_at.is_some());
    render(&DashboardPage {
        chrome,
        username: profile.username,
        email: profile.email,
        roles: user.roles.iter().map(|r| r.as_str()).collect(),
        member_since: profile.created_at.format("%Y-%m-%d").to_string(),
        last_login: profile
            .last_login_at
            .map_or_else(|| "never".into(), |at| format!("{} UTC", at.format("%Y-%m-%d %H:%M"))),
        email_verified,
    })
}
