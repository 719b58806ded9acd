//! `/account/email`: the address changes only through the link mailed to the new one;
//! the old one gets a notice whose link undoes the change and locks everyone out.

use crate::admin::id_of;
use crate::email_verification::{link_path, press};
use crate::helpers::{Browser, PASSWORD, TestApp, flashes, location};
use crate::support::smtp::{Received, SmtpSink};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use gatehouse::db::schema::{audit_events, email_tokens, sessions, users};
use reqwest::StatusCode;

const CONFIRM_SUBJECT: &str = "Confirm your new gatehouse email address";
const NOTICE_SUBJECT: &str = "Your gatehouse email address is being changed";
const NEW_PASSWORD: &str = "a brand new passphrase";

pub async fn ask_to_change(browser: &Browser, password: &str, email: &str) -> reqwest::Response {
    browser
        .submit("/account/email", "/account/email", &[("current_password", password), ("email", email)])
        .await
}

/// The path of the link under `route` in the newest email to `to` with `subject` about `username`.
async fn link(sink: &SmtpSink, to: &str, subject: &str, username: &str, route: &str) -> String {
    let about = |m: &Received| m.to == [to] && m.subject() == subject && m.text().contains(username);
    let message = sink.wait_for_one(subject, about).await;
    link_path(&message, route)
}

fn email_of(app: &TestApp, username: &str) -> (String, Option<NaiveDateTime>) {
    users::table
        .filter(users::username.eq(username))
        .select((users::email, users::email_verified_at))
        .first(&mut app.db())
        .unwrap()
}

