//! Logging in: one generic failure, the same work for unknown users, a fresh session.

use super::audit::{self, Action, Event};
use super::throttle::{self, Limits, Policy};
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
    /// `EMAIL_VERIFICATION=required` and the address is not confirmed; only said after
    /// the right password.
    #[error("the email address is not confirmed")]
    EmailUnverified,
    /// Too many recent failures for this account or from this address.
    #[error("too many failed logins")]
    Throttled { retry_after_secs: u64 },
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
    /// Refuse an account whose address is not confirmed (`EMAIL_VERIFICATION=required`).
    pub require_verified_email: bool,
}

pub struct LoggedIn {
    pub user_id: UserId,
    pub token: SecretToken,
}

pub async fn login(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    request: LoginRequest<'_>,
) -> Result<LoggedIn, LoginError> {
    let identifier = request.identifier.trim().to_lowercase();
    let (ip, limits) = (request.client.ip.clone(), *limits);
    let (credentials, buckets, wait) = db
        .run(move |conn| {
            let plausible = !identifier.is_empty() && identifier.len() <= crate::domain::Email::MAX_LEN;
            let credentials = if plausible { db::users::find_credentials(conn, &identifier)? } else { None };
            let buckets = Buckets::new(credentials.as_ref().map(|c| UserId(c.id)), &identifier, &ip);
            let wait = throttle::longest_wait(conn, &buckets.checks(&limits), db::now())?;
            Ok::<_, DbError>((credentials, buckets, wait))
        })
        .await?;
    if let Some(retry_after_secs) = wait {
        tracing::info!(ip = %request.client.ip, retry_after_secs, "login throttled");
        return Err(LoginError::Throttled { retry_after_secs });
    }
    let stored_hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let matched = hasher.verify(&request.password, stored_hash).await?;
    let known = credentials.as_ref().map(|c| UserId(c.id));
    let Some(credentials) = credentials.filter(|_| matched) else {
        let failure =
            Failure { account: known, reason: "wrong password or unknown user", buckets: Some(buckets) };
        record_failure(db, request.identifier, failure, request.client).await?;
        return Err(LoginError::InvalidCredentials);
    };
    if !credentials.is_active {
        // The right password: not a guess, so it counts against no limit.
        let failure = Failure { account: known, reason: "account deactivated", buckets: None };
        record_failure(db, request.identifier, failure, request.client).await?;
        return Err(LoginError::Deactivated);
    }
    if request.require_verified_email && credentials.email_verified_at.is_none() {
        let failure = Failure { account: known, reason: "email address not confirmed", buckets: None };
        record_failure(db, request.identifier, failure, request.client).await?;
        return Err(LoginError::EmailUnverified);
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
            // The owner got in from here: this address starts with a clean slate.
            db::throttle::clear(conn, &buckets.account_ip)?;
            audit::record(conn, &Event::by(user_id, Action::LoginSucceeded, &client))?;
            sessions::start(conn, user_id, remember, &client, now)
        })
        .await?;
    Ok(LoggedIn { user_id, token })
}

/// The throttle buckets a login attempt counts against. An account's buckets share the
/// prefix [`account_prefix`], so a password reset can clear them all at once.
struct Buckets {
    ip: String,
    account: String,
    account_ip: String,
}

pub fn account_prefix(account: UserId) -> String {
    format!("login-account:{account}/")
}

impl Buckets {
    /// Unknown names are throttled exactly like accounts, so throttling reveals nothing.
    fn new(account: Option<UserId>, identifier: &str, ip: &str) -> Self {
        let account = match account {
            Some(id) => account_prefix(id),
            None => format!("login-name:{}/", identifier.chars().take(64).collect::<String>()),
        };
        Self { ip: format!("login-ip:{ip}"), account_ip: format!("{account}ip:{ip}"), account }
    }

    fn checks(&self, limits: &Limits) -> [(&str, Policy); 3] {
        [
            (&self.ip, limits.login_ip),
            (&self.account_ip, limits.login_account_ip),
            (&self.account, limits.login_account),
        ]
    }
}

struct Failure {
    account: Option<UserId>,
    reason: &'static str,
    /// The limits this failure counts against, if any.
    buckets: Option<Buckets>,
}

/// A failed login is recorded against the account when there is one, and by the name
/// that was typed when there is not (creating nothing).
async fn record_failure(
    db: &Db,
    identifier: &str,
    failure: Failure,
    client: ClientInfo,
) -> Result<(), LoginError> {
    let subject = identifier.trim().to_owned();
    db.transaction::<_, DbError>(move |conn| {
        if let Some(b) = &failure.buckets {
            throttle::record(conn, &[&b.ip, &b.account, &b.account_ip], db::now())?;
        }
        let event = Event {
            action: Action::LoginFailed,
            actor: None,
            target: failure.account,
            subject: &subject,
            details: failure.reason,
            client: &client,
        };
        audit::record(conn, &event)
    })
    .await?;
    Ok(())
}
