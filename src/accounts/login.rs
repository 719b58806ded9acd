//! Logging in with a password: one generic failure, the same work for unknown users, the
//! attempt counted before the password is checked, and a session through the one
//! session-start path.

use super::audit::{self, Action, Event};
use super::sessions::{self, Proof, SessionKind, StartError, Started};
use super::throttle::{self, Attempt, Bucket};
use super::token::SecretToken;
use super::two_factor::sign_in::{self as second_factor, SecondStep};
use super::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::users::Credentials;
use crate::db::{self, Db, DbError};
use crate::domain::{Password, PlainPassword, SessionRecordId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, or a deactivated account's wrong password: the
    /// caller must not be able to tell which.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// Only said after the right password, so it reveals nothing to a guesser.
    #[error("the account is deactivated")]
    Deactivated,
    /// `EMAIL_VERIFICATION=required` and the address is not confirmed: only said after
    /// the right password, and no session starts.
    #[error("the email address is not confirmed")]
    EmailUnverified,
    /// Too many recent failures for this account or from this address.
    #[error("too many failed logins")]
    Throttled { retry_after_secs: u64 },
    /// The right password for an account with 2FA on: no session yet, a pending sign-in
    /// that a code finishes (`two_factor::sign_in::complete`).
    #[error("a second factor is required")]
    SecondFactorRequired { pending: SecretToken },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for LoginError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<StartError> for LoginError {
    fn from(e: StartError) -> Self {
        match e {
            // The password just verified is no longer the account's (or it was deactivated).
            StartError::CredentialsChanged => Self::InvalidCredentials,
            StartError::EmailUnverified => Self::EmailUnverified,
            StartError::Db(e) => e.into(),
        }
    }
}

pub struct LoginRequest<'a> {
    /// A username or an email, in any case.
    pub identifier: &'a str,
    pub password: PlainPassword,
    pub client: ClientInfo,
    /// What a second step, if the account has one, needs from this first one.
    pub second_step: SecondStep,
    /// Refuse an account whose address is not confirmed (`EMAIL_VERIFICATION=required`).
    pub require_verified_email: bool,
}

pub struct LoggedIn {
    pub user_id: UserId,
    pub token: SecretToken,
    pub session_id: SessionRecordId,
}

/// A password that was right: what it proved, and the bookkeeping a session start settles.
pub struct PasswordVerified {
    pub proof: Proof,
    attempt: Attempt,
    account_ip: Bucket,
    /// The password hashed again at the configured cost, when the stored hash is older.
    rehashed: Option<String>,
    second_step: SecondStep,
}

/// Checks the password and starts a session of `kind`.
pub async fn login(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    request: LoginRequest<'_>,
    kind: SessionKind,
) -> Result<LoggedIn, LoginError> {
    let client = request.client.clone();
    let verified = verify_password(db, hasher, limits, request).await?;
    let user_id = verified.proof.user;
    let Started { token, id } = start_session(db, verified, kind, client).await?;
    Ok(LoggedIn { user_id, token, session_id: id })
}

/// The first factor: counts the attempt (refusing it when a limit is reached), then
/// checks the password against the account's hash, or a dummy one for unknown names.
pub async fn verify_password(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    request: LoginRequest<'_>,
) -> Result<PasswordVerified, LoginError> {
    let (credentials, attempt, account_ip) =
        admit(db, limits, request.identifier, &request.client.ip).await?;
    let stored_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let matched = hasher.verify(&request.password, stored_hash).await?;
    let known = credentials.as_ref().map(|c| UserId(c.id));
    let Some(credentials) = credentials.filter(|_| matched) else {
        let failure = Failure { account: known, reason: "wrong password or unknown user", give_back: None };
        record_failure(db, request.identifier, failure, request.client).await?;
        return Err(LoginError::InvalidCredentials);
    };
    if !credentials.is_active {
        // The right password: not a guess, so it counts against no limit.
        let failure = Failure { account: known, reason: "account deactivated", give_back: Some(attempt) };
        record_failure(db, request.identifier, failure, request.client).await?;
        return Err(LoginError::Deactivated);
    }
    // The cost changed since this hash was made: redo it now, while we hold the password.
    let rehashed = match credentials.password_hash.as_deref().is_some_and(|h| hasher.needs_rehash(h)) {
        true => Some(hasher.hash(&Password::already_verified(request.password)).await?),
        false => None,
    };
    let proof = Proof {
        user: UserId(credentials.id),
        credentials_version: credentials.credentials_version,
        require_verified_email: request.require_verified_email,
    };
    let second_step = request.second_step;
    Ok(PasswordVerified { proof, attempt, account_ip, rehashed, second_step })
}

