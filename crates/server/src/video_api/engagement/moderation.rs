//! Reports and moderation.
//!
//! - `POST /video/{hash_id}/reports` (signed in; body `{"reason": "…"}`, 1 to 500 characters):
//!   one report per user per video (201 the first time, 200 after). When the reports since the
//!   last moderator decision reach `report_threshold`, the video is under review: C = 0 until a
//!   moderator decides.
//! - `PUT /moderation/videos/{hash_id}` (moderators; body `{"compliance": 0 | 1, "note": "…"}`)
//!   sets the video's compliance, ends any review, and is logged; `GET` on the same path shows
//!   the video's moderation state.
//! - `POST /admin/periods/{period}/close` (moderators) closes a period (`YYYY-MM`) into the
//!   ledger, like `reelshare payout close`. 409 when the period has not ended or is closed.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{post, put};
use axum::{Json, Router};
use domain::account::{Account, Role};
use domain::allocation::Period;
use serde::Serialize;
use serde_json::Value;
use store::moderation::{self, Decision};
use utoipa::ToSchema;

use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::payout::projection;
use crate::state::AppState;
use crate::video_api::error::{ValidationIssue, VideoApiError};
use crate::video_api::extract::{Caller, JsonBody};
use crate::video_api::lookup;
use domain::text::Lines;

const REASON_MAX_CHARS: usize = 500;
const NOTE_MAX_CHARS: usize = 1_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/video/{hash_id}/reports", post(report))
        .route(
            "/moderation/videos/{hash_id}",
            put(decide).get(moderation_state),
        )
        .route("/admin/periods/{period}/close", post(close_period))
}

/// The report is on file; `under_review` when the video now waits for a moderator.
#[derive(Serialize, ToSchema)]
pub(crate) struct Reported {
    reported: bool,
    under_review: bool,
}

// Documentation only: the handler reads the body field by field (`JsonBody` and its reader) so
// that every problem is a 422 in FastAPI's shape; this type only describes it.
/// A report of a video.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct NewReport {
    /// 1 to 500 characters after trimming.
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// Report A Video
///
/// One report per user per video. When the reports since the last moderator decision reach
/// the configured threshold, the video is under review (C = 0) until a moderator decides.
#[utoipa::path(post, path = "/video/{hash_id}/reports", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    request_body(content = NewReport),
    responses(
        (status = 200, description = "The caller had already reported this video", body = Reported),
        (status = 201, description = "Reported", body = Reported),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
        (status = 422, description = "Validation Error"),
        (status = 429, description = "Too many reports; see `Retry-After`"),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    ClientIp(ip): ClientIp,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Reported>), VideoApiError> {
    state.rate_limits.check_ip(Action::Report, ip)?;
    state
        .rate_limits
        .check_account(Action::Report, &caller.id.to_string())?;
    let video = lookup::engageable_video(&state, &hash_id, Some(&caller)).await?;
    let body = JsonBody::parse(headers.get(CONTENT_TYPE), &body)?;
    let mut reader = body.reader()?;
    let reason = reader.text("reason", REASON_MAX_CHARS, Lines::Multiple);
    let reason = reader.finish_with(reason)?;
    let outcome = moderation::report(
        state.pool(),
        video.id,
        caller.id,
        &reason,
        state.clock.now(),
        state.settings.report_threshold,
    )
    .await?;
    if outcome.under_review {
        tracing::info!(video_id = %video.id, "video under review after reports");
    }
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Reported {
            reported: true,
            under_review: outcome.under_review,
        }),
    ))
}

/// Moderators only: anyone else is a 403.
fn moderator(caller: &Account) -> Result<(), VideoApiError> {
    if caller.role == Role::Moderator {
        Ok(())
    } else {
        Err(VideoApiError::Forbidden(
            "Only moderators can do this".into(),
        ))
    }
}

/// A video's moderation state.
#[derive(Serialize, ToSchema)]
pub(crate) struct ModerationState {
    hash_id: String,
    /// C: 1 unless a moderator marked the video non-compliant.
    compliance: f64,
    under_review: bool,
    /// Reports since the last decision.
    pending_reports: i64,
    /// The last decision's note.
    note: Option<String>,
}

