//! `GET, POST /password-reset` (ask for a link) and `GET, POST /password-reset/{token}`
//! (choose a new password through it).

use crate::accounts::password_reset::{
    self, NewPasswordErrors, NewPasswordInput, REQUEST_ANSWER, Requested, ResetError,
};
use crate::accounts::token::SecretToken;
use crate::domain::Email;
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password_reset_request.html")]
struct RequestPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "password_reset_form.html")]
struct NewPasswordPage {
    chrome: Chrome,
    /// The link's own path: the form posts back to it.
    action: String,
    errors: NewPasswordErrors,
}

/// Used, expired, superseded, or never issued: all look the same from outside.
#[derive(Template)]
#[template(path = "password_reset_invalid.html")]
struct InvalidLinkPage {
    chrome: Chrome,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestForm {
    email: String,
}

pub async fn request_form(FormPage(chrome): FormPage) -> Result<HttpResponse, AppError> {
    render(&RequestPage { chrome, email: String::new(), error: None })
}

pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let email = form.email.trim().chars().take(Email::MAX_LEN).collect();
            let page = RequestPage { chrome, email, error: Some(e.to_string()) };
            return render_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let limit = state.settings.limits.reset_ip;
    match password_reset::request_reset(&state.db, &state.outbox, limit, email, client_info(&req)).await? {
        Requested::Answered => {
            crate::telemetry::password_reset("requested");
            FlashMessage::info(REQUEST_ANSWER).send();
            Ok(see_other("/login"))
        }
        Requested::Throttled { retry_after_secs } => Err(AppError::TooManyRequests { retry_after_secs }),
    }
}

pub async fn link_form(
    token: web::Path<String>,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    match password_reset::check_link(&state.db, &secret).await? {
        Some(_) => render(&NewPasswordPage {
            chrome,
            action: format!("/password-reset/{}", secret.expose()),
            errors: NewPasswordErrors::default(),
        }),
        None => invalid_link(chrome),
    }
}

pub async fn reset(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(input): CsrfForm<NewPasswordInput>,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    let action = format!("/password-reset/{}", secret.expose());
    let outcome = password_reset::complete_reset(
        &state.db,
        &state.hasher,
        &state.outbox,
        secret,
        input,
        client_info(&req),
    )
    .await;
    match outcome {
        Ok(user) => {
            tracing::info!(user_id = %user, "password reset through an emailed link");
            crate::telemetry::password_reset("completed");
            FlashMessage::success("Your password has been reset. Log in with your new password.").send();
            Ok(see_other("/login"))
        }
        Err(ResetError::Invalid(errors)) => {
            render_status(&NewPasswordPage { chrome, action, errors }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ResetError::InvalidLink) => invalid_link(chrome),
        Err(ResetError::Unexpected(e)) => Err(e.into()),
    }
}

fn invalid_link(chrome: Chrome) -> Result<HttpResponse, AppError> {
    render_status(&InvalidLinkPage { chrome }, StatusCode::BAD_REQUEST)
}
