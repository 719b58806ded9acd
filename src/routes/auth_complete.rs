//! `GET, POST /auth/complete`: a new identity confirms its username.

use super::auth_pages::{Refusal, refuse};
use super::auth_provider::SIGNUP_KEY;
use crate::accounts::identity::Outcome;
use crate::accounts::identity::signup::{self, SignupError};
use crate::accounts::token::SecretToken;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppError, AppState, CsrfForm, render, render_status, see_other, session};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "auth_complete.html")]
struct CompletePage {
    chrome: Chrome,
    provider: String,
    email: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompleteForm {
    username: String,
}

fn signup_token(session: &Session) -> Option<SecretToken> {
    session.get::<String>(SIGNUP_KEY).ok().flatten().map(|raw| SecretToken::from_client(&raw))
}

fn label(state: &AppState, name: &str) -> String {
    state.providers.get(name).map_or_else(|| name.to_owned(), |p| p.label.clone())
}

pub async fn form(
    session: Session,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let found = match signup_token(&session) {
        Some(token) => signup::find(&state.db, &token).await?,
        None => None,
    };
    let Some(pending) = found else { return refuse(chrome, Refusal::NoSignup) };
    render(&CompletePage {
        chrome,
        provider: label(&state, &pending.provider),
        email: pending.email,
        username: pending.username_hint,
        error: None,
    })
}

pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<CompleteForm>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = signup_token(&session) else { return refuse(chrome, Refusal::NoSignup) };
    let Some(pending) = signup::find(&state.db, &token).await? else {
        return refuse(chrome, Refusal::NoSignup);
    };
    match signup::complete(
        &state.db,
        &state.settings.limits,
        &token,
        &form.username,
        state.settings.email_verification.is_required(),
        client_info(&req),
    )
    .await
    {
        Ok(Outcome::LoggedIn { user, token }) => {
            session::begin(&req, user, &token, false)?;
            tracing::info!(user_id = %user, "account created through a provider");
            Ok(see_other("/dashboard"))
        }
        Ok(Outcome::EmailUnverified) => {
            FlashMessage::info("Your account has been created. Please confirm your email address first.")
                .send();
            Ok(see_other("/login"))
        }
        Ok(_) => {
            FlashMessage::error(crate::routes::login::DEACTIVATED).send();
            Ok(see_other("/login"))
        }
        Err(SignupError::Username(message)) => {
            let page = CompletePage {
                chrome,
                provider: label(&state, &pending.provider),
                email: pending.email,
                username: form.username.trim().chars().take(64).collect(),
                error: Some(message),
            };
            render_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(SignupError::Gone) => refuse(chrome, Refusal::NoSignup),
        Err(SignupError::IdentityTaken) => refuse(chrome, Refusal::LinkedElsewhere),
        Err(SignupError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(SignupError::EmailTaken) => {
            FlashMessage::error("An account with this email address already exists. Log in with your password, then connect the provider from your account's connections page.").send();
            Ok(see_other("/login"))
        }
        Err(SignupError::Db(e)) => Err(e.into()),
    }
}
