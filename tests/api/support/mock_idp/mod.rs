//! A mock identity provider on loopback: OIDC (discovery, JWKS, authorize, token with
//! PKCE and single-use codes) and GitHub (authorize, token, /user, /user/emails), with
//! switches for every way a provider's answer can be wrong.

mod endpoints;

use actix_web::{App, HttpServer, web};
use endpoints::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const CLIENT_ID: &str = "gatehouse-test";
pub const CLIENT_SECRET: &str = "mock-client-secret";

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
    /// Sign the ID token with HS256 and the client secret (which the discovery document
    /// lists as allowed, as some providers do), or with no signature at all.
    pub hs256: bool,
    pub alg_none: bool,
    /// The token endpoint answers 307 to itself: a client that follows redirects would
    /// post the code there again and get its tokens.
    pub token_redirect: bool,
    /// The token endpoint takes this long to answer.
    pub token_delay: Option<std::time::Duration>,
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
            hs256: false,
            alg_none: false,
            token_redirect: false,
            token_delay: None,
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
    discovery_fetches: usize,
    /// Every authorize request's query, for tests that check what was sent.
    authorize_queries: Vec<HashMap<String, String>>,
    token_refusals: usize,
    /// Token requests that got past a redirect or delay switch.
    token_calls: usize,
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
        Self::start_on(ip, 0).await
    }

    /// On a given port: a provider that comes up after the app did.
    pub async fn start_on(ip: &str, port: u16) -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = std::net::TcpListener::bind((ip, port)).unwrap();
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

    pub fn discovery_fetches(&self) -> usize {
        self.inner.lock().unwrap().discovery_fetches
    }

    pub fn token_calls(&self) -> usize {
        self.inner.lock().unwrap().token_calls
    }

    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.inner.lock().unwrap().authorize_queries.last().cloned().unwrap()
    }
}
