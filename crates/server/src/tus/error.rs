//! The tus endpoint's one error type and its one mapping to responses: the protocol's status
//! codes with a short plain-text reason (tus clients show it as is). A 5xx never echoes
//! internals; the cause is logged instead.

use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use store::StoreError;

use super::protocol::{TUS_VERSION, VERSION};
use crate::http::auth::AuthError;
use crate::http::body_rate::BodyTooSlow;
use crate::http::limits::Limited;

#[derive(Debug, thiserror::Error)]
pub enum TusError {
    #[error("this server speaks tus {VERSION}: send Tus-Resumable: {VERSION}")]
    VersionUnsupported,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("no such upload")]
    NotFound,
    #[error("this upload has expired")]
    Gone,
    #[error("Upload-Offset must be {expected}, the bytes received so far")]
    OffsetMismatch { expected: u64 },
    #[error("another request is writing this upload")]
    Locked,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("the bytes do not match Upload-Checksum")]
    ChecksumMismatch,
    #[error("at most {0} unfinished uploads at once; finish or delete one")]
    TooManyOpen(u64),
    #[error("too many uploads; try again later")]
    TooManyRequests(Limited),
    #[error(transparent)]
    TooSlow(BodyTooSlow),
    #[error("the request body was cut off")]
    BodyCutOff,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for TusError {
    fn from(error: std::io::Error) -> Self {
        Self::Store(StoreError::Io(error))
    }
}

impl From<Limited> for TusError {
    fn from(limited: Limited) -> Self {
        Self::TooManyRequests(limited)
    }
}

impl From<AuthError> for TusError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(store) => store.into(),
            other => Self::Unauthorized(other.to_string()),
        }
    }
}

impl TusError {
    /// The request's bytes did not all arrive or match; nothing about the upload itself.
    pub fn is_transfer_failure(&self) -> bool {
        matches!(
            self,
            Self::ChecksumMismatch | Self::TooSlow(_) | Self::BodyCutOff | Self::TooLarge(_)
        )
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::VersionUnsupported => StatusCode::PRECONDITION_FAILED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) | Self::BodyCutOff => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Gone => StatusCode::GONE,
            Self::OffsetMismatch { .. } => StatusCode::CONFLICT,
            Self::Locked => StatusCode::LOCKED,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            // The checksum extension's own code.
            Self::ChecksumMismatch => StatusCode::from_u16(460).expect("a valid status code"),
            Self::TooManyOpen(_) | Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Store(error) => match error {
                StoreError::NotFound => StatusCode::NOT_FOUND,
                other if other.unavailable().is_some() => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for TusError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "tus request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let mut response = (status, message).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::VersionUnsupported => {
                headers.insert(TUS_VERSION, HeaderValue::from_static(VERSION));
            }
            Self::Unauthorized(_) => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyRequests(limited) => {
                headers.insert(
                    RETRY_AFTER,
                    HeaderValue::from(limited.retry_after_seconds()),
                );
            }
            _ => {}
        }
        response
    }
}
