//! The two links of a change: confirm (from the new address) makes it, revert (from the
//! old address) undoes it and locks a thief out. Both are used up by a POST.

use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::password_reset::{self, Pacing};
use crate::accounts::token::SecretToken;
use crate::db::email_tokens::{self, LinkOwner, Purpose, Taken};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;
use crate::mail::Outbox;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Used, expired, superseded or never issued: all look the same from outside.
    #[error("the link is invalid, used or expired")]
    Invalid,
    /// Another account has had the address since the link was sent.
    #[error("another account has that address")]
    Taken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for LinkError {
    fn from(e: DbError) -> Self {
        match e {
            // Lost a race for the address: the unique index decides, the transaction rolls back.
            DbError::UniqueViolation => Self::Taken,
            e => Self::Unexpected(e.into()),
        }
    }
}

impl From<diesel::result::Error> for LinkError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

/// The account a confirm (`Purpose::Change`) or revert link is for, while it is live.
pub async fn check_link(
    db: &Db,
    purpose: Purpose,
    token: &SecretToken,
) -> Result<Option<LinkOwner>, DbError> {
    let digest = token.digest();
    db.run(move |conn| email_tokens::find_live(conn, purpose, &digest, db::now()).map_err(DbError::from))
        .await
}

/// Uses up a live link of `purpose`, for an active account.
fn take(conn: &mut Conn, purpose: Purpose, token: &SecretToken) -> Result<(Taken, String), LinkError> {
    // Whoever deletes the token first uses it: a second submission finds nothing.
    let taken = email_tokens::take(conn, purpose, &token.digest(), db::now())?.ok_or(LinkError::Invalid)?;
    match email_tokens::address_of(conn, UserId(taken.user_id))? {
        Some(address) if address.is_active => Ok((taken, address.email)),
        _ => Err(LinkError::Invalid),
    }
}

/// Makes the address the link was sent to the account's, if no other account has it by
/// now (checked again here, and by the unique index against a concurrent taker).
pub async fn confirm_change(db: &Db, token: SecretToken, client: ClientInfo) -> Result<UserId, LinkError> {
    let (digest, audit_client) = (token.digest(), client.clone());
    let confirmed = db
        .transaction::<_, LinkError>(move |conn| {
            let (taken, old) = take(conn, Purpose::Change, &token)?;
            let user = UserId(taken.user_id);
            if email_tokens::taken_by_other(conn, &taken.email, user)? {
                return Err(LinkError::Taken);
            }
            email_tokens::set_confirmed_address(conn, user, &taken.email, db::now())?;
            // Links to confirm the old address have nothing left to confirm.
            email_tokens::delete_of(conn, user, Purpose::Verify)?;
            let details = format!("{old} -> {}", taken.email);
            audit::record(
                conn,
                &Event { details: &details, ..Event::by(user, Action::EmailChanged, &client) },
            )?;
            Ok(user)
        })
        .await;
    if let Err(LinkError::Taken) = confirmed {
        audit_taken(db, Purpose::Change, digest, audit_client).await?;
    }
    confirmed
}

/// A link refused because another account has its address is audited on its own, once
/// the transaction that tried it has rolled back (keeping the link).
async fn audit_taken(db: &Db, purpose: Purpose, digest: String, client: ClientInfo) -> Result<(), DbError> {
    db.transaction::<_, DbError>(move |conn| {
        let Some(owner) = email_tokens::find_live(conn, purpose, &digest, db::now())? else { return Ok(()) };
        let details = format!("refused: {} belongs to another account now", owner.link_email);
        let event = Event {
            details: &details,
            ..Event::by(UserId(owner.user_id), Action::EmailChangeRefused, &client)
        };
        audit::record(conn, &event)
    })
    .await
}

/// Restores the address the link was sent to, cancels any pending change, ends every
/// session (browser and API alike: one table) and emails a reset link to that address.
pub async fn revert_change(
    db: &Db,
    outbox: &Outbox,
    token: SecretToken,
    client: ClientInfo,
) -> Result<UserId, LinkError> {
    let (queue, digest, audit_client) = (outbox.clone(), token.digest(), client.clone());
    let reverted = db
        .transaction::<_, LinkError>(move |conn| {
            let (taken, current) = take(conn, Purpose::Revert, &token)?;
            let user = UserId(taken.user_id);
            if current != taken.email && email_tokens::taken_by_other(conn, &taken.email, user)? {
                return Err(LinkError::Taken);
            }
            let now = db::now();
            email_tokens::set_confirmed_address(conn, user, &taken.email, now)?;
            email_tokens::delete_of(conn, user, Purpose::Change)?;
            email_tokens::delete_of(conn, user, Purpose::Verify)?;
            // Older notices keep working; the changes they warned of came first.
            email_tokens::delete_newer_of(conn, user, Purpose::Revert, taken.id)?;
            let ended = db::sessions::delete_all_of(conn, user)?;
            let profile = db::users::profile(conn, user)?.ok_or(LinkError::Invalid)?;
            // Never refused for pacing, and it supersedes every older reset link: one
            // mailed to the thief's address must not outlive the revert.
            let issued = password_reset::issue(conn, &queue, &profile, now, Pacing::Resend)?;
            let details =
                format!("{current} -> {}; ended {ended} session(s); reset link: {issued:?}", taken.email);
            let event = Event { details: &details, ..Event::by(user, Action::EmailChangeReverted, &client) };
            audit::record(conn, &event)?;
            Ok(user)
        })
        .await;
    match reverted {
        Ok(_) => outbox.wake(),
        Err(LinkError::Taken) => audit_taken(db, Purpose::Revert, digest, audit_client).await?,
        Err(_) => {}
    }
    reverted
}
