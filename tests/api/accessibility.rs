//! Every admin page and the public pages, checked in headless Chromium with axe-core: no
//! serious or critical violation, at phone width and at desktop width. With
//! `GATEHOUSE_SCREENSHOTS=DIR` the run also saves the main pages' screenshots there
//! (the README's are made with `GATEHOUSE_SCREENSHOTS=docs`).

use crate::admin::id_of;
use crate::browser::{Driver, click, fill, wait_for_path};
use crate::cli::gatehouse;
use crate::helpers::{PASSWORD, TestApp};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use fantoccini::Client;
use gatehouse::db::audit::NewAuditEvent;
use gatehouse::db::schema::throttle_refusals;
use gatehouse::domain::Role;
use std::path::PathBuf;

const INSTALL: &str = "the accessibility test needs axe-core: `npm install --prefix target/axe axe-core@4` \
    (as .ci/run does), or set AXE_CORE_JS to the path of axe.min.js";

/// axe-core's script: `AXE_CORE_JS`, else where `.ci/run` installs it.
fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/axe/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{INSTALL} ({}: {e})", path.display()))
}

/// Runs axe on the page at `path` (injected through WebDriver, so the page's CSP does not
/// apply to it) and returns its serious and critical violations, described.
async fn violations(browser: &Client, base: &str, path: &str, axe: &str) -> Vec<String> {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    check(browser, path, axe).await
}

