//! Two-factor authentication: TOTP (RFC 6238: SHA-1, 6 digits, 30 s, one step of skew)
//! with a sealed secret, single-use recovery codes, and the checks every use shares.

pub mod admin_reset;
pub mod enrolment;
mod notices;
pub mod pending;
pub mod sign_in;

use super::throttle::{self, Attempt, Bucket};
use crate::config::Policy;
use crate::crypto::Sealer;
use crate::db::{self, Conn, DbError};
use crate::domain::UserId;
use chrono::TimeDelta;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes per recovery code: 128 bits, far beyond guessing.
const RECOVERY_CODE_BYTES: usize = 16;
/// Wrong codes for one account, across every pending sign-in and settings form.
const CODE_POLICY: Policy = Policy { limit: 10, window: TimeDelta::minutes(15) };
/// The name in authenticator apps.
const ISSUER: &str = crate::mail::compose::APP_NAME;

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the code is wrong or was used already")]
    WrongCode,
    #[error("two-factor authentication is already on")]
    AlreadyEnabled,
    #[error("two-factor authentication is off")]
    NotEnabled,
    #[error("too many wrong codes or passwords")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for TwoFactorError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for TwoFactorError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Unexpected(DbError::from(e).into())
    }
}

/// What an accepted code was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    Recovery,
}

/// A fresh set of recovery codes, shown once; only their hashes are kept.
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

/// The TOTP of `secret` for `account_name`, with RFC 6238's parameters.
fn totp(secret: Vec<u8>, account_name: &str) -> anyhow::Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account_name.replace(':', "_"))
        .build()
        .map_err(|e| anyhow::anyhow!("building the TOTP: {e}"))
}

/// The context a secret is sealed to, so a sealed value moved to another account fails.
fn seal_context(user: UserId) -> Vec<u8> {
    format!("two-factor:{user}").into_bytes()
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// Letters and digits only, lower case: how codes are compared, whatever was typed.
fn normalize(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn recovery_hash(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// A new set of codes, grouped for reading (`0a1b2c3d-…`), and the hashes to store.
fn new_recovery_codes() -> (RecoveryCodes, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_BYTES];
            rand::rng().fill_bytes(&mut bytes);
            let hex = hex::encode(bytes);
            hex.as_bytes().chunks(8).filter_map(|c| std::str::from_utf8(c).ok()).collect::<Vec<_>>().join("-")
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(&normalize(c))).collect();
    (RecoveryCodes(codes), hashes)
}

/// Stores a new set for `user`, killing the old one.
fn issue_recovery_codes(conn: &mut Conn, user: UserId) -> Result<RecoveryCodes, DbError> {
    let (codes, hashes) = new_recovery_codes();
    db::two_factor::replace_recovery_codes(conn, user, &hashes)?;
    Ok(codes)
}

/// The time step `code` is valid for under `secret`, one step of skew either way.
fn matching_step(secret: Vec<u8>, code: &str, now: u64) -> anyhow::Result<Option<i64>> {
    let totp = totp(secret, "")?;
    let origin = now / 30;
    let found = (origin.saturating_sub(1)..=origin + 1)
        .rev()
        .find(|step| totp.generate(step * 30).to_string().as_bytes().ct_eq(code.as_bytes()).into());
    Ok(found.and_then(|step| i64::try_from(step).ok()))
}

/// Accepts `code` for `user`'s enabled second factor, once: a TOTP code only for a later
/// step than the last accepted (a conditional update, so a replay fails on any instance),
/// a recovery code by deleting it. `None` when the code is wrong or used.
fn accept_code(
    conn: &mut Conn,
    sealer: &Sealer,
    user: UserId,
    code: &str,
) -> anyhow::Result<Option<CodeKind>> {
    let Some(row) = db::two_factor::find(conn, user)?.filter(|r| r.enabled_at.is_some()) else {
        return Ok(None);
    };
    let typed = normalize(code);
    if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
        let secret = sealer.open(&row.secret_sealed, &seal_context(user))?;
        let Some(step) = matching_step(secret, &typed, unix_now())? else { return Ok(None) };
        let won = db::two_factor::use_step(conn, user, step)? == 1;
        return Ok(won.then_some(CodeKind::Totp));
    }
    let taken = !typed.is_empty() && db::two_factor::take_recovery_code(conn, user, &recovery_hash(&typed))?;
    Ok(taken.then_some(CodeKind::Recovery))
}

/// Counts a code attempt against the account's bucket, refusing it past the limit.
pub(crate) fn admit_code(conn: &mut Conn, user: UserId) -> Result<Result<Attempt, u64>, DbError> {
    let bucket = Bucket::second_factor(user);
    let admitted = throttle::admit(conn, &[(&bucket, CODE_POLICY)], db::now())?;
    Ok(admitted.map_err(|refused| refused.retry_after_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_distinct_128_bit_codes_hashed_as_typed_any_way() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.0.len(), 10);
        let distinct: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert_eq!(normalize(&codes.0[0]).len(), 32);
        let shouted = format!(" {} ", codes.0[0].to_uppercase().replace('-', " "));
        assert_eq!(recovery_hash(&normalize(&shouted)), hashes[0]);
        assert!(!format!("{codes:?}").contains(&codes.0[0]));
    }

    #[test]
    fn codes_match_their_step_with_one_step_of_skew_and_no_more() {
        let secret = b"12345678901234567890".to_vec();
        let now = 59;
        // RFC 6238's SHA-1 test vector at T = 59 s, truncated to 6 digits.
        assert_eq!(matching_step(secret.clone(), "287082", now).ok().flatten(), Some(1));
        let two_back = totp(secret.clone(), "").map(|t| t.generate(0).to_string()).unwrap_or_default();
        assert_eq!(matching_step(secret.clone(), &two_back, now + 60).ok().flatten(), None);
        assert_eq!(matching_step(secret, &two_back, now).ok().flatten(), Some(0));
    }
}
