//! Changing an account's address, Devise's "reconfirmable" and more: the owner proves the
//! current password, the new address gets a link (1 hour) that makes the change, and the
//! old address at once gets a notice with a link (7 days) that undoes it, ends every
//! session and sends a reset link, so a session thief cannot keep the account.

mod links;

pub use links::{LinkError, check_link, confirm_change, revert_change};

use super::audit::{self, Action, Event};
use super::login::{self, LoginError};
use super::password_change::WRONG_CURRENT;
use super::registration::EMAIL_TAKEN;
use super::token::SecretToken;
use super::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::email_tokens::{self, Address, NewToken, Purpose};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Email, PlainPassword, UserId};
use crate::mail::Outbox;
use crate::mail::address_emails::{self, AddressMail};
use chrono::{NaiveDateTime, TimeDelta};

pub const CONFIRM_LIFETIME: TimeDelta = TimeDelta::hours(1);
pub const REVERT_LIFETIME: TimeDelta = TimeDelta::days(7);
pub const SAME_ADDRESS: &str = "That is already your email address.";

/// The form as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ChangeEmailInput {
    pub current_password: String,
    pub email: String,
}

/// One message per refused field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeEmailErrors {
    pub current_password: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeEmailError {
    #[error("the email form has errors")]
    Invalid(ChangeEmailErrors),
    /// Too many wrong current passwords from this address: the login limit.
    #[error("too many wrong passwords")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for ChangeEmailError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Who asks, what they typed, and from where.
pub struct ChangeEmailRequest {
    pub user: UserId,
    pub input: ChangeEmailInput,
    pub client: ClientInfo,
}

/// Sends the confirmation link to the new address and the notice to the old one; the
/// account keeps its address until the link is used. Returns the new address.
pub async fn request_change(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    limits: &Limits,
    request: ChangeEmailRequest,
) -> Result<Email, ChangeEmailError> {
    let ChangeEmailRequest { user, input, client } = request;
    let email = Email::parse(&input.email).map_err(|e| e.to_string());
    let current = PlainPassword::new(&input.current_password);
    // Counted exactly like a failed login from this address when wrong.
    let matched = login::verify_current_password(db, hasher, limits, user, &current, &client.ip)
        .await
        .map_err(|e| match e {
            LoginError::Throttled { retry_after_secs } => ChangeEmailError::Throttled { retry_after_secs },
            other => ChangeEmailError::Unexpected(other.into()),
        })?;
    if !matched {
        refuse_password(db, user, client).await?;
        // Whether an address is taken is told only to whoever proved the password.
        let errors = ChangeEmailErrors { current_password: Some(WRONG_CURRENT.into()), email: email.err() };
        return Err(ChangeEmailError::Invalid(errors));
    }
    let invalid = |message: String| {
        ChangeEmailError::Invalid(ChangeEmailErrors { current_password: None, email: Some(message) })
    };
    let email = email.map_err(invalid)?;
    let probe = email.clone();
    let (current, taken) = db
        .run(move |conn| {
            let current = email_tokens::address_of(conn, user)?;
            Ok::<_, DbError>((current, email_tokens::taken_by_other(conn, probe.as_str(), user)?))
        })
        .await?;
    let Some(current) = current else {
        return Err(anyhow::anyhow!("the logged-in account {user} has no row").into());
    };
    if email.as_str() == current.email {
        return Err(invalid(SAME_ADDRESS.into()));
    }
    if taken {
        return Err(invalid(EMAIL_TAKEN.into()));
    }
    let (queue, new) = (outbox.clone(), email.clone());
    db.transaction::<_, anyhow::Error>(move |conn| send_links(conn, &queue, user, &current, &new, &client))
        .await?;
    outbox.wake();
    Ok(email)
}

/// A wrong current password is audited (the throttle has already counted it).
async fn refuse_password(db: &Db, user: UserId, client: ClientInfo) -> Result<(), DbError> {
    db.transaction::<_, DbError>(move |conn| {
        let event = Event {
            details: "wrong current password",
            ..Event::by(user, Action::EmailChangeRefused, &client)
        };
        audit::record(conn, &event)
    })
    .await
}

/// The link to the new address (superseding earlier ones), the notice with its revert
/// link to the old one, and the audit entry.
fn send_links(
    conn: &mut Conn,
    outbox: &Outbox,
    user: UserId,
    current: &Address,
    new: &Email,
    client: &ClientInfo,
) -> anyhow::Result<()> {
    let now = db::now();
    email_tokens::delete_of(conn, user, Purpose::Change)?;
    let confirm = issue(conn, user, Purpose::Change, new.as_str(), now, CONFIRM_LIFETIME)?;
    let link = outbox.link(&format!("/account/email/confirm/{}", confirm.expose()));
    let mail = AddressMail {
        username: &current.username,
        address: new.as_str(),
        link: &link,
        valid_for: CONFIRM_LIFETIME,
    };
    outbox.enqueue(conn, new.as_str(), &address_emails::change_confirmation(&mail)?)?;
    // Every notice's revert link stays good for its 7 days: a thief's second change
    // cannot take away the owner's way back.
    let revert = issue(conn, user, Purpose::Revert, &current.email, now, REVERT_LIFETIME)?;
    let link = outbox.link(&format!("/account/email/revert/{}", revert.expose()));
    let mail = AddressMail {
        username: &current.username,
        address: new.as_str(),
        link: &link,
        valid_for: REVERT_LIFETIME,
    };
    outbox.enqueue(conn, &current.email, &address_emails::change_notice(&mail)?)?;
    let details = format!("{} -> {} (pending confirmation)", current.email, new.as_str());
    audit::record(
        conn,
        &Event { details: &details, ..Event::by(user, Action::EmailChangeRequested, client) },
    )?;
    Ok(())
}

fn issue(
    conn: &mut Conn,
    user: UserId,
    purpose: Purpose,
    email: &str,
    now: NaiveDateTime,
    lifetime: TimeDelta,
) -> Result<SecretToken, DbError> {
    let token = SecretToken::generate();
    let digest = token.digest();
    let row = NewToken { user, purpose, token_hash: &digest, email, now, expires_at: now + lifetime };
    email_tokens::insert(conn, &row)?;
    Ok(token)
}

/// The address a change of the account waits to be confirmed for, if one does.
pub async fn pending(db: &Db, user: UserId) -> Result<Option<String>, DbError> {
    db.run(move |conn| {
        email_tokens::pending_of(conn, user, Purpose::Change, db::now()).map_err(DbError::from)
    })
    .await
}
