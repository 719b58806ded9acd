//! Personal access tokens: bearer tokens an account makes for its scripts, shown once,
//! stored as SHA-256, acting with the owner's current roles capped by their scope.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::token::SecretToken;
use crate::db::{self, Db, DbError, Pipeline, personal_tokens::NewPersonalToken};
use crate::domain::UserId;
use chrono::{NaiveDateTime, TimeDelta};
use std::rc::Rc;

/// Every personal token starts with this, so secret scanners can spot a leaked one.
pub const PREFIX: &str = "gatehouse_pat_";
/// The lifetimes a token may be given, in days.
pub const EXPIRY_DAYS: [i64; 4] = [7, 30, 90, 365];
pub const MAX_NAME_CHARS: usize = 64;
/// Last-used is written at most this often per token.
const TOUCH_INTERVAL: TimeDelta = TimeDelta::minutes(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// GET (and HEAD) routes only.
    Read,
    /// Whatever the owner's roles allow.
    Full,
}

impl Scope {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read" => Some(Self::Read),
            "full" => Some(Self::Full),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Full => "full",
        }
    }
}

/// A request for a token, checked: a name of 1 to 64 characters, an offered lifetime.
pub struct NewToken {
    name: String,
    days: i64,
    scope: Scope,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NewTokenError {
    #[error("Give the token a name of 1 to 64 characters.")]
    Name,
    #[error("Choose an expiry of 7, 30, 90 or 365 days.")]
    Expiry,
    #[error("Choose the scope read or full.")]
    Scope,
}

impl NewToken {
    pub fn parse(name: &str, days: &str, scope: &str) -> Result<Self, NewTokenError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(NewTokenError::Name);
        }
        let days =
            days.trim().parse().ok().filter(|d| EXPIRY_DAYS.contains(d)).ok_or(NewTokenError::Expiry)?;
        let scope = Scope::parse(scope.trim()).ok_or(NewTokenError::Scope)?;
        Ok(Self { name: name.to_owned(), days, scope })
    }
}

/// The token to show once.
pub struct Created {
    pub name: String,
    pub token: SecretToken,
}

pub async fn create(db: &Db, user: UserId, new: NewToken, client: ClientInfo) -> Result<Created, DbError> {
    let token = SecretToken::from_client(&format!("{PREFIX}{}", SecretToken::generate().expose()));
    let digest = token.digest();
    let name = new.name.clone();
    db.transaction(move |conn| {
        let now = db::now();
        let row = NewPersonalToken {
            user_id: user.0,
            name: &new.name,
            scope: new.scope.as_str(),
            token_hash: &digest,
            created_at: now,
            expires_at: now + TimeDelta::days(new.days),
        };
        let id = db::personal_tokens::insert(conn, &row)?;
        let details = format!("token {id} \"{}\", scope {}, {} days", new.name, new.scope.as_str(), new.days);
        audit::record(
            conn,
            &Event { details: &details, ..Event::by(user, Action::PersonalTokenCreated, &client) },
        )
    })
    .await?;
    Ok(Created { name, token })
}

pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: NaiveDateTime,
}

pub async fn list(db: &Db, user: UserId) -> Result<Vec<TokenSummary>, DbError> {
    let rows =
        db.run(move |conn| Ok::<_, DbError>(db::personal_tokens::list_of(conn, user.0, db::now())?)).await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            name: r.name,
            scope: r.scope,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
        })
        .collect())
}

/// Ends one of the account's own tokens; `false` when it has none with that id.
pub async fn revoke(db: &Db, user: UserId, id: i64, client: ClientInfo) -> Result<bool, DbError> {
    db.transaction(move |conn| {
        if db::personal_tokens::delete_of(conn, user.0, id)? == 0 {
            return Ok(false);
        }
        let details = format!("token {id}");
        audit::record(
            conn,
            &Event { details: &details, ..Event::by(user, Action::PersonalTokenRevoked, &client) },
        )?;
        Ok(true)
    })
    .await
}

/// A live token of an active account: who it acts for, and how far.
pub struct Resolved {
    pub token_id: i64,
    pub user: UserId,
    pub account: crate::db::session_lookup::AccountColumns,
    pub role_names: Vec<String>,
    pub scope: Scope,
}

/// The token behind `raw`, if it is unexpired, unrevoked and its account active: one
/// read (batched with others on the worker's pipelined connection when there is one),
/// and a write at most once a minute to mark it used.
pub async fn resolve(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    raw: &str,
    now: NaiveDateTime,
) -> Result<Option<Resolved>, DbError> {
    let digest = SecretToken::from_client(raw).digest();
    let Some(found) = db::personal_tokens::for_hash(db, pipeline, digest, now).await? else {
        return Ok(None);
    };
    let Some(scope) = Scope::parse(&found.token.scope).filter(|_| found.account.is_active) else {
        return Ok(None);
    };
    if found.token.last_used_at.is_none_or(|at| now - at >= TOUCH_INTERVAL) {
        let id = found.token.id;
        db.run(move |conn| db::personal_tokens::touch(conn, id, now).map_err(DbError::from)).await?;
    }
    Ok(Some(Resolved {
        token_id: found.token.id,
        user: UserId(found.user_id),
        account: found.account,
        role_names: found.role_names,
        scope,
    }))
}
