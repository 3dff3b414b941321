//! Images made on request (Mux-style), beside the thumbnail link and under the same rules:
//! `GET /video/{hash_id}/thumbnail.jpg|.webp` (`time`, `width`, `height`, `fit`),
//! `/animated.gif|.webp` (`start`, `width`) and `/storyboard.vtt` with its `/storyboard.jpg`.
//! A plain link works for listed public videos only (anything else is 404, as the thumbnail
//! link); a signed link (`exp`, `sig`, optional `for=owner`, covering the path) as the other
//! media links, so a private video's images are refused to anyone else. Parameters are
//! parsed by `domain::images` (refusals: 422 in FastAPI's shape); making and caching is
//! `crate::images`. The storyboard's sprite link inherits the VTT request's signature.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::images::{
    AnimationFormat, AnimationSpec, ImageKey, ImageParamError, StillFormat, StillSpec,
};
use domain::video::{Video, Visibility};
use store::media_store::MediaObject;

use crate::http::hashing::HashingBusy;
use crate::http::streaming;
use crate::images::{self, ImageError, SPRITE_NAME};
use crate::state::AppState;
use crate::upload::processing::RETRY_AFTER_SECONDS;
use crate::video_api::error::{ValidationIssue, VideoApiError};
use crate::video_api::links::{Audience, signed_query};
use crate::video_api::videos::media::{check_signature, ready_video, still_shown_to};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/video/{hash_id}/thumbnail.jpg", get(thumbnail_jpg))
        .route("/video/{hash_id}/thumbnail.webp", get(thumbnail_webp))
        .route("/video/{hash_id}/animated.gif", get(animated_gif))
        .route("/video/{hash_id}/animated.webp", get(animated_webp))
        .route("/video/{hash_id}/storyboard.vtt", get(storyboard_vtt))
        .route("/video/{hash_id}/storyboard.jpg", get(storyboard_jpg))
}

type QueryMap = Query<HashMap<String, String>>;

/// The video behind an image link, if this request may see it, and the link's audience
/// (`None` for a plain link).
async fn allowed(
    state: &AppState,
    hash_id: &str,
    uri: &Uri,
    query: &HashMap<String, String>,
) -> Result<(Video, Option<Audience>), VideoApiError> {
    let signed = query.contains_key("sig") || query.contains_key("exp");
    let audience = if signed {
        Some(check_signature(state, uri, query)?)
    } else {
        None
    };
    let video = ready_video(state, hash_id).await?;
    if !signed && video.visibility_for(None) != Visibility::Visible {
        // A plain link tells nothing about videos that are not public.
        return Err(VideoApiError::NotFound);
    }
    still_shown_to(&video, audience.unwrap_or(Audience::Anyone))?;
    Ok((video, audience))
}

fn refused(errors: Vec<ImageParamError>) -> VideoApiError {
    VideoApiError::Validation(
        errors
            .into_iter()
            .map(|e| ValidationIssue::new(&["query", e.param], e.message, "value_error"))
            .collect(),
    )
}

impl From<ImageError> for VideoApiError {
    fn from(error: ImageError) -> Self {
        match error {
            ImageError::Store(store) => store.into(),
            ImageError::Busy => VideoApiError::Busy(HashingBusy {
                retry_after: std::time::Duration::from_secs(RETRY_AFTER_SECONDS),
            }),
            ImageError::Media(media) => VideoApiError::Internal(media.to_string()),
        }
    }
}

/// Streams a stored image; made once, it never changes, so clients may keep it a day.
async fn serve(
    state: &AppState,
    video: &Video,
    object: MediaObject,
    mime: &str,
    headers: &HeaderMap,
) -> Result<Response, VideoApiError> {
    let mut response =
        streaming::serve(&state.media, &video.hash_id, object, mime, headers).await?;
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(response)
}

async fn still(
    state: AppState,
    hash_id: String,
    query: HashMap<String, String>,
    uri: Uri,
    headers: HeaderMap,
    format: StillFormat,
) -> Result<Response, VideoApiError> {
    let (video, _) = allowed(&state, &hash_id, &uri, &query).await?;
    let get = |name: &str| query.get(name).map(String::as_str);
    let duration = video.duration_seconds.unwrap_or(0.0);
    let spec = StillSpec::parse(&get, format, duration).map_err(refused)?;
    if spec.is_default_thumbnail() {
        // Today's thumbnail, as stored at processing.
        let object = MediaObject::SmallThumbnail;
        return serve(&state, &video, object, format.mime_type(), &headers).await;
    }
    let key = ImageKey::Still(spec);
    images::ensure(&state, &video, key).await?;
    serve(
        &state,
        &video,
        MediaObject::Image(key),
        format.mime_type(),
        &headers,
    )
    .await
}

/// Video Thumbnail (JPEG, on request)
#[utoipa::path(get, path = "/video/{hash_id}/thumbnail.jpg", tag = "video",
    params(("hash_id" = String, Path),
        ("time" = Option<f64>, Query, description = "Seconds into the video, 0 to its duration; without it the stored thumbnail's picture"),
        ("width" = Option<u32>, Query, description = "1 to 1920"),
        ("height" = Option<u32>, Query, description = "1 to 1920"),
        ("fit" = Option<String>, Query, description = "contain (default: the whole picture within width×height), cover (exactly width×height, centre cropped) or fill (exactly width×height, stretched)"),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "JPEG; without parameters today's thumbnail (fits within 360×200)"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "A parameter is out of bounds"),
        (status = 503, description = "Every decoding slot is busy; retry after Retry-After"),
    ))]
