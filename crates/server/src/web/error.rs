//! This surface's one error type. Pages answer with a small HTML page; a 5xx never shows its
//! cause (it is logged). The JSON endpoint of [`social`](super::social) reuses the Video API's
//! error instead, so its clients see one shape.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;
use store::StoreError;

use crate::video_api::error::VideoApiError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("page not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A Video API function this page called failed otherwise (logged, never shown).
    #[error("{0}")]
    Failed(String),
}

impl From<VideoApiError> for WebError {
    fn from(error: VideoApiError) -> Self {
        match error {
            VideoApiError::NotFound => WebError::NotFound,
            VideoApiError::Forbidden(_) => WebError::Forbidden("This video is private"),
            other => WebError::Failed(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            WebError::Store(StoreError::NotFound) => (StatusCode::NOT_FOUND, "Not found"),
            WebError::Forbidden(why) => (StatusCode::FORBIDDEN, *why),
            WebError::Failed(cause) => {
                tracing::error!(error = %cause, "web page failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Something went wrong, try again shortly",
                )
            }
            WebError::Store(cause) => {
                tracing::error!(error = %cause, "web page failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Something went wrong, try again shortly",
                )
            }
        };
        let page = html! {
            (maud::DOCTYPE)
            html lang="en" { head { meta charset="utf-8"; title { "reelshare" } }
                body { h1 { (message) } p { a href="/app/" { "Back to the feed" } } } }
        };
        (status, Html(page.into_string())).into_response()
    }
}
