//! `/admin/audit`: filters by action, account (actor, target or either) and dates;
//! readable details and devices; and `/admin/audit.csv`, the filtered entries streamed.

use super::{act, admin, id_of};
use crate::helpers::{Browser, TestApp};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::Connection;
use gatehouse::db::audit::{NewAuditEvent, insert};
use reqwest::StatusCode;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn entry(conn: &mut gatehouse::db::Conn, at: NaiveDateTime, action: &str, actor: Option<i64>, subject: &str) {
    let event = NewAuditEvent {
        created_at: at,
        action,
        actor_id: actor,
        target_id: None,
        subject,
        details: "",
        ip: "192.0.2.1",
        user_agent: FIREFOX,
    };
    insert(conn, &event).unwrap();
}

/// The subjects of the rows a page of the log shows, top to bottom.
async fn subjects(browser: &Browser, query: &str) -> Vec<String> {
    let response = browser.get(&format!("/admin/audit?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let html = response.text().await.unwrap();
    let marker = "<td class=\"subject\" data-label=\"Subject\">";
    html.match_indices(marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('<').unwrap()].to_owned()
        })
        .filter(|s| s.starts_with("t-"))
        .collect()
}

#[tokio::test]
async fn the_audit_log_filters_by_action_account_role_and_dates_combined() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    app.register("ann").await;
    let (me, ann) = (id_of(&app, "boss"), id_of(&app, "ann"));
    let mut conn = app.db();
    let day = |d: i64| (Utc::now() - TimeDelta::days(d)).naive_utc();
    entry(&mut conn, day(20), "test.alpha", Some(me), "t-old-alpha");
    entry(&mut conn, day(5), "test.alpha", Some(ann), "t-ann-alpha");
    entry(&mut conn, day(5), "test.beta", Some(me), "t-boss-beta");
    entry(&mut conn, day(0), "test.alpha", Some(me), "t-new-alpha");
    assert_eq!(subjects(&boss, "action=test.alpha").await, ["t-new-alpha", "t-ann-alpha", "t-old-alpha"]);
    assert_eq!(
        subjects(&boss, &format!("action=test.alpha&user={me}")).await,
        ["t-new-alpha", "t-old-alpha"]
    );
    assert_eq!(subjects(&boss, "name=ANN&as=actor").await, ["t-ann-alpha"]);
    assert!(subjects(&boss, "name=ann&as=target&action=test.alpha").await.is_empty());
    let range = |from: i64, to: i64| {
        let fmt = |d: i64| day(d).format("%Y-%m-%d").to_string();
        format!("from={}&to={}", fmt(from), fmt(to))
    };
    assert_eq!(subjects(&boss, &range(6, 4)).await, ["t-boss-beta", "t-ann-alpha"]);
    assert_eq!(
        subjects(&boss, &format!("{}&action=test.alpha", range(30, 5))).await,
        ["t-ann-alpha", "t-old-alpha"]
    );
    assert_eq!(subjects(&boss, &range(0, 0)).await, ["t-new-alpha"]);
    let html = boss.get_html("/admin/audit?name=nobody_here").await;
    assert!(html.contains("(no such account)") && html.contains("0 entries"));
    let filtered = boss.get_html(&format!("/admin/audit?action=test.alpha&user={me}")).await;
    assert!(filtered.contains(&format!("href=\"/admin/audit.csv?user={me}&#38;action=test.alpha\"")));
    for bad in ["from=yesterday", "to=2026-13-01", "as=bystander", "user=abc"] {
        assert_eq!(boss.get(&format!("/admin/audit?{bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn details_read_as_before_and_after_and_devices_by_name_with_the_raw_agent_on_hover() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    app.register("eve").await;
    act(&boss, id_of(&app, "eve"), "role", &[("role", "editor")]).await;
    entry(&mut app.db(), Utc::now().naive_utc(), "test.device", None, "t-device");
    let html = boss.get_html("/admin/audit").await;
    assert!(html.contains(
        "<span class=\"detail-key\">role</span> <span class=\"before\">user</span> \
         <span class=\"arrow\" aria-hidden=\"true\">→</span><span class=\"visually-hidden\">changed to</span> \
         <span class=\"after\">editor</span>"
    ), "{html}");
    assert!(html.contains(&format!("<span title=\"{FIREFOX}\">Firefox 128 on Linux</span>")));
}

/// The rows of a CSV body, header first.
fn csv_rows(body: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    reader.records().map(Result::unwrap).collect()
}

#[tokio::test]
async fn the_csv_export_streams_every_filtered_entry_newest_first_across_batches() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let me = id_of(&app, "boss");
    let mut conn = app.db();
    let now = Utc::now().naive_utc();
    // More than two batches of 1,000, so the keyset steps are crossed.
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for n in 0..2_345 {
            let action = if n % 2 == 0 { "test.even" } else { "test.odd" };
            entry(conn, now, action, Some(me), &format!("t-{n:05}"));
        }
        Ok(())
    })
    .unwrap();
    entry(&mut conn, now, "test.evil", None, "=HYPERLINK(\"http://x.example\")");
    let response = boss.get("/admin/audit.csv?action=test.even").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    // Streamed: sent in chunks as the batches come, so no length is known up front.
    assert!(response.headers().get("content-length").is_none());
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"audit-")
    );
    let body = response.text().await.unwrap();
    let rows = csv_rows(&body);
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            "id",
            "time_utc",
            "action",
            "actor_id",
            "actor",
            "target_id",
            "target",
            "subject",
            "details",
            "ip",
            "device",
            "user_agent"
        ]
    );
    assert_eq!(rows.len(), 1 + 1_173);
    let subjects: Vec<&str> = rows[1..].iter().map(|r| &r[7]).collect();
    let expected: Vec<String> =
        (0..2_345).rev().filter(|n| n % 2 == 0).map(|n| format!("t-{n:05}")).collect();
    assert_eq!(subjects, expected);
    let first = &rows[1];
    assert_eq!((&first[2], &first[3], &first[4]), ("test.even", me.to_string().as_str(), "boss"));
    assert_eq!((&first[9], &first[10], &first[11]), ("192.0.2.1", "Firefox 128 on Linux", FIREFOX));
    // Every entry unfiltered; a cell a spreadsheet would run as a formula is defused.
    let all = csv_rows(&boss.get("/admin/audit.csv").await.text().await.unwrap());
    assert!(all.len() > 2_346);
    assert_eq!(&all[1][7], "'=HYPERLINK(\"http://x.example\")");
    let none = csv_rows(&boss.get("/admin/audit.csv?name=nobody_here").await.text().await.unwrap());
    assert_eq!(none.len(), 1);
    assert_eq!(boss.get("/admin/audit.csv?from=never").await.status(), StatusCode::BAD_REQUEST);
}
