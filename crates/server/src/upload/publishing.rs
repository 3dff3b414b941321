//! Turning a processed upload into a stored video, shared by both API surfaces and the
//! processing worker. Order matters for crash safety: bytes first (thumbnails, the playback
//! copies, then the original), the row last, so a row never exists without its bytes; if the row cannot be
//! written, the bytes are deleted again. With ffmpeg, the row commits with its ladder job, so
//! the ladder is made by the queue after the video is already playable.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::ids::{AccountId, HashId, UserId, VideoId};
use domain::text::{Description, FileName, Title};
use domain::video::Timestamp;
use rand::RngCore;
use store::StoreError;
use store::jobs;
use store::media_store::MediaObject;
use store::staging::StagedFile;
use store::videos::{MediaFacts, NewVideo};

use crate::state::AppState;
use crate::upload::playback;

fn random_id() -> String {
    let mut raw = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

/// A new random video id (96 bits).
pub fn new_hash_id() -> HashId {
    HashId::parse(&random_id()).expect("16 base64url characters")
}

/// A new random public user id (96 bits).
pub fn new_user_id() -> UserId {
    UserId::parse(&random_id()).expect("16 base64url characters")
}

pub fn media_facts(probe: &media::Probe) -> MediaFacts {
    MediaFacts {
        content_type: probe.mime_type.clone(),
        duration_seconds: probe.duration_seconds,
        width: probe.width,
        height: probe.height,
    }
}

/// Stores both thumbnails of a processed video.
pub async fn store_thumbnails(
    state: &AppState,
    hash_id: &HashId,
    thumbnails: &media::Thumbnails,
) -> Result<(), StoreError> {
    state
        .media
        .put_bytes(
            hash_id,
            MediaObject::SmallThumbnail,
            thumbnails.small.bytes.clone(),
        )
        .await?;
    state
        .media
        .put_bytes(
            hash_id,
            MediaObject::LargeThumbnail,
            thumbnails.large.bytes.clone(),
        )
        .await
}

/// What a synchronous upload (the Creator API) knows once processing succeeded.
pub struct ProcessedUpload<'a> {
    pub owner: AccountId,
    pub file_name: &'a FileName,
    pub title: &'a Title,
    pub description: &'a Description,
    pub processed: &'a media::Processed,
    pub listed_at: Option<Timestamp>,
}

/// Stores the bytes and the row of a processed upload; all or nothing.
pub async fn publish_processed(
    state: &AppState,
    upload: ProcessedUpload<'_>,
    staged: StagedFile,
) -> Result<VideoId, StoreError> {
    let hash_id = new_hash_id();
    let size_in_bytes = staged.len();
    let facts = media_facts(&upload.processed.probe);
    let stored = async {
        store_thumbnails(state, &hash_id, &upload.processed.thumbnails).await?;
        playback::prepare_and_store(state, &hash_id, staged.path(), &upload.processed.probe)
            .await?;
        state.media.put_original(&hash_id, staged).await?;
        jobs::insert_ready_video(
            state.pool(),
            NewVideo {
                hash_id: &hash_id,
                owner: upload.owner,
                file_name: upload.file_name,
                title: upload.title,
                description: upload.description,
                content_type: &facts.content_type,
                size_in_bytes,
                facts: Some(&facts),
                uploaded_at: state.clock.now(),
                listed_at: upload.listed_at,
            },
            state.pipeline.ffmpeg_available(),
        )
        .await
    }
    .await;
    if stored.is_ok() {
        crate::upload::worker::wake();
    }
    if stored.is_err()
        && let Err(error) = state.media.delete_all(&hash_id).await
    {
        tracing::error!(%hash_id, %error, "could not remove the bytes of a failed upload");
    }
    stored
}
