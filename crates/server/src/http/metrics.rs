//! `GET /metrics` (Prometheus text format) and the per-route request series behind it.
//!
//! Every request is counted and timed by method, *matched route template* (`/video/{video_id}`,
//! not the raw path, so series stay few whatever ids clients send; `unmatched` for paths no
//! route serves) and status. The route is known only inside the routers, so [`tag_route`]
//! (a route layer on each router) copies it onto the response, where [`count`] (the outer
//! layer) reads it.
//!
//! A `reelshare worker` serves no HTTP, but can serve this route alone ([`serve_alone`],
//! `--metrics-bind`) so its job series can be scraped.
//!
//! Access: `/metrics` reveals operational data (traffic by route, queue depth), so it is not
//! public. With `metrics_token` set, a scrape must send `Authorization: Bearer <token>`
//! (compared in constant time). Without it, only scrapes whose socket peer is a loopback
//! address and which did not come through a proxy (no `X-Forwarded-For`/`Forwarded`) are
//! served; anything else gets 404, as if the route did not exist.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::observe::metrics as series;
use crate::state::AppState;

/// Route layer: remembers the matched route on the response for [`count`].
pub async fn tag_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Outer layer: counts and times every request.
pub async fn count(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    series::record_request(
        &method,
        route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if !allowed(
        state
            .settings
            .metrics_token
            .as_ref()
            .map(crate::settings::Secret::expose),
        peer,
        request.headers(),
    ) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Err(error) = series::refresh_queue_gauges(state.pool(), state.clock.now()).await {
        tracing::warn!(%error, "could not read the job queue for /metrics");
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        series::handle().render(),
    )
        .into_response()
}

/// `/metrics` and `/health_check` alone on `listener`: a `reelshare worker --metrics-bind`,
/// which serves no other HTTP. Same access rule; logged, not fatal, if serving stops.
pub async fn serve_alone(listener: tokio::net::TcpListener, state: AppState) {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/metrics", get(scrape))
        .route("/health_check", get(health_check))
        .with_state(state);
    tracing::info!(address = ?listener.local_addr().ok(), "serving /metrics");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(error) = axum::serve(listener, service).await {
        tracing::warn!(%error, "stopped serving /metrics");
    }
}

async fn health_check(State(state): State<AppState>) -> Response {
    match crate::observe::health::check(&state).await {
        Ok(()) => axum::Json(serde_json::json!({})).into_response(),
        Err(unhealthy) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "detail": unhealthy.to_string() })),
        )
            .into_response(),
    }
}

/// The access rule described at the top of this module.
pub fn allowed(token: Option<&str>, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
    match token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes()))),
        None => {
            let proxied =
                headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
            !proxied && peer.is_some_and(|peer| peer.ip().is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn without_a_token_only_direct_loopback_scrapes_are_served() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        assert!(allowed(None, Some(local), &HeaderMap::new()));
        assert!(allowed(
            None,
            Some("[::1]:1".parse().unwrap()),
            &HeaderMap::new()
        ));
        assert!(!allowed(None, Some(remote), &HeaderMap::new()));
        assert!(!allowed(None, None, &HeaderMap::new()));
        let proxied = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert!(!allowed(None, Some(local), &proxied));
    }

    #[test]
    fn with_a_token_only_that_bearer_token_is_served() {
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let good = headers(&[("authorization", "Bearer s3cret")]);
        let bad = headers(&[("authorization", "Bearer s3cre")]);
        assert!(allowed(Some("s3cret"), Some(remote), &good));
        assert!(!allowed(Some("s3cret"), Some(remote), &bad));
        assert!(!allowed(Some("s3cret"), Some(remote), &HeaderMap::new()));
        // The token replaces the loopback rule: a local scrape needs it too.
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert!(!allowed(Some("s3cret"), Some(local), &HeaderMap::new()));
    }
}
