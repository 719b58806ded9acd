//! Roles, ordered by what they may do: every admin is also an editor, every editor a user.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    User,
    Editor,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Role must be one of: user, editor, admin.")]
pub struct RoleError;

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Editor, Role::Admin];

    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw).ok_or(RoleError)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether holding `self` is enough for something that requires `needed`.
    pub fn satisfies(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_three_names() {
        assert_eq!(Role::parse("editor"), Ok(Role::Editor));
        for bad in ["Admin", "root", "", " admin"] {
            assert_eq!(Role::parse(bad), Err(RoleError));
        }
    }

    #[test]
    fn higher_roles_satisfy_lower_requirements_only() {
        assert!(Role::Admin.satisfies(Role::Editor));
        assert!(Role::Editor.satisfies(Role::Editor));
        assert!(!Role::User.satisfies(Role::Editor));
        assert!(!Role::Editor.satisfies(Role::Admin));
    }
}
