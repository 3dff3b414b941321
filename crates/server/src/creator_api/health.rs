//! `GET /health`: `{"ok": true}` while the database and media storage answer
//! ([`observe::health`](crate::observe::health)), else 503 `{"ok": false, "error": …}` with
//! `Retry-After`. Not in the seed, but the original Creator API service had it, and its mobile
//! app and docs call it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::json::Health;
use crate::observe::health::check;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> Response {
    match check(&state).await {
        Ok(()) => Json(Health { ok: true }).into_response(),
        Err(unhealthy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, crate::http::UNAVAILABLE_RETRY_AFTER_SECONDS)],
            Json(serde_json::json!({ "ok": false, "error": unhealthy.to_string() })),
        )
            .into_response(),
    }
}