pub(crate) async fn thumbnail_jpg(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    still(state, hash_id, query, uri, headers, StillFormat::Jpeg).await
}

/// Video Thumbnail (WebP, on request)
#[utoipa::path(get, path = "/video/{hash_id}/thumbnail.webp", tag = "video",
    params(("hash_id" = String, Path), ("time" = Option<f64>, Query), ("width" = Option<u32>, Query),
        ("height" = Option<u32>, Query), ("fit" = Option<String>, Query),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "Lossless WebP, parameters as for thumbnail.jpg"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "A parameter is out of bounds"),
    ))]
pub(crate) async fn thumbnail_webp(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    still(state, hash_id, query, uri, headers, StillFormat::Webp).await
}

/// An animated preview in `format`: the same parameters, bounds and cache for both formats.
async fn animation(
    state: AppState,
    hash_id: String,
    query: HashMap<String, String>,
    uri: Uri,
    headers: HeaderMap,
    format: AnimationFormat,
) -> Result<Response, VideoApiError> {
    let (video, _) = allowed(&state, &hash_id, &uri, &query).await?;
    let get = |name: &str| query.get(name).map(String::as_str);
    let duration = video.duration_seconds.unwrap_or(0.0);
    let spec = AnimationSpec::parse(&get, format, duration).map_err(refused)?;
    let key = ImageKey::Animation(spec);
    images::ensure(&state, &video, key).await?;
    serve(
        &state,
        &video,
        MediaObject::Image(key),
        format.mime_type(),
        &headers,
    )
    .await
}

/// Animated Preview (GIF)
#[utoipa::path(get, path = "/video/{hash_id}/animated.gif", tag = "video",
    params(("hash_id" = String, Path),
        ("start" = Option<f64>, Query, description = "Seconds into the video (default 0), 0 to its duration"),
        ("width" = Option<u32>, Query, description = "1 to 320 (default 320); height follows the aspect ratio"),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "Looping GIF: up to 5 s from start at 10 frames per second"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "A parameter is out of bounds"),
        (status = 503, description = "Every decoding slot is busy; retry after Retry-After"),
    ))]
pub(crate) async fn animated_gif(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    animation(state, hash_id, query, uri, headers, AnimationFormat::Gif).await
}

/// Animated Preview (WebP)
#[utoipa::path(get, path = "/video/{hash_id}/animated.webp", tag = "video",
    params(("hash_id" = String, Path), ("start" = Option<f64>, Query), ("width" = Option<u32>, Query),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "Looping lossy WebP, parameters and frames as for animated.gif; several times smaller"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "A parameter is out of bounds"),
        (status = 503, description = "Every decoding slot is busy; retry after Retry-After"),
    ))]
pub(crate) async fn animated_webp(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    animation(state, hash_id, query, uri, headers, AnimationFormat::Webp).await
}

/// Storyboard (WebVTT)
#[utoipa::path(get, path = "/video/{hash_id}/storyboard.vtt", tag = "video",
    params(("hash_id" = String, Path),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "WebVTT: one cue per tile (every 2 s, longer for videos over 200 s so there are at most 100), together covering the whole duration, each `storyboard.jpg#xywh=x,y,w,h`"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn storyboard_vtt(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
) -> Result<Response, VideoApiError> {
    let (video, audience) = allowed(&state, &hash_id, &uri, &query).await?;
    let key = ImageKey::StoryboardVtt;
    images::ensure(&state, &video, key).await?;
    let bytes = state
        .media
        .get_bytes(&video.hash_id, MediaObject::Image(key))
        .await?;
    let mut vtt = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(audience) = audience {
        // The sprite link carries the same expiry and audience as this one.
        let sprite_path = format!("/video/{}/{SPRITE_NAME}", video.hash_id);
        let expiry = query.get("exp").map_or("", String::as_str);
        let signed = signed_query(&state.signer, &sprite_path, expiry, audience);
        vtt = vtt.replace(
            &format!("{SPRITE_NAME}#"),
            &format!("{SPRITE_NAME}?{signed}#"),
        );
    }
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/vtt; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
        ],
        vtt,
    )
        .into_response())
}

/// Storyboard Sprite (JPEG)
#[utoipa::path(get, path = "/video/{hash_id}/storyboard.jpg", tag = "video",
    params(("hash_id" = String, Path),
        ("exp" = Option<i64>, Query), ("for" = Option<String>, Query), ("sig" = Option<String>, Query)),
    responses(
        (status = 200, description = "The storyboard's tiles (160 px wide, 10 a row) in one JPEG"),
        (status = 403, description = "The link was altered or has expired, or the video is private"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn storyboard_jpg(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Query(query): QueryMap,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, VideoApiError> {
    let (video, _) = allowed(&state, &hash_id, &uri, &query).await?;
    let key = ImageKey::StoryboardSprite;
    images::ensure(&state, &video, key).await?;
    serve(
        &state,
        &video,
        MediaObject::Image(key),
        "image/jpeg",
        &headers,
    )
    .await
}
