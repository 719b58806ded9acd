//! The JSON API (`/api/v1`): tokens, refresh, revocation, personal tokens, the admin API,
//! bodies, CORS and the OpenAPI document.

mod admin;
mod bodies;
mod openapi;
pub mod personal_tokens;
mod refresh;
mod revocation;
mod tokens;

use crate::helpers::{PASSWORD, TestApp};
use gatehouse::accounts::access_tokens::Claims;
use gatehouse::crypto::{Purpose, Sealer};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// The `SECRET_KEY` of every `TestApp`.
pub const TEST_SECRET: &str =
    "test-secret-test-secret-test-secret-test-secret-test-secret-test-secret-test-secret-test-secret-";

/// A program calling the API: no cookie jar, redirects not followed.
pub struct Api {
    base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.base.clone(), client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str) -> Response {
        self.client.post(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json("/api/v1/auth/login", None, &json!({ "username": username, "password": password }))
            .await
    }

    /// Logs in and returns the token pair.
    pub async fn pair(&self, username: &str) -> Pair {
        let response = self.login(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "API login as {username}");
        Pair::from(response.json::<Value>().await.unwrap())
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json("/api/v1/auth/refresh", None, &json!({ "refresh_token": refresh_token })).await
    }

    /// `GET /api/v1/me` with `token`: its status.
    pub async fn me_status(&self, token: &str) -> StatusCode {
        self.get("/api/v1/me", token).await.status()
    }
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

impl From<Value> for Pair {
    fn from(body: Value) -> Self {
        Self {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// Checks a 401 for a bad access token: RFC 6750's challenge and the JSON error.
pub async fn assert_invalid_token(response: Response) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
}

/// The JSON error code of a response.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap_or_default().to_owned()
}

/// The claims of a token, read without checking it.
pub fn claims_of(token: &str) -> Claims {
    jsonwebtoken::dangerous::insecure_decode::<Claims>(token).unwrap().claims
}

/// A token signed with the app's real current key (its private half unsealed as only a
/// holder of SECRET_KEY could), with `edit` applied to a valid token's claims: proves that
/// it is the claim, not the signature, that gets a token refused.
pub fn forge(app: &TestApp, token: &str, edit: impl FnOnce(&mut Claims)) -> String {
    use diesel::prelude::*;
    use gatehouse::db::schema::signing_keys as k;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let kid = header.kid.clone().unwrap();
    let sealed: String =
        k::table.filter(k::kid.eq(&kid)).select(k::private_key_sealed).first(&mut app.db()).unwrap();
    let seed =
        Sealer::new(TEST_SECRET.as_bytes(), Purpose::SigningKey).open(&sealed, kid.as_bytes()).unwrap();
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed.try_into().unwrap());
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let der = signing.to_pkcs8_der().unwrap();
    let mut claims = claims_of(token);
    edit(&mut claims);
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes())).unwrap()
}
