//! The caller's own videos: `GET /video/my/` (unfinished and failed uploads, then processed
//! ones, drafts included, newest first), `PUT /video/my/{hash_id}` (the first edit lists a
//! draft and must carry `title` and `description`; afterwards only `title`, `description` and
//! `is_private` change) and `DELETE /video/my/{hash_id}` (the row, then every stored byte;
//! 425 while processing). A video that is not the caller's is answered as unknown: 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use domain::account::Account;
use domain::lifecycle::ProcessingState;
use domain::text::{Description, Title};
use domain::video::Video;
use store::videos::{self, VideoEdit};

use super::json::{UnprocessedVideoRecord, UserVideosList, VideoRecord};
use crate::state::AppState;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{BodyReader, Caller, JsonBody};
use crate::video_api::links::Links;
use crate::video_api::lookup::{self, NotOwned};

/// The fields a `PUT` may carry.
const EDITABLE: [&str; 3] = ["title", "description", "is_private"];

pub fn router() -> Router<AppState> {
    Router::new().route("/video/my", get(my_videos)).route(
        "/video/my/{hash_id}",
        put(update_video).delete(delete_video),
    )
}

/// Get Authenticated User Videos
#[utoipa::path(get, path = "/video/my/", tag = "video",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = UserVideosList),
        (status = 401, description = "Unauthorized"),
    ))]
pub(crate) async fn my_videos(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
) -> Result<Json<UserVideosList>, VideoApiError> {
    let links = Links::for_request(&state, &headers);
    let mut list = UserVideosList {
        unprocessed_videos: Vec::new(),
        videos: Vec::new(),
    };
    let all = videos::list_account_videos(state.pool(), caller.id).await?;
    for video in all.iter().rev() {
        match video.state {
            ProcessingState::Ready => list.videos.push(VideoRecord::new(video, &links)),
            ProcessingState::Processing | ProcessingState::Failed(_) => list
                .unprocessed_videos
                .push(UnprocessedVideoRecord::new(video)),
        }
    }
    Ok(Json(list))
}

/// The caller's video `raw` (any state); anything else is not found.
async fn owned_video(
    state: &AppState,
    caller: &Account,
    raw: &str,
) -> Result<Video, VideoApiError> {
    lookup::owned_video(state, caller, raw, NotOwned::NotFound).await
}

/// A checked `PUT` body.
struct Edit {
    title: Option<Title>,
    description: Option<Description>,
    is_private: Option<bool>,
    unsupported: Option<String>,
}

fn parse_edit(body: &serde_json::Value) -> Result<Edit, VideoApiError> {
    let mut reader = BodyReader::new(body)?;
    let unsupported = reader
        .keys()
        .find(|key| !EDITABLE.contains(key))
        .map(str::to_owned);
    let title = reader
        .string("title")
        .and_then(|raw| match Title::parse(raw) {
            Ok(title) => Some(title),
            Err(error) => {
                reader.reject("title", error.to_string());
                None
            }
        });
    let description = reader
        .string("description")
        .and_then(|raw| match Description::parse(raw) {
            Ok(description) => Some(description),
            Err(error) => {
                reader.reject("description", error.to_string());
                None
            }
        });
    let is_private = reader.boolean("is_private");
    reader.finish()?;
    Ok(Edit {
        title,
        description,
        is_private,
        unsupported,
    })
}

/// Update Video
#[utoipa::path(put, path = "/video/my/{hash_id}", tag = "video",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    request_body(content = serde_json::Value, description = "Only `title`, `description` and `is_private`; the first update must carry `title` and `description`."),
    responses(
        (status = 204, description = "Successful Response"),
        (status = 400, description = "Bad Request: {\"error\": \"<why>\"}"),
        (status = 401, description = "Unauthorized"),
        (status = 404, description = "Not Found"),
        (status = 422, description = "Validation Error"),
    ))]
pub(crate) async fn update_video(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(hash_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<StatusCode, VideoApiError> {
    let edit = parse_edit(&body)?;
    let video = owned_video(&state, &caller, &hash_id).await?;
    if edit.unsupported.is_some() {
        return Err(VideoApiError::BadRequest("unsupported field".into()));
    }
    match video.state {
        ProcessingState::Ready => {}
        ProcessingState::Processing => {
            return Err(VideoApiError::BadRequest(
                "video is still processing".into(),
            ));
        }
        ProcessingState::Failed(_) => {
            return Err(VideoApiError::BadRequest("video failed processing".into()));
        }
    }
    let first = video.listed_at.is_none();
    if first && (edit.title.is_none() || edit.description.is_none()) {
        return Err(VideoApiError::BadRequest(
            "the first update must set title and description".into(),
        ));
    }
    videos::update_video(
        state.pool(),
        video.id,
        VideoEdit {
            title: edit.title.as_ref(),
            description: edit.description.as_ref(),
            is_private: edit.is_private,
            list_at: first.then(|| state.clock.now()),
        },
    )
    .await?;
    state.video_cache.forget(&video.hash_id);
    Ok(StatusCode::NO_CONTENT)
}

/// Delete Video
#[utoipa::path(delete, path = "/video/my/{hash_id}", tag = "video",
    security(("bearer" = [])),
    params(("hash_id" = String, Path)),
    responses(
        (status = 204, description = "Successful Response"),
        (status = 401, description = "Unauthorized"),
        (status = 404, description = "Not Found"),
        (status = 425, description = "Too Early: the video is still processing"),
    ))]
pub(crate) async fn delete_video(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(hash_id): Path<String>,
) -> Result<StatusCode, VideoApiError> {
    let video = owned_video(&state, &caller, &hash_id).await?;
    if video.state == ProcessingState::Processing {
        return Err(VideoApiError::TooEarly("video is still processing".into()));
    }
    // The row goes first: a crash in between leaves unreferenced bytes, never a row whose
    // bytes are gone.
    videos::delete_video(state.pool(), video.id).await?;
    state.video_cache.forget(&video.hash_id);
    state.media.delete_all(&video.hash_id).await?;
    tracing::info!(video_id = %video.id, hash_id = %video.hash_id, "video deleted");
    Ok(StatusCode::NO_CONTENT)
}
