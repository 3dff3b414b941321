//! The media links the Video API hands out: `GET /media/{hash_id}/original` (a signed watch
//! link; it streams the faststart copy when the upload's index was at its end) and `GET /media/{hash_id}/thumbnail.jpg` (plain for listed public videos, signed for
//! drafts and private ones). Both stream with ranges and ETags. A link that does not verify is
//! 403, whatever the video; a video that is gone or not processed is 404. On S3 both answer,
//! after those checks, a 307 to a presigned GET expiring no later than the link itself.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use domain::ids::HashId;
use domain::lifecycle::ProcessingState;
use domain::video::{Video, Visibility};
use store::media_store::MediaObject;
use store::videos;

use crate::http::headers::inline_disposition;
use crate::http::playback;
use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::links::{self, Audience};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/{hash_id}/original", get(original))
        .route("/media/{hash_id}/thumbnail.jpg", get(thumbnail))
}

/// Stream Video (signed link)
#[utoipa::path(get, path = "/media/{hash_id}/original", tag = "video",
    params(("hash_id" = String, Path), ("exp" = i64, Query), ("sig" = String, Query)),
    responses(
        (status = 200, description = "The whole video"),
        (status = 206, description = "The requested byte range"),
        (status = 403, description = "The link was altered or has expired"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn original(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    let audience = check_signature(&state, &uri, &query)?;
    let video = ready_video(&state, &hash_id).await?;
    still_shown_to(&video, audience)?;
    let mp4 = state.media.playable_mp4(&video.hash_id).await?;
    Ok(playback::serve(
        &state.media,
        &video.hash_id,
        mp4,
        &video.content_type,
        inline_disposition(video.file_name.as_str(), "video"),
        &headers,
        link_remaining(&state, &query),
    )
    .await?)
}

/// Video Thumbnail
#[utoipa::path(get, path = "/media/{hash_id}/thumbnail.jpg", tag = "video",
    params(("hash_id" = String, Path), ("exp" = Option<i64>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "JPEG, fits within 360×200"),
        (status = 403, description = "The link was altered or has expired"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn thumbnail(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    let signed = query.contains_key("sig") || query.contains_key("exp");
    let audience = if signed {
        check_signature(&state, &uri, &query)?
    } else {
        Audience::Anyone
    };
    let video = ready_video(&state, &hash_id).await?;
    if !signed && video.visibility_for(None) != Visibility::Visible {
        // A plain link tells nothing about videos that are not public.
        return Err(VideoApiError::NotFound);
    }
    still_shown_to(&video, audience)?;
    let ttl = if signed {
        link_remaining(&state, &query)
    } else {
        state.settings.watch_link_ttl
    };
    Ok(playback::serve(
        &state.media,
        &video.hash_id,
        MediaObject::SmallThumbnail,
        "image/jpeg",
        inline_disposition(&format!("{}.jpg", video.hash_id), "thumbnail.jpg"),
        &headers,
        ttl,
    )
    .await?)
}

pub(crate) fn check_signature(
    state: &AppState,
    uri: &Uri,
    query: &HashMap<String, String>,
) -> Result<Audience, VideoApiError> {
    let field = |name: &str| query.get(name).map_or("", String::as_str);
    links::verify(
        &state.signer,
        uri.path(),
        field("exp"),
        query.get("for").map(String::as_str),
        field("sig"),
        state.clock.now(),
    )
    .map_err(|e| VideoApiError::Forbidden(e.to_string()))
}

/// What is left of a verified link's life (its `exp`, unix seconds).
fn link_remaining(state: &AppState, query: &HashMap<String, String>) -> std::time::Duration {
    let expires_at = query
        .get("exp")
        .and_then(|exp| exp.parse::<i64>().ok())
        .unwrap_or(0);
    playback::remaining(expires_at, state.clock.now().as_seconds())
}

/// A link given to anyone shows the video only while it is still public and listed: made
/// private it is 403, unlisted (back to a draft) 404, as the watch record would answer now.
pub(crate) fn still_shown_to(video: &Video, audience: Audience) -> Result<(), VideoApiError> {
    match (audience, video.visibility_for(None)) {
        (Audience::Owner, _) | (Audience::Anyone, Visibility::Visible) => Ok(()),
        (Audience::Anyone, Visibility::Private) => {
            Err(VideoApiError::Forbidden("this video is private".into()))
        }
        (Audience::Anyone, Visibility::Hidden) => Err(VideoApiError::NotFound),
    }
}

pub(crate) async fn ready_video(state: &AppState, raw: &str) -> Result<Video, VideoApiError> {
    let hash_id = HashId::parse(raw).map_err(|_| VideoApiError::NotFound)?;
    let video = videos::find_video_by_hash(state.pool(), &hash_id).await?;
    if video.state == ProcessingState::Ready {
        Ok(video)
    } else {
        Err(VideoApiError::NotFound)
    }
}
