//! Everything that can go wrong in the Creator API, and the one place it becomes a response:
//! `{"error": "<what is wrong>"}` with the right status. Internal errors are logged and answered
//! with a generic message; their details never reach the client.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use store::StoreError;

use crate::http::auth::AuthError;
use crate::http::limits::Limited;
use crate::upload::ingest::IngestError;
use crate::upload::refusal::MediaRefusal;

#[derive(Debug, thiserror::Error)]
pub enum CreatorApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("file exceeds the maximum size of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    UnprocessableMedia(String),
    #[error("too many uploads are being processed; try again in {retry_after_seconds} s")]
    Busy { retry_after_seconds: u64 },
    #[error("{0}")]
    RequestTimeout(String),
    /// 429 with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests(Limited),
    /// 503 with `Retry-After`: the database or media storage failed (the cause is logged).
    #[error("{what} is unavailable, try again shortly")]
    Unavailable { what: &'static str, cause: String },
    #[error("internal error")]
    Internal(String),
}

impl IntoResponse for CreatorApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UnprocessableMedia(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { what, cause } => {
                tracing::error!(%cause, "creator API: {what} unavailable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(detail) => {
                tracing::error!(%detail, "creator API internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let retry_after = match &self {
            Self::TooManyRequests(limited) => Some(limited.retry_after_seconds()),
            Self::Busy {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            Self::Unavailable { .. } => Some(crate::http::UNAVAILABLE_RETRY_AFTER_SECONDS),
            _ => None,
        };
        let mut response = (status, Json(json!({ "error": self.to_string() }))).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for CreatorApiError {
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

impl From<AuthError> for CreatorApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            other => Self::Unauthorized(other.to_string()),
        }
    }
}

impl From<Limited> for CreatorApiError {
    fn from(limited: Limited) -> Self {
        Self::TooManyRequests(limited)
    }
}

impl From<IngestError> for CreatorApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::TooLarge { limit } => Self::PayloadTooLarge { limit },
            IngestError::FieldTooLong { .. } | IngestError::Client(_) => {
                Self::BadRequest(error.to_string())
            }
            IngestError::TooSlow(_) => Self::RequestTimeout(error.to_string()),
            IngestError::Store(store) => store.into(),
        }
    }
}

impl From<media::MediaError> for CreatorApiError {
    fn from(error: media::MediaError) -> Self {
        use media::MediaError::{Corrupt, LimitExceeded, NotAVideo, Unsupported};
        let why = match &error {
            NotAVideo(why) | Unsupported(why) | Corrupt(why) | LimitExceeded(why) => why.clone(),
            other => other.to_string(),
        };
        match MediaRefusal::of(&error) {
            MediaRefusal::NotAVideo => {
                Self::UnsupportedMediaType(format!("not a video file: {why}"))
            }
            MediaRefusal::Unsupported => {
                Self::UnsupportedMediaType(format!("unsupported video type: {why}"))
            }
            MediaRefusal::Corrupt => {
                Self::UnprocessableMedia(format!("corrupted or invalid video file: {why}"))
            }
            MediaRefusal::TooLarge => {
                Self::UnprocessableMedia(format!("video over this server's limits: {why}"))
            }
            MediaRefusal::TimedOut | MediaRefusal::Transient => Self::Internal(why),
        }
    }
}
