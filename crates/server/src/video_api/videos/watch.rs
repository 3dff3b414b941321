//! `GET /video/watch/?user_id=…&hash_id=…`: one listed video, a signed, expiring link that
//! streams it as MP4, one to its HLS master playlist with its renditions, and links to its
//! images made on request. Drafts, unfinished uploads and unknown ids are 404 for everyone; a private video
//! is 403 for anyone but its owner (the seed documents that status).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use domain::ids::{HashId, UserId};
use store::videos;

use super::json::{ImageLinks, LadderRecord, RenditionRecord, VideoRecord, WatchVideoRecord};
use crate::state::AppState;
use crate::upload::playback::served_hls_index;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{MaybeCaller, QueryParams};
use crate::video_api::links::{Audience, Links};

pub fn router() -> Router<AppState> {
    Router::new().route("/video/watch", get(watch))
}

/// Get Watch Video Record
#[utoipa::path(get, path = "/video/watch/", tag = "video",
    params(("user_id" = String, Query), ("hash_id" = String, Query)),
    responses(
        (status = 200, description = "Successful Response", body = WatchVideoRecord),
        (status = 401, description = "A token was sent but is not valid"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn watch(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Json<WatchVideoRecord>, VideoApiError> {
    let mut query = params.reader();
    let user_id = query.required("user_id");
    let hash_id = query.required("hash_id");
    query.finish()?;
    let user_id = UserId::parse(&user_id).map_err(|_| VideoApiError::NotFound)?;
    let hash_id = HashId::parse(&hash_id).map_err(|_| VideoApiError::NotFound)?;
    let video = videos::find_video_by_hash(state.pool(), &hash_id).await?;
    if video.owner_public_id != user_id || !video.is_listed() {
        return Err(VideoApiError::NotFound);
    }
    if video.is_private && !video.is_owned_by(caller.id()) {
        return Err(VideoApiError::Forbidden("this video is private".into()));
    }
    let links = Links::for_request(&state, &headers);
    let audience = if video.is_owned_by(caller.id()) {
        Audience::Owner
    } else {
        Audience::Anyone
    };
    let hls = served_hls_index(&state, &video.hash_id).await?;
    let hls = hls.as_deref();
    Ok(Json(WatchVideoRecord {
        watchable_url: links.watch(&video.hash_id, audience),
        hls_url: hls
            .filter(|index| !index.renditions.is_empty())
            .map(|_| links.hls(&video.hash_id, audience)),
        ladder: hls
            .and_then(|index| index.ladder.as_ref())
            .filter(|_| audience == Audience::Owner)
            .map(LadderRecord::from),
        renditions: hls
            .into_iter()
            .flat_map(|index| index.renditions.iter().enumerate())
            .map(|(number, rendition)| {
                let mp4 = (rendition.name != crate::upload::playback::SOURCE_RENDITION_NAME)
                    .then(|| links.rendition_mp4(&video.hash_id, number, audience));
                RenditionRecord::new(rendition, mp4)
            })
            .collect(),
        images: ImageLinks::new(&links, &video.hash_id, audience),
        video: VideoRecord::new(&video, &links),
    }))
}
