//! Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`, `kid`), signed with the
//! current signing key and verified only with a known kid's pinned algorithm.

use super::signing_keys::{Keyring, SigningKey};
use crate::db::{Db, DbError};
use crate::domain::{Role, SessionRecordId, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};
use jsonwebtoken::{Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The `aud` of every access token: gatehouse's own API.
pub const AUDIENCE: &str = "gatehouse";
/// The media type RFC 9068 names, short form.
pub const TOKEN_TYPE: &str = "at+jwt";
/// Clock skew tolerated between gatehouse instances.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Whom a token is issued to and by.
pub struct Grant<'a> {
    pub issuer: &'a str,
    pub user: UserId,
    pub session: SessionRecordId,
    pub roles: &'a [Role],
    pub now: NaiveDateTime,
    pub ttl: TimeDelta,
}

pub fn issue(key: &SigningKey, grant: &Grant<'_>) -> anyhow::Result<String> {
    let mut jti = [0u8; 16];
    rand::rng().fill_bytes(&mut jti);
    let iat = grant.now.and_utc().timestamp();
    let claims = Claims {
        iss: grant.issuer.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: grant.user.to_string(),
        sid: grant.session.to_string(),
        roles: grant.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        iat,
        exp: iat + grant.ttl.num_seconds(),
        jti: URL_SAFE_NO_PAD.encode(jti),
    };
    let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.typ = Some(TOKEN_TYPE.to_owned());
    header.kid = Some(key.kid.clone());
    Ok(jsonwebtoken::encode(&header, &claims, &key.encoding)?)
}

/// What a valid token says: its account and its login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub user: UserId,
    pub session: SessionRecordId,
}

/// The account and login a token names, or `None` for anything not a valid token of
/// ours: malformed, another `typ`, an unknown or retired kid, an algorithm other than the
/// key's (`none`, HS256 with the public key as the secret), a bad signature, another
/// issuer or audience, or expired.
pub async fn verify(
    db: &Db,
    keyring: &Keyring,
    issuer: &str,
    token: &str,
) -> Result<Option<Verified>, DbError> {
    let Ok(header) = jsonwebtoken::decode_header(token) else { return Ok(None) };
    let typ_ok = header.typ.as_deref().is_some_and(|typ| {
        typ.eq_ignore_ascii_case(TOKEN_TYPE) || typ.eq_ignore_ascii_case("application/at+jwt")
    });
    let Some(kid) = header.kid.filter(|_| typ_ok) else { return Ok(None) };
    let Some(key) = keyring.verifying(db, &kid).await? else { return Ok(None) };
    let mut validation = Validation::new(key.algorithm);
    validation.leeway = LEEWAY_SECS;
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let Ok(data) = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation) else { return Ok(None) };
    let (Ok(user), Ok(session)) = (data.claims.sub.parse(), data.claims.sid.parse()) else { return Ok(None) };
    Ok(Some(Verified { user: UserId(user), session: SessionRecordId(session) }))
}
