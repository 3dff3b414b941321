//! What creators see of the money (owner only, signed in):
//!
//! - `GET /creator/earnings`: the open period's projection for each of the caller's videos
//!   with activity in it, and every ledger line of closed periods.
//! - `GET /video/{hash_id}/earnings/explain`: why the video gets what it gets in the open
//!   period: its period metrics, qualified views, Q, s, w, share and amount, and the reason
//!   when it earns nothing (`non_compliant`, `under_review`, `no_qualified_views`,
//!   `zero_quality`).
//! - `GET /video/{hash_id}/earnings/daily?period=YYYY-MM` (default: the open period): one
//!   point per UTC day of the period so far, with the day's qualified views and the earnings
//!   attributed to it: the period's amount (projected, or the ledger's once closed) split in
//!   proportion to each day's qualified views.
//!
//! Someone else's visible video is 403 here; an invisible one 404.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use domain::account::Account;
use domain::allocation::{AllocationLine, Period, ZeroReason, format_day, utc_day};
use domain::metrics::VideoMetrics;
use domain::video::Video;
use serde::Serialize;
use store::{moderation, periods, videos};
use utoipa::ToSchema;

use crate::payout::projection::PeriodEntry;
use crate::payout::scoring;
use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{Caller, QueryParams};
use crate::video_api::lookup::{self, NotOwned};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/creator/earnings", get(creator_earnings))
        .route("/video/{hash_id}/earnings/explain", get(explain))
        .route("/video/{hash_id}/earnings/daily", get(daily))
}

/// One of the caller's videos in the open period's projection.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProjectedVideo {
    pub(crate) video_id: i64,
    pub(crate) hash_id: String,
    pub(crate) qualified_views: u64,
    /// The video's share of the pool.
    pub(crate) rev_prop: f64,
    pub(crate) proj_earnings: f64,
}

/// A ledger line of a closed period.
#[derive(Serialize, ToSchema)]
#[schema(as = LedgerLine)]
pub(crate) struct LedgerJson {
    /// `YYYY-MM`.
    pub(crate) period: String,
    pub(crate) video_id: i64,
    pub(crate) qualified_views: i64,
    pub(crate) quality_score: f64,
    pub(crate) rev_prop: f64,
    pub(crate) amount_cents: i64,
}

/// What the caller earns: the open period's projection and the closed periods' ledger.
#[derive(Serialize, ToSchema)]
pub(crate) struct CreatorEarnings {
    /// `YYYY-MM`.
    pub(crate) open_period: String,
    pub(crate) pool: f64,
    pub(crate) projected: Vec<ProjectedVideo>,
    pub(crate) projected_total: f64,
    pub(crate) ledger: Vec<LedgerJson>,
    pub(crate) paid_total_cents: i64,
}

/// Get My Earnings
///
/// The open period's projection for each of the caller's videos with activity in it, and
/// every ledger line of closed periods.
#[utoipa::path(get, path = "/creator/earnings", tag = "engagement",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = CreatorEarnings),
        (status = 401, description = "Unauthorized"),
    ))]
