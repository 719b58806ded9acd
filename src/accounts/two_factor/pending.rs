//! A pending sign-in's end, whichever second factor decided it (a code, a passkey): a
//! wrong one counted against its tries, a right one a session through the one start path.

use super::sign_in::{CodeError, DEVICE_LIFETIME, MAX_WRONG_CODES, Outcome, SignedIn};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::sessions::{self, Proof, SessionKind, StartError};
use crate::accounts::token::SecretToken;
use crate::db::sign_ins::PendingRow;
use crate::db::{self, Conn, DbError};
use crate::domain::UserId;
use chrono::TimeDelta;

/// The live pending sign-in behind `token`, if it is of this audience (browser or API).
pub(crate) fn find(conn: &mut Conn, token: &SecretToken, api: bool) -> Result<Option<PendingRow>, DbError> {
    let found = db::sign_ins::find_pending(conn, &token.digest(), MAX_WRONG_CODES, db::now())?;
    Ok(found.filter(|p| p.api == api))
}

/// A wrong second factor (`what`: a code, a passkey): counted against the pending sign-in's
/// tries, audited, and the sign-in ended at the last try.
pub(crate) fn wrong_factor(
    conn: &mut Conn,
    pending: &PendingRow,
    client: &ClientInfo,
    what: &str,
) -> Result<Outcome, CodeError> {
    let user = UserId(pending.user_id);
    let failures = db::sign_ins::count_failure(conn, pending.id)?.unwrap_or(MAX_WRONG_CODES);
    let details = format!("{what} ({failures} of {MAX_WRONG_CODES})");
    audit::record(conn, &Event { details: &details, ..Event::by(user, Action::TwoFactorFailed, client) })?;
    if failures >= MAX_WRONG_CODES {
        db::sign_ins::delete_pending(conn, pending.id)?;
        return Ok(Outcome::Failed(CodeError::TriesUsedUp));
    }
    Ok(Outcome::Failed(CodeError::WrongCode))
}

/// A right second factor: ends the pending sign-in and starts the session through the one
/// start path (re-checking the credentials the first step proved), remembering this
/// browser when asked.
pub(crate) fn finish(
    conn: &mut Conn,
    pending: PendingRow,
    client: &ClientInfo,
    remember_device: bool,
    api: Option<TimeDelta>,
) -> Result<Outcome, CodeError> {
    let (user, now) = (UserId(pending.user_id), db::now());
    if db::sign_ins::delete_pending(conn, pending.id)? != 1 {
        return Ok(Outcome::Failed(CodeError::NoPending));
    }
    let proof = Proof {
        user,
        credentials_version: pending.credentials_version,
        require_verified_email: pending.require_verified,
    };
    let kind_of_session = match api {
        Some(lifetime) => SessionKind::Api { lifetime },
        None => SessionKind::Browser { remember: pending.remember },
    };
    let started = match sessions::start(conn, proof, kind_of_session, client, now) {
        Ok(started) => started,
        Err(StartError::CredentialsChanged | StartError::EmailUnverified) => {
            return Ok(Outcome::Failed(CodeError::NoPending));
        }
        Err(StartError::Db(e)) => return Err(e.into()),
    };
    let device = remember_device.then(SecretToken::generate);
    if let Some(device) = &device {
        db::sign_ins::insert_device(conn, user, &device.digest(), now, now + DEVICE_LIFETIME)?;
    }
    let (remember, next) = (pending.remember, pending.next_path);
    let (token, session_id) = (started.token, started.id);
    Ok(Outcome::Done(SignedIn { user_id: user, token, session_id, remember, next, device }))
}
