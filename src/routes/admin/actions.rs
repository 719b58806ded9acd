//! `POST /admin/users/{id}/…`: the admin panel's actions, on an account's page. Each ends
//! with a flash and a 303 back to the page it came from (the list, after a delete); a refused one answers 409 (a safety rule) or 422 (bad
//! input) with a page saying why, and changes nothing.

use crate::accounts::ClientInfo;
use crate::accounts::administration::{self, AdminError, Outcome};
use crate::accounts::password_reset::{self, Issued};
use crate::domain::{Role, UserId};
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::client::client_info;
use crate::web::page::Chrome;
use crate::web::{AppState, CsrfForm, Page, is_local_path, render_status, see_other};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

pub const CONFIRMATION_MISMATCH: &str =
    "Nothing was deleted: type the account's username exactly to confirm.";
pub const BAD_ROLE: &str = "The role must be one of: user, editor, admin.";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActionForm {
    /// The admin page the form was on (the list with its query, or an account's page);
    /// anything else means `/admin`.
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

/// Everything an action needs from its request: the acting admin (403 otherwise), the
/// target from the path (404 if it names no account), the CSRF-checked form, and the
/// page chrome for a refusal. One extractor, so every action is guarded the same way.
pub struct Action {
    state: web::Data<AppState>,
    actor: UserId,
    target: UserId,
    form: ActionForm,
    chrome: Chrome,
    client: ClientInfo,
}

impl FromRequest for Action {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = CsrfForm::<ActionForm>::from_request(&req, payload);
        Box::pin(async move {
            let admin = RequireRole::<Admin>::extract(&req).await?;
            let CsrfForm(form) = form.await?;
            // After the CSRF check: every POST without a valid token is a 403, whatever its path.
            let target = req.match_info().get("id").and_then(|raw| raw.parse().ok()).map(UserId);
            let target = target.ok_or(AppError::NotFound)?;
            let Page(chrome) = Page::extract(&req).await?;
            let state = web::Data::<AppState>::extract(&req)
                .await
                .map_err(|_| anyhow::anyhow!("AppState is not registered"))?;
            Ok(Self { state, actor: admin.user.id, target, form, chrome, client: client_info(&req) })
        })
    }
}

pub async fn toggle_active(action: Action) -> Result<HttpResponse, AppError> {
    let done =
        administration::toggle_active(&action.state.db, action.actor, action.target, action.client.clone())
            .await;
    finish(done, action)
}

pub async fn set_role(action: Action) -> Result<HttpResponse, AppError> {
    let Ok(role) = Role::parse(action.form.role.trim()) else {
        return refused(action, StatusCode::UNPROCESSABLE_ENTITY, BAD_ROLE.into());
    };
    let db = &action.state.db;
    let done = administration::set_role(db, action.actor, action.target, role, action.client.clone()).await;
    finish(done, action)
}

pub async fn revoke_sessions(action: Action) -> Result<HttpResponse, AppError> {
    let db = &action.state.db;
    let done = administration::revoke_sessions(db, action.actor, action.target, action.client.clone()).await;
    if let Ok(Outcome::SessionsRevoked { sessions_ended, .. }) = &done {
        crate::telemetry::sessions_revoked("admin", *sessions_ended);
    }
    finish(done, action)
}

pub async fn delete(action: Action) -> Result<HttpResponse, AppError> {
    let (db, confirm) = (&action.state.db, action.form.confirm.clone());
    let done = administration::delete(db, action.actor, action.target, confirm, action.client.clone()).await;
    finish(done, action)
}

/// Emails the account a reset link; the admin never sees the link or sets a password.
pub async fn send_reset(action: Action) -> Result<HttpResponse, AppError> {
    let (db, outbox) = (&action.state.db, &action.state.outbox);
    match password_reset::send_reset_by_admin(db, outbox, action.actor, action.target, action.client.clone())
        .await?
    {
        Issued::Sent => FlashMessage::success(RESET_SENT).send(),
        Issued::TooSoon => FlashMessage::info(RESET_TOO_SOON).send(),
        Issued::Inactive => return refused(action, StatusCode::CONFLICT, RESET_INACTIVE.into()),
        Issued::NoSuchAccount => return Err(AppError::NotFound),
    }
    Ok(see_other(&back_to(&action.form.return_to)))
}

/// Turns the account's second factor off (audited, the owner emailed).
pub async fn reset_two_factor(action: Action) -> Result<HttpResponse, AppError> {
    use crate::accounts::two_factor::admin_reset::{Reset, reset_by_admin};
    let (db, outbox) = (&action.state.db, &action.state.outbox);
    match reset_by_admin(db, outbox, action.actor, action.target, action.client.clone()).await? {
        Reset::Done { username } => {
            FlashMessage::success(format!("Two-factor authentication of {username} is off.")).send()
        }
        Reset::WasOff { username } => {
            FlashMessage::info(format!("{username} had no two-factor authentication.")).send()
        }
        Reset::NoSuchAccount => return Err(AppError::NotFound),
    }
    Ok(see_other(&back_to(&action.form.return_to)))
}

pub const RESET_SENT: &str = "A password-reset link is on its way to the account's email address.";
pub const RESET_TOO_SOON: &str = "No new email: a reset link went to this account less than a minute ago.";
pub const RESET_INACTIVE: &str = "No email sent: the account is deactivated. Reactivate it first.";

fn finish(done: Result<Outcome, AdminError>, action: Action) -> Result<HttpResponse, AppError> {
    match done {
        Ok(outcome) => {
            let text = outcome.to_string();
            if outcome.changed() { FlashMessage::success(text) } else { FlashMessage::info(text) }.send();
            let back = back_to(&action.form.return_to);
            // The deleted account's page is gone: back to the list.
            let gone = matches!(outcome, Outcome::Deleted { .. }) && back.starts_with("/admin/users/");
            Ok(see_other(if gone { "/admin" } else { &back }))
        }
        Err(AdminError::NotFound) => Err(AppError::NotFound),
        Err(AdminError::NotAdmin) => Err(AppError::Forbidden),
        Err(AdminError::Refused(message)) => refused(action, StatusCode::CONFLICT, message),
        Err(AdminError::ConfirmationMismatch) => {
            refused(action, StatusCode::UNPROCESSABLE_ENTITY, CONFIRMATION_MISMATCH.into())
        }
        Err(AdminError::Unexpected(e)) => Err(e.into()),
    }
}

fn refused(action: Action, status: StatusCode, message: String) -> Result<HttpResponse, AppError> {
    tracing::info!(status = status.as_u16(), reason = %message, "admin action refused");
    let back = back_to(&action.form.return_to);
    let page = RefusedPage { chrome: action.chrome, status: status.as_u16(), message, back };
    render_status(&page, status)
}

/// Where to go after an action: the admin list (with its query) or an account's page it
/// came from, else `/admin`. Only printable ASCII (it becomes a `Location` header).
pub fn back_to(return_to: &str) -> String {
    let admin_list = return_to == "/admin" || return_to.starts_with("/admin?");
    let account_page = return_to
        .strip_prefix("/admin/users/")
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()));
    let printable = return_to.chars().all(|c| c.is_ascii_graphic());
    if (admin_list || account_page) && printable && is_local_path(return_to) {
        return_to.to_owned()
    } else {
        "/admin".into()
    }
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn actions_return_only_to_the_admin_list() {
        for kept in ["/admin", "/admin?q=a%25&page=2", "/admin/users/12"] {
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
            "/admin/users/",
            "/admin/users/1/delete",
            "/admin/users/1?x",
        ] {
            assert_eq!(back_to(refused), "/admin", "{refused}");
        }
    }
}
