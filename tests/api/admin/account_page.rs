//! `GET /admin/users/{id}`: an account's profile, sessions, latest audit entries, unsent
//! emails and every action; 404 for an id that names no account.

use super::{ACTIONS, act, admin, id_of};
use crate::helpers::{PASSWORD, TestApp, location};
use gatehouse::db::outbox::{NewMessage, insert};
use reqwest::StatusCode;
use reqwest::header::USER_AGENT;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn queue_email(app: &TestApp, to: &str, subject: &str, status: &str) {
    let now = chrono::Utc::now().naive_utc();
    let message = NewMessage {
        created_at: now,
        kind: "test",
        recipient: to,
        subject,
        body_text: "",
        body_html: "",
        status,
        attempts: 8,
        next_attempt_at: now + chrono::TimeDelta::hours(1),
    };
    insert(&mut app.db(), &message).unwrap();
}

#[tokio::test]
async fn an_accounts_page_shows_its_profile_sessions_activity_emails_and_actions() {
    let app = TestApp::spawn().await;
    app.register("dora").await;
    let firefox = app.browser();
    let token = firefox.csrf_token("/login").await;
    let login = [("csrf_token", token.as_str()), ("username", "dora"), ("password", PASSWORD)];
    let response = firefox
        .client
        .post(firefox.url("/login"))
        .header(USER_AGENT, FIREFOX)
        .form(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/dashboard");
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "dora");
    act(&boss, id, "role", &[("role", "editor")]).await;
    queue_email(&app, "dora@example.com", "Stuck in the queue", "failed");
    queue_email(&app, "dora@example.com", "On its way", "pending");
    queue_email(&app, "dora@example.com", "Long gone", "sent");
    queue_email(&app, "someone@example.com", "Not dora's", "failed");

    let response = boss.get(&format!("/admin/users/{id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1 id=\"account-title\">dora"));
    assert!(html.contains("<dd class=\"email\">dora@example.com</dd>"));
    assert!(html.contains("<dd class=\"roles\"><span class=\"badge\">editor</span>"));
    assert!(html.contains("<dd class=\"status\"><span class=\"badge\">active</span>"));
    assert!(html.contains(&format!("<span title=\"{FIREFOX}\">Firefox 128 on Linux</span>")), "{html}");
    assert!(html.contains("<td data-label=\"IP address\">127.0.0.1</td>"));
    // Its audit entries, newest first, with the role change as a before → after pair.
    let recent = &html[html.find("Recent activity").unwrap()..];
    assert!(recent.find("account.role_changed").unwrap() < recent.find("login.succeeded").unwrap());
    assert!(
        recent.contains("<span class=\"before\">user</span>")
            && recent.contains("<span class=\"after\">editor</span>")
    );
    assert!(recent.contains("<td data-label=\"With\">boss</td>"));
    let emails = &html[html.find("Unsent emails").unwrap()..html.find("Recent activity").unwrap()];
    assert!(emails.contains("Stuck in the queue") && emails.contains("On its way"));
    assert!(!emails.contains("Long gone") && !emails.contains("Not dora's"));
    assert!(
        emails.contains("<span class=\"badge off\">failed</span>")
            && emails.contains("<span class=\"badge\">queued</span>")
    );
    for action in ACTIONS {
        assert!(html.contains(&format!("action=\"/admin/users/{id}/{action}\"")), "{action}");
    }
    assert!(html.contains(&format!("name=\"return_to\" value=\"/admin/users/{id}\"")));
}

#[tokio::test]
async fn actions_on_an_accounts_page_come_back_to_it_except_a_delete() {
    let app = TestApp::spawn().await;
    app.register("ida").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "ida");
    let page = format!("/admin/users/{id}");
    let response = act(&boss, id, "toggle-active", &[("return_to", &page)]).await;
    assert_eq!(location(&response), page);
    let html = boss.get_html(&page).await;
    assert!(
        html.contains("ida has been deactivated")
            && html.contains("<span class=\"badge off\">deactivated</span>")
    );
    let response = act(&boss, id, "delete", &[("return_to", &page), ("confirm", "ida")]).await;
    assert_eq!(location(&response), "/admin");
    assert_eq!(boss.get(&page).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unknown_account_id_gets_404() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    for id in ["999999", "0", "-1", "abc", "1.5", "99999999999999999999"] {
        let response = boss.get(&format!("/admin/users/{id}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
    }
    let plain = app.logged_in("plain").await;
    let me = id_of(&app, "plain");
    assert_eq!(plain.get(&format!("/admin/users/{me}")).await.status(), StatusCode::FORBIDDEN);
    let anonymous = app.browser().get(&format!("/admin/users/{me}")).await;
    assert_eq!(location(&anonymous), format!("/login?next=%2Fadmin%2Fusers%2F{me}"));
}
