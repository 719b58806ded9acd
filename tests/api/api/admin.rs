//! The admin API: the panel's actions and safety rules over JSON, audited alike.

use super::{Api, error_code};
use crate::admin::{exists, id_of, is_active, roles_of};
use crate::helpers::TestApp;
use diesel::prelude::*;
use gatehouse::db::schema::audit_events;
use gatehouse::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An app with an admin `boss` (returning its access token) and an account `alice`.
async fn setup() -> (TestApp, Api, String) {
    let app = TestApp::spawn().await;
    app.register("boss").await;
    app.set_role("boss", Role::Admin);
    app.register("alice").await;
    let api = Api::new(&app);
    let token = api.pair("boss").await.access;
    (app, api, token)
}

#[tokio::test]
async fn non_admins_get_403_and_anonymous_401() {
    let (app, api, _) = setup().await;
    let alice = api.pair("alice").await.access;
    let id = id_of(&app, "boss");
    for path in ["/api/v1/admin/users".to_owned(), format!("/api/v1/admin/users/{id}")] {
        let response = api.get(&path, &alice).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(error_code(response).await, "forbidden");
        assert_eq!(api.client.get(api.url(&path)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        api.post(&format!("/api/v1/admin/users/{id}/deactivate"), &alice).await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(is_active(&app, "boss"));
}

#[tokio::test]
async fn lists_searches_and_shows_accounts() {
    let (app, api, token) = setup().await;
    let list: Value = api.get("/api/v1/admin/users?q=ALI", &token).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert!(list["per_page"].as_i64().unwrap() <= 50);
    assert_eq!(list["users"][0]["username"], "alice");
    assert_eq!(list["users"][0]["active"], true);
    let all: Value = api.get("/api/v1/admin/users", &token).await.json().await.unwrap();
    assert_eq!(all["users"][0]["username"], "alice", "newest first");
    let id = id_of(&app, "alice");
    let one: Value = api.get(&format!("/api/v1/admin/users/{id}"), &token).await.json().await.unwrap();
    assert_eq!(one["roles"], json!(["user"]));
    for missing in ["999999", "abc"] {
        let response = api.get(&format!("/api/v1/admin/users/{missing}"), &token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_code(response).await, "not_found");
    }
}

#[tokio::test]
async fn sets_roles_refusing_self_demotion_with_409_and_unknown_roles_with_422() {
    let (app, api, token) = setup().await;
    let alice = id_of(&app, "alice");
    let response = api
        .post_json(&format!("/api/v1/admin/users/{alice}/role"), Some(&token), &json!({ "role": "editor" }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["roles"], json!(["editor"]));
    assert_eq!(roles_of(&app, "alice"), [Role::Editor]);
    let unknown = api
        .post_json(&format!("/api/v1/admin/users/{alice}/role"), Some(&token), &json!({ "role": "god" }))
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["fields"]["role"].is_string(), "{body}");
    let boss = id_of(&app, "boss");
    let own = api
        .post_json(&format!("/api/v1/admin/users/{boss}/role"), Some(&token), &json!({ "role": "user" }))
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(own).await, "conflict");
    assert_eq!(roles_of(&app, "boss"), [Role::Admin]);
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("account.role_changed"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn deactivates_and_activates_idempotently_but_never_oneself() {
    let (app, api, token) = setup().await;
    let alice = id_of(&app, "alice");
    for _ in 0..2 {
        let response = api.post(&format!("/api/v1/admin/users/{alice}/deactivate"), &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap()["active"], false);
    }
    assert!(!is_active(&app, "alice"));
    let response = api.post(&format!("/api/v1/admin/users/{alice}/activate"), &token).await;
    assert_eq!(response.json::<Value>().await.unwrap()["active"], true);
    let boss = id_of(&app, "boss");
    let own = api.post(&format!("/api/v1/admin/users/{boss}/deactivate"), &token).await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    assert!(is_active(&app, "boss"));
}

#[tokio::test]
async fn revokes_sessions_and_deletes_but_not_oneself() {
    let (app, api, token) = setup().await;
    let alice = id_of(&app, "alice");
    let alices = api.pair("alice").await;
    let browser = app.browser();
    browser.login("alice", crate::helpers::PASSWORD, false).await;
    let alices_pat = super::personal_tokens::make(&browser, "script", "7", "full").await;
    let response = api.post(&format!("/api/v1/admin/users/{alice}/revoke-sessions"), &token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(api.me_status(&alices.access).await, StatusCode::UNAUTHORIZED);
    let boss = id_of(&app, "boss");
    let own = api
        .client
        .delete(api.url(&format!("/api/v1/admin/users/{boss}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CONFLICT);
    assert!(exists(&app, "boss"));
    let gone = api
        .client
        .delete(api.url(&format!("/api/v1/admin/users/{alice}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert!(!exists(&app, "alice"));
    assert_eq!(api.me_status(&alices_pat).await, StatusCode::UNAUTHORIZED, "deletion ends personal tokens");
    let again = api
        .client
        .delete(api.url(&format!("/api/v1/admin/users/{alice}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}
