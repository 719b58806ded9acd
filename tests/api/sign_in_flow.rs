//! Provider sign-in, the protocol: state (single use, this browser's), PKCE S256, nonce,
//! and every ID-token check, against the mock provider on loopback.

use crate::helpers::{Browser, TestApp, flashes, location};
use crate::support::mock_idp::{CLIENT_ID, CLIENT_SECRET, MockIdp};
use diesel::prelude::*;
use gatehouse::config::{ProviderKind, ProviderSettings};
use gatehouse::db::schema::{identities, sessions, users};
use reqwest::{Response, StatusCode};
use secrecy::SecretString;

pub fn provider(name: &str, kind: ProviderKind, trust_email: bool) -> ProviderSettings {
    ProviderSettings {
        name: name.into(),
        kind,
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        label: format!("{name} Label"),
        trust_email,
    }
}

/// An app with `mock` (OIDC) and `gh` (GitHub) both served by `idp`.
pub async fn app_with(idp: &MockIdp, trust_email: bool) -> TestApp {
    TestApp::spawn_with(|s| s.auth_providers = providers(idp, trust_email)).await
}

/// `mock` (OIDC) and `gh` (GitHub), both served by `idp`.
pub fn providers(idp: &MockIdp, trust_email: bool) -> Vec<ProviderSettings> {
    let base = idp.base.clone();
    vec![
        provider("mock", ProviderKind::Oidc { issuer: base.clone() }, trust_email),
        provider("gh", ProviderKind::Github { web: base.clone(), api: base }, trust_email),
    ]
}

/// Presses "Continue with" on `page`, lets the mock answer, and returns the app's
/// answer to the callback, with the callback's path for replays.
pub async fn sign_in(
    browser: &Browser,
    name: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> (Response, String) {
    let start = browser.submit(page, &format!("/auth/{name}"), fields).await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let callback = provider_redirect(&location(&start)).await;
    (browser.get(&callback).await, callback)
}

/// Follows the provider's authorize URL; returns the app path it sends the browser back to.
pub async fn provider_redirect(authorize: &str) -> String {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = client.get(authorize).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    // The app's PUBLIC_URL, whatever the test set it to; the browser is told the path.
    let back = reqwest::Url::parse(&location(&answer)).unwrap();
    format!("{}?{}", back.path(), back.query().unwrap_or_default())
}

fn count_identities(app: &TestApp) -> i64 {
    identities::table.count().get_result(&mut app.db()).unwrap()
}

fn count_sessions(app: &TestApp) -> i64 {
    sessions::table.count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn the_authorization_request_carries_state_pkce_s256_nonce_and_the_exact_redirect_uri() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let start = app.browser.submit("/login", "/auth/mock", &[]).await;
    assert!(location(&start).starts_with(&format!("{}/authorize?", idp.base)));
    provider_redirect(&location(&start)).await;
    let query = idp.last_authorize();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["redirect_uri"], "http://127.0.0.1/auth/mock/callback");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert!(query["state"].len() >= 16 && query["nonce"].len() >= 16 && query["code_challenge"].len() == 43);
    assert!(query["scope"].contains("openid"));
    // The answer comes back as a query on a top-level GET, never a cross-site form_post.
    assert!(!query.contains_key("response_mode"));
    let gh = app.browser.submit("/login", "/auth/gh", &[]).await;
    provider_redirect(&location(&gh)).await;
    let query = idp.last_authorize();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["scope"], "read:user user:email");
}

