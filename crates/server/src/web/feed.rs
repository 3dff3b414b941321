//! `GET /app/`: the feed, one vertical video at a time. The page is a frame; `feed.js` pages
//! through `/video/explore/`, fetches each video's watch link and counts as it comes near,
//! and reports watch time to `/video/{hash_id}/views`.

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use maud::html;

use super::layout::page;
use super::session::MaybeViewer;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/app/", get(feed))
}

async fn feed(MaybeViewer(viewer): MaybeViewer) -> Html<String> {
    let main = html! {
        section id="feed" class="feed" aria-label="Videos" data-signed-in=(viewer.is_some()) {
            p class="feed-empty" id="feed-empty" hidden { "No videos yet. " a href="/app/studio" { "Upload one" } }
        }
        dialog id="comments" class="comments" {
            header { h2 { "Comments" } button type="button" class="close" id="comments-close" aria-label="Close" { "✕" } }
            ol id="comment-list" {}
            @if viewer.is_some() {
                form id="comment-form" {
                    input name="text" id="comment-text" maxlength="2000" required placeholder="Add a comment";
                    button type="submit" { "Post" }
                }
            } @else {
                p { a href="/app/signin" { "Sign in" } " to comment." }
            }
        }
    };
    page(
        "Feed",
        viewer.as_ref(),
        main,
        &["hls.light.min.js", "player.js", "feed.js"],
    )
}
