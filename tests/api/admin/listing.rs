//! The admin list: newest first, each account's details, search, and 25 a page.

use super::{admin, id_of};
use crate::cli::{gatehouse, text};
use crate::helpers::{PASSWORD, TestApp};
use reqwest::StatusCode;

/// The usernames of the list's rows, top to bottom.
pub fn usernames(html: &str) -> Vec<String> {
    let marker = "<td class=\"username\" data-label=\"Username\"><span><a href=\"/admin/users/";
    html.match_indices(marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            let rest = &rest[rest.find('>').unwrap() + 1..];
            rest[..rest.find('<').unwrap()].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_list_shows_one_compact_row_per_account_newest_first_linking_to_its_page() {
    let app = TestApp::spawn().await;
    app.register("older").await;
    let _newer = app.logged_in("newer").await;
    let boss = admin(&app, "boss").await;
    let html = boss.get_html("/admin").await;
    assert_eq!(usernames(&html), ["boss", "newer", "older"]);
    let id = id_of(&app, "newer");
    let row = &html[html.find(&format!("<tr id=\"user-{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(&format!("<a href=\"/admin/users/{id}\">newer</a>")));
    assert!(row.contains("<td class=\"email\" data-label=\"Email\">newer@example.com</td>"));
    assert!(row.contains("<span class=\"badge\">user</span>"));
    assert!(row.contains("<span class=\"badge\">active</span>"));
    // Nothing confirms an address at registration yet: a new account is unverified.
    assert!(row.contains("<span class=\"badge warn\">unverified</span>"), "{row}");
    assert!(row.contains(&format!("name=\"id\" value=\"{id}\"")));
    assert!(
        row.contains(" UTC</span></span></td>")
            && !row.contains("<td class=\"last-login\" data-label=\"Last login\">never</td>")
    );
    // The actions are on the account's page, not in the row.
    assert!(!row.contains("toggle-active") && !row.contains("method=\"post\""));
    let older = id_of(&app, "older");
    assert!(html.contains(&format!("<tr id=\"user-{older}\"")));
    assert!(html.contains("<td class=\"last-login\" data-label=\"Last login\">never</td>"));
    assert!(html.contains("3 accounts"));
}

async fn search(browser: &crate::helpers::Browser, q: &str) -> Vec<String> {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    let response = browser.get(&format!("/admin?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{q}");
    let mut names = usernames(&response.text().await.unwrap());
    names.sort();
    names
}

async fn assert_search_is_literal(app: &TestApp) {
    for name in ["Alpha_One", "alphaXone", "beta"] {
        app.register(name).await;
    }
    let boss = admin(app, "boss").await;
    assert_eq!(search(&boss, "ALPHA_").await, ["Alpha_One"]);
    assert_eq!(search(&boss, "alpha").await, ["Alpha_One", "alphaXone"]);
    assert_eq!(search(&boss, "XONE@EXAMPLE").await, ["alphaXone"]);
    assert_eq!(search(&boss, "  beta  ").await, ["beta"]);
    for nothing in ["%", "a%e", "_____________", "\\", "alpha\\_one", "zzz"] {
        assert!(search(&boss, nothing).await.is_empty(), "{nothing}");
    }
    assert_eq!(search(&boss, "").await.len(), 4);
}

#[tokio::test]
async fn search_is_a_case_insensitive_substring_with_wildcards_taken_literally() {
    assert_search_is_literal(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn search_takes_wildcards_literally_on_sqlite_too() {
    assert_search_is_literal(&TestApp::spawn_sqlite().await).await;
}

#[tokio::test]
async fn seeded_accounts_are_listed_25_a_page_with_page_links() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let out = gatehouse(&app.database_url, &["seed-users", "--count", "30"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("seeded 30 accounts: seed_000001 to seed_000030"));
    let first = boss.get_html("/admin").await;
    let names = usernames(&first);
    assert_eq!(names.len(), 25);
    // Newest first: the seeded accounts are dated a second apart, the last one now.
    let seeded: Vec<&String> = names.iter().filter(|n| n.starts_with("seed_")).collect();
    assert_eq!((seeded[0].as_str(), seeded[1].as_str()), ("seed_000030", "seed_000029"));
    assert_eq!(names[0], "seed_000030");
    assert!(first.contains("Page 1 of 2") && first.contains("href=\"/admin?page=2\""));
    assert!(first.contains("31 accounts"));
    let second = boss.get_html("/admin?page=2").await;
    assert_eq!(usernames(&second).len(), 6);
    assert!(second.contains("Page 2 of 2") && second.contains("href=\"/admin\""));
    assert!(boss.get_html("/admin?page=99").await.contains("Page 2 of 2"));
    for bad in ["0", "-1", "two", "99999999999"] {
        assert_eq!(boss.get(&format!("/admin?page={bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let searched = boss.get_html("/admin?q=SEED_0000").await;
    assert!(searched.contains("30 accounts matching"));
    // Askama writes `&` as `&#38;`.
    assert!(searched.contains("href=\"/admin?q=SEED_0000&#38;page=2\""));
    // Seeding again continues the numbering.
    let again = gatehouse(&app.database_url, &["seed-users", "--count", "2"], "");
    assert!(text(&again.stdout).contains("seed_000031 to seed_000032"), "{}", text(&again.stderr));
    // Nobody knows the seeded accounts' password.
    let login = app.browser.login("seed_000001", PASSWORD, false).await;
    assert_eq!(login.status(), StatusCode::OK);
}

/// Every page of `/admin?{query}` from the first to the last, concatenated.
async fn all_pages(boss: &crate::helpers::Browser, query: &str, pages: usize) -> Vec<String> {
    let mut names = Vec::new();
    for page in 1..=pages {
        names.extend(usernames(&boss.get_html(&format!("/admin?{query}&page={page}")).await));
    }
    names
}

#[tokio::test]
async fn walking_every_page_of_every_sort_lists_each_account_once_in_order() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let out = gatehouse(&app.database_url, &["seed-users", "--count", "80"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 81 accounts, 4 pages: the later pages are read from the index's other end.
    for key in ["sort=created", "sort=last_login"] {
        let descending = all_pages(&boss, key, 4).await;
        let mut ascending = all_pages(&boss, &format!("{key}&order=asc"), 4).await;
        let mut distinct = descending.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!((descending.len(), distinct.len()), (81, 81), "{key}: every account once");
        ascending.reverse();
        assert_eq!(descending, ascending, "{key}: one order, read either way");
    }
    let newest_first = all_pages(&boss, "sort=created", 4).await;
    assert_eq!((newest_first[0].as_str(), newest_first[80].as_str()), ("seed_000080", "seed_000001"));
}

#[tokio::test]
async fn a_listing_of_more_than_a_thousand_and_a_search_within_it_agree_on_every_page() {
    let app = TestApp::spawn().await;
    let boss = admin(&app, "boss").await;
    let out = gatehouse(&app.database_url, &["seed-users", "--count", "1030"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // 1,031 accounts: pages cut by the database (LIMIT/OFFSET, both ends of the index).
    let everyone = all_pages(&boss, "sort=created", 42).await;
    assert_eq!(everyone.len(), 1031);
    assert_eq!((everyone[0].as_str(), everyone[1030].as_str()), ("seed_001030", "seed_000001"));
    let mut distinct = everyone.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 1031, "each account once");
    // seed_000001 to seed_000999 match: few enough to be read whole and cut here.
    let searched = all_pages(&boss, "q=seed_000&sort=created", 40).await;
    let expected: Vec<String> = everyone.iter().filter(|n| n.starts_with("seed_000")).cloned().collect();
    assert_eq!(expected.len(), 999);
    assert_eq!(searched, expected);
}
