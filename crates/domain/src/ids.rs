//! Identifiers. Every account has an integer id (the Creator API's `creator_id`) and a public
//! string id (the Video API's `user_id`); every video has an integer id (`video_id`) and a
//! random, unguessable, URL-safe `hash_id`. Generating random ids is the caller's job (the
//! domain has no randomness); this module only says what a valid id looks like.

use std::fmt;

/// Integer id of an account: the Creator API's `creator_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(i64);

/// Integer id of a video: the Creator API's `video_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VideoId(i64);

macro_rules! integer_id {
    ($name:ident) => {
        impl $name {
            /// A database-assigned id; always positive.
            pub fn new(raw: i64) -> Self {
                Self(raw)
            }
            /// Parses a client-supplied id; only positive integers are ids.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                match raw.trim().parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Self(n)),
                    _ => Err(IdError::NotAPositiveInteger),
                }
            }
            pub fn get(self) -> i64 {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
integer_id!(AccountId);
integer_id!(VideoId);

/// Length of a [`HashId`] and a [`UserId`]: 16 characters of base64url carry 96 random bits.
pub const RANDOM_ID_LEN: usize = 16;

/// Public id of a video in the Video API.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashId(String);

/// Public id of an account in the Video API.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

/// Id of a resumable (tus) upload in progress; also the name of its partial file, which the
/// parse rule keeps a safe file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

macro_rules! random_id {
    ($name:ident) => {
        impl $name {
            /// Accepts exactly [`RANDOM_ID_LEN`] URL-safe base64 characters.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let well_formed = raw.len() == RANDOM_ID_LEN
                    && raw
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if well_formed {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(IdError::Malformed)
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
random_id!(HashId);
random_id!(UserId);
random_id!(UploadId);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be a positive integer")]
    NotAPositiveInteger,
    #[error("malformed id")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ids_must_be_positive_integers() {
        assert_eq!(VideoId::parse("7").unwrap().get(), 7);
        assert_eq!(VideoId::parse(" 7 ").unwrap().get(), 7);
        for bad in ["", "0", "-1", "1.5", "abc", "99999999999999999999"] {
            assert!(VideoId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn random_ids_are_sixteen_url_safe_characters() {
        assert!(HashId::parse("abcDEF0123456-_x").is_ok());
        assert!(HashId::parse("abc").is_err());
        assert!(HashId::parse("abcDEF0123456/_x").is_err());
        assert!(UserId::parse("abcDEF0123456-_xy").is_err());
        assert!(UploadId::parse("abcDEF0123456-_x").is_ok());
        assert!(UploadId::parse("../../etc/passwd").is_err());
        assert!(UploadId::parse("abcDEF012345.part").is_err());
    }
}
