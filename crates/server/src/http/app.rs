//! The whole HTTP application as one `Router`, separate from serving it so tests can drive it
//! directly. Every request gets an id ([`request_id`]), is counted for `/metrics`
//! ([`metrics`]) and is logged as a structured span (id, method, path, status, latency), and
//! every response, errors and preflights included, carries the CORS headers of
//! [`cors`](crate::http::cors).
//!
//! The Video API answers each of its paths with and without a trailing slash, as the original
//! FastAPI service's clients expect (they call `/video/explore?…` as often as
//! `/video/explore/?…`). Both forms are served directly rather than redirected as FastAPI did
//! (307 to the other form): the body is the same, without the extra round trip, and without
//! the second CORS preflight a browser makes when a cross-origin request is redirected. The
//! surface's routes are registered without the slash and its requests go through
//! `NormalizePath`, which trims a trailing one, so the two forms cannot drift apart. The
//! Creator API (a Flask service, whose paths never had one) and the documentation pages (which
//! rely on `/docs/`) match exactly and are routed first; everything else reaches the Video
//! API, whose fallbacks answer unknown paths (404) and wrong methods (405).

use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::normalize_path::NormalizePath;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::http::{cors, metrics, openapi};
use crate::observe::request_id;
use crate::state::AppState;
use crate::{creator_api, video_api, web};

pub fn app(state: AppState) -> Router {
    let video_api = NormalizePath::trim_trailing_slash(
        video_api::router()
            .route_layer(from_fn(metrics::tag_route))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .with_state(state.clone()),
    );
    Router::new()
        .merge(creator_api::router())
        .merge(openapi::router())
        .merge(web::router())
        .merge(crate::tus::router())
        .route("/metrics", get(metrics::scrape))
        .route_layer(from_fn(metrics::tag_route))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback_service(video_api)
        // nosniff everywhere; CSP and frame protection on HTML pages (`http::headers`).
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            crate::http::headers::protect,
        ))
        // A session cookie authenticates an unsafe request only with its CSRF token.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::session_cookie::csrf_gate,
        ))
        .layer(cors::layer(&state.settings.cors_allowed_origins))
        // Outside CORS, which answers every OPTIONS: tus discovery on the same answer.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::tus::discovery::answer_options,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(from_fn(metrics::count))
        // Outermost: the request span above and every response see the id.
        .layer(from_fn(request_id::layer))
        .with_state(state)
}

/// A request's log span: its id (set by [`request_id::layer`], which runs first), method and
/// path, never its query string, which carries link signatures (`sig=`), expiries and cursors.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(request_id::HEADER)
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn request_logs_name_the_path_but_never_the_query_with_its_signature() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let request = axum::http::Request::get(
                "/media/aaaaaaaaaaaaaaaa/original?exp=1700000000&sig=SECRETSIGNATURE",
            )
            .header(request_id::HEADER, "req-0123")
            .body(())
            .unwrap();
            let span = request_span(&request);
            let _entered = span.enter();
            tracing::info!("finished");
        });
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("/media/aaaaaaaaaaaaaaaa/original"),
            "{logged}"
        );
        assert!(!logged.contains("SECRETSIGNATURE"), "{logged}");
        assert!(logged.contains("request_id=req-0123"), "{logged}");
        assert!(!logged.contains("exp="), "{logged}");
    }
}
