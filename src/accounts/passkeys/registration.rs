//! Adding a passkey: confirmed by the current password (or a fresh sign-in for an account
//! without one), a discoverable credential with user verification, its id unique.

use super::ceremony::{self, Purpose, Started};
use super::{Confirmation, PasskeyError, RelyingParty, confirm, credential_key, parse_passkey};
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::token::SecretToken;
use crate::accounts::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::passkeys::NewPasskey;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    CreationChallengeResponse, PasskeyRegistration, RegisterPublicKeyCredential, Uuid,
};
use webauthn_rs_proto::ResidentKeyRequirement;

const MAX_NAME_CHARS: usize = 64;

/// What the start keeps for the finish.
#[derive(Serialize, Deserialize)]
struct State {
    handle: Uuid,
    registration: PasskeyRegistration,
}

/// A passkey's name as the person typed it: trimmed, 1 to 64 characters, no controls.
pub fn parse_name(raw: &str) -> Result<String, PasskeyError> {
    let name = raw.trim();
    let fits = (1..=MAX_NAME_CHARS).contains(&name.chars().count());
    if fits && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(PasskeyError::InvalidName)
    }
}

/// Confirms the person, then starts a registration for this browser: the options for
/// `navigator.credentials.create`, excluding the account's registered passkeys.
pub async fn start(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    rp: &RelyingParty,
    browser: SecretToken,
    who: Confirmation,
    name: &str,
) -> Result<CreationChallengeResponse, PasskeyError> {
    let name = parse_name(name)?;
    confirm(db, hasher, limits, &who).await?;
    let (rp, user) = (rp.clone(), who.user);
    db.transaction(move |conn| {
        let username = db::users::profile(conn, user)?.ok_or(PasskeyError::Deactivated)?.username;
        let existing = db::passkeys::of(conn, user)?;
        let exclude = existing
            .iter()
            .map(|row| parse_passkey(&row.passkey).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let handle = account_handle(conn, user)?;
        let (mut options, registration) = rp
            .webauthn()
            .start_passkey_registration(handle, &username, &username, Some(exclude))
            .map_err(|e| anyhow::anyhow!("starting a passkey registration: {e}"))?;
        // webauthn-rs asks for no resident key; a passwordless login needs a discoverable one.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let state = State { handle, registration };
        let started = Started { purpose: Purpose::Register, user: Some(user), name: &name, state: &state };
        ceremony::keep(conn, &browser, &started)?;
        Ok(options)
    })
    .await
}

/// The handle the account's passkeys carry (an authenticator keys its credentials by it),
/// or a new random one for its first.
fn account_handle(conn: &mut Conn, user: UserId) -> Result<Uuid, PasskeyError> {
    if let Some(existing) = db::passkeys::handle_of(conn, user)?
        && let Ok(handle) = Uuid::parse_str(&existing)
    {
        return Ok(handle);
    }
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    Ok(Uuid::from_bytes(bytes))
}

/// Finishes this browser's registration for `user`: verifies the authenticator's answer
/// (origin, relying party, challenge, user verification) and stores the passkey.
pub async fn finish(
    db: &Db,
    rp: &RelyingParty,
    browser: SecretToken,
    user: UserId,
    credential: RegisterPublicKeyCredential,
    client: ClientInfo,
) -> Result<String, PasskeyError> {
    let rp = rp.clone();
    let outcome = db
        .transaction::<_, PasskeyError>(move |conn| {
            let taken = ceremony::take::<State>(conn, &browser, Purpose::Register)?;
            if taken.user != Some(user) {
                return Ok(Err(PasskeyError::NoCeremony));
            }
            let passkey =
                match rp.webauthn().finish_passkey_registration(&credential, &taken.state.registration) {
                    Ok(passkey) => passkey,
                    Err(e) => {
                        tracing::info!(user_id = %user, error = %e, "passkey registration refused");
                        return Ok(Err(PasskeyError::Refused));
                    }
                };
            let stored = store(conn, user, &taken.name, &taken.state.handle, &passkey)?;
            if stored.is_ok() {
                let details = format!("name: {}", taken.name);
                audit::record(
                    conn,
                    &Event { details: &details, ..Event::by(user, Action::PasskeyAdded, &client) },
                )?;
            }
            Ok(stored.map(|()| taken.name))
        })
        .await;
    match outcome {
        Ok(done) => done,
        Err(PasskeyError::Unexpected(e))
            if e.downcast_ref::<DbError>().is_some_and(|e| matches!(e, DbError::UniqueViolation)) =>
        {
            Err(PasskeyError::AlreadyRegistered)
        }
        Err(e) => Err(e),
    }
}

/// Inserts the passkey; a credential id registered already (to anyone) is refused. (Two
/// registrations of one credential at once: the unique index refuses the second, whose
/// transaction then fails as a whole, and [`finish`] reads that as the same refusal.)
fn store(
    conn: &mut Conn,
    user: UserId,
    name: &str,
    handle: &Uuid,
    passkey: &webauthn_rs::prelude::Passkey,
) -> Result<Result<(), PasskeyError>, PasskeyError> {
    let credential_id = credential_key(passkey.cred_id().as_ref());
    if db::passkeys::by_credential(conn, &credential_id)?.is_some() {
        return Ok(Err(PasskeyError::AlreadyRegistered));
    }
    let json = serde_json::to_string(passkey)?;
    let row = NewPasskey {
        user_id: user.0,
        credential_id: &credential_id,
        user_handle: &handle.to_string(),
        name,
        passkey: &json,
        sign_count: super::stored_counter(passkey)?,
        created_at: db::now(),
    };
    db::passkeys::insert(conn, &row)?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Laptop  ").ok().as_deref(), Some("Laptop"));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(65)).is_err());
        assert!(parse_name(&"é".repeat(64)).is_ok());
        assert!(parse_name("a\nb").is_err());
    }
}
