//! Passwords: NIST 800-63B rules (length, a blocklist, no context words), never printed.

use secrecy::{ExposeSecret, SecretString};
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// A password as typed, NFKC-normalised (NIST 800-63B 5.1.1.2) so that the same
/// characters typed on different keyboards hash alike. Used to verify, not to set.
#[derive(Debug, Clone)]
pub struct PlainPassword(SecretString);

/// A new password that passed every rule and may be hashed and stored.
#[derive(Debug, Clone)]
pub struct Password(PlainPassword);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Password must be at least 8 characters.")]
    TooShort,
    #[error("Password must be at most 72 bytes (bcrypt's limit); choose a shorter passphrase.")]
    TooLong,
    #[error("That password is too common; choose one that is harder to guess.")]
    Common,
    #[error("Password must not be the same as your username.")]
    SameAsUsername,
    #[error("Password must not be the same as your email address.")]
    SameAsEmail,
}

/// The common passwords shipped with the app: Django's list (about 20,000 entries),
/// lower-cased and sorted at build time so that a lookup is a binary search.
static COMMON_PASSWORDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| include_str!("../../data/common-passwords.txt").lines().collect());

impl PlainPassword {
    pub fn new(raw: &str) -> Self {
        Self(SecretString::from(raw.nfkc().collect::<String>()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }

    /// bcrypt reads at most 72 bytes; anything longer would be silently cut.
    pub fn fits_bcrypt(&self) -> bool {
        self.as_bytes().len() <= Password::MAX_BYTES
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_BYTES: usize = 72;

    /// Applies the rules shared by registration, reset, change and `create-admin`.
    pub fn parse(raw: &str, username: &str, email: &str) -> Result<Self, PasswordError> {
        let plain = PlainPassword::new(raw);
        let text = plain.0.expose_secret();
        if text.chars().count() < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if !plain.fits_bcrypt() {
            return Err(PasswordError::TooLong);
        }
        let folded = text.to_lowercase();
        if is_common(&folded) {
            return Err(PasswordError::Common);
        }
        if !username.is_empty() && folded == username.to_lowercase() {
            return Err(PasswordError::SameAsUsername);
        }
        if !email.is_empty() && folded == email.trim().to_lowercase() {
            return Err(PasswordError::SameAsEmail);
        }
        Ok(Self(plain))
    }

    /// A password that has just matched its stored hash, to hash again at a new cost. The
    /// rules it was set under are not re-applied: refusing it now would lock its owner out.
    pub fn already_verified(plain: PlainPassword) -> Self {
        Self(plain)
    }

    pub fn plain(&self) -> &PlainPassword {
        &self.0
    }
}

fn is_common(folded: &str) -> bool {
    COMMON_PASSWORDS.binary_search(&folded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_is_large_sorted_and_lower_case() {
        assert!(COMMON_PASSWORDS.len() >= 10_000);
        assert!(COMMON_PASSWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(COMMON_PASSWORDS.iter().all(|p| *p == p.to_lowercase()));
    }

    #[test]
    fn refuses_common_passwords_in_any_case() {
        for common in ["password", "PassWord1", "qwertyuiop", "iloveyou"] {
            assert_eq!(
                Password::parse(common, "someone", "s@example.com").err(),
                Some(PasswordError::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn counts_characters_not_bytes_for_the_minimum() {
        assert_eq!(Password::parse("short7!", "", "").err(), Some(PasswordError::TooShort));
        assert!(Password::parse("ééééééée", "", "").is_ok());
    }

    #[test]
    fn refuses_more_than_72_bytes_instead_of_truncating() {
        assert!(Password::parse(&"x7Kq".repeat(18), "", "").is_ok());
        assert_eq!(
            Password::parse(&"x7Kq".repeat(18).replace('x', "é"), "", "").err(),
            Some(PasswordError::TooLong)
        );
        assert_eq!(Password::parse(&"y".repeat(73), "", "").err(), Some(PasswordError::TooLong));
    }

    #[test]
    fn refuses_the_username_or_email_as_password() {
        assert_eq!(
            Password::parse("Margaret_1990", "margaret_1990", "m@example.com").err(),
            Some(PasswordError::SameAsUsername)
        );
        assert_eq!(
            Password::parse("M.Smith@example.com", "msmith", "m.smith@example.com").err(),
            Some(PasswordError::SameAsEmail)
        );
    }

    #[test]
    fn normalises_compatibility_characters() {
        let fullwidth = PlainPassword::new("ｐａｓｓ１２３４");
        assert_eq!(fullwidth.as_bytes(), b"pass1234");
    }

    #[test]
    fn never_prints_the_secret() {
        let password = Password::parse("correct horse battery", "", "").map(|p| format!("{p:?}"));
        assert!(!password.unwrap_or_default().contains("horse"));
    }
}
