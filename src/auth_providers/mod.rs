//! Identity providers: one OIDC path and one GitHub path behind one interface. Knows the
//! providers' HTTP, never ours; the accounts side sees only a [`ProvidedIdentity`].

mod form_action;
mod github;
mod oidc;

use crate::config::{ProviderKind, ProviderSettings, Settings};
use secrecy::ExposeSecret;
use std::time::Duration;

/// What a sign-in must remember until the provider sends the browser back.
pub struct Authorization {
    /// Where to send the browser.
    pub url: String,
    /// The `state` in that URL; only its SHA-256 is stored.
    pub state: String,
    pub pkce_verifier: String,
    /// OIDC only; empty for GitHub.
    pub nonce: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct ProvidedIdentity {
    /// The provider's stable id for the person (OIDC `sub`, GitHub's numeric id).
    pub subject: String,
    /// Lower-cased; `None` when the provider shared none.
    pub email: Option<String>,
    pub email_verified: bool,
    /// A username to suggest on `/auth/complete`.
    pub username_hint: String,
    /// What the connections page shows: the email, or the login.
    pub display: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The answer broke a rule (state, signature, `iss`, `aud`, `exp`, `nonce`, a refused code).
    #[error("the provider's answer was refused: {0}")]
    Refused(String),
    /// The provider could not be reached or made no sense: nothing the user did.
    #[error("the provider is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

/// The configured providers, with the HTTP client they share and the OIDC caches.
pub struct Providers {
    list: Vec<Provider>,
    http: reqwest::Client,
    public_url: String,
    form_targets: form_action::FormTargets,
}

struct Provider {
    settings: ProviderSettings,
    /// OIDC only: the discovery document and its JWKS.
    discovery: Option<oidc::Discovery>,
}

impl Providers {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        // No redirects: a token or discovery call bounced elsewhere is an SSRF (TRAPS.md).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent("gatehouse")
            .build()?;
        let list = settings
            .auth_providers
            .iter()
            .map(|p| Provider {
                discovery: matches!(p.kind, ProviderKind::Oidc { .. }).then(oidc::Discovery::default),
                settings: p.clone(),
            })
            .collect();
        let form_targets = form_action::FormTargets::default();
        for provider in &settings.auth_providers {
            match &provider.kind {
                ProviderKind::Oidc { issuer } => form_targets.add(issuer),
                ProviderKind::Github { web, .. } => form_targets.add(web),
            }
        }
        Ok(Self { list, http, public_url: settings.public_url.as_str().to_owned(), form_targets })
    }

    /// The origins the CSP's `form-action` must allow besides our own, space-separated.
    pub fn form_action_sources(&self) -> String {
        self.form_targets.sources()
    }

    pub fn all(&self) -> impl Iterator<Item = &ProviderSettings> {
        self.list.iter().map(|p| &p.settings)
    }

    pub fn get(&self, name: &str) -> Option<&ProviderSettings> {
        self.find(name).map(|p| &p.settings)
    }

    fn find(&self, name: &str) -> Option<&Provider> {
        self.list.iter().find(|p| p.settings.name == name)
    }

    fn redirect_uri(&self, name: &str) -> String {
        format!("{}/auth/{name}/callback", self.public_url)
    }

    /// Fetches every OIDC provider's discovery document, retrying each until it answers;
    /// a provider that is down at start is logged, never fatal.
    pub async fn warm_up(&self) {
        for provider in &self.list {
            let Some(discovery) = &provider.discovery else { continue };
            let mut wait = Duration::from_secs(1);
            loop {
                match discovery.metadata(&provider.settings, &self.http).await {
                    Ok(metadata) => {
                        self.form_targets.add(metadata.authorization_endpoint().as_str());
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(provider = %provider.settings.name, error = %e, "discovery failed; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(300));
                    }
                }
            }
        }
    }

    /// A fresh authorization request: state, PKCE S256 and (OIDC) nonce.
    pub async fn authorize(&self, name: &str) -> Result<Authorization, ProviderError> {
        let provider = self.find(name).ok_or_else(|| ProviderError::Refused("unknown provider".into()))?;
        let redirect = self.redirect_uri(name);
        match (&provider.settings.kind, &provider.discovery) {
            (ProviderKind::Oidc { .. }, Some(discovery)) => {
                let metadata = discovery.metadata(&provider.settings, &self.http).await?;
                self.form_targets.add(metadata.authorization_endpoint().as_str());
                oidc::authorize(&provider.settings, metadata, redirect)
            }
            (ProviderKind::Github { web, .. }, _) => github::authorize(&provider.settings, web, redirect),
            _ => Err(ProviderError::Unavailable(anyhow::anyhow!("no discovery cache"))),
        }
    }

    /// Exchanges the code (with the PKCE verifier) and checks what comes back.
    pub async fn complete(
        &self,
        name: &str,
        code: String,
        pkce_verifier: String,
        nonce: String,
    ) -> Result<ProvidedIdentity, ProviderError> {
        let provider = self.find(name).ok_or_else(|| ProviderError::Refused("unknown provider".into()))?;
        let redirect = self.redirect_uri(name);
        match (&provider.settings.kind, &provider.discovery) {
            (ProviderKind::Oidc { .. }, Some(discovery)) => {
                let exchange = oidc::Exchange { code, pkce_verifier, nonce, redirect };
                oidc::complete(&provider.settings, discovery, &self.http, exchange).await
            }
            (ProviderKind::Github { web, api }, _) => {
                let urls = github::Urls { web, api, redirect };
                github::complete(&provider.settings, &urls, &self.http, code, pkce_verifier).await
            }
            _ => Err(ProviderError::Unavailable(anyhow::anyhow!("no discovery cache"))),
        }
    }
}

fn client_secret(settings: &ProviderSettings) -> oauth2::ClientSecret {
    oauth2::ClientSecret::new(settings.client_secret.expose_secret().to_owned())
}

fn unavailable(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::Unavailable(anyhow::anyhow!("{e}"))
}

/// A token endpoint's refusal (a used or wrong code, a PKCE mismatch) is the user's
/// request going wrong; a transport failure is the provider's.
fn token_error<RE: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    e: oauth2::RequestTokenError<RE, T>,
) -> ProviderError {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            ProviderError::Refused(format!("token endpoint: {r}"))
        }
        oauth2::RequestTokenError::Parse(e, _) => ProviderError::Refused(format!("token response: {e}")),
        other => unavailable(other),
    }
}
