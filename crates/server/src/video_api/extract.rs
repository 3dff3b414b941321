//! Reading requests the way the original FastAPI service did, so every problem with a query,
//! header or body is a 422 in FastAPI's shape rather than axum's plain-text rejection. Each
//! reader collects every issue it finds and reports them together (`finish`), as FastAPI does.
//! The one set of readers for every endpoint of this surface (videos, accounts, engagement),
//! so a fault has one `type` wherever it happens. Also who is calling: [`Caller`] (a token is
//! required), [`MaybeCaller`], and an anonymous viewer's id ([`viewer_key`]).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use domain::account::Account;
use domain::text::{Lines, check_characters};
use serde_json::Value;

use super::error::{ValidationIssue, VideoApiError};
use crate::http::auth;
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
    /// No query at all (for calling an endpoint's function from another surface).
    pub fn empty() -> Self {
        Self(HashMap::new())
    }

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

    /// An optional integer from 1 to `max` (or any positive one without a `max`).
    pub fn positive(&mut self, name: &str, max: Option<i64>) -> Option<i64> {
        let raw = self.optional(name)?;
        match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 && max.is_none_or(|m| n <= m) => Some(n),
            _ => {
                self.issues.push(ValidationIssue::new(
                    &["query", name],
                    match max {
                        Some(m) => format!("Input should be an integer from 1 to {m}"),
                        None => "Input should be a positive integer".to_owned(),
                    },
                    "int_parsing",
                ));
                None
            }
        }
    }

    /// Notes a value that breaks a rule.
    pub fn reject(&mut self, name: &str, msg: impl Into<String>) {
        self.issues
            .push(ValidationIssue::new(&["query", name], msg, "value_error"));
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

/// A JSON request body as a value. As FastAPI reads one: a body declared as JSON, or not
/// declared at all, must parse (else `json_invalid`); a body declared as something else is not
/// an object to read fields from (`model_attributes_type`).
pub struct JsonBody(pub Value);

impl JsonBody {
    pub fn parse(content_type: Option<&HeaderValue>, bytes: &[u8]) -> Result<Self, VideoApiError> {
        let declared_json = content_type.is_none_or(|value| {
            value.to_str().is_ok_and(|v| {
                let essence = v.split(';').next().unwrap_or_default().trim();
                essence.eq_ignore_ascii_case("application/json")
                    || essence.to_ascii_lowercase().ends_with("+json")
            })
        });
        if !declared_json {
            return Err(not_an_object());
        }
        serde_json::from_slice(bytes).map(Self).map_err(|e| {
            VideoApiError::invalid(ValidationIssue::new(
                &["body"],
                format!("JSON decode error: {e}"),
                "json_invalid",
            ))
        })
    }

    /// A reader of the body's fields; a body that is not an object is a 422.
    pub fn reader(&self) -> Result<BodyReader<'_>, VideoApiError> {
        BodyReader::new(&self.0)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = VideoApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request.headers().get(CONTENT_TYPE).cloned();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                VideoApiError::invalid(ValidationIssue::new(
                    &["body"],
                    rejection.body_text(),
                    "json_invalid",
                ))
            })?;
        Self::parse(content_type.as_ref(), &bytes)
    }
}

