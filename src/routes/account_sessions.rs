//! `GET /account/sessions` and its two actions: end one of your sessions, or all others.

use crate::accounts::session_list::{self, SessionSummary};
use crate::domain::SessionRecordId;
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, CurrentUser, NoFields, render, see_other, session};
use actix_identity::Identity;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use chrono::NaiveDateTime;

#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsPage {
    chrome: Chrome,
    sessions: Vec<SessionSummary>,
}

impl SessionsPage {
    fn when(&self, at: &NaiveDateTime) -> String {
        format!("{} UTC", at.format("%Y-%m-%d %H:%M"))
    }

    fn others(&self) -> bool {
        self.sessions.iter().any(|s| !s.current)
    }
}

pub async fn show(
    user: CurrentUser,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let sessions = session_list::list(&state.db, user.id, user.session_id).await?;
    render(&SessionsPage { chrome, sessions })
}

pub async fn revoke(
    req: HttpRequest,
    user: CurrentUser,
    identity: Option<Identity>,
    cookie: Session,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    // Someone else's session and one that never existed look the same: 404.
    let id = id.parse().map(SessionRecordId).map_err(|_| AppError::NotFound)?;
    if !session_list::revoke(&state.db, user.id, id, client_info(&req)).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(user_id = %user.id, session = %id, "session revoked by its owner");
    crate::telemetry::sessions_revoked("owner", 1);
    if id == user.session_id {
        session::end(identity, &cookie);
        FlashMessage::info("You have been logged out.").send();
        return Ok(see_other("/login"));
    }
    FlashMessage::success("That session has been logged out.").send();
    Ok(see_other("/account/sessions"))
}

pub async fn revoke_others(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let ended = session_list::revoke_others(&state.db, user.id, user.session_id, client_info(&req)).await?;
    tracing::info!(user_id = %user.id, ended, "other sessions revoked by their owner");
    crate::telemetry::sessions_revoked("owner", ended);
    let message = match ended {
        0 => "There were no other sessions to log out.".to_owned(),
        1 => "Your other session has been logged out.".to_owned(),
        n => format!("Your {n} other sessions have been logged out."),
    };
    FlashMessage::success(message).send();
    Ok(see_other("/account/sessions"))
}
