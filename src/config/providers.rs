//! Identity providers from `AUTH_*` variables: a typed list, checked at start.

use super::ConfigError;
use secrecy::SecretString;

/// Which protocol a provider speaks; everything else about it is data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// Any OpenID Connect provider, found by discovery at `ISSUER/.well-known/openid-configuration`.
    Oidc { issuer: String },
    /// GitHub's plain OAuth 2.0: `web` serves authorize and token, `api` the user and emails.
    Github { web: String, api: String },
}

/// One configured provider. The secret never prints: `SecretString` redacts itself.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// The name in the URLs (`/auth/{name}`), lowercase.
    pub name: String,
    pub kind: ProviderKind,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The button's text: "Continue with {label}".
    pub label: String,
    /// A verified email from this provider may link to an account whose own email is verified.
    pub trust_email: bool,
}

pub const GITHUB_URL: &str = "https://github.com";
pub const GITHUB_API_URL: &str = "https://api.github.com";

/// `AUTH_PROVIDERS` and each listed provider's `AUTH_<NAME>_*` variables.
pub fn providers(get: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ProviderSettings>, ConfigError> {
    let list = get("AUTH_PROVIDERS").unwrap_or_default();
    let mut out: Vec<ProviderSettings> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let name = name.to_ascii_lowercase();
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ConfigError(format!(
                "invalid AUTH_PROVIDERS entry {name:?}: use letters, digits and underscores"
            )));
        }
        if out.iter().any(|p| p.name == name) {
            return Err(ConfigError(format!("AUTH_PROVIDERS lists {name:?} twice")));
        }
        out.push(provider(&name, get)?);
    }
    Ok(out)
}

fn provider(name: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<ProviderSettings, ConfigError> {
    let var = |suffix: &str| format!("AUTH_{}_{suffix}", name.to_ascii_uppercase());
    let required = |suffix: &str| {
        get(&var(suffix)).ok_or_else(|| {
            ConfigError(format!("{} is required: provider {name:?} is listed in AUTH_PROVIDERS", var(suffix)))
        })
    };
    let kind = match get(&var("KIND")).as_deref().map(str::trim) {
        None | Some("oidc") => {
            let issuer = required("ISSUER")?;
            // Kept exactly as given: the ID token's `iss` must equal it, slash and all.
            url(&var("ISSUER"), &issuer)?;
            ProviderKind::Oidc { issuer }
        }
        Some("github") => ProviderKind::Github {
            web: url(&var("GITHUB_URL"), &get(&var("GITHUB_URL")).unwrap_or_else(|| GITHUB_URL.into()))?,
            api: url(
                &var("GITHUB_API_URL"),
                &get(&var("GITHUB_API_URL")).unwrap_or_else(|| GITHUB_API_URL.into()),
            )?,
        },
        Some(other) => {
            return Err(ConfigError(format!("invalid {} {other:?}: expected oidc or github", var("KIND"))));
        }
    };
    let trust_email = match get(&var("TRUST_EMAIL")).as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError(format!(
                "invalid {} {other:?}: expected true or false",
                var("TRUST_EMAIL")
            )));
        }
    };
    Ok(ProviderSettings {
        name: name.to_owned(),
        kind,
        client_id: required("CLIENT_ID")?,
        client_secret: SecretString::from(required("CLIENT_SECRET")?),
        label: get(&var("LABEL")).unwrap_or_else(|| name.to_owned()),
        trust_email,
    })
}

/// An http(s) URL without its trailing slash.
fn url(var: &str, raw: &str) -> Result<String, ConfigError> {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(raw.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError(format!("invalid {var} {raw:?}: expected an http:// or https:// URL"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Vec<ProviderSettings>, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        providers(&|name| vars.get(name).cloned())
    }

    const GOOGLE: [(&str, &str); 4] = [
        ("AUTH_PROVIDERS", "google"),
        ("AUTH_GOOGLE_CLIENT_ID", "id-1"),
        ("AUTH_GOOGLE_CLIENT_SECRET", "hunter22-secret"),
        ("AUTH_GOOGLE_ISSUER", "https://accounts.google.com/"),
    ];

    #[test]
    fn no_providers_when_the_list_is_absent_or_empty() {
        assert!(parse(&[]).unwrap().is_empty());
        assert!(parse(&[("AUTH_PROVIDERS", " , ")]).unwrap().is_empty());
    }

    #[test]
    fn an_oidc_provider_with_defaults() {
        let list = parse(&GOOGLE).unwrap();
        assert_eq!(list.len(), 1);
        let google = &list[0];
        assert_eq!(google.name, "google");
        assert_eq!(google.kind, ProviderKind::Oidc { issuer: "https://accounts.google.com/".into() });
        assert_eq!(google.client_id, "id-1");
        assert_eq!(google.client_secret.expose_secret(), "hunter22-secret");
        assert_eq!(google.label, "google");
        assert!(!google.trust_email);
    }

    #[test]
    fn a_github_provider_with_its_default_urls_label_and_trust() {
        let list = parse(&[
            ("AUTH_PROVIDERS", "GitHub"),
            ("AUTH_GITHUB_KIND", "github"),
            ("AUTH_GITHUB_CLIENT_ID", "gh"),
            ("AUTH_GITHUB_CLIENT_SECRET", "s"),
            ("AUTH_GITHUB_LABEL", "GitHub"),
            ("AUTH_GITHUB_TRUST_EMAIL", "true"),
        ])
        .unwrap();
        assert_eq!(list[0].name, "github");
        assert_eq!(list[0].kind, ProviderKind::Github { web: GITHUB_URL.into(), api: GITHUB_API_URL.into() });
        assert_eq!(list[0].label, "GitHub");
        assert!(list[0].trust_email);
    }

    #[test]
    fn a_missing_id_secret_or_issuer_is_refused_in_one_line() {
        for missing in ["AUTH_GOOGLE_CLIENT_ID", "AUTH_GOOGLE_CLIENT_SECRET", "AUTH_GOOGLE_ISSUER"] {
            let vars: Vec<_> = GOOGLE.iter().copied().filter(|(k, _)| *k != missing).collect();
            let err = parse(&vars).unwrap_err().0;
            assert!(err.starts_with(&format!("{missing} is required")), "{err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn bad_values_are_refused_by_name() {
        for (name, value) in [
            ("AUTH_GOOGLE_KIND", "saml"),
            ("AUTH_GOOGLE_ISSUER", "accounts.google.com"),
            ("AUTH_GOOGLE_TRUST_EMAIL", "yes"),
        ] {
            let mut vars = GOOGLE.to_vec();
            vars.retain(|(k, _)| *k != name);
            vars.push((name, value));
            let err = parse(&vars).unwrap_err().0;
            assert!(err.contains(name), "{err}");
        }
        assert!(parse(&[("AUTH_PROVIDERS", "a/b")]).is_err());
        let twice = [&GOOGLE[..], &[("AUTH_PROVIDERS", "google,google")]].concat();
        let vars: Vec<_> = twice.into_iter().skip(1).collect();
        assert!(parse(&vars).unwrap_err().0.contains("twice"));
    }

    #[test]
    fn the_client_secret_never_prints() {
        let list = parse(&GOOGLE).unwrap();
        assert!(!format!("{list:?}").contains("hunter22"));
    }
}
