//! What admins do to accounts: (de)activate, set the role, end its sessions, delete it;
//! and the same to many accounts at once (see `bulk`).
//! Each change is checked against the safety rules and audited in its own transaction,
//! under one lock, so two admins acting at once can't leave the app without an admin.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Role, UserId};

pub mod bulk;
mod outcome;

pub use outcome::Outcome;
use outcome::sessions;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("there is no such account")]
    NotFound,
    /// The acting account lost `admin` (or was deactivated) since its request began.
    #[error("you are no longer an active admin")]
    NotAdmin,
    /// A safety rule forbids the change; the message says which.
    #[error("{0}")]
    Refused(String),
    #[error("the confirmation does not match the account's username")]
    ConfirmationMismatch,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for AdminError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

/// Deactivates an active account (ending its sessions at once) or reactivates one.
pub async fn toggle_active(
    db: &Db,
    actor: UserId,
    target: UserId,
    client: ClientInfo,
) -> Result<Outcome, AdminError> {
    db.transaction(move |conn| {
        let account = begin(conn, actor, target)?;
        let active = !account.is_active;
        change_active(conn, actor, &account, active, &client)
    })
    .await
}

/// Makes the account active or not; one that already is gets [`Outcome::ActiveUnchanged`].
pub async fn set_active(
    db: &Db,
    actor: UserId,
    target: UserId,
    active: bool,
    client: ClientInfo,
) -> Result<Outcome, AdminError> {
    db.transaction(move |conn| {
        let account = begin(conn, actor, target)?;
        if account.is_active == active {
            return Ok(Outcome::ActiveUnchanged { username: account.username, active });
        }
        change_active(conn, actor, &account, active, &client)
    })
    .await
}

/// The one place (de)activation is decided: nobody deactivates themselves, the last
/// active admin stays active, and deactivating ends every session and reset link.
fn change_active(
    conn: &mut Conn,
    actor: UserId,
    account: &Target,
    active: bool,
    client: &ClientInfo,
) -> Result<Outcome, AdminError> {
    let username = account.username.clone();
    if active {
        db::users::set_active(conn, account.id, true, db::now())?;
        record(conn, Action::AccountReactivated, actor, account, "active: false -> true", client)?;
        return Ok(Outcome::Reactivated { username });
    }
    if actor == account.id {
        return Err(AdminError::Refused("You cannot deactivate your own account.".into()));
    }
    refuse_if_last_admin(conn, account, "be deactivated")?;
    db::users::set_active(conn, account.id, false, db::now())?;
    // A pending reset link must not reactivate anything or outlive the decision.
    db::reset_tokens::delete_all_of(conn, account.id)?;
    let sessions_ended = db::sessions::delete_all_of(conn, account.id)?;
    let details = format!("active: true -> false; {} ended", sessions(sessions_ended));
    record(conn, Action::AccountDeactivated, actor, account, &details, client)?;
    Ok(Outcome::Deactivated { username, sessions_ended })
}

/// Makes `role` the account's one role. Nobody demotes themselves, and the last active
/// admin keeps `admin`.
pub async fn set_role(
    db: &Db,
    actor: UserId,
    target: UserId,
    role: Role,
    client: ClientInfo,
) -> Result<Outcome, AdminError> {
    db.transaction(move |conn| {
        let account = begin(conn, actor, target)?;
        let username = account.username.clone();
        if account.roles == [role] {
            return Ok(Outcome::RoleUnchanged { username, role });
        }
        if actor == target && role != Role::Admin {
            return Err(AdminError::Refused("You cannot take the admin role from yourself.".into()));
        }
        if role != Role::Admin {
            refuse_if_last_admin(conn, &account, "lose the admin role")?;
        }
        db::users::set_role(conn, target, role)?;
        let details = format!("role: {} -> {role}", role_list(&account.roles));
        record(conn, Action::RoleChanged, actor, &account, &details, &client)?;
        Ok(Outcome::RoleSet { username, role })
    })
    .await
}

