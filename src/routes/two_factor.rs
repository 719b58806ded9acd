//! `/account/2fa`: turning the second factor on (password, QR code, first code), new
//! recovery codes, and turning it off (password and a code).

use crate::accounts::two_factor::TwoFactorError;
use crate::accounts::two_factor::enrolment::{self, Enrolment, Owner};
use crate::crypto::{Purpose, Sealer};
use crate::domain::{PlainPassword, SecretField};
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, CurrentUser, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use base64::Engine;
use serde::Deserialize;

pub const WRONG_PASSWORD: &str = "Your current password is not correct.";
pub const WRONG_CODE: &str = "That code is not right, or was used already. Try the newest one from your app.";

#[derive(Template)]
#[template(path = "two_factor.html")]
struct SettingsPage {
    chrome: Chrome,
    enabled: bool,
    codes_left: i64,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct SetupPage {
    chrome: Chrome,
    qr_data_uri: String,
    uri: String,
    secret: String,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "two_factor_codes.html")]
struct CodesPage {
    chrome: Chrome,
    codes: Vec<String>,
    first_time: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: SecretField,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DisableForm {
    current_password: SecretField,
    code: String,
}

pub fn sealer(state: &AppState) -> Sealer {
    Sealer::new(state.settings.secret_bytes(), Purpose::TotpSecret)
}

fn owner(user: &CurrentUser) -> Owner {
    Owner { id: user.id, username: user.username.clone(), email: user.email.clone() }
}

async fn settings(
    state: &AppState,
    user: &CurrentUser,
    chrome: Chrome,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let (enabled, codes_left) = enrolment::status(&state.db, user.id).await.map_err(anyhow::Error::from)?;
    let status = match error {
        Some(WRONG_PASSWORD | WRONG_CODE) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(_) => StatusCode::CONFLICT,
        None => StatusCode::OK,
    };
    render_status(&SettingsPage { chrome, enabled, codes_left, error }, status)
}

pub async fn show(
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    settings(&state, &user, chrome, None).await
}

/// The errors every form here shares; `Ok` carries the message for the settings page.
fn message(e: TwoFactorError) -> Result<&'static str, AppError> {
    match e {
        TwoFactorError::WrongPassword => Ok(WRONG_PASSWORD),
        TwoFactorError::WrongCode => Ok(WRONG_CODE),
        TwoFactorError::AlreadyEnabled => Ok("Two-factor authentication is already on."),
        TwoFactorError::NotEnabled => Ok("Two-factor authentication is off."),
        TwoFactorError::Throttled { retry_after_secs } => Err(AppError::TooManyRequests { retry_after_secs }),
        TwoFactorError::Unexpected(e) => Err(e.into()),
    }
}

fn setup_page(
    chrome: Chrome,
    enrolment: Enrolment,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let svg = qrcode::QrCode::new(enrolment.uri.as_bytes())
        .map_err(|e| anyhow::anyhow!("the QR code: {e}"))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .build();
    // A data: URI image: the page's CSP allows `img-src data:`, and no inline script or style is needed.
    let qr_data_uri =
        format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg));
    let page = SetupPage { chrome, qr_data_uri, uri: enrolment.uri, secret: enrolment.secret_base32, error };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    render_status(&page, status)
}

pub async fn setup(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let (limits, ip) = (&state.settings.limits, client_info(&req).ip);
    let password = PlainPassword::new(form.current_password.expose());
    let owner = owner(&user);
    match enrolment::begin(&state.db, &state.hasher, limits, &sealer(&state), &owner, &password, &ip).await {
        Ok(enrolment) => setup_page(chrome, enrolment, None),
        Err(e) => settings(&state, &user, chrome, Some(message(e)?)).await,
    }
}

pub async fn confirm(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let sealer = sealer(&state);
    match enrolment::confirm(&state.db, &sealer, user.id, &form.code, client_info(&req)).await {
        Ok(codes) => {
            tracing::info!(user_id = %user.id, "two-factor authentication enabled");
            render(&CodesPage { chrome, codes: codes.0, first_time: true })
        }
        Err(TwoFactorError::WrongCode) => match enrolment::waiting(&state.db, &sealer, &owner(&user)).await {
            Ok(Some(enrolment)) => setup_page(chrome, enrolment, Some(WRONG_CODE)),
            Ok(None) => settings(&state, &user, chrome, Some(WRONG_CODE)).await,
            Err(e) => settings(&state, &user, chrome, Some(message(e)?)).await,
        },
        Err(e) => settings(&state, &user, chrome, Some(message(e)?)).await,
    }
}

pub async fn regenerate(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let password = PlainPassword::new(form.current_password.expose());
    let (db, hasher, limits) = (&state.db, &state.hasher, &state.settings.limits);
    match enrolment::regenerate_codes(db, hasher, limits, user.id, &password, client_info(&req)).await {
        Ok(codes) => render(&CodesPage { chrome, codes: codes.0, first_time: false }),
        Err(e) => settings(&state, &user, chrome, Some(message(e)?)).await,
    }
}

pub async fn disable(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(form): CsrfForm<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let request = (PlainPassword::new(form.current_password.expose()), form.code, client_info(&req));
    let (db, hasher, limits) = (&state.db, &state.hasher, &state.settings.limits);
    match enrolment::disable(db, hasher, limits, &sealer(&state), &state.outbox, owner(&user), request).await
    {
        Ok(()) => {
            tracing::info!(user_id = %user.id, "two-factor authentication disabled");
            FlashMessage::success("Two-factor authentication is off. Remembered devices were forgotten.")
                .send();
            Ok(see_other("/account/2fa"))
        }
        Err(e) => settings(&state, &user, chrome, Some(message(e)?)).await,
    }
}
