//! Checking a passkey's answer against the stored passkey it names, and recording its use:
//! the counter moves by a compare-and-swap, and one that went backwards is refused and audited.

use super::{PasskeyError, RelyingParty, credential_key, parse_passkey};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::db::{self, Conn};
use crate::domain::UserId;
use webauthn_rs::prelude::{
    AuthenticationResult, Passkey, PublicKeyCredential, Uuid, Webauthn, WebauthnError, WebauthnResult,
};

/// A passkey that verified, and whose use is recorded.
pub struct Verified {
    pub user: UserId,
}

/// Why a passkey was refused, and the account it named, if any.
pub struct Rejected {
    pub account: Option<UserId>,
    pub error: PasskeyError,
}

impl Rejected {
    fn anonymous(error: PasskeyError) -> Self {
        Self { account: None, error }
    }
}

/// What webauthn-rs checks: origin, relying party, challenge, signature, user verification
/// and the counter, for the stored passkey the answer names.
pub type Check<'a> =
    Box<dyn FnOnce(&Webauthn, &PublicKeyCredential, &Passkey) -> WebauthnResult<AuthenticationResult> + 'a>;

/// Finds the stored passkey `credential` names (of `owner` only, when given), checks that
/// the user handle it sent is that passkey's, runs `check`, and records the use with a
/// compare-and-swap on the counter. A counter that went backwards is refused and audited.
pub fn verify(
    conn: &mut Conn,
    rp: &RelyingParty,
    credential: &PublicKeyCredential,
    owner: Option<UserId>,
    client: &ClientInfo,
    check: Check<'_>,
) -> Result<Result<Verified, Rejected>, PasskeyError> {
    let key = credential_key(credential.get_credential_id());
    let row = db::passkeys::by_credential(conn, &key)?.filter(|r| owner.is_none_or(|o| o.0 == r.user_id));
    let Some(row) = row else { return Ok(Err(Rejected::anonymous(PasskeyError::Refused))) };
    let user = UserId(row.user_id);
    let refuse = |error| Ok(Err(Rejected { account: Some(user), error }));
    let handle = credential.get_user_unique_id().map(|b| Uuid::from_slice(b).map(|u| u.to_string()));
    let handle_matches = match handle {
        Some(Ok(sent)) => sent == row.user_handle,
        Some(Err(_)) => false,
        None => owner.is_some(),
    };
    if !handle_matches {
        return refuse(PasskeyError::Refused);
    }
    let mut passkey = parse_passkey(&row.passkey)?;
    let result = match check(rp.webauthn(), credential, &passkey) {
        Ok(result) if result.user_verified() => result,
        Ok(_) => return refuse(PasskeyError::Refused),
        Err(WebauthnError::CredentialPossibleCompromise) => {
            let details = format!("passkey {}: signature counter went backwards; refused", row.id);
            let event = Event { details: &details, ..Event::by(user, Action::PasskeyRefused, client) };
            audit::record(conn, &event)?;
            return refuse(PasskeyError::CounterRegressed);
        }
        Err(e) => {
            tracing::info!(user_id = %user, error = %e, "passkey refused");
            return refuse(PasskeyError::Refused);
        }
    };
    passkey.update_credential(&result);
    let json = serde_json::to_string(&passkey)?;
    let new_count = i64::from(result.counter());
    if db::passkeys::record_use(conn, row.id, row.sign_count, new_count, &json, db::now())? != 1 {
        // Another use of this passkey moved its counter since it was read: a replay or a clone.
        return refuse(PasskeyError::CounterRegressed);
    }
    Ok(Ok(Verified { user }))
}
