//! Reading the Creator API's query strings: integer ids, optional bounded integers and plain
//! text values, with this surface's 400 errors for a missing or malformed value.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use domain::ids::{AccountId, VideoId};

use super::error::CreatorApiError;

/// The query string as name → value; a malformed query string is a 400 in this API's shape.
pub struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = CreatorApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| CreatorApiError::BadRequest("malformed query string".into()))?;
        Ok(Self(map))
    }
}

impl Params {
    fn positive_integer(&self, name: &str) -> Result<i64, CreatorApiError> {
        let raw = self.0.get(name).ok_or_else(|| {
            CreatorApiError::BadRequest(format!("missing query parameter {name}"))
        })?;
        parse_positive_integer(name, raw)
    }

    pub fn video_id(&self) -> Result<VideoId, CreatorApiError> {
        self.positive_integer("video_id").map(VideoId::new)
    }

    pub fn creator_id(&self) -> Result<AccountId, CreatorApiError> {
        self.positive_integer("creator_id").map(AccountId::new)
    }

    /// A text value as sent, if present.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An optional integer within `valid`; anything else is a 400 saying it must be
    /// `expected` (e.g. "an integer from 1 to 1000").
    pub fn optional_integer(
        &self,
        name: &str,
        valid: RangeInclusive<i64>,
        expected: &str,
    ) -> Result<Option<i64>, CreatorApiError> {
        let Some(raw) = self.0.get(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<i64>() {
            Ok(n) if valid.contains(&n) => Ok(Some(n)),
            _ => Err(CreatorApiError::BadRequest(format!(
                "{name} must be {expected}"
            ))),
        }
    }
}

pub fn parse_positive_integer(name: &str, raw: &str) -> Result<i64, CreatorApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(CreatorApiError::BadRequest(format!(
            "{name} must be a positive integer"
        ))),
    }
}
