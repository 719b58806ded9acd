//! `GET, POST /login/2fa`: the second step of a login. The cookie session holds only a
//! random token for the pending sign-in (kept server-side); a remembered device has its
//! own long-lived cookie.

use super::two_factor::sealer;
use crate::accounts::sessions;
use crate::accounts::token::SecretToken;
use crate::accounts::two_factor::sign_in::{self, CodeError, CodeRequest, DEVICE_LIFETIME};
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, render_status, see_other, session};
use actix_session::{Session, SessionExt};
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use serde::Deserialize;

const PENDING_KEY: &str = "pending_2fa";
pub const DEVICE_COOKIE: &str = "gatehouse_device";
pub const WRONG_CODE: &str = "That code is not right, or was used already.";

#[derive(Template)]
#[template(path = "login_2fa.html")]
struct CodePage {
    chrome: Chrome,
    recovery: bool,
    error: Option<&'static str>,
    /// Offer a passkey as the second step.
    passkeys: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeQuery {
    recovery: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    remember_device: Option<String>,
    recovery: Option<String>,
}

/// Remembers a pending sign-in in the cookie session (not a login: no identity, no sid).
pub fn hold(session: &Session, pending: &SecretToken) -> Result<(), AppError> {
    session.insert(PENDING_KEY, pending.expose()).map_err(|e| anyhow::anyhow!("writing the session: {e}"))?;
    Ok(())
}

pub(crate) fn pending(session: &Session) -> Option<SecretToken> {
    session.get::<String>(PENDING_KEY).ok().flatten().map(|raw| SecretToken::from_client(&raw))
}

/// Forgets the pending sign-in in the cookie session (it ended, or became a login).
pub(crate) fn forget_pending(session: &Session) {
    session.remove(PENDING_KEY);
}

/// The browser's remembered-device token, if it has one.
pub fn device(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(DEVICE_COOKIE).map(|c| SecretToken::from_client(c.value()))
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, AppError> {
    let Some(token) = pending(&req.get_session()) else { return Ok(see_other("/login")) };
    let recovery = query.into_inner().recovery.is_some();
    let passkeys = offers_passkey(&state, token).await?;
    render_status(&CodePage { chrome, recovery, error: None, passkeys }, StatusCode::OK)
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let session = req.get_session();
    let Some(token) = pending(&session) else { return Ok(see_other("/login")) };
    let remember_device = form.remember_device.as_deref() == Some("on");
    let client = client_info(&req);
    let request = CodeRequest { pending: token.clone(), code: form.code, remember_device, client, api: None };
    let error = match sign_in::complete(&state.db, &sealer(&state), &state.outbox, request).await {
        Ok(done) => {
            session.remove(PENDING_KEY);
            if let Some(previous) = session::token(&session) {
                sessions::end(&state.db, previous).await?;
            }
            session::begin(&req, done.user_id, &done.token, done.remember)?;
            tracing::info!(user_id = %done.user_id, "login succeeded with a second factor");
            let mut response = see_other(done.next.as_deref().unwrap_or("/dashboard"));
            if let Some(device) = &done.device {
                let cookie = device_cookie(&state, device);
                response.add_cookie(&cookie).map_err(|e| anyhow::anyhow!("the device cookie: {e}"))?;
            }
            return Ok(response);
        }
        Err(CodeError::WrongCode) => WRONG_CODE,
        Err(CodeError::NoPending | CodeError::TriesUsedUp) => {
            session.remove(PENDING_KEY);
            FlashMessage::error("Please log in again.").send();
            return Ok(see_other("/login"));
        }
        Err(CodeError::Throttled { retry_after_secs }) => {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        Err(CodeError::Unexpected(e)) => return Err(e.into()),
    };
    tracing::info!("wrong second-factor code");
    let passkeys = offers_passkey(&state, token).await?;
    let page = CodePage { chrome, recovery: form.recovery.is_some(), error: Some(error), passkeys };
    render_status(&page, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Whether to offer "Use a passkey instead": the server has a relying party and the
/// pending sign-in's account a passkey.
async fn offers_passkey(state: &AppState, pending: SecretToken) -> Result<bool, AppError> {
    if state.passkeys.is_none() {
        return Ok(false);
    }
    crate::accounts::passkeys::second_factor::offered(&state.db, pending)
        .await
        .map_err(|e| AppError::Unexpected(e.into()))
}

/// The remembered-device cookie: HttpOnly, SameSite=Lax, Secure under https, 30 days.
pub(crate) fn device_cookie<'a>(state: &AppState, device: &'a SecretToken) -> Cookie<'a> {
    Cookie::build(DEVICE_COOKIE, device.expose())
        .path("/")
        .http_only(true)
        .secure(state.settings.public_url.is_https())
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(DEVICE_LIFETIME.num_seconds()))
        .finish()
}
