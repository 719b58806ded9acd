//! Two instances behind HAProxy act as one: logins, logouts, revocations, throttle
//! counts, reset links, role changes, API logins (refresh-token reuse, logout) and
//! one-time codes are the same on both.

use super::Cluster;
use super::metrics::{NEW_PASSWORD, reset_password};
use crate::helpers::{PASSWORD, eventually, location};
use diesel::prelude::*;
use gatehouse::db::schema::email_outbox;
use gatehouse::db::{self, DatabaseUrl};
use gatehouse::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn two_instances_behind_haproxy_behave_as_one() {
    let cluster = Cluster::start(&[]).await;
    login_dashboard_and_logout(&cluster).await;
    revoking_on_one_ends_the_session_on_the_other(&cluster).await;
    the_throttle_count_is_shared(&cluster).await;
    a_reset_link_is_emailed_once_and_works_once(&cluster).await;
    a_role_change_applies_at_once_on_the_other_instance(&cluster).await;
    an_api_login_is_one_login_on_both_instances(&cluster).await;
    a_one_time_code_is_accepted_once_across_instances(&cluster).await;
}

async fn login_dashboard_and_logout(cluster: &Cluster) {
    let alice = cluster.logged_in("alice").await;
    // Round robin: consecutive requests alternate between the instances.
    for _ in 0..4 {
        let dashboard = alice.get("/dashboard").await;
        assert_eq!(dashboard.status(), StatusCode::OK);
        assert!(dashboard.text().await.unwrap().contains("alice@example.com"));
    }
    for n in 0..2 {
        assert_eq!(
            cluster.direct(&alice, n).get("/dashboard").await.status(),
            StatusCode::OK,
            "instance {n}"
        );
    }
    let stolen = alice.cookie_header();
    assert_eq!(location(&alice.logout().await), "/login");
    for n in 0..2 {
        let replayed = with_cookie(&cluster.instances[n].base(), "/dashboard", &stolen).await;
        assert_eq!(replayed.status(), StatusCode::SEE_OTHER, "the old cookie on instance {n}");
        assert_eq!(location(&replayed), "/login?next=%2Fdashboard");
    }
}

async fn revoking_on_one_ends_the_session_on_the_other(cluster: &Cluster) {
    let laptop = cluster.logged_in("bob").await;
    let phone = cluster.browser();
    assert_eq!(location(&phone.login("bob", PASSWORD, false).await), "/dashboard");
    assert_eq!(cluster.direct(&phone, 1).get("/dashboard").await.status(), StatusCode::OK);
    let on_a = cluster.direct(&laptop, 0);
    let revoked = on_a.submit("/account/sessions", "/account/sessions/revoke-others", &[]).await;
    assert_eq!(location(&revoked), "/account/sessions");
    let phone_on_b = cluster.direct(&phone, 1).get("/dashboard").await;
    assert_eq!(
        location(&phone_on_b),
        "/login?next=%2Fdashboard",
        "the revoked session on the other instance"
    );
    assert_eq!(cluster.direct(&laptop, 1).get("/dashboard").await.status(), StatusCode::OK);
}

