//! `POST /webauthn/register/start|finish` and `/webauthn/login/start|finish`: the passkeys
//! script's JSON calls, each with the CSRF token in `X-CSRF-Token`. Errors are JSON.

use super::auth_pages::browser_secret;
use crate::accounts::passkeys::{Confirmation, PasskeyError, RelyingParty, login, registration};
use crate::accounts::sessions;
use crate::accounts::token::SecretToken;
use crate::domain::{PlainPassword, SecretField, UserId};
use crate::web::client::client_info;
use crate::web::{AppError, AppState, CsrfJson, CurrentUser, is_local_path, session};
use actix_session::{Session, SessionExt};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use serde::Deserialize;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStart {
    name: String,
    #[serde(default)]
    current_password: SecretField,
}

#[derive(Deserialize)]
pub struct RegisterFinish {
    credential: RegisterPublicKeyCredential,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LoginStart {
    /// On `/login/2fa`: a passkey of the pending sign-in's account, as its second step.
    second_factor: bool,
}

#[derive(Deserialize)]
pub struct LoginFinish {
    credential: PublicKeyCredential,
    #[serde(default)]
    remember: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    second_factor: bool,
    #[serde(default)]
    remember_device: bool,
}

pub fn relying_party(state: &AppState) -> Result<&RelyingParty, AppError> {
    state.passkeys.as_ref().ok_or_else(|| error(PasskeyError::Unavailable))
}

/// Where the script goes next.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "redirect": to }))
}

pub async fn register_start(
    req: HttpRequest,
    user: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
    CsrfJson(body): CsrfJson<RegisterStart>,
) -> Result<HttpResponse, AppError> {
    let rp = relying_party(&state)?;
    let who = Confirmation {
        user: user.id,
        session: user.session_id,
        password: PlainPassword::new(body.current_password.expose()),
        ip: client_info(&req).ip,
    };
    let (db, hasher, limits) = (&state.db, &state.hasher, &state.settings.limits);
    let options = registration::start(db, hasher, limits, rp, browser_secret(&session)?, who, &body.name)
        .await
        .map_err(error)?;
    Ok(HttpResponse::Ok().json(options))
}

pub async fn register_finish(
    req: HttpRequest,
    user: CurrentUser,
    session: Session,
    state: web::Data<AppState>,
    CsrfJson(body): CsrfJson<RegisterFinish>,
) -> Result<HttpResponse, AppError> {
    let rp = relying_party(&state)?;
    let browser = browser_secret(&session)?;
    let name = registration::finish(&state.db, rp, browser, user.id, body.credential, client_info(&req))
        .await
        .map_err(error)?;
    tracing::info!(user_id = %user.id, "passkey added");
    FlashMessage::success(format!("Passkey \u{201c}{name}\u{201d} added.")).send();
    Ok(redirect("/account/passkeys"))
}

pub async fn login_start(
    session: Session,
    state: web::Data<AppState>,
    CsrfJson(body): CsrfJson<LoginStart>,
) -> Result<HttpResponse, AppError> {
    let rp = relying_party(&state)?;
    let browser = browser_secret(&session)?;
    if body.second_factor {
        let Some(pending) = super::login_2fa::pending(&session) else {
            return Err(error(PasskeyError::NoPendingSignIn));
        };
        let options = crate::accounts::passkeys::second_factor::start(&state.db, rp, browser, pending)
            .await
            .map_err(error)?;
        return Ok(HttpResponse::Ok().json(options));
    }
    let options = login::start(&state.db, rp, browser).await.map_err(error)?;
    Ok(HttpResponse::Ok().json(options))
}

pub async fn login_finish(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    CsrfJson(body): CsrfJson<LoginFinish>,
) -> Result<HttpResponse, AppError> {
    if body.second_factor {
        return super::webauthn_second_factor::finish(
            req,
            session,
            state,
            body.credential,
            body.remember_device,
        )
        .await;
    }
    let rp = relying_party(&state)?;
    let finish = login::Finish {
        browser: browser_secret(&session)?,
        credential: body.credential,
        remember: body.remember,
        client: client_info(&req),
        require_verified_email: state.settings.email_verification.is_required(),
    };
    let logged_in = match login::finish(&state.db, rp, &state.settings.limits, finish).await {
        Ok(logged_in) => logged_in,
        Err(e) => {
            crate::telemetry::login(match e {
                PasskeyError::Throttled { .. } => "throttled",
                PasskeyError::Deactivated => "deactivated",
                _ => "invalid",
            });
            return Err(error(e));
        }
    };
    begin(&req, &state, logged_in.user, &logged_in.token, body.remember).await?;
    tracing::info!(user_id = %logged_in.user, "passkey login succeeded");
    crate::telemetry::login("success");
    let next = body.next.filter(|n| is_local_path(n));
    Ok(redirect(next.as_deref().unwrap_or("/dashboard")))
}

/// A new login in this browser's cookie, ending the one it had, if any.
pub async fn begin(
    req: &HttpRequest,
    state: &AppState,
    user: UserId,
    token: &SecretToken,
    remember: bool,
) -> Result<(), AppError> {
    if let Some(previous) = session::token(&req.get_session()) {
        sessions::end(&state.db, previous).await?;
    }
    session::begin(req, user, token, remember)
}

/// The HTTP answer to a refused passkey request.
pub fn error(e: PasskeyError) -> AppError {
    let unprocessable = |field: &str, message: &str| AppError::Unprocessable {
        message: message.to_owned(),
        fields: vec![(field.to_owned(), message.to_owned())],
    };
    match e {
        PasskeyError::Unavailable => AppError::Conflict(
            "Passkeys are not available on this server: its PUBLIC_URL must name a domain (https, or localhost)."
                .into(),
        ),
        PasskeyError::WrongPassword => unprocessable("current_password", super::two_factor::WRONG_PASSWORD),
        PasskeyError::InvalidName => unprocessable("name", "Give the passkey a name of 1 to 64 characters."),
        PasskeyError::Refused | PasskeyError::CounterRegressed => {
            unprocessable("credential", "That passkey could not be verified.")
        }
        PasskeyError::NoCeremony => AppError::BadRequest(
            "This passkey request has expired or was already used. Please try again.".into(),
        ),
        PasskeyError::AlreadyRegistered => AppError::Conflict("This passkey is registered already.".into()),
        PasskeyError::NoPasskey => AppError::Conflict("This account has no passkey yet.".into()),
        PasskeyError::NoPendingSignIn => AppError::BadRequest("Please log in again.".into()),
        PasskeyError::Deactivated => AppError::AccountDeactivated,
        PasskeyError::EmailUnverified => AppError::EmailUnverified,
        PasskeyError::Throttled { retry_after_secs } => AppError::TooManyRequests { retry_after_secs },
        PasskeyError::Unexpected(e) => AppError::Unexpected(e),
    }
}
