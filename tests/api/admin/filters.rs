//! The list's filters (role, status) and sorts (created, last login), each combined with
//! the search, and its page links.

use super::listing::usernames;
use super::{admin, id_of};
use crate::cli::{gatehouse, text};
use crate::helpers::{Browser, TestApp};
use diesel::prelude::*;
use gatehouse::db::schema::users;
use gatehouse::domain::Role;
use reqwest::StatusCode;

async fn names(browser: &Browser, query: &str) -> Vec<String> {
    let response = browser.get(&format!("/admin?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    usernames(&response.text().await.unwrap())
}

/// Accounts with known roles, states and logins: `ed_one` (editor), `ed_two` (editor,
/// deactivated), `us_one` (unverified), `us_two` (never logged in); times set in SQL.
async fn arrange(app: &TestApp) -> Browser {
    for name in ["ed_one", "ed_two", "us_one", "us_two"] {
        app.register(name).await;
    }
    app.set_role("ed_one", Role::Editor);
    app.set_role("ed_two", Role::Editor);
    let boss = admin(app, "boss").await;
    let mut conn = app.db();
    let at = |days: i64| chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(days);
    for (name, created, login) in
        [("ed_one", 40, Some(1)), ("ed_two", 30, Some(3)), ("us_one", 20, Some(2)), ("us_two", 10, None)]
    {
        diesel::update(users::table.find(id_of(app, name)))
            .set((users::created_at.eq(at(created)), users::last_login_at.eq(login.map(at))))
            .execute(&mut conn)
            .unwrap();
    }
    diesel::update(users::table.find(id_of(app, "ed_two")))
        .set(users::is_active.eq(false))
        .execute(&mut conn)
        .unwrap();
    // Registration leaves the address unverified: confirm every one but us_one's.
    diesel::update(users::table.filter(users::username.ne("us_one")))
        .set(users::email_verified_at.eq(Some(at(0))))
        .execute(&mut conn)
        .unwrap();
    boss
}

#[tokio::test]
async fn role_and_status_filters_combine_with_each_other_and_with_the_search() {
    let app = TestApp::spawn().await;
    let boss = arrange(&app).await;
    assert_eq!(names(&boss, "role=editor").await, ["ed_two", "ed_one"]);
    assert_eq!(names(&boss, "role=admin").await, ["boss"]);
    assert_eq!(names(&boss, "status=deactivated").await, ["ed_two"]);
    assert_eq!(names(&boss, "status=unverified").await, ["us_one"]);
    assert_eq!(names(&boss, "status=active").await, ["boss", "us_two", "us_one", "ed_one"]);
    assert_eq!(names(&boss, "role=editor&status=active").await, ["ed_one"]);
    assert_eq!(names(&boss, "role=user&q=US_").await, ["us_two", "us_one"]);
    assert_eq!(names(&boss, "role=user&status=unverified&q=one").await, ["us_one"]);
    assert!(names(&boss, "role=editor&q=us").await.is_empty());
    let html = boss.get_html("/admin?role=editor&status=active&q=ed").await;
    assert!(html.contains("1 account matching"), "the total counts the filtered accounts");
    assert!(
        html.contains("<option value=\"editor\" selected>")
            && html.contains("<option value=\"active\" selected>")
    );
    for bad in ["role=root", "status=asleep", "sort=email", "order=sideways"] {
        assert_eq!(boss.get(&format!("/admin?{bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_list_sorts_by_created_or_last_login_either_way_also_when_filtered() {
    let app = TestApp::spawn().await;
    let boss = arrange(&app).await;
    // boss was created and logged in just now.
    assert_eq!(names(&boss, "").await, ["boss", "us_two", "us_one", "ed_two", "ed_one"]);
    assert_eq!(names(&boss, "order=asc").await, ["ed_one", "ed_two", "us_one", "us_two", "boss"]);
    // Most recent login first, never-logged-in last; ascending: never first, then the oldest.
    assert_eq!(names(&boss, "sort=last_login").await, ["boss", "ed_one", "us_one", "ed_two", "us_two"]);
    assert_eq!(
        names(&boss, "sort=last_login&order=asc").await,
        ["us_two", "ed_two", "us_one", "ed_one", "boss"]
    );
    assert_eq!(names(&boss, "sort=last_login&q=_").await, ["ed_one", "us_one", "ed_two", "us_two"]);
    assert_eq!(names(&boss, "sort=last_login&order=asc&role=editor").await, ["ed_two", "ed_one"]);
    // The header links keep the filters, and reverse the current sort.
    let html = boss.get_html("/admin?sort=last_login&role=editor").await;
    assert!(
        html.contains(
            "aria-sort=\"descending\"><a href=\"/admin?role=editor&#38;sort=last_login&#38;order=asc\""
        ),
        "{html}"
    );
    assert!(html.contains("<a href=\"/admin?role=editor\" class=\"sort-link\">Created"));
}

#[tokio::test]
async fn page_links_number_the_pages_around_this_one_with_ellipses_and_both_ends() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let out = gatehouse(&app.database_url, &["seed-users", "--count", "299"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = |n: i64| {
        if n == 1 {
            "href=\"/admin?q=seed\"".to_owned()
        } else {
            format!("href=\"/admin?q=seed&#38;page={n}\"")
        }
    };
    let html = boss.get_html("/admin?q=seed&page=6").await;
    assert!(html.contains("299 accounts matching") && html.contains("Page 6 of 12"));
    let links = &html[html.find("class=\"page-links\"").unwrap()..];
    for shown in [4, 5, 7, 8, 12] {
        assert!(links.contains(&page(shown)), "page {shown}");
    }
    assert!(links.contains("href=\"/admin?q=seed\" class=\"page-end\">« First"));
    assert!(links.contains(&format!("{} class=\"page-end\">Last »", page(12))));
    assert!(links.contains("aria-current=\"page\"") && links.contains(">6</a>"));
    assert_eq!(links.matches("class=\"page-gap\"").count(), 2, "1 … 4 5 6 7 8 … 12");
    for hidden in [2, 3, 9, 10, 11] {
        assert!(!links.contains(&page(hidden)), "page {hidden}");
    }
    let last = boss.get_html("/admin?q=seed&page=12").await;
    assert_eq!(usernames(&last).len(), 299 - 11 * 25);
    assert!(!last.contains("Next ›") && !last.contains("Last »"));
}
