//! What every engagement endpoint starts with: who is calling, which video they mean (and
//! whether they may engage with it), and the JSON body read so that every problem is a 422 in
//! FastAPI's shape.
//!
//! Engagement is only for listed videos the caller may see, the same rule as watching: an
//! unknown id, a draft or an unfinished upload is 404, someone else's private video is 403.
//! The row comes from [`crate::video_cache`] (at most a second old when another node changed
//! it).

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderMap;
use domain::ids::HashId;
use domain::video::{Video, Visibility};
use serde_json::{Map, Value};
use store::accounts::Account;
use store::videos;

use crate::auth;
use crate::state::AppState;
use crate::video_api::error::{ValidationIssue, VideoApiError};

/// The header an anonymous viewer identifies itself with.
pub const VIEWER_ID_HEADER: &str = "x-viewer-id";
const VIEWER_ID_MAX_LEN: usize = 64;

/// The caller's account, which must be there.
pub async fn account(state: &AppState, headers: &HeaderMap) -> Result<Account, VideoApiError> {
    Ok(auth::required_account(state, headers).await?)
}

/// A video by its hash id that `caller` may engage with.
pub async fn engageable_video(
    state: &AppState,
    hash_id: &str,
    caller: Option<&Account>,
) -> Result<Arc<Video>, VideoApiError> {
    let hash_id = HashId::parse(hash_id).map_err(|_| VideoApiError::NotFound)?;
    let video = state.video_cache.video(state.pool(), &hash_id).await?;
    match video.visibility_for(caller.map(|a| a.id)) {
        Visibility::Visible if video.is_listed() => Ok(video),
        Visibility::Private => Err(VideoApiError::Forbidden("This video is private".into())),
        _ => Err(VideoApiError::NotFound),
    }
}

/// A video by its hash id, whatever its state (for owners and moderators).
pub async fn any_video(state: &AppState, hash_id: &str) -> Result<Video, VideoApiError> {
    let hash_id = HashId::parse(hash_id).map_err(|_| VideoApiError::NotFound)?;
    Ok(videos::find_video_by_hash(state.pool(), &hash_id).await?)
}

/// Who is watching: `u:<account id>` for a signed-in user, `a:<X-Viewer-Id>` for an anonymous
/// viewer (1 to 64 characters from `A-Z a-z 0-9 - _ .`).
pub fn viewer_key(caller: Option<&Account>, headers: &HeaderMap) -> Result<String, VideoApiError> {
    if let Some(account) = caller {
        return Ok(format!("u:{}", account.id));
    }
    let loc = ["header", VIEWER_ID_HEADER];
    let raw = headers
        .get(VIEWER_ID_HEADER)
        .ok_or_else(|| VideoApiError::invalid(ValidationIssue::missing(&loc)))?;
    let id = raw.to_str().unwrap_or_default();
    let well_formed = !id.is_empty()
        && id.len() <= VIEWER_ID_MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !well_formed {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "must be 1 to 64 characters from A-Z, a-z, 0-9, '-', '_' and '.'",
            "string_pattern_mismatch",
        )));
    }
    Ok(format!("a:{id}"))
}

/// The request body as a JSON object.
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, VideoApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(VideoApiError::invalid(ValidationIssue::new(
            &["body"],
            "Input should be a valid dictionary",
            "dict_type",
        ))),
        Err(e) => Err(VideoApiError::invalid(ValidationIssue::new(
            &["body"],
            format!("JSON decode error: {e}"),
            "json_invalid",
        ))),
    }
}

/// A required string field of 1 to `max_chars` characters after trimming.
pub fn text_field(
    body: &Map<String, Value>,
    name: &str,
    max_chars: usize,
) -> Result<String, VideoApiError> {
    let loc = ["body", name];
    let value = body
        .get(name)
        .ok_or_else(|| VideoApiError::invalid(ValidationIssue::missing(&loc)))?;
    let Value::String(text) = value else {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "Input should be a valid string",
            "string_type",
        )));
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "String should have at least 1 character",
            "string_too_short",
        )));
    }
    if text.chars().count() > max_chars {
        return Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            format!("String should have at most {max_chars} characters"),
            "string_too_long",
        )));
    }
    Ok(text.to_owned())
}

/// A required JSON number field (JSON has no NaN or infinity, so it is finite).
pub fn number_field(body: &Map<String, Value>, name: &str) -> Result<f64, VideoApiError> {
    let loc = ["body", name];
    match body.get(name) {
        None => Err(VideoApiError::invalid(ValidationIssue::missing(&loc))),
        Some(Value::Number(n)) => n.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
            VideoApiError::invalid(ValidationIssue::new(
                &loc,
                "Input should be a finite number",
                "finite_number",
            ))
        }),
        Some(_) => Err(VideoApiError::invalid(ValidationIssue::new(
            &loc,
            "Input should be a valid number",
            "float_type",
        ))),
    }
}