fn not_an_object() -> VideoApiError {
    VideoApiError::invalid(ValidationIssue::new(
        &["body"],
        "Input should be a valid dictionary or object to extract fields from",
        "model_attributes_type",
    ))
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
            _ => Err(not_an_object()),
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

    /// A required string of 1 to `max_chars` characters after trimming, returned trimmed, that
    /// follows the text rule (`domain::text::check_characters`).
    pub fn text(&mut self, name: &'static str, max_chars: usize, lines: Lines) -> Option<String> {
        let text = self.required_string(name)?.trim();
        let loc = ["body", name];
        if text.is_empty() {
            self.issues.push(ValidationIssue::new(
                &loc,
                "String should have at least 1 character",
                "string_too_short",
            ));
            return None;
        }
        if text.chars().count() > max_chars {
            self.issues.push(ValidationIssue::new(
                &loc,
                format!("String should have at most {max_chars} characters"),
                "string_too_long",
            ));
            return None;
        }
        if let Err(e) = check_characters(name, text, lines) {
            self.issues
                .push(ValidationIssue::new(&loc, e.to_string(), "value_error"));
            return None;
        }
        Some(text.to_owned())
    }

    /// A required number (JSON has no NaN or infinity; a number too large for `f64` is
    /// refused).
    pub fn number(&mut self, name: &str) -> Option<f64> {
        let loc = ["body", name];
        match self.object.get(name) {
            None => {
                self.issues.push(ValidationIssue::missing(&loc));
                None
            }
            Some(Value::Number(n)) => {
                let value = n.as_f64().filter(|x| x.is_finite());
                if value.is_none() {
                    self.issues.push(ValidationIssue::new(
                        &loc,
                        "Input should be a finite number",
                        "finite_number",
                    ));
                }
                value
            }
            Some(_) => {
                self.issues.push(ValidationIssue::new(
                    &loc,
                    "Input should be a valid number",
                    "float_type",
                ));
                None
            }
        }
    }

    /// The raw value of a field, for rules the typed readers do not cover; absent is noted
    /// as `missing`.
    pub fn required_value(&mut self, name: &str) -> Option<&'a Value> {
        let value = self.object.get(name);
        if value.is_none() {
            self.issues.push(ValidationIssue::missing(&["body", name]));
        }
        value
    }

    /// Notes a value that breaks a rule, with its own message and type.
    pub fn reject_as(&mut self, name: &str, msg: impl Into<String>, kind: &str) {
        self.issues
            .push(ValidationIssue::new(&["body", name], msg, kind));
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

    /// Ends reading with the fields read: every issue noted, or the fields (which the
    /// readers above give whenever they note no issue).
    pub fn finish_with<T>(self, fields: Option<T>) -> Result<T, VideoApiError> {
        self.finish()?;
        fields.ok_or_else(|| {
            VideoApiError::Internal("a body field was read without an issue nor a value".into())
        })
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

/// The header an anonymous viewer identifies itself with.
pub const VIEWER_ID_HEADER: &str = "x-viewer-id";
const VIEWER_ID_MAX_LEN: usize = 64;

/// Who is watching: `u:<account id>` for a signed-in user, `a:<X-Viewer-Id>` for an anonymous
/// viewer (1 to 64 characters from `A-Z a-z 0-9 - _ .`).
pub fn viewer_key(caller: Option<&Account>, headers: &HeaderMap) -> Result<String, VideoApiError> {
    if let Some(account) = caller {
        return Ok(format!("u:{}", account.id));
    }
    let loc = ["header", VIEWER_ID_HEADER];
    let raw = headers
        .get(VIEWER_ID_HEADER)
        .ok_or_else(|| VideoApiError::invalid(ValidationIssue::missing(&loc)))?;
    let id = raw.to_str().unwrap_or_default();
    let well_formed = !id.is_empty()
        && id.len() <= VIEWER_ID_MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !well_formed {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "must be 1 to 64 characters from A-Z, a-z, 0-9, '-', '_' and '.'",
            "string_pattern_mismatch",
        )));
    }
    Ok(format!("a:{id}"))
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
    fn a_body_is_json_when_declared_so_or_undeclared() {
        let json = HeaderValue::from_static("application/json; charset=utf-8");
        let text = HeaderValue::from_static("text/plain");
        assert!(JsonBody::parse(Some(&json), b"{}").is_ok());
        assert!(JsonBody::parse(None, b"{}").is_ok());
        let kind = |result: Result<JsonBody, VideoApiError>| match result {
            Err(VideoApiError::Validation(issues)) => issues[0].kind.clone(),
            other => panic!("{:?}", other.map(|b| b.0)),
        };
        assert_eq!(
            kind(JsonBody::parse(Some(&text), b"{}")),
            "model_attributes_type"
        );
        assert_eq!(kind(JsonBody::parse(None, b"{")), "json_invalid");
        let array = JsonBody::parse(None, b"[1]").unwrap();
        match array.reader() {
            Err(VideoApiError::Validation(issues)) => {
                assert_eq!(issues[0].kind, "model_attributes_type");
            }
            _ => panic!("an array is not an object"),
        }
    }

    #[test]
    fn body_text_is_trimmed_and_bounded_and_every_issue_is_kept() {
        let body = serde_json::json!({"a": "  hi ", "b": "   ", "c": "xxxx", "n": "1"});
        let mut reader = BodyReader::new(&body).unwrap();
        assert_eq!(reader.text("a", 3, Lines::Single).as_deref(), Some("hi"));
        assert_eq!(reader.text("b", 3, Lines::Single), None);
        assert_eq!(reader.text("c", 3, Lines::Single), None);
        assert_eq!(reader.number("n"), None);
        assert_eq!(reader.number("missing"), None);
        match reader.finish() {
            Err(VideoApiError::Validation(issues)) => {
                let kinds: Vec<_> = issues.iter().map(|i| i.kind.as_str()).collect();
                assert_eq!(
                    kinds,
                    [
                        "string_too_short",
                        "string_too_long",
                        "float_type",
                        "missing"
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
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
