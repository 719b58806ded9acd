//! What an admin action did, as a value and as the sentence the admin sees.

use crate::domain::Role;
use std::fmt;

/// What an action did, said as the sentence the admin sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Deactivated { username: String, sessions_ended: usize },
    Reactivated { username: String },
    RoleSet { username: String, role: Role },
    RoleUnchanged { username: String, role: Role },
    ActiveUnchanged { username: String, active: bool },
    SessionsRevoked { username: String, sessions_ended: usize },
    Deleted { username: String },
}

impl Outcome {
    /// Whether anything changed (an unchanged role is said as information, not success).
    pub fn changed(&self) -> bool {
        !matches!(self, Self::RoleUnchanged { .. } | Self::ActiveUnchanged { .. })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deactivated { username, sessions_ended } => {
                write!(f, "{username} has been deactivated; {} ended.", sessions(*sessions_ended))
            }
            Self::Reactivated { username } => write!(f, "{username} has been reactivated."),
            Self::RoleSet { username, role } => write!(f, "{username} now has the role {role}."),
            Self::RoleUnchanged { username, role } => write!(f, "{username} already has the role {role}."),
            Self::ActiveUnchanged { username, active: true } => write!(f, "{username} is already active."),
            Self::ActiveUnchanged { username, active: false } => {
                write!(f, "{username} is already deactivated.")
            }
            Self::SessionsRevoked { username, sessions_ended } => {
                write!(f, "{} of {username} ended.", sessions(*sessions_ended))
            }
            Self::Deleted { username } => write!(f, "The account {username} has been deleted."),
        }
    }
}

pub(super) fn sessions(n: usize) -> String {
    if n == 1 { "1 session".into() } else { format!("{n} sessions") }
}
