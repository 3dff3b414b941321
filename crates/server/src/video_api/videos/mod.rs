//! The original Video API service's endpoints: public string ids (`user_id`, `hash_id`),
//! signed upload forms and processing in the background, drafts, keyset-paged feeds and
//! signed watch links.
//!
//! - [`json`]: the JSON shapes of these endpoints (the compatibility contract).
//! - [`health`]: `/health_check` and `/`.
//! - [`upload`]: the upload config and the signed form instructions.
//! - [`upload_form`]: receiving the signed form post.
//! - [`my`]: the caller's videos: list, update, delete.
//! - [`feeds`]: explore and a user's videos.
//! - [`watch`]: the watch record and its link.
//! - [`media`]: what the signed links point at: the video and its thumbnail.
//! - [`hls`]: the signed HLS playlists and segments.
//! - [`images`]: thumbnails at any time and size, animated previews, storyboards.

mod feeds;
mod health;
mod hls;
mod images;
mod json;
mod media;
mod my;
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
        .merge(hls::router())
        .merge(images::router())
}

/// These endpoints' part of the OpenAPI document.
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
        hls::master,
        hls::rendition_file,
        images::thumbnail_jpg,
        images::thumbnail_webp,
        images::animated_gif,
        images::animated_webp,
        images::storyboard_vtt,
        images::storyboard_jpg,
    ),
    components(schemas(
        json::VideoRecord,
        json::UnprocessedVideoRecord,
        json::VideosPage,
        json::UserVideosList,
        json::WatchVideoRecord,
        json::RenditionRecord,
        json::LadderRecord,
        json::ImageLinks,
        json::VideoUploadConfigRecord,
        json::FileUploadSignedInstructions,
    ))
)]
struct VideosDoc;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    VideosDoc::openapi()
}