pub(crate) async fn creator_earnings(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<CreatorEarnings>, VideoApiError> {
    let own = videos::list_account_videos(state.pool(), caller.id).await?;
    let projected: Vec<ProjectedVideo> = own
        .iter()
        .filter_map(|video| {
            let entry = state.projection.entry(video.id)?;
            Some(ProjectedVideo {
                video_id: video.id.get(),
                hash_id: video.hash_id.as_str().to_owned(),
                qualified_views: entry.qualified_views,
                rev_prop: entry.line.share(),
                proj_earnings: entry.line.amount(),
            })
        })
        .collect();
    let ledger: Vec<LedgerJson> = periods::account_ledger(state.pool(), caller.id)
        .await?
        .into_iter()
        .map(|l| LedgerJson {
            period: l.period,
            video_id: l.video_id,
            qualified_views: l.qualified_views,
            quality_score: l.quality,
            rev_prop: l.share,
            amount_cents: l.amount_cents,
        })
        .collect();
    Ok(Json(CreatorEarnings {
        open_period: state.projection.period().to_string(),
        pool: state.settings.payout.params.pool(),
        projected_total: projected.iter().map(|p| p.proj_earnings).sum(),
        projected,
        paid_total_cents: ledger.iter().map(|l| l.amount_cents).sum(),
        ledger,
    }))
}

/// The caller's own video; someone else's visible video is a 403 here.
async fn owned_video(
    state: &AppState,
    caller: &Account,
    hash_id: &str,
) -> Result<Video, VideoApiError> {
    lookup::owned_video(
        state,
        caller,
        hash_id,
        NotOwned::ForbiddenIfVisible("Only the video's owner can see its earnings"),
    )
    .await
}

/// Why a video gets what it gets in the open period.
#[derive(Serialize, ToSchema)]
#[schema(as = EarningsExplanation)]
pub(crate) struct Explained {
    /// The open period, `YYYY-MM`.
    pub(crate) period: String,
    pub(crate) video_id: i64,
    pub(crate) hash_id: String,
    pub(crate) qualified_views: u64,
    #[schema(value_type = VideoMetricsJson)]
    pub(crate) metrics: VideoMetrics,
    /// Q.
    pub(crate) quality_score: f64,
    pub(crate) s: f64,
    pub(crate) w: f64,
    pub(crate) rev_prop: f64,
    pub(crate) proj_earnings: f64,
    /// Why it earns nothing; null when it earns.
    #[schema(value_type = Option<ZeroReasonJson>)]
    pub(crate) zero_reason: Option<ZeroReason>,
    pub(crate) pool: f64,
    pub(crate) alpha: f64,
    pub(crate) lambda_fair: f64,
    pub(crate) lambda_eff: f64,
}

// Documentation only: describes the JSON of `domain::metrics::VideoMetrics`, which the
// response serializes itself (the domain crate does not depend on utoipa).
/// The six metrics of a video in the period, each a number in [0, 1].
#[derive(ToSchema)]
#[schema(as = VideoMetrics)]
#[allow(dead_code)]
pub(crate) struct VideoMetricsJson {
    /// W: mean over qualified views of min(1, watched / duration).
    watch_completion: f64,
    /// E: min(1, (likes + comments + shares) / qualified views).
    engagement_rate: f64,
    /// D: Shannon entropy of (likes, comments, shares) divided by ln 3.
    engagement_diversity: f64,
    /// R: share of distinct viewers with two or more qualified views.
    rewatch: f64,
    /// S: text quality of title and description.
    nlp_quality: f64,
    /// C: 1 unless moderation marked the video non-compliant.
    compliance: f64,
}

// Documentation only: describes the JSON of `domain::allocation::ZeroReason`, which the
// response serializes itself.
/// Why a video earns nothing, in the order checked.
#[derive(ToSchema)]
#[schema(as = ZeroReason, rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum ZeroReasonJson {
    NonCompliant,
    UnderReview,
    NoQualifiedViews,
    ZeroQuality,
}

/// Explain A Video's Earnings
///
/// Owner only: its period metrics, qualified views, Q, s, w, share and amount in the open
/// period, and the reason when it earns nothing.
#[utoipa::path(get, path = "/video/{hash_id}/earnings/explain", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = Explained),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: someone else's video"),
        (status = 404, description = "Not Found: unknown, or not visible to the caller"),
    ))]
