//! `GET /account/passkeys` (the list, and adding one through the script) and
//! `POST /account/passkeys/{id}/delete` (with the current password).

use super::auth_pages::{Refusal, refuse};
use crate::accounts::passkeys::manage::{self, Deleted, Overview};
use crate::accounts::passkeys::{Confirmation, PasskeyError};
use crate::domain::{PlainPassword, SecretField};
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppError, AppState, CsrfForm, CurrentUser, NoFields, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account_passkeys.html")]
struct PasskeysPage {
    chrome: Chrome,
    overview: Overview,
    /// Whether this server can use passkeys at all (`PUBLIC_URL` names a domain).
    available: bool,
    error: Option<&'static str>,
}

impl PasskeysPage {
    fn when(&self, at: &NaiveDateTime) -> String {
        format!("{} UTC", at.format("%Y-%m-%d %H:%M"))
    }

    fn last_used(&self, at: &Option<NaiveDateTime>) -> String {
        at.as_ref().map_or_else(|| "Never".to_owned(), |at| self.when(at))
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct DeleteForm {
    current_password: SecretField,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    chrome: Chrome,
    error: Option<&'static str>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let overview = manage::overview(&state.db, user.id).await?;
    render_status(&PasskeysPage { chrome, overview, available: state.passkeys.is_some(), error }, status)
}

pub async fn show(
    user: CurrentUser,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    page(&state, &user, chrome, None, StatusCode::OK).await
}

/// The add form posted without its script (JavaScript off): say what is needed.
pub async fn without_script(_: CurrentUser, CsrfForm(_): CsrfForm<NoFields>) -> HttpResponse {
    FlashMessage::warning("Adding a passkey needs JavaScript turned on in your browser.").send();
    see_other("/account/passkeys")
}

pub async fn delete(
    req: HttpRequest,
    user: CurrentUser,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let client = client_info(&req);
    let who = Confirmation {
        user: user.id,
        session: user.session_id,
        password: PlainPassword::new(form.current_password.expose()),
        ip: client.ip.clone(),
    };
    let (db, hasher, limits) = (&state.db, &state.hasher, &state.settings.limits);
    match manage::delete(db, hasher, limits, who, path.into_inner(), client).await {
        Ok(Deleted::Done { name }) => {
            tracing::info!(user_id = %user.id, "passkey deleted");
            FlashMessage::success(format!("Passkey \u{201c}{name}\u{201d} deleted.")).send();
            Ok(see_other("/account/passkeys"))
        }
        Ok(Deleted::NotFound) => Err(AppError::NotFound),
        Ok(Deleted::LastWayIn) => refuse(chrome, Refusal::LastPasskey),
        Err(PasskeyError::WrongPassword) => {
            let message = super::two_factor::WRONG_PASSWORD;
            page(&state, &user, chrome, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(PasskeyError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(e) => Err(AppError::Unexpected(e.into())),
    }
}
