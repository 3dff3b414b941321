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
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::engagement::view_writer::WatchReport;
use crate::state::AppState;
use crate::video_api::error::{ValidationIssue, VideoApiError};
use crate::video_api::extract::{JsonBody, MaybeCaller, viewer_key};
use crate::video_api::lookup;
use domain::text::Lines;

const SESSION_ID_MAX_CHARS: usize = 64;
/// Durations are stored in whole milliseconds; a report may exceed the stored value by that.
const DURATION_ROUNDING_SECONDS: f64 = 0.001;

pub fn router() -> Router<AppState> {
    Router::new().route("/video/{hash_id}/views", post(record_view))
}

/// The outcome of a reported watch.
#[derive(Serialize, ToSchema)]
pub(crate) struct ViewRecorded {
    session_id: String,
    /// Whether the watch counts as a qualified view.
    counted: bool,
    /// `too_short`, `within_window`, `daily_cap` or `own_video` when not counted.
    reason: Option<String>,
}

// Documentation only: the handler reads the body field by field (`JsonBody` and its reader) so
// that every problem is a 422 in FastAPI's shape; this type only describes it.
/// A watch report.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct ViewReport {
    /// Seconds watched, from 0 to the video's duration.
    #[schema(minimum = 0)]
    watched_seconds: f64,
    /// The client's id for this viewing session (1 to 64 characters after trimming); a
    /// session reports once.
    #[schema(min_length = 1, max_length = 64)]
    session_id: String,
}

/// Report A Watch
///
/// The viewer is the signed-in user or, without a token, the anonymous viewer named by
/// `X-Viewer-Id`. A watch that does not count as a qualified view is still logged, with its
/// reason. Repeating a `session_id` returns the first outcome (200) and changes nothing.
#[utoipa::path(post, path = "/video/{hash_id}/views", tag = "engagement",
    security((), ("bearer" = [])),
    params(
        ("hash_id" = String, Path),
        ("X-Viewer-Id" = Option<String>, Header, description = "Required without a token: the anonymous viewer's id, 1 to 64 characters of `A-Z a-z 0-9 - _ .`"),
    ),
    request_body(content = ViewReport),
    responses(
        (status = 200, description = "This session already reported: its first outcome, unchanged", body = ViewRecorded),
        (status = 201, description = "Recorded", body = ViewRecorded),
        (status = 401, description = "A token was sent but is not valid"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
        (status = 422, description = "Validation Error: the body, or `X-Viewer-Id` missing or malformed without a token"),
    ))]
pub(crate) async fn record_view(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    MaybeCaller(caller): MaybeCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ViewRecorded>), VideoApiError> {
    let video = lookup::engageable_video(&state, &hash_id, caller.as_ref()).await?;
    let viewer = viewer_key(caller.as_ref(), &headers)?;
    let body = JsonBody::parse(headers.get(CONTENT_TYPE), &body)?;
    let mut reader = body.reader()?;
    let session_id = reader.text("session_id", SESSION_ID_MAX_CHARS, Lines::Single);
    let watched_seconds = reader.number("watched_seconds");
    let (session_id, watched_seconds) = reader.finish_with(session_id.zip(watched_seconds))?;
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
