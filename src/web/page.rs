//! What every page shows around its content (nav, flashes, the CSRF token), and rendering.

use super::auth::MaybeUser;
use super::csrf;
use crate::domain::Role;
use crate::web::AppError;
use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use actix_web_flash_messages::{IncomingFlashMessages, Level};
use askama::Template;
use futures_util::TryFutureExt;
use futures_util::future::LocalBoxFuture;

/// The layout's data: `base.html` reads it from every page's `chrome` field.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user: Option<NavUser>,
    pub flashes: Vec<Flash>,
    pub csrf_token: String,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub username: String,
    pub is_editor: bool,
    pub is_admin: bool,
}

#[derive(Debug, Clone)]
pub struct Flash {
    /// One of success, info, warning, error: the element's second class.
    pub level: &'static str,
    pub text: String,
}

impl Chrome {
    /// For error pages, which are rendered without the request at hand.
    pub fn bare() -> Self {
        Self::default()
    }
}

fn level_class(level: Level) -> &'static str {
    match level {
        Level::Success => "success",
        Level::Warning => "warning",
        Level::Error => "error",
        Level::Debug | Level::Info => "info",
    }
}

/// Extracts a page's [`Chrome`]: the visitor (if logged in), pending flashes, and the
/// CSRF token for the nav's logout form. Anonymous visitors get no token (and so no
/// cookie) unless the page has a form: see [`FormPage`].
pub struct Page(pub Chrome);

/// Like [`Page`], for pages with a form: the CSRF token is always there.
pub struct FormPage(pub Chrome);

async fn chrome(req: HttpRequest, always_token: bool) -> Result<Chrome, AppError> {
    let MaybeUser(user) = MaybeUser::extract(&req).await?;
    let flashes = IncomingFlashMessages::extract(&req)
        .await
        .map(|incoming| {
            incoming
                .iter()
                .map(|m| Flash { level: level_class(m.level()), text: m.content().to_owned() })
                .collect()
        })
        .unwrap_or_default();
    let csrf_token =
        if always_token || user.is_some() { csrf::token(&req.get_session())? } else { String::new() };
    let user = user.map(|u| NavUser {
        is_admin: u.has(Role::Admin),
        is_editor: u.has(Role::Editor),
        username: u.username,
    });
    Ok(Chrome { user, flashes, csrf_token })
}

/// The layout's data for an error page: the visitor's own navigation, no forced token.
pub async fn chrome_for(req: &HttpRequest) -> Result<Chrome, AppError> {
    chrome(req.clone(), false).await
}

impl FromRequest for Page {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(chrome(req.clone(), false).map_ok(Page))
    }
}

impl FromRequest for FormPage {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(chrome(req.clone(), true).map_ok(FormPage))
    }
}

pub fn render(template: &impl Template) -> Result<HttpResponse, AppError> {
    render_status(template, StatusCode::OK)
}

pub fn render_status(template: &impl Template, status: StatusCode) -> Result<HttpResponse, AppError> {
    let body = template.render()?;
    Ok(html_response(status, body))
}

/// For error pages: if even the template fails, a plain-text page is still an answer.
pub fn render_with_status(template: &impl Template, status: StatusCode) -> HttpResponse {
    match template.render() {
        Ok(body) => html_response(status, body),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(status.to_string())
        }
    }
}

fn html_response(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        // Pages carry personal data and CSRF tokens: never from a shared or back-button cache.
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(body)
}
