//! `GET, POST /register`: the registration form.

use crate::accounts::registration::{self, FieldErrors, RegistrationError, RegistrationInput};
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, MaybeUser, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    /// Kept from a refused submission; the password never is.
    username: String,
    email: String,
    errors: FieldErrors,
    providers: super::auth_pages::ButtonList,
}

pub async fn form(
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    if user.is_some() {
        return Ok(see_other("/dashboard"));
    }
    render(&RegisterPage {
        chrome,
        username: String::new(),
        email: String::new(),
        errors: FieldErrors::default(),
        providers: super::auth_provider::buttons(&state, None),
    })
}

pub async fn submit(
    req: HttpRequest,
    MaybeUser(user): MaybeUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(input): CsrfForm<RegistrationInput>,
) -> Result<HttpResponse, AppError> {
    if user.is_some() {
        return Ok(see_other("/dashboard"));
    }
    let (username, email) = (input.username.trim().to_owned(), input.email.trim().to_owned());
    let (limits, client) = (&state.settings.limits, client_info(&req));
    match registration::register(&state.db, &state.hasher, &state.outbox, limits, input, client).await {
        Ok(id) => {
            tracing::info!(user_id = %id, username = %username, "account registered");
            crate::telemetry::registration("created");
            FlashMessage::success(
                "Your account has been created. We have emailed you a link to confirm your address; you can log in now.",
            )
            .send();
            Ok(see_other("/login"))
        }
        Err(RegistrationError::Invalid(errors)) => {
            crate::telemetry::registration("invalid");
            let providers = super::auth_provider::buttons(&state, None);
            render_status(
                &RegisterPage { chrome, username, email, errors, providers },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(RegistrationError::Throttled { retry_after_secs }) => {
            crate::telemetry::registration("throttled");
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(RegistrationError::Unexpected(e)) => Err(e.into()),
    }
}