/// Ends every session of the account, API logins and personal access tokens included.
pub async fn revoke_sessions(
    db: &Db,
    actor: UserId,
    target: UserId,
    client: ClientInfo,
) -> Result<Outcome, AdminError> {
    db.transaction(move |conn| {
        let account = begin(conn, actor, target)?;
        let sessions_ended = db::sessions::delete_all_of(conn, target)?;
        let tokens_ended = db::personal_tokens::delete_all_of(conn, target.0)?;
        let mut details = format!("{} ended", sessions(sessions_ended));
        if tokens_ended > 0 {
            details += &format!("; {tokens_ended} personal access token(s) revoked");
        }
        record(conn, Action::AllSessionsRevoked, actor, &account, &details, &client)?;
        Ok(Outcome::SessionsRevoked { username: account.username, sessions_ended })
    })
    .await
}

/// Deletes the account (its sessions and reset tokens with it) once `confirm` is exactly
/// its username. Never the admin itself, never the last active admin.
pub async fn delete(
    db: &Db,
    actor: UserId,
    target: UserId,
    confirm: String,
    client: ClientInfo,
) -> Result<Outcome, AdminError> {
    db.transaction(move |conn| {
        let account = begin(conn, actor, target)?;
        if actor == target {
            return Err(AdminError::Refused("You cannot delete your own account.".into()));
        }
        refuse_if_last_admin(conn, &account, "be deleted")?;
        if confirm != account.username {
            return Err(AdminError::ConfirmationMismatch);
        }
        // Written before the row goes: the entry outlives the account and keeps who it was.
        let details = format!("email: {}; roles: {}", account.email, role_list(&account.roles));
        record(conn, Action::AccountDeleted, actor, &account, &details, &client)?;
        db::users::delete(conn, target)?;
        Ok(Outcome::Deleted { username: account.username })
    })
    .await
}

/// The account an action is about, as read under the lock.
struct Target {
    id: UserId,
    username: String,
    email: String,
    is_active: bool,
    roles: Vec<Role>,
}

/// Takes the admin-changes lock, then checks (under it) that the actor is still an active
/// admin, and reads the target.
fn begin(conn: &mut Conn, actor: UserId, target: UserId) -> Result<Target, AdminError> {
    db::admin::lock_admin_changes(conn)?;
    let actor_active = db::users::profile(conn, actor)?.is_some_and(|p| p.is_active);
    if !actor_active || !db::users::roles_of(conn, actor)?.contains(&Role::Admin) {
        return Err(AdminError::NotAdmin);
    }
    let profile = db::users::profile(conn, target)?.ok_or(AdminError::NotFound)?;
    let roles = db::users::roles_of(conn, target)?;
    Ok(Target {
        id: target,
        username: profile.username,
        email: profile.email,
        is_active: profile.is_active,
        roles,
    })
}

/// While the actor must itself be an active admin other than the target, this can't fire;
/// it is the rule itself, kept so that it holds whatever becomes of the checks before it.
fn refuse_if_last_admin(conn: &mut Conn, account: &Target, what: &str) -> Result<(), AdminError> {
    let counts = account.is_active && account.roles.contains(&Role::Admin);
    if counts && db::admin::active_admin_count(conn)? <= 1 {
        return Err(AdminError::Refused(format!(
            "{} is the last active admin and cannot {what}.",
            account.username
        )));
    }
    Ok(())
}

fn record(
    conn: &mut Conn,
    action: Action,
    actor: UserId,
    account: &Target,
    details: &str,
    client: &ClientInfo,
) -> Result<(), DbError> {
    let event = Event {
        action,
        actor: Some(actor),
        target: Some(account.id),
        subject: &account.username,
        details,
        client,
    };
    audit::record(conn, &event)
}

/// Roles as the audit log writes them: `editor`, `admin,editor`, or `none`.
pub fn role_list(roles: &[Role]) -> String {
    if roles.is_empty() {
        return "none".into();
    }
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
