//! `gatehouse create-admin`: an operator makes an account an active admin, creating it
//! with the registration rules when it does not exist, each change audited.

use super::ClientInfo;
use super::administration::role_list;
use super::audit::{self, Action, Event};
use super::registration::create_account;
use crate::db::{self, DbError};
use crate::domain::{Email, Password, Role, UserId, Username};
use anyhow::{Context, bail};

/// What `create-admin` did, for its one line of output.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    Promoted,
}

/// Runs on a blocking thread with its own connection (the command line has no pool).
pub fn promote_or_create(
    conn: &mut db::Conn,
    username: &Username,
    email: &Email,
    password: &str,
    cost: u32,
) -> anyhow::Result<AdminOutcome> {
    use diesel::Connection;
    let client = ClientInfo { ip: "cli".into(), user_agent: "gatehouse create-admin".into() };
    if let Some(id) = db::users::find_id_by_username(conn, &username.folded())? {
        conn.transaction::<_, DbError, _>(|conn| promote(conn, id, &client))?;
        return Ok(AdminOutcome::Promoted);
    }
    let password = Password::parse(password, username.as_str(), email.as_str())
        .map_err(|e| anyhow::anyhow!("refused password: {e}"))?;
    if db::users::email_taken(conn, email.as_str())? {
        bail!("another account already uses the email {email}");
    }
    let hash = bcrypt::hash(password.plain().as_bytes(), cost).context("hashing the password")?;
    conn.transaction::<_, DbError, _>(|conn| {
        let id = create_account(conn, username, email, Some(&hash), Role::Admin, true)?;
        db::email_tokens::mark_verified(conn, id, email.as_str(), db::now())?; // the operator vouches for it
        let event = Event {
            action: Action::AccountCreated,
            actor: None,
            target: Some(id),
            subject: username.as_str(),
            details: "role: admin",
            client: &client,
        };
        audit::record(conn, &event)
    })?;
    Ok(AdminOutcome::Created)
}

/// Makes an existing account an active admin, recording each change it makes.
fn promote(conn: &mut db::Conn, id: UserId, client: &ClientInfo) -> Result<(), DbError> {
    let Some(before) = db::users::profile(conn, id)? else { return Ok(()) };
    let roles = db::users::roles_of(conn, id)?;
    db::users::set_role(conn, id, Role::Admin)?;
    db::users::set_active(conn, id, true, db::now())?;
    let role_change = format!("role: {} -> admin", role_list(&roles));
    let changes = [
        (roles != [Role::Admin], Action::RoleChanged, role_change.as_str()),
        (!before.is_active, Action::AccountReactivated, "active: false -> true"),
    ];
    for (_, action, details) in changes.into_iter().filter(|(changed, _, _)| *changed) {
        let event =
            Event { action, actor: None, target: Some(id), subject: &before.username, details, client };
        audit::record(conn, &event)?;
    }
    Ok(())
}
