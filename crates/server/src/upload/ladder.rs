//! The ffmpeg rendition ladder of a video that is already playable, as a durable job: a
//! `ladder` job is queued in the transaction that marks the video ready (the processing
//! worker's, or a synchronous upload's), only when this node has ffmpeg, and any worker that
//! has ffmpeg claims it like a processing job (lease renewed while it works, retried after a
//! crash or `kill -9` once the lease runs out). A node without ffmpeg never claims one; the
//! job waits for a node that has it.
//!
//! Each rung's HLS segments and faststart MP4 are stored, then the rung is appended to the HLS
//! index, so the master playlist gains renditions one by one. An attempt starts from the
//! packaged original alone, so a retried job rewrites the same rendition numbers instead of
//! adding duplicates. Its progress (`encoding`, `done`, `skipped`, `failed`) is kept in the
//! HLS index, and the watch record shows it to the owner. A failure never touches the video's
//! row: it stays playable from its original and the built-in HLS. Deleting the video deletes
//! its job row too; the worker then loses its lease (renewing or finishing fails), stops, and
//! deletes again whatever the attempt stored after the DELETE removed the video's objects.

use domain::lifecycle::ProcessingState;
use domain::video::Video;
use media::LadderState;
use store::StoreError;
use store::jobs::{self, ClaimedJob};
use store::media_store::MediaObject;
use store::videos;

use crate::state::AppState;
use crate::upload::playback::{SOURCE_RENDITION_NAME, hls_index, put_hls_index, store_rendition};
use crate::upload::worker::{FIRST_RETRY_AFTER, MAX_ATTEMPTS, keep_lease, later};

/// The name the packaged original's rendition has in the HLS index; every other one is a rung.

