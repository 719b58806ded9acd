//! Changing a password while logged in, and what every new password brings with it: old
//! reset links die, sessions end, the owner is told by email, the audit log records it.

use super::audit::{self, Action, Event};
use super::login;
use super::registration::PASSWORDS_DIFFER;
use super::throttle::{self, Policy};
use super::{ClientInfo, PasswordHasher};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Password, PlainPassword, SessionRecordId, UserId};
use crate::mail::Outbox;
use crate::mail::compose::{self, ChangedBy};

pub const WRONG_CURRENT: &str = "Your current password is not correct.";

/// The form as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ChangeInput {
    pub current_password: String,
    pub password: String,
    pub confirm_password: String,
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
    limit: Policy,
    request: ChangeRequest,
) -> Result<(), ChangeError> {
    let ChangeRequest { user, session, input, client } = request;
    let bucket = format!("{}ip:{}", login::account_prefix(user), client.ip);
    let probe = bucket.clone();
    let (found, wait) = db
        .run(move |conn| {
            let found = (db::users::profile(conn, user)?, db::users::password_hash(conn, user)?);
            Ok::<_, DbError>((found, throttle::retry_after(conn, &probe, limit, db::now())?))
        })
        .await?;
    if let Some(retry_after_secs) = wait {
        return Err(ChangeError::Throttled { retry_after_secs });
    }
    let (Some(profile), hash) = found else {
        return Err(anyhow::anyhow!("the logged-in account {user} has no row").into());
    };
    let mut errors = ChangeErrors::default();
    if !hasher.verify(&PlainPassword::new(&input.current_password), hash).await? {
        errors.current_password = Some(WRONG_CURRENT.into());
        db.run(move |conn| throttle::record(conn, &[&bucket], db::now())).await?;
    }
    let password = Password::parse(&input.password, &profile.username, &profile.email)
        .map_err(|e| errors.password = Some(e.to_string()))
        .ok();
    if input.password != input.confirm_password {
        errors.confirm_password = Some(PASSWORDS_DIFFER.into());
    }
    let Some(password) = password.filter(|_| errors == ChangeErrors::default()) else {
        return Err(ChangeError::Invalid(errors));
    };
    let hash = hasher.hash(&password).await?;
    let owner = PasswordOwner { id: user, username: profile.username, email: profile.email };
    let queue = outbox.clone();
    db.transaction::<_, anyhow::Error>(move |conn| {
        store_new_password(conn, &queue, &owner, &hash, Some(session), ChangedBy::AccountSettings, &client)
    })
    .await?;
    outbox.wake();
    Ok(())
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
