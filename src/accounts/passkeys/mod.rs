//! Passkeys (WebAuthn, through webauthn-rs): the relying party, what the ceremonies share,
//! and the rules for confirming who is at the keyboard before the passkey list changes.
//!
//! A passkey with user verification proves possession and a PIN or biometric: it is a
//! login of its own, and it satisfies two-factor authentication, so a passwordless login
//! never asks for a TOTP code. With a password, a passkey is offered as the second step.

mod ceremony;
pub mod login;
pub mod manage;
pub mod registration;
pub mod second_factor;
mod verification;

use super::PasswordHasher;
use super::login::{LoginError, verify_current_password};
use crate::config::Limits;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{PlainPassword, SessionRecordId, UserId};
use chrono::TimeDelta;
use std::sync::Arc;
use webauthn_rs::prelude::{Passkey, Url, Webauthn, WebauthnBuilder};

/// For an account without a password, a sign-in this recent stands in for it.
pub const FRESH_SIGN_IN: TimeDelta = TimeDelta::minutes(10);

/// The relying party: `PUBLIC_URL`'s host is its id and `PUBLIC_URL` its only origin.
#[derive(Clone)]
pub struct RelyingParty(Arc<Webauthn>);

impl RelyingParty {
    /// `None` when `PUBLIC_URL`'s host is an IP address, which is never a valid relying
    /// party id: passkeys then stay off (browse `http://localhost:PORT` locally).
    pub fn from_public_url(public_url: &str) -> anyhow::Result<Option<Self>> {
        let origin = Url::parse(public_url)?;
        let Some(domain) = origin.domain() else { return Ok(None) };
        let webauthn =
            WebauthnBuilder::new(domain, &origin)?.rp_name(crate::mail::compose::APP_NAME).build()?;
        Ok(Some(Self(Arc::new(webauthn))))
    }

    fn webauthn(&self) -> &Webauthn {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// `PUBLIC_URL` names no domain, so no passkey can be made or used here.
    #[error("passkeys are not available on this server")]
    Unavailable,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("give the passkey a name of 1 to 64 characters")]
    InvalidName,
    /// No ceremony of this browser's to finish: never started, finished already, expired.
    #[error("this passkey request has expired or was already used; please try again")]
    NoCeremony,
    /// The answer did not verify: origin, relying party, challenge, signature, user verification.
    #[error("the passkey could not be verified")]
    Refused,
    /// Its signature counter went backwards: a cloned authenticator, refused and audited.
    #[error("the passkey could not be verified")]
    CounterRegressed,
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    #[error("this account has been deactivated")]
    Deactivated,
    #[error("the email address is not confirmed")]
    EmailUnverified,
    /// The second step was asked for with no pending sign-in in this browser.
    #[error("no pending sign-in; please log in again")]
    NoPendingSignIn,
    #[error("this account has no passkey")]
    NoPasskey,
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for PasskeyError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for PasskeyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unexpected(DbError::from(e).into())
    }
}

impl From<serde_json::Error> for PasskeyError {
    fn from(e: serde_json::Error) -> Self {
        Self::Unexpected(anyhow::Error::from(e).context("a stored passkey or ceremony"))
    }
}

/// Who asks to change the passkey list: the account, its session, and what it typed.
pub struct Confirmation {
    pub user: UserId,
    pub session: SessionRecordId,
    pub password: PlainPassword,
    pub ip: String,
}

/// Whether the person may change the account's passkeys: the current password (counted
/// like a failed login when wrong), or, for an account that has none, a fresh sign-in.
pub async fn confirm(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    who: &Confirmation,
) -> Result<(), PasskeyError> {
    let (user, session) = (who.user, who.session);
    let (has_password, started) = db
        .run(move |conn| {
            let has = db::identities::has_password(conn, user)?;
            Ok::<_, DbError>((has, db::passkeys::session_started_at(conn, session)?))
        })
        .await?;
    let right =
        match has_password {
            true => verify_current_password(db, hasher, limits, user, &who.password, &who.ip).await.map_err(
                |e| match e {
                    LoginError::Throttled { retry_after_secs } => {
                        PasskeyError::Throttled { retry_after_secs }
                    }
                    other => PasskeyError::Unexpected(other.into()),
                },
            )?,
            false => started.is_some_and(|at| db::now() - at <= FRESH_SIGN_IN),
        };
    if right { Ok(()) } else { Err(PasskeyError::WrongPassword) }
}

/// A stored row's passkey, as webauthn-rs reads it.
fn parse_passkey(json: &str) -> Result<Passkey, PasskeyError> {
    Ok(serde_json::from_str(json)?)
}

/// The signature counter inside webauthn-rs' passkey (it has no accessor for it).
fn stored_counter(passkey: &Passkey) -> Result<i64, PasskeyError> {
    Ok(serde_json::to_value(passkey)?["cred"]["counter"].as_i64().unwrap_or(0))
}

/// The credential id as stored: unpadded base64url of its bytes.
fn credential_key(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Purges ceremonies never finished; run periodically.
pub fn purge_expired(conn: &mut Conn) -> Result<usize, DbError> {
    Ok(db::webauthn_ceremonies::delete_expired(conn, db::now())?)
}
