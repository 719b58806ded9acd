//! Password reset by email: a one-hour, single-use link (only its SHA-256 is stored),
//! asked for by the owner or sent by an admin, and the new password it sets.
//!
//! A request gets the same answer whatever the address, and costs about the same: one
//! transaction that looks the address up and writes an audit entry either way. A known,
//! active address adds a few small indexed writes (the token, the queued email); the slow
//! part, talking to the mail server, happens later in the outbox worker, so the response
//! time does not tell whether an email went out.

use super::audit::{self, Action, Event};
use super::password_change::{PasswordOwner, store_new_password};
use super::registration::PASSWORDS_DIFFER;
use super::throttle::{self, Bucket};
use super::token::SecretToken;
use super::{ClientInfo, PasswordHasher};
use crate::config::Policy;
use crate::db::{self, Conn, Db, DbError, reset_tokens::TokenOwner, users::Profile};
use crate::domain::{Email, Password, SecretField, UserId};
use crate::mail::Outbox;
use crate::mail::compose::{self, ChangedBy};
use chrono::{NaiveDateTime, TimeDelta};

/// The one answer to every request, known address or not.
pub const REQUEST_ANSWER: &str = "If that email is registered, a reset link has been sent.";
pub const TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// At most one email per this long to one account, however often it is asked for.
const EMAIL_INTERVAL: TimeDelta = TimeDelta::minutes(1);

/// What became of a request. The requester is never told; an admin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Sent,
    /// An email went to this account less than a minute ago.
    TooSoon,
    /// Deactivated accounts get no email.
    Inactive,
    NoSuchAccount,
}

impl Issued {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Sent => "reset link emailed",
            Self::TooSoon => "no email: one was sent less than a minute ago",
            Self::Inactive => "no email: the account is deactivated",
            Self::NoSuchAccount => "no email: no account has this address",
        }
    }
}

/// Whether the public form answered, or the requester must wait first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// The one answer, whatever became of the request.
    Answered,
    /// Too many requests from this address (`LIMIT_RESET_IP`), known or not.
    Throttled { retry_after_secs: u64 },
}

/// A reset asked for on the public form.
pub async fn request_reset(
    db: &Db,
    outbox: &Outbox,
    limit: Policy,
    email: Email,
    client: ClientInfo,
) -> anyhow::Result<Requested> {
    let queue = outbox.clone();
    let issued = db
        .transaction::<_, anyhow::Error>(move |conn| {
            if let Err(refused) = throttle::admit(conn, &[(&Bucket::reset_ip(&client.ip), limit)], db::now())?
            {
                return Ok(Err(refused.retry_after_secs));
            }
            Ok(Ok(issue_for_address(conn, &queue, &email, &client)?))
        })
        .await?;
    let issued = match issued {
        Ok(issued) => issued,
        Err(retry_after_secs) => return Ok(Requested::Throttled { retry_after_secs }),
    };
    tracing::info!(outcome = issued.describe(), "password reset requested");
    if issued == Issued::Sent {
        outbox.wake();
    }
    Ok(Requested::Answered)
}

/// An admin has `target` emailed a reset link; the admin never sees the link. The same
/// rules as the public form apply (active accounts only, one email a minute).
pub async fn send_reset_by_admin(
    db: &Db,
    outbox: &Outbox,
    admin: UserId,
    target: UserId,
    client: ClientInfo,
) -> anyhow::Result<Issued> {
    let queue = outbox.clone();
    let issued = db
        .transaction::<_, anyhow::Error>(move |conn| {
            let Some(account) = db::users::profile(conn, target)? else { return Ok(Issued::NoSuchAccount) };
            let issued = issue(conn, &queue, &account, db::now(), Pacing::OneAMinute)?;
            let event = Event {
                action: Action::ResetSentByAdmin,
                actor: Some(admin),
                target: Some(target),
                subject: "",
                details: issued.describe(),
                client: &client,
            };
            audit::record(conn, &event)?;
            Ok(issued)
        })
        .await?;
    if issued == Issued::Sent {
        outbox.wake();
    }
    Ok(issued)
}