fn actions_of(app: &TestApp, username: &str) -> Vec<String> {
    audit_events::table
        .filter(audit_events::target_id.eq(id_of(app, username)))
        .filter(audit_events::action.like("email.change%").or(audit_events::action.eq("email.changed")))
        .order(audit_events::id.asc())
        .select(audit_events::action)
        .load(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn the_address_changes_only_when_the_link_to_the_new_one_is_posted() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("kira").await;
    let asked = ask_to_change(&browser, PASSWORD, "Kira.New@Example.com").await;
    assert_eq!(location(&asked), "/dashboard");
    let info = flashes(&browser.get_html("/dashboard").await, "info");
    assert_eq!(info, ["We have sent a link to kira.new@example.com. Your address changes once you use it."]);
    assert_eq!(email_of(&app, "kira").0, "kira@example.com");
    assert!(
        browser
            .get_html("/account/email")
            .await
            .contains("A change to <strong>kira.new@example.com</strong>")
    );

    let confirm =
        link(&sink, "kira.new@example.com", CONFIRM_SUBJECT, "kira", "/account/email/confirm/").await;
    // The old address is told at once, with a way back.
    link(&sink, "kira@example.com", NOTICE_SUBJECT, "kira", "/account/email/revert/").await;
    for _ in 0..2 {
        assert_eq!(app.browser.get(&confirm).await.status(), StatusCode::OK, "a prefetch changes nothing");
    }
    assert_eq!(email_of(&app, "kira").0, "kira@example.com");

    let confirmed = press(&browser, &confirm, &confirm).await;
    assert_eq!(location(&confirmed), "/dashboard");
    assert_eq!(
        flashes(&browser.get_html("/dashboard").await, "success"),
        ["Your email address has been changed."]
    );
    let (email, verified_at) = email_of(&app, "kira");
    assert_eq!(email, "kira.new@example.com");
    assert!(verified_at.is_some(), "the link proved the new address");
    assert_eq!(location(&app.browser().login("kira.new@example.com", PASSWORD, false).await), "/dashboard");
    // Used once.
    assert_eq!(press(&app.browser(), "/login", &confirm).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(actions_of(&app, "kira"), ["email.change_requested", "email.changed"]);
}

#[tokio::test]
async fn links_live_one_hour_and_seven_days_and_expired_ones_do_nothing() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("lars").await;
    ask_to_change(&browser, PASSWORD, "lars2@example.com").await;
    let confirm = link(&sink, "lars2@example.com", CONFIRM_SUBJECT, "lars", "/account/email/confirm/").await;
    let revert = link(&sink, "lars@example.com", NOTICE_SUBJECT, "lars", "/account/email/revert/").await;
    let lifetimes: Vec<(String, NaiveDateTime, NaiveDateTime)> = email_tokens::table
        .filter(email_tokens::purpose.ne("verify"))
        .order(email_tokens::purpose.asc())
        .select((email_tokens::purpose, email_tokens::created_at, email_tokens::expires_at))
        .load(&mut app.db())
        .unwrap();
    let lifetimes: Vec<(&str, TimeDelta)> = lifetimes.iter().map(|(p, c, e)| (p.as_str(), *e - *c)).collect();
    assert_eq!(lifetimes, [("change", TimeDelta::hours(1)), ("revert", TimeDelta::days(7))]);

    diesel::update(email_tokens::table)
        .set(email_tokens::expires_at.eq(Utc::now().naive_utc() - TimeDelta::seconds(1)))
        .execute(&mut app.db())
        .unwrap();
    for path in [&confirm, &revert] {
        assert_eq!(app.browser.get(path).await.status(), StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(press(&browser, "/dashboard", path).await.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    assert_eq!(email_of(&app, "lars").0, "lars@example.com");
    assert_eq!(location(&browser.get("/dashboard").await), "", "still logged in");
}

#[tokio::test]
async fn a_wrong_current_password_is_422_sends_nothing_and_counts_like_a_failed_login() {
    let app = TestApp::spawn_with(|s| s.limits.login_account_ip.limit = 2).await;
    let browser = app.logged_in("mona").await;
    app.register("taken").await;
    for _ in 0..2 {
        // An address another account has: the wrong password is all it is told.
        let refused = ask_to_change(&browser, "not my password", "taken@example.com").await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text().await.unwrap();
        assert!(html.contains("Your current password is not correct."), "{html}");
        assert!(!html.contains("already exists"), "{html}");
    }
    assert_eq!(
        email_tokens::table
            .filter(email_tokens::purpose.ne("verify"))
            .count()
            .get_result::<i64>(&mut app.db())
            .unwrap(),
        0
    );
    // The limit on failed logins for this account from this address now applies to both.
    assert_eq!(
        ask_to_change(&browser, PASSWORD, "mona2@example.com").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.browser().login("mona", PASSWORD, false).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(actions_of(&app, "mona"), ["email.change_refused", "email.change_refused"]);
}

#[tokio::test]
async fn the_owner_is_told_when_an_address_is_taken_or_already_theirs() {
    let app = TestApp::spawn().await;
    let browser = app.logged_in("nina").await;
    app.register("other").await;
    for (email, message) in [
        ("Other@Example.com", "An account with that email already exists."),
        ("nina@example.com", "That is already your email address."),
        ("not an address", "valid"),
    ] {
        let refused = ask_to_change(&browser, PASSWORD, email).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(message) && html.contains(&format!("value=\"{email}\"")), "{email}: {html}");
    }
    assert_eq!(email_of(&app, "nina").0, "nina@example.com");
}

#[tokio::test]
async fn confirms_racing_each_other_and_a_registration_for_one_address_let_exactly_one_win() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let names = ["racer_ann", "racer_bob", "racer_cid", "racer_dot", "racer_eve"];
    let mut contenders = Vec::new();
    for name in names {
        let browser = app.logged_in(name).await;
        assert_eq!(location(&ask_to_change(&browser, PASSWORD, "prize@example.com").await), "/dashboard");
        let path = link(&sink, "prize@example.com", CONFIRM_SUBJECT, name, "/account/email/confirm/").await;
        let token = browser.csrf_token(&path).await;
        contenders.push((browser, path, token));
    }
    let registrant = app.browser();
    let register_token = registrant.csrf_token("/register").await;
    let registration = [
        ("csrf_token", register_token.as_str()),
        ("username", "racer_new"),
        ("email", "prize@example.com"),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    // Every request is ready to go; they leave at once.
    let confirms = contenders
        .iter()
        .map(|(b, path, token)| async move { b.post_form(path, &[("csrf_token", token.as_str())]).await });
    let (confirmed, registered) = tokio::join!(
        futures_util::future::join_all(confirms),
        registrant.post_form("/register", &registration)
    );
    let mut statuses: Vec<StatusCode> = confirmed.iter().map(|r| r.status()).collect();
    statuses.push(registered.status());
    let winners = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    assert_eq!(winners, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    // Each confirm that lost is in the audit log.
    let lost = confirmed.iter().filter(|r| r.status() == StatusCode::UNPROCESSABLE_ENTITY).count();
    let refusals: i64 = audit_events::table
        .filter(audit_events::action.eq("email.change_refused"))
        .count()
        .get_result(&mut app.db())
        .unwrap();
    assert_eq!(usize::try_from(refusals).unwrap(), lost);
    let holders: i64 =
        users::table.filter(users::email.eq("prize@example.com")).count().get_result(&mut app.db()).unwrap();
    assert_eq!(holders, 1);
}

#[tokio::test]
async fn revert_restores_the_old_address_ends_every_session_and_mails_a_reset_link() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let owner = app.logged_in("olga").await;
    let laptop = app.browser();
    laptop.login("olga", PASSWORD, true).await;
    // A thief with a copied session changes the address and confirms it.
    let thief = app.browser();
    thief.login("olga", PASSWORD, false).await;
    ask_to_change(&thief, PASSWORD, "thief@example.com").await;
    let confirm = link(&sink, "thief@example.com", CONFIRM_SUBJECT, "olga", "/account/email/confirm/").await;
    assert_eq!(location(&press(&thief, &confirm, &confirm).await), "/dashboard");
    // ...and has a reset link sent to the new address.
    let asked =
        app.browser.submit("/password-reset", "/password-reset", &[("email", "thief@example.com")]).await;
    assert_eq!(location(&asked), "/login");
    let thiefs_reset =
        link(&sink, "thief@example.com", "Reset your gatehouse password", "olga", "/password-reset/").await;

    let revert = link(&sink, "olga@example.com", NOTICE_SUBJECT, "olga", "/account/email/revert/").await;
    assert_eq!(app.browser.get(&revert).await.status(), StatusCode::OK);
    assert_eq!(email_of(&app, "olga").0, "thief@example.com", "the GET changed nothing");
    let reverted = press(&app.browser(), &revert, &revert).await;
    assert_eq!(location(&reverted), "/login");

    let (email, verified_at) = email_of(&app, "olga");
    assert_eq!(email, "olga@example.com");
    assert!(verified_at.is_some());
    let left: i64 = sessions::table.count().get_result(&mut app.db()).unwrap();
    assert_eq!(left, 0, "every session and API login of the account ended");
    for browser in [&owner, &laptop, &thief] {
        assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    }
    assert_eq!(app.browser.get(&thiefs_reset).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(press(&app.browser(), "/login", &revert).await.status(), StatusCode::BAD_REQUEST, "used once");

    let reset =
        link(&sink, "olga@example.com", "Reset your gatehouse password", "olga", "/password-reset/").await;
    let fields = [("password", NEW_PASSWORD), ("confirm_password", NEW_PASSWORD)];
    assert_eq!(location(&app.browser().submit(&reset, &reset, &fields).await), "/login");
    assert_eq!(location(&app.browser().login("olga@example.com", NEW_PASSWORD, false).await), "/dashboard");
    assert_eq!(
        actions_of(&app, "olga"),
        ["email.change_requested", "email.changed", "email.change_reverted"]
    );
}

#[tokio::test]
async fn the_owners_older_notice_outlives_a_thiefs_second_change() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let thief = app.logged_in("pia").await;
    ask_to_change(&thief, PASSWORD, "t1@example.com").await;
    let confirm = link(&sink, "t1@example.com", CONFIRM_SUBJECT, "pia", "/account/email/confirm/").await;
    press(&thief, &confirm, &confirm).await;
    ask_to_change(&thief, PASSWORD, "t2@example.com").await;
    let confirm = link(&sink, "t2@example.com", CONFIRM_SUBJECT, "pia", "/account/email/confirm/").await;
    press(&thief, &confirm, &confirm).await;
    assert_eq!(email_of(&app, "pia").0, "t2@example.com");

    let owners = link(&sink, "pia@example.com", NOTICE_SUBJECT, "pia", "/account/email/revert/").await;
    let thiefs = link(&sink, "t1@example.com", NOTICE_SUBJECT, "pia", "/account/email/revert/").await;
    assert_eq!(location(&press(&app.browser(), &owners, &owners).await), "/login");
    assert_eq!(email_of(&app, "pia").0, "pia@example.com");
    assert_eq!(press(&app.browser(), "/login", &thiefs).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(email_of(&app, "pia").0, "pia@example.com");
}

#[tokio::test]
async fn confirm_verify_and_revert_work_on_sqlite_too() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_sqlite_with(crate::helpers::mail_to(&sink)).await;
    let browser = app.logged_in("quinn").await;
    let verify = crate::email_verification::verification_link(&sink, "quinn@example.com", 1).await;
    assert_eq!(location(&press(&browser, &verify, &verify).await), "/dashboard");
    ask_to_change(&browser, PASSWORD, "quinn2@example.com").await;
    let confirm =
        link(&sink, "quinn2@example.com", CONFIRM_SUBJECT, "quinn", "/account/email/confirm/").await;
    assert_eq!(location(&press(&browser, &confirm, &confirm).await), "/dashboard");
    assert_eq!(email_of(&app, "quinn").0, "quinn2@example.com");
    let revert = link(&sink, "quinn@example.com", NOTICE_SUBJECT, "quinn", "/account/email/revert/").await;
    assert_eq!(location(&press(&browser, &revert, &revert).await), "/login");
    assert_eq!(email_of(&app, "quinn").0, "quinn@example.com");
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
}

#[tokio::test]
async fn a_revert_before_the_confirmation_cancels_the_pending_change() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("rosa").await;
    ask_to_change(&browser, PASSWORD, "rosa.thief@example.com").await;
    let confirm =
        link(&sink, "rosa.thief@example.com", CONFIRM_SUBJECT, "rosa", "/account/email/confirm/").await;
    let revert = link(&sink, "rosa@example.com", NOTICE_SUBJECT, "rosa", "/account/email/revert/").await;
    assert_eq!(location(&press(&app.browser(), &revert, &revert).await), "/login");
    assert_eq!(location(&browser.get("/dashboard").await), "/login?next=%2Fdashboard");
    assert_eq!(press(&app.browser(), "/login", &confirm).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(email_of(&app, "rosa").0, "rosa@example.com");
}
