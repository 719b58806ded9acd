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
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

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
/// issuer or audience, or expired. A token verified lately is not verified again (see
/// [`Memo`]), but its expiry and its key are checked again on every use.
pub async fn verify(
    db: &Db,
    keyring: &Keyring,
    issuer: &str,
    token: &str,
) -> Result<Option<Verified>, DbError> {
    let digest = Memo::digest(issuer, token);
    if let Some(known) = keyring.memo().get(&digest) {
        let live = known.exp >= crate::db::now().and_utc().timestamp() - LEEWAY_SECS as i64;
        let key_verifies = live && keyring.verifying(db, &known.kid).await?.is_some();
        return Ok(key_verifies.then_some(known.verified));
    }
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
    let verified = Verified { user: UserId(user), session: SessionRecordId(session) };
    keyring.memo().remember(digest, Known { verified, kid, exp: data.claims.exp });
    Ok(Some(verified))
}

/// Access tokens verified lately, by a hash of the token (never the token itself): a
/// program calling the API in a loop pays for one Ed25519 verification per token, not
/// one per call, as Envoy's JWT cache does. What the signature proved stays proven; what
/// can change is checked on every use: the expiry against the clock, the key against
/// the keyring (so a retired key stops verifying on time), and the login against the
/// database (in [`super::bearer::resolve`]), so revoking it works at once as before.
/// Bounded, and forgotten all at once when full.
#[derive(Default)]
pub struct Memo {
    known: Mutex<HashMap<[u8; 32], Known>>,
}

/// What a token's verification established, and what must be checked again.
#[derive(Clone)]
struct Known {
    verified: Verified,
    kid: String,
    exp: i64,
}

/// Tokens remembered at most (a few hundred kilobytes when full).
const MEMO_CAPACITY: usize = 2048;

impl Memo {
    /// SHA-256 of the issuer and the token: what the memo is keyed by.
    fn digest(issuer: &str, token: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(issuer.as_bytes());
        hash.update([0]);
        hash.update(token.as_bytes());
        hash.finalize().into()
    }

    fn get(&self, digest: &[u8; 32]) -> Option<Known> {
        self.known.lock().ok()?.get(digest).cloned()
    }

    fn remember(&self, digest: [u8; 32], known: Known) {
        let Ok(mut memo) = self.known.lock() else { return };
        if memo.len() >= MEMO_CAPACITY {
            memo.clear();
        }
        memo.insert(digest, known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(session: i64) -> Known {
        Known {
            verified: Verified { user: UserId(1), session: SessionRecordId(session) },
            kid: "k".into(),
            exp: 0,
        }
    }

    #[test]
    fn the_memo_is_keyed_by_issuer_and_token_and_forgets_everything_when_full() {
        assert_ne!(Memo::digest("https://a", "t"), Memo::digest("https://b", "t"));
        assert_ne!(Memo::digest("https://a", "t"), Memo::digest("https://a", "u"));
        let memo = Memo::default();
        for n in 0..MEMO_CAPACITY {
            memo.remember(Memo::digest("i", &n.to_string()), known(n as i64));
        }
        let first = Memo::digest("i", "0");
        assert_eq!(memo.get(&first).map(|k| k.verified.session), Some(SessionRecordId(0)));
        memo.remember(Memo::digest("i", "one too many"), known(-1));
        assert!(memo.get(&first).is_none());
        assert!(memo.get(&Memo::digest("i", "one too many")).is_some());
    }
}
