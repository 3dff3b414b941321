//! Resumable uploads over tus 1.0 (<https://tus.io/protocols/resumable-upload>): the core
//! protocol and the creation, creation-with-upload, termination, expiration and checksum
//! extensions, at `/tus/`. Callers authenticate as for the other uploads
//! ([`auth::required_account`](crate::http::auth::required_account)); the size limit is
//! `max_upload_bytes`, decided as bytes arrive; a finished upload enters the same processing
//! queue as the Video API's uploads and its last response names the video
//! (`Reelshare-Video-Id`). Partial bytes live in the staging directory
//! ([`store::resumable`]), their rows in the database ([`store::tus_uploads`]).
//!
//! - [`protocol`]: the headers and their values.
//! - [`error`]: this endpoint's error type and its status codes.
//! - [`create`]: `POST /tus/` (creation, creation-with-upload).
//! - [`resource`]: `HEAD`, `PATCH`, `DELETE /tus/{id}`.
//! - [`receive`]: one request's bytes into the partial file; the durability rule.
//! - [`finish`]: a complete upload into the processing queue.
//! - [`discovery`]: `OPTIONS /tus/`, beside the CORS preflight.
//! - [`sweep`]: removing expired uploads.

mod create;
pub mod discovery;
mod error;
mod finish;
pub mod protocol;
mod receive;
mod resource;
pub mod sweep;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{head, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tus", post(create::create))
        .route("/tus/", post(create::create))
        .route(
            "/tus/{id}",
            head(resource::head)
                .patch(resource::patch)
                .delete(resource::terminate),
        )
        // The limit is the upload's declared length, enforced while streaming.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::map_response(says_version))
}

/// Every tus response but `OPTIONS`'s names the protocol version.
async fn says_version(mut response: Response) -> Response {
    response.headers_mut().insert(
        protocol::TUS_RESUMABLE,
        HeaderValue::from_static(protocol::VERSION),
    );
    response
}
