//! `GET /app/v/{hash_id}`: one video's page: the player, title, creator, description, counts,
//! a share link and the comments (listed and posted by `video.js` through the Video API). The
//! same visibility as engaging with the video: drafts, unfinished uploads and unknown ids are
//! 404, someone else's private video is 403.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use maud::html;
use store::{accounts, engagement, videos};

use super::error::WebError;
use super::layout::page;
use super::session::MaybeViewer;
use crate::state::AppState;
use crate::video_api::links::Links;
use crate::video_api::lookup;

pub fn router() -> Router<AppState> {
    Router::new().route("/app/v/{hash_id}", get(video_page))
}

async fn video_page(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    headers: HeaderMap,
    Path(hash_id): Path<String>,
) -> Result<Html<String>, WebError> {
    let caller = viewer.as_ref().map(|v| &v.account);
    let video = lookup::engageable_video(&state, &hash_id, caller).await?;
    let creator = accounts::find_account(state.pool(), video.owner).await?;
    let stats = videos::video_stats(state.pool(), video.id).await?;
    let liked = match caller {
        Some(caller) => engagement::likes(state.pool(), video.id, caller.id).await?,
        None => false,
    };
    let share = Links::for_request(&state, &headers).absolute(&format!("/app/v/{}", video.hash_id));
    let main = html! {
        article class="watch" id="watch" data-hash-id=(video.hash_id.to_string())
            data-user-id=(video.owner_public_id.to_string()) {
            div class="player" {
                video id="player" controls playsinline loop preload="metadata" {}
            }
            div class="card" {
                h1 id="video-title" { (video.title.as_str()) }
                p class="by" { "by " a id="creator" href={ "/app/u/" (creator.public_id.to_string()) } { (creator.display_name) } }
                p class="counts" {
                    button type="button" id="like" class="secondary" aria-pressed=(liked) {
                        "♥ " span id="likes" { (stats.likes) } }
                    " " span { span id="views" { (stats.qualified_views) } " views" }
                    " · " span { span id="comment-count" { (stats.comments) } " comments" }
                    " · " span { span id="shares" { (stats.shares) } " shares" }
                }
                @if !video.description.as_str().is_empty() {
                    p class="description" { (video.description.as_str()) }
                }
                label { "Share link" input id="share-link" readonly value=(share); }
                button type="button" id="share" class="secondary" { "Copy and share" }
            }
            section class="card" id="comments-section" {
                h2 { "Comments" }
                @if viewer.is_some() {
                    form id="comment-form" class="row" {
                        input name="text" id="comment-text" maxlength="2000" required placeholder="Add a comment";
                        button type="submit" { "Post" }
                    }
                } @else {
                    p { a href="/app/signin" { "Sign in" } " to comment." }
                }
                ol id="comment-list" class="comment-list" {}
            }
        }
    };
    Ok(page(
        video.title.as_str(),
        viewer.as_ref(),
        main,
        &["hls.light.min.js", "player.js", "video.js"],
    ))
}
