//! Pure value types: each one parses raw input into a type that can only hold valid values.

mod email;
mod ids;
mod password;
mod role;
mod secret_field;
mod username;

pub use email::{Email, EmailError};
pub use ids::{SessionRecordId, UserId};
pub use password::{Password, PasswordError, PlainPassword};
pub use role::{Role, RoleError};
pub use secret_field::SecretField;
pub use username::{Username, UsernameError};

/// Arbitrary input never panics a parser, and whatever a parser accepts keeps its promise.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn no_parser_panics_on_arbitrary_text(text in any::<String>()) {
            let _ = Username::parse(&text);
            let _ = Email::parse(&text);
            let _ = Password::parse(&text, &text, &text);
            let _ = Role::parse(&text);
        }

        #[test]
        fn an_accepted_username_is_3_to_32_word_characters(text in "\\PC{0,40}") {
            if let Ok(name) = Username::parse(&text) {
                prop_assert!((3..=32).contains(&name.as_str().len()));
                prop_assert!(name.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            }
        }

        #[test]
        fn an_accepted_email_is_lower_case_trimmed_and_short(text in "\\PC{0,300}") {
            if let Ok(email) = Email::parse(&text) {
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
                prop_assert_eq!(email.as_str(), email.as_str().trim());
                prop_assert!(email.as_str().len() <= 254 && email.as_str().contains('@'));
            }
        }

        #[test]
        fn well_formed_addresses_are_accepted(local in "[a-zA-Z0-9._+-]{1,40}", domain in "[a-z0-9-]{1,40}\\.[a-z]{2,6}") {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            prop_assume!(!domain.starts_with('-') && !domain.contains("-."));
            let address = format!("{}@{}", local, domain);
            prop_assert!(Email::parse(&address).is_ok(), "refused {}", address);
        }

        #[test]
        fn an_accepted_password_fits_bcrypt_and_is_long_enough(text in any::<String>()) {
            if let Ok(password) = Password::parse(&text, "", "") {
                prop_assert!(password.plain().as_bytes().len() <= 72);
                prop_assert!(password.plain().fits_bcrypt());
                prop_assert!(std::str::from_utf8(password.plain().as_bytes()).map(|s| s.chars().count() >= 8).unwrap_or(false));
            }
        }
    }
}
