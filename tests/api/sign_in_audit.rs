//! Provider sign-ins, connects and disconnects are in the audit log, and the admin's
//! `/admin/audit` shows them under the account's filter and the action's.

use crate::admin::{admin, id_of};
use crate::helpers::location;
use crate::sign_in_flow::{app_with, sign_in};
use crate::support::mock_idp::MockIdp;
use gatehouse::db::audit::AuditRow;
use gatehouse::domain::UserId;

fn rows_about(app: &crate::helpers::TestApp, id: i64) -> Vec<AuditRow> {
    gatehouse::db::audit::page(&mut app.db(), Some(UserId(id)), 0, 1000).unwrap()
}

#[tokio::test]
async fn connecting_and_disconnecting_a_provider_are_audited_and_shown_to_admins() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    let grace = app.logged_in("grace").await;
    let (linked, _) = sign_in(&grace, "mock", "/account/connections", &[("link", "1")]).await;
    assert_eq!(location(&linked), "/account/connections");
    let (again, _) = sign_in(&app.browser(), "mock", "/login", &[]).await;
    assert_eq!(location(&again), "/dashboard");
    let gone = grace.submit("/account/connections", "/account/connections/mock/disconnect", &[]).await;
    assert_eq!(location(&gone), "/account/connections");

    let id = id_of(&app, "grace");
    let rows = rows_about(&app, id);
    let recorded: Vec<(&str, &str, &str)> =
        rows.iter().rev().map(|r| (r.action.as_str(), r.subject.as_str(), r.details.as_str())).collect();
    let expected = [
        ("identity.linked", "mock", "ada@example.com"),
        ("login.succeeded", "", ""),
        ("identity.unlinked", "mock", "ada@example.com"),
    ];
    assert_eq!(recorded[recorded.len() - 3..], expected, "{recorded:?}");
    for row in &rows[..3] {
        assert_eq!((row.actor_id, row.target_id), (Some(id), Some(id)), "{}", row.action);
        assert_eq!(row.ip, "127.0.0.1");
    }

    let boss = admin(&app, "boss").await;
    let page = boss.get_html(&format!("/admin/audit?user={id}")).await;
    assert!(page.contains("<code>identity.linked</code>"), "{page}");
    assert!(page.contains("<code>identity.unlinked</code>"), "{page}");
    let filtered = boss.get_html("/admin/audit?action=identity.unlinked").await;
    assert!(
        filtered.contains("<code>identity.unlinked</code>")
            && !filtered.contains("<code>identity.linked</code>")
    );
}

#[tokio::test]
async fn a_sign_up_through_a_provider_records_the_account_and_its_link() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    sign_in(&app.browser, "mock", "/register", &[]).await;
    let done = app.browser.submit("/auth/complete", "/auth/complete", &[("username", "ada")]).await;
    assert_eq!(location(&done), "/dashboard");
    let rows = rows_about(&app, id_of(&app, "ada"));
    let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["account.created", "identity.linked", "login.succeeded"]);
    assert_eq!(rows[1].subject, "mock");
}

#[tokio::test]
async fn a_refused_provider_answer_is_audited_as_a_failed_login_by_the_providers_name() {
    let idp = MockIdp::start().await;
    let app = app_with(&idp, false).await;
    idp.set(|b| b.wrong_iss = true);
    let (answer, _) = sign_in(&app.browser, "mock", "/login", &[]).await;
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
    let rows = gatehouse::db::audit::page(&mut app.db(), None, 0, 10).unwrap();
    let failed: Vec<&AuditRow> = rows.iter().filter(|r| r.action == "login.failed").collect();
    assert_eq!(failed.len(), 1, "{:?}", rows.iter().map(|r| &r.action).collect::<Vec<_>>());
    assert_eq!((failed[0].subject.as_str(), failed[0].target_id), ("mock", None));
    assert!(failed[0].details.starts_with("provider answer refused: ID token"), "{}", failed[0].details);
}