async fn check(browser: &Client, path: &str, axe: &str) -> Vec<String> {
    browser.execute(axe, vec![]).await.unwrap();
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', ')}`)));";
    let found = browser.execute_async(script, vec![]).await.unwrap();
    let found: Vec<String> = serde_json::from_value(found).unwrap();
    found.into_iter().map(|v| format!("{path}: {v}")).collect()
}

#[tokio::test]
async fn every_admin_page_and_the_public_pages_pass_axe_at_phone_and_desktop_width() {
    // A relying party, so that the login and passkeys pages show their passkey controls,
    // and the mock providers, so that the sign-in and connections pages show theirs.
    let idp = crate::support::mock_idp::MockIdp::start().await;
    let providers = crate::sign_in_flow::providers(&idp, false);
    let app = TestApp::spawn_with(move |settings| {
        crate::passkeys::on_localhost(settings);
        settings.auth_providers = providers;
    })
    .await;
    app.register("a11y_admin").await;
    app.set_role("a11y_admin", Role::Admin);
    let _other = app.logged_in("someone_else").await;
    app.browser().login("someone_else", "not the password", false).await;
    let other = id_of(&app, "someone_else");
    arrange(&app, other);
    let axe = axe_source();
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    // The check itself works: a page with an image without a text alternative fails it.
    browser
        .goto("data:text/html,<html lang=en><title>t</title><main><img src=x.png></main></html>")
        .await
        .unwrap();
    let broken = check(&browser, "(broken page)", &axe).await;
    assert!(broken.iter().any(|v| v.contains("critical image-alt")), "{broken:?}");
    let public = [
        "/",
        "/login",
        "/register",
        "/password-reset",
        "/verify-email",
        "/verify-email/dead",
        "/no-such-page",
    ];
    let logged_in = [
        "/dashboard",
        "/account/password",
        "/account/email",
        "/account/sessions",
        "/account/passkeys",
        "/account/connections",
    ];
    let admin_pages = [
        "/admin/overview".to_owned(),
        "/admin".to_owned(),
        "/admin?role=user&status=active&sort=last_login".to_owned(),
        format!("/admin/users/{other}"),
        "/admin/audit".to_owned(),
        format!("/admin/audit?user={other}"),
        "/admin/emails".to_owned(),
    ];
    let mut found = Vec::new();
    for (width, height) in [(390, 844), (1280, 900)] {
        browser.set_window_size(width, height).await.unwrap();
        browser.delete_all_cookies().await.unwrap();
        for path in public {
            found.extend(violations(&browser, &app.base, path, &axe).await);
        }
        browser.goto(&format!("{}/login", app.base)).await.unwrap();
        fill(&browser, "username", "a11y_admin").await;
        fill(&browser, "password", PASSWORD).await;
        click(&browser, "form.form button[type=submit]").await;
        wait_for_path(&browser, "/dashboard").await;
        for path in logged_in.iter().map(|p| p.to_string()).chain(admin_pages.iter().cloned()) {
            found.extend(violations(&browser, &app.base, &path, &axe).await);
        }
        screenshots(&browser, &app.base, width, other).await;
    }
    browser.close().await.unwrap();
    assert!(found.is_empty(), "axe found serious or critical violations:\n{}", found.join("\n"));
}

/// The main pages' screenshots at this width, when `GATEHOUSE_SCREENSHOTS` says where:
/// the logged-in pages and the admin's, then (logged out) the login and register forms.
async fn screenshots(browser: &Client, base: &str, width: u32, account: i64) {
    let Some(dir) = std::env::var_os("GATEHOUSE_SCREENSHOTS").map(PathBuf::from) else { return };
    let dir = if dir.is_relative() { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir) } else { dir };
    std::fs::create_dir_all(&dir).unwrap();
    let pages = [
        ("dashboard", "/dashboard".to_owned()),
        ("sessions", "/account/sessions".to_owned()),
        ("two-factor", "/account/2fa".to_owned()),
        ("tokens", "/account/tokens".to_owned()),
        ("connections", "/account/connections".to_owned()),
        ("passkeys", "/account/passkeys".to_owned()),
        ("admin-overview", "/admin/overview".to_owned()),
        ("admin-accounts", "/admin".to_owned()),
        ("admin-account", format!("/admin/users/{account}")),
        ("admin-audit", "/admin/audit".to_owned()),
    ];
    let shoot = async |name: &str, path: &str| {
        browser.set_window_size(width, if width < 600 { 1400 } else { 1000 }).await.unwrap();
        browser.goto(&format!("{base}{path}")).await.unwrap();
        let png = browser.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
    };
    for (name, path) in &pages {
        shoot(name, path).await;
    }
    browser.delete_all_cookies().await.unwrap();
    for (name, path) in [("login", "/login"), ("register", "/register")] {
        shoot(name, path).await;
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

/// Pages as full as an admin would see them: a few pages of accounts, a month of logins,
/// failures and throttled attempts, a role change, and emails stuck for one account.
fn arrange(app: &TestApp, account: i64) {
    let out = gatehouse(&app.database_url, &["seed-users", "--count", "80"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut conn = app.db();
    let mut event = |days: i64, action: &str, details: &str| {
        let entry = NewAuditEvent {
            created_at: (Utc::now() - TimeDelta::days(days) - TimeDelta::hours(1)).naive_utc(),
            action,
            actor_id: Some(account),
            target_id: Some(account),
            subject: "",
            details,
            ip: "198.51.100.7",
            user_agent: FIREFOX,
        };
        gatehouse::db::audit::insert(&mut conn, &entry).unwrap();
    };
    for day in 1..30 {
        for _ in 0..(day * 7 % 11 + 2) {
            event(day, "login.succeeded", "");
        }
        for _ in 0..(day * 3 % 5) {
            event(day, "login.failed", "wrong password or unknown user");
        }
    }
    event(0, "account.role_changed", "role: user -> editor");
    event(0, "account.deactivated", "active: true -> false; 2 sessions ended");
    let mut conn = app.db();
    for day in [2, 3, 9, 17] {
        let key = (Utc::now() - TimeDelta::days(day)).format("%Y-%m-%d").to_string();
        diesel::insert_into(throttle_refusals::table)
            .values((
                throttle_refusals::day.eq(key),
                throttle_refusals::kind.eq("login"),
                throttle_refusals::count.eq(day * 2),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let now = Utc::now().naive_utc();
    for (subject, status) in [("Reset your password", "failed"), ("Your password was changed", "pending")] {
        let message = gatehouse::db::outbox::NewMessage {
            created_at: now,
            kind: "test",
            recipient: "someone_else@example.com",
            subject,
            body_text: "",
            body_html: "",
            status,
            attempts: 8,
            next_attempt_at: now + TimeDelta::hours(1),
        };
        gatehouse::db::outbox::insert(&mut conn, &message).unwrap();
    }
}
