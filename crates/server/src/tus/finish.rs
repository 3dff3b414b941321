//! A finished upload enters the same processing queue as the Video API's form uploads: its
//! file becomes the video's original through the media store (a rename on local disk, a
//! multipart upload on S3), then one transaction turns the upload's row into a `processing`
//! video row and its job, and the workers are woken. Bytes first, rows last, as in
//! [`publishing`](crate::upload::publishing): a crash between leaves an unreferenced original
//! for the orphan sweep, and the upload row whose file is gone reports offset 0 (the client
//! sends it again).

use domain::ids::HashId;
use store::StoreError;
use store::resumable::ResumableFile;
use store::tus_uploads::{self, TusUpload};
use store::videos::NewVideo;

use super::error::TusError;
use super::protocol::UploadMetadata;
use crate::state::AppState;
use crate::upload::{publishing, worker};

/// What a video's row says its type is before processing has probed it.
const UNPROBED_CONTENT_TYPE: &str = "video/mp4";

/// Queues the finished upload for processing; returns the new video's `hash_id`.
pub async fn finish(
    state: &AppState,
    upload: &TusUpload,
    file: ResumableFile,
) -> Result<HashId, TusError> {
    // Checked at creation; parsed again because the row takes typed values only.
    let metadata = UploadMetadata::parse(&upload.metadata).map_err(TusError::BadRequest)?;
    let hash_id = publishing::new_hash_id();
    let staged = file.into_staged(state.media.staging_dir()).await?;
    let size_in_bytes = staged.len();
    state.media.put_original(&hash_id, staged).await?;
    let video = NewVideo {
        hash_id: &hash_id,
        owner: upload.owner,
        file_name: &metadata.file_name,
        title: &metadata.title,
        description: &metadata.description,
        content_type: metadata
            .file_type
            .as_deref()
            .unwrap_or(UNPROBED_CONTENT_TYPE),
        size_in_bytes,
        facts: None,
        uploaded_at: state.clock.now(),
        listed_at: None,
    };
    match tus_uploads::complete(state.pool(), &upload.id, video).await {
        Ok(video_id) => {
            tracing::info!(%video_id, %hash_id, size_in_bytes, "resumable upload finished; processing queued");
            worker::wake();
            Ok(hash_id)
        }
        Err(error) => {
            if let Err(cleanup) = state.media.delete_all(&hash_id).await {
                tracing::error!(%hash_id, %cleanup, "could not remove the bytes of a failed upload");
            }
            Err(match error {
                StoreError::NotFound => TusError::NotFound,
                other => other.into(),
            })
        }
    }
}