async fn the_throttle_count_is_shared(cluster: &Cluster) {
    cluster.logged_in("carol").await;
    // The limit is 5 failures per account and address; they alternate between instances.
    let attacker = cluster.browser();
    for attempt in 0..5 {
        let on = cluster.direct(&attacker, attempt % 2);
        assert_eq!(
            on.login("carol", "wrong guess", false).await.status(),
            StatusCode::OK,
            "attempt {attempt}"
        );
    }
    for n in 0..2 {
        let sixth = cluster.direct(&attacker, n).login("carol", "wrong guess", false).await;
        assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS, "instance {n}");
    }
    let through_proxy = attacker.login("carol", PASSWORD, false).await;
    assert_eq!(through_proxy.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn a_reset_link_is_emailed_once_and_works_once(cluster: &Cluster) {
    cluster.logged_in("dave").await;
    let browser = cluster.browser();
    let path = reset_password(&cluster.direct(&browser, 0), &cluster.sink, "dave@example.com").await;
    // Both workers poll the one outbox. Once the link and the "password changed" notice
    // are marked sent, no worker sends them again: each arrived exactly once.
    let mut conn = PgConnection::establish(&cluster.database_url).unwrap();
    eventually("both emails are marked sent", || {
        // (The registration's confirmation email is another kind, and not counted here.)
        let statuses: Vec<String> = email_outbox::table
            .filter(email_outbox::kind.eq_any(["password_reset", "password_changed"]))
            .select(email_outbox::status)
            .load(&mut conn)
            .unwrap();
        statuses == ["sent", "sent"]
    })
    .await;
    let subjects: Vec<String> = cluster.sink.messages().iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(subjects.iter().filter(|s| *s == "Reset your gatehouse password").count(), 1, "{subjects:?}");
    // Used on one instance, the link is dead on the other.
    let other = cluster.direct(&browser, 1);
    assert_eq!(other.get(&path).await.status(), StatusCode::BAD_REQUEST);
    let fields = [("password", "yet another passphrase"), ("confirm_password", "yet another passphrase")];
    assert_eq!(other.submit("/login", &path, &fields).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(location(&cluster.browser().login("dave", NEW_PASSWORD, false).await), "/dashboard");
}

async fn a_role_change_applies_at_once_on_the_other_instance(cluster: &Cluster) {
    let erin = cluster.logged_in("erin").await;
    cluster.logged_in("root").await;
    let mut conn = DatabaseUrl::parse(&cluster.database_url).unwrap().connect().unwrap();
    let id_of = |conn: &mut _, name: &str| db::users::find_id_by_username(conn, name).unwrap().unwrap();
    let root = id_of(&mut conn, "root");
    db::users::set_role(&mut conn, root, Role::Admin).unwrap();
    let admin = cluster.browser();
    assert_eq!(location(&admin.login("root", PASSWORD, false).await), "/dashboard");
    let erin_on_b = cluster.direct(&erin, 1);
    assert_eq!(erin_on_b.get("/editor").await.status(), StatusCode::FORBIDDEN);
    let action = format!("/admin/users/{}/role", id_of(&mut conn, "erin"));
    let changed = cluster.direct(&admin, 0).submit("/admin", &action, &[("role", "editor")]).await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(erin_on_b.get("/editor").await.status(), StatusCode::OK, "the new role on the other instance");
}

/// `GET path` on `base` with exactly `cookie`, as someone replaying a copied cookie.
async fn with_cookie(base: &str, path: &str, cookie: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client.get(format!("{base}{path}")).header("cookie", cookie).send().await.unwrap()
}

/// A refresh token spent on one instance is reuse on the other (the whole login ends),
/// and an API logout on one instance ends the access token on the other.
async fn an_api_login_is_one_login_on_both_instances(cluster: &Cluster) {
    cluster.logged_in("api_user").await;
    let client = reqwest::Client::new();
    let on = |n: usize, path: &str| format!("{}{path}", cluster.instances[n].base());
    let post = async |n: usize, path: &str, body: serde_json::Value| {
        client.post(on(n, path)).json(&body).send().await.unwrap()
    };
    let me = async |n: usize, token: &str| {
        client.get(on(n, "/api/v1/me")).bearer_auth(token).send().await.unwrap().status()
    };
    let credentials = serde_json::json!({ "username": "api_user", "password": PASSWORD });
    let login: serde_json::Value =
        post(0, "/api/v1/auth/login", credentials.clone()).await.json().await.unwrap();
    let first = login["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = post(0, "/api/v1/auth/refresh", serde_json::json!({ "refresh_token": first })).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let pair: serde_json::Value = refreshed.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(1, &access).await, StatusCode::OK, "instance 1 takes instance 0's token");
    let reused = post(1, "/api/v1/auth/refresh", serde_json::json!({ "refresh_token": first })).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(reused.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    for n in 0..2 {
        assert_eq!(
            me(n, &access).await,
            StatusCode::UNAUTHORIZED,
            "the reused login's token on instance {n}"
        );
    }

    let login: serde_json::Value = post(1, "/api/v1/auth/login", credentials).await.json().await.unwrap();
    let access = login["access_token"].as_str().unwrap().to_owned();
    let logout = client.post(on(0, "/api/v1/auth/logout")).bearer_auth(&access).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(1, &access).await, StatusCode::UNAUTHORIZED, "logged out on 0, dead on 1");
}

/// A TOTP code used on one instance is refused on the other, and so is a recovery code.
async fn a_one_time_code_is_accepted_once_across_instances(cluster: &Cluster) {
    let owner = cluster.logged_in("otp_user").await;
    let (phone, recovery) = crate::two_factor::enable(&owner).await;
    let second_step = async |n: usize| {
        let browser = cluster.direct(&cluster.browser(), n);
        assert_eq!(location(&browser.login("otp_user", PASSWORD, false).await), "/login/2fa");
        browser
    };
    let (on_a, on_b) = (second_step(0).await, second_step(1).await);
    let code = phone.code(0);
    assert_eq!(location(&crate::two_factor::send_code(&on_a, &code).await), "/dashboard");
    let replayed = crate::two_factor::send_code(&on_b, &code).await;
    assert_eq!(replayed.status(), StatusCode::UNPROCESSABLE_ENTITY, "the code again, on the other instance");
    let (on_a, on_b) = (second_step(0).await, second_step(1).await);
    assert_eq!(location(&crate::two_factor::send_code(&on_b, &recovery[0]).await), "/dashboard");
    let again = crate::two_factor::send_code(&on_a, &recovery[0]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY, "the recovery code again");
}
