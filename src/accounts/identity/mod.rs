//! Signing in through an identity provider: the pending sign-in, then the rules that turn
//! a provider's identity into a session, a link, or a sign-up. Identities are keyed by
//! (provider, subject), never by email.

pub mod connections;
mod pending;
pub mod signup;
mod start;

pub use pending::{Callback, PENDING_LIFETIME, PendingSignIn, Taken, record_refusal, remember, take};
pub(crate) use start::start_for;

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::overview;
use super::throttle::{self, Attempt, Bucket};
use super::token::SecretToken;
use crate::auth_providers::ProvidedIdentity;
use crate::config::{Policy, ProviderSettings};
use crate::db::auth_pending::Signup;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;

/// What became of a provider's identity.
#[derive(Debug)]
pub enum Outcome {
    LoggedIn {
        user: UserId,
        token: SecretToken,
    },
    /// The account has 2FA on: a pending sign-in for `/login/2fa`, no session yet.
    SecondFactor {
        pending: SecretToken,
    },
    /// Linked to the logged-in account that asked (or it already was).
    Linked,
    /// The identity belongs to another account: nothing changed.
    LinkedElsewhere,
    Deactivated,
    /// `EMAIL_VERIFICATION=required` and the account's address is unconfirmed: no session.
    EmailUnverified,
    /// A new identity: the person picks a username on `/auth/complete` (token in the cookie).
    NeedsUsername {
        token: SecretToken,
    },
    /// An account already has this email: log in with the password and connect from there.
    EmailInUse,
    /// No email from the provider, so no account can be made from it.
    NoEmail,
    /// Too many sign-ins into this account lately (`LIMIT_PROVIDER_ACCOUNT`).
    Throttled {
        retry_after_secs: u64,
    },
}

impl Outcome {
    /// Whether the callback got somewhere, so its count against the address is given back.
    fn succeeded(&self) -> bool {
        matches!(
            self,
            Self::LoggedIn { .. } | Self::SecondFactor { .. } | Self::Linked | Self::NeedsUsername { .. }
        )
    }
}

/// What the deployment says about provider sign-ins.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub require_verified_email: bool,
    /// `LIMIT_PROVIDER_ACCOUNT`.
    pub account_limit: Policy,
}

/// A callback whose `state` was good, with what its sign-in was started for.
pub struct SignIn {
    pub link_to: Option<UserId>,
    pub attempt: Attempt,
    pub rules: Rules,
    pub client: ClientInfo,
}

/// Applies the linking rules to `identity`, all in one transaction.
pub async fn sign_in(
    db: &Db,
    provider: &ProviderSettings,
    identity: ProvidedIdentity,
    request: SignIn,
) -> Result<Outcome, DbError> {
    let (name, trust) = (provider.name.clone(), provider.trust_email);
    db.transaction(move |conn| {
        let outcome = decide(conn, &name, trust, &identity, &request)?;
        if outcome.succeeded() {
            throttle::give_back(conn, request.attempt)?;
        }
        Ok(outcome)
    })
    .await
}

fn decide(
    conn: &mut Conn,
    name: &str,
    trust: bool,
    identity: &ProvidedIdentity,
    request: &SignIn,
) -> Result<Outcome, DbError> {
    if let Some(me) = request.link_to {
        return link(conn, me, name, identity, &request.client);
    }
    if let Some(owner) = db::identities::owner(conn, name, &identity.subject)? {
        return known(conn, owner, name, request);
    }
    let Some(email) = identity.email.clone() else { return Ok(Outcome::NoEmail) };
    match db::identities::account_by_email(conn, &email)? {
        Some((owner, verified)) if trust && verified && identity.email_verified => {
            let owner = match link(conn, owner, name, identity, &request.client)? {
                Outcome::Linked => owner,
                // Linked a moment ago, by a callback racing this one: log in where it went.
                _ => db::identities::owner(conn, name, &identity.subject)?.unwrap_or(owner),
            };
            known(conn, owner, name, request)
        }
        Some(_) => Ok(Outcome::EmailInUse),
        None => new_signup(conn, name, identity, email),
    }
}

/// Links the identity to `me`, audited, unless an account has it (under a race, the
/// unique (provider, subject) index picks one winner; see `db::identities::link`).
fn link(
    conn: &mut Conn,
    me: UserId,
    name: &str,
    identity: &ProvidedIdentity,
    client: &ClientInfo,
) -> Result<Outcome, DbError> {
    if db::identities::link(conn, name, &identity.subject, me, &identity.display, db::now())? {
        let event = Event {
            subject: name,
            details: &identity.display,
            ..Event::by(me, Action::IdentityLinked, client)
        };
        audit::record(conn, &event)?;
        return Ok(Outcome::Linked);
    }
    Ok(match db::identities::owner(conn, name, &identity.subject)? {
        Some(owner) if owner == me => Outcome::Linked,
        _ => Outcome::LinkedElsewhere,
    })
}

/// A known identity: counted against its account, then the one session-start path.
fn known(conn: &mut Conn, owner: UserId, name: &str, request: &SignIn) -> Result<Outcome, DbError> {
    let bucket = Bucket::provider_account(owner);
    if let Err(refused) = throttle::admit(conn, &[(&bucket, request.rules.account_limit)], db::now())? {
        overview::count_refusal(conn)?;
        tracing::info!(retry_after_secs = refused.retry_after_secs, "provider sign-in throttled");
        return Ok(Outcome::Throttled { retry_after_secs: refused.retry_after_secs });
    }
    start_for(conn, owner, name, &request.client, request.rules.require_verified_email)
}

fn new_signup(
    conn: &mut Conn,
    provider: &str,
    identity: &ProvidedIdentity,
    email: String,
) -> Result<Outcome, DbError> {
    let token = SecretToken::generate();
    let now = db::now();
    let row = Signup {
        token_hash: token.digest(),
        provider: provider.to_owned(),
        subject: identity.subject.clone(),
        email,
        email_verified: identity.email_verified,
        username_hint: identity.username_hint.clone(),
        created_at: now,
        expires_at: now + PENDING_LIFETIME,
    };
    db::auth_pending::insert_signup(conn, &row)?;
    Ok(Outcome::NeedsUsername { token })
}