#[tokio::test]
async fn an_unknown_provider_is_404_and_the_buttons_show_on_login_and_register() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    assert_eq!(app.browser.submit("/login", "/auth/nope", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.browser.get("/auth/nope/callback?state=x&code=y").await.status(), StatusCode::NOT_FOUND);
    for page in ["/login", "/register"] {
        let html = app.browser.get_html(page).await;
        assert!(
            html.contains("action=\"/auth/mock\"") && html.contains("Continue with mock Label"),
            "{page}"
        );
        assert!(html.contains("Continue with gh Label"), "{page}");
    }
    // Browsers hold the redirect after a form's submission to `form-action` too.
    let csp =
        app.browser.get("/login").await.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("form-action 'self' {};", idp.base)), "{csp}");
    // Without CSRF: refused, nothing pending.
    assert_eq!(app.browser.post_form("/auth/mock", &[]).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_state_is_single_use_and_bound_to_the_browser_that_started() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let start = app.browser.submit("/login", "/auth/mock", &[]).await;
    let callback = provider_redirect(&location(&start)).await;
    // Another browser presenting this browser's callback: refused, and it uses nothing up.
    let thief = app.browser();
    thief.get("/login").await;
    assert_eq!(thief.get(&callback).await.status(), StatusCode::BAD_REQUEST);
    let first = app.browser.get(&callback).await;
    assert_eq!(location(&first), "/auth/complete");
    let replay = app.browser.get(&callback).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("Sign-in failed"));
    let forged = app.browser.get("/auth/mock/callback?state=forged&code=x").await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.browser.get("/auth/mock/callback").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_id_token_with_a_wrong_nonce_iss_aud_signature_expiry_or_algorithm_is_refused_with_400() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    type Switch = fn(&mut crate::support::mock_idp::Behaviour);
    let switches: [(&str, Switch); 7] = [
        ("nonce", |b| b.wrong_nonce = true),
        ("iss", |b| b.wrong_iss = true),
        ("aud", |b| b.wrong_aud = true),
        ("signature", |b| b.bad_signature = true),
        ("expiry", |b| b.expired = true),
        // Listed by the discovery document, but signed with the client secret.
        ("HS256", |b| b.hs256 = true),
        ("alg none", |b| b.alg_none = true),
    ];
    for (what, switch) in switches {
        idp.set(|b| *b = Default::default());
        idp.set(switch);
        let browser = app.browser();
        let (response, _) = sign_in(&browser, "mock", "/login", &[]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
        assert!(browser.get("/auth/complete").await.status() == StatusCode::BAD_REQUEST, "{what}");
    }
    assert_eq!((count_identities(&app), count_sessions(&app)), (0, 0));
    let users: i64 = users::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_and_then_verifies() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let (first, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&first), "/auth/complete");
    let fetched = idp.jwks_fetches();
    idp.set(|b| b.new_key = true);
    let (rotated, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&rotated), "/auth/complete");
    assert_eq!(idp.jwks_fetches(), fetched + 1);
    // The new key is cached now: no further fetch.
    sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(idp.jwks_fetches(), fetched + 1);
}

#[tokio::test]
async fn a_declined_consent_goes_back_to_login_with_an_error_flash() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    idp.set(|b| b.decline = true);
    let (response, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/login");
    let html = app.browser.get_html("/login").await;
    assert_eq!(flashes(&html, "error"), ["Signing in with mock Label was cancelled."]);
    assert_eq!(count_sessions(&app), 0);
}

#[tokio::test]
async fn the_code_exchange_sends_the_pkce_verifier_the_mock_checks() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let (ok, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&ok), "/auth/complete");
    assert_eq!(idp.token_refusals(), 0);
}

#[tokio::test]
async fn the_buttons_on_login_carry_next_on_to_the_provider_sign_in() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let (first, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&first), "/auth/complete");
    app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    let browser = app.browser();
    let page = browser.get_html("/login?next=%2Faccount%2Fsessions").await;
    let form = &page[page.find("action=\"/auth/mock\"").unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    let next = crate::helpers::hidden_value(form, "next");
    assert_eq!(next.as_deref(), Some("/account/sessions"), "{form}");
    let (response, _) = sign_in(&browser, "mock", "/login", &[("next", next.as_deref().unwrap())]).await;
    assert_eq!(location(&response), "/account/sessions");
}
