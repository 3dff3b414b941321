//! The web app's stylesheet and scripts, embedded in the binary (`include_str!`), served at
//! `/app/assets/{name}`. Pages link them as `…?v=<content hash>` ([`url`]), so a link names
//! one exact content and may be cached for a year (`immutable`); a request without the
//! current hash is revalidated every time (`no-cache`, with the hash as `ETag`).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// Every asset: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("assets/app.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/common.js"),
    ),
    (
        "feed.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/feed.js"),
    ),
    (
        "studio.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/studio.js"),
    ),
    (
        "video.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/video.js"),
    ),
    (
        "player.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/player.js"),
    ),
    // hls.js, pinned and vendored: see `assets/vendor/VENDORED.md`.
    (
        "hls.light.min.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/vendor/hls.light.min.js"),
    ),
    (
        "profile.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/profile.js"),
    ),
];

pub fn router() -> Router<AppState> {
    Router::new().route("/app/assets/{name}", get(asset))
}

/// Each asset's content hash, computed once.
fn versions() -> &'static [String] {
    static VERSIONS: OnceLock<Vec<String>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(_, _, body)| URL_SAFE_NO_PAD.encode(&Sha256::digest(body.as_bytes())[..9]))
            .collect()
    })
}

fn find(name: &str) -> Option<usize> {
    ASSETS.iter().position(|(n, _, _)| *n == name)
}

/// The link to the asset `name` (one of [`ASSETS`]).
pub fn url(name: &str) -> String {
    match find(name) {
        Some(i) => format!("/app/assets/{name}?v={}", versions()[i]),
        None => format!("/app/assets/{name}"),
    }
}

#[derive(serde::Deserialize)]
struct Version {
    v: Option<String>,
}

async fn asset(
    Path(name): Path<String>,
    Query(query): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let Some(i) = find(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (_, content_type, body) = ASSETS[i];
    let version = &versions()[i];
    let etag = format!("\"{version}\"");
    let cache = if query.v.as_deref() == Some(version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let headers_out = [
        (CONTENT_TYPE, content_type.to_owned()),
        (CACHE_CONTROL, cache.to_owned()),
        (ETAG, etag.clone()),
    ];
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers_out).into_response();
    }
    (headers_out, body).into_response()
}
