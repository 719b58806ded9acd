//! Access-token signing keys: made on first start, kept in the database with the private
//! half sealed under a key derived from `SECRET_KEY` (so every instance signs alike),
//! rotated on demand, and each pinned to its one algorithm.

use crate::crypto::{Purpose, Sealer};
use crate::db::{self, Db, DbError, signing_keys::NewSigningKey, signing_keys::SigningKeyRow};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::RngCore;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The one algorithm gatehouse signs with, recorded with every key.
pub const ALGORITHM: &str = "EdDSA";
/// How long an instance trusts its copy of the key list before reading it again, so a
/// rotation or retirement made elsewhere is seen within this time.
const CACHE_FOR: Duration = Duration::from_secs(30);

/// A key that signs: its id and its private half, which never prints.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
}

/// A public key that verifies, with the algorithm it is pinned to.
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
    /// The public key as JWK `x` (base64url of its 32 bytes).
    pub x: String,
    retired_at: Option<NaiveDateTime>,
}

/// The deployment's keys as one instance sees them: the sealer that opens the signing
/// key, and a short-lived cache of the verifying ones.
pub struct Keyring {
    sealer: Sealer,
    /// How long after retirement a key still verifies: the access tokens' lifetime.
    grace: TimeDelta,
    cache: RwLock<Option<(Instant, Arc<Vec<VerifyingKey>>)>>,
    /// The access tokens these keys verified lately.
    memo: super::access_tokens::Memo,
}

impl Keyring {
    pub fn new(secret_key: &[u8], access_token_ttl: TimeDelta) -> Self {
        let sealer = Sealer::new(secret_key, Purpose::SigningKey);
        Self {
            sealer,
            grace: access_token_ttl + TimeDelta::minutes(1),
            cache: RwLock::new(None),
            memo: Default::default(),
        }
    }

    /// Makes the first signing key unless one exists. Safe when instances start together:
    /// the database keeps one current key, and the losers of the race use the winner's.
    pub async fn ensure(&self, db: &Db) -> anyhow::Result<()> {
        let row = self.generate();
        db.run::<_, DbError>(move |conn| {
            if db::signing_keys::current(conn)?.is_none() {
                db::signing_keys::insert_current(conn, &row.as_new())?;
            }
            Ok(())
        })
        .await
        .context("making the first signing key")?;
        Ok(())
    }

    /// Makes a new key the signing one; the old one keeps verifying its tokens.
    pub async fn rotate(&self, db: &Db) -> anyhow::Result<String> {
        let row = self.generate();
        let kid = row.kid.clone();
        db.transaction::<_, DbError>(move |conn| {
            db::signing_keys::retire_current(conn, db::now())?;
            if !db::signing_keys::insert_current(conn, &row.as_new())? {
                return Err(diesel::result::Error::RollbackTransaction.into());
            }
            Ok(())
        })
        .await
        .context("rotating the signing key (another rotation may have run at the same time)")?;
        self.forget();
        Ok(kid)
    }

    /// The key to sign with now, read from the database so that a rotation on any
    /// instance applies at once.
    pub async fn signing(&self, db: &Db) -> anyhow::Result<SigningKey> {
        let row = db
            .run::<_, DbError>(|conn| Ok(db::signing_keys::current(conn)?))
            .await?
            .context("there is no signing key")?;
        let seed = self
            .sealer
            .open(&row.private_key_sealed, row.kid.as_bytes())
            .map_err(|_| anyhow::anyhow!("the signing key {} does not open with this SECRET_KEY", row.kid))?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| anyhow::anyhow!("malformed signing key"))?;
        let der = ed25519_dalek::SigningKey::from_bytes(&seed)
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("encoding the signing key: {e}"))?;
        Ok(SigningKey { kid: row.kid, encoding: EncodingKey::from_ed_der(der.as_bytes()) })
    }

    /// The key with this `kid`, while it verifies; the list is read again when the kid is
    /// not in a recent copy.
    pub async fn verifying(&self, db: &Db, kid: &str) -> Result<Option<VerifyingKey>, DbError> {
        let usable = |keys: &[VerifyingKey]| keys.iter().find(|k| k.kid == kid).cloned();
        if let Some(key) = self.cached().and_then(|keys| usable(&keys)) {
            return Ok(self.still_verifies(&key).then_some(key));
        }
        let keys = self.reload(db).await?;
        Ok(usable(&keys).filter(|key| self.still_verifies(key)))
    }

    /// The access tokens these keys verified lately (see [`super::access_tokens::verify`]).
    pub(super) fn memo(&self) -> &super::access_tokens::Memo {
        &self.memo
    }

    /// Every key that verifies now, for the JWKS: read afresh, so a key another instance
    /// just made is published at once.
    pub async fn published(&self, db: &Db) -> Result<Vec<VerifyingKey>, DbError> {
        let keys = self.reload(db).await?;
        Ok(keys.iter().filter(|k| self.still_verifies(k)).cloned().collect())
    }

    fn still_verifies(&self, key: &VerifyingKey) -> bool {
        key.retired_at.is_none_or(|at| at + self.grace > db::now())
    }

    fn cached(&self) -> Option<Arc<Vec<VerifyingKey>>> {
        let cache = self.cache.read().ok()?;
        cache.as_ref().filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, keys)| keys.clone())
    }

    fn forget(&self) {
        if let Ok(mut cache) = self.cache.write() {
            *cache = None;
        }
    }

    async fn reload(&self, db: &Db) -> Result<Arc<Vec<VerifyingKey>>, DbError> {
        let retired_after = db::now() - self.grace;
        let rows =
            db.run(move |conn| Ok::<_, DbError>(db::signing_keys::verifying(conn, retired_after)?)).await?;
        let keys = Arc::new(rows.into_iter().filter_map(verifying_key).collect::<Vec<_>>());
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some((Instant::now(), keys.clone()));
        }
        Ok(keys)
    }

    /// A fresh Ed25519 key, its private half sealed under its own kid. (The dalek key
    /// wipes its memory when dropped.)
    fn generate(&self) -> GeneratedKey {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let kid = URL_SAFE_NO_PAD.encode(id);
        GeneratedKey {
            public_key: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            private_key_sealed: self.sealer.seal(&key.to_bytes(), kid.as_bytes()),
            kid,
            created_at: db::now(),
        }
    }
}

struct GeneratedKey {
    kid: String,
    public_key: String,
    private_key_sealed: String,
    created_at: NaiveDateTime,
}

impl GeneratedKey {
    fn as_new(&self) -> NewSigningKey<'_> {
        NewSigningKey {
            kid: &self.kid,
            algorithm: ALGORITHM,
            public_key: &self.public_key,
            private_key_sealed: &self.private_key_sealed,
            created_at: self.created_at,
        }
    }
}

/// A row as a verifying key; a row with an algorithm this build does not pin is skipped.
fn verifying_key(row: SigningKeyRow) -> Option<VerifyingKey> {
    if row.algorithm != ALGORITHM {
        tracing::warn!(kid = %row.kid, algorithm = %row.algorithm, "skipping a signing key of an unknown algorithm");
        return None;
    }
    let decoding = DecodingKey::from_ed_components(&row.public_key).ok()?;
    Some(VerifyingKey {
        kid: row.kid,
        algorithm: Algorithm::EdDSA,
        decoding,
        x: row.public_key,
        retired_at: row.retired_at,
    })
}
