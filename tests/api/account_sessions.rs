//! `/account/sessions`: every live session with its device, IP and times; end one (only
//! your own) or all the others.

use crate::helpers::{Browser, PASSWORD, TestApp, flashes, location};
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, sessions, users};
use reqwest::StatusCode;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Session ids of `username`, oldest first.
fn session_ids(app: &TestApp, username: &str) -> Vec<i64> {
    sessions::table
        .inner_join(users::table)
        .filter(users::username.eq(username))
        .order(sessions::id.asc())
        .select(sessions::id)
        .load(&mut app.db())
        .unwrap()
}

async fn second_login(app: &TestApp, username: &str) -> Browser {
    let browser = app.browser();
    assert_eq!(location(&browser.login(username, PASSWORD, false).await), "/dashboard");
    browser
}

async fn revoke(browser: &Browser, id: &str) -> reqwest::Response {
    browser.submit("/account/sessions", &format!("/account/sessions/{id}/revoke"), &[]).await
}

fn audited(app: &TestApp, action: &str) -> i64 {
    audit_events::table.filter(audit_events::action.eq(action)).count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn the_page_lists_every_session_with_its_device_and_marks_this_one() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("olivia").await;
    let _laptop = second_login(&app, "olivia").await;
    let laptop_id = session_ids(&app, "olivia")[1];
    diesel::update(sessions::table.find(laptop_id))
        .set(sessions::user_agent.eq(FIREFOX))
        .execute(&mut app.db())
        .unwrap();
    let html = here.get_html("/account/sessions").await;
    assert_eq!(html.matches("<tr class=\"session").count(), 2, "{html}");
    assert_eq!(html.matches("This device").count(), 1);
    assert!(html.contains("Firefox 128 on Linux"), "{html}");
    assert!(html.contains("127.0.0.1") && html.contains(" UTC"));
    assert!(html.contains(&format!("action=\"/account/sessions/{laptop_id}/revoke\"")));
    assert!(html.contains("action=\"/account/sessions/revoke-others\""));
}

#[tokio::test]
async fn ending_another_session_logs_that_browser_out() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("pablo").await;
    let laptop = second_login(&app, "pablo").await;
    let laptop_id = session_ids(&app, "pablo")[1];
    let response = revoke(&here, &laptop_id.to_string()).await;
    assert_eq!(location(&response), "/account/sessions");
    assert_eq!(
        flashes(&here.get_html("/account/sessions").await, "success"),
        ["That session has been logged out."]
    );
    assert_eq!(location(&laptop.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(here.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(audited(&app, "session.revoked"), 1);
}

#[tokio::test]
async fn ending_this_session_logs_out() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("quentin").await;
    let this = session_ids(&app, "quentin")[0];
    let response = revoke(&here, &this.to_string()).await;
    assert_eq!(location(&response), "/login");
    assert_eq!(location(&here.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert!(session_ids(&app, "quentin").is_empty());
}

#[tokio::test]
async fn another_accounts_session_or_an_unknown_id_gets_404_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mallory = app.logged_in("mallory").await;
    let victim = app.logged_in("rachel").await;
    let victims = session_ids(&app, "rachel")[0];
    for id in [victims.to_string(), "999999".into(), "abc".into()] {
        assert_eq!(revoke(&mallory, &id).await.status(), StatusCode::NOT_FOUND, "{id}");
    }
    assert_eq!(victim.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(mallory.get("/dashboard").await.status(), StatusCode::OK);
    assert_eq!(audited(&app, "session.revoked"), 0);
}

#[tokio::test]
async fn ending_all_other_sessions_keeps_only_this_one() {
    let app = TestApp::spawn().await;
    let here = app.logged_in("sofia").await;
    let others = [second_login(&app, "sofia").await, second_login(&app, "sofia").await];
    let this = session_ids(&app, "sofia")[0];
    let response = here.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    assert_eq!(location(&response), "/account/sessions");
    assert_eq!(
        flashes(&here.get_html("/account/sessions").await, "success"),
        ["Your 2 other sessions have been logged out."]
    );
    for browser in &others {
        assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    }
    assert_eq!(session_ids(&app, "sofia"), [this]);
    assert_eq!(audited(&app, "session.revoked_others"), 1);
}

#[tokio::test]
async fn the_sessions_pages_need_a_login_and_a_csrf_token() {
    let app = TestApp::spawn().await;
    assert_eq!(location(&app.browser.get("/account/sessions").await), "/login?next=%2Faccount%2Fsessions");
    let here = app.logged_in("tomas").await;
    let _other = second_login(&app, "tomas").await;
    let response = here.post_form("/account/sessions/revoke-others", &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(session_ids(&app, "tomas").len(), 2);
}
