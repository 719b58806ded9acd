//! `GET, POST /account/email` (ask to change the address), and the links it sends:
//! `GET, POST /account/email/confirm/{token}` and `GET, POST /account/email/revert/{token}`
//! (each GET only shows a button, so a mail scanner's prefetch changes nothing).

use crate::accounts::email_change::{
    self, ChangeEmailError, ChangeEmailErrors, ChangeEmailInput, ChangeEmailRequest, LinkError,
};
use crate::accounts::token::SecretToken;
use crate::db::email_tokens::Purpose;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{
    AppError, AppState, CsrfForm, CurrentUser, MaybeUser, NoFields, render, render_status, see_other,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;

#[derive(Template)]
#[template(path = "account_email.html")]
struct EmailPage {
    chrome: Chrome,
    current: String,
    pending: Option<String>,
    email: String,
    errors: ChangeEmailErrors,
}

#[derive(Template)]
#[template(path = "email_link_confirm.html")]
struct LinkPage {
    chrome: Chrome,
    heading: &'static str,
    explanation: String,
    action: String,
    button: &'static str,
}

#[derive(Template)]
#[template(path = "email_link_invalid.html")]
struct RefusedPage {
    chrome: Chrome,
    heading: &'static str,
    message: &'static str,
}

pub async fn form(
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let pending = email_change::pending(&state.db, user.id).await?;
    let errors = ChangeEmailErrors::default();
    render(&EmailPage { chrome, current: user.email, pending, email: String::new(), errors })
}

pub async fn submit(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(input): CsrfForm<ChangeEmailInput>,
) -> Result<HttpResponse, AppError> {
    let typed: String = input.email.trim().chars().take(254).collect();
    let request = ChangeEmailRequest { user: user.id, input, client: client_info(&req) };
    let limits = &state.settings.limits;
    match email_change::request_change(&state.db, &state.hasher, &state.outbox, limits, request).await {
        Ok(new) => {
            tracing::info!(user_id = %user.id, "email change requested");
            let text = format!("We have sent a link to {new}. Your address changes once you use it.");
            FlashMessage::info(text).send();
            Ok(see_other("/dashboard"))
        }
        Err(ChangeEmailError::Invalid(errors)) => {
            let pending = email_change::pending(&state.db, user.id).await?;
            let page = EmailPage { chrome, current: user.email, pending, email: typed, errors };
            render_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ChangeEmailError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(ChangeEmailError::Unexpected(e)) => Err(e.into()),
    }
}

pub async fn confirm_form(
    token: web::Path<String>,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    let Some(owner) = email_change::check_link(&state.db, Purpose::Change, &secret).await? else {
        return refused(chrome, LinkError::Invalid);
    };
    render(&LinkPage {
        chrome,
        heading: "Confirm your new email address",
        explanation: format!(
            "Press the button to make {} the email address of the account {}.",
            owner.link_email, owner.username
        ),
        action: format!("/account/email/confirm/{}", secret.expose()),
        button: "Confirm the new address",
    })
}

pub async fn confirm(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    FormPage(chrome): FormPage,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    match email_change::confirm_change(&state.db, secret, client_info(&req)).await {
        Ok(id) => {
            tracing::info!(user_id = %id, "email address changed");
            FlashMessage::success("Your email address has been changed.").send();
            Ok(see_other(if user.is_some() { "/dashboard" } else { "/login" }))
        }
        Err(e) => refused(chrome, e),
    }
}

pub async fn revert_form(
    token: web::Path<String>,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    let Some(owner) = email_change::check_link(&state.db, Purpose::Revert, &secret).await? else {
        return refused(chrome, LinkError::Invalid);
    };
    render(&LinkPage {
        chrome,
        heading: "Undo the change of your email address",
        explanation: format!(
            "Press the button to keep {} as the address of the account {}. Every session of the account \
             is logged out, and we email you a link to choose a new password.",
            owner.link_email, owner.username
        ),
        action: format!("/account/email/revert/{}", secret.expose()),
        button: "Undo the change and log everyone out",
    })
}

pub async fn revert(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    match email_change::revert_change(&state.db, &state.outbox, secret, client_info(&req)).await {
        Ok(id) => {
            tracing::info!(user_id = %id, "email change reverted");
            FlashMessage::success(
                "Your email address is restored and every session is logged out. We have emailed you a link \
                 to choose a new password.",
            )
            .send();
            Ok(see_other("/login"))
        }
        Err(e) => refused(chrome, e),
    }
}

fn refused(chrome: Chrome, error: LinkError) -> Result<HttpResponse, AppError> {
    let (status, heading, message) = match error {
        LinkError::Invalid => (
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "The link has expired, has already been used, or was replaced by a newer one.",
        ),
        LinkError::Taken => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "That address is taken",
            "Another account has this email address now, so it cannot become yours. Nothing was changed.",
        ),
        LinkError::Unexpected(e) => return Err(e.into()),
    };
    render_status(&RefusedPage { chrome, heading, message }, status)
}
