//! The Video API's feeds: `GET /video/explore/` (every listed public video, newest listing
//! first; with a token, `include_my=true` (the default) adds the caller's own private ones and
//! `include_my=false` leaves all the caller's own out, as the original did) and
//! `GET /video/user/{user_id}` (one user's listed videos, their private ones only to
//! themselves). Both page by keyset, 30 at a time, with the signed opaque cursor of
//! [`cursor`](crate::video_api::cursor). Nobody else's private video is ever in either.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use domain::ids::UserId;
use domain::video::Video;
use store::accounts;
use store::videos::{self, ExploreReader, FeedPosition};

use super::json::{VideoRecord, VideosPage};
use crate::state::AppState;
use crate::video_api::cursor::{self, Feed};
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{MaybeCaller, QueryParams};
use crate::video_api::links::Links;

pub const PAGE_SIZE: u32 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/video/explore", get(explore))
        .route("/video/user/{user_id}", get(user_videos))
}

/// Explore Listed Videos
#[utoipa::path(get, path = "/video/explore/", tag = "video",
    params(
        ("next" = Option<String>, Query, description = "The `next` of the previous page"),
        ("include_my" = Option<bool>, Query, description = "With a token: true (the default) adds the caller's own private videos; false leaves out all the caller's own videos"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = VideosPage),
        (status = 400, description = "Invalid next page: {\"error\": \"invalid next page\"}"),
        (status = 401, description = "A token was sent but is not valid"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn explore(
    State(state): State<AppState>,
    caller: MaybeCaller,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Json<VideosPage>, VideoApiError> {
    let mut query = params.reader();
    let next = query.optional("next");
    let include_my = query.boolean("include_my", true);
    query.finish()?;
    let after = position(&state, Feed::Explore, next.as_deref())?;
    let reader = match caller.id() {
        None => ExploreReader::Anyone,
        Some(id) if include_my => ExploreReader::WithOwn(id),
        Some(id) => ExploreReader::WithoutOwn(id),
    };
    let rows = videos::explore_page(state.pool(), after, reader, PAGE_SIZE + 1).await?;
    Ok(Json(page(&state, &headers, Feed::Explore, rows)))
}

/// Get Specific User Videos
#[utoipa::path(get, path = "/video/user/{user_id}", tag = "video",
    params(
        ("user_id" = String, Path),
        ("next" = Option<String>, Query, description = "The `next` of the previous page"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = VideosPage),
        (status = 400, description = "Invalid next page: {\"error\": \"invalid next page\"}"),
        (status = 401, description = "A token was sent but is not valid"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn user_videos(
    State(state): State<AppState>,
    caller: MaybeCaller,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Json<VideosPage>, VideoApiError> {
    let mut query = params.reader();
    let next = query.optional("next");
    query.finish()?;
    let user_id = UserId::parse(&user_id).map_err(|_| VideoApiError::NotFound)?;
    let owner = accounts::find_account_by_public_id(state.pool(), &user_id).await?;
    let feed = Feed::User(owner.id);
    let after = position(&state, feed, next.as_deref())?;
    let include_private = caller.id() == Some(owner.id);
    let rows = videos::user_page(
        state.pool(),
        owner.id,
        include_private,
        after,
        PAGE_SIZE + 1,
    )
    .await?;
    Ok(Json(page(&state, &headers, feed, rows)))
}

/// Where to continue; an absent or empty `next` starts at the top.
fn position(
    state: &AppState,
    feed: Feed,
    next: Option<&str>,
) -> Result<Option<FeedPosition>, VideoApiError> {
    match next {
        None | Some("") => Ok(None),
        Some(cursor) => cursor::decode(&state.signer, feed, cursor).map(Some),
    }
}

/// One page from `PAGE_SIZE + 1` rows: the extra row only says whether a next page exists.
fn page(state: &AppState, headers: &HeaderMap, feed: Feed, mut rows: Vec<Video>) -> VideosPage {
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let next = match rows.last() {
        Some(last) if more => last.listed_at.map(|listed_at| {
            cursor::encode(
                &state.signer,
                feed,
                FeedPosition {
                    listed_at,
                    id: last.id,
                },
            )
        }),
        _ => None,
    };
    let links = Links::for_request(state, headers);
    VideosPage {
        videos: rows.iter().map(|v| VideoRecord::new(v, &links)).collect(),
        next,
    }
}
