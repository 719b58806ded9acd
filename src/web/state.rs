//! `AppState`: everything handlers share, injected as `web::Data`, never global.

use crate::accounts::PasswordHasher;
use crate::config::Settings;
use crate::db::Db;

pub struct AppState {
    pub db: Db,
    pub hasher: PasswordHasher,
    pub settings: Settings,
}
