//! The durable processing queue: one `jobs` row per upload to process, in the same database as
//! the videos, so an upload's row and its job commit together and survive any restart.
//!
//! A worker *claims* a job by moving it to `running` with a short lease (`locked_until`) that
//! it renews while it works ([`renew_lease`]). Claiming is one conditional `UPDATE …
//! RETURNING`, so two workers (threads or nodes) never hold the same job. A job whose lease
//! ran out belongs to a worker that died: it is claimable again while it has attempts left,
//! and *stuck* once it has none. A claim is named by the job and its attempt number: renewing
//! and finishing only succeed while that claim is current (else [`StoreError::LeaseLost`]), so
//! a worker that lost its lease can never finish the job as well as the one that retook it.
//! Finishing a job updates its video in the same transaction. This module decides nothing
//! about media; the server's worker does.
//!
//! Two kinds of job share the queue ([`JobKind`]): processing an upload, and making the ffmpeg
//! rendition ladder of a video that is already ready (queued in the transaction that marks it
//! ready, at most one per video). A worker says which kinds it can run when it claims
//! ([`ClaimTerms::ladders`]): a node without ffmpeg never claims a ladder job, so the job waits
//! for a node that has it. Finishing a ladder job never touches its video's row.
//!
//! The portable claim works on both backends (SQLite serialises writers; on PostgreSQL a
//! concurrent claimer re-checks the condition and gets nothing). PostgreSQL also gets
//! [`claim_next_skip_locked`], which lets many claimers pass each other without waiting.

use domain::ids::VideoId;
use domain::lifecycle::FailureReason;
use domain::video::Timestamp;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::Database;
use crate::StoreError;
use crate::dialect::Backend;
use crate::videos::{self, MediaFacts, NewVideo};

/// Stored `kind` of a processing job.
pub const PROCESS_UPLOAD: &str = "process_upload";
/// Stored `kind` of a ladder job.
pub const LADDER: &str = "ladder";

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Probe, thumbnail and package a new upload; its video becomes ready.
    ProcessUpload,
    /// Encode the ffmpeg rendition ladder of a ready video.
    Ladder,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProcessUpload => PROCESS_UPLOAD,
            Self::Ladder => LADDER,
        }
    }

    /// A stored kind; an unknown one (a newer node's) reads as processing, which a worker
    /// that finds its video not processing finishes as moot.
    fn from_stored(kind: &str) -> Self {
        if kind == LADDER {
            Self::Ladder
        } else {
            Self::ProcessUpload
        }
    }
}

/// A job a worker holds until `locked_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: JobKind,
    pub video_id: VideoId,
    /// Including this one.
    pub attempts: u32,
}

#[derive(FromRow)]
struct ClaimedRow {
    id: i64,
    kind: String,
    video_id: i64,
    attempts: i64,
}

impl From<ClaimedRow> for ClaimedJob {
    fn from(row: ClaimedRow) -> Self {
        Self {
            id: row.id,
            kind: JobKind::from_stored(&row.kind),
            video_id: VideoId::new(row.video_id),
            attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
        }
    }
}

/// How a claim is made: when, for how long, and how many attempts a job may have.
#[derive(Debug, Clone, Copy)]
pub struct ClaimTerms {
    pub now: Timestamp,
    pub locked_until: Timestamp,
    pub max_attempts: u32,
    /// Whether this worker can make ladders (it has ffmpeg); if not, it leaves ladder jobs
    /// queued for one that can.
    pub ladders: bool,
}

impl ClaimTerms {
    /// The kinds this claim may take, as two binds for `kind IN ($4, $5)`.
    fn kinds(&self) -> (&'static str, &'static str) {
        if self.ladders {
            (PROCESS_UPLOAD, LADDER)
        } else {
            (PROCESS_UPLOAD, PROCESS_UPLOAD)
        }
    }
}

/// Queues processing of `video` inside the caller's transaction; on PostgreSQL, workers in
/// every process are notified when it commits ([`crate::wakeups`]).
pub async fn enqueue_on(
    conn: &mut AnyConnection,
    video: VideoId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    enqueue_kind_on(conn, JobKind::ProcessUpload, video, now).await
}

/// Queues the rendition ladder of `video` inside the caller's transaction (the one that
/// makes the video ready).
pub async fn enqueue_ladder_on(
    conn: &mut AnyConnection,
    video: VideoId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    enqueue_kind_on(conn, JobKind::Ladder, video, now).await
}

async fn enqueue_kind_on(
    conn: &mut AnyConnection,
    kind: JobKind,
    video: VideoId,
    now: Timestamp,
) -> Result<i64, StoreError> {
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO jobs (kind, video_id, state, attempts, run_after, created_at) \
         VALUES ($1, $2, 'queued', 0, $3, $3) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(video.get())
    .bind(now.as_micros())
    .fetch_one(&mut *conn)
    .await?;
    crate::wakeups::notify_job_queued(conn).await?;
    Ok(id.0)
}

