//! `/auth/complete`: a new identity confirms a username and becomes an account with no
//! password, its email verified when the provider said so, and logged in.

use super::{Outcome, start_for};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::registration::{USERNAME_TAKEN, create_account};
use crate::accounts::throttle::{self, Bucket};
use crate::accounts::token::SecretToken;
use crate::config::Limits;
use crate::db::{self, Db, DbError};
use crate::domain::{Email, Role, Username};

/// What the page shows: the provider and the suggested username.
#[derive(Debug, Clone)]
pub struct PendingSignup {
    pub provider: String,
    pub email: String,
    pub username_hint: String,
}

pub async fn find(db: &Db, token: &SecretToken) -> Result<Option<PendingSignup>, DbError> {
    let digest = token.digest();
    let row = db
        .run(move |conn| db::auth_pending::find_signup(conn, &digest, db::now()).map_err(DbError::from))
        .await?;
    Ok(row.map(|s| PendingSignup { provider: s.provider, email: s.email, username_hint: s.username_hint }))
}

#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// The username was refused: the message for the field.
    #[error("{0}")]
    Username(String),
    /// No live sign-up for this browser (used, expired, never started).
    #[error("no pending sign-up")]
    Gone,
    /// The email was registered by someone else meanwhile.
    #[error("the email is taken")]
    EmailTaken,
    /// The identity was linked to an account meanwhile (another tab's sign-up, a connect).
    #[error("the identity is linked already")]
    IdentityTaken,
    /// Too many registrations from this address (`LIMIT_REGISTER_IP`, as on `/register`).
    #[error("too many registrations from this address")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SignupError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Creates the account, links the identity and starts the session, in one transaction
/// that also uses up the sign-up. Every attempt counts against the address's
/// registrations first, valid or not, exactly as on `/register`.
pub async fn complete(
    db: &Db,
    limits: &Limits,
    token: &SecretToken,
    username: &str,
    require_verified_email: bool,
    client: ClientInfo,
) -> Result<Outcome, SignupError> {
    let (bucket, policy) = (Bucket::register_ip(&client.ip), limits.register_ip);
    let admitted = db
        .transaction::<_, DbError>(move |conn| throttle::admit(conn, &[(&bucket, policy)], db::now()))
        .await?;
    if let Err(refused) = admitted {
        return Err(SignupError::Throttled { retry_after_secs: refused.retry_after_secs });
    }
    let username = Username::parse(username).map_err(|e| SignupError::Username(e.to_string()))?;
    let digest = token.digest();
    let result = db
        .transaction::<_, SignupError>(move |conn| {
            let now = db::now();
            if db::users::username_taken(conn, &username.folded())? {
                return Err(SignupError::Username(USERNAME_TAKEN.into()));
            }
            let signup = db::auth_pending::take_signup(conn, &digest, now)?.ok_or(SignupError::Gone)?;
            let email = Email::parse(&signup.email).map_err(|_| SignupError::Gone)?;
            if db::users::email_taken(conn, email.as_str())? {
                return Err(SignupError::EmailTaken);
            }
            let id = create_account(conn, &username, &email, None, Role::User, true)?;
            if signup.email_verified {
                db::email_tokens::mark_verified(conn, id, email.as_str(), now)?;
            }
            if !db::identities::link(conn, &signup.provider, &signup.subject, id, email.as_str(), now)? {
                return Err(SignupError::IdentityTaken);
            }
            audit::record(conn, &Event::by(id, Action::AccountCreated, &client))?;
            let linked = Event {
                subject: &signup.provider,
                details: email.as_str(),
                ..Event::by(id, Action::IdentityLinked, &client)
            };
            audit::record(conn, &linked)?;
            Ok(start_for(conn, id, &signup.provider, &client, require_verified_email)?)
        })
        .await;
    match result {
        // A name or address registered at the same moment.
        Err(SignupError::Db(DbError::UniqueViolation)) => Err(SignupError::Username(USERNAME_TAKEN.into())),
        other => other,
    }
}
