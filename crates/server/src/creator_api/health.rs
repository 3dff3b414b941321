//! `GET /health`: `{"ok": true}` while the server runs. Not in the seed, but the original
//! Creator API service had it, and its mobile app and docs call it.

use axum::routing::get;
use axum::{Json, Router};

use super::json::Health;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health() -> Json<Health> {
    Json(Health { ok: true })
}
