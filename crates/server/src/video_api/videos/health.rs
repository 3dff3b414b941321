//! `GET /health_check` (an empty JSON object while the server runs) and `GET /`, which
//! redirects to it, as the original service did; a browser (`Accept` naming `text/html`) is
//! sent to the web app at `/app/` instead, so API clients see no change.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::response::Redirect;
use axum::routing::get;
use axum::{Json, Router};

use super::json::Health;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health_check", get(health_check))
        .route("/", get(redirect_to_health_check))
}

/// Health Check
#[utoipa::path(get, path = "/health_check", tag = "video",
    responses((status = 200, description = "Successful Response", body = Health)))]
pub(crate) async fn health_check() -> Json<Health> {
    Json(Health {})
}

/// Redirect To Health Check
#[utoipa::path(get, path = "/", tag = "video",
    responses((status = 307, description = "Redirect to /health_check (to the web app `/app/` for browsers)")))]
pub(crate) async fn redirect_to_health_check(headers: HeaderMap) -> Redirect {
    let wants_html = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().contains("text/html"));
    if wants_html {
        Redirect::temporary("/app/")
    } else {
        Redirect::temporary("/health_check")
    }
}
