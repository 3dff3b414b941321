//! Cross-origin access, so browser apps served from another origin can use both APIs, the
//! signed upload form and the media links, as they could use the original services.
//!
//! One `tower-http` CORS layer wraps the whole router, so every response carries the headers,
//! errors included (a 4xx without them reaches a browser app as an opaque "CORS failure"
//! instead of its status and body), and every `OPTIONS` preflight is answered before routing.
//! Origins come from the `cors_allowed_origins` setting: `*` by default, or a list, whose
//! matching origin is reflected, with `Vary: Origin` so caches keep one answer per origin. Bearer
//! tokens travel in `Authorization`, which needs no credentials mode, so credentials are never
//! allowed (they could not be with `*` anyway).
//!
//! Methods and request headers are listed rather than mirrored, so this file says exactly
//! what a browser app may send; `Authorization` cannot be covered by a `*` wildcard anyway.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::settings::AllowedOrigins;

/// Every method the APIs serve.
pub const ALLOWED_METHODS: [Method; 6] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    // tus uploads.
    Method::PATCH,
];

/// The request headers the APIs read, beyond the ones browsers may always send: the bearer
/// token, JSON and form bodies, byte ranges and conditional reads of media, the anonymous
/// viewer's id; and `X-Requested-With`, which some HTTP libraries add on their own; and the
/// tus protocol's request headers.
pub const ALLOWED_HEADERS: [&str; 15] = [
    "authorization",
    "content-type",
    "range",
    "if-range",
    "if-none-match",
    "if-modified-since",
    "x-viewer-id",
    "x-requested-with",
    "accept",
    "tus-resumable",
    "upload-length",
    "upload-offset",
    "upload-metadata",
    "upload-checksum",
    "upload-defer-length",
];

/// The response headers players, uploaders and API clients read, beyond the ones browsers
/// always show: ranges and sizes of media, validators, where a redirect or new resource is,
/// when to retry, why a token was refused, which methods a path serves; and the tus protocol's
/// response headers, with the video a finished tus upload became.
pub const EXPOSED_HEADERS: [&str; 19] = [
    "accept-ranges",
    "content-range",
    "content-length",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "www-authenticate",
    "allow",
    "upload-offset",
    "upload-length",
    "upload-metadata",
    "upload-expires",
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "tus-checksum-algorithm",
    "reelshare-video-id",
];

/// How long a browser may reuse a preflight's answer (FastAPI's default).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

pub fn layer(origins: &AllowedOrigins) -> CorsLayer {
    let allow_origin = match origins {
        AllowedOrigins::Any => AllowOrigin::any(),
        AllowedOrigins::List(list) => AllowOrigin::list(
            // Checked when the settings were loaded: `scheme://host[:port]` in ASCII.
            list.iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        ),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(ALLOWED_METHODS)
        .allow_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(PREFLIGHT_MAX_AGE)
}
