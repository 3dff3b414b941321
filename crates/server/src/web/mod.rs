//! The web app under `/app/`: a viewer feed, a creator studio, sign-up and sign-in, for people
//! who should not need curl. Pages are rendered on the server with `maud` (checked at compile
//! time); what moves (the feed, the player, the uploader, the studio's list) is small
//! hand-written scripts that call the same JSON APIs as every other client, with the browser's
//! session cookie and its CSRF token ([`http::session_cookie`](crate::http::session_cookie)).
//! Every asset is embedded in the binary; no Node at build or run time.
//!
//! - [`session`]: who the browser is, setting and clearing the cookie, form CSRF checks.
//! - [`error`]: this surface's error type, rendered as an HTML page.
//! - [`layout`]: the page frame every page shares (phone and desktop widths).
//! - [`assets`]: the embedded scripts and stylesheet, with cache headers.
//! - [`accounts`]: sign up, sign in, sign out.
//! - [`feed`]: the vertical feed.
//! - [`studio`]: upload and the creator's own videos.
//! - [`video_page`]: one video: player, description, comments, share link.
//! - [`analytics`]: a video's metrics, score, projected share and daily charts; earnings.
//! - [`charts`]: SVG bar charts and meters drawn on the server.
//! - [`moderation`]: the moderation queue and its decisions, for moderators.
//! - [`profile`]: a creator's profile: followers, follow button, listed videos.
//! - [`social`]: the small JSON the feed needs beyond the Video API (counts, creator name).

mod accounts;
mod analytics;
mod assets;
mod charts;
mod error;
mod feed;
mod layout;
mod moderation;
mod profile;
mod session;
mod social;
mod studio;
mod video_page;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app", get(|| async { Redirect::permanent("/app/") }))
        .merge(feed::router())
        .merge(accounts::router())
        .merge(studio::router())
        .merge(social::router())
        .merge(video_page::router())
        .merge(profile::router())
        .merge(analytics::router())
        .merge(moderation::router())
        .merge(assets::router())
}
