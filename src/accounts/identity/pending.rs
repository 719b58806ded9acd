//! A sign-in sent to a provider and not yet back: remembered at the start, taken (single
//! use, this browser's) by the callback, which is counted against its address first.

use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::overview;
use crate::accounts::throttle::{self, Attempt, Bucket};
use crate::accounts::token::SecretToken;
use crate::auth_providers::Authorization;
use crate::config::Policy;
use crate::db::auth_pending::Pending;
use crate::db::{self, Db, DbError};
use crate::domain::UserId;
use chrono::TimeDelta;

/// How long a sign-in may spend at the provider, and a new identity on `/auth/complete`.
pub const PENDING_LIFETIME: TimeDelta = TimeDelta::minutes(10);

/// What the callback needs back from the sign-in it completes.
#[derive(Debug)]
pub struct PendingSignIn {
    pub pkce_verifier: String,
    pub nonce: String,
    pub next: String,
    pub link_to: Option<UserId>,
    /// The callback, counted against its address; given back when it signs someone in.
    pub attempt: Attempt,
}

/// Remembers a sign-in sent to `provider`, bound to the browser holding `browser`.
pub async fn remember(
    db: &Db,
    provider: &str,
    browser: &SecretToken,
    auth: &Authorization,
    next: &str,
    link_to: Option<UserId>,
) -> Result<(), DbError> {
    let now = db::now();
    let row = Pending {
        state_hash: SecretToken::from_client(&auth.state).digest(),
        browser_hash: browser.digest(),
        provider: provider.to_owned(),
        pkce_verifier: auth.pkce_verifier.clone(),
        nonce: auth.nonce.clone(),
        next_path: next.to_owned(),
        link_user_id: link_to.map(|u| u.0),
        created_at: now,
        expires_at: now + PENDING_LIFETIME,
    };
    db.run(move |conn| db::auth_pending::insert(conn, &row).map_err(DbError::from)).await
}

/// What a callback's `state` found.
#[derive(Debug)]
pub enum Taken {
    Found(PendingSignIn),
    /// No live sign-in with this state in this browser (forged, used, expired, another
    /// browser's): counted against the address, nothing else.
    Missing,
    /// Too many callbacks from this address: nothing looked up, nothing used up.
    Throttled {
        retry_after_secs: u64,
    },
}

/// One callback: where it comes from, which sign-in it names.
pub struct Callback<'a> {
    pub provider: &'a str,
    pub state: Option<&'a str>,
    pub browser: &'a SecretToken,
    pub ip: &'a str,
}

/// Counts the callback against its address (before the provider is asked anything, so a
/// burst cannot make us call it more than the limit allows), then takes this browser's
/// live sign-in with this `state`, single use: of parallel callbacks, one deletes it.
pub async fn take(db: &Db, limit: Policy, callback: Callback<'_>) -> Result<Taken, DbError> {
    let bucket = Bucket::provider_ip(callback.ip);
    let provider = callback.provider.to_owned();
    let state = callback.state.map(|s| SecretToken::from_client(s).digest());
    let browser = callback.browser.digest();
    db.transaction(move |conn| {
        let now = db::now();
        let attempt = match throttle::admit(conn, &[(&bucket, limit)], now)? {
            Ok(attempt) => attempt,
            Err(refused) => {
                overview::count_refusal(conn)?;
                return Ok(Taken::Throttled { retry_after_secs: refused.retry_after_secs });
            }
        };
        let Some(state) = state else { return Ok(Taken::Missing) };
        let row = db::auth_pending::take(conn, &state, &browser, &provider, now)?;
        Ok(row.map_or(Taken::Missing, |p| {
            Taken::Found(PendingSignIn {
                pkce_verifier: p.pkce_verifier,
                nonce: p.nonce,
                next: p.next_path,
                link_to: p.link_user_id.map(UserId),
                attempt,
            })
        }))
    })
    .await
}

/// A provider's answer that broke a rule (signature, `iss`, `aud`, `exp`, `nonce`, a
/// refused code): audited as a failed login, by the provider's name, as an unknown
/// username's failure is by the name typed.
pub async fn record_refusal(
    db: &Db,
    provider: &str,
    reason: &str,
    client: ClientInfo,
) -> Result<(), DbError> {
    let (provider, details) = (provider.to_owned(), format!("provider answer refused: {reason}"));
    db.transaction(move |conn| {
        let event = Event {
            action: Action::LoginFailed,
            actor: None,
            target: None,
            subject: &provider,
            details: &details,
            client: &client,
        };
        audit::record(conn, &event)
    })
    .await
}
