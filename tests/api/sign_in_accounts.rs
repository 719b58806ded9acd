//! Provider sign-in, the accounts: sign-up on /auth/complete, known identities, the
//! existing-email rule (and TRUST_EMAIL), deactivation, connect, disconnect, GitHub.

use crate::helpers::{TestApp, flashes, location};
use crate::sign_in_flow::{app_with, sign_in};
use crate::support::mock_idp::MockIdp;
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, identities, sessions, users};
use reqwest::StatusCode;

macro_rules! count {
    ($app:expr, $table:expr) => {
        $table.count().get_result::<i64>(&mut $app.db()).unwrap()
    };
}

/// Signs up through `mock` as the mock's current person, choosing `username`.
async fn sign_up(app: &TestApp, username: &str) -> crate::helpers::Browser {
    let browser = app.browser();
    let (response, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/auth/complete");
    let done = browser.submit("/auth/complete", "/auth/complete", &[("username", username)]).await;
    assert_eq!(location(&done), "/dashboard");
    browser
}

#[tokio::test]
async fn a_new_identity_confirms_a_username_and_gets_a_verified_account_without_a_password() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let (response, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/auth/complete");
    let form = app.browser.get_html("/auth/complete").await;
    assert!(form.contains("value=\"ada\"") && form.contains("ada@example.com"), "{form}");
    let bad = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "a")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count!(app, users::table), 0);
    let done = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada_l")]).await;
    assert_eq!(location(&done), "/dashboard");
    assert_eq!(app.browser.get("/dashboard").await.status(), StatusCode::OK);
    let (hash, verified): (Option<String>, Option<chrono::NaiveDateTime>) =
        users::table.select((users::password_hash, users::email_verified_at)).first(&mut app.db()).unwrap();
    assert!(hash.is_none() && verified.is_some());
    assert_eq!(count!(app, identities::table), 1);
    // The sign-up is used up.
    assert_eq!(app.browser().get("/auth/complete").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_unverified_provider_email_makes_an_unverified_account_and_a_taken_username_is_422() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    app.register("ada").await;
    idp.set(|b| {
        b.email = "lovelace@example.com".into();
        b.email_verified = false;
    });
    let browser = app.browser();
    sign_in(&browser, "mock", "/login", &[]).await;
    let taken = browser.submit("/auth/complete", "/auth/complete", &[("username", "ADA")]).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.unwrap().contains("That username is already taken."));
    let done = browser.submit("/auth/complete", "/auth/complete", &[("username", "lovelace")]).await;
    assert_eq!(location(&done), "/dashboard");
    let verified: Option<chrono::NaiveDateTime> = users::table
        .filter(users::username.eq("lovelace"))
        .select(users::email_verified_at)
        .first(&mut app.db())
        .unwrap();
    assert!(verified.is_none());
}

#[tokio::test]
async fn a_known_identity_logs_in_through_the_audited_session_path_to_next() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    sign_up(&app, "ada").await;
    let browser = app.browser();
    let (response, _) = sign_in(&browser, "mock", "/login", &[("next", "/account/sessions")]).await;
    assert_eq!(location(&response), "/account/sessions");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
    let logins: i64 = audit_events::table
        .filter(audit_events::action.eq("login.succeeded"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(logins, 2);
    assert_eq!(count!(app, sessions::table), 2);
}

#[tokio::test]
async fn a_deactivated_account_gets_no_session() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    sign_up(&app, "ada").await;
    diesel::update(users::table).set(users::is_active.eq(false)).execute(&mut app.db()).unwrap();
    let before = count!(app, sessions::table);
    let browser = app.browser();
    let (response, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/login");
    assert_eq!(flashes(&browser.get_html("/login").await, "error"), ["This account has been deactivated."]);
    assert_eq!(count!(app, sessions::table), before);
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn an_existing_email_is_never_linked_silently() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    app.register("ada").await; // ada@example.com, the mock's address
    let browser = app.browser();
    let (response, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/login");
    let flash = flashes(&browser.get_html("/login").await, "error").join(" ");
    assert!(flash.contains("Log in with your password, then connect mock Label"), "{flash}");
    assert_eq!((count!(app, identities::table), count!(app, sessions::table)), (0, 0));
}

#[tokio::test]
async fn trust_email_links_only_when_both_addresses_are_verified() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, true).await;
    app.register("ada").await;
    diesel::update(users::table)
        .set(users::email_verified_at.eq(None::<chrono::NaiveDateTime>))
        .execute(&mut app.db())
        .unwrap();
    let (unverified, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&unverified), "/login");
    assert_eq!(count!(app, identities::table), 0);
    diesel::update(users::table)
        .set(users::email_verified_at.eq(gatehouse::db::now()))
        .execute(&mut app.db())
        .unwrap();
    idp.set(|b| b.email_verified = false);
    let (provider_unverified, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&provider_unverified), "/login");
    assert_eq!(count!(app, identities::table), 0);
    idp.set(|b| b.email_verified = true);
    let browser = app.browser();
    let (both, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&both), "/dashboard");
    assert_eq!(count!(app, identities::table), 1);
}

