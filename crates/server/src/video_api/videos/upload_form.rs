//! `POST /media/uploads`: the form post that `GET /video/upload/` prepared, served by reelshare
//! itself in place of an S3 bucket. The fields `key`, `Content-Type`, `policy` and `signature`
//! must come first and are verified, with the uploader's account and the unused `hash_id`,
//! before a byte of `file` (the last field, as S3 requires) is read.
//!
//! The file streams to staging under the policy's size limit. Crash safety follows the order
//! of the writes: the original is made durable first, then the `processing` row and its job
//! commit in one transaction, then the workers are woken. A crash before the commit leaves no
//! row (at worst an unreferenced original); after it, the job survives and runs.
//!
//! A file over the policy's limit (by its declared length, or while streaming) is refused with
//! 413 and none of its bytes are kept; once the policy has verified, a `failed` row with
//! `Maximum file size exceeded` is recorded too, so the owner sees in `/video/my/` what happened
//! to that `hash_id` (the original service reported it the same way). Success is 204 No
//! Content, like S3's default. A file that arrives too slowly is cut off with 408 and leaves
//! no bytes and no row; uploads are rate-limited by client IP and by account (429).

use std::collections::HashMap;

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use domain::ids::{HashId, UserId};
use domain::lifecycle::FailureReason;
use domain::text::{Description, FileName, Title};
use store::videos::{self, NewVideo};
use store::{StoreError, accounts, jobs};

use crate::http::client_ip::ClientIp;
use crate::http::limits::Action;
use crate::state::AppState;
use crate::upload::ingest::{self, IngestError};
use crate::upload::worker;
use crate::video_api::error::VideoApiError;
use crate::video_api::links::UPLOAD_FORM_PATH;
use crate::video_api::policy::{
    CONTENT_TYPE_FIELD, KEY_FIELD, POLICY_FIELD, SIGNATURE_FIELD, UploadPolicy,
};

/// Room for the policy fields and multipart framing on top of the file size limit.
const FORM_OVERHEAD_BYTES: u64 = 64 * 1024;
const TEXT_FIELD_MAX_BYTES: usize = 8 * 1024;
const POLICY_FIELDS: [&str; 4] = [KEY_FIELD, CONTENT_TYPE_FIELD, POLICY_FIELD, SIGNATURE_FIELD];

pub fn router() -> Router<AppState> {
    Router::new()
        .route(UPLOAD_FORM_PATH, post(receive_upload))
        // The limit is the policy's, enforced while streaming.
        .layer(DefaultBodyLimit::disable())
}

/// Receive Signed Upload Form
#[utoipa::path(post, path = "/media/uploads", tag = "video",
    request_body(content_type = "multipart/form-data",
        description = "Every field of `signatures` from `GET /video/upload/`, then `file`."),
    responses(
        (status = 204, description = "Upload accepted; processing is queued"),
        (status = 400, description = "Malformed form: {\"error\": \"<why>\"}"),
        (status = 403, description = "Signature, expiry or fields do not match the policy"),
        (status = 409, description = "This form was already used"),
        (status = 408, description = "The file arrived too slowly"),
        (status = 413, description = "Maximum file size exceeded"),
        (status = 429, description = "Too many uploads; see `Retry-After`"),
    ))]
pub(crate) async fn receive_upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<StatusCode, VideoApiError> {
    state.rate_limits.check_ip(Action::Upload, ip)?;
    let mut multipart = multipart
        .map_err(|_| VideoApiError::BadRequest("expected a multipart/form-data body".into()))?;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let mut fields: HashMap<String, String> = HashMap::new();
    while let Some(mut field) = multipart.next_field().await.map_err(IngestError::from)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let policy = verified_policy(&state, &fields)?;
            accept_file(&state, policy, declared, &mut field).await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        if !POLICY_FIELDS.contains(&name.as_str()) || fields.contains_key(&name) {
            return Err(VideoApiError::BadRequest(format!(
                "unexpected form field {name:?}"
            )));
        }
        let value = ingest::read_text(&mut field, TEXT_FIELD_MAX_BYTES).await?;
        fields.insert(name, value);
    }
    Err(VideoApiError::BadRequest(
        "the form has no file field".into(),
    ))
}

