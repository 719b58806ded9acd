//! `ApiJson<T>`: an API request body, JSON only (415), at most 64 KiB (413), parsed
//! strictly (an unknown field or a wrong type is 422 naming the field, never a 500).

use crate::web::AppError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::NotJson);
            }
            let body = body.await.map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => AppError::PayloadTooLarge,
                _ => AppError::BadRequest("The request body could not be read".into()),
            })?;
            parse(&body).map(Self)
        })
    }
}

/// `application/json`, or any `application/…+json`.
fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Every API body is a JSON object: serde would also take a struct from an array of its
/// fields in order, which strict parsing refuses.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid("body", "expected a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // A missing field is reported by the struct that lacks it: name the field.
        let named =
            message.split('`').nth(1).filter(|_| message.starts_with("missing field")).map(str::to_owned);
        let field = match (path.as_str(), named) {
            (".", Some(name)) => name,
            (".", None) => "body".to_owned(),
            (path, _) => path.to_owned(),
        };
        let reason = message.split(" at line ").next().unwrap_or(&message).to_owned();
        invalid(&field, &reason)
    })?;
    deserializer.end().map_err(|_| invalid("body", "trailing characters after the JSON object"))?;
    Ok(value)
}

fn invalid(field: &str, reason: &str) -> AppError {
    AppError::Unprocessable {
        message: "The request body is not valid.".into(),
        fields: vec![(field.to_owned(), reason.to_owned())],
    }
}
