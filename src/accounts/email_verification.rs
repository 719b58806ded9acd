//! Email verification: a 24-hour, single-use link bound to the address it was sent to
//! (only its SHA-256 is stored), emailed at registration and on request, and confirmed by
//! a POST so that a mail scanner's prefetch changes nothing.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::throttle::{self, Bucket};
use super::token::SecretToken;
use crate::config::Policy;
use crate::db::email_tokens::{self, Address, LinkOwner, NewToken, Purpose};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Email, UserId};
use crate::mail::Outbox;
use crate::mail::address_emails::{self, AddressMail};
use chrono::{NaiveDateTime, TimeDelta};

pub const TOKEN_LIFETIME: TimeDelta = TimeDelta::hours(24);
/// At most one email per this long to one account, however often it is asked for.
const EMAIL_INTERVAL: TimeDelta = TimeDelta::minutes(1);
/// The one answer of the public resend form, whatever became of the request.
pub const PUBLIC_ANSWER: &str =
    "If that address belongs to an account that still needs confirming, a new link has been sent.";

/// A new link for `email` (the account's address), superseding the account's older ones,
/// and the email carrying it; in the caller's transaction, so the link goes out if and
/// only if what caused it commits. Wake the outbox after the commit.
pub(crate) fn issue(
    conn: &mut Conn,
    outbox: &Outbox,
    user: UserId,
    username: &str,
    email: &str,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    email_tokens::delete_of(conn, user, Purpose::Verify)?;
    let token = SecretToken::generate();
    let digest = token.digest();
    let expires_at = now + TOKEN_LIFETIME;
    let row = NewToken { user, purpose: Purpose::Verify, token_hash: &digest, email, now, expires_at };
    email_tokens::insert(conn, &row)?;
    let link = outbox.link(&format!("/verify-email/{}", token.expose()));
    let mail = AddressMail { username, address: email, link: &link, valid_for: TOKEN_LIFETIME };
    outbox.enqueue(conn, email, &address_emails::verification(&mail)?)?;
    Ok(())
}

/// What became of a request for a new link. The public form never tells; the dashboard
/// tells the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resent {
    Sent,
    /// A link went to this account less than a minute ago.
    TooSoon,
    AlreadyVerified,
    /// Deactivated accounts get no email.
    Inactive,
    NoSuchAccount,
}

impl Resent {
    fn describe(self) -> &'static str {
        match self {
            Self::Sent => "verification link emailed",
            Self::TooSoon => "no email: one was sent less than a minute ago",
            Self::AlreadyVerified => "no email: the address is already confirmed",
            Self::Inactive => "no email: the account is deactivated",
            Self::NoSuchAccount => "no email: no account has this address",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    /// Too many requests from this IP (`LIMIT_RESET_IP`, counted in a bucket of its own).
    #[error("too many requests for verification links")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for ResendError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for ResendError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unexpected(e.into())
    }
}

/// Whom a request is for: the logged-in account, or whatever account has an address.
#[derive(Debug, Clone)]
pub enum Requester {
    Account(UserId),
    Address(Email),
}

/// A new link, asked for from the dashboard, the login page or a dead link's page. The
/// same database work and the same throttling whether or not an account matches.
pub async fn resend(
    db: &Db,
    outbox: &Outbox,
    limit: Policy,
    requester: Requester,
    client: ClientInfo,
) -> Result<Resent, ResendError> {
    let queue = outbox.clone();
    let resent = db
        .transaction::<_, ResendError>(move |conn| resend_in(conn, &queue, limit, &requester, &client))
        .await?;
    tracing::info!(outcome = resent.describe(), "verification link requested");
    if resent == Resent::Sent {
        outbox.wake();
    }
    Ok(resent)
}

