//! What each admin action does, the flash that says so, and the refusals of bad input.

use super::{ACTIONS, act, admin, exists, id_of, is_active, logged_in, roles_of};
use crate::helpers::{PASSWORD, TestApp, flashes, location};
use diesel::prelude::*;
use gatehouse::db::schema::sessions;
use gatehouse::domain::Role;
use reqwest::StatusCode;

fn sessions_of(app: &TestApp, name: &str) -> i64 {
    let id = id_of(app, name);
    sessions::table.filter(sessions::user_id.eq(id)).count().get_result(&mut app.db()).unwrap()
}

#[tokio::test]
async fn deactivating_ends_the_accounts_sessions_at_once_and_reactivating_lets_it_back_in() {
    let app = TestApp::spawn().await;
    let target = app.logged_in("dora").await;
    let boss = admin(&app, "boss").await;
    let response = act(&boss, id_of(&app, "dora"), "toggle-active", &[]).await;
    assert_eq!(location(&response), "/admin");
    let html = boss.get_html("/admin").await;
    assert_eq!(flashes(&html, "success"), ["dora has been deactivated; 1 session ended."]);
    assert!(!is_active(&app, "dora"));
    assert_eq!(sessions_of(&app, "dora"), 0);
    assert!(!logged_in(&target).await);
    let refused = app.browser().login("dora", PASSWORD, false).await.text().await.unwrap();
    assert!(refused.contains("This account has been deactivated."));

    act(&boss, id_of(&app, "dora"), "toggle-active", &[]).await;
    assert_eq!(flashes(&boss.get_html("/admin").await, "success"), ["dora has been reactivated."]);
    assert_eq!(location(&app.browser().login("dora", PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn a_role_change_applies_to_the_targets_existing_session_at_once() {
    let app = TestApp::spawn().await;
    let target = app.logged_in("eddie").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "eddie");
    assert_eq!(target.get("/editor").await.status(), StatusCode::FORBIDDEN);
    act(&boss, id, "role", &[("role", "editor")]).await;
    assert_eq!(flashes(&boss.get_html("/admin").await, "success"), ["eddie now has the role editor."]);
    assert_eq!(roles_of(&app, "eddie"), [Role::Editor]);
    assert_eq!(target.get("/editor").await.status(), StatusCode::OK);
    assert_eq!(target.get("/admin").await.status(), StatusCode::FORBIDDEN);
    act(&boss, id, "role", &[("role", "admin")]).await;
    assert_eq!(target.get("/admin").await.status(), StatusCode::OK);
    act(&boss, id, "role", &[("role", "user")]).await;
    assert_eq!(target.get("/editor").await.status(), StatusCode::FORBIDDEN);
    // Setting the role an account already has changes nothing, and says so.
    act(&boss, id, "role", &[("role", "user")]).await;
    assert_eq!(flashes(&boss.get_html("/admin").await, "info"), ["eddie already has the role user."]);
}

#[tokio::test]
async fn an_unknown_role_gets_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("eddie").await;
    let boss = admin(&app, "boss").await;
    for bad in ["root", "Admin", ""] {
        let response = act(&boss, id_of(&app, "eddie"), "role", &[("role", bad)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(response.text().await.unwrap().contains("The role must be one of: user, editor, admin."));
    }
    assert_eq!(roles_of(&app, "eddie"), [Role::User]);
}

#[tokio::test]
async fn revoking_sessions_ends_every_session_of_the_account_and_no_other() {
    let app = TestApp::spawn().await;
    let phone = app.logged_in("rita").await;
    let laptop = app.browser();
    laptop.login("rita", PASSWORD, true).await;
    let boss = admin(&app, "boss").await;
    act(&boss, id_of(&app, "rita"), "revoke-sessions", &[]).await;
    assert_eq!(flashes(&boss.get_html("/admin").await, "success"), ["2 sessions of rita ended."]);
    assert!(!logged_in(&phone).await && !logged_in(&laptop).await);
    assert!(logged_in(&boss).await);
    assert!(is_active(&app, "rita"), "revoking sessions is not deactivating");
}

#[tokio::test]
async fn deleting_needs_the_exact_username_typed_to_confirm() {
    let app = TestApp::spawn().await;
    let target = app.logged_in("Gone_Soon").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "Gone_Soon");
    for wrong in ["gone_soon", "Gone_Soon ", "", "boss"] {
        let response = act(&boss, id, "delete", &[("confirm", wrong)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
        assert!(response.text().await.unwrap().contains("username exactly to confirm"));
        assert!(exists(&app, "Gone_Soon"), "{wrong:?}");
    }
    let response = act(&boss, id, "delete", &[("confirm", "Gone_Soon")]).await;
    assert_eq!(location(&response), "/admin");
    assert_eq!(
        flashes(&boss.get_html("/admin").await, "success"),
        ["The account Gone_Soon has been deleted."]
    );
    assert!(!exists(&app, "Gone_Soon"));
    let left: i64 =
        sessions::table.filter(sessions::user_id.eq(id)).count().get_result(&mut app.db()).unwrap();
    assert_eq!(left, 0);
    assert!(!logged_in(&target).await);
}

#[tokio::test]
async fn actions_on_an_account_that_does_not_exist_get_404() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    for action in ACTIONS {
        for id in ["999999", "abc", "-1"] {
            let path = format!("/admin/users/{id}/{action}");
            let response = boss.submit("/admin", &path, &[("role", "user"), ("confirm", "x")]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
}

#[tokio::test]
async fn actions_come_back_to_the_admin_page_they_were_sent_from_and_nowhere_else() {
    let app = TestApp::spawn().await;
    app.register("ida").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "ida");
    let html = boss.get_html("/admin?q=id&page=1").await;
    assert!(html.contains("name=\"return_to\" value=\"/admin?q=id\""), "{html}");
    for (return_to, expected) in [
        ("/admin?q=id", "/admin?q=id"),
        ("/admin?page=2", "/admin?page=2"),
        ("https://evil.example/admin", "/admin"),
        ("//evil.example", "/admin"),
        ("/dashboard", "/admin"),
    ] {
        let response = act(&boss, id, "revoke-sessions", &[("return_to", return_to)]).await;
        assert_eq!(location(&response), expected, "{return_to}");
    }
}

#[tokio::test]
async fn admin_actions_work_on_sqlite_too() {
    let app = TestApp::spawn_sqlite().await;
    let target = app.logged_in("lite_user").await;
    let boss = admin(&app, "boss").await;
    let id = id_of(&app, "lite_user");
    act(&boss, id, "role", &[("role", "editor")]).await;
    assert_eq!(target.get("/editor").await.status(), StatusCode::OK);
    assert_eq!(act(&boss, id_of(&app, "boss"), "toggle-active", &[]).await.status(), StatusCode::CONFLICT);
    act(&boss, id, "delete", &[("confirm", "lite_user")]).await;
    assert!(!exists(&app, "lite_user") && !logged_in(&target).await);
    assert!(boss.get_html("/admin/audit").await.contains("<code>account.deleted</code>"));
}
