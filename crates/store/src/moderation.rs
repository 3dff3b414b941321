//! Reports and moderation. Viewers report a video (once each); when the reports since the last
//! moderator decision reach a threshold the video goes under review, which sets its compliance
//! C to 0 until a moderator decides. A moderator's decision sets C, clears the review and the
//! pending reports, and is kept in an append-only log.
//!
//! It does not check who may moderate (the caller did).

use domain::ids::{AccountId, VideoId};
use domain::video::Timestamp;
use sqlx::{AnyPool, FromRow};

use crate::StoreError;

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOutcome {
    /// False when this account had already reported the video.
    pub created: bool,
    pub under_review: bool,
}

/// Stores `account`'s report of `video` and puts the video under review when the pending
/// reports reach `threshold` (a video moderation already marked non-compliant stays as is).
pub async fn report(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    reason: &str,
    at: Timestamp,
    threshold: u32,
) -> Result<ReportOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "INSERT INTO reports (video_id, account_id, reason, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (video_id, account_id) DO NOTHING",
    )
    .bind(video.get())
    .bind(account.get())
    .bind(reason)
    .bind(at.as_micros())
    .execute(&mut *tx)
    .await?;
    let created = done.rows_affected() == 1;
    let (pending, under_review): (i64, i64) = if created {
        sqlx::query_as(
            "INSERT INTO moderation (video_id, pending_reports) VALUES ($1, 1) \
             ON CONFLICT (video_id) DO UPDATE SET pending_reports = moderation.pending_reports + 1 \
             RETURNING pending_reports, under_review",
        )
        .bind(video.get())
        .fetch_one(&mut *tx)
        .await?
    } else {
        sqlx::query_as("SELECT pending_reports, under_review FROM moderation WHERE video_id = $1")
            .bind(video.get())
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or((0, 0))
    };
    let mut under_review = under_review != 0;
    if created && !under_review && pending >= i64::from(threshold) {
        let (compliance,): (f64,) = sqlx::query_as("SELECT compliance FROM videos WHERE id = $1")
            .bind(video.get())
            .fetch_one(&mut *tx)
            .await?;
        if compliance > 0.0 {
            sqlx::query("UPDATE moderation SET under_review = 1 WHERE video_id = $1")
                .bind(video.get())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE videos SET compliance = 0 WHERE id = $1")
                .bind(video.get())
                .execute(&mut *tx)
                .await?;
            under_review = true;
        }
    }
    tx.commit().await?;
    Ok(ReportOutcome {
        created,
        under_review,
    })
}

/// A moderator's decision on a video.
pub struct Decision<'a> {
    pub video: VideoId,
    pub moderator: AccountId,
    /// 0 (non-compliant) or 1 (compliant).
    pub compliance: f64,
    pub note: &'a str,
    pub at: Timestamp,
}

/// Applies a decision: sets C, ends any review, clears pending reports, logs it.
pub async fn decide(pool: &AnyPool, decision: &Decision<'_>) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query("UPDATE videos SET compliance = $2 WHERE id = $1")
        .bind(decision.video.get())
        .bind(decision.compliance)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "INSERT INTO moderation_decisions (video_id, moderator_id, compliance, note, decided_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(decision.video.get())
    .bind(decision.moderator.get())
    .bind(decision.compliance)
    .bind(decision.note)
    .bind(decision.at.as_micros())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO moderation (video_id, under_review, pending_reports, note, decided_by, \
           decided_at) VALUES ($1, 0, 0, $2, $3, $4) \
         ON CONFLICT (video_id) DO UPDATE SET under_review = 0, pending_reports = 0, \
           note = excluded.note, decided_by = excluded.decided_by, \
           decided_at = excluded.decided_at",
    )
    .bind(decision.video.get())
    .bind(decision.note)
    .bind(decision.moderator.get())
    .bind(decision.at.as_micros())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A video's moderation state; the default for a video nobody reported or moderated.
#[derive(Debug, Clone, PartialEq, Default, FromRow)]
pub struct ModerationStatus {
    pub under_review: i64,
    pub pending_reports: i64,
    pub note: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
}

impl ModerationStatus {
    pub fn is_under_review(&self) -> bool {
        self.under_review != 0
    }
}

pub async fn status(pool: &AnyPool, video: VideoId) -> Result<ModerationStatus, StoreError> {
    Ok(sqlx::query_as(
        "SELECT under_review, pending_reports, note, decided_by, decided_at \
         FROM moderation WHERE video_id = $1",
    )
    .bind(video.get())
    .fetch_optional(pool)
    .await?
    .unwrap_or_default())
}

/// A video waiting for a moderator: reported since the last decision, or under review.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct QueuedVideo {
    pub video_id: i64,
    pub hash_id: String,
    pub title: String,
    pub under_review: i64,
    pub pending_reports: i64,
    /// The newest report's reason.
    pub latest_reason: Option<String>,
}

/// The moderation queue: videos under review first, then by pending reports; at most `limit`.
pub async fn queue(pool: &AnyPool, limit: u32) -> Result<Vec<QueuedVideo>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT m.video_id, v.hash_id, v.title, m.under_review, m.pending_reports, \
           (SELECT r.reason FROM reports r WHERE r.video_id = m.video_id \
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS latest_reason \
         FROM moderation m JOIN videos v ON v.id = m.video_id \
         WHERE m.pending_reports > 0 OR m.under_review <> 0 \
         ORDER BY m.under_review DESC, m.pending_reports DESC, m.video_id \
         LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?)
}