/// The public form's work, the same whether or not the address has an account: look it
/// up, issue a link if it may have one, and audit the request.
fn issue_for_address(
    conn: &mut Conn,
    outbox: &Outbox,
    email: &Email,
    client: &ClientInfo,
) -> anyhow::Result<Issued> {
    let account = db::users::find_by_email(conn, email.as_str())?;
    let issued = match &account {
        Some(account) => issue(conn, outbox, account, db::now(), Pacing::OneAMinute)?,
        None => Issued::NoSuchAccount,
    };
    let target = account.as_ref().map(|a| UserId(a.id));
    // An address that matches no account is kept, as a failed login's name is.
    let subject = if target.is_none() { email.as_str() } else { "" };
    let event = Event {
        action: Action::PasswordResetRequested,
        actor: None,
        target,
        subject,
        details: issued.describe(),
        client,
    };
    audit::record(conn, &event)?;
    Ok(issued)
}

/// Whether [`issue`] keeps to one email a minute per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pacing {
    OneAMinute,
    /// An admin resending a reset email that never arrived.
    Resend,
}

/// A new token for `account`, superseding its older ones, and the email carrying it.
pub(super) fn issue(
    conn: &mut Conn,
    outbox: &Outbox,
    account: &Profile,
    now: NaiveDateTime,
    pacing: Pacing,
) -> anyhow::Result<Issued> {
    let id = UserId(account.id);
    if !account.is_active {
        return Ok(Issued::Inactive);
    }
    let paced = pacing == Pacing::OneAMinute;
    if paced && db::reset_tokens::newest_of(conn, id)?.is_some_and(|at| now - at < EMAIL_INTERVAL) {
        return Ok(Issued::TooSoon);
    }
    db::reset_tokens::delete_all_of(conn, id)?;
    let token = SecretToken::generate();
    db::reset_tokens::insert(conn, id, &token.digest(), now, now + TOKEN_LIFETIME)?;
    let link = outbox.link(&format!("/password-reset/{}", token.expose()));
    let email = compose::password_reset(&account.username, &link, TOKEN_LIFETIME.num_minutes())?;
    outbox.enqueue(conn, &account.email, &email)?;
    Ok(Issued::Sent)
}

/// The account a reset link is for, while the link is live (unused, unexpired, the
/// password unchanged since, the account active).
pub async fn check_link(db: &Db, token: &SecretToken) -> Result<Option<TokenOwner>, DbError> {
    let digest = token.digest();
    db.run(move |conn| db::reset_tokens::find_live(conn, &digest, db::now()).map_err(DbError::from)).await
}

/// The new-password form as typed.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NewPasswordInput {
    pub password: SecretField,
    pub confirm_password: SecretField,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NewPasswordErrors {
    pub password: Option<String>,
    pub confirm_password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("the reset link is invalid, used or expired")]
    InvalidLink,
    #[error("the new password was refused")]
    Invalid(NewPasswordErrors),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for ResetError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Sets the new password through a live link, using it up; every session of the account
/// ends and its owner is told by email.
pub async fn complete_reset(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    token: SecretToken,
    input: NewPasswordInput,
    client: ClientInfo,
) -> Result<UserId, ResetError> {
    let owner = check_link(db, &token).await?.ok_or(ResetError::InvalidLink)?;
    let mut errors = NewPasswordErrors::default();
    let password = Password::parse(input.password.expose(), &owner.username, &owner.email)
        .map_err(|e| errors.password = Some(e.to_string()))
        .ok();
    if input.password != input.confirm_password {
        errors.confirm_password = Some(PASSWORDS_DIFFER.into());
    }
    let Some(password) = password.filter(|_| errors == NewPasswordErrors::default()) else {
        return Err(ResetError::Invalid(errors));
    };
    let hash = hasher.hash(&password).await?;
    let owner = PasswordOwner { id: UserId(owner.user_id), username: owner.username, email: owner.email };
    let queue = outbox.clone();
    let used = db
        .transaction::<_, anyhow::Error>(move |conn| {
            // Whoever deletes the token first uses it: a second submission finds nothing.
            if db::reset_tokens::take(conn, &token.digest(), db::now())? != Some(owner.id) {
                return Ok(None);
            }
            store_new_password(conn, &queue, &owner, &hash, None, ChangedBy::ResetLink, &client)?;
            // Whoever was locked out by failed logins is back in through their inbox.
            throttle::clear_account(conn, owner.id)?;
            Ok(Some(owner.id))
        })
        .await?;
    let user = used.ok_or(ResetError::InvalidLink)?;
    outbox.wake();
    Ok(user)
}

/// Deletes reset tokens past their expiry; run periodically.
pub fn purge_expired(conn: &mut Conn) -> Result<usize, DbError> {
    Ok(db::reset_tokens::delete_expired(conn, db::now())?)
}
