//! A passkey as the second step of a login: on `/login/2fa`, instead of a TOTP code, one
//! of the account's passkeys finishes the pending sign-in, counted like a code.

use super::ceremony::{self, Purpose, Started};
use super::verification::{Check, verify};
use super::{PasskeyError, RelyingParty};
use crate::accounts::ClientInfo;
use crate::accounts::throttle;
use crate::accounts::token::SecretToken;
use crate::accounts::two_factor::admit_code;
use crate::accounts::two_factor::pending as pending_sign_in;
use crate::accounts::two_factor::sign_in::{CodeError, Outcome, SignedIn};
use crate::db::{self, Conn, Db};
use crate::domain::UserId;
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential, RequestChallengeResponse};

/// Starts a second step for this browser's pending sign-in: a challenge for the account's
/// own passkeys.
pub async fn start(
    db: &Db,
    rp: &RelyingParty,
    browser: SecretToken,
    pending: SecretToken,
) -> Result<RequestChallengeResponse, PasskeyError> {
    let rp = rp.clone();
    db.transaction::<_, PasskeyError>(move |conn| {
        let found = pending_sign_in::find(conn, &pending, false)?;
        let user = UserId(found.ok_or(PasskeyError::NoPendingSignIn)?.user_id);
        let rows = db::passkeys::of(conn, user)?;
        let passkeys =
            rows.iter().map(|r| super::parse_passkey(&r.passkey)).collect::<Result<Vec<_>, _>>()?;
        if passkeys.is_empty() {
            return Err(PasskeyError::NoPasskey);
        }
        let (options, state) = rp
            .webauthn()
            .start_passkey_authentication(&passkeys)
            .map_err(|e| anyhow::anyhow!("starting a passkey second step: {e}"))?;
        let started = Started { purpose: Purpose::SecondFactor, user: Some(user), name: "", state: &state };
        ceremony::keep(conn, &browser, &started)?;
        Ok(options)
    })
    .await
}

/// Whether the pending sign-in's account has a passkey to offer as its second step.
pub async fn offered(db: &Db, pending: SecretToken) -> Result<bool, PasskeyError> {
    db.run(move |conn| {
        let Some(found) = pending_sign_in::find(conn, &pending, false)? else { return Ok(false) };
        Ok(db::passkeys::count(conn, UserId(found.user_id))? > 0)
    })
    .await
}

/// The second step as the browser finished it.
pub struct Finish {
    pub browser: SecretToken,
    pub pending: SecretToken,
    pub credential: PublicKeyCredential,
    pub remember_device: bool,
    pub client: ClientInfo,
}

/// Finishes the pending sign-in with a passkey: a refused one counts as a wrong code.
pub async fn finish(db: &Db, rp: &RelyingParty, request: Finish) -> Result<SignedIn, CodeError> {
    let rp = rp.clone();
    let outcome = db.transaction::<_, CodeError>(move |conn| decide(conn, &rp, request)).await?;
    match outcome {
        Outcome::Done(signed_in) => Ok(signed_in),
        Outcome::Failed(e) => Err(e),
    }
}

fn decide(conn: &mut Conn, rp: &RelyingParty, request: Finish) -> Result<Outcome, CodeError> {
    let Some(pending) = pending_sign_in::find(conn, &request.pending, false)? else {
        return Ok(Outcome::Failed(CodeError::NoPending));
    };
    let user = UserId(pending.user_id);
    let attempt = match admit_code(conn, user)? {
        Ok(attempt) => attempt,
        Err(retry_after_secs) => return Ok(Outcome::Failed(CodeError::Throttled { retry_after_secs })),
    };
    let client = &request.client;
    let verified =
        match ceremony::take::<PasskeyAuthentication>(conn, &request.browser, Purpose::SecondFactor) {
            Ok(taken) if taken.user == Some(user) => {
                let check: Check<'_> =
                    Box::new(move |w, cred, _| w.finish_passkey_authentication(cred, &taken.state));
                verify(conn, rp, &request.credential, Some(user), client, check).map_err(unexpected)?.is_ok()
            }
            Ok(_) | Err(PasskeyError::NoCeremony) => false,
            Err(e) => return Err(unexpected(e)),
        };
    if !verified {
        return pending_sign_in::wrong_factor(conn, &pending, client, "passkey refused at login");
    }
    throttle::give_back(conn, attempt)?;
    pending_sign_in::finish(conn, pending, client, request.remember_device, None)
}

fn unexpected(e: PasskeyError) -> CodeError {
    CodeError::Unexpected(e.into())
}
