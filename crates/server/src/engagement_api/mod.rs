//! The engagement endpoints, beside the Video API and in its error shape (FastAPI's
//! `{"detail": …}`): what viewers do with videos, moderation, and what creators earn.
//!
//! Viewers: a signed-in user (`Authorization: Bearer …`) or, for watches only, an anonymous
//! viewer identified by the `X-Viewer-Id` header (an id the client picks once and keeps, 1 to
//! 64 characters of `A-Z a-z 0-9 - _ .`). Likes, comments, shares, follows and reports need a
//! signed-in user. Only listed videos the caller may see can be engaged with: others are 404,
//! or 403 for someone else's private video, as for watching.
//!
//! - errors: [`VideoApiError`](crate::video_api::error::VideoApiError), shared with the Video API.
//! - [`target`]: the caller, the video and the body every endpoint starts from.
//! - [`views`]: `POST /video/{hash_id}/views`.
//! - [`reactions`]: likes and shares.
//! - [`comments`]: posting and paging comments.
//! - [`follows`]: following users.
//! - [`moderation`]: reports, moderators' decisions, closing a period.
//! - [`earnings`]: creators' earnings, explanations and daily series.

mod comments;
mod earnings;
mod follows;
mod moderation;
mod reactions;
mod target;
mod views;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(views::router())
        .merge(reactions::router())
        .merge(comments::router())
        .merge(follows::router())
        .merge(moderation::router())
        .merge(earnings::router())
}
