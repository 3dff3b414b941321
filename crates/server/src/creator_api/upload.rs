//! `POST /upload-video` (multipart: `creator_id`, `title`, `file`): the Creator API's
//! synchronous upload. The file streams to staging under the size limit, is probed and
//! thumbnailed, and only then are its bytes and row stored; the video is listed at once
//! (this API has no draft step). Any refusal leaves no file and no row.
//!
//! Text fields sent before the file are checked before a byte of the file is read, so a bad
//! request does not cost a full upload. Uploads need the creator's token unless the
//! development setting `allow_anonymous_creator_uploads` is on; they are rate-limited by
//! client IP and by creator (429), and a file arriving too slowly is cut off (408).

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use domain::ids::AccountId;
use domain::text::{Description, FileName, Title};
use store::accounts;
use store::staging::StagedFile;

use super::error::CreatorApiError;
use super::json::UploadCreated;
use super::query::parse_positive_integer;
use crate::http::auth;
use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::state::AppState;
use crate::upload::ingest;
use crate::upload::processing::RETRY_AFTER_SECONDS;
use crate::upload::publishing::{self, ProcessedUpload};

/// Room for the form's other fields and multipart framing on top of the file size limit.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;
const TEXT_FIELD_MAX_BYTES: usize = 4096;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/upload-video", post(upload_video))
        // The size limit is enforced while streaming, with this API's own 413.
        .layer(DefaultBodyLimit::disable())
}

struct UploadForm {
    creator_id: Option<AccountId>,
    title: Option<Title>,
    file: Option<(String, StagedFile)>,
}

async fn upload_video(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<UploadCreated>), CreatorApiError> {
    state.rate_limits.check_ip(Action::Upload, ip)?;
    let limit = state.settings.max_upload_bytes;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit + FORM_OVERHEAD_BYTES) {
        return Err(CreatorApiError::PayloadTooLarge { limit });
    }
    let caller = auth::optional_account(&state, &headers).await?;

    let mut form = UploadForm {
        creator_id: None,
        title: None,
        file: None,
    };
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(ingest::IngestError::from)?
    {
        match field.name().unwrap_or_default() {
            "creator_id" => {
                let raw = ingest::read_text(&mut field, TEXT_FIELD_MAX_BYTES).await?;
                let id = AccountId::new(parse_positive_integer("creator_id", &raw)?);
                authorize(&state, caller.as_ref().map(|c| c.id), id).await?;
                state
                    .rate_limits
                    .check_account(Action::Upload, &id.to_string())?;
                form.creator_id = Some(id);
            }
            "title" => {
                let raw = ingest::read_text(&mut field, TEXT_FIELD_MAX_BYTES).await?;
                let title =
                    Title::parse(&raw).map_err(|e| CreatorApiError::BadRequest(e.to_string()))?;
                form.title = Some(title);
            }
            "file" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                if file_name.trim().is_empty() {
                    return Err(CreatorApiError::BadRequest("no selected file".into()));
                }
                let staged = ingest::stage_file(&mut field, &state.media, limit).await?;
                form.file = Some((file_name, staged));
            }
            _ => {
                // Unknown fields are read and ignored, within the same bound.
                ingest::read_text(&mut field, TEXT_FIELD_MAX_BYTES).await?;
            }
        }
    }

    let Some((file_name, staged)) = form.file else {
        return Err(CreatorApiError::BadRequest("no file part".into()));
    };
    let creator_id = form
        .creator_id
        .ok_or_else(|| CreatorApiError::BadRequest("missing form field creator_id".into()))?;
    let title = form
        .title
        .ok_or_else(|| CreatorApiError::BadRequest("title is required".into()))?;
    if staged.is_empty() {
        return Err(CreatorApiError::UnsupportedMediaType(
            "not a video file: the file is empty".into(),
        ));
    }

    let slot = state
        .processing
        .enter()
        .await
        .map_err(|_| CreatorApiError::Busy {
            retry_after_seconds: RETRY_AFTER_SECONDS,
        })?;
    let processed = state.pipeline.process(staged.path()).await?;
    let upload = ProcessedUpload {
        owner: creator_id,
        file_name: &FileName::sanitize(&file_name),
        title: &title,
        description: &Description::default(),
        processed: &processed,
        listed_at: Some(state.clock.now()),
    };
    // Publishing packages the video for playback (a faststart copy, HLS segments): still
    // processing work, so it keeps the slot.
    let video_id = publishing::publish_processed(&state, upload, staged).await?;
    drop(slot);
    tracing::info!(%video_id, %creator_id, "creator upload stored");
    Ok((
        StatusCode::CREATED,
        Json(UploadCreated {
            ok: true,
            video_id: video_id.get(),
        }),
    ))
}

/// The creator must exist; with a token it must be the caller; without one, anonymous uploads
/// must be allowed (a development setting).
async fn authorize(
    state: &AppState,
    caller: Option<AccountId>,
    creator: AccountId,
) -> Result<(), CreatorApiError> {
    accounts::find_account(state.pool(), creator).await?;
    match caller {
        Some(caller) if caller == creator => Ok(()),
        Some(_) => Err(CreatorApiError::Forbidden(
            "creator_id does not match the authenticated account".into(),
        )),
        None if state.settings.allow_anonymous_creator_uploads => Ok(()),
        None => Err(CreatorApiError::Unauthorized("Not authenticated".into())),
    }
}
