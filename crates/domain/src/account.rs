//! The account entity: one person is both a Video API user (public `user_id`) and a Creator
//! API creator (integer `creator_id`), with a role. Usernames and display names are checked
//! where they enter (`text`, the accounts endpoints); this type only carries them.

use crate::ids::{AccountId, UserId};

/// What an account may do beyond its own videos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    /// Decides on reported videos and closes payout periods.
    Moderator,
}

impl Role {
    /// The stored name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
        }
    }

    /// The role a stored name means; anything unknown grants nothing beyond a user's rights.
    pub fn from_stored(name: &str) -> Self {
        if name == Role::Moderator.as_str() {
            Role::Moderator
        } else {
            Role::User
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub public_id: UserId,
    /// `None` for accounts nobody can log in as (the seeded default creator, demo accounts).
    pub username: Option<String>,
    pub display_name: String,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_names_are_plain_users() {
        for role in [Role::User, Role::Moderator] {
            assert_eq!(Role::from_stored(role.as_str()), role);
        }
        assert_eq!(Role::from_stored("admin"), Role::User);
    }
}
