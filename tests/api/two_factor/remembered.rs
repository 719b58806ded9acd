//! Remembered devices skip only the second step, and are forgotten when 2FA goes off or
//! the password changes; an admin can turn an account's 2FA off.

use super::{account_with_2fa, early_in_a_step, password_step};
use crate::helpers::{PASSWORD, TestApp, location};
use reqwest::StatusCode;

#[tokio::test]
async fn a_remembered_browser_skips_the_code_but_not_the_password() {
    let app = TestApp::spawn().await;
    let (_, phone, _) = account_with_2fa(&app, "greta").await;
    let browser = password_step(&app, "greta").await;
    early_in_a_step().await;
    let fields = [("code", phone.code(0)), ("remember_device", "on".to_owned())];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = browser.submit("/login/2fa", "/login/2fa", &fields).await;
    assert_eq!(location(&response), "/dashboard");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_device="))
        .expect("a device cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=2592000")
    );
    browser.logout().await;
    assert_eq!(browser.login("greta", "not the password", false).await.status(), StatusCode::OK);
    assert_eq!(location(&browser.login("greta", PASSWORD, false).await), "/dashboard");
    // Another browser is still asked.
    password_step(&app, "greta").await;
}

#[tokio::test]
async fn a_password_change_forgets_every_remembered_device() {
    let app = TestApp::spawn().await;
    let (here, phone, _) = account_with_2fa(&app, "hedda").await;
    let browser = password_step(&app, "hedda").await;
    early_in_a_step().await;
    let response = browser
        .submit("/login/2fa", "/login/2fa", &[("code", &phone.code(0)), ("remember_device", "on")])
        .await;
    assert_eq!(location(&response), "/dashboard");
    let new = "hedda's new long passphrase";
    let fields = [("current_password", PASSWORD), ("password", new), ("confirm_password", new)];
    assert_eq!(location(&here.submit("/account/password", "/account/password", &fields).await), "/dashboard");
    assert_eq!(location(&browser.login("hedda", new, false).await), "/login/2fa");
}

#[tokio::test]
async fn turning_2fa_off_forgets_remembered_devices() {
    let app = TestApp::spawn().await;
    let (here, _phone, codes) = account_with_2fa(&app, "ilse").await;
    let browser = password_step(&app, "ilse").await;
    let response =
        browser.submit("/login/2fa", "/login/2fa", &[("code", &codes[0]), ("remember_device", "on")]).await;
    assert_eq!(location(&response), "/dashboard");
    browser.logout().await;
    let fields = [("current_password", PASSWORD), ("code", codes[1].as_str())];
    assert_eq!(location(&here.submit("/account/2fa", "/account/2fa/disable", &fields).await), "/account/2fa");
    super::enable(&here).await;
    assert_eq!(location(&browser.login("ilse", PASSWORD, false).await), "/login/2fa");
}

#[tokio::test]
async fn an_admin_turns_an_accounts_2fa_off_audited_and_the_owner_emailed() {
    use gatehouse::domain::Role;
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    account_with_2fa(&app, "jorun").await;
    let admin = app.logged_in("admin1").await;
    app.set_role("admin1", Role::Admin);
    let user = app.logged_in("plainuser").await;
    let id = {
        let mut conn = app.db();
        gatehouse::db::users::find_id_by_username(&mut conn, "jorun").unwrap().unwrap()
    };
    let action = format!("/admin/users/{id}/reset-2fa");
    assert_eq!(user.submit("/dashboard", &action, &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.post_form(&action, &[]).await.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(location(&app.browser().login("jorun", PASSWORD, false).await), "/login/2fa");
    let page = format!("/admin/users/{id}");
    assert!(admin.get_html(&page).await.contains(&format!("action=\"{action}\"")));
    let response = admin.submit(&page, &action, &[("return_to", &page)]).await;
    assert_eq!(location(&response), page);
    assert_eq!(location(&app.browser().login("jorun", PASSWORD, false).await), "/dashboard");
    let notice = sink.wait_for(1).await;
    assert!(notice.iter().any(|m| m.to == ["jorun@example.com"] && m.subject().contains("administrator")));
    let audit = admin.get_html("/admin/audit").await;
    assert!(audit.contains("2fa.reset_by_admin") && audit.contains("2fa.enabled"), "{audit}");
}
