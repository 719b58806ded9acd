//! `GET, POST /verify-email/{token}` (confirm an address: the GET only shows a button),
//! `GET, POST /verify-email` (ask for a new link by address, same answer for any address)
//! and `POST /account/verify-email` (ask for one from the dashboard).

use crate::accounts::email_verification::{self, PUBLIC_ANSWER, Requester, ResendError, Resent};
use crate::accounts::token::SecretToken;
use crate::domain::Email;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{
    AppError, AppState, CsrfForm, CurrentUser, MaybeUser, NoFields, render, render_status, see_other,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

/// What a login in `EMAIL_VERIFICATION=required` mode gets for an unconfirmed account.
pub const CONFIRM_FIRST: &str = "Please confirm your email address first.";

#[derive(Template)]
#[template(path = "verify_email_request.html")]
struct RequestPage {
    chrome: Chrome,
    refusal: Option<&'static str>,
    resend_email: String,
    resend_error: Option<String>,
}

#[derive(Template)]
#[template(path = "verify_email_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    action: String,
    username: String,
    email: String,
}

#[derive(Template)]
#[template(path = "verify_email_invalid.html")]
struct InvalidLinkPage {
    chrome: Chrome,
    logged_in: bool,
    resend_email: String,
    resend_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResendForm {
    email: String,
}

/// The 403 page of a correct login for an unconfirmed account: no session, the message,
/// and the public resend form (prefilled with what was typed, if it was an address).
pub fn refuse_unverified_login(chrome: Chrome, typed: &str) -> Result<HttpResponse, AppError> {
    let resend_email = Email::parse(typed).map(|e| e.to_string()).unwrap_or_default();
    let page = RequestPage { chrome, refusal: Some(CONFIRM_FIRST), resend_email, resend_error: None };
    render_status(&page, StatusCode::FORBIDDEN)
}

pub async fn request_form(FormPage(chrome): FormPage) -> Result<HttpResponse, AppError> {
    render(&RequestPage { chrome, refusal: None, resend_email: String::new(), resend_error: None })
}

pub async fn request(
    req: HttpRequest,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> Result<HttpResponse, AppError> {
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let resend_email = form.email.trim().chars().take(Email::MAX_LEN).collect();
            let page = RequestPage { chrome, refusal: None, resend_email, resend_error: Some(e.to_string()) };
            return render_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    resend(&req, &state, Requester::Address(email)).await?;
    FlashMessage::info(PUBLIC_ANSWER).send();
    Ok(see_other("/login"))
}

pub async fn resend_from_dashboard(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    match resend(&req, &state, Requester::Account(user.id)).await? {
        Resent::Sent => {
            FlashMessage::success(format!("We have sent a new confirmation link to {}.", user.email))
        }
        Resent::TooSoon => {
            FlashMessage::info("A link was sent less than a minute ago; please check your inbox for it.")
        }
        Resent::AlreadyVerified => FlashMessage::info("Your email address is already confirmed."),
        Resent::Inactive | Resent::NoSuchAccount => return Err(AppError::NotFound),
    }
    .send();
    Ok(see_other("/dashboard"))
}

async fn resend(req: &HttpRequest, state: &AppState, requester: Requester) -> Result<Resent, AppError> {
    let limit = state.settings.limits.reset_ip;
    match email_verification::resend(&state.db, &state.outbox, limit, requester, client_info(req)).await {
        Ok(resent) => Ok(resent),
        Err(ResendError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(ResendError::Unexpected(e)) => Err(e.into()),
    }
}

pub async fn link_form(
    token: web::Path<String>,
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    match email_verification::check_link(&state.db, &secret).await? {
        Some(owner) => render(&ConfirmPage {
            chrome,
            action: format!("/verify-email/{}", secret.expose()),
            username: owner.username,
            email: owner.email,
        }),
        None => invalid_link(chrome, user.is_some()),
    }
}

pub async fn verify(
    req: HttpRequest,
    token: web::Path<String>,
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    FormPage(chrome): FormPage,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let secret = SecretToken::from_client(&token);
    match email_verification::verify(&state.db, secret, client_info(&req)).await? {
        Some(id) => {
            tracing::info!(user_id = %id, "email address confirmed");
            FlashMessage::success("Thank you: your email address is confirmed.").send();
            Ok(see_other(if user.is_some() { "/dashboard" } else { "/login" }))
        }
        None => invalid_link(chrome, user.is_some()),
    }
}

fn invalid_link(chrome: Chrome, logged_in: bool) -> Result<HttpResponse, AppError> {
    let page = InvalidLinkPage { chrome, logged_in, resend_email: String::new(), resend_error: None };
    render_status(&page, StatusCode::BAD_REQUEST)
}
