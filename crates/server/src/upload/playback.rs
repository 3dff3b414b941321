//! Making a processed upload play fast, as part of processing: the media pipeline writes a
//! faststart copy (when the original's index is at its end) and HLS segments into a scratch
//! directory, and they are moved into the media store here, the HLS index last (its presence
//! means the segments are all there). The video is playable as MP4 and HLS when this returns.
//!
//! A file the packager cannot handle is not a failed upload: it was already accepted, and it
//! plays from its original; that is logged. Storage errors are returned, so the caller's
//! retry or cleanup applies.

use std::path::Path;

use domain::ids::HashId;
use store::StoreError;
use store::media_store::MediaObject;

use crate::state::AppState;

/// The rendition number of the packaged original (ladder rungs would follow it).
const SOURCE_RENDITION: u16 = 0;
/// The packaged original's rendition name (a video that is not H.264 has none, and its
/// first ladder rung is rendition 0).
pub const SOURCE_RENDITION_NAME: &str = "source";

/// The stored file rendition `number` was packaged from, where its segments' media data is
/// ([`media::Rendition::segment_data`]): the original for the packaged original, the rung's
/// faststart MP4 for a ladder rung.
pub fn packaged_file(number: u16, rendition: &media::Rendition) -> MediaObject {
    if rendition.name == SOURCE_RENDITION_NAME {
        MediaObject::Original
    } else {
        MediaObject::RenditionMp4 { rendition: number }
    }
}

/// Packages `source` (accepted as `probe`) and stores what was made for `hash_id`.
pub async fn prepare_and_store(
    state: &AppState,
    hash_id: &HashId,
    source: &Path,
    probe: &media::Probe,
) -> Result<(), StoreError> {
    let scratch = state.media.scratch_dir()?;
    let playback = match state
        .pipeline
        .prepare_playback(source, probe, scratch.path())
        .await
    {
        Ok(playback) => playback,
        Err(media::MediaError::Io(error)) => return Err(StoreError::Io(error)),
        Err(error) => {
            tracing::warn!(%hash_id, %error, "could not package the video; it plays from its original");
            return Ok(());
        }
    };
    if let Some(faststart) = &playback.faststart {
        state
            .media
            .put_file(hash_id, MediaObject::Faststart, faststart)
            .await?;
    }
    if let Some(hls) = playback.hls {
        store_rendition(state, hash_id, SOURCE_RENDITION, &hls).await?;
        let index = media::HlsIndex {
            renditions: vec![hls.rendition],
            // With ffmpeg, the ladder job commits with the video's "ready".
            ladder: state
                .pipeline
                .ffmpeg_available()
                .then_some(media::LadderState::Queued),
        };
        put_hls_index(state, hash_id, &index).await?;
    }
    Ok(())
}

/// Stores `index` as the video's HLS index (the playlists change with the next request).
pub async fn put_hls_index(
    state: &AppState,
    hash_id: &HashId,
    index: &media::HlsIndex,
) -> Result<(), StoreError> {
    let json = serde_json::to_vec(index).map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
    state
        .media
        .put_bytes(hash_id, MediaObject::HlsIndex, json)
        .await
}

/// Stores the segments (or their heads), then the init segment, of HLS rendition
/// `rendition`.
pub async fn store_rendition(
    state: &AppState,
    hash_id: &HashId,
    rendition: u16,
    hls: &media::HlsPackage,
) -> Result<(), StoreError> {
    if let Some(heads) = &hls.heads {
        let object = MediaObject::HlsHeads { rendition };
        state.media.put_file(hash_id, object, heads).await?;
    }
    for (index, segment) in hls.segments.iter().enumerate() {
        let object = MediaObject::HlsSegment {
            rendition,
            number: index as u32 + 1,
        };
        state.media.put_file(hash_id, object, segment).await?;
    }
    let init = MediaObject::HlsInit { rendition };
    state.media.put_file(hash_id, init, &hls.init).await
}

/// The stored HLS index of a video, `None` when it has none.
pub async fn hls_index(
    state: &AppState,
    hash_id: &HashId,
) -> Result<Option<media::HlsIndex>, StoreError> {
    match state.media.get_bytes(hash_id, MediaObject::HlsIndex).await {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(index) => Ok(Some(index)),
            Err(error) => {
                tracing::error!(%hash_id, %error, "unreadable HLS index; serving no HLS");
                Ok(None)
            }
        },
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other),
    }
}
