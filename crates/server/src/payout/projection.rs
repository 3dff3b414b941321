//! Payout periods on the server side: solving a period's allocation from its stored aggregates,
//! the projection of the open period that both APIs read, and closing a period into the
//! ledger.
//!
//! Solving needs every video with activity in the period at once, so it is not done per
//! request: a background task re-solves the open period every `projection_refresh` from the
//! per-period aggregates and publishes the result; requests read it in O(1) (a hash lookup
//! under a briefly held lock). The open period is the calendar month (UTC) of the clock's now.
//!
//! Closing re-solves the period from the same aggregates, rounds to cents with
//! `domain::allocation::split_cents` (lines sum to the pool exactly) and stores the ledger in
//! one transaction; the store refuses a second close.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::allocation::{
    AllocationInput, AllocationLine, Explanation, Period, allocate, explain, split_cents,
};
use domain::ids::{AccountId, VideoId};
use domain::metrics::VideoMetrics;
use domain::quality::quality_score;
use domain::video::Timestamp;
use store::StoreError;
use store::database::AnyPool;
use store::periods::{self, ClosedPeriod, LedgerLine, PeriodRow};

use crate::payout::scoring;
use crate::settings::PayoutSettings;

/// A video's line in the projection, as the Creator API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProjectedPayout {
    /// `rev_prop`.
    pub share: f64,
    /// `proj_earnings`.
    pub amount: f64,
}

/// One video's part in a period's allocation, with everything that went into it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodEntry {
    pub video: VideoId,
    pub owner: AccountId,
    pub qualified_views: u64,
    pub metrics: VideoMetrics,
    pub under_review: bool,
    pub line: AllocationLine,
}

impl PeriodEntry {
    pub fn explanation(&self, payout: &PayoutSettings) -> Explanation {
        let explanation = explain(
            &self.metrics,
            self.qualified_views,
            &payout.weights,
            &self.line,
        );
        if self.under_review {
            explanation.under_review()
        } else {
            explanation
        }
    }
}

/// The exact allocation of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodAllocation {
    pub period: Period,
    /// By video id.
    pub entries: Vec<PeriodEntry>,
}

/// Scores every row and solves the allocation. Pure.
pub fn allocate_period(
    period: Period,
    rows: &[PeriodRow],
    payout: &PayoutSettings,
) -> PeriodAllocation {
    let metrics: Vec<VideoMetrics> = rows
        .iter()
        .map(|row| scoring::video_metrics(&row.stats, &row.title, &row.description, row.compliance))
        .collect();
    let inputs: Vec<AllocationInput> = rows
        .iter()
        .zip(&metrics)
        .map(|(row, m)| AllocationInput {
            qualified_views: u64::try_from(row.stats.qualified_views).unwrap_or(0),
            quality: quality_score(m, &payout.weights),
        })
        .collect();
    let allocation = allocate(&inputs, &payout.params);
    let entries = rows
        .iter()
        .zip(metrics)
        .zip(inputs)
        .zip(allocation.lines())
        .map(|(((row, metrics), input), line)| PeriodEntry {
            video: VideoId::new(row.video_id),
            owner: AccountId::new(row.account_id),
            qualified_views: input.qualified_views,
            metrics,
            under_review: row.under_review != 0,
            line: *line,
        })
        .collect();
    PeriodAllocation { period, entries }
}

/// Loads a period's aggregates and solves it off the async threads.
pub async fn solve_period(
    pool: &AnyPool,
    period: Period,
    payout: &PayoutSettings,
) -> Result<PeriodAllocation, StoreError> {
    let rows = periods::period_rows(pool, period).await?;
    let payout = *payout;
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let allocation = allocate_period(period, &rows, &payout);
        crate::observe::metrics::record_projection_solve(started.elapsed());
        allocation
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("allocation task: {e}")))
}

struct Snapshot {
    allocation: PeriodAllocation,
    by_video: HashMap<VideoId, usize>,
}

/// The latest solved allocation of the open period.
pub struct Projection {
    latest: RwLock<Arc<Snapshot>>,
}

impl Default for Projection {
    fn default() -> Self {
        Self {
            latest: RwLock::new(Arc::new(Snapshot {
                allocation: PeriodAllocation {
                    period: Period::containing(0),
                    entries: Vec::new(),
                },
                by_video: HashMap::new(),
            })),
        }
    }
}