pub(crate) async fn explain(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<Explained>, VideoApiError> {
    let video = owned_video(&state, &caller, &hash_id).await?;
    let period = state.projection.period();
    let entry = match state.projection.entry(video.id) {
        Some(entry) => entry,
        // No activity in the open period (or not solved yet): its period aggregates and a
        // zero line.
        None => {
            let stats = periods::period_stats(state.pool(), video.id, period).await?;
            let status = moderation::status(state.pool(), video.id).await?;
            PeriodEntry {
                video: video.id,
                owner: video.owner,
                qualified_views: u64::try_from(stats.qualified_views).unwrap_or(0),
                metrics: scoring::video_metrics(
                    &stats,
                    video.title.as_str(),
                    video.description.as_str(),
                    video.compliance,
                ),
                under_review: status.is_under_review(),
                line: AllocationLine::ZERO,
            }
        }
    };
    let payout = &state.settings.payout;
    let e = entry.explanation(payout);
    Ok(Json(Explained {
        period: period.to_string(),
        video_id: video.id.get(),
        hash_id: video.hash_id.as_str().to_owned(),
        qualified_views: e.qualified_views,
        metrics: e.metrics,
        quality_score: e.quality.get(),
        s: e.s,
        w: e.w,
        rev_prop: e.share,
        proj_earnings: e.amount,
        zero_reason: e.zero_reason,
        pool: payout.params.pool(),
        alpha: payout.params.alpha(),
        lambda_fair: payout.params.lambda_fair(),
        lambda_eff: payout.params.lambda_eff(),
    }))
}

/// One UTC day of a period.
#[derive(Serialize, ToSchema)]
pub(crate) struct DayPoint {
    /// `YYYY-MM-DD`.
    pub(crate) date: String,
    pub(crate) qualified_views: i64,
    /// The period's amount split in proportion to each day's qualified views.
    pub(crate) earnings: f64,
}

/// A video's qualified views and earnings per day of a period so far.
#[derive(Serialize, ToSchema)]
pub(crate) struct DailySeries {
    pub(crate) period: String,
    /// `projected` for the open period, `closed` once the ledger holds it, `unclosed` for a
    /// past period not closed yet (no amounts).
    pub(crate) status: &'static str,
    pub(crate) days: Vec<DayPoint>,
}

/// Get A Video's Daily Earnings
///
/// Owner only: one point per UTC day of the period so far, with the day's qualified views
/// and the earnings attributed to it (the period's amount, projected or from the ledger,
/// split in proportion to each day's qualified views).
#[utoipa::path(get, path = "/video/{hash_id}/earnings/daily", tag = "engagement",
    security(("bearer" = [])),
    params(
        ("hash_id" = String, Path),
        ("period" = Option<String>, Query, description = "`YYYY-MM` (default: the open period)"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = DailySeries),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: someone else's video"),
        (status = 404, description = "Not Found: unknown, or not visible to the caller"),
        (status = 422, description = "Validation Error: not a `YYYY-MM` period"),
    ))]
pub(crate) async fn daily(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
    query: QueryParams,
) -> Result<Json<DailySeries>, VideoApiError> {
    let video = owned_video(&state, &caller, &hash_id).await?;
    let now = state.clock.now().as_micros();
    let open = Period::containing(now);
    let mut reader = query.reader();
    let period = match reader.optional("period").map(|raw| Period::parse(&raw)) {
        Some(Ok(period)) => period,
        Some(Err(e)) => {
            reader.reject("period", e.to_string());
            open
        }
        None => open,
    };
    reader.finish()?;
    let (status, amount) = if periods::closed_period(state.pool(), period)
        .await?
        .is_some()
    {
        let cents: i64 = periods::period_ledger(state.pool(), period)
            .await?
            .iter()
            .filter(|l| l.video_id == video.id.get())
            .map(|l| l.amount_cents)
            .sum();
        ("closed", cents as f64 / 100.0)
    } else if period == state.projection.period() {
        ("projected", state.projection.payout(video.id).amount)
    } else {
        ("unclosed", 0.0)
    };
    let first = utc_day(period.start_micros());
    let last = utc_day(period.end_micros().min(now.max(period.start_micros())) - 1) + 1;
    let views: HashMap<i64, i64> = periods::daily_views(state.pool(), video.id, first, last)
        .await?
        .into_iter()
        .collect();
    let total: i64 = views.values().sum();
    let days = (first..last.max(first))
        .map(|day| {
            let v = views.get(&day).copied().unwrap_or(0);
            DayPoint {
                date: format_day(day),
                qualified_views: v,
                earnings: if total > 0 {
                    amount * v as f64 / total as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(Json(DailySeries {
        period: period.to_string(),
        status,
        days,
    }))
}
