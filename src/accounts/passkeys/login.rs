//! Passwordless login with a discoverable passkey: counted by the throttle before it is
//! checked, audited like a password login, and a session through the one start path. A
//! passkey verifies the user (PIN or biometric), so it satisfies two-factor authentication.

use super::ceremony::{self, Purpose, Started};
use super::verification::{Check, Rejected, Verified, verify};
use super::{PasskeyError, RelyingParty};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::sessions::{self, Proof, SessionKind, StartError};
use crate::accounts::throttle::{self, Bucket};
use crate::accounts::token::SecretToken;
use crate::config::Limits;
use crate::db::{self, Conn, Db};
use crate::domain::{SessionRecordId, UserId};
use webauthn_rs::prelude::{DiscoverableAuthentication, PublicKeyCredential, RequestChallengeResponse};

/// Starts a login for this browser: a challenge for any of this site's passkeys.
pub async fn start(
    db: &Db,
    rp: &RelyingParty,
    browser: SecretToken,
) -> Result<RequestChallengeResponse, PasskeyError> {
    let (options, state) = rp
        .webauthn()
        .start_discoverable_authentication()
        .map_err(|e| anyhow::anyhow!("starting a passkey login: {e}"))?;
    db.transaction(move |conn| {
        let started = Started { purpose: Purpose::Login, user: None, name: "", state: &state };
        ceremony::keep(conn, &browser, &started)
    })
    .await?;
    Ok(options)
}

/// The login as the browser finished it.
pub struct Finish {
    pub browser: SecretToken,
    pub credential: PublicKeyCredential,
    pub remember: bool,
    pub client: ClientInfo,
    pub require_verified_email: bool,
}

pub struct LoggedIn {
    pub user: UserId,
    pub token: SecretToken,
    pub session: SessionRecordId,
}

/// Finishes this browser's login: one transaction that always commits (the attempt, the
/// spent challenge and the audit entry stay), and a session only for a verified passkey
/// of an active account.
pub async fn finish(
    db: &Db,
    rp: &RelyingParty,
    limits: &Limits,
    request: Finish,
) -> Result<LoggedIn, PasskeyError> {
    let (rp, limits) = (rp.clone(), *limits);
    db.transaction::<_, PasskeyError>(move |conn| decide(conn, &rp, &limits, request)).await?
}

fn decide(
    conn: &mut Conn,
    rp: &RelyingParty,
    limits: &Limits,
    request: Finish,
) -> Result<Result<LoggedIn, PasskeyError>, PasskeyError> {
    let client = &request.client;
    let bucket = Bucket::passkey_ip(&client.ip);
    let attempt = match throttle::admit(conn, &[(&bucket, limits.login_ip)], db::now())? {
        Ok(attempt) => attempt,
        Err(refused) => {
            crate::accounts::overview::count_refusal(conn)?;
            return Ok(Err(PasskeyError::Throttled { retry_after_secs: refused.retry_after_secs }));
        }
    };
    let verified = match ceremony::take::<DiscoverableAuthentication>(conn, &request.browser, Purpose::Login)
    {
        Ok(taken) => {
            let check: Check<'_> =
                Box::new(move |w, cred, key| w.finish_discoverable_authentication_v2(cred, taken.state, key));
            verify(conn, rp, &request.credential, None, client, check)?
        }
        Err(PasskeyError::NoCeremony) => Err(Rejected { account: None, error: PasskeyError::NoCeremony }),
        Err(e) => return Err(e),
    };
    let verified = match verified {
        Ok(verified) => verified,
        Err(rejected) => {
            failed(conn, rejected.account, refusal_reason(&rejected.error), client)?;
            return Ok(Err(rejected.error));
        }
    };
    let started = start_session(conn, &verified, &request)?;
    if started.is_ok() {
        throttle::give_back(conn, attempt)?;
    }
    Ok(started)
}

/// The session for a verified passkey, on the one path every login takes.
fn start_session(
    conn: &mut Conn,
    verified: &Verified,
    request: &Finish,
) -> Result<Result<LoggedIn, PasskeyError>, PasskeyError> {
    let user = verified.user;
    let Some((version, true)) = db::users::lock_credentials(conn, user)? else {
        failed(conn, Some(user), "passkey: account deactivated", &request.client)?;
        return Ok(Err(PasskeyError::Deactivated));
    };
    let proof =
        Proof { user, credentials_version: version, require_verified_email: request.require_verified_email };
    let kind = SessionKind::Browser { remember: request.remember };
    match sessions::start(conn, proof, kind, &request.client, db::now()) {
        Ok(started) => Ok(Ok(LoggedIn { user, token: started.token, session: started.id })),
        Err(StartError::EmailUnverified) => {
            failed(conn, Some(user), "passkey: email address not confirmed", &request.client)?;
            Ok(Err(PasskeyError::EmailUnverified))
        }
        Err(StartError::CredentialsChanged) => Ok(Err(PasskeyError::Deactivated)),
        Err(StartError::Db(e)) => Err(e.into()),
    }
}

pub(super) fn refusal_reason(refusal: &PasskeyError) -> &'static str {
    match refusal {
        PasskeyError::NoCeremony => "passkey: no such challenge (expired, used or another browser's)",
        PasskeyError::CounterRegressed => "passkey: signature counter went backwards",
        _ => "passkey: did not verify",
    }
}

/// A failed passkey login, against the account when the credential named one.
fn failed(
    conn: &mut Conn,
    account: Option<UserId>,
    reason: &str,
    client: &ClientInfo,
) -> Result<(), PasskeyError> {
    let event = Event {
        action: Action::LoginFailed,
        actor: None,
        target: account,
        subject: "passkey",
        details: reason,
        client,
    };
    Ok(audit::record(conn, &event)?)
}