/// Stores a new `processing` video row and its processing job, together or not at all.
pub async fn insert_video_and_job(
    pool: &AnyPool,
    new: NewVideo<'_>,
) -> Result<VideoId, StoreError> {
    let now = new.uploaded_at;
    let mut tx = pool.begin().await?;
    let id = videos::insert_video_on(&mut tx, new).await?;
    enqueue_on(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Stores an already processed (`ready`) video row and, when `ladder`, its ladder job,
/// together or not at all.
pub async fn insert_ready_video(
    pool: &AnyPool,
    new: NewVideo<'_>,
    ladder: bool,
) -> Result<VideoId, StoreError> {
    let now = new.uploaded_at;
    let mut tx = pool.begin().await?;
    let id = videos::insert_video_on(&mut tx, new).await?;
    if ladder {
        enqueue_ladder_on(&mut tx, id, now).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Claims the next due job with the best statement for the backend.
pub async fn claim_next(
    db: &Database,
    terms: ClaimTerms,
) -> Result<Option<ClaimedJob>, StoreError> {
    match db.backend() {
        Backend::Sqlite => claim_next_portable(db.pool(), terms).await,
        Backend::Postgres => claim_next_skip_locked(db.pool(), terms).await,
    }
}

/// Claims the oldest due job: a queued one whose time has come, or a running one whose lease
/// expired with attempts left. Portable SQL; the repeated condition in the outer `WHERE` makes
/// the claim conditional, so a job someone else just claimed is not claimed twice.
pub async fn claim_next_portable(
    pool: &AnyPool,
    terms: ClaimTerms,
) -> Result<Option<ClaimedJob>, StoreError> {
    let row: Option<ClaimedRow> = sqlx::query_as(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE ((state = 'queued' AND run_after <= $1) \
                        OR (state = 'running' AND locked_until < $1 AND attempts < $3)) \
                       AND kind IN ($4, $5) \
                     ORDER BY run_after, id LIMIT 1) \
           AND ((state = 'queued' AND run_after <= $1) \
                OR (state = 'running' AND locked_until < $1 AND attempts < $3)) \
         RETURNING id, kind, video_id, attempts",
    )
    .bind(terms.now.as_micros())
    .bind(terms.locked_until.as_micros())
    .bind(i64::from(terms.max_attempts))
    .bind(terms.kinds().0)
    .bind(terms.kinds().1)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(ClaimedJob::from))
}

/// PostgreSQL only: like [`claim_next_portable`], but rows other claimers hold are skipped
/// (`FOR UPDATE SKIP LOCKED`) instead of waited for.
pub async fn claim_next_skip_locked(
    pool: &AnyPool,
    terms: ClaimTerms,
) -> Result<Option<ClaimedJob>, StoreError> {
    let row: Option<ClaimedRow> = sqlx::query_as(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2 \
         WHERE id = (SELECT id FROM jobs \
                     WHERE ((state = 'queued' AND run_after <= $1) \
                        OR (state = 'running' AND locked_until < $1 AND attempts < $3)) \
                       AND kind IN ($4, $5) \
                     ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, kind, video_id, attempts",
    )
    .bind(terms.now.as_micros())
    .bind(terms.locked_until.as_micros())
    .bind(i64::from(terms.max_attempts))
    .bind(terms.kinds().0)
    .bind(terms.kinds().1)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(ClaimedJob::from))
}

/// Extends `job`'s lease to `locked_until`, if the claim is still current.
pub async fn renew_lease(
    pool: &AnyPool,
    job: &ClaimedJob,
    locked_until: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET locked_until = $3 \
         WHERE id = $1 AND attempts = $2 AND state = 'running'",
    )
    .bind(job.id)
    .bind(i64::from(job.attempts))
    .bind(locked_until.as_micros())
    .execute(pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(job.id))
    }
}

/// Running jobs whose lease expired with no attempts left: their workers died or hung.
pub async fn stuck_jobs(
    pool: &AnyPool,
    now: Timestamp,
    max_attempts: u32,
) -> Result<Vec<ClaimedJob>, StoreError> {
    let rows: Vec<ClaimedRow> = sqlx::query_as(
        "SELECT id, kind, video_id, attempts FROM jobs \
         WHERE state = 'running' AND locked_until < $1 AND attempts >= $2 ORDER BY id LIMIT 100",
    )
    .bind(now.as_micros())
    .bind(i64::from(max_attempts))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ClaimedJob::from).collect())
}

