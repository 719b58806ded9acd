//! `EMAIL_VERIFICATION`: whether an unconfirmed address keeps its account from logging in.

use super::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmailVerification {
    /// Unconfirmed accounts log in, and the dashboard asks them to confirm.
    #[default]
    Optional,
    /// An unconfirmed account's correct login is refused until the address is confirmed.
    Required,
}

impl EmailVerification {
    pub fn parse(raw: Option<&str>) -> Result<Self, ConfigError> {
        match raw.map(|r| r.trim().to_ascii_lowercase()).as_deref() {
            None | Some("optional") => Ok(Self::Optional),
            Some("required") => Ok(Self::Required),
            Some(_) => Err(ConfigError(format!(
                "invalid EMAIL_VERIFICATION {:?}: expected optional or required",
                raw.unwrap_or_default()
            ))),
        }
    }

    pub fn is_required(self) -> bool {
        self == Self::Required
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_modes_and_refuses_anything_else() {
        assert_eq!(EmailVerification::parse(None), Ok(EmailVerification::Optional));
        assert_eq!(EmailVerification::parse(Some("optional")), Ok(EmailVerification::Optional));
        assert_eq!(EmailVerification::parse(Some(" Required ")), Ok(EmailVerification::Required));
        assert!(EmailVerification::parse(Some("yes")).is_err());
    }
}
