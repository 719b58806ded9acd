//! Email addresses: syntactically valid, at most 254 bytes, stored lower-case.

use email_address::{EmailAddress, Options};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Email is required.")]
    Missing,
    #[error("Email must be at most 254 characters.")]
    TooLong,
    #[error("Enter a valid email address, like name@example.com.")]
    Invalid,
}

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(EmailError::Missing);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let options = Options::default().without_display_text().without_domain_literal();
        let parsed = EmailAddress::parse_with_options(raw, options).map_err(|_| EmailError::Invalid)?;
        // A dotless domain ("root@localhost") can't receive mail from the internet, and a
        // quoted local part is almost always a typo; refusing both catches mistakes early.
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') || raw.contains('"') {
            return Err(EmailError::Invalid);
        }
        Ok(Self(raw.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_addresses_lower_case_and_trimmed() {
        assert_eq!(
            Email::parse("  Ann.Lee+tag@Example.COM ").map(|e| e.0),
            Ok("ann.lee+tag@example.com".into())
        );
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@localhost",
            "A <a@example.com>",
            "a@[127.0.0.1]",
            "\"q\"@example.com",
            "a@example.com\0",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn rejects_empty_and_overlong_addresses() {
        assert_eq!(Email::parse("   "), Err(EmailError::Missing));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
