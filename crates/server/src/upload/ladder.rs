//! The ffmpeg rendition ladder of a video that is already playable: run by the processing
//! worker right after it marks the upload ready (publishing never waits for it), under a
//! processing slot like every other ffmpeg run. Each rung's HLS segments and faststart MP4
//! are stored, then the rung is appended to the HLS index, so the master playlist gains
//! renditions one by one. A ladder that fails leaves the video as it was (playable from the
//! original and the built-in HLS); the failure is logged.
//!
//! Its progress (`encoding`, `done`, `skipped`, `failed`) is kept in the HLS index, and the
//! watch record shows it to the owner. Not durable yet: a crash between "ready" and the end
//! of the ladder loses the ladder (it is not a row in the job queue) and leaves `encoding`.

use domain::video::Video;
use media::LadderState;
use store::StoreError;
use store::media_store::MediaObject;

use crate::state::AppState;
use crate::upload::playback::{hls_index, put_hls_index, store_rendition};

/// Makes and stores the ladder of `video`, when ffmpeg is available. Its progress and its
/// outcome are kept in the HLS index for the owner to see (and logged).
pub async fn make_and_store(state: &AppState, video: &Video) {
    if !state.pipeline.ffmpeg_available() {
        return;
    }
    let outcome = match run(state, video).await {
        Ok(0) => {
            tracing::info!(hash_id = %video.hash_id, "no ladder: the source is below the lowest rung");
            LadderState::Skipped
        }
        Ok(rungs) => {
            tracing::info!(hash_id = %video.hash_id, rungs, "rendition ladder stored");
            LadderState::Done
        }
        Err(error) => {
            tracing::warn!(hash_id = %video.hash_id, %error, "the rendition ladder failed");
            // What the owner sees: the kind of failure, not paths or tool output.
            LadderState::Failed(match error {
                LadderError::Media(media::MediaError::Timeout { .. }) => "timed out".into(),
                LadderError::Media(media::MediaError::LimitExceeded(_)) => {
                    "exceeded a limit".into()
                }
                LadderError::Media(_) => "ffmpeg could not encode the video".into(),
                LadderError::Store(_) => "storage failed".into(),
            })
        }
    };
    if let Err(error) = set_state(state, video, outcome).await {
        tracing::warn!(hash_id = %video.hash_id, %error, "could not record the ladder's outcome");
    }
}

#[derive(Debug, thiserror::Error)]
enum LadderError {
    #[error(transparent)]
    Media(#[from] media::MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn set_state(state: &AppState, video: &Video, ladder: LadderState) -> Result<(), StoreError> {
    let mut index = hls_index(state, &video.hash_id).await?.unwrap_or_default();
    index.ladder = Some(ladder);
    put_hls_index(state, &video.hash_id, &index).await
}

async fn run(state: &AppState, video: &Video) -> Result<usize, LadderError> {
    let original = state.media.local_original(&video.hash_id).await?;
    let slot = state.processing.enter_waiting().await;
    // The probe again: the worker's copy is gone, and this is cheap next to encoding.
    let probe = state.pipeline.process(original.path()).await?.probe;
    let planned = media::rungs_for(probe.width, probe.height).len();
    if planned == 0 {
        return Ok(0);
    }
    set_state(state, video, LadderState::Encoding(planned)).await?;
    let scratch = state.media.scratch_dir()?;
    let ladder = state
        .pipeline
        .encode_ladder(original.path(), &probe, scratch.path())
        .await?;
    drop(slot);
    let mut index = hls_index(state, &video.hash_id).await?.unwrap_or_default();
    let stored = ladder.len();
    for (done, rung) in ladder.into_iter().enumerate() {
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
        index.ladder = Some(LadderState::Encoding(stored - done - 1));
        put_hls_index(state, &video.hash_id, &index).await?;
    }
    Ok(stored)
}
