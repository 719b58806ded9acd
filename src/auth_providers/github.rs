//! GitHub's plain OAuth 2.0: authorize and token with PKCE, then `/user` (the numeric id
//! is the subject: logins can be renamed) and `/user/emails` (the primary verified one).

use super::{Authorization, ProvidedIdentity, ProviderError, client_secret, token_error, unavailable};
use crate::config::ProviderSettings;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse, TokenUrl,
};
use serde::Deserialize;

pub struct Urls<'a> {
    pub web: &'a str,
    pub api: &'a str,
    pub redirect: String,
}

fn client(
    settings: &ProviderSettings,
    web: &str,
    redirect: String,
) -> Result<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
    ProviderError,
> {
    Ok(BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(client_secret(settings))
        .set_auth_uri(AuthUrl::new(format!("{web}/login/oauth/authorize")).map_err(unavailable)?)
        .set_token_uri(TokenUrl::new(format!("{web}/login/oauth/access_token")).map_err(unavailable)?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(unavailable)?))
}

pub fn authorize(
    settings: &ProviderSettings,
    web: &str,
    redirect: String,
) -> Result<Authorization, ProviderError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client(settings, web, redirect)?
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read:user".into()))
        .add_scope(Scope::new("user:email".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        nonce: String::new(),
    })
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

pub async fn complete(
    settings: &ProviderSettings,
    urls: &Urls<'_>,
    http: &reqwest::Client,
    code: String,
    pkce_verifier: String,
) -> Result<ProvidedIdentity, ProviderError> {
    let token = client(settings, urls.web, urls.redirect.clone())?
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
        .request_async(http)
        .await
        .map_err(token_error)?;
    let access = token.access_token().secret();
    let user: User = get(http, &format!("{}/user", urls.api), access).await?;
    let emails: Vec<Email> = get(http, &format!("{}/user/emails", urls.api), access).await?;
    let email = emails.into_iter().find(|e| e.primary && e.verified).map(|e| e.email.to_lowercase());
    Ok(ProvidedIdentity {
        subject: user.id.to_string(),
        email_verified: email.is_some(),
        display: email.clone().unwrap_or_else(|| user.login.clone()),
        username_hint: user.login,
        email,
    })
}

async fn get<T: for<'de> Deserialize<'de>>(
    http: &reqwest::Client,
    url: &str,
    access: &str,
) -> Result<T, ProviderError> {
    let response = http
        .get(url)
        .bearer_auth(access)
        .header(reqwest::header::ACCEPT, "application/vnd.github+json")
        .send()
        .await
        .map_err(unavailable)?;
    if !response.status().is_success() {
        return Err(unavailable(format!("{url} answered {}", response.status())));
    }
    response.json().await.map_err(unavailable)
}
