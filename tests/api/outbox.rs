//! The outbox worker: no email is lost when the mail server is down, what fails for good
//! is shown to admins and can be retried, and instances sharing a database never send a
//! message twice.

use crate::helpers::{TestApp, eventually, flashes, location, mail_to};
use crate::password_reset::{ask_for_reset, link_path};
use crate::support::smtp::SmtpSink;
use chrono::Utc;
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, email_outbox};
use gatehouse::domain::Role;
use reqwest::StatusCode;
use std::collections::HashSet;
use std::time::Duration;

#[derive(Queryable, Debug)]
struct Row {
    status: String,
    attempts: i32,
    last_error: Option<String>,
}

/// The outbox but the address confirmations every registration queues.
fn rows(app: &TestApp) -> Vec<Row> {
    email_outbox::table
        .filter(email_outbox::kind.ne("email_verification"))
        .order(email_outbox::id.asc())
        .select((email_outbox::status, email_outbox::attempts, email_outbox::last_error))
        .load(&mut app.db())
        .unwrap()
}

/// Queues `count` messages straight into the table, in one transaction, as a cause would.
fn queue_directly(conn: &mut gatehouse::db::Conn, count: usize) {
    let now = Utc::now().naive_utc();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for n in 0..count {
            diesel::insert_into(email_outbox::table)
                .values((
                    email_outbox::created_at.eq(now),
                    email_outbox::kind.eq("test"),
                    email_outbox::recipient.eq(format!("reader{n}@example.com")),
                    email_outbox::subject.eq(format!("message {n}")),
                    email_outbox::body_text.eq(format!("Hello reader {n}.")),
                    email_outbox::body_html.eq(format!("<p>Hello reader {n}.</p>")),
                    email_outbox::next_attempt_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
}

#[tokio::test]
async fn a_reset_asked_for_while_the_mail_server_is_down_arrives_once_it_is_back() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("uma").await;
    sink.stop().await;
    ask_for_reset(&app, "uma@example.com").await;
    eventually("a failed attempt is recorded", || {
        rows(&app).first().is_some_and(|r| r.status == "pending" && r.attempts >= 1 && r.last_error.is_some())
    })
    .await;
    assert!(sink.messages().is_empty());
    sink.resume().await;
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let path = link_path(&messages[0]);
    assert_eq!(app.browser.get(&path).await.status(), StatusCode::OK);
    eventually("the message is marked sent", || rows(&app)[0].status == "sent").await;
    assert_eq!(rows(&app)[0].last_error, None);
}

#[tokio::test]
async fn a_message_that_failed_for_good_is_shown_to_admins_and_can_be_sent_again() {
    let (app, sink) = TestApp::spawn_with_mail(|s| s.outbox.max_attempts = 2).await;
    let admin = app.logged_in("vera").await;
    app.set_role("vera", Role::Admin);
    app.register("walt").await;
    // Vera's and walt's address confirmations are delivered before the server goes down.
    eventually("both confirmations are delivered", || sink.all_messages().len() >= 2).await;
    sink.stop().await;
    ask_for_reset(&app, "walt@example.com").await;
    eventually("the message is failed for good", || rows(&app).first().is_some_and(|r| r.status == "failed"))
        .await;
    let failed = &rows(&app)[0];
    assert_eq!(failed.attempts, 2);
    let error = failed.last_error.clone().unwrap();

    let page = admin.get_html("/admin/emails").await;
    assert_eq!(page.matches("<tr class=\"failed-email\">").count(), 1, "{page}");
    assert!(page.contains("walt@example.com") && page.contains("Reset your gatehouse password"));
    assert!(
        page.contains("<td class=\"attempts\" data-label=\"Attempts\">2</td>") && page.contains(&error),
        "{page}"
    );
    let user = app.logged_in("xena").await;
    assert_eq!(user.get("/admin/emails").await.status(), StatusCode::FORBIDDEN);

    sink.resume().await;
    let id: i64 = email_outbox::table
        .filter(email_outbox::kind.eq("password_reset"))
        .select(email_outbox::id)
        .first(&mut app.db())
        .unwrap();
    let forbidden = user.submit("/dashboard", &format!("/admin/emails/{id}/retry"), &[]).await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let response = admin.submit("/admin/emails", &format!("/admin/emails/{id}/retry"), &[]).await;
    assert_eq!(location(&response), "/admin/emails");
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, ["walt@example.com"]);
    let page = admin.get_html("/admin/emails").await;
    assert_eq!(
        flashes(&page, "success"),
        ["A new reset email with a fresh link is queued for walt@example.com; the old link no longer works."]
    );
    // A reset email is reissued, not resent: its link (most likely expired) is replaced.
    let statuses = || rows(&app).into_iter().map(|r| r.status).collect::<Vec<_>>();
    eventually("the fresh message is sent", || statuses() == ["superseded", "sent"]).await;
    let fresh = link_path(&messages[0]);
    assert!(
        app.browser().get_html(&fresh).await.contains("name=\"confirm_password\""),
        "the fresh link works"
    );
    assert!(!admin.get_html("/admin/emails").await.contains("walt@example.com"));
    let audited: i64 = audit_events::table
        .filter(audit_events::action.eq("email.retried"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(audited, 1);
    // Only failed messages can be retried.
    let again = admin.submit("/admin/emails", &format!("/admin/emails/{id}/retry"), &[]).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn messages_left_pending_by_an_earlier_run_are_sent_at_start() {
    let url = crate::support::postgres::new_test_database();
    queue_directly(&mut gatehouse::db::DatabaseUrl::parse(&url).unwrap().connect().unwrap(), 3);
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_on(&url, mail_to(&sink)).await;
    let subjects: HashSet<String> = sink.wait_for(3).await.iter().map(|m| m.subject()).collect();
    assert_eq!(subjects, HashSet::from(["message 0".into(), "message 1".into(), "message 2".into()]));
    eventually("all are marked sent", || rows(&app).iter().all(|r| r.status == "sent")).await;
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_message_once() {
    // A slow server, so that both workers are busy at the same time.
    let sink = SmtpSink::start_slow(Duration::from_millis(20)).await;
    let first = TestApp::spawn_with(|s| {
        mail_to(&sink)(s);
        s.mail_from = "first <first@gatehouse.example>".into();
    })
    .await;
    let _second = TestApp::spawn_on(&first.database_url, |s| {
        mail_to(&sink)(s);
        s.mail_from = "second <second@gatehouse.example>".into();
    })
    .await;
    queue_directly(&mut first.db(), 40);
    eventually("every message is marked sent", || rows(&first).iter().all(|r| r.status == "sent")).await;
    let messages = sink.messages();
    let subjects: HashSet<String> = messages.iter().map(|m| m.subject()).collect();
    assert_eq!((messages.len(), subjects.len()), (40, 40));
    assert!(rows(&first).iter().all(|r| r.attempts == 1));
    let senders: HashSet<&str> = messages.iter().map(|m| m.from.as_str()).collect();
    assert_eq!(senders.len(), 2, "both instances took part: {senders:?}");
}

#[test]
fn a_claim_in_progress_is_skipped_by_another_worker_rather_than_sent_twice() {
    // Below HTTP: two workers claiming at the very same moment are hard to arrange from
    // outside, so one claim is held open while the other runs.
    let url = gatehouse::db::DatabaseUrl::parse(&crate::support::postgres::new_test_database()).unwrap();
    let (mut first, mut second) = (url.connect().unwrap(), url.connect().unwrap());
    queue_directly(&mut first, 4);
    // Waiting on the first claim's locks would fail the test instead of hanging it.
    diesel::sql_query("SET statement_timeout = '5s'").execute(&mut second).unwrap();
    let now = Utc::now().naive_utc();
    let lease = now + chrono::TimeDelta::minutes(5);
    first
        .transaction::<_, diesel::result::Error, _>(|first| {
            let held = gatehouse::db::outbox::claim_due(first, now, lease, 2)?;
            let other = gatehouse::db::outbox::claim_due(&mut second, now, lease, 10)?;
            let held: HashSet<i64> = held.iter().map(|m| m.id).collect();
            let other: HashSet<i64> = other.iter().map(|m| m.id).collect();
            assert_eq!((held.len(), other.len()), (2, 2));
            assert!(held.is_disjoint(&other), "{held:?} and {other:?} overlap");
            Ok(())
        })
        .unwrap();
    // Once leased, nothing is due until the lease runs out.
    assert!(gatehouse::db::outbox::claim_due(&mut second, now, lease, 10).unwrap().is_empty());
}

#[tokio::test]
async fn without_smtp_url_emails_go_to_the_log_and_count_as_sent() {
    let app = TestApp::spawn().await;
    app.register("yusuf").await;
    ask_for_reset(&app, "yusuf@example.com").await;
    eventually("the logged message is marked sent", || {
        rows(&app).first().is_some_and(|r| r.status == "sent")
    })
    .await;
}

#[tokio::test]
async fn the_reset_email_is_delivered_on_sqlite_too() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_sqlite_with(mail_to(&sink)).await;
    app.register("zoe").await;
    ask_for_reset(&app, "zoe@example.com").await;
    let path = link_path(&sink.wait_for(1).await[0]);
    assert_eq!(app.browser.get(&path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_permanent_refusal_fails_the_message_at_once_instead_of_retrying() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.browser();
    let response = browser.register("bouncer", "bounce@example.com", crate::helpers::PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    ask_for_reset(&app, "bounce@example.com").await;
    eventually("the refused message is marked failed", || {
        rows(&app).first().is_some_and(|r| r.status == "failed")
    })
    .await;
    let row = &rows(&app)[0];
    assert_eq!(row.attempts, 1, "a 550 is not worth a second try");
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("no such mailbox")), "{row:?}");
    assert!(sink.messages().is_empty());
}

fn bodies(app: &TestApp) -> Vec<(String, String)> {
    email_outbox::table
        .order(email_outbox::id.asc())
        .select((email_outbox::body_text, email_outbox::body_html))
        .load(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn a_queued_reset_link_cannot_be_read_from_the_database() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    app.register("yara").await;
    sink.stop().await;
    ask_for_reset(&app, "yara@example.com").await;
    let (text, html) = bodies(&app).remove(0);
    for body in [&text, &html] {
        assert!(body.starts_with("v1.") && !body.contains("password-reset"), "a readable body: {body}");
    }
    sink.resume().await;
    let messages = sink.wait_for(1).await;
    let path = link_path(&messages[0]);
    let token = path.rsplit('/').next().unwrap();
    assert!(!text.contains(token) && !html.contains(token));
    assert!(app.browser.get_html(&path).await.contains("name=\"confirm_password\""), "the sent link works");
}

#[tokio::test]
async fn a_failed_email_that_is_not_a_reset_is_sent_again_as_it_was() {
    let (app, sink) = TestApp::spawn_with_mail(|s| s.outbox.max_attempts = 1).await;
    let admin = app.logged_in("quinn").await;
    app.set_role("quinn", Role::Admin);
    let owner = app.logged_in("rhea").await;
    sink.stop().await;
    let new = "a changed passphrase";
    let fields =
        [("current_password", crate::helpers::PASSWORD), ("password", new), ("confirm_password", new)];
    assert_eq!(
        location(&owner.submit("/account/password", "/account/password", &fields).await),
        "/dashboard"
    );
    eventually("the notice fails for good", || rows(&app).first().is_some_and(|r| r.status == "failed"))
        .await;
    sink.resume().await;
    let notice = email_outbox::table.filter(email_outbox::kind.eq("password_changed"));
    let id: i64 = notice.select(email_outbox::id).first(&mut app.db()).unwrap();
    admin.submit("/admin/emails", &format!("/admin/emails/{id}/retry"), &[]).await;
    let messages = sink.wait_for(1).await;
    assert_eq!(messages[0].to, ["rhea@example.com"]);
    assert!(messages[0].text().contains("was changed"), "{}", messages[0].text());
    eventually("the same message is sent", || rows(&app).iter().map(|r| r.status.as_str()).eq(["sent"]))
        .await;
}
