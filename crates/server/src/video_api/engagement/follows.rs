//! `PUT /users/{user_id}/follow` and `DELETE /users/{user_id}/follow` (signed in): follow or
//! stop following a user by public id. Both are idempotent and answer `{"following",
//! "followers"}`. Following oneself is a 422. These rows are what `/get-creator-data`'s
//! `following` and `followers` count.

use axum::extract::{Path, State};
use axum::routing::put;
use axum::{Json, Router};
use domain::account::Account;
use domain::ids::UserId;
use serde::Serialize;
use store::accounts;
use store::engagement;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::video_api::error::{ValidationIssue, VideoApiError};
use crate::video_api::extract::Caller;

pub fn router() -> Router<AppState> {
    Router::new().route("/users/{user_id}/follow", put(follow).delete(unfollow))
}

/// Whether the caller follows the user now, and the user's follower count.
#[derive(Serialize, ToSchema)]
pub(crate) struct FollowState {
    following: bool,
    followers: i64,
}

async fn followee(state: &AppState, user_id: &str) -> Result<Account, VideoApiError> {
    let id = UserId::parse(user_id).map_err(|_| VideoApiError::NotFound)?;
    Ok(accounts::find_account_by_public_id(state.pool(), &id).await?)
}

/// Follow A User
///
/// Idempotent.
#[utoipa::path(put, path = "/users/{user_id}/follow", tag = "engagement",
    security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = FollowState),
        (status = 401, description = "Unauthorized"),
        (status = 404, description = "Not Found: unknown user"),
        (status = 422, description = "Validation Error: following oneself"),
    ))]
pub(crate) async fn follow(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<FollowState>, VideoApiError> {
    let followee = followee(&state, &user_id).await?;
    if followee.id == caller.id {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &["path", "user_id"],
            "You cannot follow yourself",
            "value_error",
        )));
    }
    engagement::follow(state.pool(), caller.id, followee.id, state.clock.now()).await?;
    let stats = accounts::creator_stats(state.pool(), followee.id).await?;
    Ok(Json(FollowState {
        following: true,
        followers: stats.followers,
    }))
}

/// Stop Following A User
///
/// Idempotent.
#[utoipa::path(delete, path = "/users/{user_id}/follow", tag = "engagement",
    security(("bearer" = [])),
    params(("user_id" = String, Path)),
    responses(
        (status = 200, description = "Successful Response", body = FollowState),
        (status = 401, description = "Unauthorized"),
        (status = 404, description = "Not Found: unknown user"),
    ))]
pub(crate) async fn unfollow(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    Caller(caller): Caller,
) -> Result<Json<FollowState>, VideoApiError> {
    let followee = followee(&state, &user_id).await?;
    engagement::unfollow(state.pool(), caller.id, followee.id).await?;
    let stats = accounts::creator_stats(state.pool(), followee.id).await?;
    Ok(Json(FollowState {
        following: false,
        followers: stats.followers,
    }))
}
