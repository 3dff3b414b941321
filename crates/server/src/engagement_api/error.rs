//! Everything that can go wrong in the engagement endpoints, and the one place it becomes a
//! response. These endpoints live beside the Video API, so they answer in FastAPI's shapes:
//! `{"detail": "<message>"}`, and `{"detail": [{"loc", "msg", "type"}]}` for a request that
//! fails validation (422). Internal errors are logged and answered generically.

use axum::Json;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use store::StoreError;

use crate::auth::AuthError;
use crate::projection::CloseError;

/// One problem with the request: where (`["body", "watched_seconds"]`), what, which kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Issue {
    pub fn new(loc: &[&str], msg: impl Into<String>, kind: &'static str) -> Self {
        Self {
            loc: loc.iter().map(|part| Value::from(*part)).collect(),
            msg: msg.into(),
            kind,
        }
    }

    pub fn missing(loc: &[&str]) -> Self {
        Self::new(loc, "Field required", "missing")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngagementApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("Not Found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("request validation failed")]
    Validation(Vec<Issue>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl EngagementApiError {
    pub fn invalid(issue: Issue) -> Self {
        Self::Validation(vec![issue])
    }
}

impl IntoResponse for EngagementApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = match self {
            Self::Validation(issues) => json!({ "detail": issues }),
            Self::Internal(cause) => {
                tracing::error!(%cause, "engagement API internal error");
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

impl From<StoreError> for EngagementApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for EngagementApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            other => Self::Unauthorized(other.to_string()),
        }
    }
}

impl From<CloseError> for EngagementApiError {
    fn from(error: CloseError) -> Self {
        match error {
            CloseError::Store(store) => store.into(),
            other => Self::Conflict(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(error: EngagementApiError) -> (StatusCode, Value) {
        let response = error.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn validation_errors_take_fastapis_shape() {
        let issue = Issue::missing(&["body", "watched_seconds"]);
        let (status, body) = body_of(EngagementApiError::invalid(issue)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body,
            json!({"detail": [{"loc": ["body", "watched_seconds"], "msg": "Field required", "type": "missing"}]})
        );
    }

    #[tokio::test]
    async fn internal_errors_do_not_leak_their_cause() {
        let (status, body) = body_of(EngagementApiError::Internal("disk on fire".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, json!({"detail": "Internal Server Error"}));
    }
}
