//! What the provider sign-in pages share: the browser binding, refusal pages, buttons.

use crate::accounts::token::SecretToken;
use crate::web::page::Chrome;
use crate::web::{AppError, render_status};
use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

const BROWSER_KEY: &str = "auth_browser";

/// A random value in this browser's (encrypted) cookie; pending sign-ins store its hash,
/// so a `state` is only good in the browser that started it.
pub fn browser_secret(session: &Session) -> Result<SecretToken, AppError> {
    if let Some(raw) = session.get::<String>(BROWSER_KEY).ok().flatten() {
        return Ok(SecretToken::from_client(&raw));
    }
    let fresh = SecretToken::generate();
    session.insert(BROWSER_KEY, fresh.expose()).map_err(|e| anyhow::anyhow!("writing the session: {e}"))?;
    Ok(fresh)
}

/// `(name, label)` of each provider, for the button partial, and the `next` of the page
/// the buttons are on, so a sign-in through a provider lands where a password login would.
pub struct ButtonList {
    pub list: Vec<(String, String)>,
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "auth_refused.html")]
struct RefusedPage {
    chrome: Chrome,
    status: u16,
    title: &'static str,
    message: &'static str,
}

pub enum Refusal {
    /// No pending sign-in for this state in this browser (unknown, used, expired, forged).
    BadState,
    /// The provider's answer broke a rule (token, signature, claims).
    BadAnswer,
    /// The identity belongs to another account.
    LinkedElsewhere,
    /// No pending sign-up on `/auth/complete`.
    NoSignup,
    /// The last way to log in.
    LastWayIn,
    /// The last passkey of an account with no password and no provider.
    LastPasskey,
}

pub fn refuse(chrome: Chrome, refusal: Refusal) -> Result<HttpResponse, AppError> {
    let (status, title, message) = match refusal {
        Refusal::BadState => (
            400,
            "Sign-in failed",
            "This sign-in link is not valid here, was already used or has expired. Please start again.",
        ),
        Refusal::BadAnswer => (
            400,
            "Sign-in failed",
            "The identity provider's answer could not be verified. Please start again.",
        ),
        Refusal::LinkedElsewhere => (
            409,
            "Already connected",
            "That identity is already connected to another account. Nothing was changed.",
        ),
        Refusal::NoSignup => (
            400,
            "Sign-up expired",
            "This sign-up was already completed or has expired. Please sign in again.",
        ),
        Refusal::LastWayIn => (
            409,
            "Cannot disconnect",
            "This is your account's last way to log in. Set a password or connect another provider first.",
        ),
        Refusal::LastPasskey => (
            409,
            "Cannot delete",
            "This passkey is your account's last way to log in. Add another passkey, set a password (through a reset link) or connect a provider first.",
        ),
    };
    let page = RefusedPage { chrome, status, title, message };
    render_status(&page, StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
}