impl Projection {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.latest
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// The video's projected payout; videos not in the projection earn nothing yet.
    pub fn payout(&self, video: VideoId) -> ProjectedPayout {
        self.entry(video)
            .map(|e| ProjectedPayout {
                share: e.line.share(),
                amount: e.line.amount(),
            })
            .unwrap_or_default()
    }

    /// The video's entry in the projection, if it had activity in the open period.
    pub fn entry(&self, video: VideoId) -> Option<PeriodEntry> {
        let snapshot = self.snapshot();
        let index = *snapshot.by_video.get(&video)?;
        Some(snapshot.allocation.entries[index].clone())
    }

    /// The period the projection is for.
    pub fn period(&self) -> Period {
        self.snapshot().allocation.period
    }

    /// Re-solves the open period (the month of `now`) and publishes it.
    pub async fn refresh(
        &self,
        pool: &AnyPool,
        payout: &PayoutSettings,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let period = Period::containing(now.as_micros());
        let allocation = solve_period(pool, period, payout).await?;
        self.install(allocation);
        Ok(())
    }

    /// Publishes `allocation` (solved here or by the leader) to this node's readers.
    pub fn install(&self, allocation: PeriodAllocation) {
        let by_video = allocation
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.video, i))
            .collect();
        *self
            .latest
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = Arc::new(Snapshot {
            allocation,
            by_video,
        });
    }

    /// The current projection as stored for other nodes ([`shared`](crate::payout::shared)).
    pub fn encoded(&self) -> (Period, String) {
        let snapshot = self.snapshot();
        (
            snapshot.allocation.period,
            crate::payout::shared::encode(&snapshot.allocation),
        )
    }
}

/// Why a period cannot be closed.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error("period {period} has not ended yet; it can be closed from {ends}")]
    NotEnded { period: Period, ends: String },
    #[error("period {0} is already closed; its ledger is never rewritten")]
    AlreadyClosed(Period),
    #[error(transparent)]
    Store(StoreError),
}

/// A closed period's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedSummary {
    pub period: Period,
    pub pool_cents: i64,
    pub lines: Vec<LedgerLine>,
}

/// Freezes `period` into the ledger: one line per earning video in integer cents, summing to
/// the pool exactly (or no lines when nothing earned). Only a period that has ended at `now`
/// can be closed, and only once.
pub async fn close_period(
    pool: &AnyPool,
    period: Period,
    payout: &PayoutSettings,
    now: Timestamp,
) -> Result<ClosedSummary, CloseError> {
    if !period.has_ended(now.as_micros()) {
        return Err(CloseError::NotEnded {
            period,
            ends: crate::http::timefmt::iso8601(Timestamp::from_micros(period.end_micros())),
        });
    }
    if periods::closed_period(pool, period)
        .await
        .map_err(CloseError::Store)?
        .is_some()
    {
        return Err(CloseError::AlreadyClosed(period));
    }
    let allocation = solve_period(pool, period, payout)
        .await
        .map_err(CloseError::Store)?;
    let amounts: Vec<f64> = allocation.entries.iter().map(|e| e.line.amount()).collect();
    let cents = split_cents(payout.pool_cents, &amounts);
    let lines: Vec<LedgerLine> = allocation
        .entries
        .iter()
        .zip(cents)
        .filter(|(e, _)| e.line.earns())
        .map(|(e, amount_cents)| LedgerLine {
            period: period.to_string(),
            video_id: e.video.get(),
            account_id: e.owner.get(),
            qualified_views: i64::try_from(e.qualified_views).unwrap_or(i64::MAX),
            quality: quality_score(&e.metrics, &payout.weights).get(),
            share: e.line.share(),
            amount_cents,
        })
        .collect();
    let closed = ClosedPeriod {
        period: period.to_string(),
        pool_cents: payout.pool_cents,
        alpha: payout.params.alpha(),
        lambda_fair: payout.params.lambda_fair(),
        lambda_eff: payout.params.lambda_eff(),
        closed_at: now.as_micros(),
    };
    match periods::close_period(pool, &closed, &lines).await {
        Ok(()) => Ok(ClosedSummary {
            period,
            pool_cents: payout.pool_cents,
            lines,
        }),
        Err(StoreError::Conflict(_)) => Err(CloseError::AlreadyClosed(period)),
        Err(other) => Err(CloseError::Store(other)),
    }
}
