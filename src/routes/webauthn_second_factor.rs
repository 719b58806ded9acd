//! `POST /webauthn/login/finish` with `second_factor`: a passkey finishing the pending
//! sign-in of `/login/2fa`, answered like that page's form.

use super::auth_pages::browser_secret;
use super::webauthn::{begin, redirect, relying_party};
use crate::accounts::passkeys::second_factor::{self, Finish};
use crate::accounts::two_factor::sign_in::CodeError;
use crate::web::client::client_info;
use crate::web::{AppError, AppState};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use webauthn_rs::prelude::PublicKeyCredential;

pub async fn finish(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    credential: PublicKeyCredential,
    remember_device: bool,
) -> Result<HttpResponse, AppError> {
    let rp = relying_party(&state)?;
    let Some(pending) = super::login_2fa::pending(&session) else { return Ok(log_in_again()) };
    let request = Finish {
        browser: browser_secret(&session)?,
        pending,
        credential,
        remember_device,
        client: client_info(&req),
    };
    match second_factor::finish(&state.db, rp, request).await {
        Ok(done) => {
            super::login_2fa::forget_pending(&session);
            begin(&req, &state, done.user_id, &done.token, done.remember).await?;
            tracing::info!(user_id = %done.user_id, "login succeeded with a passkey as second factor");
            let mut response = redirect(done.next.as_deref().unwrap_or("/dashboard"));
            if let Some(device) = &done.device {
                let cookie = super::login_2fa::device_cookie(&state, device);
                response.add_cookie(&cookie).map_err(|e| anyhow::anyhow!("the device cookie: {e}"))?;
            }
            Ok(response)
        }
        Err(CodeError::WrongCode) => Err(AppError::Unprocessable {
            message: "That passkey could not be verified.".into(),
            fields: vec![("credential".into(), "That passkey could not be verified.".into())],
        }),
        Err(CodeError::NoPending | CodeError::TriesUsedUp) => {
            super::login_2fa::forget_pending(&session);
            Ok(log_in_again())
        }
        Err(CodeError::Throttled { retry_after_secs }) => Err(AppError::TooManyRequests { retry_after_secs }),
        Err(CodeError::Unexpected(e)) => Err(e.into()),
    }
}

/// The pending sign-in is gone: back to `/login`, as the code form would send it.
fn log_in_again() -> HttpResponse {
    FlashMessage::error("Please log in again.").send();
    let body = serde_json::json!({ "error": "no_pending_sign_in", "message": "Please log in again.", "redirect": "/login" });
    HttpResponse::build(StatusCode::BAD_REQUEST).json(body)
}
