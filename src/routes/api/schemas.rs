//! The JSON bodies of `/api/v1`, both ways: the types the handlers read and write, from
//! which the OpenAPI document's schemas are generated.

use crate::accounts::api_login::TokenPair;
use crate::accounts::bearer::ApiIdentity;
use crate::accounts::directory::AccountSummary;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error: a machine-readable code and a sentence; `fields` on 422.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    #[schema(example = "invalid_token")]
    pub error: String,
    pub message: String,
    /// What was wrong with each field (422 only).
    #[schema(required = false)]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// A username or an email address.
    pub username: String,
    pub password: String,
}

/// The second step of an API login that answered `mfa_required`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaBody {
    pub mfa_token: String,
    /// A TOTP code or a recovery code.
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPairBody {
    /// A JWT (RFC 9068) to send as `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque; spent by its one use on `/auth/refresh`.
    pub refresh_token: String,
    /// Seconds until this login ends, however often it is refreshed.
    pub refresh_expires_in: i64,
}

impl From<TokenPair> for TokenPairBody {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            token_type: "Bearer".into(),
            expires_in: pair.expires_in,
            refresh_token: pair.refresh_token.expose().to_owned(),
            refresh_expires_in: pair.refresh_expires_in,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeBody {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<ApiIdentity> for MeBody {
    fn from(identity: ApiIdentity) -> Self {
        let account = identity.account;
        Self {
            id: identity.user_id.0,
            username: account.username,
            email: account.email,
            email_verified: account.email_verified_at.is_some(),
            roles: identity.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            created_at: utc(account.created_at),
            last_login_at: account.last_login_at.map(utc),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub roles: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<AccountSummary> for AccountBody {
    fn from(account: AccountSummary) -> Self {
        Self {
            id: account.id.0,
            username: account.username,
            email: account.email,
            roles: account.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            active: account.is_active,
            created_at: utc(account.created_at),
            last_login_at: account.last_login_at.map(utc),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AccountListBody {
    pub users: Vec<AccountBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    pub role: RoleName,
}

/// A role, as the API spells it; anything else is a 422.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    User,
    Editor,
    Admin,
}

impl From<RoleName> for crate::domain::Role {
    fn from(name: RoleName) -> Self {
        match name {
            RoleName::User => Self::User,
            RoleName::Editor => Self::Editor,
            RoleName::Admin => Self::Admin,
        }
    }
}

/// Times are stored as naive UTC and written as RFC 3339.
fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
