//! Generic OpenID Connect: discovery (cached, refetched for an unknown `kid`), the
//! authorization request, and the ID token's signature and claims.

use super::{Authorization, ProvidedIdentity, ProviderError, client_secret, token_error, unavailable};
use crate::config::{ProviderKind, ProviderSettings};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenVerifier, CoreJwsSigningAlgorithm as Alg,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use tokio::sync::RwLock;

/// The ID token algorithms accepted, whatever the discovery document lists: asymmetric
/// ones only, so no token signed with the client secret (which the provider holds too)
/// or unsigned is ever believed.
const ALLOWED_ALGS: [Alg; 10] = [
    Alg::RsaSsaPkcs1V15Sha256,
    Alg::RsaSsaPkcs1V15Sha384,
    Alg::RsaSsaPkcs1V15Sha512,
    Alg::RsaSsaPssSha256,
    Alg::RsaSsaPssSha384,
    Alg::RsaSsaPssSha512,
    Alg::EcdsaP256Sha256,
    Alg::EcdsaP384Sha384,
    Alg::EcdsaP521Sha512,
    Alg::EdDsa,
];

/// The provider's discovery document with its JWKS, fetched once and kept.
#[derive(Default)]
pub struct Discovery(RwLock<Option<CoreProviderMetadata>>);

impl Discovery {
    pub async fn metadata(
        &self,
        settings: &ProviderSettings,
        http: &reqwest::Client,
    ) -> Result<CoreProviderMetadata, ProviderError> {
        if let Some(cached) = self.0.read().await.as_ref() {
            return Ok(cached.clone());
        }
        self.refresh(settings, http).await
    }

    /// Fetches the document (and with it the JWKS) again: the provider rotated its keys.
    async fn refresh(
        &self,
        settings: &ProviderSettings,
        http: &reqwest::Client,
    ) -> Result<CoreProviderMetadata, ProviderError> {
        let ProviderKind::Oidc { issuer } = &settings.kind else {
            return Err(unavailable("not an OIDC provider"));
        };
        let issuer = IssuerUrl::new(issuer.clone()).map_err(unavailable)?;
        // The crate checks that the document's issuer is exactly the configured one.
        let metadata = CoreProviderMetadata::discover_async(issuer, http).await.map_err(unavailable)?;
        *self.0.write().await = Some(metadata.clone());
        Ok(metadata)
    }
}

/// A client made from discovery: authorization endpoint set, token and userinfo maybe.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn client(
    settings: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect: String,
) -> Result<Client, ProviderError> {
    let redirect = RedirectUrl::new(redirect).map_err(unavailable)?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(client_secret(settings)),
    )
    .set_redirect_uri(redirect))
}

pub fn authorize(
    settings: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect: String,
) -> Result<Authorization, ProviderError> {
    let client = client(settings, metadata, redirect)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
    })
}

pub struct Exchange {
    pub code: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect: String,
}

pub async fn complete(
    settings: &ProviderSettings,
    discovery: &Discovery,
    http: &reqwest::Client,
    exchange: Exchange,
) -> Result<ProvidedIdentity, ProviderError> {
    let metadata = discovery.metadata(settings, http).await?;
    let client = client(settings, metadata, exchange.redirect.clone())?;
    let response = client
        .exchange_code(AuthorizationCode::new(exchange.code))
        .map_err(unavailable)?
        .set_pkce_verifier(PkceCodeVerifier::new(exchange.pkce_verifier))
        .request_async(http)
        .await
        .map_err(token_error)?;
    let id_token = response.id_token().ok_or_else(|| ProviderError::Refused("no ID token".into()))?;
    let nonce = Nonce::new(exchange.nonce);
    let identity = match id_token.claims(&verifier(&client), &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
            // An unknown `kid`: the keys may have rotated since discovery. Refetch once.
            let metadata = discovery.refresh(settings, http).await?;
            let client = self::client(settings, metadata, exchange.redirect)?;
            let claims = id_token.claims(&verifier(&client), &nonce).map_err(refused)?;
            identity(claims)
        }
        other => identity(other.map_err(refused)?),
    };
    Ok(identity)
}

fn verifier(client: &Client) -> CoreIdTokenVerifier<'_> {
    client.id_token_verifier().set_allowed_algs(ALLOWED_ALGS)
}

fn refused(e: ClaimsVerificationError) -> ProviderError {
    ProviderError::Refused(format!("ID token: {e}"))
}

fn identity(claims: &openidconnect::core::CoreIdTokenClaims) -> ProvidedIdentity {
    let email = claims.email().map(|e| e.as_str().to_lowercase());
    let hint = claims
        .preferred_username()
        .map(|u| u.as_str().to_owned())
        .or_else(|| email.as_deref().and_then(|e| e.split('@').next()).map(str::to_owned))
        .unwrap_or_default();
    ProvidedIdentity {
        subject: claims.subject().as_str().to_owned(),
        email_verified: email.is_some() && claims.email_verified() == Some(true),
        display: email.clone().unwrap_or_else(|| hint.clone()),
        username_hint: hint,
        email,
    }
}
