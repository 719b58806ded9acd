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

use super::audit::{self, Action, Event};
use super::login::{LoginError, verify_current_password};
use super::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{PlainPassword, SessionRecordId, UserId};
use chrono::TimeDelta;
use std::sync::Arc;
use webauthn_rs::prelude::{
    AuthenticationResult, Passkey, PublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder, WebauthnError,
    WebauthnResult,
};

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

/// A passkey that verified, and whose use is recorded.
pub(super) struct Verified {
    pub user: UserId,
}

/// Why a passkey was refused, and the account it named, if any.
pub(super) struct Rejected {
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
pub(super) type Check<'a> =
    Box<dyn FnOnce(&Webauthn, &PublicKeyCredential, &Passkey) -> WebauthnResult<AuthenticationResult> + 'a>;

/// Finds the stored passkey `credential` names (of `owner` only, when given), checks that
/// the user handle it sent is that passkey's, runs `check`, and records the use with a
/// compare-and-swap on the counter. A counter that went backwards is refused and audited.
pub(super) fn verify(
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
