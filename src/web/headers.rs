//! Security headers on every response.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// No inline script or style anywhere, so the policy can forbid both. `connect-src 'self'`
/// lets the passkeys script (a file under /static) talk to `/webauthn/…`.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req.app_data::<actix_web::web::Data<super::state::AppState>>();
    let https = state.is_some_and(|state| state.settings.public_url.is_https());
    let providers = state.map(|state| state.providers.form_action_sources()).unwrap_or_default();
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    // Reset links carry their token in the path: never send it to another origin.
    set(header::REFERRER_POLICY, "same-origin");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    );
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    if !providers.is_empty() {
        // A provider's button posts here and is redirected on to the provider.
        let csp = CSP.replace("form-action 'self'", &format!("form-action 'self' {providers}"));
        if let Ok(value) = HeaderValue::from_str(&csp) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(res)
}
