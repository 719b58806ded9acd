//! The session cookie: what it holds, its lifetime (browser session or remember-me),
//! and starting and ending a logged-in session in it.

use super::csrf;
use crate::accounts::token::SecretToken;
use crate::config::Settings;
use crate::domain::UserId;
use crate::web::AppError;
use actix_identity::Identity;
use actix_session::config::{CookieContentSecurity, PersistentSession, TtlExtensionPolicy};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, Key, SameSite, time::Duration};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};

pub const COOKIE_NAME: &str = "gatehouse_session";
const TOKEN_KEY: &str = "sid";
const REMEMBER_KEY: &str = "remember";

/// Signed and encrypted with a key derived from `SECRET_KEY`, so every instance of a
/// deployment reads every other's cookies. The cookie is persistent (14 days) by default;
/// [`browser_session_cookies`] turns it into a browser-session cookie unless remembered.
pub fn middleware(settings: &Settings) -> SessionMiddleware<CookieSessionStore> {
    let lifetime = crate::accounts::sessions::REMEMBERED_SESSION.absolute.num_seconds();
    SessionMiddleware::builder(CookieSessionStore::default(), Key::derive_from(settings.secret_bytes()))
        .cookie_name(COOKIE_NAME.into())
        .cookie_secure(settings.public_url.is_https())
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            PersistentSession::default()
                .session_ttl(Duration::seconds(lifetime))
                .session_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
        )
        .build()
}

/// The session token in the cookie, if logged in.
pub fn token(session: &Session) -> Option<SecretToken> {
    session.get::<String>(TOKEN_KEY).ok().flatten().map(|raw| SecretToken::from_client(&raw))
}

/// Makes the cookie carry a new login. Renewing first means no value from before the
/// login (a planted session, an old CSRF token) survives into it.
pub fn begin(req: &HttpRequest, user: UserId, token: &SecretToken, remember: bool) -> Result<(), AppError> {
    let session = req.get_session();
    session.renew();
    Identity::login(&req.extensions(), user.to_string())
        .map_err(|e| anyhow::anyhow!("recording the identity: {e}"))?;
    let stored =
        session.insert(TOKEN_KEY, token.expose()).and_then(|()| session.insert(REMEMBER_KEY, remember));
    stored.map_err(|e| anyhow::anyhow!("writing the session: {e}"))?;
    csrf::rotate(&session)?;
    Ok(())
}

/// Forgets the login in the cookie (the server-side record is the caller's business).
pub fn end(identity: Option<Identity>, session: &Session) {
    if let Some(identity) = identity {
        identity.logout();
    }
    session.remove(TOKEN_KEY);
    session.remove(REMEMBER_KEY);
    // A fresh token for whoever uses this browser next; an error here only means the
    // next form gets a new one lazily.
    csrf::rotate(session).ok();
}

/// Set by [`mark_browser_sessions`] on responses whose session is not remembered.
#[derive(Clone, Copy)]
struct BrowserSession;

/// Inside the session middleware, where the session can still be read: marks responses
/// whose session was not started with "remember me".
pub async fn mark_browser_sessions(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let remembered = res.request().get_session().get::<bool>(REMEMBER_KEY).ok().flatten().unwrap_or(false);
    if !remembered {
        res.response_mut().extensions_mut().insert(BrowserSession);
    }
    Ok(res)
}

/// Outside the session middleware: strips Max-Age/Expires from a marked response's
/// session cookie, so it ends when the browser closes. Removal cookies are left alone.
pub async fn browser_session_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.response().extensions().get::<BrowserSession>().is_none() {
        return Ok(res);
    }
    let headers = res.headers_mut();
    let rewritten: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .filter_map(|value| {
            let text = value.to_str().ok()?;
            let mut cookie = Cookie::parse(text).ok()?;
            let live = cookie.max_age().is_some_and(|age| age.is_positive());
            if cookie.name() == COOKIE_NAME && live {
                cookie.set_max_age(None);
                cookie.unset_expires();
                return HeaderValue::from_str(&cookie.to_string()).ok();
            }
            Some(value.clone())
        })
        .collect();
    headers.remove(SET_COOKIE);
    for value in rewritten {
        headers.append(SET_COOKIE, value);
    }
    Ok(res)
}
