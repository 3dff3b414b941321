//! The processing workers: in-process tasks that take upload jobs from the durable queue in
//! the database ([`store::jobs`]), run the media pipeline and record the outcome. Because the
//! queue is a table, any number of nodes can run workers against one PostgreSQL database, and
//! a restart loses nothing: a job held by a worker that died is claimed again once its lease
//! runs out.
//!
//! One job: read the stored original → probe and thumbnail it → store the thumbnails and the
//! playback copies (faststart MP4, HLS segments) → mark
//! the video ready (a draft) and the job done in one transaction. A file the pipeline refuses
//! fails with one of the fixed reasons and its bytes are deleted; a transient error (I/O, the
//! database, the object store) is retried with exponential backoff up to [`MAX_ATTEMPTS`]
//! times; a job that runs past `job_timeout`, or whose lease expired with no attempts left,
//! fails with `Internal error, please try again later`.
//!
//! Workers wake at once when an upload is queued: in this process through [`wake`], and on
//! PostgreSQL from any process through `LISTEN`/`NOTIFY` ([`store::wakeups`]); otherwise they
//! poll every `job_poll_seconds` (due retries, reclaimed leases, a missed notification).
//! This module does not decide what a video is; the media pipeline does.
//!
//! Ladder jobs (queued with "ready" when ffmpeg is on) are claimed from the same queue, only
//! by workers that have ffmpeg, and run by [`ladder::run_job`].

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use domain::lifecycle::{FailureReason, ProcessingState};
use domain::video::{Timestamp, Video};
use store::StoreError;
use store::jobs::{self, ClaimTerms, ClaimedJob, JobKind};
use store::videos::{self, MediaFacts};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::state::AppState;
use crate::upload::refusal::MediaRefusal;
use crate::upload::{ladder, playback, publishing};

/// Attempts a job gets before a transient problem becomes a failure.
pub const MAX_ATTEMPTS: u32 = 3;
/// Backoff before the second attempt; doubled for each further one.
pub(crate) const FIRST_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Wakes every idle worker in this process. One process-wide signal is enough: a woken worker
/// only looks at its own database, and spurious wake-ups cost one query.
static WAKE: Notify = Notify::const_new();

/// Tells idle workers that a job was queued.
pub fn wake() {
    WAKE.notify_waiters();
}

/// What this process's workers are doing: how many run, and how often one looked for a due
/// job and found none. Tests wait on the latter to know a worker has looked at the queue (at
/// the injected clock's time) instead of sleeping past a poll interval.
#[derive(Debug, Default)]
pub struct WorkerActivity {
    running: AtomicUsize,
    idle_looks: AtomicU64,
    looked: Notify,
}

impl WorkerActivity {
    /// Workers started in this process.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Looks at the queue that found no due job, since start.
    pub fn idle_looks(&self) -> u64 {
        self.idle_looks.load(Ordering::SeqCst)
    }

    /// Waits until the workers have looked and found nothing more than `seen` times.
    pub async fn wait_for_idle_looks_past(&self, seen: u64) {
        loop {
            let looked = self.looked.notified();
            tokio::pin!(looked);
            looked.as_mut().enable();
            if self.idle_looks() > seen {
                return;
            }
            looked.await;
        }
    }

    fn found_nothing(&self) {
        self.idle_looks.fetch_add(1, Ordering::SeqCst);
        self.looked.notify_waiters();
    }
}

/// Starts `settings.processing_workers` workers in `tasks`, and on PostgreSQL the listener
/// that wakes them when any process queues a job. (Stuck jobs are swept once per platform, by
/// the leader: [`sweep_stuck`].)
pub fn spawn(state: &AppState, tasks: &mut JoinSet<()>) {
    if state.settings.processing_workers == 0 {
        return;
    }
    for worker in 0..state.settings.processing_workers {
        state.workers.running.fetch_add(1, Ordering::SeqCst);
        tasks.spawn(work_forever(state.clone(), worker));
    }
    if state.db.backend() == store::database::Backend::Postgres {
        tasks.spawn(listen_forever(state.clone()));
    }
}

