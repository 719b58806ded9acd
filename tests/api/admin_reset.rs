//! `POST /admin/users/{id}/send-reset`: the account is emailed a link under the same rules
//! as the public form; the admin never sees it.

use crate::admin::{act, admin, id_of};
use crate::helpers::{TestApp, flashes, location};
use crate::password_reset::link_path;
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, users};
use gatehouse::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn an_admin_has_an_account_emailed_a_working_reset_link_and_is_told_so() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let ada = admin(&app, "ada").await;
    app.register("bob").await;
    let bob = id_of(&app, "bob");
    let response = act(&ada, bob, "send-reset", &[("return_to", "/admin?q=bo")]).await;
    assert_eq!(location(&response), "/admin?q=bo");
    let page = ada.get_html("/admin?q=bo").await;
    assert_eq!(flashes(&page, "success").len(), 1, "{page}");
    let message = &sink.wait_for(1).await[0];
    assert_eq!(message.to, ["bob@example.com"]);
    // The link is in the email only, never on the admin's page.
    let link = link_path(message);
    assert!(!page.contains(&link));
    let owner = app.browser();
    assert_eq!(owner.get(&link).await.status(), StatusCode::OK);
    let new_password = "a brand new passphrase";
    let fields = [("password", new_password), ("confirm_password", new_password)];
    assert_eq!(location(&owner.submit(&link, &link, &fields).await), "/login");
    assert_eq!(location(&owner.login("bob", new_password, false).await), "/dashboard");

    let (actor, target): (Option<i64>, Option<i64>) = audit_events::table
        .filter(audit_events::action.eq("password.reset_sent_by_admin"))
        .select((audit_events::actor_id, audit_events::target_id))
        .first(&mut app.db())
        .unwrap();
    assert_eq!((actor, target), (Some(id_of(&app, "ada")), Some(bob)));
}

#[tokio::test]
async fn a_second_request_within_a_minute_sends_nothing_and_says_so() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let ada = admin(&app, "ada").await;
    app.register("bob").await;
    let bob = id_of(&app, "bob");
    act(&ada, bob, "send-reset", &[]).await;
    sink.wait_for(1).await;
    let response = act(&ada, bob, "send-reset", &[]).await;
    assert_eq!(location(&response), "/admin");
    let page = ada.get_html("/admin").await;
    assert!(flashes(&page, "info").iter().any(|f| f.contains("less than a minute ago")), "{page}");
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_deactivated_account_gets_no_email_and_unknown_ids_get_404() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let ada = admin(&app, "ada").await;
    app.register("cyd").await;
    diesel::update(users::table.filter(users::username.eq("cyd")))
        .set(users::is_active.eq(false))
        .execute(&mut app.db())
        .unwrap();
    let response = act(&ada, id_of(&app, "cyd"), "send-reset", &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("deactivated"));
    assert_eq!(act(&ada, 987_654, "send-reset", &[]).await.status(), StatusCode::NOT_FOUND);
    let not_an_id = ada.submit("/admin", "/admin/users/not-an-id/send-reset", &[]).await;
    assert_eq!(not_an_id.status(), StatusCode::NOT_FOUND);
    // Nothing reaches the sink: wait as long as a delivery takes, then look.
    app.register("dee").await;
    act(&ada, id_of(&app, "dee"), "send-reset", &[]).await;
    let delivered = sink.wait_for(1).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].to, ["dee@example.com"]);
}

#[tokio::test]
async fn deactivating_an_account_kills_its_pending_reset_links() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let admin = app.logged_in("deact_admin").await;
    app.set_role("deact_admin", Role::Admin);
    app.register("deact_user").await;
    let link = crate::password_reset::reset_link(&app, &sink, "deact_user").await;
    let id = gatehouse::db::users::find_id_by_username(&mut app.db(), "deact_user").unwrap().unwrap();
    let toggle = format!("/admin/users/{id}/toggle-active");
    for _ in 0..2 {
        // Deactivated, then reactivated: the link from before must stay dead.
        assert_eq!(admin.submit("/admin", &toggle, &[]).await.status(), StatusCode::SEE_OTHER);
    }
    let reset = crate::password_reset::set_password(
        &app.browser(),
        &link,
        "new passphrase here",
        "new passphrase here",
    )
    .await;
    assert_ne!(reset.status(), StatusCode::SEE_OTHER, "a link from before the deactivation still worked");
    assert_eq!(
        location(&app.browser().login("deact_user", crate::helpers::PASSWORD, false).await),
        "/dashboard"
    );
}
