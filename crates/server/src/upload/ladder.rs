//! The ffmpeg rendition ladder of a video that is already playable: run by the processing
//! worker right after it marks the upload ready (publishing never waits for it), under a
//! processing slot like every other ffmpeg run. Each rung's HLS segments and faststart MP4
//! are stored, then the rung is appended to the HLS index, so the master playlist gains
//! renditions one by one. A ladder that fails leaves the video as it was (playable from the
//! original and the built-in HLS); the failure is logged.
//!
//! Not durable yet: a crash between "ready" and the end of the ladder loses the ladder (it is
//! not a row in the job queue), and its progress is only in the logs.

use domain::video::Video;
use store::StoreError;
use store::media_store::MediaObject;

use crate::state::AppState;
use crate::upload::playback::{hls_index, store_rendition};

/// Makes and stores the ladder of `video`, when ffmpeg is available; logs the outcome.
pub async fn make_and_store(state: &AppState, video: &Video) {
    if !state.pipeline.ffmpeg_available() {
        return;
    }
    match run(state, video).await {
        Ok(0) => {
            tracing::info!(hash_id = %video.hash_id, "no ladder: the source is below the lowest rung")
        }
        Ok(rungs) => tracing::info!(hash_id = %video.hash_id, rungs, "rendition ladder stored"),
        Err(error) => {
            tracing::warn!(hash_id = %video.hash_id, %error, "the rendition ladder failed")
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum LadderError {
    #[error(transparent)]
    Media(#[from] media::MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn run(state: &AppState, video: &Video) -> Result<usize, LadderError> {
    let original = state.media.local_original(&video.hash_id).await?;
    let slot = state.processing.enter_waiting().await;
    // The probe again: the worker's copy is gone, and this is cheap next to encoding.
    let probe = state.pipeline.process(original.path()).await?.probe;
    let scratch = state.media.scratch_dir()?;
    let ladder = state
        .pipeline
        .encode_ladder(original.path(), &probe, scratch.path())
        .await?;
    drop(slot);
    let mut index = hls_index(state, &video.hash_id)
        .await?
        .unwrap_or(media::HlsIndex {
            renditions: Vec::new(),
        });
    let stored = ladder.len();
    for rung in ladder {
        let number = u16::try_from(index.renditions.len()).unwrap_or(u16::MAX);
        store_rendition(state, &video.hash_id, number, &rung.hls).await?;
        state
            .media
            .put_file(
                &video.hash_id,
                MediaObject::RenditionMp4 { rendition: number },
                &rung.mp4,
            )
            .await?;
        index.renditions.push(rung.hls.rendition);
        let json =
            serde_json::to_vec(&index).map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        state
            .media
            .put_bytes(&video.hash_id, MediaObject::HlsIndex, json)
            .await?;
    }
    Ok(stored)
}
