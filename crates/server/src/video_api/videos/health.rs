//! `GET /health_check` (an empty JSON object while the database and media storage answer,
//! [`observe::health`](crate::observe::health); else 503 `{"detail": …}` with `Retry-After`)
//! and `GET /`, which redirects to it, as the original service did; a browser (`Accept`
//! naming `text/html`) is sent to the web app at `/app/` instead, so API clients see no
//! change.

use axum::extract::State;
use axum::http::header::{ACCEPT, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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
    responses(
        (status = 200, description = "Successful Response", body = Health),
        (status = 503, description = "The database or media storage does not answer"),
    ))]
pub(crate) async fn health_check(State(state): State<AppState>) -> Response {
    match crate::observe::health::check(&state).await {
        Ok(()) => Json(Health {}).into_response(),
        Err(unhealthy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(RETRY_AFTER, crate::http::UNAVAILABLE_RETRY_AFTER_SECONDS)],
            Json(serde_json::json!({ "detail": unhealthy.to_string() })),
        )
            .into_response(),
    }
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