/// The job succeeded: its video becomes ready with `facts`, the job is done, and, when
/// `ladder`, the video's ladder job is queued, all in one transaction.
pub async fn finish_ready(
    pool: &AnyPool,
    job: &ClaimedJob,
    facts: &MediaFacts,
    ladder: bool,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    set_state(&mut tx, job, "done", None).await?;
    videos::mark_ready_on(&mut tx, job.video_id, facts).await?;
    if ladder {
        enqueue_ladder_on(&mut tx, job.video_id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The job failed for good: its video fails with `reason`, and the job is failed.
pub async fn finish_failed(
    pool: &AnyPool,
    job: &ClaimedJob,
    reason: FailureReason,
    error: &str,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    set_state(&mut tx, job, "failed", Some(error)).await?;
    videos::mark_failed_on(&mut tx, job.video_id, reason).await?;
    tx.commit().await?;
    Ok(())
}

/// A job that leaves its video's row alone (a ladder) failed for good: the job is failed.
pub async fn finish_job_failed(
    pool: &AnyPool,
    job: &ClaimedJob,
    error: &str,
) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    set_state(&mut conn, job, "failed", Some(error)).await
}

/// A job that leaves its video's row alone (a ladder) succeeded: the job is done.
pub async fn finish_done(pool: &AnyPool, job: &ClaimedJob) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    set_state(&mut conn, job, "done", None).await
}

/// Nothing left to do (e.g. the video is gone): the job is done.
pub async fn finish_moot(pool: &AnyPool, job: &ClaimedJob) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    set_state(&mut conn, job, "done", None).await
}

/// A transient failure: the job goes back to the queue, due at `run_after`.
pub async fn retry_later(
    pool: &AnyPool,
    job: &ClaimedJob,
    run_after: Timestamp,
    error: &str,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', run_after = $2, locked_until = NULL, last_error = $3 \
         WHERE id = $1 AND attempts = $4 AND state = 'running'",
    )
    .bind(job.id)
    .bind(run_after.as_micros())
    .bind(error)
    .bind(i64::from(job.attempts))
    .execute(pool)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(job.id))
    }
}

/// Ends `job`'s claim in `state`, if the claim is still current.
async fn set_state(
    conn: &mut AnyConnection,
    job: &ClaimedJob,
    state: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE jobs SET state = $2, locked_until = NULL, last_error = COALESCE($3, last_error) \
         WHERE id = $1 AND attempts = $4 AND state = 'running'",
    )
    .bind(job.id)
    .bind(state)
    .bind(error)
    .bind(i64::from(job.attempts))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::LeaseLost(job.id))
    }
}

/// A job's state, for tests and operators.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct JobStatus {
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The newest processing job of `video`.
pub async fn job_of_video(pool: &AnyPool, video: VideoId) -> Result<JobStatus, StoreError> {
    job_of_video_of_kind(pool, video, JobKind::ProcessUpload).await
}

/// The newest job of `kind` for `video`.
pub async fn job_of_video_of_kind(
    pool: &AnyPool,
    video: VideoId,
    kind: JobKind,
) -> Result<JobStatus, StoreError> {
    Ok(sqlx::query_as(
        "SELECT state, attempts, last_error FROM jobs WHERE video_id = $1 AND kind = $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(video.get())
    .bind(kind.as_str())
    .fetch_one(pool)
    .await?)
}

/// The queue at a glance, for operators' gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueSummary {
    pub queued: i64,
    pub running: i64,
    pub failed: i64,
    /// When the oldest job still queued was queued.
    pub oldest_queued_at: Option<Timestamp>,
}

/// Counts jobs by state (through the `(state, run_after)` index) and finds the oldest queued.
pub async fn queue_summary(pool: &AnyPool) -> Result<QueueSummary, StoreError> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*) FROM jobs \
         WHERE state IN ('queued', 'running', 'failed') GROUP BY state",
    )
    .fetch_all(pool)
    .await?;
    let oldest: (Option<i64>,) =
        sqlx::query_as("SELECT MIN(created_at) FROM jobs WHERE state = 'queued'")
            .fetch_one(pool)
            .await?;
    let mut summary = QueueSummary {
        oldest_queued_at: oldest.0.map(Timestamp::from_micros),
        ..QueueSummary::default()
    };
    for (state, count) in counts {
        match state.as_str() {
            "queued" => summary.queued = count,
            "running" => summary.running = count,
            _ => summary.failed = count,
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(ladders: bool) -> ClaimTerms {
        ClaimTerms {
            now: Timestamp::from_micros(0),
            locked_until: Timestamp::from_micros(1),
            max_attempts: 3,
            ladders,
        }
    }

    #[test]
    fn a_worker_without_ffmpeg_claims_processing_jobs_only() {
        assert_eq!(terms(false).kinds(), (PROCESS_UPLOAD, PROCESS_UPLOAD));
        assert_eq!(terms(true).kinds(), (PROCESS_UPLOAD, LADDER));
    }

    #[test]
    fn stored_kinds_read_back_as_what_was_stored() {
        for kind in [JobKind::ProcessUpload, JobKind::Ladder] {
            assert_eq!(JobKind::from_stored(kind.as_str()), kind);
        }
    }
}
