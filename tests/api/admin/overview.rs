//! `/admin/overview`: its figures against accounts, logins, failures, throttled attempts
//! and emails this test made, each day in its place and the days outside 30 left out.

use super::admin;
use crate::helpers::{TestApp, location};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use gatehouse::config::Policy;
use gatehouse::db::audit::{NewAuditEvent, insert};
use gatehouse::db::schema::users;
use reqwest::StatusCode;

fn days_ago(days: i64) -> NaiveDateTime {
    let day = Utc::now().date_naive() - TimeDelta::days(days);
    day.and_hms_opt(12, 0, 0).unwrap()
}

fn audit(app: &TestApp, action: &str, at: NaiveDateTime, times: usize) {
    let mut conn = app.db();
    for _ in 0..times {
        let event = NewAuditEvent {
            created_at: at,
            action,
            actor_id: None,
            target_id: None,
            subject: "",
            details: "",
            ip: "",
            user_agent: "",
        };
        insert(&mut conn, &event).unwrap();
    }
}

/// The chart's total and the label of each bar, from the page.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"chart-{id}\"")).unwrap();
    &html[start..start + html[start..].find("</figure>").unwrap()]
}

fn bar(day: i64, n: i64) -> String {
    format!("<title>{}: {n}</title>", (Utc::now().date_naive() - TimeDelta::days(day)).format("%Y-%m-%d"))
}

#[tokio::test]
async fn the_overview_counts_what_happened_day_by_day_over_the_last_30_days() {
    let app = TestApp::spawn_with(|s| {
        s.limits.login_account_ip = Policy { limit: 1, window: TimeDelta::minutes(15) }
    })
    .await;
    let boss = admin(&app, "boss").await;
    let _ann = app.logged_in("ann").await;
    app.register("bob").await;
    let mut conn = app.db();
    let set_created = |name: &str, at: NaiveDateTime, conn: &mut gatehouse::db::Conn| {
        diesel::update(users::table.filter(users::username.eq(name)))
            .set(users::created_at.eq(at))
            .execute(conn)
            .unwrap();
    };
    set_created("ann", days_ago(5), &mut conn);
    set_created("bob", days_ago(60), &mut conn);
    diesel::update(users::table.filter(users::username.eq("bob")))
        .set(users::is_active.eq(false))
        .execute(&mut conn)
        .unwrap();
    audit(&app, "login.succeeded", days_ago(10), 3);
    audit(&app, "login.succeeded", days_ago(40), 5);
    audit(&app, "login.failed", days_ago(29), 4);
    // One failure, then two attempts the throttle refuses (limit 1), then an unknown name.
    let stranger = app.browser();
    assert_eq!(stranger.login("ann", "wrong password!", false).await.status(), StatusCode::OK);
    for _ in 0..2 {
        assert_eq!(
            stranger.login("ann", "wrong password!", false).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(stranger.login("ghost", "wrong password!", false).await.status(), StatusCode::OK);
    for status in ["pending", "pending", "failed", "sent"] {
        queue(&app, status);
    }

    let html = boss.get_html("/admin/overview").await;
    assert!(html.contains("id=\"stat-accounts\">3<") && html.contains("id=\"stat-active\">2<"), "{html}");
    assert!(html.contains("id=\"stat-queued\">2<") && html.contains("id=\"stat-failed-emails\">1<"));
    let new = chart(&html, "new-accounts");
    assert!(new.contains("data-total=\"2\"") && new.contains(&bar(0, 1)) && new.contains(&bar(5, 1)));
    let logins = chart(&html, "logins");
    assert!(
        logins.contains("data-total=\"5\"") && logins.contains(&bar(0, 2)) && logins.contains(&bar(10, 3))
    );
    assert_eq!(logins.matches("<rect ").count(), 30);
    assert!(
        logins.contains("role=\"img\" aria-label=\"Logins per day over the last 30 days: 5 in all, most on ")
    );
    let failed = chart(&html, "failed-logins");
    assert!(
        failed.contains("data-total=\"6\"") && failed.contains(&bar(0, 2)) && failed.contains(&bar(29, 4))
    );
    let throttled = chart(&html, "throttled");
    assert!(
        throttled.contains("data-total=\"2\"")
            && throttled.contains(&bar(0, 2))
            && throttled.contains(&bar(1, 0))
    );
    assert!(!html.contains("style="), "the CSP forbids inline styles");
    assert_eq!(location(&app.browser().get("/admin/overview").await), "/login?next=%2Fadmin%2Foverview");
}

fn queue(app: &TestApp, status: &str) {
    let now = Utc::now().naive_utc();
    let message = gatehouse::db::outbox::NewMessage {
        created_at: now,
        kind: "test",
        recipient: "x@example.com",
        subject: "s",
        body_text: "",
        body_html: "",
        status,
        attempts: 0,
        next_attempt_at: now + TimeDelta::hours(1),
    };
    gatehouse::db::outbox::insert(&mut app.db(), &message).unwrap();
}

#[tokio::test]
async fn the_overview_the_filters_and_the_export_work_on_sqlite_too() {
    let app = TestApp::spawn_sqlite_with(|s| {
        s.limits.login_account_ip = Policy { limit: 1, window: TimeDelta::minutes(15) }
    })
    .await;
    let boss = admin(&app, "boss").await;
    app.register("ann").await;
    let stranger = app.browser();
    stranger.login("ann", "wrong password!", false).await;
    for _ in 0..3 {
        assert_eq!(
            stranger.login("ann", "wrong password!", false).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    audit(&app, "login.succeeded", days_ago(3), 2);
    let html = boss.get_html("/admin/overview").await;
    assert!(html.contains("id=\"stat-accounts\">2<"), "{html}");
    assert!(chart(&html, "throttled").contains(&bar(0, 3)));
    assert!(chart(&html, "failed-logins").contains(&bar(0, 1)));
    assert!(chart(&html, "logins").contains(&bar(3, 2)) && chart(&html, "logins").contains(&bar(0, 1)));
    assert!(chart(&html, "new-accounts").contains(&bar(0, 2)));
    let list = boss.get_html("/admin?role=user&status=unverified&sort=last_login&order=asc").await;
    assert!(list.contains("1 account") && list.contains(">ann</a>"));
    let csv = boss.get("/admin/audit.csv?action=login.failed").await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
}
