//! The audit trail: security events and admin actions, written in the same transaction
//! as the change they record.

use super::ClientInfo;
use crate::db::{self, Conn, DbError, audit::NewAuditEvent};
use crate::domain::UserId;

/// Every kind of entry, named `area.event` so that the log reads and filters well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AccountCreated,
    LoginSucceeded,
    LoginFailed,
    Logout,
    SessionRevoked,
    OtherSessionsRevoked,
    AllSessionsRevoked,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    AccountDeactivated,
    AccountReactivated,
    RoleChanged,
    AccountDeleted,
    ResetSentByAdmin,
    EmailRetried,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorFailed,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    TwoFactorResetByAdmin,
    RefreshTokenReused,
    PersonalTokenCreated,
    PersonalTokenRevoked,
    EmailVerificationSent,
    EmailVerified,
    EmailChangeRequested,
    EmailChangeRefused,
    EmailChanged,
    EmailChangeReverted,
    IdentityLinked,
    IdentityUnlinked,
    PasskeyAdded,
    PasskeyDeleted,
    /// A passkey refused for a reason worth an admin's eye (its counter went backwards).
    PasskeyRefused,
}

impl Action {
    /// Every action, for the audit log's filter.
    pub const ALL: [Action; 18] = [
        Self::AccountCreated,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Logout,
        Self::SessionRevoked,
        Self::OtherSessionsRevoked,
        Self::AllSessionsRevoked,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::AccountDeactivated,
        Self::AccountReactivated,
        Self::RoleChanged,
        Self::AccountDeleted,
        Self::ResetSentByAdmin,
        Self::EmailRetried,
        Self::IdentityLinked,
        Self::IdentityUnlinked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account.created",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::Logout => "session.logout",
            Self::SessionRevoked => "session.revoked",
            Self::OtherSessionsRevoked => "session.revoked_others",
            Self::AllSessionsRevoked => "session.revoked_all",
            Self::PasswordChanged => "password.changed",
            Self::PasswordResetRequested => "password.reset_requested",
            Self::PasswordReset => "password.reset",
            Self::AccountDeactivated => "account.deactivated",
            Self::AccountReactivated => "account.reactivated",
            Self::RoleChanged => "account.role_changed",
            Self::AccountDeleted => "account.deleted",
            Self::ResetSentByAdmin => "password.reset_sent_by_admin",
            Self::EmailRetried => "email.retried",
            Self::TwoFactorEnabled => "2fa.enabled",
            Self::TwoFactorDisabled => "2fa.disabled",
            Self::TwoFactorFailed => "2fa.failed",
            Self::RecoveryCodeUsed => "2fa.recovery_code_used",
            Self::RecoveryCodesRegenerated => "2fa.recovery_codes_regenerated",
            Self::TwoFactorResetByAdmin => "2fa.reset_by_admin",
            Self::RefreshTokenReused => "session.refresh_token_reused",
            Self::PersonalTokenCreated => "token.created",
            Self::PersonalTokenRevoked => "token.revoked",
            Self::EmailVerificationSent => "email.verification_sent",
            Self::EmailVerified => "email.verified",
            Self::EmailChangeRequested => "email.change_requested",
            Self::EmailChangeRefused => "email.change_refused",
            Self::EmailChanged => "email.changed",
            Self::EmailChangeReverted => "email.change_reverted",
            Self::IdentityLinked => "identity.linked",
            Self::IdentityUnlinked => "identity.unlinked",
            Self::PasskeyAdded => "passkey.added",
            Self::PasskeyDeleted => "passkey.deleted",
            Self::PasskeyRefused => "passkey.refused",
        }
    }
}

/// One entry. `subject` holds what was acted on when there is no account to point at
/// (an unknown username at login); `details` holds before and after values.
pub struct Event<'a> {
    pub action: Action,
    pub actor: Option<UserId>,
    pub target: Option<UserId>,
    pub subject: &'a str,
    pub details: &'a str,
    pub client: &'a ClientInfo,
}

impl<'a> Event<'a> {
    /// An event an account did to itself (login, logout, password change...).
    pub fn by(account: UserId, action: Action, client: &'a ClientInfo) -> Self {
        Self { action, actor: Some(account), target: Some(account), subject: "", details: "", client }
    }
}

pub fn record(conn: &mut Conn, event: &Event<'_>) -> Result<(), DbError> {
    db::audit::insert(
        conn,
        &NewAuditEvent {
            created_at: db::now(),
            action: event.action.as_str(),
            actor_id: event.actor.map(|id| id.0),
            target_id: event.target.map(|id| id.0),
            subject: &truncate(event.subject, 256),
            details: &truncate(event.details, 1024),
            ip: &event.client.ip,
            user_agent: &event.client.user_agent,
        },
    )?;
    Ok(())
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
