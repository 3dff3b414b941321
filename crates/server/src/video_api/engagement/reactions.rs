//! Likes and shares of a video; both need a signed-in user.
//!
//! - `PUT /video/{hash_id}/like` likes (once per user; repeating is harmless) and
//!   `DELETE /video/{hash_id}/like` takes it back. Both answer `{"liked", "likes"}`.
//! - `POST /video/{hash_id}/shares` records a share. A user's shares of a video count once per
//!   UTC day (201 when this one counted, 200 when it did not), so repeated clicks cannot pump
//!   the engagement rate.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Serialize;
use store::{engagement, videos};
use utoipa::ToSchema;

use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::Caller;
use crate::video_api::lookup;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/video/{hash_id}/like", put(like).delete(unlike))
        .route("/video/{hash_id}/shares", post(share))
}

/// Whether the caller likes the video now, and its like count.
#[derive(Serialize, ToSchema)]
pub(crate) struct LikeState {
    liked: bool,
    likes: i64,
}

/// Like A Video
///
/// Once per user; liking again changes nothing.
#[utoipa::path(put, path = "/video/{hash_id}/like", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = LikeState),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
    ))]
pub(crate) async fn like(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<LikeState>, VideoApiError> {
    let video = lookup::engageable_video(&state, &hash_id, Some(&caller)).await?;
    engagement::like(state.pool(), video.id, caller.id, state.clock.now()).await?;
    let stats = videos::video_stats(state.pool(), video.id).await?;
    Ok(Json(LikeState {
        liked: true,
        likes: stats.likes,
    }))
}

/// Take Back A Like
///
/// Harmless when the caller did not like the video.
#[utoipa::path(delete, path = "/video/{hash_id}/like", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = LikeState),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
    ))]
pub(crate) async fn unlike(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<LikeState>, VideoApiError> {
    let video = lookup::engageable_video(&state, &hash_id, Some(&caller)).await?;
    engagement::unlike(state.pool(), video.id, caller.id, state.clock.now()).await?;
    let stats = videos::video_stats(state.pool(), video.id).await?;
    Ok(Json(LikeState {
        liked: false,
        likes: stats.likes,
    }))
}

/// Whether this share counted, and the video's share count.
#[derive(Serialize, ToSchema)]
pub(crate) struct ShareRecorded {
    counted: bool,
    shares: i64,
}

/// Share A Video
///
/// A user's shares of a video count once per UTC day.
#[utoipa::path(post, path = "/video/{hash_id}/shares", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 200, description = "Not counted: the caller already shared this video today", body = ShareRecorded),
        (status = 201, description = "Counted", body = ShareRecorded),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
    ))]
pub(crate) async fn share(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    Caller(caller): Caller,
) -> Result<(StatusCode, Json<ShareRecorded>), VideoApiError> {
    let video = lookup::engageable_video(&state, &hash_id, Some(&caller)).await?;
    let counted = engagement::share(state.pool(), video.id, caller.id, state.clock.now()).await?;
    let stats = videos::video_stats(state.pool(), video.id).await?;
    let status = if counted {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(ShareRecorded {
            counted,
            shares: stats.shares,
        }),
    ))
}
