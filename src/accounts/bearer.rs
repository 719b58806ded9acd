//! Who a bearer token on the API stands for: an access token of a live API login, or a
//! personal access token; checked against the database on every request, so revocation,
//! deactivation and role changes apply at once.

use super::access_tokens;
use super::personal_tokens::{self, PREFIX, Scope};
use super::sessions::SessionKind;
use super::signing_keys::Keyring;
use crate::db::session_lookup::{self, AccountColumns};
use crate::db::{self, Db, DbError, Pipeline};
use crate::domain::{Role, SessionRecordId, UserId};
use chrono::TimeDelta;
use std::rc::Rc;

/// Last-seen of an API login is written at most this often.
const TOUCH_INTERVAL: TimeDelta = TimeDelta::minutes(1);

#[derive(Debug, Clone)]
pub struct ApiIdentity {
    pub user_id: UserId,
    /// The account as read with the token's session or record: `/me` needs no other query.
    pub account: AccountColumns,
    pub roles: Vec<Role>,
    pub via: Via,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// An access token of this API login (a `sessions` row of kind API).
    Login(SessionRecordId),
    /// A personal access token.
    PersonalToken { id: i64, scope: Scope },
}

/// One read for either kind of token (on the worker's pipelined connection when there
/// is one, batched with the lookups waiting beside it); a write at most once a minute
/// to mark either used.
pub async fn resolve(
    db: &Db,
    pipeline: Option<&Rc<Pipeline>>,
    keyring: &Keyring,
    issuer: &str,
    raw: &str,
) -> Result<Option<ApiIdentity>, DbError> {
    if raw.starts_with(PREFIX) {
        let found = personal_tokens::resolve(db, pipeline, raw, db::now()).await?;
        return Ok(found.map(|t| ApiIdentity {
            user_id: t.user,
            account: t.account,
            roles: db::users::parse_roles(t.role_names.iter().map(String::as_str)),
            via: Via::PersonalToken { id: t.token_id, scope: t.scope },
        }));
    }
    let Some(verified) = access_tokens::verify(db, keyring, issuer, raw).await? else { return Ok(None) };
    let (now, session) = (db::now(), verified.session);
    let found = session_lookup::for_id(db, pipeline, session, SessionKind::API, now).await?;
    let Some(found) = found.filter(|f| f.account.is_active && f.session.user_id == verified.user.0) else {
        return Ok(None);
    };
    if now - found.session.last_seen_at >= TOUCH_INTERVAL {
        db.run(move |conn| db::sessions::touch(conn, session, now).map_err(DbError::from)).await?;
    }
    Ok(Some(ApiIdentity {
        user_id: verified.user,
        roles: db::users::parse_roles(found.role_names.iter().map(String::as_str)),
        account: found.account,
        via: Via::Login(session),
    }))
}
