//! Bulk actions from the list: each account goes through the single action's rules and
//! audit entry; the acting admin (and so the last admin) is skipped and reported.

use super::{admin, id_of, is_active, logged_in};
use crate::helpers::{Browser, TestApp, flashes, location};
use diesel::prelude::*;
use gatehouse::db::schema::audit_events;
use reqwest::StatusCode;

/// Posts a bulk `action` on the accounts `ids` from the list, with its CSRF token.
async fn bulk(browser: &Browser, action: &str, ids: &[i64]) -> reqwest::Response {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut fields: Vec<(&str, &str)> = vec![("action", action), ("return_to", "/admin?status=active")];
    fields.extend(ids.iter().map(|id| ("id", id.as_str())));
    browser.submit("/admin", "/admin/users/bulk", &fields).await
}

/// `(action, target id)` of the audit entries `actor` wrote, oldest first.
fn entries_by(app: &TestApp, actor: i64) -> Vec<(String, i64)> {
    audit_events::table
        .filter(audit_events::actor_id.eq(actor))
        .filter(audit_events::target_id.ne(actor))
        .order(audit_events::id.asc())
        .select((audit_events::action, audit_events::target_id.assume_not_null()))
        .load(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn bulk_deactivation_skips_the_acting_and_last_admin_and_what_is_already_done() {
    let app = TestApp::spawn().await;
    let ann = app.logged_in("ann").await;
    app.register("bob").await;
    let boss = admin(&app, "boss").await;
    let (a, b, me) = (id_of(&app, "ann"), id_of(&app, "bob"), id_of(&app, "boss"));
    assert_eq!(location(&bulk(&boss, "deactivate", &[b]).await), "/admin?status=active");
    // boss is the only admin: both "yourself" and "the last admin"; bob is already done.
    let response = bulk(&boss, "deactivate", &[me, a, b, 999_999]).await;
    assert_eq!(location(&response), "/admin?status=active");
    let html = boss.get_html("/admin").await;
    assert_eq!(flashes(&html, "success"), ["ann has been deactivated; 1 session ended."]);
    assert_eq!(
        flashes(&html, "warning"),
        [
            "Skipped bob: bob is already deactivated.".to_owned(),
            "Skipped boss: You cannot deactivate your own account.".to_owned(),
            "Skipped account 999999: There is no such account (any more).".to_owned(),
        ]
    );
    assert!(is_active(&app, "boss") && !is_active(&app, "ann") && !logged_in(&ann).await);
    let deactivated = ("account.deactivated".to_owned(), a);
    assert_eq!(entries_by(&app, me), [("account.deactivated".to_owned(), b), deactivated]);

    bulk(&boss, "reactivate", &[a, b, me]).await;
    let html = boss.get_html("/admin").await;
    assert_eq!(flashes(&html, "success"), ["ann has been reactivated. bob has been reactivated."]);
    assert_eq!(flashes(&html, "warning"), ["Skipped boss: boss is already active."]);
    assert!(is_active(&app, "ann") && is_active(&app, "bob"));
    assert_eq!(
        entries_by(&app, me)[2..],
        [("account.reactivated".to_owned(), a), ("account.reactivated".to_owned(), b)]
    );
}

#[tokio::test]
async fn bulk_end_sessions_ends_every_selected_accounts_sessions_but_not_the_admins_own() {
    let app = TestApp::spawn().await;
    let (ann, bob) = (app.logged_in("ann").await, app.logged_in("bob").await);
    let carl = app.logged_in("carl").await;
    let boss = admin(&app, "boss").await;
    let (a, b, me) = (id_of(&app, "ann"), id_of(&app, "bob"), id_of(&app, "boss"));
    bulk(&boss, "revoke-sessions", &[b, me, a, a]).await;
    let html = boss.get_html("/admin").await;
    assert_eq!(flashes(&html, "success"), ["1 session of ann ended. 1 session of bob ended."]);
    assert_eq!(
        flashes(&html, "warning"),
        ["Skipped boss: Your own sessions are not ended by a bulk action."]
    );
    assert!(!logged_in(&ann).await && !logged_in(&bob).await);
    assert!(logged_in(&carl).await && logged_in(&boss).await);
    let revoked = |id| ("session.revoked_all".to_owned(), id);
    assert_eq!(entries_by(&app, me), [revoked(a), revoked(b)]);
}

#[tokio::test]
async fn a_bulk_form_that_is_not_right_gets_400_403_or_a_warning_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("ann").await;
    let boss = admin(&app, "boss").await;
    let a = id_of(&app, "ann").to_string();
    for fields in [
        vec![("action", "delete"), ("id", a.as_str())],
        vec![("id", a.as_str())],
        vec![("action", "deactivate"), ("id", "abc")],
        vec![("action", "deactivate"), ("id", "-4")],
        vec![("action", "deactivate"), ("id", a.as_str()), ("role", "admin")],
    ] {
        let response = boss.submit("/admin", "/admin/users/bulk", &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fields:?}");
    }
    let too_many: Vec<String> = (1..=101).map(|n| n.to_string()).collect();
    let mut fields = vec![("action", "deactivate")];
    fields.extend(too_many.iter().map(|id| ("id", id.as_str())));
    assert_eq!(boss.submit("/admin", "/admin/users/bulk", &fields).await.status(), StatusCode::BAD_REQUEST);
    let forged = boss.post_form("/admin/users/bulk", &[("action", "deactivate"), ("id", &a)]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let none = boss.submit("/admin", "/admin/users/bulk", &[("action", "deactivate")]).await;
    assert_eq!(location(&none), "/admin");
    assert_eq!(
        flashes(&boss.get_html("/admin").await, "warning"),
        ["No account was selected: tick the accounts first."]
    );
    // Not an admin: 403, whatever the form.
    let plain = app.logged_in("plain").await;
    let response =
        plain.submit("/dashboard", "/admin/users/bulk", &[("action", "deactivate"), ("id", &a)]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(is_active(&app, "ann"));
    assert!(entries_by(&app, id_of(&app, "boss")).is_empty());
}

/// Two admins bulk-deactivate each other at the same moment: the shared lock lets exactly
/// one through, and an active admin is left.
#[tokio::test]
async fn two_admins_bulk_deactivating_each_other_at_once_leave_one_admin() {
    let app = TestApp::spawn().await;
    let (first, second) = (admin(&app, "first").await, admin(&app, "second").await);
    let (f, s) = (id_of(&app, "first").to_string(), id_of(&app, "second").to_string());
    let (f_token, s_token) = (first.csrf_token("/admin").await, second.csrf_token("/admin").await);
    let first_form = [("csrf_token", f_token.as_str()), ("action", "deactivate"), ("id", &s)];
    let second_form = [("csrf_token", s_token.as_str()), ("action", "deactivate"), ("id", &f)];
    let (a, b) = tokio::join!(
        first.post_form("/admin/users/bulk", &first_form),
        second.post_form("/admin/users/bulk", &second_form),
    );
    let statuses = [a.status(), b.status()];
    assert!(
        statuses.iter().all(|s| [StatusCode::SEE_OTHER, StatusCode::FORBIDDEN].contains(s)),
        "{statuses:?}"
    );
    assert_eq!([is_active(&app, "first"), is_active(&app, "second")].iter().filter(|a| **a).count(), 1);
}
