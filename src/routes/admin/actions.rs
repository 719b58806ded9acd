//! `POST /admin/users/{id}/…`: the admin panel's actions. Each ends with a flash and a 303
//! back to the list it came from; a refused one answers 409 (a safety rule) or 422 (bad
//! input) with a page saying why, and changes nothing.

use crate::accounts::administration::{self, AdminError, Outcome};
use crate::accounts::password_reset::{self, Issued};
use crate::domain::{Role, UserId};
use crate::error::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::client::client_info;
use crate::web::page::Chrome;
use crate::web::{AppState, CsrfForm, Page, is_local_path, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

pub const CONFIRMATION_MISMATCH: &str =
    "Nothing was deleted: type the account's username exactly to confirm.";
pub const BAD_ROLE: &str = "The role must be one of: user, editor, admin.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    /// The admin page the form was on (search and page kept); anything else means `/admin`.
    return_to: String,
    role: String,
    confirm: String,
}

#[derive(Template)]
#[template(path = "admin/refused.html")]
struct RefusedPage {
    chrome: Chrome,
    status: u16,
    message: String,
    back: String,
}

pub async fn toggle_active(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    let done = administration::toggle_active(&state.db, admin.user.id, target, client_info(&req)).await;
    finish(done, chrome, &form.return_to)
}

pub async fn set_role(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    let Ok(role) = Role::parse(form.role.trim()) else {
        return refused(chrome, StatusCode::UNPROCESSABLE_ENTITY, BAD_ROLE.into(), &form.return_to);
    };
    let done = administration::set_role(&state.db, admin.user.id, target, role, client_info(&req)).await;
    finish(done, chrome, &form.return_to)
}

pub async fn revoke_sessions(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    let done = administration::revoke_sessions(&state.db, admin.user.id, target, client_info(&req)).await;
    finish(done, chrome, &form.return_to)
}

pub async fn delete(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    let (actor, client) = (admin.user.id, client_info(&req));
    let done = administration::delete(&state.db, actor, target, form.confirm.clone(), client).await;
    finish(done, chrome, &form.return_to)
}

/// Emails the account a reset link; the admin never sees the link or sets a password.
pub async fn send_reset(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    Page(chrome): Page,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    let (db, outbox, client) = (&state.db, &state.outbox, client_info(&req));
    match password_reset::send_reset_by_admin(db, outbox, admin.user.id, target, client).await? {
        Issued::Sent => FlashMessage::success(RESET_SENT).send(),
        Issued::TooSoon => FlashMessage::info(RESET_TOO_SOON).send(),
        Issued::Inactive => {
            return refused(chrome, StatusCode::CONFLICT, RESET_INACTIVE.into(), &form.return_to);
        }
        Issued::NoSuchAccount => return Err(AppError::NotFound),
    }
    Ok(see_other(&back_to(&form.return_to)))
}

pub const RESET_SENT: &str = "A password-reset link is on its way to the account's email address.";
pub const RESET_TOO_SOON: &str = "No new email: a reset link went to this account less than a minute ago.";
pub const RESET_INACTIVE: &str = "No email sent: the account is deactivated. Reactivate it first.";

/// The `{id}` of the path; one that isn't an id names no account.
fn target(raw: &str) -> Result<UserId, AppError> {
    raw.parse::<i64>().map(UserId).map_err(|_| AppError::NotFound)
}

fn finish(
    done: Result<Outcome, AdminError>,
    chrome: Chrome,
    return_to: &str,
) -> Result<HttpResponse, AppError> {
    match done {
        Ok(outcome) => {
            let text = outcome.to_string();
            if outcome.changed() { FlashMessage::success(text) } else { FlashMessage::info(text) }.send();
            Ok(see_other(&back_to(return_to)))
        }
        Err(AdminError::NotFound) => Err(AppError::NotFound),
        Err(AdminError::NotAdmin) => Err(AppError::Forbidden),
        Err(AdminError::Refused(message)) => refused(chrome, StatusCode::CONFLICT, message, return_to),
        Err(AdminError::ConfirmationMismatch) => {
            refused(chrome, StatusCode::UNPROCESSABLE_ENTITY, CONFIRMATION_MISMATCH.into(), return_to)
        }
        Err(AdminError::Unexpected(e)) => Err(e.into()),
    }
}

fn refused(
    chrome: Chrome,
    status: StatusCode,
    message: String,
    return_to: &str,
) -> Result<HttpResponse, AppError> {
    tracing::info!(status = status.as_u16(), reason = %message, "admin action refused");
    let page = RefusedPage { chrome, status: status.as_u16(), message, back: back_to(return_to) };
    render_status(&page, status)
}

/// Where to go after an action: the admin page it came from, or `/admin`. Only ever a
/// page of the admin list, and only printable ASCII (it becomes a `Location` header).
fn back_to(return_to: &str) -> String {
    let admin_list = return_to == "/admin" || return_to.starts_with("/admin?");
    let printable = return_to.chars().all(|c| c.is_ascii_graphic());
    if admin_list && printable && is_local_path(return_to) { return_to.to_owned() } else { "/admin".into() }
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn actions_return_only_to_the_admin_list() {
        for kept in ["/admin", "/admin?q=a%25&page=2"] {
            assert_eq!(back_to(kept), kept);
        }
        for refused in [
            "",
            "/dashboard",
            "//evil.example/admin",
            "/admin/../x",
            "/adminx",
            "/admin?q=\u{e9}",
            "https://x/admin",
        ] {
            assert_eq!(back_to(refused), "/admin", "{refused}");
        }
    }
}
