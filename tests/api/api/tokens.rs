//! Access tokens: refused in every malformed, forged or expired form; accepted, and
//! verifiable by another service with nothing but the JWKS.

use super::{Api, assert_invalid_token, claims_of, error_code, forge};
use crate::helpers::{PASSWORD, TestApp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

async fn logged_in(app: &TestApp, name: &str) -> (Api, super::Pair) {
    app.register(name).await;
    let api = Api::new(app);
    let pair = api.pair(name).await;
    (api, pair)
}

#[tokio::test]
async fn a_missing_or_malformed_bearer_token_is_401_with_the_challenge() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    assert_invalid_token(api.client.get(api.url("/api/v1/me")).send().await.unwrap()).await;
    for bad in ["", "not-a-jwt", "a.b.c", "Zm9v.YmFy.YmF6"] {
        assert_invalid_token(api.get("/api/v1/me", bad).await).await;
    }
    let basic = api.client.get(api.url("/api/v1/me")).basic_auth("u", Some("p")).send().await.unwrap();
    assert_invalid_token(basic).await;
}

#[tokio::test]
async fn a_tampered_signature_or_payload_is_refused() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    assert_eq!(api.me_status(&pair.access).await, StatusCode::OK);
    let parts: Vec<&str> = pair.access.split('.').collect();
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[0] ^= 1;
    let bad_signature = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(signature));
    assert_invalid_token(api.get("/api/v1/me", &bad_signature).await).await;
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["roles"] = json!(["admin"]);
    let promoted = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    assert_invalid_token(api.get("/api/v1/admin/users", &promoted).await).await;
}

#[tokio::test]
async fn alg_none_and_hs256_keyed_with_the_public_key_are_refused() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    let header = jsonwebtoken::decode_header(&pair.access).unwrap();
    let payload = pair.access.split('.').nth(1).unwrap().to_owned();
    let kid = header.kid.clone().unwrap();
    for alg in ["none", "None", "NONE"] {
        let unsigned = format!("{}.{payload}.", b64(&json!({ "alg": alg, "typ": "at+jwt", "kid": kid })));
        assert_invalid_token(api.get("/api/v1/me", &unsigned).await).await;
    }
    // Key confusion: HMAC with the published public key as the shared secret.
    let jwks: Value =
        api.client.get(api.url("/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.typ = Some("at+jwt".into());
    hs.kid = Some(kid);
    let claims = claims_of(&pair.access);
    for secret in [x.as_bytes().to_vec(), URL_SAFE_NO_PAD.decode(&x).unwrap()] {
        let confused =
            jsonwebtoken::encode(&hs, &claims, &jsonwebtoken::EncodingKey::from_secret(&secret).unwrap())
                .unwrap();
        assert_invalid_token(api.get("/api/v1/me", &confused).await).await;
    }
}

#[tokio::test]
async fn a_validly_signed_token_with_the_wrong_audience_issuer_type_or_kid_is_refused() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    // The control: re-signed unchanged, the token works, so each refusal below is its claim's.
    assert_eq!(api.me_status(&forge(&app, &pair.access, |_| {})).await, StatusCode::OK);
    assert_invalid_token(api.get("/api/v1/me", &forge(&app, &pair.access, |c| c.aud = "other".into())).await)
        .await;
    let wrong_iss = forge(&app, &pair.access, |c| c.iss = "https://evil.example".into());
    assert_invalid_token(api.get("/api/v1/me", &wrong_iss).await).await;
    let other_user = forge(&app, &pair.access, |c| c.sub = "999999".into());
    assert_invalid_token(api.get("/api/v1/me", &other_user).await).await;
    let parts: Vec<&str> = pair.access.split('.').collect();
    let mut header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    header["kid"] = json!("unknown-kid");
    let unknown_kid = format!("{}.{}.{}", b64(&header), parts[1], parts[2]);
    assert_invalid_token(api.get("/api/v1/me", &unknown_kid).await).await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    let expired = forge(&app, &pair.access, |c| {
        c.iat -= 3600;
        c.exp = c.iat + 60;
    });
    assert_invalid_token(api.get("/api/v1/me", &expired).await).await;
}

#[tokio::test]
async fn a_token_already_verified_is_refused_once_it_expires() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    let now = chrono::Utc::now().timestamp();
    let short = forge(&app, &pair.access, |c| c.exp = now + 1);
    // Verified and remembered while it lives...
    assert_eq!(api.me_status(&short).await, StatusCode::OK);
    // ...and refused once it is past its expiry and the 5 s leeway, though remembered.
    let past = std::time::Duration::from_secs(
        u64::try_from(now + 1 + 5 + 1 - chrono::Utc::now().timestamp()).unwrap_or(0),
    );
    tokio::time::sleep(past).await;
    assert_invalid_token(api.get("/api/v1/me", &short).await).await;
    assert_eq!(api.me_status(&pair.access).await, StatusCode::OK, "the login itself lives on");
}

#[tokio::test]
async fn the_configured_lifetime_is_the_tokens() {
    let app = TestApp::spawn_with(|s| s.api.access_token_ttl = chrono::TimeDelta::seconds(42)).await;
    app.register("alice").await;
    let api = Api::new(&app);
    let body: Value = api.login("alice", PASSWORD).await.json().await.unwrap();
    assert_eq!(body["expires_in"], 42);
    assert_eq!(body["token_type"], "Bearer");
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims.exp - claims.iat, 42);
}

#[tokio::test]
async fn a_refresh_token_is_no_access_token_and_an_access_token_no_refresh_token() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    assert_invalid_token(api.get("/api/v1/me", &pair.refresh).await).await;
    let response = api.refresh(&pair.access).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "invalid_grant");
    // Neither mistake cost the login anything.
    assert_eq!(api.refresh(&pair.refresh).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_browser_cookie_opens_nothing_on_the_api() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("alice").await;
    let response = browser.get("/api/v1/me").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
}

#[tokio::test]
async fn another_service_verifies_a_token_with_only_the_jwks() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        reqwest::get(api.url("/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(&pair.access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the token's kid is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["gatehouse"]);
    validation.set_issuer(&["http://127.0.0.1"]);
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Value>(&pair.access, &key, &validation).unwrap().claims;
    let me: Value = api.get("/api/v1/me", &pair.access).await.json().await.unwrap();
    assert_eq!(claims["sub"], me["id"].to_string());
    assert_eq!(claims["roles"], json!(["user"]));
    for claim in ["sid", "iat", "exp", "jti"] {
        assert!(!claims[claim].is_null(), "{claim}");
    }
    assert!(jwks.keys.iter().all(|k| format!("{:?}", k.algorithm).contains("Ed")));
}

#[tokio::test]
async fn me_describes_the_account() {
    let app = TestApp::spawn().await;
    let (api, pair) = logged_in(&app, "alice").await;
    let me: Value = api.get("/api/v1/me", &pair.access).await.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["roles"], json!(["user"]));
    assert!(me["email_verified"].is_boolean());
    let created = me["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created).is_ok(), "{created}");
    assert!(chrono::DateTime::parse_from_rfc3339(me["last_login_at"].as_str().unwrap()).is_ok());
}
