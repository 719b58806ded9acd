//! `AppState`: everything handlers share, injected as `web::Data`, never global.

use crate::accounts::PasswordHasher;
use crate::accounts::signing_keys::Keyring;
use crate::auth_providers::Providers;
use crate::config::Settings;
use crate::db::Db;
use crate::mail::Outbox;

pub struct AppState {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub settings: Settings,
    /// Queues email in a use case's transaction and wakes the worker after it.
    pub outbox: Outbox,
    /// The identity providers, their HTTP client and discovery caches.
    pub providers: std::sync::Arc<Providers>,
    /// The access-token signing keys.
    pub keyring: Keyring,
    /// The passkeys' relying party; `None` when `PUBLIC_URL`'s host is an IP address.
    pub passkeys: Option<crate::accounts::passkeys::RelyingParty>,
}
