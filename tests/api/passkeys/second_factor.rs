//! A passkey as the second step on `/login/2fa`: it finishes the pending sign-in, and a
//! refused one counts like a wrong code.

use super::*;
use crate::helpers::location;
use crate::two_factor::{account_with_2fa, password_step};

#[tokio::test]
async fn on_the_second_step_a_passkey_finishes_the_sign_in() {
    let app = spawn().await;
    let (setup, _, _) = account_with_2fa(&app, "sam").await;
    let mut key = add_passkey(&setup, "Laptop").await;
    let browser = password_step(&app, "sam").await;
    assert!(browser.get_html("/login/2fa").await.contains("Use a passkey instead"));
    let (status, options) = start_login(&browser, "/login/2fa").await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "only the account's own passkeys: {options}");
    let (status, done) = finish_login(&browser, "/login/2fa", key.authenticate(&options)).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["redirect"], "/dashboard");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    let response = browser.get("/login/2fa").await;
    assert_eq!(location(&response), "/login", "the pending sign-in is over");
}

#[tokio::test]
async fn a_refused_passkey_counts_as_a_wrong_code_and_five_end_the_sign_in() {
    let app = spawn().await;
    let (setup, _, _) = account_with_2fa(&app, "tess").await;
    let mut key = add_passkey(&setup, "Laptop").await;
    key.origin = "http://phish.example".into();
    let browser = password_step(&app, "tess").await;
    for _ in 0..4 {
        let (_, options) = start_login(&browser, "/login/2fa").await;
        let (status, error) = finish_login(&browser, "/login/2fa", key.authenticate(&options)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    }
    let (_, options) = start_login(&browser, "/login/2fa").await;
    let (status, error) = finish_login(&browser, "/login/2fa", key.authenticate(&options)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(error["redirect"], "/login");
    assert_eq!(location(&browser.get("/login/2fa").await), "/login");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_accounts_passkey_does_not_finish_this_sign_in() {
    let app = spawn().await;
    let (setup, _, _) = account_with_2fa(&app, "uma").await;
    add_passkey(&setup, "Laptop").await;
    let (_, mut stranger) = account_with_passkey(&app, "vic").await;
    let browser = password_step(&app, "uma").await;
    let (_, options) = start_login(&browser, "/login/2fa").await;
    let (status, _) = finish_login(&browser, "/login/2fa", stranger.authenticate(&options)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn without_a_pending_sign_in_or_a_passkey_the_second_step_does_not_start() {
    let app = spawn().await;
    let body = json!({ "second_factor": true });
    let (status, error) =
        answer(post_json(&app.browser(), "/login", "/webauthn/login/start", &body).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    account_with_2fa(&app, "walt").await;
    let browser = password_step(&app, "walt").await;
    assert!(!browser.get_html("/login/2fa").await.contains("Use a passkey instead"));
    let (status, error) = start_login(&browser, "/login/2fa").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
}
