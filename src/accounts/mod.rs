//! Use cases: what the app does with accounts. They know the database and mail, never HTTP.

pub mod access_tokens;
pub mod administration;
pub mod api_login;
pub mod audit;
pub mod bearer;
pub mod directory;
pub mod hashing;
pub mod login;
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

pub use hashing::PasswordHasher;

/// Who is on the other end of a request, as far as a use case needs to know.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}
