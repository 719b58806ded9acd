//! The JSON API with 2FA on: the password alone gets `mfa_required`, and the code, once,
//! through `POST /api/v1/auth/mfa`, gets the token pair.

use super::{account_with_2fa, early_in_a_step};
use crate::api::Api;
use crate::helpers::{PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn mfa_token(api: &Api, username: &str) -> String {
    let response = api.login(username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert!(body.get("access_token").is_none());
    body["mfa_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_api_login_with_2fa_needs_the_code_once_and_never_takes_a_browsers_pending_sign_in() {
    let app = TestApp::spawn().await;
    let (_, phone, codes) = account_with_2fa(&app, "kaia").await;
    let api = Api::new(&app);
    let token = mfa_token(&api, "kaia").await;
    early_in_a_step().await;
    let code = phone.code(0);
    let wrong =
        api.post_json("/api/v1/auth/mfa", None, &json!({ "mfa_token": token, "code": "12345x" })).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_code");
    let done = api.post_json("/api/v1/auth/mfa", None, &json!({ "mfa_token": token, "code": code })).await;
    assert_eq!(done.status(), StatusCode::OK);
    let pair: Value = done.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(api.me_status(access).await, StatusCode::OK);
    // The token is used up, and the code too (on a fresh token).
    let again =
        api.post_json("/api/v1/auth/mfa", None, &json!({ "mfa_token": token, "code": codes[0] })).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let fresh = mfa_token(&api, "kaia").await;
    let replay = api.post_json("/api/v1/auth/mfa", None, &json!({ "mfa_token": fresh, "code": code })).await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    let recovery =
        api.post_json("/api/v1/auth/mfa", None, &json!({ "mfa_token": fresh, "code": codes[0] })).await;
    assert_eq!(recovery.status(), StatusCode::OK);
}
