//! Signing in through an identity provider: the pending sign-in, then the rules that turn
//! a provider's identity into a session, a link, or a sign-up. Identities are keyed by
//! (provider, subject), never by email.

pub mod connections;
pub mod signup;

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::sessions::{self, Proof, SessionKind, StartError};
use super::token::SecretToken;
use super::two_factor::sign_in::{self as second_factor, SecondStep};
use crate::auth_providers::{Authorization, ProvidedIdentity};
use crate::config::ProviderSettings;
use crate::db::auth_pending::{Pending, Signup};
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;
use chrono::TimeDelta;

/// How long a sign-in may spend at the provider, and a new identity on `/auth/complete`.
pub const PENDING_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// What the callback needs back from the sign-in it completes.
#[derive(Debug)]
pub struct PendingSignIn {
    pub pkce_verifier: String,
    pub nonce: String,
    pub next: String,
    pub link_to: Option<UserId>,
}

/// Remembers a sign-in sent to `provider`, bound to the browser holding `browser`.
pub async fn remember(
    db: &Db,
    provider: &str,
    browser: &SecretToken,
    auth: &Authorization,
    next: &str,
    link_to: Option<UserId>,
) -> Result<(), DbError> {
    let now = db::now();
    let row = Pending {
        state_hash: SecretToken::from_client(&auth.state).digest(),
        browser_hash: browser.digest(),
        provider: provider.to_owned(),
        pkce_verifier: auth.pkce_verifier.clone(),
        nonce: auth.nonce.clone(),
        next_path: next.to_owned(),
        link_user_id: link_to.map(|u| u.0),
        created_at: now,
        expires_at: now + PENDING_LIFETIME,
    };
    db.run(move |conn| db::auth_pending::insert(conn, &row).map_err(DbError::from)).await
}

/// Takes (single use) this browser's live sign-in with this `state`, if there is one.
pub async fn take(
    db: &Db,
    provider: &str,
    state: &str,
    browser: &SecretToken,
) -> Result<Option<PendingSignIn>, DbError> {
    let (provider, state, browser) =
        (provider.to_owned(), SecretToken::from_client(state).digest(), browser.digest());
    let row = db
        .run(move |conn| {
            db::auth_pending::take(conn, &state, &browser, &provider, db::now()).map_err(DbError::from)
        })
        .await?;
    Ok(row.map(|p| PendingSignIn {
        pkce_verifier: p.pkce_verifier,
        nonce: p.nonce,
        next: p.next_path,
        link_to: p.link_user_id.map(UserId),
    }))
}

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
}

/// Applies the linking rules to `identity`, all in one transaction.
pub async fn sign_in(
    db: &Db,
    provider: &ProviderSettings,
    identity: ProvidedIdentity,
    link_to: Option<UserId>,
    require_verified_email: bool,
    client: ClientInfo,
) -> Result<Outcome, DbError> {
    let (name, trust) = (provider.name.clone(), provider.trust_email);
    db.transaction(move |conn| {
        let owner = db::identities::owner(conn, &name, &identity.subject)?;
        let now = db::now();
        match (link_to, owner) {
            (Some(me), Some(owner)) => {
                Ok(if me == owner { Outcome::Linked } else { Outcome::LinkedElsewhere })
            }
            (Some(me), None) => {
                db::identities::insert(conn, &name, &identity.subject, me, &identity.display, now)?;
                Ok(Outcome::Linked)
            }
            (None, Some(owner)) => start_for(conn, owner, &name, &client, require_verified_email),
            (None, None) => {
                let Some(email) = identity.email.clone() else { return Ok(Outcome::NoEmail) };
                match db::identities::account_by_email(conn, &email)? {
                    Some((owner, verified)) if trust && verified && identity.email_verified => {
                        db::identities::insert(
                            conn,
                            &name,
                            &identity.subject,
                            owner,
                            &identity.display,
                            now,
                        )?;
                        start_for(conn, owner, &name, &client, require_verified_email)
                    }
                    Some(_) => Ok(Outcome::EmailInUse),
                    None => new_signup(conn, &name, &identity, email),
                }
            }
        }
    })
    .await
}

/// A session for `user` through the one session-start path, with the credentials version
/// read now under the same lock; a deactivated account is refused and audited.
pub(crate) fn start_for(
    conn: &mut Conn,
    user: UserId,
    provider: &str,
    client: &ClientInfo,
    require_verified_email: bool,
) -> Result<Outcome, DbError> {
    match db::users::lock_credentials(conn, user)? {
        Some((version, true)) => {
            let proof = Proof { user, credentials_version: version, require_verified_email };
            let kind = SessionKind::Browser { remember: false };
            // A provider proves who, like a password: an account with 2FA on still owes its
            // second step (remembered devices are not honoured on this path).
            let started = match second_factor::hold(conn, proof, kind, &SecondStep::default())? {
                Some(pending) => sessions::check_current(conn, proof).map(|()| Err(pending)),
                None => sessions::start(conn, proof, kind, client, db::now()).map(Ok),
            };
            match started {
                Ok(Ok(started)) => Ok(Outcome::LoggedIn { user, token: started.token }),
                Ok(Err(pending)) => Ok(Outcome::SecondFactor { pending }),
                Err(StartError::CredentialsChanged) => Ok(Outcome::Deactivated),
                Err(StartError::EmailUnverified) => Ok(Outcome::EmailUnverified),
                Err(StartError::Db(e)) => Err(e),
            }
        }
        _ => {
            let event = Event {
                action: Action::LoginFailed,
                actor: None,
                target: Some(user),
                subject: provider,
                details: "account deactivated",
                client,
            };
            audit::record(conn, &event)?;
            Ok(Outcome::Deactivated)
        }
    }
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
