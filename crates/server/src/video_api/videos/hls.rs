//! A video's HLS files behind signed links, with the same rules as the other media links
//! (a link that does not verify is 403; a link given to anyone stops when the video is made
//! private or unlisted): `GET /media/{hash_id}/hls/master.m3u8`, then per rendition
//! `…/hls/{n}/playlist.m3u8`, `…/hls/{n}/init.mp4` and `…/hls/{n}/{k}.m4s` (and for a
//! ladder rung `…/hls/{n}/video.mp4`). The playlists are
//! rendered per request, every link in them signed for the same audience and expiry as the
//! link that fetched them, so a watch link's HLS tree expires all at once.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::ids::HashId;
use store::media_store::MediaObject;

use super::media::{check_signature, ready_video, still_shown_to};
use crate::http::streaming;
use crate::state::AppState;
use crate::upload::playback::{packaged_file, served_hls_index};
use crate::video_api::error::VideoApiError;
use crate::video_api::links::{Audience, hls_prefix, signed_query};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/{hash_id}/hls/master.m3u8", get(master))
        .route(
            "/media/{hash_id}/hls/{rendition}/{file}",
            get(rendition_file),
        )
}

const PLAYLIST_TYPE: &str = "application/vnd.apple.mpegurl";

/// HLS Master Playlist (signed link)
#[utoipa::path(get, path = "/media/{hash_id}/hls/master.m3u8", tag = "video",
    params(("hash_id" = String, Path), ("exp" = i64, Query), ("sig" = String, Query)),
    responses(
        (status = 200, description = "The master playlist; its links are signed with the same expiry", content_type = "application/vnd.apple.mpegurl"),
        (status = 403, description = "The link was altered or has expired"),
        (status = 404, description = "Not Found, or the video has no HLS renditions"),
    ))]
pub(crate) async fn master(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
) -> Result<Response, VideoApiError> {
    let (hash_id, audience, expiry) = allowed(&state, &hash_id, &uri, &query).await?;
    let index = served_hls_index(&state, &hash_id)
        .await?
        .filter(|index| !index.renditions.is_empty())
        .ok_or(VideoApiError::NotFound)?;
    let prefix = hls_prefix(&hash_id);
    let text = media::master_playlist(&index, signed_under(&state, &prefix, &expiry, audience));
    Ok(playlist(text))
}

/// HLS Rendition Files (signed links from the master playlist)
#[utoipa::path(get, path = "/media/{hash_id}/hls/{rendition}/{file}", tag = "video",
    params(
        ("hash_id" = String, Path),
        ("rendition" = u16, Path),
        ("file" = String, Path, description = "`playlist.m3u8`, `init.mp4`, `<n>.m4s`, or `video.mp4` (a ladder rung as one faststart MP4)"),
        ("exp" = i64, Query), ("sig" = String, Query)),
    responses(
        (status = 200, description = "The media playlist, the init segment or a media segment"),
        (status = 206, description = "The requested byte range of a segment"),
        (status = 403, description = "The link was altered or has expired"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn rendition_file(
    State(state): State<AppState>,
    Path((hash_id, rendition, file)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    let (hash_id, audience, expiry) = allowed(&state, &hash_id, &uri, &query).await?;
    let rendition: u16 = rendition.parse().map_err(|_| VideoApiError::NotFound)?;
    let object = match file.as_str() {
        "playlist.m3u8" => {
            let facts = rendition_facts(&state, &hash_id, rendition).await?;
            let prefix = format!("{}/{rendition}", hls_prefix(&hash_id));
            let text =
                media::media_playlist(&facts, signed_under(&state, &prefix, &expiry, audience));
            return Ok(playlist(text));
        }
        "init.mp4" => MediaObject::HlsInit { rendition },
        "video.mp4" => MediaObject::RenditionMp4 { rendition },
        segment => {
            let number = segment
                .strip_suffix(".m4s")
                .filter(|n| !n.starts_with('0') && n.len() <= 9)
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or(VideoApiError::NotFound)?;
            let facts = rendition_facts(&state, &hash_id, rendition).await?;
            if let Some(media::SegmentParts { head, data }) = facts.segment_parts(number) {
                // The head is in the rendition's heads file; the media data in the packaged
                // file.
                let heads = MediaObject::HlsHeads { rendition };
                let head = state.media.get_range(&hash_id, heads, head).await?;
                let source = packaged_file(rendition, &facts);
                let tag = format!("hls-{rendition}-{number}");
                return Ok(streaming::serve_joined(
                    &state.media,
                    &hash_id,
                    (head, &tag),
                    (source, data),
                    "video/mp4",
                    &headers,
                )
                .await?);
            }
            MediaObject::HlsSegment { rendition, number }
        }
    };
    Ok(streaming::serve(&state.media, &hash_id, object, "video/mp4", &headers).await?)
}

/// Rendition `rendition` of the video's stored HLS index; 404 when there is none.
async fn rendition_facts(
    state: &AppState,
    hash_id: &HashId,
    rendition: u16,
) -> Result<media::Rendition, VideoApiError> {
    served_hls_index(state, hash_id)
        .await?
        .and_then(|index| index.renditions.get(usize::from(rendition)).cloned())
        .ok_or(VideoApiError::NotFound)
}

/// Signs a link relative to `prefix` with the expiry and audience of the link being served,
/// so the links inside a playlist stop together with it.
fn signed_under<'a>(
    state: &'a AppState,
    prefix: &'a str,
    expiry: &'a str,
    audience: Audience,
) -> impl Fn(&str) -> String + 'a {
    move |relative| {
        let path = format!("{prefix}/{relative}");
        let query = signed_query(&state.signer, &path, expiry, audience);
        format!("{relative}?{query}")
    }
}

/// The checks every HLS request passes: a valid signature, a ready video still shown to the
/// link's audience. Returns the id, the audience and the link's expiry (for the links inside).
async fn allowed(
    state: &AppState,
    raw_hash_id: &str,
    uri: &Uri,
    query: &HashMap<String, String>,
) -> Result<(HashId, Audience, String), VideoApiError> {
    let audience = check_signature(state, uri, query)?;
    let video = ready_video(state, raw_hash_id).await?;
    still_shown_to(&video, audience)?;
    let expiry = query.get("exp").cloned().unwrap_or_default();
    Ok((video.hash_id, audience, expiry))
}

fn playlist(text: String) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(PLAYLIST_TYPE)),
            // The links inside expire; a cached copy must not outlive them.
            (CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
        ],
        text,
    )
        .into_response()
}
