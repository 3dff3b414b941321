//! Receiving an upload's bytes, shared by both API surfaces: a multipart file part streams
//! chunk by chunk into a staging file (memory stays flat whatever the size), and the size
//! limit is enforced while streaming. On any error the staging file is dropped, which deletes
//! it, so a refused or aborted upload leaves nothing behind, and so does one whose body
//! arrives too slowly ([`body_rate`](crate::http::body_rate) cuts it off).

use axum::extract::multipart::{Field, MultipartError};
use store::staging::StagedFile;
use store::{MediaStore, StoreError};

use crate::http::body_rate::BodyTooSlow;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("file exceeds the maximum size of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("form field {name} is too long")]
    FieldTooLong { name: String },
    #[error("malformed upload: {0}")]
    Client(MultipartError),
    #[error(transparent)]
    TooSlow(BodyTooSlow),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<MultipartError> for IngestError {
    fn from(error: MultipartError) -> Self {
        match BodyTooSlow::find(&error) {
            Some(slow) => Self::TooSlow(slow),
            None => Self::Client(error),
        }
    }
}

impl From<std::io::Error> for IngestError {
    fn from(error: std::io::Error) -> Self {
        Self::Store(StoreError::Io(error))
    }
}

/// Streams `field` into a new staging file; fails as soon as more than `limit` bytes arrive.
/// The returned file is fsynced.
pub async fn stage_file(
    field: &mut Field<'_>,
    media: &MediaStore,
    limit: u64,
) -> Result<StagedFile, IngestError> {
    let mut staged = media.stage().await?;
    while let Some(chunk) = field.chunk().await? {
        if staged.len() + chunk.len() as u64 > limit {
            return Err(IngestError::TooLarge { limit });
        }
        staged.write(chunk).await?;
    }
    staged.finish().await?;
    crate::observe::metrics::record_upload_bytes(staged.len());
    Ok(staged)
}

/// Reads a small text field, refusing more than `max_bytes`.
pub async fn read_text(field: &mut Field<'_>, max_bytes: usize) -> Result<String, IngestError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(IngestError::FieldTooLong { name });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
