//! Changing a password while logged in, and what every new password brings with it: old
//! reset links die, sessions end, the owner is told by email, the audit log records it.

use super::audit::{self, Action, Event};
use super::login;
use super::login::LoginError;
use super::registration::PASSWORDS_DIFFER;
use super::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Password, PlainPassword, SecretField, SessionRecordId, UserId};
use crate::mail::Outbox;
use crate::mail::compose::{self, ChangedBy};

pub const WRONG_CURRENT: &str = "Your current password is not correct.";

/// The form as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ChangeInput {
    pub current_password: SecretField,
    pub password: SecretField,
    pub confirm_password: SecretField,
}

/// One message per refused field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeErrors {
    pub current_password: Option<String>,
    pub password: Option<String>,
    pub confirm_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("the password form has errors")]
    Invalid(ChangeErrors),
    /// Too many wrong current passwords from this address: the same limit as logins, so
    /// a stolen session is no way around it.
    #[error("too many wrong passwords")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for ChangeError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Who asks for a change, from which session and where, and what they typed.
pub struct ChangeRequest {
    pub user: UserId,
    /// The account's username and email as the request's session check read them: the
    /// password rules compare against them, the notice goes to the address.
    pub username: String,
    pub email: String,
    pub session: SessionRecordId,
    pub input: ChangeInput,
    pub client: ClientInfo,
}

/// Sets a new password for `user`, who proved the current one; `session` (the one asking)
/// stays logged in, every other session of the account ends.
pub async fn change_password(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    limits: &Limits,
    request: ChangeRequest,
) -> Result<(), ChangeError> {
    let ChangeRequest { user, username, email, session, input, client } = request;
    let current = PlainPassword::new(input.current_password.expose());
    let matched = login::verify_current_password(db, hasher, limits, user, &current, &client.ip)
        .await
        .map_err(|e| match e {
            LoginError::Throttled { retry_after_secs } => ChangeError::Throttled { retry_after_secs },
            other => ChangeError::Unexpected(other.into()),
        })?;
    let password = check_new_password(&input, matched, &username, &email)?;
    let hash = hasher.hash(&password).await?;
    let owner = PasswordOwner { id: user, username, email };
    let queue = outbox.clone();
    db.transaction::<_, anyhow::Error>(move |conn| {
        store_new_password(conn, &queue, &owner, &hash, Some(session), ChangedBy::AccountSettings, &client)
    })
    .await?;
    outbox.wake();
    Ok(())
}

/// Every problem with the form at once: the current password, the new one, the match.
fn check_new_password(
    input: &ChangeInput,
    matched: bool,
    username: &str,
    email: &str,
) -> Result<Password, ChangeError> {
    let mut errors = ChangeErrors::default();
    if !matched {
        errors.current_password = Some(WRONG_CURRENT.into());
    }
    let password = Password::parse(input.password.expose(), username, email)
        .map_err(|e| errors.password = Some(e.to_string()))
        .ok();
    if input.password != input.confirm_password {
        errors.confirm_password = Some(PASSWORDS_DIFFER.into());
    }
    password.filter(|_| errors == ChangeErrors::default()).ok_or(ChangeError::Invalid(errors))
}

/// The account whose password changes, with what the notification needs.
pub(super) struct PasswordOwner {
    pub id: UserId,
    pub username: String,
    pub email: String,
}

/// Everything a new password brings, in the caller's transaction: the hash, no more reset
/// links, no more sessions but `keep`, an email to the owner, an audit entry.
pub(super) fn store_new_password(
    conn: &mut Conn,
    outbox: &Outbox,
    owner: &PasswordOwner,
    hash: &str,
    keep: Option<SessionRecordId>,
    by: ChangedBy,
    client: &ClientInfo,
) -> anyhow::Result<()> {
    let now = db::now();
    db::users::set_password_hash(conn, owner.id, hash, now)?;
    db::reset_tokens::delete_all_of(conn, owner.id)?;
    db::sign_ins::forget_devices(conn, owner.id)?;
    let ended = match keep {
        Some(session) => db::sessions::delete_all_of_except(conn, owner.id, session)?,
        None => db::sessions::delete_all_of(conn, owner.id)?,
    };
    let email = compose::password_changed(&owner.username, now, by, &outbox.link("/password-reset"))?;
    outbox.enqueue(conn, &owner.email, &email)?;
    let action = match by {
        ChangedBy::ResetLink => Action::PasswordReset,
        ChangedBy::AccountSettings => Action::PasswordChanged,
    };
    let details = format!("ended {ended} session(s)");
    audit::record(conn, &Event { details: &details, ..Event::by(owner.id, action, client) })?;
    Ok(())
}

/// Whether the account has a password at all: one made through an identity provider has
/// none until it sets one through the reset link.
pub async fn has_password(db: &Db, user: UserId) -> Result<bool, DbError> {
    db.run(move |conn| db::identities::has_password(conn, user).map_err(DbError::from)).await
}
