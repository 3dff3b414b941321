//! One upload in progress, `/tus/{id}`: `HEAD` (how many bytes arrived), `PATCH` (more bytes,
//! at exactly that offset) and `DELETE` (termination). Only the upload's owner sees it: to
//! anyone else it does not exist (404). An expired upload not yet swept is 410. A request
//! that writes or deletes holds the upload's file lock for its whole duration, so a second
//! one at the same time gets 423 Locked.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::account::Account;
use domain::ids::UploadId;
use store::StoreError;
use store::resumable::{self, ResumableFile};
use store::tus_uploads::{self, TusUpload};

use super::error::TusError;
use super::finish::finish;
use super::protocol::{
    self, Checksum, REELSHARE_VIDEO_ID, UPLOAD_EXPIRES, UPLOAD_LENGTH, UPLOAD_METADATA,
    UPLOAD_OFFSET,
};
use super::receive::{self, Incoming};
use crate::http::auth;
use crate::state::AppState;

/// The caller's own upload `raw_id`, expired or not.
async fn find_own(state: &AppState, caller: &Account, raw_id: &str) -> Result<TusUpload, TusError> {
    let id = UploadId::parse(raw_id).map_err(|_| TusError::NotFound)?;
    match tus_uploads::find(state.pool(), &id).await {
        Ok(upload) if upload.owner == caller.id => Ok(upload),
        Ok(_) | Err(StoreError::NotFound) => Err(TusError::NotFound),
        Err(other) => Err(other.into()),
    }
}

/// The caller's own upload `raw_id`, not expired.
async fn own_upload(
    state: &AppState,
    caller: &Account,
    raw_id: &str,
) -> Result<TusUpload, TusError> {
    let upload = find_own(state, caller, raw_id).await?;
    if upload.expires_at <= state.clock.now() {
        return Err(TusError::Gone);
    }
    Ok(upload)
}

/// The upload's file, locked, cut to the recorded offset; and the row as it is now that the
/// lock is held (another request may have moved the offset in between).
pub(super) async fn lock(
    state: &AppState,
    upload: &TusUpload,
) -> Result<(TusUpload, ResumableFile), TusError> {
    let dir = state.media.resumable_dir();
    let file = ResumableFile::lock(&dir, &upload.id, upload.offset)
        .await?
        .ok_or(TusError::Locked)?;
    match tus_uploads::find(state.pool(), &upload.id).await {
        Ok(now) if now.offset == upload.offset => Ok((now, file)),
        // Moved on (or the row went) before the lock was ours: open again from the new row.
        Ok(now) => {
            drop(file);
            let file = ResumableFile::lock(&dir, &now.id, now.offset)
                .await?
                .ok_or(TusError::Locked)?;
            Ok((now, file))
        }
        Err(StoreError::NotFound) => {
            // Terminated or swept meanwhile: do not leave the file the lock re-created.
            file.remove().await?;
            Err(TusError::NotFound)
        }
        Err(other) => Err(other.into()),
    }
}

/// `HEAD /tus/{id}`: the durable offset (never more than the bytes on disk).
pub(super) async fn head(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, TusError> {
    protocol::check_version(&headers)?;
    let caller = auth::required_account(&state, &headers).await?;
    let upload = own_upload(&state, &caller, &id).await?;
    let on_disk = resumable::stored_len(&state.media.resumable_dir(), &upload.id).await?;
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    out.insert(UPLOAD_OFFSET, HeaderValue::from(upload.offset.min(on_disk)));
    out.insert(UPLOAD_LENGTH, HeaderValue::from(upload.length));
    if let Ok(metadata) = HeaderValue::from_str(&upload.metadata)
        && !upload.metadata.is_empty()
    {
        out.insert(UPLOAD_METADATA, metadata);
    }
    out.insert(UPLOAD_EXPIRES, protocol::http_date(upload.expires_at));
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `PATCH /tus/{id}`: bytes at the upload's offset; the last byte queues processing.
pub(super) async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TusError> {
    protocol::check_version(&headers)?;
    let caller = auth::required_account(&state, &headers).await?;
    if !protocol::carries_upload_bytes(&headers) {
        return Err(TusError::UnsupportedMediaType(format!(
            "Content-Type must be {}",
            protocol::OFFSET_OCTET_STREAM
        )));
    }
    let offset = protocol::number(&headers, &UPLOAD_OFFSET)?
        .ok_or_else(|| TusError::BadRequest("Upload-Offset is required".into()))?;
    let checksum = Checksum::from_headers(&headers)?;
    let declared = protocol::number(&headers, &CONTENT_LENGTH)?;
    let upload = own_upload(&state, &caller, &id).await?;
    let (upload, mut file) = lock(&state, &upload).await?;
    if offset != file.len() {
        return Err(TusError::OffsetMismatch {
            expected: file.len(),
        });
    }
    let incoming = Incoming {
        body,
        declared,
        checksum,
    };
    let received = receive::receive(&state, &upload, &mut file, incoming).await?;
    written(&state, &upload, file, received).await
}

/// The answer to a request that wrote bytes (a `PATCH`, or a `POST` with its first bytes):
/// the new offset, and once the upload is complete, the video it became.
pub(super) async fn written(
    state: &AppState,
    upload: &TusUpload,
    file: ResumableFile,
    offset: u64,
) -> Result<Response, TusError> {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if offset == upload.length {
        let hash_id = finish(state, upload, file).await?;
        let out = response.headers_mut();
        out.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
        if let Ok(value) = HeaderValue::from_str(hash_id.as_str()) {
            out.insert(REELSHARE_VIDEO_ID, value);
        }
    } else {
        let out = response.headers_mut();
        out.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
        out.insert(UPLOAD_EXPIRES, protocol::http_date(receive::expiry(state)));
    }
    Ok(response)
}

/// `DELETE /tus/{id}`: termination; the bytes and the row are gone.
pub(super) async fn terminate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, TusError> {
    protocol::check_version(&headers)?;
    let caller = auth::required_account(&state, &headers).await?;
    // An expired upload can still be terminated.
    let upload = find_own(&state, &caller, &id).await?;
    let (upload, file) = lock(&state, &upload).await?;
    tus_uploads::delete(state.pool(), &upload.id).await?;
    file.remove().await?;
    Ok(StatusCode::NO_CONTENT)
}
