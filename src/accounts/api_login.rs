//! Logging in through the JSON API: a password login becomes a session of kind API with a
//! family of one-use refresh tokens, and every refresh spends one and issues the next.
//! A spent token presented again is taken for theft and ends the whole login.

use super::access_tokens::{self, Grant};
use super::audit::{self, Action, Event};
use super::login::{self, LoginError, LoginRequest};
use super::sessions::SessionKind;
use super::signing_keys::Keyring;
use super::token::SecretToken;
use super::two_factor::sign_in::{self, CodeError, CodeRequest};
use super::{ClientInfo, PasswordHasher};
use crate::config::{ApiSettings, Limits};
use crate::db::{self, Db, DbError};
use crate::domain::{Role, SessionRecordId, UserId};
use chrono::NaiveDateTime;

/// What a login or a refresh hands the client.
pub struct TokenPair {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: SecretToken,
    pub refresh_expires_in: i64,
}

/// Everything that issues tokens: the keys, the issuer (`PUBLIC_URL`) and the lifetimes.
pub struct Issuer<'a> {
    pub keyring: &'a Keyring,
    pub issuer: &'a str,
    pub settings: &'a ApiSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// Unknown, spent, or of a login that has ended: RFC 6749's `invalid_grant`.
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidGrant,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for RefreshError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

impl From<diesel::result::Error> for RefreshError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

/// The same checks as the login form (one generic failure, the same throttle buckets, the
/// one session-start path), then the first pair of the new login.
pub async fn login(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    issuer: &Issuer<'_>,
    request: LoginRequest<'_>,
) -> Result<TokenPair, LoginError> {
    let kind = SessionKind::Api { lifetime: issuer.settings.refresh_token_ttl };
    let logged_in = login::login(db, hasher, limits, request, kind).await?;
    issue(db, issuer, logged_in.session_id).await
}

/// Finishes an API login held for its second factor (`mfa_token`): the code, through the
/// same pending sign-in as the login form's, then the login's first token pair.
pub async fn finish_mfa(
    db: &Db,
    issuer: &Issuer<'_>,
    check: (&crate::crypto::Sealer, &crate::mail::Outbox),
    mfa_token: SecretToken,
    code: String,
    client: ClientInfo,
) -> Result<TokenPair, CodeError> {
    let api = Some(issuer.settings.refresh_token_ttl);
    let request = CodeRequest { pending: mfa_token, code, remember_device: false, client, api };
    let done = sign_in::complete(db, check.0, check.1, request).await?;
    issue(db, issuer, done.session_id).await.map_err(|e| CodeError::Unexpected(e.into()))
}

/// The first token pair of the login whose session row is `session`.
async fn issue(db: &Db, issuer: &Issuer<'_>, session: SessionRecordId) -> Result<TokenPair, LoginError> {
    let refresh = SecretToken::generate();
    let digest = refresh.digest();
    let live = db
        .transaction::<_, DbError>(move |conn| {
            db::refresh_tokens::insert(conn, session.0, &digest, db::now())?;
            live_login(conn, session)
        })
        .await?
        .ok_or(LoginError::InvalidCredentials)?;
    Ok(pair(db, issuer, &live, refresh).await?)
}

/// Spends `presented` and issues the next pair of its login. A token already spent ends
/// the login (every token of the family) and is recorded in the audit log.
pub async fn refresh(
    db: &Db,
    issuer: &Issuer<'_>,
    presented: SecretToken,
    client: ClientInfo,
) -> Result<TokenPair, RefreshError> {
    let next = SecretToken::generate();
    let next_digest = next.digest();
    let outcome = db
        .transaction::<_, RefreshError>(move |conn| {
            let now = db::now();
            let digest = presented.digest();
            let Some(session) = db::refresh_tokens::session_of(conn, &digest)?.map(SessionRecordId) else {
                return Ok(None);
            };
            if !db::sessions::lock(conn, session)? {
                return Ok(None);
            }
            if db::refresh_tokens::spend(conn, &digest, now)?.is_none() {
                revoke_reused(conn, session, &client)?;
                return Ok(None);
            }
            let Some(live) = live_login(conn, session)? else { return Ok(None) };
            db::refresh_tokens::insert(conn, session.0, &next_digest, now)?;
            Ok(Some(live))
        })
        .await?;
    let live = outcome.ok_or(RefreshError::InvalidGrant)?;
    pair(db, issuer, &live, next).await.map_err(RefreshError::Unexpected)
}

/// A login presented a spent refresh token: someone holds a copy. End the login.
fn revoke_reused(conn: &mut db::Conn, session: SessionRecordId, client: &ClientInfo) -> Result<(), DbError> {
    let owner = db::sessions::owner_of(conn, session)?;
    if db::sessions::delete(conn, session)? == 0 {
        return Ok(());
    }
    tracing::warn!(session = %session, "a spent refresh token was presented again; its login is revoked");
    let details = format!("session {session}: a spent refresh token was presented again; login revoked");
    let event = Event {
        action: Action::RefreshTokenReused,
        actor: None,
        target: owner,
        subject: "",
        details: &details,
        client,
    };
    audit::record(conn, &event)
}

/// An API login that is still alive, of an active account, with its roles now.
pub struct LiveLogin {
    pub user: UserId,
    pub session: SessionRecordId,
    pub roles: Vec<Role>,
    pub expires_at: NaiveDateTime,
}

fn live_login(conn: &mut db::Conn, session: SessionRecordId) -> Result<Option<LiveLogin>, DbError> {
    let found = db::session_lookup::find_by_id_with_account(conn, session, SessionKind::API, db::now())?;
    Ok(found.filter(|f| f.account.is_active).map(|f| LiveLogin {
        user: UserId(f.session.user_id),
        session,
        roles: db::users::parse_roles(f.role_names.iter().map(String::as_str)),
        expires_at: f.session.expires_at,
    }))
}

async fn pair(
    db: &Db,
    issuer: &Issuer<'_>,
    live: &LiveLogin,
    refresh: SecretToken,
) -> anyhow::Result<TokenPair> {
    let key = issuer.keyring.signing(db).await?;
    let now = db::now();
    let ttl = issuer.settings.access_token_ttl;
    let grant =
        Grant { issuer: issuer.issuer, user: live.user, session: live.session, roles: &live.roles, now, ttl };
    Ok(TokenPair {
        access_token: access_tokens::issue(&key, &grant)?,
        expires_in: ttl.num_seconds(),
        refresh_token: refresh,
        refresh_expires_in: (live.expires_at - now).num_seconds().max(0),
    })
}

/// Ends this API login: its access and refresh tokens stop working at once.
pub async fn logout(
    db: &Db,
    user: UserId,
    session: SessionRecordId,
    client: ClientInfo,
) -> Result<(), DbError> {
    db.transaction(move |conn| {
        if db::sessions::delete_of(conn, user, session)? > 0 {
            let event = Event { details: "via the API", ..Event::by(user, Action::Logout, &client) };
            audit::record(conn, &event)?;
        }
        Ok(())
    })
    .await
}
