//! `GET /app/moderation`: the moderation queue for moderators (reported videos, those under
//! review first, each with its pending reports and newest reason), and
//! `POST /app/moderation/{hash_id}`: a form that approves a video or marks it non-compliant,
//! with a note. The decision goes through the Video API's own `decide` (same validation,
//! same log), after the form's CSRF token is checked. Anyone else gets 404: the page's
//! existence is not advertised.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::account::Role;
use maud::html;
use serde::Deserialize;
use store::moderation;

use super::error::WebError;
use super::layout::page;
use super::session::{self, MaybeViewer, Viewer};
use crate::http::session_cookie::CSRF_FIELD;
use crate::state::AppState;
use crate::video_api::engagement::moderation as api;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::Caller;

/// Videos shown at once; the rest wait for the next visit.
const QUEUE_PAGE: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app/moderation", get(queue))
        .route("/app/moderation/{hash_id}", post(decide))
}

fn moderator(viewer: Option<Viewer>) -> Result<Viewer, WebError> {
    viewer
        .filter(|v| v.account.role == Role::Moderator)
        .ok_or(WebError::NotFound)
}

async fn queue(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
) -> Result<Response, WebError> {
    let viewer = moderator(viewer)?;
    let queued = moderation::queue(state.pool(), QUEUE_PAGE).await?;
    let main = html! {
        section class="card" id="moderation" {
            h1 { "Moderation queue" }
            @if queued.is_empty() { p id="queue-empty" { "Nothing waits for a decision." } }
            ul class="queue" {
                @for item in &queued {
                    li data-hash-id=(item.hash_id) {
                        p {
                            b { (item.title) }
                            @if item.under_review != 0 { " " span class="state failed" { "under review" } }
                        }
                        p class="hint" { (item.pending_reports) " pending report(s)"
                            @if let Some(reason) = &item.latest_reason { ": “" (reason) "”" } }
                        form method="post" action={ "/app/moderation/" (item.hash_id) } class="decide" {
                            input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf);
                            input name="note" required maxlength="1000" placeholder="Note (why)" aria-label="Note";
                            div class="buttons" {
                                button type="submit" name="compliance" value="1" class="approve" { "Approve" }
                                button type="submit" name="compliance" value="0" class="secondary reject" { "Non-compliant" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Moderation", Some(&viewer), main, &[]).into_response())
}

#[derive(Deserialize)]
struct DecisionForm {
    csrf_token: String,
    compliance: u8,
    note: String,
}

async fn decide(
    State(state): State<AppState>,
    MaybeViewer(viewer): MaybeViewer,
    Path(hash_id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, WebError> {
    let viewer = moderator(viewer)?;
    if !session::check_form_csrf(&state, &viewer, &form.csrf_token) {
        return Ok((
            StatusCode::FORBIDDEN,
            format!("{CSRF_FIELD} missing or wrong"),
        )
            .into_response());
    }
    let body = serde_json::json!({ "compliance": form.compliance, "note": form.note });
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let decided = api::decide(
        State(state.clone()),
        Path(hash_id),
        Caller(viewer.account.clone()),
        headers,
        Bytes::from(body.to_string()),
    )
    .await;
    match decided {
        Ok(_) => Ok(Redirect::to("/app/moderation").into_response()),
        Err(VideoApiError::Validation(issues)) => {
            let why: Vec<String> = issues.into_iter().map(|issue| issue.msg).collect();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, why.join("; ")).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
