//! `AppError`: every failure at the HTTP edge, as a status and a plain error page.

use crate::db::DbError;
use crate::web::page::{Chrome, render_with_status};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    /// Anonymous request for a page that needs a login: 303 to the login form.
    #[error("login required")]
    LoginRequired { next: String },
    #[error("you do not have permission to see this page")]
    Forbidden,
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
            e.chain().any(|cause| matches!(cause.downcast_ref::<DbError>(), Some(DbError::Unavailable(_))));
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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    title: &'a str,
    message: String,
    /// Offers the reset form, for a visitor who was throttled.
    offer_reset: bool,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::CsrfRejected => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
        let status = self.status_code();
        let message = match self {
            Self::Unexpected(_) => {
                "Something went wrong on our side. Please try again in a moment.".to_owned()
            }
            Self::TooManyRequests { retry_after_secs } => {
                format!(
                    "Too many attempts. Please wait {} and try again. Forgotten your password? You can reset it.",
                    human_duration(*retry_after_secs)
                )
            }
            other => capitalised(&other.to_string()),
        };
        let page = ErrorPage {
            chrome: Chrome::bare(),
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message,
            offer_reset: matches!(self, Self::TooManyRequests { .. }),
        };
        let mut response = render_with_status(&page, status);
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after_secs));
        }
        response
    }
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
