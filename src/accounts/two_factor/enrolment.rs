//! Turning the second factor on (a secret, confirmed by a first code), new recovery
//! codes, and turning it off (the password and a code), each audited.

use super::notices::{self, Notice};
use super::{CodeKind, RecoveryCodes, TwoFactorError, accept_code, admit_code, seal_context, totp};
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::login::{self, LoginError};
use crate::accounts::throttle;
use crate::accounts::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::crypto::Sealer;
use crate::db::{self, Db, DbError};
use crate::domain::{PlainPassword, UserId};
use crate::mail::Outbox;
use rand::RngCore;

/// A secret's length: 160 bits, as RFC 4226 recommends.
const SECRET_BYTES: usize = 20;

/// The account a settings form acts on, as its session check read it.
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: UserId,
    pub username: String,
    pub email: String,
}

/// What a person needs to add the account to an authenticator app.
pub struct Enrolment {
    /// `otpauth://totp/…`, for the QR code and for copying.
    pub uri: String,
    /// The secret as base32, for typing by hand.
    pub secret_base32: String,
}

/// Whether the account's second factor is on, and how many recovery codes are left.
pub async fn status(db: &Db, user: UserId) -> Result<(bool, i64), DbError> {
    db.run(move |conn| {
        let on = db::two_factor::is_enabled(conn, user)?;
        let left = if on { db::two_factor::recovery_codes_left(conn, user)? } else { 0 };
        Ok((on, left))
    })
    .await
}

/// The right current password, or why not (a wrong one counts like a failed login).
pub(super) async fn check_password(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    user: UserId,
    password: &PlainPassword,
    ip: &str,
) -> Result<(), TwoFactorError> {
    match login::verify_current_password(db, hasher, limits, user, password, ip).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(TwoFactorError::WrongPassword),
        Err(LoginError::Throttled { retry_after_secs }) => {
            Err(TwoFactorError::Throttled { retry_after_secs })
        }
        Err(other) => Err(TwoFactorError::Unexpected(other.into())),
    }
}

/// After the current password: a new secret, waiting for its first code (replacing an
/// unconfirmed one). 2FA stays off until [`confirm`].
pub async fn begin(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    sealer: &Sealer,
    owner: &Owner,
    password: &PlainPassword,
    ip: &str,
) -> Result<Enrolment, TwoFactorError> {
    check_password(db, hasher, limits, owner.id, password, ip).await?;
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    let enrolment = describe(secret.clone(), &owner.username)?;
    let sealed = sealer.seal(&secret, &seal_context(owner.id));
    let user = owner.id;
    let stored = db
        .transaction::<_, DbError>(move |conn| {
            Ok(db::two_factor::begin_enrolment(conn, user, &sealed, db::now())?)
        })
        .await;
    // Two setups racing for one account: the loser's insert meets the winner's row.
    let stored = match stored {
        Err(DbError::UniqueViolation) => 0,
        other => other?,
    };
    if stored == 0 {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    Ok(enrolment)
}

fn describe(secret: Vec<u8>, username: &str) -> Result<Enrolment, TwoFactorError> {
    let totp = totp(secret, username)?;
    let uri = totp.to_url().map_err(|e| anyhow::anyhow!("the otpauth URI: {e}"))?;
    Ok(Enrolment { uri, secret_base32: totp.secret().to_base32() })
}

/// The enrolment waiting for its first code, to show again after a wrong one.
pub async fn waiting(db: &Db, sealer: &Sealer, owner: &Owner) -> Result<Option<Enrolment>, TwoFactorError> {
    let user = owner.id;
    let row = db.run(move |conn| Ok::<_, DbError>(db::two_factor::find(conn, user)?)).await?;
    let Some(row) = row.filter(|r| r.enabled_at.is_none()) else { return Ok(None) };
    let secret = sealer.open(&row.secret_sealed, &seal_context(user)).map_err(anyhow::Error::from)?;
    describe(secret, &owner.username).map(Some)
}

/// A correct code from the app turns 2FA on and issues the first recovery codes.
pub async fn confirm(
    db: &Db,
    sealer: &Sealer,
    user: UserId,
    code: &str,
    client: ClientInfo,
) -> Result<RecoveryCodes, TwoFactorError> {
    let (sealer, code) = (sealer.clone(), code.to_owned());
    db.transaction::<_, TwoFactorError>(move |conn| {
        let row = db::two_factor::find(conn, user)?;
        let Some(row) = row.filter(|r| r.enabled_at.is_none()) else {
            return Err(TwoFactorError::NotEnabled);
        };
        let secret = sealer.open(&row.secret_sealed, &seal_context(user)).map_err(anyhow::Error::from)?;
        let typed = super::normalize(&code);
        let step = super::matching_step(secret, &typed, super::unix_now())?;
        let Some(step) = step.filter(|_| typed.len() == 6) else { return Err(TwoFactorError::WrongCode) };
        if db::two_factor::enable(conn, user, step, db::now())? != 1 {
            return Err(TwoFactorError::WrongCode);
        }
        let codes = super::issue_recovery_codes(conn, user)?;
        audit::record(conn, &Event::by(user, Action::TwoFactorEnabled, &client))?;
        Ok(codes)
    })
    .await
}

/// After the current password: a new set of recovery codes; the old set dies.
pub async fn regenerate_codes(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    user: UserId,
    password: &PlainPassword,
    client: ClientInfo,
) -> Result<RecoveryCodes, TwoFactorError> {
    check_password(db, hasher, limits, user, password, &client.ip).await?;
    db.transaction::<_, TwoFactorError>(move |conn| {
        if !db::two_factor::is_enabled(conn, user)? {
            return Err(TwoFactorError::NotEnabled);
        }
        let codes = super::issue_recovery_codes(conn, user)?;
        audit::record(conn, &Event::by(user, Action::RecoveryCodesRegenerated, &client))?;
        Ok(codes)
    })
    .await
}

/// With the current password and a code (TOTP or recovery): 2FA off, every remembered
/// device forgotten, the owner emailed.
pub async fn disable(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    sealer: &Sealer,
    outbox: &Outbox,
    owner: Owner,
    request: (PlainPassword, String, ClientInfo),
) -> Result<(), TwoFactorError> {
    let (password, code, client) = request;
    check_password(db, hasher, limits, owner.id, &password, &client.ip).await?;
    let (sealer, queue) = (sealer.clone(), outbox.clone());
    let done = db
        .transaction::<_, TwoFactorError>(move |conn| {
            let user = owner.id;
            if !db::two_factor::is_enabled(conn, user)? {
                return Err(TwoFactorError::NotEnabled);
            }
            let attempt =
                admit_code(conn, user)?.map_err(|s| TwoFactorError::Throttled { retry_after_secs: s })?;
            let Some(kind) = accept_code(conn, &sealer, user, &code)? else {
                let details = "wrong code to turn two-factor authentication off";
                audit::record(conn, &Event { details, ..Event::by(user, Action::TwoFactorFailed, &client) })?;
                return Ok(false);
            };
            throttle::give_back(conn, attempt)?;
            db::two_factor::delete(conn, user)?;
            db::sign_ins::forget_devices(conn, user)?;
            let details = if kind == CodeKind::Recovery { "confirmed with a recovery code" } else { "" };
            audit::record(conn, &Event { details, ..Event::by(user, Action::TwoFactorDisabled, &client) })?;
            notices::send(conn, &queue, &owner.username, &owner.email, Notice::Disabled)?;
            Ok(true)
        })
        .await?;
    if !done {
        return Err(TwoFactorError::WrongCode);
    }
    outbox.wake();
    Ok(())
}
