//! A login that verified the old password cannot start its session after a reset ended
//! every session. The interleaving is forced with a row lock, not left to timing.

use crate::helpers::{PASSWORD, TestApp, location};
use diesel::prelude::*;
use gatehouse::db::schema::{sessions, users};
use gatehouse::domain::UserId;
use std::sync::mpsc;

fn user_id(app: &TestApp, name: &str) -> UserId {
    gatehouse::db::users::find_id_by_username(&mut app.db(), name).unwrap().unwrap()
}

fn version(app: &TestApp, id: UserId) -> i64 {
    users::table.find(id.0).select(users::credentials_version).first(&mut app.db()).unwrap()
}

#[tokio::test]
async fn a_login_racing_a_reset_does_not_outlive_it() {
    let app = TestApp::spawn().await;
    app.register("race_victim").await;
    let id = user_id(&app, "race_victim");

    // Another transaction holds the account's row, as a reset in progress would, and
    // changes the password the way the reset does once the login is waiting behind it.
    let (locked_tx, locked) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let mut conn = app.db();
    let reset = std::thread::spawn(move || {
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query(format!("SELECT id FROM users WHERE id = {} FOR UPDATE", id.0)).execute(c)?;
            locked_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            let hash = bcrypt::hash("the new password after reset", 4).unwrap();
            gatehouse::db::users::set_password_hash(c, id, &hash, gatehouse::db::now())?;
            gatehouse::db::sessions::delete_all_of(c, id)?;
            Ok(())
        })
        .unwrap();
    });
    locked.recv().unwrap();

    let browser = app.browser();
    let login = tokio::spawn(async move { browser.login("race_victim", PASSWORD, false).await });
    // The login has verified the old password and now waits to start its session.
    crate::helpers::eventually("the login waits for the account's row lock", || app.waiting_for_locks() > 0)
        .await;
    go.send(()).unwrap();
    tokio::task::spawn_blocking(move || reset.join().unwrap()).await.unwrap();

    let response = login.await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "the login must fail, not redirect");
    assert!(response.text().await.unwrap().contains("Invalid username or password."));
    let left: i64 =
        sessions::table.filter(sessions::user_id.eq(id.0)).count().get_result(&mut app.db()).unwrap();
    assert_eq!(left, 0, "a session started with the old password survived the reset");
}

#[tokio::test]
async fn password_changes_resets_and_deactivation_move_the_credentials_on() {
    let (app, sink) = TestApp::spawn_with_mail(|_| {}).await;
    let browser = app.logged_in("versioned").await;
    let id = user_id(&app, "versioned");
    let before = version(&app, id);

    let new = "an entirely new passphrase";
    let fields = [("current_password", PASSWORD), ("password", new), ("confirm_password", new)];
    assert_eq!(
        location(&browser.submit("/account/password", "/account/password", &fields).await),
        "/dashboard"
    );
    let changed = version(&app, id);
    assert!(changed > before);
    sink.wait_for(1).await; // "your password was changed", before the reset's link

    let link = crate::password_reset::reset_link(&app, &sink, "versioned").await;
    let reset = crate::password_reset::set_password(&app.browser(), &link, PASSWORD, PASSWORD).await;
    assert_eq!(location(&reset), "/login");
    let after_reset = version(&app, id);
    assert!(after_reset > changed);

    gatehouse::db::users::set_active(&mut app.db(), id, false, gatehouse::db::now()).unwrap();
    assert!(version(&app, id) > after_reset);
}
