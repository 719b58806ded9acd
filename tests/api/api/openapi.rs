//! The OpenAPI document: 3.1, with the bearer scheme, and exactly the routes served.

use super::Api;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;

const ROUTES: [(&str, &str); 13] = [
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/mfa"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/users/{id}"),
    ("post", "/api/v1/admin/users/{id}/role"),
    ("post", "/api/v1/admin/users/{id}/deactivate"),
    ("post", "/api/v1/admin/users/{id}/activate"),
    ("post", "/api/v1/admin/users/{id}/revoke-sessions"),
    ("delete", "/api/v1/admin/users/{id}"),
    ("get", "/api/v1/openapi.json"),
];

#[tokio::test]
async fn the_document_lists_exactly_the_routes_that_answer() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let doc: Value =
        api.client.get(api.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut listed = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            listed.insert((method.clone(), path.clone()));
            let responses = operation["responses"].as_object().unwrap();
            if operation.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path}");
                // A read-only personal token is refused on anything but GET.
                assert!(method == "get" || responses.contains_key("403"), "{method} {path}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
            }
        }
    }
    let expected: BTreeSet<_> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(listed, expected);
    // Each listed route is served: anonymous, it answers with an API error, never a 404.
    for (method, path) in &listed {
        let url = api.url(&path.replace("{id}", "1"));
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response =
            api.client.request(method.clone(), url).json(&serde_json::json!({})).send().await.unwrap();
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert!(response.status() != StatusCode::METHOD_NOT_ALLOWED && !response.status().is_server_error());
    }
    // And an unlisted one is not.
    let unknown = api.client.get(api.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "not_found");
}

#[tokio::test]
async fn a_rotated_key_signs_new_tokens_while_the_old_one_still_verifies() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let api = Api::new(&app);
    let old = api.pair("alice").await;
    let second = TestApp::spawn_on(&app.database_url, |_| {}).await;
    let keys = |base: String| async move {
        let jwks: Value =
            reqwest::get(format!("{base}/.well-known/jwks.json")).await.unwrap().json().await.unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(app.base.clone()).await, keys(second.base.clone()).await, "instances share the key");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("rotate-signing-key")
        .env("DATABASE_URL", &app.database_url)
        .env("SECRET_KEY", super::TEST_SECRET)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(crate::cli::text(&output.stdout).contains("new signing key"));
    assert!(output.status.success(), "{}", crate::cli::text(&output.stderr));
    let new = api.pair("alice").await;
    let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_ne!(kid(&new.access), kid(&old.access));
    assert_eq!(api.me_status(&old.access).await, StatusCode::OK);
    assert_eq!(api.me_status(&new.access).await, StatusCode::OK);
    let published = keys(app.base.clone()).await;
    assert!(published.contains(&kid(&old.access)) && published.contains(&kid(&new.access)));
}

#[tokio::test]
async fn instances_starting_together_on_a_new_database_make_one_signing_key() {
    use diesel::prelude::*;
    use gatehouse::db::schema::signing_keys;
    let url = crate::support::postgres::new_test_database();
    let (a, b, c) = tokio::join!(
        TestApp::spawn_on(&url, |_| {}),
        TestApp::spawn_on(&url, |_| {}),
        TestApp::spawn_on(&url, |_| {})
    );
    let count: i64 = signing_keys::table.count().get_result(&mut a.db()).unwrap();
    assert_eq!(count, 1);
    let jwks = |app: &TestApp| reqwest::get(format!("{}/.well-known/jwks.json", app.base));
    let first: Value = jwks(&b).await.unwrap().json().await.unwrap();
    let second: Value = jwks(&c).await.unwrap().json().await.unwrap();
    assert_eq!(first, second);
}