/// Wakes this process's workers on every job notification; reconnects after a failure (the
/// poll covers the gap).
async fn listen_forever(state: AppState) {
    let url = state.pool().connect_options().database_url.to_string();
    loop {
        match store::wakeups::JobListener::connect(&url).await {
            Ok(mut listener) => {
                tracing::info!("listening for queued jobs");
                wake();
                while listener.next().await.is_ok() {
                    wake();
                }
                tracing::warn!("lost the job notification connection; reconnecting");
            }
            Err(error) => tracing::warn!(%error, "could not listen for queued jobs"),
        }
        tokio::time::sleep(state.settings.job_poll).await;
    }
}

async fn work_forever(state: AppState, worker: usize) {
    loop {
        // Registered before looking, so a wake-up between the look and the wait is kept.
        let woken = WAKE.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match run_next(&state).await {
            Ok(true) => continue,
            Ok(false) => state.workers.found_nothing(),
            Err(error) => tracing::warn!(worker, %error, "processing worker could not take a job"),
        }
        tokio::select! {
            () = &mut woken => {}
            () = tokio::time::sleep(state.settings.job_poll) => {}
        }
    }
}

/// Claims and runs one due job; `false` when there was none.
pub async fn run_next(state: &AppState) -> Result<bool, StoreError> {
    let Some(job) = jobs::claim_next(&state.db, claim_terms(state)).await? else {
        return Ok(false);
    };
    run(state, job).await?;
    Ok(true)
}

/// Runs a job already claimed (by [`run_next`], or by a test standing in for another node).
pub async fn run_claimed(state: &AppState, job: ClaimedJob) -> Result<(), StoreError> {
    run(state, job).await
}

/// The terms of a claim made now.
pub fn claim_terms(state: &AppState) -> ClaimTerms {
    let now = state.clock.now();
    ClaimTerms {
        now,
        locked_until: later(now, state.settings.job_lease),
        max_attempts: MAX_ATTEMPTS,
        ladders: state.pipeline.ffmpeg_available(),
    }
}

pub(crate) fn later(at: Timestamp, by: Duration) -> Timestamp {
    let micros = i64::try_from(by.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_micros(at.as_micros().saturating_add(micros))
}

/// How one attempt ended, when it did not succeed.
enum Failure {
    /// The file itself is the problem; retrying cannot help.
    Final(FailureReason, String),
    /// Something around the file failed; a later attempt may succeed.
    Transient(String),
}

async fn run(state: &AppState, job: ClaimedJob) -> Result<(), StoreError> {
    if job.kind == JobKind::Ladder {
        return ladder::run_job(state, job).await;
    }
    let video = match videos::find_video(state.pool(), job.video_id).await {
        Ok(video) if video.state == ProcessingState::Processing => video,
        // Deleted or already finished: nothing to do.
        Ok(_) | Err(StoreError::NotFound) => return jobs::finish_moot(state.pool(), &job).await,
        Err(other) => return Err(other),
    };
    tracing::info!(job = job.id, video_id = %video.id, attempt = job.attempts, "processing an upload");
    let started = std::time::Instant::now();
    let record = |outcome| crate::observe::metrics::record_job(outcome, started.elapsed());
    let work = tokio::time::timeout(state.settings.job_timeout, attempt(state, &video));
    let outcome = tokio::select! {
        outcome = work => outcome,
        lost = keep_lease(state, &job) => {
            tracing::warn!(job = job.id, error = %lost, "lost the job's lease; dropping the attempt");
            record("lost");
            return Ok(());
        }
    };
    let failure = match outcome {
        Ok(Ok(facts)) => match jobs::finish_ready(
            state.pool(),
            &job,
            &facts,
            state.pipeline.ffmpeg_available(),
            state.clock.now(),
        )
        .await
        {
            Ok(()) => {
                tracing::info!(video_id = %video.id, "upload processed: draft ready");
                record("ready");
                // The video is playable; its ladder job (with ffmpeg) only adds renditions.
                wake();
                return Ok(());
            }
            Err(StoreError::LeaseLost(_)) => {
                tracing::warn!(
                    job = job.id,
                    "the job was retaken while finishing; not finishing it twice"
                );
                record("lost");
                return Ok(());
            }
            Err(error) => Failure::Transient(error.to_string()),
        },
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Final(
            FailureReason::InternalError,
            format!(
                "processing took longer than {:?}",
                state.settings.job_timeout
            ),
        ),
    };
    match failure {
        Failure::Transient(error) if job.attempts < MAX_ATTEMPTS => {
            let backoff = FIRST_RETRY_AFTER * 2u32.pow(job.attempts.saturating_sub(1));
            tracing::warn!(job = job.id, %error, ?backoff, "processing failed; will retry");
            record("retry");
            jobs::retry_later(
                state.pool(),
                &job,
                later(state.clock.now(), backoff),
                &error,
            )
            .await
        }
        Failure::Transient(error) => {
            record("failed");
            fail(state, &job, &video, FailureReason::InternalError, &error).await
        }
        Failure::Final(reason, error) => {
            record("failed");
            fail(state, &job, &video, reason, &error).await
        }
    }
}

/// Renews `job`'s lease (`job_lease_seconds`) every third of it until renewing fails;
/// returns why. A job whose worker died (a crash, `kill -9`, a lost node) is so taken again
/// within one lease, and a live worker keeps its job however long processing takes (up to
/// the job timeout).
pub(crate) async fn keep_lease(state: &AppState, job: &ClaimedJob) -> StoreError {
    let lease = state.settings.job_lease;
    let mut ticker = tokio::time::interval(lease / 3);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let until = later(state.clock.now(), lease);
        match jobs::renew_lease(state.pool(), job, until).await {
            Ok(()) => {}
            Err(StoreError::LeaseLost(id)) => return StoreError::LeaseLost(id),
            // The database is briefly unreachable: keep working; the next renewal may pass.
            Err(other) => tracing::warn!(job = job.id, error = %other, "could not renew a lease"),
        }
    }
}

