//! `GET /admin/emails`: emails that failed for good, with their last error, and
//! `POST /admin/emails/{id}/retry` to queue one again.

use crate::accounts::emails::{self, Retried};
use crate::db::outbox::FailedMessage;
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, NoFields, render, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use chrono::NaiveDateTime;

#[derive(Template)]
#[template(path = "admin/emails.html")]
struct EmailsPage {
    chrome: Chrome,
    messages: Vec<FailedMessage>,
}

impl EmailsPage {
    fn when(&self, at: &NaiveDateTime) -> String {
        format!("{} UTC", at.format("%Y-%m-%d %H:%M"))
    }
}

pub async fn show(
    _admin: RequireRole<Admin>,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let messages = emails::failed_messages(&state.db).await?;
    render(&EmailsPage { chrome, messages })
}

pub async fn retry(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let retried =
        emails::retry_failed(&state.db, &state.outbox, admin.user.id, id, client_info(&req)).await?;
    tracing::info!(admin = %admin.user.id, email_id = id, outcome = ?retried_kind(&retried), "failed email retried");
    match retried {
        Retried::Queued { recipient } => {
            FlashMessage::success(format!("The email to {recipient} is queued to be sent again.")).send();
        }
        Retried::Reissued { recipient } => FlashMessage::success(format!(
            "A new reset email with a fresh link is queued for {recipient}; the old link no longer works."
        ))
        .send(),
        Retried::NotReissued { recipient, reason } => {
            FlashMessage::warning(format!("The reset email to {recipient} was not sent again: {reason}."))
                .send();
        }
        Retried::NotFound => return Err(AppError::NotFound),
    }
    Ok(see_other("/admin/emails"))
}

/// The outcome without the address, for the log.
fn retried_kind(retried: &Retried) -> &'static str {
    match retried {
        Retried::Queued { .. } => "queued",
        Retried::Reissued { .. } => "reissued",
        Retried::NotReissued { .. } => "not reissued",
        Retried::NotFound => "not found",
    }
}
