//! `GET /app/u/{user_id}`: a creator's profile: display name, followers and following, a
//! follow button (for signed-in viewers other than the creator), and their listed videos,
//! which `profile.js` pages through `/video/user/{user_id}` (so private ones show only to
//! the creator, as that endpoint decides).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use domain::ids::UserId;
use maud::html;
use store::{accounts, engagement};

use super::error::WebError;
use super::layout::page;
use super::session::MaybeViewer;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/app/u/{user_id}", get(profile))
}

async fn profile(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(user_id): Path<String>,
) -> Result<Html<String>, WebError> {
    let user_id = UserId::parse(&user_id).map_err(|_| WebError::NotFound)?;
    let creator = accounts::find_account_by_public_id(state.pool(), &user_id).await?;
    let stats = accounts::creator_stats(state.pool(), creator.id).await?;
    let following = match &viewer {
        Some(v) => engagement::is_following(state.pool(), v.account.id, creator.id).await?,
        None => false,
    };
    let is_self = viewer.as_ref().is_some_and(|v| v.account.id == creator.id);
    let main = html! {
        section class="card profile" id="profile" data-user-id=(creator.public_id.to_string()) {
            h1 { (creator.display_name) }
            p class="counts" {
                span id="followers" { (stats.followers) } " followers · "
                span id="following" { (stats.following) } " following · "
                span { (stats.likes) } " likes"
            }
            @if viewer.is_some() && !is_self {
                button type="button" id="follow" aria-pressed=(following) {
                    @if following { "Following" } @else { "Follow" }
                }
            } @else if viewer.is_none() {
                p { a href="/app/signin" { "Sign in" } " to follow." }
            }
        }
        section class="card" {
            h2 { "Videos" }
            ul id="user-videos" class="grid" {}
            p id="user-empty" hidden { "No videos yet." }
            button type="button" id="more" class="secondary" hidden { "More" }
        }
    };
    Ok(page(
        &creator.display_name,
        viewer.as_ref(),
        main,
        &["profile.js"],
    ))
}