/// One attempt: the original through the pipeline, then the thumbnails stored.
async fn attempt(state: &AppState, video: &Video) -> Result<MediaFacts, Failure> {
    let original = match state.media.local_original(&video.hash_id).await {
        Ok(original) => original,
        Err(StoreError::NotFound) => {
            return Err(Failure::Final(
                FailureReason::InternalError,
                "the original is missing".into(),
            ));
        }
        Err(other) => return Err(Failure::Transient(other.to_string())),
    };
    let slot = state.processing.enter_waiting().await;
    let processed = state
        .pipeline
        .process(original.path())
        .await
        .map_err(classify)?;
    publishing::store_thumbnails(state, &video.hash_id, &processed.thumbnails)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    playback::prepare_and_store(state, &video.hash_id, original.path(), &processed.probe)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    drop(slot);
    Ok(publishing::media_facts(&processed.probe))
}

fn classify(error: media::MediaError) -> Failure {
    match MediaRefusal::of(&error).failure_reason() {
        Some(reason) => Failure::Final(reason, error.to_string()),
        None => Failure::Transient(error.to_string()),
    }
}

/// A failed upload keeps no bytes: they go first, then the video and job are marked failed.
/// The claim is renewed first, so the bytes are never deleted under a worker that retook the
/// job, and nobody can retake it while they go.
async fn fail(
    state: &AppState,
    job: &ClaimedJob,
    video: &Video,
    reason: FailureReason,
    error: &str,
) -> Result<(), StoreError> {
    let lease = state.settings.job_lease;
    jobs::renew_lease(state.pool(), job, later(state.clock.now(), lease)).await?;
    tracing::info!(video_id = %video.id, reason = reason.message(), %error, "upload failed processing");
    if let Err(cleanup) = state.media.delete_all(&video.hash_id).await {
        tracing::error!(hash_id = %video.hash_id, %cleanup, "could not delete a failed upload's bytes");
    }
    jobs::finish_failed(state.pool(), job, reason, error).await
}

/// Fails jobs whose lease expired with no attempts left (their workers died or hung).
pub async fn sweep_stuck(state: &AppState) -> Result<(), StoreError> {
    let stuck = jobs::stuck_jobs(state.pool(), state.clock.now(), MAX_ATTEMPTS).await?;
    for job in stuck {
        if job.kind == JobKind::Ladder {
            ladder::fail_stuck(state, &job).await?;
            continue;
        }
        match videos::find_video(state.pool(), job.video_id).await {
            Ok(video) if video.state == ProcessingState::Processing => {
                let error = "stuck past the job timeout";
                fail(state, &job, &video, FailureReason::InternalError, error).await?;
            }
            Ok(_) | Err(StoreError::NotFound) => jobs::finish_moot(state.pool(), &job).await?,
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
