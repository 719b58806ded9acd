//! The mock provider's endpoints: discovery, JWKS, authorize, token (PKCE, single-use
//! codes, ID tokens signed rightly or wrongly) and GitHub's user and emails.

use super::{Behaviour, CLIENT_ID, CLIENT_SECRET, Grant, Inner};
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SIGNING: &[u8] = include_bytes!("../mock_idp_keys/signing.pem");
const OTHER: &[u8] = include_bytes!("../mock_idp_keys/other.pem");
const SIGNING_N: &str = include_str!("../mock_idp_keys/signing.n");
const OTHER_N: &str = include_str!("../mock_idp_keys/other.n");

pub(super) type State = web::Data<(Arc<Mutex<Inner>>, String)>;

pub(super) async fn discovery(state: State) -> HttpResponse {
    state.0.lock().unwrap().discovery_fetches += 1;
    let base = &state.1;
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "HS256"],
    }))
}

fn jwk(kid: &str, n: &str) -> serde_json::Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n.trim(), "e": "AQAB"})
}

pub(super) async fn jwks(state: State) -> HttpResponse {
    let mut inner = state.0.lock().unwrap();
    inner.jwks_fetches += 1;
    let mut keys = vec![jwk("k1", SIGNING_N)];
    if inner.behaviour.new_key {
        keys.push(jwk("k2", OTHER_N));
    }
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

pub(super) async fn authorize(state: State, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let query = query.into_inner();
    let mut inner = state.0.lock().unwrap();
    if inner.behaviour.consent_page && !query.contains_key("approved") {
        let mut approve = query.clone();
        approve.insert("approved".into(), "1".into());
        let href = format!("?{}", serde_urlencoded::to_string(&approve).unwrap()).replace('&', "&amp;");
        let page =
            format!("<!doctype html><title>Consent</title><a id=\"approve\" href=\"{href}\">Authorize</a>");
        return HttpResponse::Ok().content_type("text/html").body(page);
    }
    inner.authorize_queries.push(query.clone());
    let redirect = query.get("redirect_uri").cloned().unwrap_or_default();
    let st = query.get("state").cloned().unwrap_or_default();
    let location = if inner.behaviour.decline {
        format!("{redirect}?error=access_denied&state={st}")
    } else {
        let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let grant = Grant {
            challenge: query.get("code_challenge").cloned().unwrap_or_default(),
            nonce: query.get("nonce").cloned().unwrap_or_default(),
        };
        inner.codes.insert(code.clone(), grant);
        format!("{redirect}?code={code}&state={st}")
    };
    HttpResponse::SeeOther().insert_header(("Location", location)).finish()
}

pub(super) async fn token(
    state: State,
    req: actix_web::HttpRequest,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (redirect, delay) = {
        let b = &state.0.lock().unwrap().behaviour;
        (b.token_redirect, b.token_delay)
    };
    if redirect && req.query_string().is_empty() {
        let again = format!("{}?again=1", req.path());
        return HttpResponse::TemporaryRedirect().insert_header(("Location", again)).finish();
    }
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut inner = state.0.lock().unwrap();
    inner.token_calls += 1;
    let code = form.get("code").cloned().unwrap_or_default();
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    // Single use: the code is gone whatever happens next.
    let grant = inner.codes.remove(&code);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let Some(grant) = grant.filter(|g| g.challenge == challenge) else {
        inner.token_refusals += 1;
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let mut body = json!({"access_token": "mock-access-token", "token_type": "bearer", "expires_in": 3600});
    if !grant.nonce.is_empty() {
        body["id_token"] = json!(id_token(&inner.behaviour, &state.1, &grant.nonce));
    }
    HttpResponse::Ok().json(body)
}

fn id_token(b: &Behaviour, issuer: &str, nonce: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "iss": if b.wrong_iss { format!("{issuer}/other") } else { issuer.to_owned() },
        "sub": b.subject,
        "aud": if b.wrong_aud { "someone-else" } else { CLIENT_ID },
        "iat": now - 10,
        "exp": if b.expired { now - 600 } else { now + 600 },
        "nonce": if b.wrong_nonce { "not-the-nonce" } else { nonce },
        "email": b.email,
        "email_verified": b.email_verified,
        "preferred_username": b.username,
    });
    if b.alg_none {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        return format!("{}.{}.", part(json!({"alg": "none", "typ": "JWT"})), part(claims));
    }
    if b.hs256 {
        let header = Header::new(Algorithm::HS256);
        return jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()).unwrap(),
        )
        .unwrap();
    }
    let (kid, pem) = match (b.new_key, b.bad_signature) {
        (true, _) => ("k2", OTHER),
        (false, true) => ("k1", OTHER),
        (false, false) => ("k1", SIGNING),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem).unwrap()).unwrap()
}

pub(super) async fn github_user(state: State) -> HttpResponse {
    let b = state.0.lock().unwrap().behaviour.clone();
    HttpResponse::Ok().json(json!({"id": b.subject.parse::<u64>().unwrap_or(4242), "login": b.username}))
}

pub(super) async fn github_emails(state: State) -> HttpResponse {
    let b = state.0.lock().unwrap().behaviour.clone();
    HttpResponse::Ok().json(json!([
        {"email": "old@example.com", "primary": false, "verified": true},
        {"email": b.email, "primary": true, "verified": b.email_verified},
    ]))
}
