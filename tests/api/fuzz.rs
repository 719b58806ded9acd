//! Arbitrary bodies against every form endpoint: always a 4xx (or the form again), never a
//! 5xx, and nothing created.

use crate::helpers::TestApp;
use diesel::prelude::*;
use gatehouse::db::schema::users;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Bodies a browser, a script or an attacker might send: random bytes, or url-encoded
/// fields with random names and values, with or without the right CSRF token.
fn bodies(token: String) -> impl Strategy<Value = (String, Vec<u8>)> {
    let content_type = prop_oneof![
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("application/x-www-form-urlencoded; charset=utf-8".to_owned()),
        Just("multipart/form-data; boundary=x".to_owned()),
        Just("text/plain".to_owned()),
        "[ -~]{0,40}",
    ];
    let field = prop_oneof![
        Just("username".to_owned()),
        Just("email".to_owned()),
        Just("password".to_owned()),
        Just("confirm_password".to_owned()),
        Just("remember".to_owned()),
        Just("next".to_owned()),
        "\\PC{0,8}",
    ];
    let encoded = proptest::collection::vec((field, "\\PC{0,80}"), 0..8).prop_map(move |mut fields| {
        fields.push(("csrf_token".to_owned(), token.clone()));
        serde_urlencoded::to_string(&fields).unwrap_or_default().into_bytes()
    });
    let raw = proptest::collection::vec(any::<u8>(), 0..600);
    (content_type, prop_oneof![encoded, raw])
}

#[tokio::test]
async fn arbitrary_form_posts_never_get_a_server_error() {
    let app = TestApp::spawn().await;
    let token = app.browser.csrf_token("/register").await;
    let mut runner = TestRunner::deterministic();
    let strategy = bodies(token);
    for case in 0..150 {
        let (content_type, body) = strategy.new_tree(&mut runner).unwrap().current();
        let path = ["/register", "/login", "/logout"][case % 3];
        let response = app
            .browser
            .client
            .post(app.browser.url(path))
            .header("content-type", content_type.as_str())
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(
            !status.is_server_error(),
            "{path} answered {status} to {content_type:?} {:?}",
            String::from_utf8_lossy(&body)
        );
    }
    assert_eq!(users::table.count().get_result::<i64>(&mut app.db()).unwrap(), 0);
}
