//! The creator's numbers, rendered on the server: `GET /app/studio/v/{hash_id}` (one video:
//! qualified views, the six metrics W/E/D/R/S/C as labelled meters with what each means, the
//! quality score, the projected share and earnings, why it earns nothing when it does not,
//! and daily views and earnings as SVG charts) and `GET /app/studio/earnings` (the open
//! period's projection per video and the closed periods' ledger). Both call the Video API's
//! own earnings functions, so the page and `/video/{hash_id}/earnings/…` cannot disagree.
//! Owners only: another's video is 404 here (the API's 403 included), and signed-out
//! browsers go to sign in.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::allocation::ZeroReason;
use maud::html;
use store::videos;

use super::charts;
use super::error::WebError;
use super::layout::page;
use super::session::MaybeViewer;
use crate::state::AppState;
use crate::video_api::engagement::earnings;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{Caller, QueryParams};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/studio/v/{hash_id}", get(video_analytics))
        .route("/app/studio/earnings", get(earnings_page))
}

/// The six metrics: letter, name, and what it measures.
const METRICS: [(&str, &str, &str); 6] = [
    (
        "W",
        "Watch completion",
        "How much of the video a qualified view watches, on average.",
    ),
    (
        "E",
        "Engagement rate",
        "Likes, comments and shares per qualified view (at most 1).",
    ),
    (
        "D",
        "Engagement diversity",
        "How evenly engagement spreads over likes, comments and shares.",
    ),
    (
        "R",
        "Rewatch",
        "Share of viewers who came back for a second qualified view.",
    ),
    (
        "S",
        "Text quality",
        "How well the title and description describe the video.",
    ),
    (
        "C",
        "Compliance",
        "1 unless a moderator marked the video non-compliant (0 while under review).",
    ),
];

fn zero_reason_text(reason: ZeroReason) -> &'static str {
    match reason {
        ZeroReason::NonCompliant => "It earns nothing: a moderator marked it non-compliant.",
        ZeroReason::UnderReview => "It earns nothing while it waits for a moderator after reports.",
        ZeroReason::NoQualifiedViews => "It earns nothing yet: no qualified views in this period.",
        ZeroReason::ZeroQuality => {
            "It earns nothing: one of its metrics is 0, so its quality score is 0."
        }
    }
}

fn money(amount: f64) -> String {
    format!("${amount:.2}")
}

