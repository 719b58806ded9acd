//! Where a browser may be sent on from a provider's button: browsers apply the CSP's
//! `form-action` to the redirects that follow a form's submission too, so the origin of
//! each provider's authorization endpoint must be listed there, or the button does nothing.

use std::sync::{PoisonError, RwLock};

/// The origins (`https://github.com`), each once, in the order they became known.
#[derive(Default)]
pub struct FormTargets(RwLock<Vec<String>>);

impl FormTargets {
    /// Adds the origin of `url` (an authorization endpoint, or the issuer it is expected
    /// under until discovery says otherwise).
    pub fn add(&self, url: &str) {
        let Ok(parsed) = url::Url::parse(url) else { return };
        let origin = parsed.origin();
        if !origin.is_tuple() {
            return;
        }
        let origin = origin.ascii_serialization();
        let mut list = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if !list.contains(&origin) {
            list.push(origin);
        }
    }

    /// The origins as CSP sources, separated by spaces; empty with no providers.
    pub fn sources(&self) -> String {
        self.0.read().unwrap_or_else(PoisonError::into_inner).join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_origin_is_listed_once_without_its_path() {
        let targets = FormTargets::default();
        targets.add("https://accounts.example.com/o/oauth2/auth");
        targets.add("https://accounts.example.com:443/realms/x");
        targets.add("http://127.0.0.2:8080/authorize");
        targets.add("not a url");
        assert_eq!(targets.sources(), "https://accounts.example.com http://127.0.0.2:8080");
    }
}
