//! `CsrfJson<T>`: a page script's JSON body, accepted only with the session's CSRF token
//! in `X-CSRF-Token` (403 otherwise, before the body is read), then parsed as strictly as
//! the API's (415 not JSON, 413 too large, 422 naming the field).

use super::api_json::ApiJson;
use super::csrf;
use crate::web::AppError;
use actix_session::SessionExt;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

pub const HEADER: &str = "x-csrf-token";

pub struct CsrfJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let sent = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
        let allowed = sent.is_some_and(|token| csrf::matches(&req.get_session(), token));
        let body = ApiJson::<T>::from_request(req, payload);
        Box::pin(async move {
            if !allowed {
                return Err(AppError::CsrfRejected);
            }
            body.await.map(|ApiJson(value)| Self(value))
        })
    }
}
