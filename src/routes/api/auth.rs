//! `POST /api/v1/auth/login`, `…/refresh` and `…/logout`: the token pair's life.

use super::schemas::{ErrorBody, LoginBody, MfaBody, RefreshBody, TokenPairBody};
use crate::accounts::api_login::{self, Issuer, RefreshError};
use crate::accounts::bearer::Via;
use crate::accounts::login::{LoginError, LoginRequest};
use crate::accounts::token::SecretToken;
use crate::accounts::two_factor::sign_in::{CodeError, SecondStep};
use crate::domain::PlainPassword;
use crate::web::api_json::ApiJson;
use crate::web::bearer::ApiUser;
use crate::web::client::client_info;
use crate::web::{AppError, AppState};
use actix_web::{HttpRequest, HttpResponse, post, web};

fn issuer(state: &AppState) -> Issuer<'_> {
    Issuer {
        keyring: &state.keyring,
        issuer: state.settings.public_url.as_str(),
        settings: &state.settings.api,
    }
}

/// Log in with a username (or email) and password.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth", request_body = LoginBody,
    responses(
        (status = 200, description = "A new login's token pair", body = TokenPairBody),
        (status = 401, description = "`invalid_credentials`: unknown user or wrong password; `mfa_required` (with `mfa_token`, 5 minutes and 5 tries, and `methods`): the right password, now `POST /auth/mfa`", body = ErrorBody),
        (status = 403, description = "`account_deactivated` or `email_unverified` (only with the right password)", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
        (status = 422, description = "Body malformed, with a message per field", body = ErrorBody),
        (status = 429, description = "Too many failed logins (shared with /login); see Retry-After", body = ErrorBody),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<HttpResponse, AppError> {
    let request = LoginRequest {
        identifier: &body.username,
        password: PlainPassword::new(&body.password),
        client: client_info(&req),
        require_verified_email: state.settings.email_verification.is_required(),
        // No remembered devices over the API: every login with 2FA on asks for the code.
        second_step: SecondStep::default(),
    };
    let done =
        api_login::login(&state.db, &state.hasher, &state.settings.limits, &issuer(&state), request).await;
    match done {
        Ok(pair) => Ok(HttpResponse::Ok().json(TokenPairBody::from(pair))),
        Err(LoginError::SecondFactorRequired { pending }) => {
            Ok(HttpResponse::Unauthorized().json(serde_json::json!({
                "error": "mfa_required",
                "message": "This account has two-factor authentication: send a code to /api/v1/auth/mfa.",
                "mfa_token": pending.expose(),
                "methods": ["totp", "recovery_code"],
            })))
        }
        Err(LoginError::InvalidCredentials) => Err(AppError::InvalidCredentials),
        Err(LoginError::Deactivated) => Err(AppError::AccountDeactivated),
        Err(LoginError::EmailUnverified) => Err(AppError::EmailUnverified),
        Err(LoginError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(LoginError::Unexpected(e)) => Err(e.into()),
    }
}

/// Finish a login that answered `mfa_required`, with a TOTP code or a recovery code.
#[utoipa::path(
    post, path = "/auth/mfa", tag = "auth", request_body = MfaBody,
    responses(
        (status = 200, description = "The login's token pair", body = TokenPairBody),
        (status = 401, description = "`invalid_code`: a wrong or used code, or an unknown, expired or used-up mfa_token", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
        (status = 422, description = "Body malformed, with a message per field", body = ErrorBody),
        (status = 429, description = "Too many wrong codes for the account; see Retry-After", body = ErrorBody),
    )
)]
#[post("/auth/mfa")]
pub async fn mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<MfaBody>,
) -> Result<HttpResponse, AppError> {
    let sealer = crate::routes::two_factor::sealer(&state);
    let token = SecretToken::from_client(&body.mfa_token);
    let check = (&sealer, &state.outbox);
    match api_login::finish_mfa(&state.db, &issuer(&state), check, token, body.code, client_info(&req)).await
    {
        Ok(pair) => Ok(HttpResponse::Ok().json(TokenPairBody::from(pair))),
        Err(CodeError::WrongCode | CodeError::NoPending | CodeError::TriesUsedUp) => {
            Ok(HttpResponse::Unauthorized().json(serde_json::json!({
                "error": "invalid_code",
                "message": "The code is wrong or was used already, or the mfa_token is no longer valid.",
            })))
        }
        Err(CodeError::Throttled { retry_after_secs }) => Err(AppError::TooManyRequests { retry_after_secs }),
        Err(CodeError::Unexpected(e)) => Err(e.into()),
    }
}

/// Spend a refresh token for a new pair. A spent token presented again ends the login.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth", request_body = RefreshBody,
    responses(
        (status = 200, description = "The next token pair of the same login", body = TokenPairBody),
        (status = 401, description = "`invalid_grant`: unknown, spent, expired or revoked", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
        (status = 422, description = "Body malformed, with a message per field", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<web::Json<TokenPairBody>, AppError> {
    let presented = SecretToken::from_client(&body.refresh_token);
    match api_login::refresh(&state.db, &issuer(&state), presented, client_info(&req)).await {
        Ok(pair) => Ok(web::Json(pair.into())),
        Err(RefreshError::InvalidGrant) => Err(AppError::InvalidGrant),
        Err(RefreshError::Unexpected(e)) => Err(e.into()),
    }
}

/// End this login: its access and refresh tokens stop working at once.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: a read-only personal access token", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    req: HttpRequest,
    user: ApiUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    // A personal access token is no login: it ends on /account/tokens.
    if let Via::Login(session) = user.0.via {
        api_login::logout(&state.db, user.0.user_id, session, client_info(&req)).await?;
    }
    Ok(HttpResponse::NoContent().finish())
}
