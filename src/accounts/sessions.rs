//! Server-side sessions: started at login, checked on every request, ended on demand.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::token::SecretToken;
use crate::db::session_lookup::{self, AccountColumns};
use crate::db::sessions::NewSession;
use crate::db::{self, Db, DbError, Pipeline};
use crate::domain::{Role, SessionRecordId, UserId};
use chrono::{NaiveDateTime, TimeDelta};
use std::rc::Rc;

/// How long a session lives: at most `absolute` after login, and `idle` after its last use.
pub struct Lifetime {
    pub absolute: TimeDelta,
    pub idle: TimeDelta,
}

/// Without "remember me": ends with the browser, and after 2 hours at most.
pub const BROWSER_SESSION: Lifetime = Lifetime { absolute: TimeDelta::hours(2), idle: TimeDelta::hours(1) };
/// With "remember me": 14 days at most, and a week unused.
pub const REMEMBERED_SESSION: Lifetime = Lifetime { absolute: TimeDelta::days(14), idle: TimeDelta::days(7) };
/// Last-seen is written at most this often per session, not on every request.
const TOUCH_INTERVAL: TimeDelta = TimeDelta::minutes(1);

pub fn lifetime(remember: bool) -> &'static Lifetime {
    if remember { &REMEMBERED_SESSION } else { &BROWSER_SESSION }
}

/// A request's verified identity: a live session of an active account, with its roles.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user_id: UserId,
    pub session_id: SessionRecordId,
    /// The account as read with the session, so pages need no second query for it.
    pub account: AccountColumns,
    pub roles: Vec<Role>,
}

/// What a first factor (and second, if any) proved: this account, with its credentials
/// as they were when they were checked.
#[derive(Debug, Clone, Copy)]
pub struct Proof {
    pub user: UserId,
    pub credentials_version: i64,
    /// `EMAIL_VERIFICATION=required`: start no session for an unconfirmed address.
    pub require_verified_email: bool,
}

/// The kind of login a session row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser's cookie; `remember`: 14 days rather than the browser session.
    Browser { remember: bool },
    /// A login through the JSON API: its refresh tokens hang off the row and its access
    /// tokens name it as `sid`. It lasts `lifetime` from login (`REFRESH_TOKEN_TTL`).
    Api { lifetime: TimeDelta },
}

impl SessionKind {
    pub const BROWSER: &str = "browser";
    pub const API: &str = "api";

    fn column(self) -> &'static str {
        match self {
            Self::Browser { .. } => Self::BROWSER,
            Self::Api { .. } => Self::API,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The password was changed or reset, or the account deactivated, since the proof.
    #[error("the credentials changed while logging in")]
    CredentialsChanged,
    /// The address is not confirmed and the deployment requires it to be.
    #[error("the email address is not confirmed")]
    EmailUnverified,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for StartError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// The one way every login becomes a session. Inside the caller's transaction, it locks
/// the account and starts the session only if the credentials the proof relied on are
/// still current and the account active, so a login racing a reset cannot outlive it.
pub fn start(
    conn: &mut db::Conn,
    proof: Proof,
    kind: SessionKind,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<Started, StartError> {
    check_current(conn, proof)?;
    let (remember, absolute) = match kind {
        SessionKind::Browser { remember } => (remember, lifetime(remember).absolute),
        // An API login is never idle-expired before its end: its refreshes keep it used.
        SessionKind::Api { lifetime } => (true, lifetime),
    };
    // An API session's token is never handed out: its refresh tokens stand for it.
    let token = SecretToken::generate();
    let id = db::sessions::insert(
        conn,
        &NewSession {
            token_hash: &token.digest(),
            user_id: proof.user.0,
            remember,
            created_at: now,
            last_seen_at: now,
            expires_at: now + absolute,
            user_agent: &client.user_agent,
            ip: &client.ip,
            kind: kind.column(),
        },
    )?;
    db::users::record_login(conn, proof.user, now)?;
    let details = if let SessionKind::Api { .. } = kind { "via the API" } else { "" };
    audit::record(conn, &Event { details, ..Event::by(proof.user, Action::LoginSucceeded, client) })?;
    // Counted here, on the one path every way in takes (password, second step, provider,
    // API); a transaction that rolls back after this point is rare enough to ignore.
    crate::telemetry::session_started();
    Ok(Started { token, id })
}

/// A session just written: its (secret) cookie token and its row's id.
pub struct Started {
    pub token: SecretToken,
    pub id: SessionRecordId,
}

/// Locks the account and checks that the credentials `proof` relied on are still current,
/// the account active and, when required, its address confirmed.
pub fn check_current(conn: &mut db::Conn, proof: Proof) -> Result<(), StartError> {
    match db::users::lock_credentials(conn, proof.user)? {
        Some((version, true)) if version == proof.credentials_version => {}
        _ => return Err(StartError::CredentialsChanged),
    }
    if proof.require_verified_email
        && db::email_tokens::address_of(conn, proof.user)?.is_none_or(|a| a.verified_at.is_none())
    {
        return Err(StartError::EmailUnverified);
    }
    Ok(())
}

/// The identity behind a session token, or `None` when the session was ended, has
/// expired (absolutely or from idleness), or its account was deactivated. One read, on
/// the worker's pipelined connection when there is one; a write only to end an idle
/// session or, at most once a minute, to mark it seen.
pub async fn resolve(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    token: SecretToken,
) -> Result<Option<Authenticated>, DbError> {
    let now = db::now();
    let found = session_lookup::for_token(db, pipeline, token.digest(), now).await?;
    let Some(found) = found.filter(|found| found.session.kind == SessionKind::BROWSER) else {
        return Ok(None);
    };
    let session = SessionRecordId(found.session.id);
    let idle_until = found.session.last_seen_at + lifetime(found.session.remember).idle;
    if !found.account.is_active || idle_until <= now {
        db.run(move |conn| db::sessions::delete(conn, session).map(drop).map_err(DbError::from)).await?;
        return Ok(None);
    }
    if now - found.session.last_seen_at >= TOUCH_INTERVAL {
        db.run(move |conn| db::sessions::touch(conn, session, now).map_err(DbError::from)).await?;
    }
    Ok(Some(Authenticated {
        user_id: UserId(found.session.user_id),
        session_id: session,
        roles: db::users::parse_roles(found.role_names.iter().map(String::as_str)),
        account: found.account,
    }))
}

/// Ends the session behind `token`; a replayed copy of its cookie is worth nothing after.
pub async fn end(db: &Db, token: SecretToken) -> Result<(), DbError> {
    db.run(move |conn| {
        db::sessions::delete_by_token_hash(conn, &token.digest()).map(drop).map_err(DbError::from)
    })
    .await
}

/// Logging out: ends the session behind `token` and records it, in one transaction.
pub async fn logout(db: &Db, user: UserId, token: SecretToken, client: ClientInfo) -> Result<(), DbError> {
    db.transaction(move |conn| {
        if db::sessions::delete_by_token_hash(conn, &token.digest())? > 0 {
            audit::record(conn, &Event::by(user, Action::Logout, &client))?;
        }
        Ok(())
    })
    .await
}

/// Deletes sessions past their absolute expiry; run periodically so the table stays small.
pub async fn purge_expired(db: &Db) -> Result<usize, DbError> {
    db.run(|conn| db::sessions::delete_expired(conn, db::now()).map_err(DbError::from)).await
}