#[derive(Debug, thiserror::Error)]
enum LadderError {
    #[error(transparent)]
    Media(#[from] media::MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the ladder took longer than the job timeout")]
    TimedOut,
}

impl LadderError {
    /// What the owner sees: the kind of failure, not paths or tool output.
    fn for_owner(&self) -> String {
        match self {
            Self::Media(media::MediaError::Timeout { .. }) | Self::TimedOut => "timed out",
            Self::Media(media::MediaError::LimitExceeded(_)) => "exceeded a limit",
            Self::Media(_) => "ffmpeg could not encode the video",
            Self::Store(_) => "storage failed",
        }
        .into()
    }
}

/// Runs one claimed ladder job to its end: done (or skipped), retried later, or failed.
pub async fn run_job(state: &AppState, job: ClaimedJob) -> Result<(), StoreError> {
    let video = match videos::find_video(state.pool(), job.video_id).await {
        Ok(video) if video.state == ProcessingState::Ready => video,
        // Deleted (or not ready, which a ladder job never sees): nothing to do.
        Ok(_) | Err(StoreError::NotFound) => {
            return settled(jobs::finish_moot(state.pool(), &job).await);
        }
        Err(other) => return Err(other),
    };
    tracing::info!(job = job.id, video_id = %video.id, attempt = job.attempts, "making a rendition ladder");
    let work = tokio::time::timeout(state.settings.job_timeout, make(state, &video));
    let outcome = tokio::select! {
        outcome = work => outcome.unwrap_or(Err(LadderError::TimedOut)),
        lost = keep_lease(state, &job) => {
            // Dropping `make` stops this attempt's writes; the worker that retook it redoes them.
            tracing::warn!(job = job.id, error = %lost, "lost the ladder job's lease (retaken, or its video deleted); dropping the attempt");
            remove_if_deleted(state, &video).await;
            return Ok(());
        }
    };
    let finished = finish(state, &job, &video, outcome).await;
    remove_if_deleted(state, &video).await;
    settled(finished)
}

/// A claim that is no longer current is not an error of this worker: the job was retaken, or
/// its row went with its video.
fn settled(finished: Result<(), StoreError>) -> Result<(), StoreError> {
    match finished {
        Err(StoreError::LeaseLost(id)) => {
            tracing::info!(
                job = id,
                "the ladder job was retaken or its video deleted; not finishing it"
            );
            Ok(())
        }
        other => other,
    }
}

async fn finish(
    state: &AppState,
    job: &ClaimedJob,
    video: &Video,
    outcome: Result<usize, LadderError>,
) -> Result<(), StoreError> {
    // Fencing: only the current claim writes the outcome.
    jobs::renew_lease(
        state.pool(),
        job,
        later(state.clock.now(), state.settings.job_lease),
    )
    .await?;
    match outcome {
        Ok(rungs) => {
            let ladder = if rungs == 0 {
                tracing::info!(hash_id = %video.hash_id, "no ladder: the source is below the lowest rung");
                LadderState::Skipped
            } else {
                tracing::info!(hash_id = %video.hash_id, rungs, "rendition ladder stored");
                LadderState::Done
            };
            set_state(state, video, ladder).await?;
            jobs::finish_done(state.pool(), job).await
        }
        Err(LadderError::Store(error)) if job.attempts < MAX_ATTEMPTS => {
            let backoff = FIRST_RETRY_AFTER * 2u32.pow(job.attempts.saturating_sub(1));
            tracing::warn!(job = job.id, %error, ?backoff, "the rendition ladder failed; will retry");
            let error = error.to_string();
            jobs::retry_later(state.pool(), job, later(state.clock.now(), backoff), &error).await
        }
        Err(error) => {
            tracing::warn!(hash_id = %video.hash_id, %error, "the rendition ladder failed");
            if let Err(unrecorded) =
                set_state(state, video, LadderState::Failed(error.for_owner())).await
            {
                tracing::warn!(hash_id = %video.hash_id, error = %unrecorded, "could not record the ladder's failure");
            }
            jobs::finish_job_failed(state.pool(), job, &error.to_string()).await
        }
    }
}

/// A ladder job whose lease ran out with no attempts left: its workers died or hung. The
/// owner sees it failed; the video is untouched.
pub async fn fail_stuck(state: &AppState, job: &ClaimedJob) -> Result<(), StoreError> {
    let lease = state.settings.job_lease;
    jobs::renew_lease(state.pool(), job, later(state.clock.now(), lease)).await?;
    match videos::find_video(state.pool(), job.video_id).await {
        Ok(video) => {
            let failed = LadderState::Failed(LadderError::TimedOut.for_owner());
            if let Err(error) = set_state(state, &video, failed).await {
                tracing::warn!(hash_id = %video.hash_id, %error, "could not record the ladder's failure");
            }
            jobs::finish_job_failed(state.pool(), job, "stuck past the job timeout").await
        }
        Err(StoreError::NotFound) => jobs::finish_moot(state.pool(), job).await,
        Err(other) => Err(other),
    }
}

/// A video deleted while its ladder was made: the row went first, so its DELETE may have
/// removed its objects before this attempt stored some. Remove them again.
async fn remove_if_deleted(state: &AppState, video: &Video) {
    if let Err(StoreError::NotFound) = videos::find_video(state.pool(), video.id).await {
        tracing::info!(hash_id = %video.hash_id, "the video was deleted during its ladder; removing what was stored");
        if let Err(error) = state.media.delete_all(&video.hash_id).await {
            tracing::error!(hash_id = %video.hash_id, %error, "could not delete a deleted video's renditions");
        }
    }
}

async fn set_state(state: &AppState, video: &Video, ladder: LadderState) -> Result<(), StoreError> {
    let mut index = hls_index(state, &video.hash_id).await?.unwrap_or_default();
    index.ladder = Some(ladder);
    put_hls_index(state, &video.hash_id, &index).await
}

/// Encodes and stores the ladder; returns the number of rungs stored (0: skipped).
async fn make(state: &AppState, video: &Video) -> Result<usize, LadderError> {
    let original = state.media.local_original(&video.hash_id).await?;
    let slot = state.processing.enter_waiting().await;
    // The probe again: the processing job's copy is gone, and this is cheap next to encoding.
    let probe = state.pipeline.process(original.path()).await?.probe;
    let planned = media::rungs_for(probe.width, probe.height).len();
    if planned == 0 {
        return Ok(0);
    }
    // A retried attempt starts over from the packaged original alone.
    let mut index = hls_index(state, &video.hash_id).await?.unwrap_or_default();
    index
        .renditions
        .retain(|rendition| rendition.name == SOURCE_RENDITION_NAME);
    index.ladder = Some(LadderState::Encoding(planned));
    put_hls_index(state, &video.hash_id, &index).await?;
    let scratch = state.media.scratch_dir()?;
    let ladder = state
        .pipeline
        .encode_ladder(original.path(), &probe, scratch.path())
        .await?;
    drop(slot);
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
