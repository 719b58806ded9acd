//! `GET, POST /login` and `POST /logout`.

use crate::accounts::login::{self, LoginError, LoginRequest};
use crate::accounts::sessions::{self, SessionKind};
use crate::accounts::two_factor::sign_in::SecondStep;
use crate::domain::PlainPassword;
use crate::telemetry;
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, MaybeUser, NoFields, is_local_path, render, see_other, session};
use actix_identity::Identity;
use actix_session::{Session, SessionExt};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

pub const INVALID_CREDENTIALS: &str = "Invalid username or password.";
pub const DEACTIVATED: &str = "This account has been deactivated.";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    remember: bool,
    /// Only ever a local path; carried from the query string to the form.
    next: Option<String>,
    error: Option<&'static str>,
    providers: super::auth_pages::ButtonList,
    /// Offer "Sign in with a passkey" (the server has a relying party).
    passkeys: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
}

fn local(next: Option<String>) -> Option<String> {
    next.filter(|n| is_local_path(n))
}

pub async fn form(
    state: web::Data<AppState>,
    MaybeUser(user): MaybeUser,
    FormPage(chrome): FormPage,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = local(query.into_inner().next);
    if user.is_some() {
        return Ok(see_other(next.as_deref().unwrap_or("/dashboard")));
    }
    let providers = super::auth_provider::buttons(&state, next.as_deref());
    let passkeys = state.passkeys.is_some();
    render(&LoginPage {
        chrome,
        username: String::new(),
        remember: false,
        next,
        error: None,
        providers,
        passkeys,
    })
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = local(form.next);
    let remember = form.remember.as_deref() == Some("on");
    let request = LoginRequest {
        identifier: &form.username,
        password: PlainPassword::new(&form.password),
        client: client_info(&req),
        second_step: SecondStep { next: next.clone(), device: super::login_2fa::device(&req) },
        require_verified_email: state.settings.email_verification.is_required(),
    };
    let kind = SessionKind::Browser { remember };
    let error = match login::login(&state.db, &state.hasher, &state.settings.limits, request, kind).await {
        Ok(logged_in) => {
            // A login over a login: the earlier session ends rather than lingering unseen.
            if let Some(previous) = session::token(&req.get_session()) {
                sessions::end(&state.db, previous).await?;
            }
            session::begin(&req, logged_in.user_id, &logged_in.token, remember)?;
            tracing::info!(user_id = %logged_in.user_id, remember, "login succeeded");
            telemetry::login("success");
            return Ok(see_other(next.as_deref().unwrap_or("/dashboard")));
        }
        Err(LoginError::SecondFactorRequired { pending }) => {
            super::login_2fa::hold(&req.get_session(), &pending)?;
            return Ok(see_other("/login/2fa"));
        }
        Err(LoginError::InvalidCredentials) => INVALID_CREDENTIALS,
        Err(LoginError::Deactivated) => DEACTIVATED,
        Err(LoginError::EmailUnverified) => {
            return super::verify_email::refuse_unverified_login(chrome, &form.username);
        }
        Err(LoginError::Throttled { retry_after_secs }) => {
            telemetry::login("throttled");
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        Err(LoginError::Unexpected(e)) => return Err(e.into()),
    };
    tracing::info!(reason = error, "login failed");
    telemetry::login(if error == DEACTIVATED { "deactivated" } else { "invalid" });
    let username = form.username.chars().take(254).collect();
    let providers = super::auth_provider::buttons(&state, next.as_deref());
    let passkeys = state.passkeys.is_some();
    render(&LoginPage { chrome, username, remember, next, error: Some(error), providers, passkeys })
}

pub async fn logout(
    req: HttpRequest,
    MaybeUser(user): MaybeUser,
    identity: Option<Identity>,
    session: Session,
    state: web::Data<AppState>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let (Some(user), Some(token)) = (user, session::token(&session)) {
        sessions::logout(&state.db, user.id, token, client_info(&req)).await?;
        tracing::info!(user_id = %user.id, "logged out");
        telemetry::sessions_revoked("logout", 1);
        FlashMessage::info("You have been logged out.").send();
    }
    session::end(identity, &session);
    Ok(see_other("/login"))
}
