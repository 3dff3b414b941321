//! What a username and a password may be. A username is 3–32 characters of `a-z 0-9 _ . -`
//! (compared lower-cased, so `Alice` and `alice` are one account); a password is 8–128 bytes.
//! The upper bound keeps Argon2 work per request bounded.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("username must be 3 to 32 characters of a-z, 0-9, '_', '.' and '-'")]
    Username,
    #[error("password must be 8 to 128 bytes")]
    Password,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        let name = raw.trim().to_ascii_lowercase();
        let well_formed = (3..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
        if well_formed {
            Ok(Self(name))
        } else {
            Err(CredentialError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password within bounds. Never printed.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, CredentialError> {
        if (8..=128).contains(&raw.len()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CredentialError::Password)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_limited_to_a_small_alphabet() {
        assert_eq!(Username::parse(" Alice_1 ").unwrap().as_str(), "alice_1");
        assert!(Username::parse("a.b-c").is_ok());
        for bad in ["ab", &"a".repeat(33), "al ice", "alice!", "ålice", ""] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_8_to_128_bytes() {
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn a_password_never_prints() {
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
