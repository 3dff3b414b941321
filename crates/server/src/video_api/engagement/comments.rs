//! `POST /video/{hash_id}/comments` (signed in; body `{"text": "…"}`, 1 to 2 000 characters
//! after trimming) and `GET /video/{hash_id}/comments?limit=&before=` (anyone who may see the
//! video): newest first, `limit` 1 to 100 (default 20), and `next_before` to pass as `before`
//! for the next page (null on the last page).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use store::engagement::{self, Comment};
use utoipa::ToSchema;

use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::http::timefmt;
use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{Caller, JsonBody, MaybeCaller, QueryParams};
use crate::video_api::lookup;
use domain::text::Lines;

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

// Documentation only: the handler reads the body field by field (`JsonBody` and its reader) so
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
        (status = 429, description = "Too many comments; see `Retry-After`"),
    ))]
pub(crate) async fn add_comment(
    State(state): State<AppState>,
    Path(hash_id): Path<String>,
    ClientIp(ip): ClientIp,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CommentJson>), VideoApiError> {
    state.rate_limits.check_ip(Action::Comment, ip)?;
    state
        .rate_limits
        .check_account(Action::Comment, &caller.id.to_string())?;
    let video = lookup::engageable_video(&state, &hash_id, Some(&caller)).await?;
    let body = JsonBody::parse(headers.get(CONTENT_TYPE), &body)?;
    let mut reader = body.reader()?;
    let text = reader.text("text", COMMENT_MAX_CHARS, Lines::Multiple);
    let text = reader.finish_with(text)?;
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
    MaybeCaller(caller): MaybeCaller,
    query: QueryParams,
) -> Result<Json<CommentPage>, VideoApiError> {
    let video = lookup::engageable_video(&state, &hash_id, caller.as_ref()).await?;
    let mut reader = query.reader();
    let limit = reader
        .positive("limit", Some(i64::from(MAX_PAGE)))
        .map_or(DEFAULT_PAGE, |n| n as u32);
    let before = reader.positive("before", None);
    reader.finish()?;
    let page = engagement::comments_page(state.pool(), video.id, before, limit).await?;
    let next_before = (page.len() == limit as usize)
        .then(|| page.last().map(|c| c.id))
        .flatten();
    Ok(Json(CommentPage {
        comments: page.into_iter().map(CommentJson::from).collect(),
        next_before,
    }))
}
