//! One structured log line per request, with a request id echoed in `X-Request-Id`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use rand::RngCore;
use std::time::Instant;
use tracing::Instrument;

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = format!("{:016x}", rand::rng().next_u64());
    let method = req.method().clone();
    // The route pattern, not the path: `/password-reset/{token}` must not log the token.
    // Never the query string either.
    let route = req.match_pattern();
    let path = route.clone().unwrap_or_else(|| req.path().to_owned());
    let span = tracing::info_span!("request", id = %request_id);
    let result = next.call(req).instrument(span).await;
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    crate::telemetry::request(&method, route.as_deref(), status, elapsed);
    match result {
        Ok(mut res) => {
            tracing::info!(request_id = %request_id, %method, %path, status, elapsed_ms, "request");
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
            }
            Ok(res)
        }
        Err(e) => {
            tracing::info!(request_id = %request_id, %method, %path, status, elapsed_ms, "request");
            Err(e)
        }
    }
}
