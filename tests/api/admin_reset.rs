//! `accounts::password_reset::send_reset_by_admin`, called as the admin panel will call it:
//! the same link and limits as the public form, an outcome to report, an audit entry.

use crate::helpers::{MAIL_PUBLIC_URL, TestApp};
use crate::password_reset::link_path;
use diesel::prelude::*;
use gatehouse::accounts::ClientInfo;
use gatehouse::accounts::password_reset::{Issued, send_reset_by_admin};
use gatehouse::config::PublicUrl;
use gatehouse::db::schema::{audit_events, users};
use gatehouse::db::{DatabaseUrl, Db, build_pool};
use gatehouse::domain::UserId;
use gatehouse::mail::Outbox;
use reqwest::StatusCode;
use std::time::Duration;

fn id_of(app: &TestApp, username: &str) -> UserId {
    UserId(users::table.filter(users::username.eq(username)).select(users::id).first(&mut app.db()).unwrap())
}

#[tokio::test]
async fn an_admin_can_have_a_reset_link_emailed_under_the_same_rules() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("ada").await;
    app.register("bob").await;
    app.register("cyd").await;
    diesel::update(users::table.filter(users::username.eq("cyd")))
        .set(users::is_active.eq(false))
        .execute(&mut app.db())
        .unwrap();
    let db = Db::new(build_pool(&DatabaseUrl::parse(&app.database_url).unwrap(), 2, Duration::from_secs(3)));
    // Not the app's own handle: its worker finds the message at its next poll.
    let outbox = Outbox::new(PublicUrl::parse(MAIL_PUBLIC_URL).unwrap());
    let (admin, bob) = (id_of(&app, "ada"), id_of(&app, "bob"));
    let send = |target| send_reset_by_admin(&db, &outbox, admin, target, ClientInfo::default());

    assert_eq!(send(bob).await.unwrap(), Issued::Sent);
    let message = &sink.wait_for(1).await[0];
    assert_eq!(message.to, ["bob@example.com"]);
    assert_eq!(app.browser.get(&link_path(message)).await.status(), StatusCode::OK);
    assert_eq!(send(bob).await.unwrap(), Issued::TooSoon);
    assert_eq!(send(id_of(&app, "cyd")).await.unwrap(), Issued::Inactive);
    assert_eq!(send(UserId(987_654)).await.unwrap(), Issued::NoSuchAccount);

    let audited: Vec<(Option<i64>, Option<i64>)> = audit_events::table
        .filter(audit_events::action.eq("password.reset_sent_by_admin"))
        .order(audit_events::id.asc())
        .select((audit_events::actor_id, audit_events::target_id))
        .load(&mut app.db())
        .unwrap();
    assert_eq!(audited.len(), 3, "one entry per existing account asked for");
    assert!(audited.iter().all(|(actor, _)| *actor == Some(admin.0)));
    assert_eq!(audited[0].1, Some(bob.0));
}
