//! `POST /video/{hash_id}/comments` (signed in; body `{"text": "…"}`, 1 to 2 000 characters
//! after trimming) and `GET /video/{hash_id}/comments?limit=&before=` (anyone who may see the
//! video): newest first, `limit` 1 to 100 (default 20), and `next_before` to pass as `before`
//! for the next page (null on the last page).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::collections::HashMap;
use store::engagement::{self, Comment};
use utoipa::ToSchema;

use super::target;
use crate::auth;
use crate::state::AppState;
use crate::timefmt;
use crate::video_api::error::{ValidationIssue, VideoApiError};

pub const COMMENT_MAX_CHARS: usize = 2_000;
const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/video/{hash_id}/comments",
        get(list_comments).post(add_comment),
    )
}

/// A comment and its author.
#[derive(Serialize, ToSchema)]
#[schema(as = Comment)]
pub(crate) struct CommentJson {
    id: i64,
    /// The author's public user id.
    user_id: String,
    username: String,
    text: String,
    created_at: String,
}

// Documentation only: the handler reads the body field by field (`target::json_object`) so
// that every problem is a 422 in FastAPI's shape; this type only describes it.
/// A new comment.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct NewComment {
    /// 1 to 2 000 characters after trimming.
    #[schema(min_length = 1, max_length = 2000)]
    text: String,
}

impl From<Comment> for CommentJson {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            user_id: c.author.as_str().to_owned(),
            username: c.author_name,
            text: c.body,
            created_at: timefmt::iso8601(c.created_at),
        }
    }
}

/// Comment On A Video
#[utoipa::path(post, path = "/video/{hash_id}/comments", tag = "engagement",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    request_body(content = NewComment),
    responses(
        (status = 201, description = "Posted", body = CommentJson),
        (status = 401, description = "Unauthorized"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn add_comment(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CommentJson>), VideoApiError> {
    let caller = target::account(&state, &headers).await?;
    let video = target::engageable_video(&state, &hash_id, Some(&caller)).await?;
    let body = target::json_object(&body)?;
    let text = target::text_field(&body, "text", COMMENT_MAX_CHARS)?;
    let comment =
        engagement::add_comment(state.pool(), video.id, caller.id, &text, state.clock.now())
            .await?;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

/// A page of comments, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct CommentPage {
    comments: Vec<CommentJson>,
    /// Pass back as `before` for the following page; null on the last page.
    next_before: Option<i64>,
}

fn positive_query(
    query: &HashMap<String, String>,
    name: &str,
    max: Option<i64>,
) -> Result<Option<i64>, VideoApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 1 && max.is_none_or(|m| n <= m) => Ok(Some(n)),
        _ => Err(VideoApiError::invalid(ValidationIssue::new(
            &["query", name],
            match max {
                Some(m) => format!("Input should be an integer from 1 to {m}"),
                None => "Input should be a positive integer".to_owned(),
            },
            "int_parsing",
        ))),
    }
}

/// Get Video Comments
///
/// Newest first, for anyone who may see the video.
#[utoipa::path(get, path = "/video/{hash_id}/comments", tag = "engagement",
    security((), ("bearer" = [])),
    params(
        ("hash_id" = String, Path),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 20)"),
        ("before" = Option<i64>, Query, minimum = 1, description = "The `next_before` of the previous page"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = CommentPage),
        (status = 401, description = "A token was sent but is not valid"),
        (status = 403, description = "Forbidden: a private video of someone else"),
        (status = 404, description = "Not Found: unknown, a draft or not processed"),
        (status = 422, description = "Validation Error: `limit` or `before`"),
    ))]
pub(crate) async fn list_comments(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<CommentPage>, VideoApiError> {
    let caller = auth::optional_account(&state, &headers).await?;
    let video = target::engageable_video(&state, &hash_id, caller.as_ref()).await?;
    let limit = positive_query(&query, "limit", Some(i64::from(MAX_PAGE)))?
        .map_or(DEFAULT_PAGE, |n| n as u32);
    let before = positive_query(&query, "before", None)?;
    let page = engagement::comments_page(state.pool(), video.id, before, limit).await?;
    let next_before = (page.len() == limit as usize)
        .then(|| page.last().map(|c| c.id))
        .flatten();
    Ok(Json(CommentPage {
        comments: page.into_iter().map(CommentJson::from).collect(),
        next_before,
    }))
}
