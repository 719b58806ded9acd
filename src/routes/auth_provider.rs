//! `POST /auth/{name}` (off to the provider) and `GET /auth/{name}/callback` (back).

use super::auth_pages::{ButtonList, Refusal, browser_secret, refuse};
use crate::accounts::identity::{self, Callback, Outcome, PendingSignIn, Rules, SignIn, Taken};
use crate::accounts::sessions;
use crate::auth_providers::ProviderError;
use crate::config::ProviderSettings;
use crate::web::client::client_info;
use crate::web::page::{Chrome, Page};
use crate::web::{AppError, AppState, CsrfForm, MaybeUser, is_local_path, see_other, session};
use actix_session::{Session, SessionExt};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use serde::Deserialize;

pub const SIGNUP_KEY: &str = "auth_signup";

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartForm {
    next: Option<String>,
    link: Option<String>,
}

pub async fn start(
    MaybeUser(user): MaybeUser,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let provider = state.providers.get(&name).ok_or(AppError::NotFound)?;
    let link_to = user.filter(|_| form.link.as_deref() == Some("1")).map(|u| u.id);
    let next = form.next.filter(|n| is_local_path(n)).unwrap_or_else(|| "/dashboard".into());
    let auth = match state.providers.authorize(&name).await {
        Ok(auth) => auth,
        Err(e) => return Ok(unavailable(&provider.label, &e)),
    };
    let browser = browser_secret(&session)?;
    identity::remember(&state.db, &name, &browser, &auth, &next, link_to).await?;
    Ok(see_other(&auth.url))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

pub async fn callback(
    req: HttpRequest,
    MaybeUser(user): MaybeUser,
    Page(chrome): Page,
    session: Session,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let provider = state.providers.get(&name).ok_or(AppError::NotFound)?.clone();
    let query = query.into_inner();
    let browser = browser_secret(&session)?;
    let client = client_info(&req);
    let callback =
        Callback { provider: &name, state: query.state.as_deref(), browser: &browser, ip: &client.ip };
    let pending = match identity::take(&state.db, state.settings.limits.provider_ip, callback).await? {
        Taken::Found(pending) => pending,
        Taken::Missing => return refuse(chrome, Refusal::BadState),
        Taken::Throttled { retry_after_secs } => return Err(AppError::TooManyRequests { retry_after_secs }),
    };
    if query.error.is_some() {
        FlashMessage::error(format!("Signing in with {} was cancelled.", provider.label)).send();
        return Ok(see_other("/login"));
    }
    if pending.link_to.is_some() && pending.link_to != user.as_ref().map(|u| u.id) {
        return refuse(chrome, Refusal::BadState);
    }
    let Some(code) = query.code else { return refuse(chrome, Refusal::BadState) };
    let PendingSignIn { pkce_verifier, nonce, next, link_to, attempt } = pending;
    let provided = match state.providers.complete(&name, code, pkce_verifier, nonce).await {
        Ok(identity) => identity,
        Err(ProviderError::Refused(reason)) => {
            tracing::warn!(provider = %name, %reason, "provider sign-in refused");
            identity::record_refusal(&state.db, &name, &reason, client).await?;
            return refuse(chrome, Refusal::BadAnswer);
        }
        Err(e) => return Ok(unavailable(&provider.label, &e)),
    };
    let rules = Rules {
        require_verified_email: state.settings.email_verification.is_required(),
        account_limit: state.settings.limits.provider_account,
    };
    let request = SignIn { link_to, attempt, rules, client };
    let outcome = identity::sign_in(&state.db, &provider, provided, request).await?;
    answer(&req, chrome, &state, &provider, &next, outcome).await
}

/// The callback's answer for what became of the identity.
async fn answer(
    req: &HttpRequest,
    chrome: Chrome,
    state: &AppState,
    provider: &ProviderSettings,
    next: &str,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    let label = &provider.label;
    Ok(match outcome {
        Outcome::LoggedIn { user, token } => {
            if let Some(previous) = session::token(&req.get_session()) {
                sessions::end(&state.db, previous).await?;
            }
            session::begin(req, user, &token, false)?;
            tracing::info!(user_id = %user, provider = %provider.name, "provider login succeeded");
            see_other(next)
        }
        Outcome::SecondFactor { pending } => {
            crate::routes::login_2fa::hold(&req.get_session(), &pending)?;
            see_other("/login/2fa")
        }
        Outcome::Linked => {
            FlashMessage::success(format!("{label} is now connected to your account.")).send();
            see_other("/account/connections")
        }
        Outcome::LinkedElsewhere => return refuse(chrome, Refusal::LinkedElsewhere),
        Outcome::Throttled { retry_after_secs } => {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
        Outcome::Deactivated => flash_login(crate::routes::login::DEACTIVATED.into()),
        Outcome::EmailUnverified => flash_login("Please confirm your email address first.".into()),
        Outcome::NeedsUsername { token } => {
            req.get_session()
                .insert(SIGNUP_KEY, token.expose())
                .map_err(|e| anyhow::anyhow!("writing the session: {e}"))?;
            see_other("/auth/complete")
        }
        Outcome::EmailInUse => flash_login(format!(
            "An account with this email address already exists. Log in with your password, then connect {label} from your account's connections page."
        )),
        Outcome::NoEmail => flash_login(format!(
            "{label} did not share a verified email address, so no account could be made."
        )),
    })
}

fn flash_login(message: String) -> HttpResponse {
    FlashMessage::error(message).send();
    see_other("/login")
}

fn unavailable(label: &str, e: &ProviderError) -> HttpResponse {
    tracing::warn!(provider = %label, error = %e, "provider unavailable");
    flash_login(format!("{label} could not be reached. Please try again in a moment."))
}

/// The "Continue with LABEL" buttons for `/login` and `/register`, carrying `next` on.
pub fn buttons(state: &AppState, next: Option<&str>) -> ButtonList {
    let list = state.providers.all().map(|p| (p.name.clone(), p.label.clone())).collect();
    ButtonList { list, next: next.map(str::to_owned) }
}
