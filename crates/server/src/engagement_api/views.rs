//! `POST /video/{hash_id}/views`: a viewer reports a watch.
//!
//! Body: `{"watched_seconds": number, "session_id": "…"}`. The viewer is the signed-in user
//! (bearer token) or, without a token, the anonymous id in the `X-Viewer-Id` header. Whether
//! the watch counts as a qualified view follows DESIGN.md (`domain::metrics::decide_view`); a
//! watch that does not count is still logged, with its reason. The owner's own watches never
//! count. A session reports once: repeating a `session_id` returns the first outcome (200
//! instead of 201) and changes nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::target;
use crate::auth;
use crate::state::AppState;
use crate::video_api::error::{ValidationIssue, VideoApiError};
use crate::view_writer::WatchReport;

const SESSION_ID_MAX_CHARS: usize = 64;
/// Durations are stored in whole milliseconds; a report may exceed the stored value by that.
const DURATION_ROUNDING_SECONDS: f64 = 0.001;

pub fn router() -> Router<AppState> {
    Router::new().route("/video/{hash_id}/views", post(record_view))
}

#[derive(Serialize)]
struct ViewRecorded {
    session_id: String,
    counted: bool,
    /// `too_short`, `within_window`, `daily_cap` or `own_video` when not counted.
    reason: Option<String>,
}

async fn record_view(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ViewRecorded>), VideoApiError> {
    let caller = auth::optional_account(&state, &headers).await?;
    let video = target::engageable_video(&state, &hash_id, caller.as_ref()).await?;
    let viewer = target::viewer_key(caller.as_ref(), &headers)?;
    let body = target::json_object(&body)?;
    let session_id = target::text_field(&body, "session_id", SESSION_ID_MAX_CHARS)?;
    let watched_seconds = target::number_field(&body, "watched_seconds")?;
    let duration = video.duration_seconds.unwrap_or(0.0);
    let loc = ["body", "watched_seconds"];
    if watched_seconds < 0.0 {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "Input should be greater than or equal to 0",
            "greater_than_equal",
        )));
    }
    if watched_seconds > duration + DURATION_ROUNDING_SECONDS {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            format!("Input should be at most the video's duration ({duration} s)"),
            "less_than_equal",
        )));
    }
    let by_owner = video.is_owned_by(caller.as_ref().map(|a| a.id));
    let recorded = state
        .views
        .record(WatchReport {
            video: video.id,
            duration_seconds: duration,
            viewer,
            session_id: session_id.clone(),
            watched_seconds,
            by_owner,
            at: state.clock.now(),
        })
        .await?;
    let status = if recorded.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(ViewRecorded {
            session_id,
            counted: recorded.counted,
            reason: recorded.reason,
        }),
    ))
}
