//! Everything that can go wrong in the Video API, and the one place it becomes a response, in
//! the original service's shapes: `{"error": "<message>"}` for a 400 (its input errors, e.g.
//! `invalid next page` or `invalid file name::…`, which its web app shows as `body.error`),
//! FastAPI's `{"detail": [{"loc", "msg", "type"}]}` for request validation (422), and
//! FastAPI's `{"detail": "<message>"}` for every other status. Internal errors are logged with
//! their cause and answered generically. The accounts and engagement endpoints speak the same
//! shapes and use this type too.

use axum::Json;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use store::StoreError;

use crate::http::auth::AuthError;
use crate::http::hashing::{HashingBusy, HashingError};
use crate::http::limits::Limited;
use crate::payout::projection::CloseError;
use crate::upload::ingest::IngestError;

/// One entry of a FastAPI validation error: where (`["query", "hash_id"]`), what, which kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationIssue {
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl ValidationIssue {
    pub fn new(loc: &[&str], msg: impl Into<String>, kind: &str) -> Self {
        Self {
            loc: loc.iter().map(|part| Value::from(*part)).collect(),
            msg: msg.into(),
            kind: kind.to_owned(),
        }
    }

    /// A required value that is absent.
    pub fn missing(loc: &[&str]) -> Self {
        Self::new(loc, "Field required", "missing")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VideoApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("Not Found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    TooEarly(String),
    #[error("{0}")]
    RequestTimeout(String),
    /// 429 with `Retry-After`.
    #[error("Too Many Requests")]
    TooManyRequests(Limited),
    /// 503 with `Retry-After`: no password-hashing slot came free in time.
    #[error("Service busy, try again shortly")]
    Busy(HashingBusy),
    #[error("request validation failed")]
    Validation(Vec<ValidationIssue>),
    #[error("invalid next page")]
    InvalidNextPage,
    /// 503 with `Retry-After`: the database or media storage failed (the cause is logged).
    #[error("{what} is unavailable, try again shortly")]
    Unavailable { what: &'static str, cause: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl VideoApiError {
    pub fn invalid(issue: ValidationIssue) -> Self {
        Self::Validation(vec![issue])
    }
}

impl IntoResponse for VideoApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) | Self::InvalidNextPage => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooEarly(_) => StatusCode::TOO_EARLY,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy(_) | Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after = match &self {
            Self::TooManyRequests(limited) => Some(limited.retry_after_seconds()),
            Self::Busy(busy) => Some(busy.retry_after.as_secs().max(1)),
            Self::Unavailable { .. } => Some(crate::http::UNAVAILABLE_RETRY_AFTER_SECONDS),
            _ => None,
        };
        let body = match self {
            Self::Validation(issues) => json!({ "detail": issues }),
            Self::BadRequest(_) | Self::InvalidNextPage => json!({ "error": self.to_string() }),
            Self::Internal(cause) => {
                tracing::error!(%cause, "video API internal error");
                json!({ "detail": "Internal Server Error" })
            }
            Self::Unavailable { what, cause } => {
                tracing::error!(%cause, "video API: {what} unavailable");
                json!({ "detail": format!("{what} is unavailable, try again shortly") })
            }
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for VideoApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            other => match other.unavailable() {
                Some(what) => Self::Unavailable {
                    what,
                    cause: other.to_string(),
                },
                None => Self::Internal(other.to_string()),
            },
        }
    }
}

impl From<AuthError> for VideoApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            other => Self::Unauthorized(other.to_string()),
        }
    }
}

impl From<Limited> for VideoApiError {
    fn from(limited: Limited) -> Self {
        Self::TooManyRequests(limited)
    }
}

impl From<HashingError> for VideoApiError {
    fn from(error: HashingError) -> Self {
        match error {
            HashingError::Busy(busy) => Self::Busy(busy),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<CloseError> for VideoApiError {
    fn from(error: CloseError) -> Self {
        match error {
            CloseError::Store(store) => store.into(),
            other => Self::Conflict(other.to_string()),
        }
    }
}

impl From<IngestError> for VideoApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::TooLarge { .. } => Self::PayloadTooLarge(
                domain::lifecycle::FailureReason::MaximumFileSizeExceeded
                    .message()
                    .into(),
            ),
            IngestError::FieldTooLong { .. } | IngestError::Client(_) => {
                Self::BadRequest(error.to_string())
            }
            IngestError::TooSlow(_) => Self::RequestTimeout(error.to_string()),
            IngestError::Store(store) => store.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: VideoApiError) -> (StatusCode, Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn validation_errors_take_fastapis_shape() {
        let issue = ValidationIssue::missing(&["query", "hash_id"]);
        let (status, body) = body_of(VideoApiError::invalid(issue)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({"detail": [{"loc": ["query", "hash_id"], "msg": "Field required", "type": "missing"}]})
        );
    }

    #[tokio::test]
    async fn a_bad_cursor_uses_the_originals_error_shape() {
        let (status, body) = body_of(VideoApiError::InvalidNextPage).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({"error": "invalid next page"}));
    }

    #[tokio::test]
    async fn a_bad_request_uses_the_originals_error_shape_and_other_statuses_fastapis() {
        let bad =
            VideoApiError::BadRequest("invalid file name::s^.mp4, allowed characters: …".into());
        let (status, body) = body_of(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            json!({"error": "invalid file name::s^.mp4, allowed characters: …"})
        );
        let (status, body) =
            body_of(VideoApiError::Forbidden("this video is private".into())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body, json!({"detail": "this video is private"}));
    }

    #[tokio::test]
    async fn too_many_requests_say_when_to_retry_in_fastapis_shape() {
        let limited = Limited {
            retry_after: std::time::Duration::from_millis(2500),
        };
        let response = VideoApiError::from(limited).into_response();
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        let (status, body) = body_of(VideoApiError::from(limited)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body, json!({"detail": "Too Many Requests"}));
    }

    #[tokio::test]
    async fn a_failed_database_or_storage_is_a_503_that_says_which_without_its_cause() {
        let database = VideoApiError::from(StoreError::Database(sqlx::Error::PoolClosed));
        assert_eq!(database.into_response().headers()[RETRY_AFTER], "5");
        let database = VideoApiError::from(StoreError::Database(sqlx::Error::PoolClosed));
        let (status, body) = body_of(database).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            json!({"detail": "the database is unavailable, try again shortly"})
        );
        let disk = std::io::Error::other("disk on fire");
        let (status, body) = body_of(VideoApiError::from(StoreError::Io(disk))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body,
            json!({"detail": "media storage is unavailable, try again shortly"})
        );
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body) = body_of(VideoApiError::Internal("disk on fire".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, json!({"detail": "Internal Server Error"}));
    }
}
