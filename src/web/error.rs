//! `AppError`: every failure at the HTTP edge, as a status and a plain message, and the
//! one place that decides how it reads: an HTML page, or JSON under `/api/`.

use super::page::{Chrome, chrome_for, render_with_status};
use crate::db::DbError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Anonymous request for a page that needs a login: 303 to the login form.
    #[error("login required")]
    LoginRequired { next: String },
    /// A missing or unusable bearer token on the API (RFC 6750's `invalid_token`).
    #[error("the access token is missing, invalid, expired or revoked")]
    InvalidToken,
    #[error("you do not have permission to see this page")]
    Forbidden,
    /// API login: unknown user or wrong password, alike.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// API login: the right password of a deactivated account.
    #[error("this account has been deactivated")]
    AccountDeactivated,
    /// API login: the right password, but the address must be confirmed first.
    #[error("confirm your email address before logging in")]
    EmailUnverified,
    /// A refresh token that is unknown, spent, or of a login that has ended.
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidGrant,
    /// A safety rule refused the change; the message (a sentence) says which.
    #[error("{0}")]
    Conflict(String),
    /// An API body that parsed but does not hold what the route needs, field by field.
    #[error("{message}")]
    Unprocessable { message: String, fields: Vec<(String, String)> },
    #[error("request bodies must be JSON (Content-Type: application/json)")]
    NotJson,
    /// A known API path asked with a method it does not answer; `allow` lists those it does.
    #[error("this method is not allowed here")]
    MethodNotAllowed { allow: String },
    #[error("the form has expired or did not come from this site")]
    CsrfRejected,
    #[error("page not found")]
    NotFound,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("forms must be sent as application/x-www-form-urlencoded")]
    UnsupportedMediaType,
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(anyhow::Error),
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        let unavailable =
            e.chain().any(|cause| cause.downcast_ref::<DbError>().is_some_and(DbError::is_unavailable));
        if unavailable {
            tracing::warn!(error = %format!("{e:#}"), "database unavailable");
            Self::Unavailable
        } else {
            Self::Unexpected(e)
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Unexpected(anyhow::Error::from(e).context("rendering a template"))
    }
}

impl AppError {
    /// The machine-readable code of the API's `{"error": CODE}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::LoginRequired { .. } | Self::InvalidToken => "invalid_token",
            Self::Forbidden => "forbidden",
            Self::InvalidCredentials => "invalid_credentials",
            Self::AccountDeactivated => "account_deactivated",
            Self::EmailUnverified => "email_unverified",
            Self::InvalidGrant => "invalid_grant",
            Self::Conflict(_) => "conflict",
            Self::Unprocessable { .. } => "unprocessable_entity",
            Self::NotJson => "unsupported_media_type",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::CsrfRejected => "csrf_rejected",
            Self::NotFound => "not_found",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Unavailable => "unavailable",
            Self::Unexpected(_) => "internal_error",
        }
    }

    /// What the visitor reads; never the cause of an unexpected failure.
    fn message(&self) -> String {
        match self {
            Self::Unexpected(_) => {
                "Something went wrong on our side. Please try again in a moment.".to_owned()
            }
            Self::TooManyRequests { retry_after_secs } => format!(
                "Too many attempts. Please wait {} and try again. Forgotten your password? You can reset it.",
                human_duration(*retry_after_secs)
            ),
            Self::Conflict(sentence) => sentence.clone(),
            Self::Unprocessable { message, .. } => message.clone(),
            other => capitalised(&other.to_string()),
        }
    }
}

/// What an error response carries until [`render_errors`] gives it a body for its audience.
#[derive(Clone)]
struct Unrendered {
    code: &'static str,
    message: String,
    /// Offers the reset form, for a visitor who was throttled.
    offer_reset: bool,
    /// Unavailable or unexpected: the page must not depend on the database.
    bare: bool,
    /// What was wrong with each field of an API body (422).
    fields: Option<Vec<(String, String)>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::InvalidToken | Self::InvalidCredentials | Self::InvalidGrant => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CsrfRejected | Self::AccountDeactivated | Self::EmailUnverified => {
                StatusCode::FORBIDDEN
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::LoginRequired { next } = self {
            let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/login?{query}")))
                .finish();
        }
        if let Self::Unexpected(e) = self {
            // The one place the cause chain is logged; the user sees a plain message.
            tracing::error!(error = ?e, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, *retry_after_secs));
        }
        if let Self::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if let Self::InvalidToken = self {
            response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
        }
        let mut response = response.finish();
        response.extensions_mut().insert(Unrendered {
            code: self.code(),
            message: self.message(),
            offer_reset: matches!(self, Self::TooManyRequests { .. }),
            bare: matches!(self, Self::Unavailable | Self::Unexpected(_)),
            fields: match self {
                Self::Unprocessable { fields, .. } => Some(fields.clone()),
                _ => None,
            },
        });
        response
    }
}

/// Whether a request went to the JSON API, whose errors are JSON.
pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: &'a str,
    offer_reset: bool,
}

/// Innermost middleware: gives every [`AppError`] response its body, JSON under `/api/`
/// and otherwise an HTML page with the visitor's own navigation (read from the session,
/// which is why this cannot happen in `error_response`).
pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(error) = res.response().extensions().get::<Unrendered>().cloned() else {
        return Ok(res);
    };
    let (request, response) = res.into_parts();
    let status = response.status();
    let mut rendered = if is_api(request.path()) || request.path().starts_with("/webauthn/") {
        let mut body = serde_json::json!({ "error": error.code, "message": error.message });
        if let Some(fields) = error.fields {
            body["fields"] = fields.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        }
        HttpResponse::build(status).json(body)
    } else {
        let chrome = match error.bare {
            true => Chrome::bare(),
            false => chrome_for(&request).await.unwrap_or_else(|_| Chrome::bare()),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        let page = ErrorPage {
            chrome,
            status: status.as_u16(),
            title,
            message: &error.message,
            offer_reset: error.offer_reset,
        };
        render_with_status(&page, status)
    };
    for (name, value) in response.headers() {
        if !rendered.headers().contains_key(name) {
            rendered.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, rendered))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>() + ".").unwrap_or_default()
}

fn human_duration(secs: u64) -> String {
    match secs {
        0..=1 => "a second".into(),
        2..=59 => format!("{secs} seconds"),
        60..=119 => "a minute".into(),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}
