//! The second step of a login: a right password with 2FA on becomes a pending sign-in
//! (a row, not a session: 5 minutes, 5 wrong codes), finished by a code through the one
//! session-start path. A remembered device skips this step, never the password.

use super::notices::{self, Notice};
use super::pending;
use super::{CodeKind, accept_code, admit_code};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::sessions::{Proof, SessionKind};
use crate::accounts::throttle;
use crate::accounts::token::SecretToken;
use crate::crypto::Sealer;
use crate::db::sign_ins::NewPending;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;
use crate::mail::Outbox;
use chrono::TimeDelta;

pub const PENDING_LIFETIME: TimeDelta = TimeDelta::minutes(5);
pub const MAX_WRONG_CODES: i32 = 5;
pub const DEVICE_LIFETIME: TimeDelta = TimeDelta::days(30);

/// What the first step carries into the second: where to go after, and the browser's
/// remembered-device token if it has one.
#[derive(Debug, Clone, Default)]
pub struct SecondStep {
    pub next: Option<String>,
    pub device: Option<SecretToken>,
}

/// In the first step's transaction, after the right password: `None` when the account
/// needs no second step (2FA off, or this browser remembered), else a pending sign-in.
pub fn hold(
    conn: &mut Conn,
    proof: Proof,
    kind: SessionKind,
    step: &SecondStep,
) -> Result<Option<SecretToken>, DbError> {
    let (user, now) = (proof.user, db::now());
    if !db::two_factor::is_enabled(conn, user)? {
        return Ok(None);
    }
    if let Some(device) = &step.device
        && db::sign_ins::is_remembered(conn, user, &device.digest(), now)?
    {
        return Ok(None);
    }
    let (remember, api) = match kind {
        SessionKind::Browser { remember } => (remember, false),
        SessionKind::Api { .. } => (true, true),
    };
    let token = SecretToken::generate();
    db::sign_ins::insert_pending(
        conn,
        &NewPending {
            token_hash: &token.digest(),
            user_id: user.0,
            credentials_version: proof.credentials_version,
            require_verified: proof.require_verified_email,
            remember,
            api,
            next_path: step.next.as_deref(),
            expires_at: now + PENDING_LIFETIME,
        },
    )?;
    Ok(Some(token))
}

/// The second step as submitted.
pub struct CodeRequest {
    pub pending: SecretToken,
    pub code: String,
    pub remember_device: bool,
    pub client: ClientInfo,
    /// `Some(lifetime)` from the JSON API (which finishes only its own pending sign-ins).
    pub api: Option<TimeDelta>,
}

/// A finished login.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: UserId,
    pub token: SecretToken,
    pub session_id: crate::domain::SessionRecordId,
    pub remember: bool,
    pub next: Option<String>,
    /// A new remembered-device token for the browser's cookie, when asked for.
    pub device: Option<SecretToken>,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// No such pending sign-in, or it expired, or its credentials changed: log in again.
    #[error("no pending sign-in")]
    NoPending,
    #[error("wrong code")]
    WrongCode,
    /// That was the last try: the pending sign-in is gone.
    #[error("too many wrong codes")]
    TriesUsedUp,
    #[error("too many wrong codes for this account")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for CodeError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for CodeError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unexpected(DbError::from(e).into())
    }
}

/// The pending sign-in's end, decided in one transaction that always commits, so wrong
/// codes stay counted.
pub(crate) enum Outcome {
    Done(SignedIn),
    Failed(CodeError),
}

/// Checks the code and, when right, starts the session (re-checking the credentials the
/// password proved) and ends the pending sign-in; a wrong code counts against both the
/// pending sign-in's 5 tries and the account's throttle bucket.
pub async fn complete(
    db: &Db,
    sealer: &Sealer,
    outbox: &Outbox,
    request: CodeRequest,
) -> Result<SignedIn, CodeError> {
    let (sealer, queue) = (sealer.clone(), outbox.clone());
    let outcome = db.transaction::<_, CodeError>(move |conn| decide(conn, &sealer, &queue, request)).await?;
    match outcome {
        Outcome::Done(signed_in) => {
            outbox.wake();
            Ok(signed_in)
        }
        Outcome::Failed(e) => Err(e),
    }
}

fn decide(
    conn: &mut Conn,
    sealer: &Sealer,
    outbox: &Outbox,
    request: CodeRequest,
) -> Result<Outcome, CodeError> {
    let Some(pending) = pending::find(conn, &request.pending, request.api.is_some())? else {
        return Ok(Outcome::Failed(CodeError::NoPending));
    };
    let user = UserId(pending.user_id);
    let attempt = match admit_code(conn, user)? {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => return Ok(Outcome::Failed(CodeError::Throttled { retry_after_secs })),
    };
    let client = &request.client;
    let Some(kind) = accept_code(conn, sealer, user, &request.code)? else {
        return pending::wrong_factor(conn, &pending, client, "wrong code at login");
    };
    throttle::give_back(conn, attempt)?;
    let outcome = pending::finish(conn, pending, client, request.remember_device, request.api)?;
    if let Outcome::Done(_) = outcome
        && kind == CodeKind::Recovery
    {
        recovery_code_used(conn, outbox, user, client)?;
    }
    Ok(outcome)
}

fn recovery_code_used(
    conn: &mut Conn,
    outbox: &Outbox,
    user: UserId,
    client: &ClientInfo,
) -> anyhow::Result<()> {
    let left = db::two_factor::recovery_codes_left(conn, user)?;
    let details = format!("{left} recovery code(s) left");
    audit::record(conn, &Event { details: &details, ..Event::by(user, Action::RecoveryCodeUsed, client) })?;
    if let Some(profile) = db::users::profile(conn, user)? {
        notices::send(conn, outbox, &profile.username, &profile.email, Notice::RecoveryCodeUsed { left })?;
    }
    Ok(())
}

/// Deletes pending sign-ins and remembered devices past their time; run periodically.
pub fn purge_expired(conn: &mut Conn) -> Result<usize, DbError> {
    let now = db::now();
    Ok(db::sign_ins::delete_expired_pending(conn, now)? + db::sign_ins::delete_expired_devices(conn, now)?)
}
