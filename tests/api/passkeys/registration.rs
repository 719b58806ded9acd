//! Adding a passkey: confirmed by the current password, a discoverable credential with
//! user verification, refused when the answer is for another origin or relying party.

use super::*;
use crate::admin::id_of;
use crate::helpers::location;

#[tokio::test]
async fn a_registered_passkey_is_listed_with_its_name_and_audited() {
    let app = spawn().await;
    let (browser, _key) = account_with_passkey(&app, "pia").await;
    let html = browser.get_html("/account/passkeys").await;
    assert!(html.contains("<td data-label=\"Name\" class=\"passkey-name\">Laptop</td>"), "{html}");
    assert!(html.contains("Never"), "not used yet: {html}");
    assert!(html.contains("Passkey “Laptop” added."), "the success flash: {html}");
    assert_eq!(audited(&app, id_of(&app, "pia"), "passkey.added"), ["name: Laptop"]);
}

#[tokio::test]
async fn the_options_ask_for_a_discoverable_credential_with_user_verification_for_localhost() {
    let app = spawn().await;
    let browser = app.logged_in("opal").await;
    let (status, options) = start_registration(&browser, "Phone").await;
    assert_eq!(status, StatusCode::OK);
    let options = &options["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert!(options["challenge"].as_str().unwrap().len() >= 43, "a 32-byte random challenge");
}

#[tokio::test]
async fn a_wrong_password_is_422_and_counts_like_a_failed_login() {
    let app = TestApp::spawn_with(|s| {
        on_localhost(s);
        s.limits.login_account_ip =
            gatehouse::config::Policy { limit: 2, window: chrono::TimeDelta::minutes(15) };
    })
    .await;
    let browser = app.logged_in("wanda").await;
    let body = json!({ "name": "Phone", "current_password": "not my password" });
    for _ in 0..2 {
        let (status, error) =
            answer(post_json(&browser, "/account/passkeys", "/webauthn/register/start", &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error["fields"]["current_password"], "Your current password is not correct.");
    }
    let third = post_json(&browser, "/account/passkeys", "/webauthn/register/start", &body).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn without_the_csrf_header_or_logged_out_nothing_starts() {
    let app = spawn().await;
    let browser = app.logged_in("carl").await;
    let body = json!({ "name": "Phone", "current_password": PASSWORD });
    let bare = browser.client.post(browser.url("/webauthn/register/start")).json(&body).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(bare.json::<Value>().await.unwrap()["error"], "csrf_rejected");
    let forged = browser
        .client
        .post(browser.url("/webauthn/register/start"))
        .header("X-CSRF-Token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let anonymous = app.browser();
    let response = post_json(&anonymous, "/login", "/webauthn/register/start", &body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fwebauthn%2Fregister%2Fstart");
}

#[tokio::test]
async fn an_answer_for_another_origin_or_relying_party_is_refused_and_stores_nothing() {
    let app = spawn().await;
    let browser = app.logged_in("eve").await;
    let mut phished = SoftPasskey::new("http://localhost.evil.example");
    let mut elsewhere = SoftPasskey::new(ORIGIN);
    elsewhere.rp_id = Some("evil.example".into());
    let mut unverified = SoftPasskey::new(ORIGIN);
    unverified.verifies_user = false;
    for key in [&mut phished, &mut elsewhere, &mut unverified] {
        let (_, options) = start_registration(&browser, "Phone").await;
        let (status, error) = finish_registration(&browser, key.register(&options)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    }
    assert_eq!(passkeys_of(&app, id_of(&app, "eve")), 0);
}

#[tokio::test]
async fn a_registration_is_finished_once_and_a_credential_belongs_to_one_account() {
    let app = spawn().await;
    let browser = app.logged_in("rita").await;
    let mut key = SoftPasskey::new(ORIGIN);
    let (_, options) = start_registration(&browser, "Phone").await;
    let credential = key.register(&options);
    assert_eq!(finish_registration(&browser, credential.clone()).await.0, StatusCode::OK);
    let (status, error) = finish_registration(&browser, credential).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the challenge was spent: {error}");
    // Registered again on the same account: excluded by the options, refused.
    let (_, options) = start_registration(&browser, "Again").await;
    let excluded = options["publicKey"]["excludeCredentials"].as_array().unwrap().len();
    assert_eq!(excluded, 1, "{options}");
    assert_eq!(
        finish_registration(&browser, key.register(&options)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The same credential offered to another account: its id is taken.
    let other = app.logged_in("sue").await;
    let (_, options) = start_registration(&other, "Stolen").await;
    let (status, error) = finish_registration(&other, key.register(&options)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!((passkeys_of(&app, id_of(&app, "rita")), passkeys_of(&app, id_of(&app, "sue"))), (1, 0));
}

#[tokio::test]
async fn a_registration_started_in_one_browser_cannot_be_finished_in_another() {
    let app = spawn().await;
    let browser = app.logged_in("bob").await;
    let other = app.browser();
    assert_eq!(other.login("bob", PASSWORD, false).await.status(), StatusCode::SEE_OTHER);
    let mut key = SoftPasskey::new(ORIGIN);
    let (_, options) = start_registration(&browser, "Phone").await;
    let (status, _) = finish_registration(&other, key.register(&options)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(passkeys_of(&app, id_of(&app, "bob")), 0);
}
