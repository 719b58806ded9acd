//! CSRF protection: a per-session token in every form, checked by `CsrfForm` on every POST,
//! and the form parsing that goes with it (size, encoding and content checks).

use crate::web::AppError;
use actix_session::{Session, SessionExt};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web::Bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

const SESSION_KEY: &str = "csrf";
pub const FIELD: &str = "csrf_token";
/// Request bodies above this get 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// No field of any form needs more; longer values are refused before any validation.
pub const MAX_FIELD_BYTES: usize = 1024;

/// The session's token, created on first use.
pub fn token(session: &Session) -> Result<String, AppError> {
    match session.get::<String>(SESSION_KEY) {
        Ok(Some(existing)) => Ok(existing),
        _ => rotate(session),
    }
}

/// A new token, replacing the old one (at login and logout).
pub fn rotate(session: &Session) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let fresh = URL_SAFE_NO_PAD.encode(bytes);
    session.insert(SESSION_KEY, &fresh).map_err(|e| anyhow::anyhow!("storing the CSRF token: {e}"))?;
    Ok(fresh)
}

/// The form of a POST that carries nothing but its CSRF token (logout, revocations...).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A url-encoded form whose `csrf_token` matches the session's. Anything else is refused
/// before the handler runs: 413 too large, 415 not a form, 403 no valid token,
/// 400 malformed (bad encoding, NUL bytes, overlong or repeated fields).
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, &mut payload).await?;
            let content_type = req.headers().get(CONTENT_TYPE);
            let is_form = content_type
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
            // An empty body without a type is an empty form (CONTRACT): it then lacks a token.
            let empty_form = content_type.is_none() && body.is_empty();
            if !(is_form || empty_form) {
                return Err(AppError::UnsupportedMediaType);
            }
            let fields = decode_pairs(&body)?;
            check_token(&req.get_session(), &fields)?;
            if fields.iter().any(|(_, value)| value.len() > MAX_FIELD_BYTES) {
                return Err(AppError::BadRequest("A form field is too long".into()));
            }
            if fields.iter().any(|(key, value)| key.contains('\0') || value.contains('\0')) {
                return Err(AppError::BadRequest("Form fields may not contain NUL characters".into()));
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read ({e})")))
        })
    }
}

async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<Bytes, AppError> {
    let declared =
        req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::BadRequest(format!("The request body could not be read ({e})")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

/// Strict url-decoding: unlike the lenient decoders, invalid UTF-8 is an error, not U+FFFD.
pub fn decode_pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let malformed = || AppError::BadRequest("The form is not valid UTF-8 url-encoded data".into());
    let decode = |part: &[u8]| -> Result<String, AppError> {
        let spaced: Vec<u8> = part.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(bytes).map_err(|_| malformed())
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |&b| b == b'=');
            let key = decode(parts.next().unwrap_or_default())?;
            let value = decode(parts.next().unwrap_or_default())?;
            Ok((key, value))
        })
        .collect()
}

/// Whether `sent` (a script's `X-CSRF-Token` header) is the session's token.
pub fn matches(session: &Session, sent: &str) -> bool {
    session
        .get::<String>(SESSION_KEY)
        .ok()
        .flatten()
        .is_some_and(|expected| bool::from(sent.as_bytes().ct_eq(expected.as_bytes())))
}

fn check_token(session: &Session, fields: &[(String, String)]) -> Result<(), AppError> {
    let mut sent = fields.iter().filter(|(key, _)| key == FIELD).map(|(_, value)| value);
    let (Some(sent), None) = (sent.next(), sent.next()) else {
        return Err(AppError::CsrfRejected);
    };
    let expected = session.get::<String>(SESSION_KEY).ok().flatten().ok_or(AppError::CsrfRejected)?;
    if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) { Ok(()) } else { Err(AppError::CsrfRejected) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        let pairs = decode_pairs(b"a=b+c&d=%C3%A9%26&empty=&flag").ok();
        let expected = [("a", "b c"), ("d", "é&"), ("empty", ""), ("flag", "")];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(pairs, Some(expected));
    }

    #[test]
    fn refuses_invalid_utf8() {
        assert!(decode_pairs(b"name=%FF%FE").is_err());
        assert!(decode_pairs(b"name=\xff").is_err());
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = decode_pairs(&body);
        }

        #[test]
        fn what_a_browser_encodes_decodes_to_the_same_fields(
            fields in proptest::collection::vec(("\\PC{1,12}", "\\PC{0,40}"), 0..6)
        ) {
            let encoded = serde_urlencoded::to_string(&fields).unwrap_or_default();
            let decoded = decode_pairs(encoded.as_bytes()).ok();
            proptest::prop_assert_eq!(decoded, Some(fields));
        }
    }
}
