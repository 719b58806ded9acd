//! Who may use the admin routes: admins only; anonymous visitors are sent to log in, other
//! accounts get 403, and a POST without a valid CSRF token gets 403. Nothing changes.

use super::{ACTIONS, admin, exists, id_of, is_active, roles_of};
use crate::helpers::{TestApp, location};
use gatehouse::domain::Role;
use reqwest::StatusCode;

const PAGES: [&str; 5] =
    ["/admin", "/admin/overview", "/admin/audit", "/admin/audit?user=1", "/admin/audit.csv"];

/// Fields that would make every action succeed on the account `target`.
const FIELDS: [(&str, &str); 2] = [("role", "editor"), ("confirm", "target")];

fn assert_untouched(app: &TestApp) {
    assert!(exists(app, "target") && is_active(app, "target"));
    assert_eq!(roles_of(app, "target"), [Role::User]);
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in_from_every_admin_route() {
    let app = TestApp::spawn().await;
    app.register("target").await;
    let id = id_of(&app, "target");
    for page in PAGES {
        let response = app.browser.get(page).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let next = serde_urlencoded::to_string([("next", page)]).unwrap();
        assert_eq!(location(&response), format!("/login?{next}"), "{page}");
    }
    for action in ACTIONS {
        let path = format!("/admin/users/{id}/{action}");
        let response = app.browser.submit("/login", &path, &FIELDS).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        assert!(location(&response).starts_with("/login?next=%2Fadmin%2Fusers%2F"), "{action}");
    }
    assert_untouched(&app);
}

#[tokio::test]
async fn users_and_editors_get_403_on_every_admin_route() {
    let app = TestApp::spawn().await;
    app.register("target").await;
    let id = id_of(&app, "target");
    for (name, role) in [("plain", Role::User), ("editor", Role::Editor)] {
        let browser = app.logged_in(name).await;
        app.set_role(name, role);
        for page in PAGES {
            let response = browser.get(page).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role} {page}");
            assert!(response.text().await.unwrap().contains("You do not have permission"));
        }
        for action in ACTIONS {
            let path = format!("/admin/users/{id}/{action}");
            let response = browser.submit("/dashboard", &path, &FIELDS).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role} {action}");
        }
    }
    assert_untouched(&app);
}

#[tokio::test]
async fn admins_may_use_every_admin_route() {
    let app = TestApp::spawn().await;
    app.register("target").await;
    let id = id_of(&app, "target");
    let browser = admin(&app, "boss").await;
    for page in PAGES {
        assert_eq!(browser.get(page).await.status(), StatusCode::OK, "{page}");
    }
    // Delete last: the others need the account.
    for action in ACTIONS {
        let response = super::act(&browser, id, action, &FIELDS).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        assert_eq!(location(&response), "/admin", "{action}");
    }
    assert!(!exists(&app, "target"));
}

#[tokio::test]
async fn every_admin_post_without_a_valid_csrf_token_gets_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("target").await;
    let id = id_of(&app, "target");
    let browser = admin(&app, "boss").await;
    for action in ACTIONS {
        let path = format!("/admin/users/{id}/{action}");
        let missing = browser.post_form(&path, &FIELDS).await;
        assert_eq!(missing.status(), StatusCode::FORBIDDEN, "{action} without a token");
        let mut forged = vec![("csrf_token", "not-the-token")];
        forged.extend_from_slice(&FIELDS);
        assert_eq!(browser.post_form(&path, &forged).await.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_untouched(&app);
}
