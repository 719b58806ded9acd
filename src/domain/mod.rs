//! Pure value types: each one parses raw input into a type that can only hold valid values.

mod email;
mod ids;
mod password;
mod role;
mod username;

pub use email::{Email, EmailError};
pub use ids::{SessionRecordId, UserId};
pub use password::{Password, PasswordError, PlainPassword};
pub use role::{Role, RoleError};
pub use username::{Username, UsernameError};