fn resend_in(
    conn: &mut Conn,
    outbox: &Outbox,
    limit: Policy,
    requester: &Requester,
    client: &ClientInfo,
) -> Result<Resent, ResendError> {
    let now = db::now();
    if let Err(refused) = throttle::admit(conn, &[(&Bucket::verify_ip(&client.ip), limit)], now)? {
        return Err(ResendError::Throttled { retry_after_secs: refused.retry_after_secs });
    }
    let (found, typed) = match requester {
        Requester::Account(id) => (email_tokens::address_of(conn, *id)?.map(|a| (*id, a)), ""),
        Requester::Address(email) => (find_by_email(conn, email)?, email.as_str()),
    };
    let resent = match &found {
        Some((id, address)) => resend_to(conn, outbox, *id, address, now)?,
        None => Resent::NoSuchAccount,
    };
    let target = found.as_ref().map(|(id, _)| *id);
    // An address that matches no account is kept, as a failed login's name is.
    let subject = if target.is_none() { typed } else { "" };
    let event = Event {
        action: Action::EmailVerificationSent,
        actor: None,
        target,
        subject,
        details: resent.describe(),
        client,
    };
    audit::record(conn, &event)?;
    Ok(resent)
}

fn find_by_email(conn: &mut Conn, email: &Email) -> Result<Option<(UserId, Address)>, DbError> {
    let Some(profile) = db::users::find_by_email(conn, email.as_str())? else { return Ok(None) };
    let id = UserId(profile.id);
    Ok(email_tokens::address_of(conn, id)?.map(|address| (id, address)))
}

fn resend_to(
    conn: &mut Conn,
    outbox: &Outbox,
    id: UserId,
    address: &Address,
    now: NaiveDateTime,
) -> anyhow::Result<Resent> {
    if !address.is_active {
        return Ok(Resent::Inactive);
    }
    if address.verified_at.is_some() {
        return Ok(Resent::AlreadyVerified);
    }
    if email_tokens::newest_of(conn, id, Purpose::Verify)?.is_some_and(|at| now - at < EMAIL_INTERVAL) {
        return Ok(Resent::TooSoon);
    }
    issue(conn, outbox, id, &address.username, &address.email, now)?;
    Ok(Resent::Sent)
}

/// The account a verification link is for, while the link is live: unused, unexpired,
/// the newest, and the account's address still the one it was sent to.
pub async fn check_link(db: &Db, token: &SecretToken) -> Result<Option<LinkOwner>, DbError> {
    let digest = token.digest();
    let owner = db
        .run(move |conn| {
            email_tokens::find_live(conn, Purpose::Verify, &digest, db::now()).map_err(DbError::from)
        })
        .await?;
    Ok(owner.filter(|o| o.link_email == o.email))
}

/// Confirms the address the link was sent to, using the link up; `None` when the link is
/// not live (used, expired, superseded, unknown, or for an address the account no longer has).
pub async fn verify(db: &Db, token: SecretToken, client: ClientInfo) -> Result<Option<UserId>, DbError> {
    db.transaction::<_, DbError>(move |conn| {
        let now = db::now();
        // Whoever deletes the token first uses it: a second submission finds nothing.
        let Some(taken) = email_tokens::take(conn, Purpose::Verify, &token.digest(), now)? else {
            return Ok(None);
        };
        let user = UserId(taken.user_id);
        let active = email_tokens::address_of(conn, user)?.is_some_and(|a| a.is_active);
        // Bound to its address: a link for an old address confirms no new one.
        if !active || email_tokens::mark_verified(conn, user, &taken.email, now)? == 0 {
            return Ok(None);
        }
        let details = format!("confirmed {}", taken.email);
        audit::record(conn, &Event { details: &details, ..Event::by(user, Action::EmailVerified, &client) })?;
        Ok(Some(user))
    })
    .await
}

/// Whether the account's address is confirmed, and the address, for the dashboard.
pub async fn status(db: &Db, user: UserId) -> Result<Option<Address>, DbError> {
    db.run(move |conn| email_tokens::address_of(conn, user).map_err(DbError::from)).await
}

/// Deletes expired verification, change and revert links; for the periodic sweep.
pub fn purge_expired(conn: &mut Conn) -> Result<usize, DbError> {
    Ok(email_tokens::delete_expired(conn, db::now())?)
}
