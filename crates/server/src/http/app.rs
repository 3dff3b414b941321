//! The whole HTTP application as one `Router`, separate from serving it so tests can drive it
//! directly. Every request is logged as a structured span (method, path, status, latency).

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::http::openapi;
use crate::state::AppState;
use crate::{creator_api, video_api};

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(creator_api::router())
        .merge(video_api::router())
        .merge(openapi::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // nosniff everywhere; CSP and frame protection on HTML pages (`http::headers`).
        .layer(axum::middleware::map_response(
            crate::http::headers::protect,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Unknown paths answer as FastAPI does, in JSON.
async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "detail": "Not Found" })),
    )
}

/// A known path with a method it does not serve: 405 in the same JSON shape (axum keeps the
/// `Allow` header listing the methods it does serve).
async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({ "detail": "Method Not Allowed" })),
    )
}
