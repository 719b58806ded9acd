//! A mock identity provider on loopback: OIDC (discovery, JWKS, authorize, token with
//! PKCE and single-use codes) and GitHub (authorize, token, /user, /user/emails), with
//! switches for every way a provider's answer can be wrong.

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "gatehouse-test";
pub const CLIENT_SECRET: &str = "mock-client-secret";
const SIGNING: &[u8] = include_bytes!("mock_idp_keys/signing.pem");
const OTHER: &[u8] = include_bytes!("mock_idp_keys/other.pem");
const SIGNING_N: &str = include_str!("mock_idp_keys/signing.n");
const OTHER_N: &str = include_str!("mock_idp_keys/other.n");

/// Who signs in at the mock, and what goes wrong.
#[derive(Clone, Debug)]
pub struct Behaviour {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub username: String,
    pub decline: bool,
    pub wrong_nonce: bool,
    pub wrong_iss: bool,
    pub wrong_aud: bool,
    pub bad_signature: bool,
    pub expired: bool,
    /// Sign with a new key (`kid` k2) that the JWKS only lists once rotated.
    pub new_key: bool,
    /// Answer the authorize request with a consent page whose link the person follows,
    /// as a real provider does: the redirect back then starts on the provider's site.
    pub consent_page: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            subject: "sub-1".into(),
            email: "ada@example.com".into(),
            email_verified: true,
            username: "ada".into(),
            decline: false,
            wrong_nonce: false,
            wrong_iss: false,
            wrong_aud: false,
            bad_signature: false,
            expired: false,
            new_key: false,
            consent_page: false,
        }
    }
}

struct Grant {
    challenge: String,
    nonce: String,
}

#[derive(Default)]
struct Inner {
    behaviour: Behaviour,
    codes: HashMap<String, Grant>,
    jwks_fetches: usize,
    /// Every authorize request's query, for tests that check what was sent.
    authorize_queries: Vec<HashMap<String, String>>,
    token_refusals: usize,
}

#[derive(Clone)]
pub struct MockIdp {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl MockIdp {
    pub async fn start() -> Self {
        Self::start_at("127.0.0.1").await
    }

    /// On another loopback address (`127.0.0.2`): another site than the app's, for a
    /// browser, so its cookies' SameSite rules apply to the redirect back.
    pub async fn start_at(ip: &str) -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
        let base = format!("http://{ip}:{}", listener.local_addr().unwrap().port());
        let state = web::Data::new((inner.clone(), base.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/login/oauth/authorize", web::get().to(authorize))
                .route("/login/oauth/access_token", web::post().to(token))
                .route("/user", web::get().to(github_user))
                .route("/user/emails", web::get().to(github_emails))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { base, inner }
    }

    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.inner.lock().unwrap().behaviour);
    }

    pub fn jwks_fetches(&self) -> usize {
        self.inner.lock().unwrap().jwks_fetches
    }

    pub fn token_refusals(&self) -> usize {
        self.inner.lock().unwrap().token_refusals
    }

    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.inner.lock().unwrap().authorize_queries.last().cloned().unwrap()
    }
}

type State = web::Data<(Arc<Mutex<Inner>>, String)>;

async fn discovery(state: State) -> HttpResponse {
    let base = &state.1;
    HttpResponse::Ok().json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

fn jwk(kid: &str, n: &str) -> serde_json::Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n.trim(), "e": "AQAB"})
}

async fn jwks(state: State) -> HttpResponse {
    let mut inner = state.0.lock().unwrap();
    inner.jwks_fetches += 1;
    let mut keys = vec![jwk("k1", SIGNING_N)];
    if inner.behaviour.new_key {
        keys.push(jwk("k2", OTHER_N));
    }
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

async fn authorize(state: State, query: web::Query<HashMap<String, String>>) -> HttpResponse {
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

async fn token(state: State, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let mut inner = state.0.lock().unwrap();
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
    let (kid, pem) = match (b.new_key, b.bad_signature) {
        (true, _) => ("k2", OTHER),
        (false, true) => ("k1", OTHER),
        (false, false) => ("k1", SIGNING),
    };
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem).unwrap()).unwrap()
}

async fn github_user(state: State) -> HttpResponse {
    let b = state.0.lock().unwrap().behaviour.clone();
    HttpResponse::Ok().json(json!({"id": b.subject.parse::<u64>().unwrap_or(4242), "login": b.username}))
}

async fn github_emails(state: State) -> HttpResponse {
    let b = state.0.lock().unwrap().behaviour.clone();
    HttpResponse::Ok().json(json!([
        {"email": "old@example.com", "primary": false, "verified": true},
        {"email": b.email, "primary": true, "verified": b.email_verified},
    ]))
}
