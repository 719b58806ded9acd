//! Use cases: what the app does with accounts. They know the database and mail, never HTTP.

pub mod access_tokens;
pub mod administration;
pub mod api_login;
pub mod audit;
pub mod audit_log;
pub mod bearer;
pub mod create_admin;
pub mod directory;
pub mod email_change;
pub mod email_verification;
pub mod emails;
pub mod hashing;
pub mod identity;
pub mod login;
pub mod overview;
pub mod passkeys;
pub mod password_change;
pub mod password_reset;
pub mod personal_tokens;
pub mod registration;
pub mod seeding;
pub mod session_list;
pub mod sessions;
pub mod signing_keys;
pub mod throttle;
pub mod token;
pub mod two_factor;

pub use hashing::PasswordHasher;

use crate::db::{self, Db, DbError};

/// What the periodic sweep removed: expired sessions, stale throttle events, dead links.
#[derive(Debug, Default)]
pub struct Swept {
    pub sessions: usize,
    pub throttle_events: usize,
    pub reset_tokens: usize,
    pub email_tokens: usize,
    /// Second steps never finished, and remembered devices past their 30 days.
    pub pending_sign_ins: usize,
    /// Provider sign-ins never completed and sign-ups never confirmed.
    pub auth_pending: usize,
    /// Passkey ceremonies started and never finished.
    pub webauthn_ceremonies: usize,
}

/// Deletes rows that can no longer mean anything; run periodically by `serve`.
pub async fn sweep_expired(db: &Db) -> Result<Swept, DbError> {
    Ok(Swept {
        sessions: sessions::purge_expired(db).await?,
        throttle_events: throttle::purge_old(db).await?,
        reset_tokens: db.run(password_reset::purge_expired).await?,
        email_tokens: db.run(email_verification::purge_expired).await?,
        pending_sign_ins: db.run(two_factor::sign_in::purge_expired).await?,
        auth_pending: db
            .run(|conn| db::auth_pending::delete_expired(conn, db::now()).map_err(DbError::from))
            .await?,
        webauthn_ceremonies: db.run(passkeys::purge_expired).await?,
    })
}

/// Who is on the other end of a request, as far as a use case needs to know.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}
