//! The safety rules: an admin never deactivates, deletes or demotes itself, and the last
//! active admin keeps `admin`, even when two admins act at once.

use super::{act, admin, exists, id_of, is_active, roles_of};
use crate::helpers::{Browser, TestApp, location};
use diesel::prelude::*;
use gatehouse::db::schema::{roles, user_roles, users};
use gatehouse::domain::Role;
use reqwest::StatusCode;

/// A form's fields besides the CSRF token.
type Fields = &'static [(&'static str, &'static str)];

fn active_admins(app: &TestApp) -> i64 {
    user_roles::table
        .inner_join(users::table)
        .inner_join(roles::table)
        .filter(roles::name.eq("admin"))
        .filter(users::is_active.eq(true))
        .count()
        .get_result(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn an_admin_cannot_deactivate_delete_or_demote_itself() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    // Another admin, so that only the rule about oneself is in play.
    let _other = admin(&app, "other").await;
    let me = id_of(&app, "boss");
    let attempts: [(&str, Fields, &str); 4] = [
        ("toggle-active", &[], "You cannot deactivate your own account."),
        ("role", &[("role", "user")], "You cannot take the admin role from yourself."),
        ("role", &[("role", "editor")], "You cannot take the admin role from yourself."),
        ("delete", &[("confirm", "boss")], "You cannot delete your own account."),
    ];
    for (action, fields, message) in attempts {
        let response = act(&boss, me, action, fields).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{action} {fields:?}");
        assert!(response.text().await.unwrap().contains(message), "{action}");
    }
    assert!(exists(&app, "boss") && is_active(&app, "boss"));
    assert_eq!(roles_of(&app, "boss"), [Role::Admin]);
    assert_eq!(browser_status(&boss, "/admin").await, StatusCode::OK);
}

async fn browser_status(browser: &Browser, path: &str) -> StatusCode {
    browser.get(path).await.status()
}

#[tokio::test]
async fn an_admins_own_page_offers_no_self_destruct_buttons() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let me = id_of(&app, "boss");
    let html = boss.get_html(&format!("/admin/users/{me}")).await;
    assert!(!html.contains(&format!("/admin/users/{me}/toggle-active")));
    assert!(!html.contains(&format!("/admin/users/{me}/delete")));
    assert!(!html.contains(&format!("/admin/users/{me}/role")));
    assert!(html.contains(&format!("/admin/users/{me}/revoke-sessions")));
}

/// Two admins act against each other at the same moment: exactly one succeeds, and an
/// active admin is left. Several rounds, each with a fresh second admin, to give the race
/// more than one chance to interleave.
#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_exactly_one_admin() {
    let app = TestApp::spawn().await;
    let mut survivor = ("first".to_owned(), admin(&app, "first").await);
    let pairs: [(&str, Fields, &str, Fields); 3] = [
        ("role", &[("role", "user")], "role", &[("role", "editor")]),
        ("role", &[("role", "user")], "toggle-active", &[]),
        ("toggle-active", &[], "role", &[("role", "user")]),
    ];
    for (round, (a_action, a_fields, b_action, b_fields)) in pairs.into_iter().enumerate() {
        let name = format!("second_{round}");
        let second = admin(&app, &name).await;
        let (a_id, b_id) = (id_of(&app, &survivor.0), id_of(&app, &name));
        // Fetch both tokens first, so that the two POSTs leave together.
        let (a_token, b_token) = (survivor.1.csrf_token("/admin").await, second.csrf_token("/admin").await);
        let a_fields = with_token(&a_token, a_fields);
        let b_fields = with_token(&b_token, b_fields);
        let (a_path, b_path) =
            (format!("/admin/users/{b_id}/{a_action}"), format!("/admin/users/{a_id}/{b_action}"));
        let (a, b) =
            tokio::join!(survivor.1.post_form(&a_path, &a_fields), second.post_form(&b_path, &b_fields));
        let (a, b) = (outcome(&a), outcome(&b));
        assert_eq!([a, b].iter().filter(|o| **o == Won).count(), 1, "round {round}: {a:?} and {b:?}");
        assert_eq!(active_admins(&app), 1, "round {round}");
        if b == Won {
            survivor = (name, second);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Won,
    /// Refused under the lock (403: no longer an admin; 409: a safety rule) or before it,
    /// when the other action had already ended this admin's session (303 to log in).
    Lost,
}
use Outcome::{Lost, Won};

fn outcome(response: &reqwest::Response) -> Outcome {
    match (response.status(), location(response).as_str()) {
        (StatusCode::SEE_OTHER, "/admin") => Won,
        (StatusCode::SEE_OTHER, to) if to.starts_with("/login?next=") => Lost,
        (StatusCode::FORBIDDEN | StatusCode::CONFLICT, _) => Lost,
        (status, to) => panic!("unexpected answer: {status} {to}"),
    }
}

fn with_token<'a>(token: &'a str, fields: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("csrf_token", token)];
    all.extend_from_slice(fields);
    all
}
