//! `GET /app/studio`: a creator's upload box and their own videos (signed in; otherwise to
//! the sign-in page). The page is a frame; `studio.js` uploads through the tus endpoint
//! (`/tus/`), resuming after a dropped connection or a reload, follows processing through
//! `/video/my/`, and edits, publishes and deletes through `/video/my/{hash_id}`.

use axum::Router;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::html;

use super::layout::page;
use super::session::MaybeViewer;
use crate::state::AppState;

/// Bytes per tus `PATCH`: small enough that a dropped connection loses little, large enough
/// that the request overhead does not matter.
const CHUNK_BYTES: u64 = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/app/studio", get(studio))
}

async fn studio(MaybeViewer(viewer): MaybeViewer) -> Response {
    let Some(viewer) = viewer else {
        return Redirect::to("/app/signin").into_response();
    };
    let main = html! {
        section class="card" id="upload" data-chunk-bytes=(CHUNK_BYTES) {
            h1 { "Upload a video" }
            label class="drop" id="drop" {
                input type="file" id="file" accept="video/*";
                span { "Choose a video or drop it here" }
            }
            div class="upload-fields" {
                label { "Title" input id="upload-title" maxlength="150" placeholder="(the file name)"; }
                label { "Description" textarea id="upload-description" maxlength="5000" rows="2" {} }
            }
            div class="progress" hidden id="progress" {
                progress id="progress-bar" max="100" value="0" {}
                span id="progress-text" { "0 %" }
            }
            p id="upload-status" role="status" {}
        }
        section class="card" {
            h2 { "My videos" }
            p { a href="/app/studio/earnings" { "Earnings" } " · " a href={ "/app/u/" (viewer.account.public_id.to_string()) } { "My profile" } }
            p id="my-empty" hidden { "Nothing uploaded yet." }
            ul id="my-videos" class="my-videos" {}
        }
    };
    page("Studio", Some(&viewer), main, &["studio.js"]).into_response()
}
