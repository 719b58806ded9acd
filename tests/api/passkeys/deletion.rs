//! Deleting a passkey (the current password; 404 for another account's; never the last
//! way in), the provider side of that rule, and recovery of a passkey-only account.

use super::*;
use crate::admin::id_of;
use crate::helpers::{location, mail_to};
use crate::sign_in_flow::provider;
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use gatehouse::config::ProviderKind;
use gatehouse::db::schema::{passkeys, users};

fn passkey_ids(app: &TestApp, user: i64) -> Vec<i64> {
    passkeys::table.filter(passkeys::user_id.eq(user)).select(passkeys::id).load(&mut app.db()).unwrap()
}

async fn delete(browser: &Browser, id: i64, password: &str) -> reqwest::Response {
    let path = format!("/account/passkeys/{id}/delete");
    browser.submit("/account/passkeys", &path, &[("current_password", password)]).await
}

fn drop_password(app: &TestApp, user: i64) {
    let no_hash: Option<String> = None;
    diesel::update(users::table.find(user))
        .set(users::password_hash.eq(no_hash))
        .execute(&mut app.db())
        .unwrap();
}

#[tokio::test]
async fn a_passkey_is_deleted_with_the_password_and_only_by_its_owner() {
    let app = spawn().await;
    let (browser, _) = account_with_passkey(&app, "owner").await;
    let (thief, _) = account_with_passkey(&app, "thief").await;
    let id = passkey_ids(&app, id_of(&app, "owner"))[0];
    assert_eq!(delete(&thief, id, PASSWORD).await.status(), StatusCode::NOT_FOUND);
    let wrong = delete(&browser, id, "not my password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await.unwrap().contains("Your current password is not correct."));
    assert_eq!(passkeys_of(&app, id_of(&app, "owner")), 1);
    let done = delete(&browser, id, PASSWORD).await;
    assert_eq!(location(&done), "/account/passkeys");
    assert_eq!(passkeys_of(&app, id_of(&app, "owner")), 0);
    assert_eq!(audited(&app, id_of(&app, "owner"), "passkey.deleted"), ["name: Laptop"]);
    assert_eq!(delete(&browser, id, PASSWORD).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_last_passkey_of_an_account_with_no_password_or_provider_stays() {
    let app = spawn().await;
    let (browser, mut key) = account_with_passkey(&app, "solo").await;
    let user = id_of(&app, "solo");
    add_passkey(&browser, "Phone").await;
    drop_password(&app, user);
    // No password now: a fresh passkey sign-in confirms instead.
    let fresh = app.browser();
    assert_eq!(log_in_with(&fresh, &mut key).await.0, StatusCode::OK);
    let ids = passkey_ids(&app, user);
    assert_eq!(location(&delete(&fresh, ids[1], "").await), "/account/passkeys");
    let refused = delete(&fresh, ids[0], "").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("last way to log in"));
    assert_eq!(passkeys_of(&app, user), 1);
}

/// A provider sign-in on an app whose PUBLIC_URL is localhost: the callback's path.
async fn provider_sign_in(browser: &Browser, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let start = browser.submit(page, "/auth/mock", fields).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = location(&client.get(location(&start)).send().await.unwrap());
    browser.get(back.strip_prefix(ORIGIN).unwrap()).await
}

#[tokio::test]
async fn a_provider_may_go_while_a_passkey_remains_and_then_the_passkey_may_not() {
    let idp = MockIdp::start().await;
    let issuer = idp.base.clone();
    let app = TestApp::spawn_with(move |s| {
        on_localhost(s);
        s.auth_providers = vec![provider("mock", ProviderKind::Oidc { issuer }, false)];
    })
    .await;
    let browser = app.browser();
    assert_eq!(location(&provider_sign_in(&browser, "/login", &[]).await), "/auth/complete");
    let done = browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(location(&done), "/dashboard");
    // No password: the sign-in just made confirms the new passkey.
    let mut key = SoftPasskey::new(ORIGIN);
    add(&browser, "Laptop", &mut key).await;
    let gone = browser.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(location(&gone), "/account/connections", "a passkey remains");
    let user = id_of(&app, "ada");
    let refused = delete(&browser, passkey_ids(&app, user)[0], "").await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(log_in_with(&app.browser(), &mut key).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_passkey_only_account_recovers_by_a_reset_link_and_sets_a_password() {
    let sink = crate::support::smtp::SmtpSink::start().await;
    let app = TestApp::spawn_with(|s| {
        mail_to(&sink)(s);
        on_localhost(s);
    })
    .await;
    let (_, mut key) = account_with_passkey(&app, "lost").await;
    drop_password(&app, id_of(&app, "lost"));
    crate::password_reset::ask_for_reset(&app, "lost@example.com").await;
    let messages = sink.wait_for(1).await;
    let link = messages[0].link(&format!("{ORIGIN}/password-reset/"));
    let path = link.strip_prefix(ORIGIN).unwrap();
    let new_password = "a brand new passphrase";
    let set = crate::password_reset::set_password(&app.browser(), path, new_password, new_password).await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&app.browser().login("lost", new_password, false).await), "/dashboard");
    assert_eq!(log_in_with(&app.browser(), &mut key).await.0, StatusCode::OK, "the passkey still works");
}
