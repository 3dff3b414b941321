//! The Video API's JSON shapes: the compatibility contract with the original FastAPI service's
//! clients (`shared/seeds/001_…txt`). Field names follow the seed exactly; times are ISO 8601
//! UTC; `duration_seconds` is whole seconds (rounded) as the seed's `integer` says.

use domain::ids::HashId;
use domain::lifecycle::ProcessingState;
use domain::video::Video;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::http::timefmt;
use crate::video_api::links::{Audience, Links};

/// A processed video (a draft while `listing_time` is null).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Video)]
pub struct VideoRecord {
    pub hash_id: String,
    pub user_id: String,
    pub file_name: String,
    pub upload_time: String,
    pub title: String,
    pub description: String,
    pub size_in_bytes: u64,
    pub duration_seconds: i64,
    pub video_type: String,
    /// Working URL of the small thumbnail; signed and expiring unless the video is listed
    /// and public.
    pub thumbnail_url: String,
    pub is_private: bool,
    pub listing_time: Option<String>,
}

impl VideoRecord {
    pub fn new(video: &Video, links: &Links) -> Self {
        Self {
            hash_id: video.hash_id.to_string(),
            user_id: video.owner_public_id.to_string(),
            file_name: video.file_name.as_str().to_owned(),
            upload_time: timefmt::iso8601(video.uploaded_at),
            title: video.title.as_str().to_owned(),
            description: video.description.as_str().to_owned(),
            size_in_bytes: video.size_in_bytes,
            duration_seconds: video.duration_seconds.map_or(0, |s| s.round() as i64),
            video_type: video.content_type.clone(),
            thumbnail_url: links.thumbnail(video),
            is_private: video.is_private,
            listing_time: video.listed_at.map(timefmt::iso8601),
        }
    }
}

/// An upload still processing (`failure_reason` null) or one that failed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UnprocessedVideo)]
pub struct UnprocessedVideoRecord {
    pub hash_id: String,
    pub user_id: String,
    pub file_name: String,
    pub upload_time: String,
    pub failure_reason: Option<String>,
}

impl UnprocessedVideoRecord {
    pub fn new(video: &Video) -> Self {
        let failure_reason = match video.state {
            ProcessingState::Failed(reason) => Some(reason.message().to_owned()),
            ProcessingState::Processing | ProcessingState::Ready => None,
        };
        Self {
            hash_id: video.hash_id.to_string(),
            user_id: video.owner_public_id.to_string(),
            file_name: video.file_name.as_str().to_owned(),
            upload_time: timefmt::iso8601(video.uploaded_at),
            failure_reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideosPage {
    pub videos: Vec<VideoRecord>,
    /// Pass back as `next` for the following page; null on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserVideosList {
    pub unprocessed_videos: Vec<UnprocessedVideoRecord>,
    pub videos: Vec<VideoRecord>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WatchVideoRecord {
    /// Signed, expiring link that streams the video as MP4 (HTTP ranges supported; index
    /// first, so playback starts before the whole file arrives).
    pub watchable_url: String,
    /// Signed, expiring link to the HLS master playlist (fragmented MP4 segments); every
    /// link inside it is signed with the same expiry. Null when the video has no HLS
    /// renditions (a format the built-in packager does not handle).
    pub hls_url: Option<String>,
    /// The HLS renditions, in master playlist order.
    pub renditions: Vec<RenditionRecord>,
    /// The ffmpeg rendition ladder's progress; only for the video's owner, null otherwise
    /// and when this instance makes no ladder.
    pub ladder: Option<LadderRecord>,
    /// Images made on request, signed for the same reader and expiry as `watchable_url`.
    pub images: ImageLinks,
    pub video: VideoRecord,
}

/// Signed links to a video's images made on request (Mux-style). The signature covers the
/// path, so the query parameters may be added: `time`, `width`, `height`, `fit` for the
/// thumbnails, `start` and `width` for the animations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageLinks {
    pub thumbnail_jpg_url: String,
    pub thumbnail_webp_url: String,
    pub animated_gif_url: String,
    pub animated_webp_url: String,
    /// A WebVTT file whose cues point into one sprite image, for scrubbing previews.
    pub storyboard_vtt_url: String,
}

impl ImageLinks {
    pub fn new(links: &Links, hash_id: &HashId, audience: Audience) -> Self {
        Self {
            thumbnail_jpg_url: links.image(hash_id, "thumbnail.jpg", audience),
            thumbnail_webp_url: links.image(hash_id, "thumbnail.webp", audience),
            animated_gif_url: links.image(hash_id, "animated.gif", audience),
            animated_webp_url: links.image(hash_id, "animated.webp", audience),
            storyboard_vtt_url: links.image(hash_id, "storyboard.vtt", audience),
        }
    }
}

/// Where the rendition ladder is.
#[derive(Debug, Serialize, ToSchema)]
pub struct LadderRecord {
    /// `queued`, `encoding`, `done`, `skipped` (the source is below 360p) or `failed`.
    pub state: &'static str,
    /// While encoding, the rungs still to come; when failed, why.
    pub detail: Option<String>,
}

impl From<&media::LadderState> for LadderRecord {
    fn from(ladder: &media::LadderState) -> Self {
        let (state, detail) = match ladder {
            media::LadderState::Queued => ("queued", None),
            media::LadderState::Encoding(left) => ("encoding", Some(left.to_string())),
            media::LadderState::Done => ("done", None),
            media::LadderState::Skipped => ("skipped", None),
            media::LadderState::Failed(why) => ("failed", Some(why.clone())),
        };
        Self { state, detail }
    }
}

/// One HLS rendition of a video.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenditionRecord {
    /// `source` for the original's own samples.
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Peak bit rate, bits per second.
    pub bandwidth: u64,
    /// RFC 6381 codecs, e.g. `avc1.64001e,mp4a.40.2`.
    pub codecs: String,
    /// Signed link to this rendition as one faststart MP4 (ladder renditions; null for
    /// `source`, whose MP4 is `watchable_url`).
    pub mp4_url: Option<String>,
}

impl RenditionRecord {
    pub fn new(rendition: &media::Rendition, mp4_url: Option<String>) -> Self {
        Self {
            name: rendition.name.clone(),
            width: rendition.width,
            height: rendition.height,
            bandwidth: rendition.bandwidth,
            codecs: rendition.codecs.clone(),
            mp4_url,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VideoUploadConfigRecord {
    pub max_size_in_bytes: u64,
    pub valid_file_types: Vec<String>,
}

/// Instructions for a browser form post, like an S3 presigned POST: send
/// `multipart/form-data` to `url` with every field of `signatures`, then `file`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileUploadSignedInstructions {
    pub url: String,
    pub signatures: BTreeMap<String, String>,
}

/// `GET /health_check`: an empty object.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {}
