//! The Creator API (`shared/seeds/000_…txt`): integer ids, form uploads that are listed at
//! once, and `{"error": …}` errors. A thin adapter: it parses queries and forms into domain
//! types, calls the store and the media pipeline, and maps results to this API's JSON.
//!
//! - [`error`]: this surface's error type and its one mapping to responses.
//! - [`json`]: the JSON shapes of this surface (the compatibility contract).
//! - [`query`]: reading ids, bounded integers and text from query strings.
//! - [`upload`]: `POST /upload-video`.
//! - [`videos`]: the video read endpoints.
//! - [`creators`]: `GET /get-creator-data`, and the original service's
//!   `GET /get-creator-by-name` and `GET /list-creators`.
//! - [`health`]: the original service's `GET /health`.

mod creators;
mod error;
mod health;
mod json;
mod query;
mod upload;
mod videos;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(upload::router())
        .merge(videos::router())
        .merge(creators::router())
        .merge(health::router())
}
