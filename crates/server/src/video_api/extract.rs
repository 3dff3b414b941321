//! Reading requests the way the original FastAPI service did, so every problem with a query,
//! path or body is a 422 in FastAPI's shape rather than axum's plain-text rejection. Each
//! reader collects every issue it finds and reports them together (`finish`), as FastAPI does.
//! Also the two caller extractors: [`Caller`] (a token is required) and [`MaybeCaller`].

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde_json::Value;
use store::accounts::Account;

use super::error::{ValidationIssue, VideoApiError};
use crate::auth;
use crate::state::AppState;

/// Longest query value accepted; ids and cursors are far shorter.
const MAX_QUERY_VALUE_BYTES: usize = 1024;

/// The query string as name → value.
pub struct QueryParams(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = VideoApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                VideoApiError::invalid(ValidationIssue::new(
                    &["query"],
                    rejection.body_text(),
                    "query_parsing",
                ))
            })?;
        Ok(Self(map))
    }
}

impl QueryParams {
    pub fn reader(&self) -> QueryReader<'_> {
        QueryReader {
            params: &self.0,
            issues: Vec::new(),
        }
    }
}

/// Reads named values, noting each problem; [`QueryReader::finish`] reports them all.
pub struct QueryReader<'a> {
    params: &'a HashMap<String, String>,
    issues: Vec<ValidationIssue>,
}

impl QueryReader<'_> {
    pub fn optional(&mut self, name: &str) -> Option<String> {
        let value = self.params.get(name)?;
        if value.len() > MAX_QUERY_VALUE_BYTES {
            self.issues.push(ValidationIssue::new(
                &["query", name],
                format!("String should have at most {MAX_QUERY_VALUE_BYTES} characters"),
                "string_too_long",
            ));
            return None;
        }
        Some(value.clone())
    }

    /// A required value; absent means a `missing` issue (and an empty string meanwhile).
    pub fn required(&mut self, name: &str) -> String {
        if !self.params.contains_key(name) {
            self.issues.push(ValidationIssue::missing(&["query", name]));
        }
        self.optional(name).unwrap_or_default()
    }

    /// A boolean as pydantic reads one (`true/false`, `1/0`, `yes/no`, `on/off`).
    pub fn boolean(&mut self, name: &str, default: bool) -> bool {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        match parse_bool(&raw) {
            Some(value) => value,
            None => {
                self.issues.push(ValidationIssue::new(
                    &["query", name],
                    "Input should be a valid boolean, unable to interpret input",
                    "bool_parsing",
                ));
                default
            }
        }
    }

    pub fn finish(self) -> Result<(), VideoApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(VideoApiError::Validation(self.issues))
        }
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// A JSON request body as a value; not JSON (or not declared as JSON) is a 422.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = VideoApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<Value>::from_request(request, state)
            .await
            .map_err(|rejection| {
                VideoApiError::invalid(ValidationIssue::new(
                    &["body"],
                    rejection.body_text(),
                    "json_invalid",
                ))
            })?;
        Ok(Self(value))
    }
}

/// Reads the fields of a JSON object body, noting each problem like [`QueryReader`].
pub struct BodyReader<'a> {
    object: &'a serde_json::Map<String, Value>,
    issues: Vec<ValidationIssue>,
}

impl<'a> BodyReader<'a> {
    pub fn new(body: &'a Value) -> Result<Self, VideoApiError> {
        match body {
            Value::Object(object) => Ok(Self {
                object,
                issues: Vec::new(),
            }),
            _ => Err(VideoApiError::invalid(ValidationIssue::new(
                &["body"],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            ))),
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.object.keys().map(String::as_str)
    }

    pub fn string(&mut self, name: &str) -> Option<&'a str> {
        match self.object.get(name)? {
            Value::String(s) => Some(s),
            _ => {
                self.issues.push(ValidationIssue::new(
                    &["body", name],
                    "Input should be a valid string",
                    "string_type",
                ));
                None
            }
        }
    }

    /// Like [`BodyReader::string`], noting a `missing` issue when the field is absent.
    pub fn required_string(&mut self, name: &str) -> Option<&'a str> {
        if !self.object.contains_key(name) {
            self.issues.push(ValidationIssue::missing(&["body", name]));
            return None;
        }
        self.string(name)
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.object.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.issues.push(ValidationIssue::new(
                    &["body", name],
                    "Input should be a valid boolean",
                    "bool_type",
                ));
                None
            }
        }
    }

    /// Notes a value that has the right type but breaks a rule.
    pub fn reject(&mut self, name: &str, msg: impl Into<String>) {
        self.issues
            .push(ValidationIssue::new(&["body", name], msg, "value_error"));
    }

    pub fn finish(self) -> Result<(), VideoApiError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(VideoApiError::Validation(self.issues))
        }
    }
}

/// The calling account; a missing, unknown, expired or revoked token is a 401.
pub struct Caller(pub Account);

impl FromRequestParts<AppState> for Caller {
    type Rejection = VideoApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(auth::required_account(state, &parts.headers).await?))
    }
}

/// The calling account if a token was sent (a bad token is still a 401), else anonymous.
pub struct MaybeCaller(pub Option<Account>);

impl MaybeCaller {
    pub fn id(&self) -> Option<domain::ids::AccountId> {
        self.0.as_ref().map(|account| account.id)
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = VideoApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(auth::optional_account(state, &parts.headers).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_read_like_pydantic_reads_them() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("off"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn every_missing_query_value_is_reported_at_once() {
        let params = QueryParams(HashMap::new());
        let mut reader = params.reader();
        reader.required("user_id");
        reader.required("hash_id");
        match reader.finish() {
            Err(VideoApiError::Validation(issues)) => assert_eq!(issues.len(), 2),
            other => panic!("{other:?}"),
        }
    }
}
