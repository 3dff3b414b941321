//! The Video API (`shared/seeds/001_…txt`): the original FastAPI service's surface over the
//! same domain as the Creator API. Public string ids (`user_id`, `hash_id`), signed upload
//! forms and processing in the background, drafts, keyset-paged feeds and signed watch links,
//! and FastAPI's error shapes. A thin adapter: it parses requests into domain types, calls the
//! store, and maps results to this API's JSON.
//!
//! - [`error`]: this surface's error type and its one mapping to responses.
//! - [`extract`]: query/body readers with FastAPI's 422s, and who is calling.
//! - [`json`]: the JSON shapes of this surface (the compatibility contract).
//! - [`links`], [`cursor`], [`policy`]: the signed links, feed cursors and upload policies.
//! - [`health`]: `/health_check` and `/`.
//! - [`upload`]: the upload config and the signed form instructions.
//! - [`upload_form`]: receiving the signed form post.
//! - [`my`]: the caller's videos: list, update, delete.
//! - [`feeds`]: explore and a user's videos.
//! - [`watch`]: the watch record and its link.
//! - [`media`]: what the signed links point at: the video and its thumbnail.

pub(crate) mod cursor;
pub(crate) mod error;
pub(crate) mod extract;
mod feeds;
mod health;
mod json;
pub(crate) mod links;
mod media;
mod my;
pub(crate) mod policy;
mod upload;
mod upload_form;
mod watch;

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(upload::router())
        .merge(upload_form::router())
        .merge(my::router())
        .merge(feeds::router())
        .merge(watch::router())
        .merge(media::router())
        .merge(crate::openapi::router())
}

/// This surface's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        health::health_check,
        health::redirect_to_health_check,
        feeds::explore,
        upload::upload_instructions,
        upload::upload_config,
        my::my_videos,
        my::update_video,
        my::delete_video,
        feeds::user_videos,
        watch::watch,
        upload_form::receive_upload,
        media::original,
        media::thumbnail,
    ),
    components(schemas(
        json::VideoRecord,
        json::UnprocessedVideoRecord,
        json::VideosPage,
        json::UserVideosList,
        json::WatchVideoRecord,
        json::VideoUploadConfigRecord,
        json::FileUploadSignedInstructions,
    ))
)]
pub(crate) struct VideoApiDoc;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    VideoApiDoc::openapi()
}