async fn video_analytics(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(hash_id): Path<String>,
) -> Result<Response, WebError> {
    let Some(viewer) = viewer else {
        return Ok(Redirect::to("/app/signin").into_response());
    };
    let owned = |e: VideoApiError| match e {
        VideoApiError::Forbidden(_) => WebError::NotFound,
        other => other.into(),
    };
    let caller = || Caller(viewer.account.clone());
    let Json(explained) = earnings::explain(State(state.clone()), Path(hash_id.clone()), caller())
        .await
        .map_err(owned)?;
    let Json(daily) = earnings::daily(
        State(state.clone()),
        Path(hash_id.clone()),
        caller(),
        QueryParams::empty(),
    )
    .await
    .map_err(owned)?;
    let video =
        videos::find_video(state.pool(), domain::ids::VideoId::new(explained.video_id)).await?;
    let metrics = explained.metrics;
    let values = [
        metrics.watch_completion.get(),
        metrics.engagement_rate.get(),
        metrics.engagement_diversity.get(),
        metrics.rewatch.get(),
        metrics.nlp_quality.get(),
        metrics.compliance.get(),
    ];
    let views: Vec<(String, f64)> = daily
        .days
        .iter()
        .map(|d| (d.date.clone(), d.qualified_views as f64))
        .collect();
    let money_by_day: Vec<(String, f64)> = daily
        .days
        .iter()
        .map(|d| (d.date.clone(), d.earnings))
        .collect();
    let main = html! {
        section class="card" id="analytics" data-hash-id=(explained.hash_id) {
            h1 { "Analytics: " (video.title.as_str()) }
            p { a href={ "/app/v/" (explained.hash_id) } { "Watch" } " · " a href="/app/studio" { "Studio" }
                " · " a href="/app/studio/earnings" { "Earnings" } }
            dl class="figures" {
                div { dt { "Qualified views (" (explained.period) ")" } dd id="qualified-views" { (explained.qualified_views) } }
                div { dt { "Quality score Q" } dd id="quality-score" { (format!("{:.3}", explained.quality_score)) } }
                div { dt { "Projected share of the pool" } dd id="share" { (format!("{:.2} %", explained.rev_prop * 100.0)) } }
                div { dt { "Projected earnings" } dd id="earnings" { (money(explained.proj_earnings)) } }
            }
            @if let Some(reason) = explained.zero_reason {
                p class="notice" id="zero-reason" { (zero_reason_text(reason)) }
            }
            p class="hint" { "Q combines the six metrics below; the pool of " (money(explained.pool))
                " is split among videos by Q and views (α " (explained.alpha) ")." }
        }
        section class="card metrics" {
            h2 { "Metrics" }
            @for ((letter, name, hint), value) in METRICS.iter().zip(values) {
                (charts::meter(letter, name, value, hint))
            }
        }
        section class="card charts" {
            h2 { "Daily, " (daily.period) " (" (daily.status) ")" }
            (charts::daily_bars("Qualified views per day", "daily-views", &views, |v| format!("{v:.0}")))
            (charts::daily_bars("Earnings per day", "daily-earnings", &money_by_day, money))
        }
    };
    Ok(page("Analytics", Some(&viewer), main, &[]).into_response())
}

async fn earnings_page(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
) -> Result<Response, WebError> {
    let Some(viewer) = viewer else {
        return Ok(Redirect::to("/app/signin").into_response());
    };
    let Json(report) =
        earnings::creator_earnings(State(state.clone()), Caller(viewer.account.clone())).await?;
    let titles: HashMap<i64, String> = videos::list_account_videos(state.pool(), viewer.account.id)
        .await?
        .into_iter()
        .map(|v| (v.id.get(), v.title.as_str().to_owned()))
        .collect();
    let title = |id: i64| {
        titles
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("video {id}"))
    };
    let main = html! {
        section class="card" id="earnings-page" {
            h1 { "Earnings" }
            p { "Open period " b { (report.open_period) } ": pool " (money(report.pool))
                ", your projected total " b id="projected-total" { (money(report.projected_total)) } "." }
            @if report.projected.is_empty() {
                p { "No activity on your videos in this period yet." }
            } @else {
                table class="table" id="projected" {
                    thead { tr { th { "Video" } th { "Views" } th { "Share" } th { "Projected" } } }
                    tbody {
                        @for line in &report.projected {
                            tr {
                                td { a href={ "/app/studio/v/" (line.hash_id) } { (title(line.video_id)) } }
                                td { (line.qualified_views) }
                                td { (format!("{:.2} %", line.rev_prop * 100.0)) }
                                td { (money(line.proj_earnings)) }
                            }
                        }
                    }
                }
            }
        }
        section class="card" {
            h2 { "Closed periods" }
            p { "Paid in total: " b id="paid-total" { (money(report.paid_total_cents as f64 / 100.0)) } }
            @if report.ledger.is_empty() {
                p { "No closed period yet." }
            } @else {
                table class="table" id="ledger" {
                    thead { tr { th { "Period" } th { "Video" } th { "Views" } th { "Q" } th { "Amount" } } }
                    tbody {
                        @for line in &report.ledger {
                            tr {
                                td { (line.period) }
                                td { (title(line.video_id)) }
                                td { (line.qualified_views) }
                                td { (format!("{:.3}", line.quality_score)) }
                                td { (money(line.amount_cents as f64 / 100.0)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Earnings", Some(&viewer), main, &[]).into_response())
}
