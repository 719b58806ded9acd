//! Secret tokens (session ids, reset links): 32 random bytes, stored only as SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct SecretToken(SecretString);

impl SecretToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token as a client presented it; it is only ever hashed and compared.
    pub fn from_client(raw: &str) -> Self {
        Self(SecretString::from(raw))
    }

    /// What the database stores and looks up: a leaked table holds no usable token.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.0.expose_secret().as_bytes()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_url_safe_and_hashed() {
        let (a, b) = (SecretToken::generate(), SecretToken::generate());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert!(a.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(a.digest(), SecretToken::from_client(a.expose()).digest());
        assert_eq!(a.digest().len(), 64);
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = SecretToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
