//! `GET /app/api/videos/{hash_id}/social`: what the feed shows beside a video and the Video
//! API's video record lacks: the creator's display name, the like, comment, share and view
//! counts, and whether the caller likes it. The same visibility rule as engaging with a video
//! (`lookup::engageable_video`): drafts, unfinished uploads and unknown ids are 404, someone
//! else's private video 403. Errors in the Video API's shape.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use store::{accounts, engagement, videos};

use crate::http::auth;
use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::lookup;

pub fn router() -> Router<AppState> {
    Router::new().route("/app/api/videos/{hash_id}/social", get(social))
}

#[derive(Serialize)]
struct Social {
    creator_name: String,
    creator_user_id: String,
    likes: i64,
    comments: i64,
    shares: i64,
    views: i64,
    liked: bool,
}

async fn social(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(hash_id): Path<String>,
) -> Result<Json<Social>, VideoApiError> {
    let caller = auth::optional_account(&state, &headers).await?;
    let video = lookup::engageable_video(&state, &hash_id, caller.as_ref()).await?;
    let stats = videos::video_stats(state.pool(), video.id).await?;
    let creator = accounts::find_account(state.pool(), video.owner).await?;
    let liked = match &caller {
        Some(caller) => engagement::likes(state.pool(), video.id, caller.id).await?,
        None => false,
    };
    Ok(Json(Social {
        creator_name: creator.display_name,
        creator_user_id: creator.public_id.to_string(),
        likes: stats.likes,
        comments: stats.comments,
        shares: stats.shares,
        views: stats.qualified_views,
        liked,
    }))
}
