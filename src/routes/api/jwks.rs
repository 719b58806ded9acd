//! `GET /.well-known/jwks.json`: the public keys that verify access tokens (RFC 7517),
//! so other services can check a token without asking gatehouse.

use crate::web::{AppError, AppState};
use actix_web::{HttpResponse, get, web};
use serde::Serialize;

#[derive(Serialize)]
struct Jwk {
    kty: &'static str,
    crv: &'static str,
    x: String,
    kid: String,
    alg: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
}

#[derive(Serialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let keys = state.keyring.published(&state.db).await?;
    let keys = keys
        .into_iter()
        .map(|key| Jwk { kty: "OKP", crv: "Ed25519", x: key.x, kid: key.kid, alg: "EdDSA", usage: "sig" })
        .collect();
    // Short caching: a rotation reaches verifiers within minutes.
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(JwkSet { keys }))
}
