//! A form field that holds a secret (a password as typed): it deserialises like a string
//! but never shows itself in `Debug`, so a form struct can derive `Debug` safely.

use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Default, serde::Deserialize)]
#[serde(from = "String")]
pub struct SecretField(Option<SecretString>);

impl SecretField {
    pub fn expose(&self) -> &str {
        self.0.as_ref().map_or("", |s| s.expose_secret())
    }
}

impl From<String> for SecretField {
    fn from(raw: String) -> Self {
        Self(Some(SecretString::from(raw)))
    }
}

impl From<&str> for SecretField {
    fn from(raw: &str) -> Self {
        Self::from(raw.to_owned())
    }
}

impl std::fmt::Debug for SecretField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretField([redacted])")
    }
}

impl PartialEq for SecretField {
    /// Compares the secrets (a password and its confirmation), in constant time.
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.expose().as_bytes().ct_eq(other.expose().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::SecretField;

    #[test]
    fn debug_never_shows_the_secret_and_deserialising_keeps_it() {
        #[derive(Debug, serde::Deserialize)]
        struct Form {
            password: SecretField,
        }
        let form: Form = serde_urlencoded::from_str("password=hunter2%21")
            .unwrap_or_else(|_| Form { password: "".into() });
        assert_eq!(form.password.expose(), "hunter2!");
        assert!(!format!("{form:?}").contains("hunter2"));
        assert_eq!(SecretField::from("a"), SecretField::from("a"));
        assert_ne!(SecretField::from("a"), SecretField::from("b"));
        assert_eq!(SecretField::default().expose(), "");
    }
}
