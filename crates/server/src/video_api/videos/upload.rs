//! Starting an upload: `GET /video/upload/config` (the limits) and `GET /video/upload/`, which
//! checks the file's content type and name and hands out a signed form policy for a new
//! `hash_id` (see [`policy`](crate::video_api::policy)). No row exists until the form is posted.
//! A refused content type or name is a 400 with the original service's message
//! (`invalid file content type::…`, `invalid file name::…`); the name follows the original's
//! rule, [`UploadFileName`].

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use domain::text::UploadFileName;

use super::json::{FileUploadSignedInstructions, VideoUploadConfigRecord};
use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::state::AppState;
use crate::upload::publishing;
use crate::video_api::error::VideoApiError;
use crate::video_api::extract::{Caller, QueryParams};
use crate::video_api::links::{Links, UPLOAD_FORM_PATH};
use crate::video_api::policy::{
    CONTENT_TYPE_FIELD, KEY_FIELD, POLICY_FIELD, SIGNATURE_FIELD, UploadPolicy,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/video/upload/config", get(upload_config))
        .route("/video/upload", get(upload_instructions))
}

/// Get Video Upload Config
#[utoipa::path(get, path = "/video/upload/config", tag = "video",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = VideoUploadConfigRecord),
        (status = 401, description = "Unauthorized"),
    ))]
pub(crate) async fn upload_config(
    State(state): State<AppState>,
    Caller(_caller): Caller,
) -> Json<VideoUploadConfigRecord> {
    Json(VideoUploadConfigRecord {
        max_size_in_bytes: state.settings.max_upload_bytes,
        valid_file_types: state.settings.valid_file_types.clone(),
    })
}

/// Get Upload Video Signed Instructions
#[utoipa::path(get, path = "/video/upload/", tag = "video",
    security(("bearer" = [])),
    params(
        ("file_content_type" = String, Query, description = "One of the configured video types"),
        ("file_name" = String, Query, description = "1 to 255 bytes of a-z A-Z 0-9 ! @ _ . ' ( ) -, not starting or ending with a dot"),
    ),
    responses(
        (status = 200, description = "Successful Response", body = FileUploadSignedInstructions),
        (status = 400, description = "Bad Request: {\"error\": \"invalid file content type::…\"} or {\"error\": \"invalid file name::…\"}"),
        (status = 401, description = "Unauthorized"),
        (status = 422, description = "Validation Error"),
        (status = 429, description = "Too many upload forms; see `Retry-After`"),
    ))]
pub(crate) async fn upload_instructions(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Caller(caller): Caller,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Json<FileUploadSignedInstructions>, VideoApiError> {
    state.rate_limits.check_ip(Action::UploadForm, ip)?;
    state
        .rate_limits
        .check_account(Action::UploadForm, &caller.id.to_string())?;
    let mut query = params.reader();
    let content_type = query.required("file_content_type");
    let file_name = query.required("file_name");
    query.finish()?;
    let valid_types = &state.settings.valid_file_types;
    if !valid_types.contains(&content_type) {
        return Err(VideoApiError::BadRequest(format!(
            "invalid file content type::{content_type}, supported types: {}",
            python_list(valid_types)
        )));
    }
    let file_name = UploadFileName::parse(&file_name).map_err(|_| {
        VideoApiError::BadRequest(format!(
            "invalid file name::{file_name}, allowed characters: {}",
            UploadFileName::ALLOWED_CHARACTERS
        ))
    })?;

    let ttl = i64::try_from(state.settings.upload_form_ttl.as_secs()).unwrap_or(60);
    let policy = UploadPolicy {
        user_id: caller.public_id.to_string(),
        hash_id: publishing::new_hash_id().to_string(),
        file_name: file_name.to_string(),
        content_type,
        max_size_in_bytes: state.settings.max_upload_bytes,
        expires_at: state.clock.now().as_seconds() + ttl,
    };
    let (encoded, signature) = policy.sign(&state.signer);
    let signatures = BTreeMap::from([
        (KEY_FIELD.to_owned(), policy.hash_id.clone()),
        (CONTENT_TYPE_FIELD.to_owned(), policy.content_type.clone()),
        (POLICY_FIELD.to_owned(), encoded),
        (SIGNATURE_FIELD.to_owned(), signature),
    ]);
    Ok(Json(FileUploadSignedInstructions {
        url: Links::for_request(&state, &headers).absolute(UPLOAD_FORM_PATH),
        signatures,
    }))
}

/// A list of strings as the original service (Python) printed one in its messages:
/// `['video/mp4', 'video/webm']`.
fn python_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("'{item}'")).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_printed_the_way_python_prints_them() {
        let types = ["video/mp4".to_owned(), "video/webm".to_owned()];
        assert_eq!(python_list(&types), "['video/mp4', 'video/webm']");
        assert_eq!(python_list(&[]), "[]");
    }
}
