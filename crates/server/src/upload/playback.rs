//! Making a processed upload play fast, as part of processing: the media pipeline writes a
//! faststart copy (when the original's index is at its end) and HLS segments into a scratch
//! directory, and they are moved into the media store here, the HLS index last (its presence
//! means the segments are all there). The video is playable as MP4 and HLS when this returns.
//!
//! A file the packager cannot handle is not a failed upload: it was already accepted, and it
//! plays from its original; that is logged. Storage errors are returned, so the caller's
//! retry or cleanup applies.
//!
//! The index is also read here for serving: briefly cached per node ([`HlsIndexes`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use domain::ids::HashId;
use store::StoreError;
use store::media_store::MediaObject;

use crate::clock::Clock;
use crate::state::AppState;
use crate::ttl_cache::TtlCache;

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
        .await?;
    state.hls_indexes.0.forget(hash_id);
    Ok(())
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

/// How long a served HLS index is trusted: a rung another node adds shows up in this node's
/// master playlist within it (this node's own changes at once).
pub const HLS_INDEX_TTL: Duration = Duration::from_secs(5);
/// Indexes kept at most (a few KB each).
const HLS_INDEX_CAPACITY: usize = 4096;

/// The HLS indexes the watch record and the playlist and segment routes read, so a segment
/// request does not fetch the index from the object store each time (a round trip on S3).
/// A video without an index is cached as such too.
pub struct HlsIndexes(TtlCache<Option<Arc<media::HlsIndex>>>);

impl HlsIndexes {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self(TtlCache::new(clock, HLS_INDEX_TTL, HLS_INDEX_CAPACITY))
    }
}

/// The video's HLS index for serving it: from this node's cache while fresh. Reads that
/// change the index use [`hls_index`].
pub async fn served_hls_index(
    state: &AppState,
    hash_id: &HashId,
) -> Result<Option<Arc<media::HlsIndex>>, StoreError> {
    if let Some(cached) = state.hls_indexes.0.get(hash_id) {
        return Ok(Option::clone(&cached));
    }
    let index = hls_index(state, hash_id).await?.map(Arc::new);
    state
        .hls_indexes
        .0
        .insert(hash_id.clone(), Arc::new(index.clone()));
    Ok(index)
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