#[tokio::test]
async fn a_logged_in_user_connects_and_an_identity_of_another_account_is_409() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let browser = app.logged_in("grace").await;
    let (linked, _) = sign_in(&browser, "mock", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&linked), "/account/connections");
    let page = browser.get_html("/account/connections").await;
    assert!(page.contains("connected as ada@example.com") && page.contains("Connect gh Label"), "{page}");
    let other = app.logged_in("heidi").await;
    let (conflict, _) = sign_in(&other, "mock", "/account/connections", &[("link", "1")]).await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    let owner: String =
        identities::table.inner_join(users::table).select(users::username).first(&mut app.db()).unwrap();
    assert_eq!((owner.as_str(), count!(app, identities::table)), ("grace", 1));
}

#[tokio::test]
async fn the_last_way_to_log_in_cannot_be_disconnected_but_one_of_two_can() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let browser = sign_up(&app, "ada").await;
    let refused = browser.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert_eq!(count!(app, identities::table), 1);
    idp.set(|b| b.subject = "4242".into());
    let (gh, _) = sign_in(&browser, "gh", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&gh), "/account/connections");
    let done = browser.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(location(&done), "/account/connections");
    assert_eq!(count!(app, identities::table), 1);
    let not_linked =
        browser.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(not_linked.status(), StatusCode::NOT_FOUND);
    // With a password, the last provider may go.
    let with_password = app.logged_in("grace").await;
    idp.set(|b| b.subject = "4343".into());
    sign_in(&with_password, "gh", "/account/connections", &[("link", "1")]).await;
    let ok = with_password.submit("/account/connections", "/account/connections/gh/disconnect", &[]).await;
    assert_eq!(location(&ok), "/account/connections");
}

#[tokio::test]
async fn github_uses_the_numeric_id_and_the_primary_verified_email() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    idp.set(|b| {
        b.subject = "4242".into();
        b.username = "octocat".into();
        b.email = "Octo@Example.com".into();
    });
    let browser = app.browser();
    let (response, _) = sign_in(&browser, "gh", "/register", &[]).await;
    assert_eq!(location(&response), "/auth/complete");
    assert!(browser.get_html("/auth/complete").await.contains("value=\"octocat\""));
    browser.submit("/auth/complete", "/auth/complete", &[("username", "octocat")]).await;
    let (subject, email): (String, String) =
        identities::table.select((identities::subject, identities::email)).first(&mut app.db()).unwrap();
    assert_eq!((subject.as_str(), email.as_str()), ("4242", "octo@example.com"));
    // Renamed on GitHub: still the same account.
    idp.set(|b| b.username = "renamed".into());
    let (again, _) = sign_in(&app.browser(), "gh", "/login", &[]).await;
    assert_eq!(location(&again), "/dashboard");
    // No primary verified address: no account.
    idp.set(|b| {
        b.subject = "5555".into();
        b.email_verified = false;
    });
    let stranger = app.browser();
    let (no_email, _) = sign_in(&stranger, "gh", "/login", &[]).await;
    assert_eq!(location(&no_email), "/login");
    assert_eq!(count!(app, users::table), 1);
}

#[tokio::test]
async fn a_provider_sign_in_still_asks_for_the_second_factor() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let owner = app.logged_in("ivy").await;
    let (phone, _) = crate::two_factor::enable(&owner).await;
    let (linked, _) = sign_in(&owner, "mock", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&linked), "/account/connections");
    let before = count!(app, sessions::table);

    let browser = app.browser();
    let (response, _) = sign_in(&browser, "mock", "/login", &[]).await;
    assert_eq!(location(&response), "/login/2fa", "the provider stood in for the password only");
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(count!(app, sessions::table), before, "no session before the code");
    let done = crate::two_factor::send_code(&browser, &phone.code(0)).await;
    assert_eq!(location(&done), "/dashboard");
    assert_eq!(browser.get("/dashboard").await.status(), StatusCode::OK);
}
