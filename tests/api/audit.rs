//! The audit log: what is recorded, `/admin/audit` and its filter, and that entries can
//! be neither changed nor deleted.

use crate::admin::{act, admin, id_of};
use crate::cli::{gatehouse, text};
use crate::helpers::{PASSWORD, TestApp};
use diesel::prelude::*;
use gatehouse::db::audit::{AuditRow, NewAuditEvent};
use gatehouse::db::schema::users;
use gatehouse::domain::UserId;
use reqwest::StatusCode;

/// `(action, details)` of the entries naming the account, oldest first.
fn entries_about(app: &TestApp, name: &str) -> Vec<(String, String)> {
    let rows = rows_about(app, UserId(id_of(app, name)));
    rows.into_iter().rev().map(|r| (r.action, r.details)).collect()
}

fn rows_about(app: &TestApp, id: UserId) -> Vec<AuditRow> {
    gatehouse::db::audit::page(&mut app.db(), Some(id), 0, 1000).unwrap()
}

fn pair(action: &str, details: &str) -> (String, String) {
    (action.to_owned(), details.to_owned())
}

#[tokio::test]
async fn every_admin_action_is_recorded_with_the_values_before_and_after() {
    let app = TestApp::spawn().await;
    let _target = app.logged_in("tess").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "tess");
    act(&boss, id, "role", &[("role", "editor")]).await;
    act(&boss, id, "toggle-active", &[]).await;
    act(&boss, id, "toggle-active", &[]).await;
    act(&boss, id, "revoke-sessions", &[]).await;
    let recorded = entries_about(&app, "tess");
    let expected = [
        pair("account.role_changed", "role: user -> editor"),
        pair("account.deactivated", "active: true -> false; 1 session ended"),
        pair("account.reactivated", "active: false -> true"),
        pair("session.revoked_all", "0 sessions ended"),
    ];
    assert_eq!(recorded[recorded.len() - 4..], expected);
    let boss_id = id_of(&app, "boss");
    for row in &rows_about(&app, UserId(id))[..4] {
        assert_eq!((row.actor_id, row.target_id), (Some(boss_id), Some(id)), "{}", row.action);
        assert_eq!(row.subject, "tess");
        assert_eq!(row.ip, "127.0.0.1");
    }
    act(&boss, id, "delete", &[("confirm", "tess")]).await;
    let deleted = &rows_about(&app, UserId(id))[0];
    assert_eq!((deleted.action.as_str(), deleted.subject.as_str()), ("account.deleted", "tess"));
    assert_eq!(deleted.details, "email: tess@example.com; roles: editor");
    // The entries outlive the account, which the log then names by its id.
    let html = boss.get_html(&format!("/admin/audit?user={id}")).await;
    assert!(html.contains(&format!(">#{id}</a>")) && html.contains("<code>account.deleted</code>"));
}

#[tokio::test]
async fn the_audit_log_filter_shows_the_accounts_failed_logins() {
    let app = TestApp::spawn().await;
    app.register("fiona").await;
    app.register("gus").await;
    let boss = admin(&app, "boss").await;
    app.browser.login("fiona", "not her password", false).await;
    let fiona = boss.get_html(&format!("/admin/audit?user={}", id_of(&app, "fiona"))).await;
    // In a row, not the action filter's list of every action.
    let failed = "<code>login.failed</code>";
    assert!(fiona.contains(failed) && fiona.contains("wrong password or unknown user"), "{fiona}");
    assert!(fiona.contains("Entries about <strong>fiona</strong>"));
    let gus = boss.get_html(&format!("/admin/audit?user={}", id_of(&app, "gus"))).await;
    assert!(!gus.contains(failed));
    assert!(boss.get_html("/admin/audit").await.contains(failed));
}

#[tokio::test]
async fn a_failed_login_for_an_unknown_name_is_recorded_and_creates_no_account() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let count = || -> i64 { users::table.count().get_result(&mut app.db()).unwrap() };
    let before = count();
    app.browser.login("ghost_user", PASSWORD, false).await;
    assert_eq!(count(), before);
    let html = boss.get_html("/admin/audit").await;
    assert!(html.contains("<td class=\"subject\" data-label=\"Subject\">ghost_user</td>"), "{html}");
}

#[tokio::test]
async fn logging_out_is_recorded() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("lou").await;
    browser.logout().await;
    let actions: Vec<String> = entries_about(&app, "lou").into_iter().map(|(a, _)| a).collect();
    assert_eq!(actions, ["account.created", "login.succeeded", "session.logout"]);
}

#[tokio::test]
async fn the_audit_log_is_shown_50_entries_a_page_newest_first() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let mut conn = app.db();
    for n in 0..60 {
        let subject = format!("entry-{n:02}");
        let event = NewAuditEvent {
            created_at: chrono::Utc::now().naive_utc(),
            action: "test.event",
            actor_id: None,
            target_id: None,
            subject: &subject,
            details: "",
            ip: "",
            user_agent: "",
        };
        gatehouse::db::audit::insert(&mut conn, &event).unwrap();
    }
    let first = boss.get_html("/admin/audit").await;
    assert_eq!(first.matches("<td class=\"time\" data-label=\"Time\">").count(), 50);
    assert!(first.find("entry-59").unwrap() < first.find("entry-58").unwrap());
    assert!(first.contains("Page 1 of 2") && first.contains("href=\"/admin/audit?page=2\""));
    let second = boss.get_html("/admin/audit?page=2").await;
    assert!(second.contains("Page 2 of 2") && second.contains("entry-00"));
    for bad in ["abc", "0", "-3", "1.5"] {
        let response = boss.get(&format!("/admin/audit?user={bad}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

fn assert_append_only(conn: &mut gatehouse::db::Conn) {
    let update = diesel::sql_query("UPDATE audit_events SET details = 'rewritten'").execute(conn);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(conn);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn audit_entries_can_be_neither_changed_nor_deleted() {
    for app in [TestApp::spawn().await, TestApp::spawn_sqlite().await] {
        app.register("someone").await;
        let mut conn = app.db();
        assert_append_only(&mut conn);
        assert!(!entries_about(&app, "someone").is_empty());
    }
}

#[tokio::test]
async fn create_admin_records_what_it_did() {
    let app = TestApp::spawn().await;
    let out = gatehouse(
        &app.database_url,
        &["create-admin", "--username", "root_admin", "--email", "root@example.com"],
        &format!("{PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    app.register("later").await;
    diesel::update(users::table.filter(users::username.eq("later")))
        .set(users::is_active.eq(false))
        .execute(&mut app.db())
        .unwrap();
    let out = gatehouse(
        &app.database_url,
        &["create-admin", "--username", "later", "--email", "later@example.com"],
        "whatever\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(entries_about(&app, "root_admin"), [pair("account.created", "role: admin")]);
    let later = entries_about(&app, "later");
    assert_eq!(
        later[1..],
        [
            pair("account.role_changed", "role: user -> admin"),
            pair("account.reactivated", "active: false -> true")
        ]
    );
    let row = &rows_about(&app, UserId(id_of(&app, "later")))[0];
    assert_eq!((row.actor_id, row.ip.as_str()), (None, "cli"));
}
