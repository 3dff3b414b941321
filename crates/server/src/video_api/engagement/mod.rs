//! The engagement endpoints, part of the Video API surface (its extractors, lookups and
//! FastAPI's error shape): what viewers do with videos, moderation, and what creators earn.
//!
//! Viewers: a signed-in user (`Authorization: Bearer …`) or, for watches only, an anonymous
//! viewer identified by the `X-Viewer-Id` header (an id the client picks once and keeps, 1 to
//! 64 characters of `A-Z a-z 0-9 - _ .`). Likes, comments, shares, follows and reports need a
//! signed-in user. Only listed videos the caller may see can be engaged with: others are 404,
//! or 403 for someone else's private video, as for watching.
//!
//! - [`views`]: `POST /video/{hash_id}/views`.
//! - [`reactions`]: likes and shares.
//! - [`comments`]: posting and paging comments.
//! - [`follows`]: following users.
//! - [`moderation`]: reports, moderators' decisions, closing a period.
//! - [`earnings`]: creators' earnings, explanations and daily series.
//!
//! Each handler carries its OpenAPI description (`#[utoipa::path]`, tag `engagement`);
//! [`openapi`] collects them for `/openapi.json`.

mod comments;
pub(crate) mod earnings;
mod follows;
pub(crate) mod moderation;
mod reactions;
mod views;

use axum::Router;
use utoipa::OpenApi;

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

/// This surface's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        views::record_view,
        reactions::like,
        reactions::unlike,
        reactions::share,
        comments::list_comments,
        comments::add_comment,
        follows::follow,
        follows::unfollow,
        moderation::report,
        moderation::moderation_state,
        moderation::decide,
        moderation::close_period,
        earnings::creator_earnings,
        earnings::explain,
        earnings::daily,
    ),
    components(schemas(
        views::ViewReport,
        views::ViewRecorded,
        reactions::LikeState,
        reactions::ShareRecorded,
        comments::NewComment,
        comments::CommentJson,
        comments::CommentPage,
        follows::FollowState,
        moderation::NewReport,
        moderation::Reported,
        moderation::ModerationDecision,
        moderation::ModerationState,
        moderation::PeriodClosed,
        earnings::CreatorEarnings,
        earnings::ProjectedVideo,
        earnings::LedgerJson,
        earnings::Explained,
        earnings::VideoMetricsJson,
        earnings::ZeroReasonJson,
        earnings::DailySeries,
        earnings::DayPoint,
    ))
)]
struct EngagementApiDoc;

/// This surface's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    EngagementApiDoc::openapi()
}
