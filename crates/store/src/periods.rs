//! Payout periods: the per-period aggregates the allocation reads, the daily series behind
//! charts, and the ledger a closed period writes. Closing stores the period and all its lines
//! in one transaction; a second close of the same period is a [`StoreError::Conflict`], and
//! the database refuses any update or delete of ledger rows (triggers in migration 0003).
//!
//! It does not solve the allocation (that is `domain::allocation`, driven by the server).

use domain::allocation::Period;
use domain::ids::{AccountId, VideoId};
use domain::video::Timestamp;
use sqlx::{AnyPool, FromRow};

use crate::StoreError;
use crate::videos::VideoStats;

/// What the allocation needs of one listed video with activity in a period.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PeriodRow {
    pub video_id: i64,
    pub account_id: i64,
    pub title: String,
    pub description: String,
    pub compliance: f64,
    pub under_review: i64,
    #[sqlx(flatten)]
    pub stats: VideoStats,
}

/// Every ready, listed video with aggregates in `period`, by id. Videos without any event in
/// the period are absent (they earn nothing).
pub async fn period_rows(pool: &AnyPool, period: Period) -> Result<Vec<PeriodRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT v.id AS video_id, v.account_id, v.title, v.description, v.compliance, \
           COALESCE(m.under_review, 0) AS under_review, \
           p.qualified_views, p.likes, p.comments, p.shares, p.completion_sum, \
           p.distinct_viewers, p.repeat_viewers \
         FROM video_period_stats p JOIN videos v ON v.id = p.video_id \
         LEFT JOIN moderation m ON m.video_id = v.id \
         WHERE p.period = $1 AND v.status = 'ready' AND v.listed_at IS NOT NULL \
         ORDER BY v.id",
    )
    .bind(period.to_string())
    .fetch_all(pool)
    .await?)
}

/// One video's aggregates in one period (zeros when it had no events).
pub async fn period_stats(
    pool: &AnyPool,
    video: VideoId,
    period: Period,
) -> Result<VideoStats, StoreError> {
    Ok(sqlx::query_as(
        "SELECT qualified_views, likes, comments, shares, completion_sum, distinct_viewers, \
           repeat_viewers FROM video_period_stats WHERE period = $1 AND video_id = $2",
    )
    .bind(period.to_string())
    .bind(video.get())
    .fetch_optional(pool)
    .await?
    .unwrap_or_default())
}

/// Qualified views per UTC day (days since 1970-01-01) in `[from_day, to_day)`, days without
/// views left out.
pub async fn daily_views(
    pool: &AnyPool,
    video: VideoId,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT day, qualified_views FROM video_daily_stats \
         WHERE video_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
    )
    .bind(video.get())
    .bind(from_day)
    .bind(to_day)
    .fetch_all(pool)
    .await?)
}

/// A closed period and the parameters its split used.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ClosedPeriod {
    pub period: String,
    pub pool_cents: i64,
    pub alpha: f64,
    pub lambda_fair: f64,
    pub lambda_eff: f64,
    pub closed_at: i64,
}

/// One ledger line: what a video earned in a closed period.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct LedgerLine {
    pub period: String,
    pub video_id: i64,
    pub account_id: i64,
    pub qualified_views: i64,
    pub quality: f64,
    pub share: f64,
    pub amount_cents: i64,
}

/// Freezes a period: the period row and all its lines, or nothing. Closing a closed period is
/// a `Conflict`.
pub async fn close_period(
    pool: &AnyPool,
    closed: &ClosedPeriod,
    lines: &[LedgerLine],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "INSERT INTO payout_periods (period, pool_cents, alpha, lambda_fair, lambda_eff, \
           closed_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period) DO NOTHING",
    )
    .bind(&closed.period)
    .bind(closed.pool_cents)
    .bind(closed.alpha)
    .bind(closed.lambda_fair)
    .bind(closed.lambda_eff)
    .bind(closed.closed_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "period {} is already closed",
            closed.period
        )));
    }
    for line in lines {
        sqlx::query(
            "INSERT INTO ledger_lines (period, video_id, account_id, qualified_views, quality, \
               share, amount_cents) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&line.period)
        .bind(line.video_id)
        .bind(line.account_id)
        .bind(line.qualified_views)
        .bind(line.quality)
        .bind(line.share)
        .bind(line.amount_cents)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn closed_period(
    pool: &AnyPool,
    period: Period,
) -> Result<Option<ClosedPeriod>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT period, pool_cents, alpha, lambda_fair, lambda_eff, closed_at \
         FROM payout_periods WHERE period = $1",
    )
    .bind(period.to_string())
    .fetch_optional(pool)
    .await?)
}

/// Every ledger line of a closed period, by video id.
pub async fn period_ledger(pool: &AnyPool, period: Period) -> Result<Vec<LedgerLine>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT period, video_id, account_id, qualified_views, quality, share, amount_cents \
         FROM ledger_lines WHERE period = $1 ORDER BY video_id",
    )
    .bind(period.to_string())
    .fetch_all(pool)
    .await?)
}

/// Every ledger line of an account's videos, newest period first.
pub async fn account_ledger(
    pool: &AnyPool,
    account: AccountId,
) -> Result<Vec<LedgerLine>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT period, video_id, account_id, qualified_views, quality, share, amount_cents \
         FROM ledger_lines WHERE account_id = $1 ORDER BY period DESC, video_id",
    )
    .bind(account.get())
    .fetch_all(pool)
    .await?)
}

/// When a period was closed, for messages.
pub fn closed_at(closed: &ClosedPeriod) -> Timestamp {
    Timestamp::from_micros(closed.closed_at)
}
