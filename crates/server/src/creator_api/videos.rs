//! The Creator API's video reads: the bytes (`/get-video`, with ranges and ETags), the
//! thumbnail, one video's data, and a creator's videos and thumbnails. Visibility follows the
//! domain rule: other callers see listed public videos only; an owner who sends their token
//! also sees their private videos and drafts. Anything else is a plain 404. On S3,
//! `/get-video` and `/get-video-thumbnail` answer (after those checks) a 307 to a presigned GET
//! valid for `watch_link_ttl_seconds`.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::ids::{AccountId, VideoId};
use domain::video::{Video, Visibility};
use store::media_store::MediaObject;
use store::{accounts, videos};

use super::error::CreatorApiError;
use super::json::{Thumbnail, ThumbnailList, VideoData};
use super::query::Params;
use crate::http::auth;
use crate::http::headers::inline_disposition;
use crate::http::playback;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/get-video", get(get_video))
        .route("/get-video-thumbnail", get(get_video_thumbnail))
        .route("/get-video-data", get(get_video_data))
        .route("/get-all-videos-data", get(get_all_videos_data))
        .route("/get-all-videos-thumbnails", get(get_all_videos_thumbnails))
}

async fn viewer(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<AccountId>, CreatorApiError> {
    Ok(auth::optional_account(state, headers)
        .await?
        .map(|account| account.id))
}

/// The video if `viewer` may see it; otherwise not found.
async fn visible_video(
    state: &AppState,
    id: VideoId,
    viewer: Option<AccountId>,
) -> Result<Video, CreatorApiError> {
    let video = videos::find_video(state.pool(), id).await?;
    match video.visibility_for(viewer) {
        Visibility::Visible => Ok(video),
        Visibility::Private | Visibility::Hidden => Err(CreatorApiError::NotFound),
    }
}

/// A creator's videos that `viewer` may see, oldest first; 404 for an unknown creator.
async fn visible_videos_of(
    state: &AppState,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Vec<Video>, CreatorApiError> {
    let creator_id = params.creator_id()?;
    let viewer = viewer(state, headers).await?;
    accounts::find_account(state.pool(), creator_id).await?;
    let all = videos::list_account_videos(state.pool(), creator_id).await?;
    Ok(all
        .into_iter()
        .filter(|v| v.visibility_for(viewer) == Visibility::Visible)
        .collect())
}

async fn get_video(
    State(state): State<AppState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, CreatorApiError> {
    let video = visible_video(&state, params.video_id()?, viewer(&state, &headers).await?).await?;
    // The faststart copy when the upload's index was at its end: same samples, plays sooner.
    let mp4 = state.media.playable_mp4(&video.hash_id).await?;
    Ok(playback::serve(
        &state.media,
        &video.hash_id,
        mp4,
        &video.content_type,
        inline_disposition(video.file_name.as_str(), "video"),
        &headers,
        state.settings.watch_link_ttl,
    )
    .await?)
}

async fn get_video_thumbnail(
    State(state): State<AppState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, CreatorApiError> {
    let video = visible_video(&state, params.video_id()?, viewer(&state, &headers).await?).await?;
    let name = format!("video-{}.jpg", video.id);
    if state.media.presigns() {
        return Ok(playback::serve(
            &state.media,
            &video.hash_id,
            MediaObject::LargeThumbnail,
            "image/jpeg",
            inline_disposition(&name, "thumbnail.jpg"),
            &headers,
            state.settings.watch_link_ttl,
        )
        .await?);
    }
    let jpeg = state
        .media
        .get_bytes(&video.hash_id, MediaObject::LargeThumbnail)
        .await?;
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                CONTENT_DISPOSITION,
                inline_disposition(&name, "thumbnail.jpg"),
            ),
        ],
        jpeg,
    )
        .into_response())
}

async fn video_data(state: &AppState, video: &Video) -> Result<VideoData, CreatorApiError> {
    let stats = videos::video_stats(state.pool(), video.id).await?;
    Ok(VideoData::new(
        video,
        &stats,
        state.projection.payout(video.id),
        &state.settings.payout.weights,
    ))
}

async fn get_video_data(
    State(state): State<AppState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Json<VideoData>, CreatorApiError> {
    let video = visible_video(&state, params.video_id()?, viewer(&state, &headers).await?).await?;
    Ok(Json(video_data(&state, &video).await?))
}

async fn get_all_videos_data(
    State(state): State<AppState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Json<Vec<VideoData>>, CreatorApiError> {
    let mut rows = Vec::new();
    for video in visible_videos_of(&state, &params, &headers).await? {
        rows.push(video_data(&state, &video).await?);
    }
    Ok(Json(rows))
}

/// Thumbnails one response returns at most: without `limit`, the original's whole list, up to
/// this; with it, pages of at most this many.
pub const MAX_THUMBNAILS_PER_RESPONSE: i64 = 100;

/// A creator's thumbnails, oldest video first, as the original answered (`{"images", "ok"}`).
/// Optional paging: `limit` (1 to 100) thumbnails of videos after video id `after`; then the
/// answer also has `next_after` (null on the last page). Without `limit` it is the original's
/// whole list, cut at 100 thumbnails.
async fn get_all_videos_thumbnails(
    State(state): State<AppState>,
    params: Params,
    headers: HeaderMap,
) -> Result<Json<ThumbnailList>, CreatorApiError> {
    let limit = params.optional_integer(
        "limit",
        1..=MAX_THUMBNAILS_PER_RESPONSE,
        "an integer from 1 to 100",
    )?;
    let after = params
        .optional_integer("after", 0..=i64::MAX, "a video id")?
        .unwrap_or(0);
    let page_size = limit.unwrap_or(MAX_THUMBNAILS_PER_RESPONSE) as usize;
    let mut visible = visible_videos_of(&state, &params, &headers)
        .await?
        .into_iter()
        .filter(|video| video.id.get() > after)
        .peekable();
    let mut images = Vec::new();
    while images.len() < page_size
        && let Some(video) = visible.next()
    {
        let jpeg = state
            .media
            .get_bytes(&video.hash_id, MediaObject::LargeThumbnail);
        let data_uri = state.thumbnail_uris.jpeg(&video.hash_id, jpeg).await?;
        images.push(Thumbnail {
            content_type: "image/jpeg",
            data_uri: data_uri.to_string(),
            video_id: video.id.get(),
        });
    }
    let next_after = limit.map(|_| visible.peek().and(images.last().map(|last| last.video_id)));
    Ok(Json(ThumbnailList {
        images,
        ok: true,
        next_after,
    }))
}
