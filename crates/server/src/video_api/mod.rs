//! The Video API (`shared/seeds/001_…txt`) with FastAPI's error shapes: the original FastAPI
//! service's video endpoints, and beside them the accounts and engagement endpoints, which
//! speak the same shapes. One surface over the same domain as the Creator API: it parses
//! requests into domain types, calls the store, and maps results to this API's JSON.
//!
//! Shared by every endpoint of the surface:
//! - [`error`]: this surface's error type and its one mapping to responses.
//! - [`extract`]: query, header and body readers with FastAPI's 422s; who is calling.
//! - [`lookup`]: the video a request names, as the caller may see it.
//! - [`links`], [`cursor`], [`policy`]: signed links, feed cursors, upload policies.
//!
//! Routes are registered without a trailing slash (the OpenAPI document keeps the seed's
//! spelling, e.g. `/video/explore/`): [`app`](crate::http::app) trims one from every request
//! of this surface, so each path answers in both forms.
//!
//! The endpoints:
//! - [`videos`]: the original service's endpoints: upload, the caller's videos, feeds,
//!   watch links and what they point at.
//! - [`accounts`]: register, log in, log out.
//! - [`engagement`]: views, likes, comments, shares, follows, reports, moderation, earnings.

pub(crate) mod accounts;
pub(crate) mod cursor;
pub(crate) mod engagement;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod links;
pub(crate) mod lookup;
pub(crate) mod policy;
pub(crate) mod videos;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(videos::router())
        .merge(accounts::router())
        .merge(engagement::router())
}

/// This surface's part of the OpenAPI document.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = videos::openapi();
    doc.merge(accounts::openapi());
    doc.merge(engagement::openapi());
    doc
}