fn verified_policy(
    state: &AppState,
    fields: &HashMap<String, String>,
) -> Result<UploadPolicy, VideoApiError> {
    let field = |name: &str| {
        fields.get(name).map(String::as_str).ok_or_else(|| {
            VideoApiError::BadRequest(format!("missing form field {name:?} before the file"))
        })
    };
    UploadPolicy::verify(
        &state.signer,
        field(POLICY_FIELD)?,
        field(SIGNATURE_FIELD)?,
        field(KEY_FIELD)?,
        field(CONTENT_TYPE_FIELD)?,
        state.clock.now(),
    )
    .map_err(|e| VideoApiError::Forbidden(e.to_string()))
}

async fn accept_file(
    state: &AppState,
    policy: UploadPolicy,
    declared_length: Option<u64>,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<(), VideoApiError> {
    let forbidden = || VideoApiError::Forbidden("the upload policy names no valid account".into());
    let user_id = UserId::parse(&policy.user_id).map_err(|_| forbidden())?;
    let owner = match accounts::find_account_by_public_id(state.pool(), &user_id).await {
        Ok(account) => account,
        Err(StoreError::NotFound) => return Err(forbidden()),
        Err(other) => return Err(other.into()),
    };
    state
        .rate_limits
        .check_account(Action::Upload, &owner.id.to_string())?;
    let hash_id = HashId::parse(&policy.hash_id).map_err(|_| forbidden())?;
    match videos::find_video_by_hash(state.pool(), &hash_id).await {
        Ok(_) => return Err(already_used()),
        Err(StoreError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }

    // Checked when the form was issued and covered by its signature; checked again because
    // the row takes typed values only.
    let file_name = FileName::parse(&policy.file_name).map_err(|_| forbidden())?;
    let title = Title::from_file_name(&file_name);
    let description = Description::default();
    let now = state.clock.now();
    let new_video = |size_in_bytes| NewVideo {
        hash_id: &hash_id,
        owner: owner.id,
        file_name: &file_name,
        title: &title,
        description: &description,
        content_type: &policy.content_type,
        size_in_bytes,
        facts: None,
        uploaded_at: now,
        listed_at: None,
    };
    let limit = policy.max_size_in_bytes;
    // A body declared too large is refused without reading the file; otherwise the limit is
    // enforced while streaming.
    if declared_length.is_some_and(|length| length > limit + FORM_OVERHEAD_BYTES) {
        return Err(refuse_too_large(state, new_video(0)).await);
    }
    let staged = match ingest::stage_file(field, &state.media, limit).await {
        Ok(staged) => staged,
        Err(IngestError::TooLarge { .. }) => {
            return Err(refuse_too_large(state, new_video(0)).await);
        }
        Err(other) => return Err(other.into()),
    };

    let size_in_bytes = staged.len();
    state.media.put_original(&hash_id, staged).await?;
    match jobs::insert_video_and_job(state.pool(), new_video(size_in_bytes)).await {
        Ok(video_id) => {
            tracing::info!(%video_id, %hash_id, size_in_bytes, "upload received; processing queued");
            worker::wake();
            Ok(())
        }
        // A concurrent post of the same form won the race; the bytes now belong to its row.
        Err(StoreError::Conflict(_)) => Err(already_used()),
        Err(error) => {
            if let Err(cleanup) = state.media.delete_all(&hash_id).await {
                tracing::error!(%hash_id, %cleanup, "could not remove the bytes of a failed upload");
            }
            Err(error.into())
        }
    }
}

/// Records the refused upload as failed (no bytes were kept) and answers 413.
async fn refuse_too_large(state: &AppState, video: NewVideo<'_>) -> VideoApiError {
    let reason = FailureReason::MaximumFileSizeExceeded;
    let hash_id = video.hash_id.clone();
    match videos::insert_failed_video(state.pool(), video, reason).await {
        Ok(_) | Err(StoreError::Conflict(_)) => {}
        Err(error) => tracing::error!(%hash_id, %error, "could not record an oversized upload"),
    }
    tracing::info!(%hash_id, "upload refused: over the size limit");
    VideoApiError::PayloadTooLarge(reason.message().into())
}

fn already_used() -> VideoApiError {
    VideoApiError::Conflict("this upload form was already used".into())
}