// Documentation only: the handler reads the body field by field (`JsonBody` and its reader) so
// that every problem is a 422 in FastAPI's shape; this type only describes it.
/// A moderator's decision.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ModerationDecision {
    /// 0 (non-compliant) or 1 (compliant); `false` and `true` are accepted too.
    #[schema(minimum = 0, maximum = 1)]
    compliance: u8,
    /// Why: 1 to 1 000 characters after trimming.
    #[schema(min_length = 1, max_length = 1000)]
    note: String,
}

async fn current_state(state: &AppState, hash_id: &str) -> Result<ModerationState, VideoApiError> {
    let video = lookup::any_video(state, hash_id).await?;
    let status = moderation::status(state.pool(), video.id).await?;
    Ok(ModerationState {
        hash_id: video.hash_id.as_str().to_owned(),
        compliance: video.compliance,
        under_review: status.is_under_review(),
        pending_reports: status.pending_reports,
        note: status.note,
    })
}

/// Decide On A Video
///
/// Moderators only. Sets the video's compliance (any video, whatever its state), ends any
/// review, and is logged.
#[utoipa::path(put, path = "/moderation/videos/{hash_id}", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    request_body(content = ModerationDecision),
    responses(
        (status = 200, description = "The video's moderation state after the decision", body = ModerationState),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: not a moderator"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn decide(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ModerationState>, VideoApiError> {
    moderator(&caller)?;
    let video = lookup::any_video(&state, &hash_id).await?;
    let body = JsonBody::parse(headers.get(CONTENT_TYPE), &body)?;
    let mut reader = body.reader()?;
    let compliance = match reader.required_value("compliance") {
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Some(0.0),
        Some(Value::Number(n)) if n.as_f64() == Some(1.0) => Some(1.0),
        Some(Value::Bool(b)) => Some(f64::from(u8::from(*b))),
        None => None,
        Some(_) => {
            reader.reject_as("compliance", "Input should be 0 or 1", "literal_error");
            None
        }
    };
    let note = reader.text("note", NOTE_MAX_CHARS, Lines::Multiple);
    let (compliance, note) = reader.finish_with(compliance.zip(note))?;
    moderation::decide(
        state.pool(),
        &Decision {
            video: video.id,
            moderator: caller.id,
            compliance,
            note: &note,
            at: state.clock.now(),
        },
    )
    .await?;
    tracing::info!(video_id = %video.id, moderator = %caller.id, compliance, "moderation decision");
    Ok(Json(current_state(&state, &hash_id).await?))
}

/// Get A Video's Moderation State
///
/// Moderators only; any video, whatever its state.
#[utoipa::path(get, path = "/moderation/videos/{hash_id}", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = ModerationState),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: not a moderator"),
        (status = 404, description = "Not Found"),
    ))]
pub(crate) async fn moderation_state(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<ModerationState>, VideoApiError> {
    moderator(&caller)?;
    Ok(Json(current_state(&state, &hash_id).await?))
}

/// A closed period's summary.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeriodClosed {
    /// `YYYY-MM`.
    period: String,
    pool_cents: i64,
    /// How many ledger lines were written.
    lines: usize,
    /// The sum of the ledger lines.
    total_cents: i64,
}

/// Close A Period
///
/// Moderators only. Writes the period's ledger, like `reelshare payout close`.
#[utoipa::path(post, path = "/admin/periods/{period}/close", tag = "engagement",
    security(("bearer" = [])),
    params(("period" = String, Path, description = "`YYYY-MM`")),
    responses(
        (status = 201, description = "Closed", body = PeriodClosed),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: not a moderator"),
        (status = 409, description = "Conflict: the period has not ended yet, or is already closed"),
        (status = 422, description = "Validation Error: not a `YYYY-MM` period"),
    ))]
pub(crate) async fn close_period(
    State(state): State<AppState>,
    Path(period): Path<String>,
    Caller(caller): Caller,
) -> Result<(StatusCode, Json<PeriodClosed>), VideoApiError> {
    moderator(&caller)?;
    let period = Period::parse(&period).map_err(|e| {
        VideoApiError::invalid(ValidationIssue::new(
            &["path", "period"],
            e.to_string(),
            "value_error",
        ))
    })?;
    let closed = projection::close_period(
        state.pool(),
        period,
        &state.settings.payout,
        state.clock.now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(PeriodClosed {
            period: closed.period.to_string(),
            pool_cents: closed.pool_cents,
            lines: closed.lines.len(),
            total_cents: closed.lines.iter().map(|l| l.amount_cents).sum(),
        }),
    ))
}
