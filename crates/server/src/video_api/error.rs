//! Everything that can go wrong in the Video API, and the one place it becomes a response, in
//! the original service's shapes: `{"error": "<message>"}` for a 400 (its input errors, e.g.
//! `invalid next page` or `invalid file name::…`, which its web app shows as `body.error`),
//! FastAPI's `{"detail": [{"loc", "msg", "type"}]}` for request validation (422), and
//! FastAPI's `{"detail": "<message>"}` for every other status. Internal errors are logged with
//! their cause and answered generically. The accounts and engagement endpoints speak the same
//! shapes and use this type too.

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use store::StoreError;

use crate::http::auth::AuthError;
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
    #[error("request validation failed")]
    Validation(Vec<ValidationIssue>),
    #[error("invalid next page")]
    InvalidNextPage,
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
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = match self {
            Self::Validation(issues) => json!({ "detail": issues }),
            Self::BadRequest(_) | Self::InvalidNextPage => json!({ "error": self.to_string() }),
            Self::Internal(cause) => {
                tracing::error!(%cause, "video API internal error");
                json!({ "detail": "Internal Server Error" })
            }
            other => json!({ "detail": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for VideoApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            other => Self::Internal(other.to_string()),
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
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body) = body_of(VideoApiError::Internal("disk on fire".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, json!({"detail": "Internal Server Error"}));
    }
}
