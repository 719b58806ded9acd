//! Secrets at rest: XChaCha20-Poly1305 under keys derived from `SECRET_KEY` with
//! HKDF-SHA-256, one derived key per purpose, so no two uses ever share a key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;

/// What a derived key is for; its label is the HKDF `info`, so changing one orphans
/// everything sealed under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The private halves of access-token signing keys.
    SigningKeys,
    /// TOTP secrets (two-factor authentication).
    TotpSecrets,
    /// Bodies of queued emails.
    OutboxBodies,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::SigningKeys => b"gatehouse/v1/signing-keys",
            Self::TotpSecrets => b"gatehouse/v1/totp-secrets",
            Self::OutboxBodies => b"gatehouse/v1/outbox-bodies",
        }
    }
}

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the sealed value is malformed, or was sealed under another key or context")]
pub struct OpenError;

/// Seals and opens values for one purpose. `context` (say, a row's id) is bound to the
/// ciphertext as associated data: a sealed value copied to another row does not open.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(secret_key: &[u8], purpose: Purpose) -> Self {
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA-256's 8160-byte output limit: this cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(b"gatehouse"), secret_key).expand(purpose.label(), &mut key);
        Self { cipher: XChaCha20Poly1305::new(&key.into()) }
    }

    /// `base64url(nonce || ciphertext)`, with a fresh random nonce.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: context };
        // Encryption fails only for messages beyond the cipher's 256 GiB limit.
        let sealed = self.cipher.encrypt(XNonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, OpenError> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| OpenError)?;
        if bytes.len() < NONCE_LEN {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let payload = Payload { msg: ciphertext, aad: context };
        self.cipher.decrypt(XNonce::from_slice(nonce), payload).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a secret key of at least sixty-four bytes, shared by every instance!";

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let sealer = Sealer::new(SECRET, Purpose::SigningKeys);
        let sealed = sealer.seal(b"private key", b"kid-1");
        assert_eq!(sealer.open(&sealed, b"kid-1"), Ok(b"private key".to_vec()));
        assert_ne!(sealer.seal(b"private key", b"kid-1"), sealed, "nonces are fresh");
        assert_eq!(sealer.open(&sealed, b"kid-2"), Err(OpenError), "bound to its context");
        let other_purpose = Sealer::new(SECRET, Purpose::TotpSecrets);
        assert_eq!(other_purpose.open(&sealed, b"kid-1"), Err(OpenError), "one key per purpose");
        let other_secret = Sealer::new(b"another secret", Purpose::SigningKeys);
        assert_eq!(other_secret.open(&sealed, b"kid-1"), Err(OpenError));
        assert_eq!(sealer.open("not base64!", b"kid-1"), Err(OpenError));
        assert_eq!(sealer.open("", b"kid-1"), Err(OpenError));
    }
}
