//! Logging in: one generic failure, the same work for unknown users, a fresh session.

use super::audit::{self, Action, Event};
use super::token::SecretToken;
use super::{ClientInfo, PasswordHasher, sessions};
use crate::db::{self, Db, DbError};
use crate::domain::{Password, PlainPassword, UserId};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, or a deactivated account's wrong password: the
    /// caller must not be able to tell which.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Only said after the right password, so it reveals nothing to a guesser.
    #[error("the account is deactivated")]
    Deactivated,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for LoginError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

pub struct LoginRequest<'a> {
    /// A username or an email, in any case.
    pub identifier: &'a str,
    pub password: PlainPassword,
    pub remember: bool,
    pub client: ClientInfo,
}

pub struct LoggedIn {
    pub user_id: UserId,
    pub token: SecretToken,
}

pub async fn login(
    db: &Db,
    hasher: &PasswordHasher,
    request: LoginRequest<'_>,
) -> Result<LoggedIn, LoginError> {
    let identifier = request.identifier.trim().to_lowercase();
    let credentials = if identifier.is_empty() || identifier.len() > crate::domain::Email::MAX_LEN {
        None
    } else {
        db.run(move |conn| db::users::find_credentials(conn, &identifier).map_err(DbError::from)).await?
    };
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let matched = hasher.verify(&request.password, stored_hash).await?;
    let known = credentials.as_ref().map(|c| UserId(c.id));
    let Some(credentials) = credentials.filter(|_| matched) else {
        record_failure(db, known, request.identifier, "wrong password or unknown user", request.client)
            .await?;
        return Err(LoginError::InvalidCredentials);
    };
    if !credentials.is_active {
        record_failure(db, known, request.identifier, "account deactivated", request.client).await?;
        return Err(LoginError::Deactivated);
    }
    let user_id = UserId(credentials.id);
    // The cost changed since this hash was made: redo it now, while we hold the password.
    let new_hash = match hasher.needs_rehash(&credentials.password_hash) {
        true => Some(hasher.hash(&Password::already_verified(request.password)).await?),
        false => None,
    };
    let (remember, client) = (request.remember, request.client);
    let token = db
        .transaction::<_, DbError>(move |conn| {
            let now = db::now();
            db::users::record_login(conn, user_id, now)?;
            if let Some(hash) = &new_hash {
                db::users::set_password_hash(conn, user_id, hash, now)?;
            }
            audit::record(conn, &Event::by(user_id, Action::LoginSucceeded, &client))?;
            sessions::start(conn, user_id, remember, &client, now)
        })
        .await?;
    Ok(LoggedIn { user_id, token })
}

/// A failed login is recorded against the account when there is one, and by the name
/// that was typed when there is not (creating nothing).
async fn record_failure(
    db: &Db,
    account: Option<UserId>,
    identifier: &str,
    reason: &'static str,
    client: ClientInfo,
) -> Result<(), LoginError> {
    let subject = identifier.trim().to_owned();
    db.run(move |conn| {
        let event = Event {
            action: Action::LoginFailed,
            actor: None,
            target: account,
            subject: &subject,
            details: reason,
            client: &client,
        };
        audit::record(conn, &event)
    })
    .await?;
    Ok(())
}
