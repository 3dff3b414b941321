//! Receiving one request's bytes into an upload's partial file, under the upload's declared
//! length (which creation held to `max_upload_bytes`), so the size limit is decided as bytes
//! arrive.
//!
//! The durability rule: an offset is recorded in the database only after the bytes up to it
//! are fsynced, and the file is cut back to the recorded offset when it is next opened. Without
//! a checksum, the offset is recorded every [`CHECKPOINT_BYTES`], at the end of the body, and
//! also when the body is cut off (a dropped connection keeps what arrived), so a crash or a cut
//! costs at most one checkpoint's bytes. With `Upload-Checksum` the bytes only count once the
//! whole body has matched, so nothing is recorded before that and a mismatch (460) or a cut
//! leaves the offset where the request found it.

use axum::body::Body;
use domain::video::Timestamp;
use futures_util::StreamExt;
use store::resumable::ResumableFile;
use store::tus_uploads::{self, TusUpload};

use super::error::TusError;
use super::protocol::Checksum;
use crate::http::body_rate::BodyTooSlow;
use crate::state::AppState;

/// Bytes received between two recorded offsets when no checksum is given.
pub const CHECKPOINT_BYTES: u64 = 4 << 20;

/// One request's upload bytes.
pub struct Incoming {
    pub body: Body,
    /// `Content-Length`, when the client sent one.
    pub declared: Option<u64>,
    pub checksum: Option<Checksum>,
}

/// When an upload expires if nothing more arrives from now.
pub fn expiry(state: &AppState) -> Timestamp {
    let ttl = i64::try_from(state.settings.tus_expiry.as_micros()).unwrap_or(i64::MAX);
    Timestamp::from_micros(state.clock.now().as_micros().saturating_add(ttl))
}

async fn record(
    state: &AppState,
    upload: &TusUpload,
    file: &mut ResumableFile,
) -> Result<u64, TusError> {
    file.sync().await?;
    let offset = file.len();
    tus_uploads::record_offset(state.pool(), &upload.id, offset, expiry(state)).await?;
    Ok(offset)
}

/// Appends the request's bytes to `file` (positioned at the upload's offset); returns the new
/// recorded offset.
pub async fn receive(
    state: &AppState,
    upload: &TusUpload,
    file: &mut ResumableFile,
    incoming: Incoming,
) -> Result<u64, TusError> {
    let start = file.len();
    let room = upload.length.saturating_sub(start);
    let too_large = || {
        TusError::TooLarge(format!(
            "the body would pass Upload-Length ({} bytes)",
            upload.length
        ))
    };
    if incoming.declared.is_some_and(|declared| declared > room) {
        return Err(too_large());
    }
    let mut checksum = incoming.checksum;
    let mut recorded = start;
    let mut stream = incoming.body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                // Cut off: keep what arrived, unless a checksum had to cover it.
                if checksum.is_none() {
                    record(state, upload, file).await?;
                } else {
                    file.truncate(recorded).await?;
                }
                return Err(match BodyTooSlow::find(&error) {
                    Some(slow) => TusError::TooSlow(slow),
                    None => TusError::BodyCutOff,
                });
            }
        };
        if file.len() - start + chunk.len() as u64 > room {
            file.truncate(recorded).await?;
            return Err(too_large());
        }
        file.append(&chunk).await?;
        match &mut checksum {
            Some(checksum) => checksum.update(&chunk),
            None if file.len() - recorded >= CHECKPOINT_BYTES => {
                recorded = record(state, upload, file).await?;
            }
            None => {}
        }
    }
    if let Some(checksum) = checksum
        && !checksum.matches()
    {
        file.truncate(start).await?;
        return Err(TusError::ChecksumMismatch);
    }
    record(state, upload, file).await
}
