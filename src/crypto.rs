//! Secrets at rest: one key per purpose, derived from `SECRET_KEY` by HKDF-SHA256, and
//! sealing with XChaCha20-Poly1305 (a random 192-bit nonce per message, so no counter
//! has to be shared between instances).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

/// What a derived key is for: never use one key for two purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Email bodies waiting in the outbox (they carry reset and confirmation links).
    OutboxBody,
    /// Private keys that sign access tokens.
    SigningKey,
    /// Second-factor secrets.
    TotpSecret,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Self::OutboxBody => b"gatehouse/v1/outbox-body",
            Self::SigningKey => b"gatehouse/v1/signing-key",
            Self::TotpSecret => b"gatehouse/v1/totp-secret",
        }
    }
}

/// What sealed text starts with, so that a future scheme can be told apart.
const PREFIX: &str = "v1.";
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the sealed value is malformed or was not sealed with this key for this context")]
pub struct OpenError;

/// Seals and opens values for one purpose. Its `Debug` shows no key.
#[derive(Clone)]
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
        // 32 bytes is far below HKDF-SHA256's 8,160-byte output limit: expand cannot fail.
        hkdf::Hkdf::<sha2::Sha256>::new(Some(b"gatehouse"), secret_key)
            .expand(purpose.info(), &mut key)
            .unwrap_or_else(|_| unreachable!("a 32-byte HKDF output is always valid"));
        Self { cipher: XChaCha20Poly1305::new(&key.into()) }
    }

    /// `plaintext` sealed and bound to `context` (which must be given again to open it).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: context };
        // Encryption only fails for inputs beyond 256 GiB.
        let sealed = self.cipher.encrypt(XNonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, OpenError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(OpenError)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| OpenError)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenError);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload { msg: ciphertext, aad: context };
        self.cipher.decrypt(XNonce::from_slice(nonce), payload).map_err(|_| OpenError)
    }

    /// Whether `text` looks sealed (rows written before sealing existed are not).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a test secret key that is long enough for the purpose of this test!";

    #[test]
    fn sealed_values_open_with_the_same_key_and_context_only() {
        let sealer = Sealer::new(SECRET, Purpose::OutboxBody);
        let sealed = sealer.seal(b"https://example/password-reset/TOKEN", b"bob@example.com");
        assert!(!sealed.contains("TOKEN") && Sealer::is_sealed(&sealed));
        assert_eq!(
            sealer.open(&sealed, b"bob@example.com").as_deref(),
            Ok(&b"https://example/password-reset/TOKEN"[..])
        );
        assert_eq!(sealer.open(&sealed, b"eve@example.com"), Err(OpenError));
        assert_eq!(
            Sealer::new(SECRET, Purpose::TotpSecret).open(&sealed, b"bob@example.com"),
            Err(OpenError)
        );
        assert_eq!(
            Sealer::new(b"another secret key", Purpose::OutboxBody).open(&sealed, b"bob@example.com"),
            Err(OpenError)
        );
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce_and_tampering_is_detected() {
        let sealer = Sealer::new(SECRET, Purpose::OutboxBody);
        let (a, b) = (sealer.seal(b"same", b""), sealer.seal(b"same", b""));
        assert_ne!(a, b);
        let mut tampered = a.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_eq!(sealer.open(&tampered, b""), Err(OpenError));
        for junk in ["", "v1.", "v1.!!", "plain text"] {
            assert_eq!(sealer.open(junk, b""), Err(OpenError), "{junk:?}");
        }
    }
}
