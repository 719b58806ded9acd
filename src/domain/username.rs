//! Usernames: 3 to 32 ASCII letters, digits or underscores, unique case-insensitively.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("Username must be between 3 and 32 characters.")]
    Length,
    #[error("Username may only contain letters, digits and underscores.")]
    Characters,
}

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let raw = raw.trim();
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(UsernameError::Characters);
        }
        // All ASCII from here on, so bytes are characters.
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&raw.len()) {
            return Err(UsernameError::Length);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and lookups compare on.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_and_underscores_within_length() {
        for ok in ["abc", "Alice_99", &"a".repeat(32)] {
            assert_eq!(Username::parse(ok).map(|u| u.0), Ok(ok.to_owned()));
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        for bad in ["", "ab", &"a".repeat(33)] {
            assert_eq!(Username::parse(bad), Err(UsernameError::Length));
        }
    }

    #[test]
    fn rejects_other_characters() {
        for bad in ["al ice", "bob!", "zoë", "a\0b", "name@example.com", "a-b"] {
            assert_eq!(Username::parse(bad), Err(UsernameError::Characters));
        }
    }

    #[test]
    fn folds_to_lower_case_for_comparison() {
        assert_eq!(Username::parse("MiXeD").map(|u| u.folded()), Ok("mixed".into()));
    }
}