/// Looks the name up and counts the attempt against its three buckets, in one step.
async fn admit(
    db: &Db,
    limits: &Limits,
    identifier: &str,
    ip: &str,
) -> Result<(Option<Credentials>, Attempt, Bucket), LoginError> {
    let (identifier, ip, limits) = (identifier.trim().to_lowercase(), ip.to_owned(), *limits);
    let (credentials, admitted, account_ip) = db
        .transaction::<_, DbError>(move |conn| {
            let plausible = !identifier.is_empty() && identifier.len() <= crate::domain::Email::MAX_LEN;
            let credentials = if plausible { db::users::find_credentials(conn, &identifier)? } else { None };
            let account = credentials.as_ref().map(|c| UserId(c.id));
            let account_ip = Bucket::login_account_ip(account, &identifier, &ip);
            let checks = [
                (&Bucket::login_ip(&ip), limits.login_ip),
                (&account_ip, limits.login_account_ip),
                (&Bucket::login_account(account, &identifier), limits.login_account),
            ];
            let admitted = throttle::admit(conn, &checks, db::now())?;
            if admitted.is_err() {
                super::overview::count_refusal(conn)?;
            }
            Ok((credentials, admitted, account_ip))
        })
        .await?;
    let attempt = admitted.map_err(|refused| {
        tracing::info!(retry_after_secs = refused.retry_after_secs, "login throttled");
        LoginError::Throttled { retry_after_secs: refused.retry_after_secs }
    })?;
    Ok((credentials, attempt, account_ip))
}

/// Turns a verified password into a session: the attempt is given back and this
/// address's count for the account cleared (the owner got in from here), all in the
/// transaction that starts the session. An account with 2FA on gets no session here but
/// a pending sign-in ([`LoginError::SecondFactorRequired`]), unless the browser is remembered.
pub async fn start_session(
    db: &Db,
    verified: PasswordVerified,
    kind: SessionKind,
    client: ClientInfo,
) -> Result<Started, LoginError> {
    let (user, attempt, audit_client) = (verified.proof.user, verified.attempt.clone(), client.clone());
    let started = db
        .transaction::<_, StartError>(move |conn| {
            let proof = verified.proof;
            let started = match second_factor::hold(conn, proof, kind, &verified.second_step)? {
                None => Ok(sessions::start(conn, proof, kind, &client, db::now())?),
                Some(pending) => {
                    // No session yet, but the same lock and checks before the bookkeeping.
                    sessions::check_current(conn, proof)?;
                    Err(pending)
                }
            };
            if let Some(hash) = &verified.rehashed {
                db::users::rehash_password(conn, user, hash)?;
            }
            throttle::give_back(conn, verified.attempt)?;
            throttle::clear(conn, &verified.account_ip)?;
            Ok(started)
        })
        .await;
    if let Err(StartError::EmailUnverified) = started {
        // The right password: not a guess, so it counts against no limit.
        let failure =
            Failure { account: Some(user), reason: "email address not confirmed", give_back: Some(attempt) };
        record_failure(db, "", failure, audit_client).await?;
    }
    started?.map_err(|pending| LoginError::SecondFactorRequired { pending })
}

struct Failure {
    account: Option<UserId>,
    reason: &'static str,
    /// An attempt that should not count after all.
    give_back: Option<Attempt>,
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
        if let Some(attempt) = failure.give_back {
            throttle::give_back(conn, attempt)?;
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

/// Whether `password` is `user`'s current one, for pages that ask for it again (password
/// change, email change, second-factor settings). A wrong one counts exactly like a
/// failed login from this address; a right one is given back.
pub async fn verify_current_password(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    user: UserId,
    password: &PlainPassword,
    ip: &str,
) -> Result<bool, LoginError> {
    let (ip, limits) = (ip.to_owned(), *limits);
    let (hash, admitted) = db
        .transaction::<_, DbError>(move |conn| {
            let hash = db::users::password_hash(conn, user)?;
            let account_ip = Bucket::login_account_ip(Some(user), "", &ip);
            let checks = [
                (&Bucket::login_ip(&ip), limits.login_ip),
                (&account_ip, limits.login_account_ip),
                (&Bucket::login_account(Some(user), ""), limits.login_account),
            ];
            Ok((hash, throttle::admit(conn, &checks, db::now())?))
        })
        .await?;
    let attempt = admitted.map_err(|r| LoginError::Throttled { retry_after_secs: r.retry_after_secs })?;
    let matched = hasher.verify(password, hash).await?;
    if matched {
        db.transaction::<_, DbError>(move |conn| throttle::give_back(conn, attempt)).await?;
    }
    Ok(matched)
}
