//! Rows of resumable (tus) uploads in progress: who owns one, how long it will be, how many of
//! its bytes are durable, its metadata and when it expires. The bytes themselves are in
//! [`resumable`](crate::resumable). Finishing an upload turns its row into a video row and a
//! processing job in one transaction ([`complete`]).

use domain::ids::{AccountId, UploadId, VideoId};
use domain::video::Timestamp;
use sqlx::{AnyPool, FromRow};

use crate::StoreError;
use crate::jobs;
use crate::videos::{self, NewVideo};

/// A resumable upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TusUpload {
    pub id: UploadId,
    pub owner: AccountId,
    /// The whole upload's size, declared at creation.
    pub length: u64,
    /// Bytes received and durable.
    pub offset: u64,
    /// The `Upload-Metadata` header as sent.
    pub metadata: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(FromRow)]
struct TusUploadRow {
    id: String,
    account_id: i64,
    upload_length: i64,
    upload_offset: i64,
    metadata: String,
    created_at: i64,
    expires_at: i64,
}

impl TusUploadRow {
    fn into_upload(self) -> Result<TusUpload, StoreError> {
        let id = UploadId::parse(&self.id)
            .map_err(|_| StoreError::Corrupt(format!("tus upload id {:?}", self.id)))?;
        let count = |n: i64| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n}")));
        Ok(TusUpload {
            id,
            owner: AccountId::new(self.account_id),
            length: count(self.upload_length)?,
            offset: count(self.upload_offset)?,
            metadata: self.metadata,
            created_at: Timestamp::from_micros(self.created_at),
            expires_at: Timestamp::from_micros(self.expires_at),
        })
    }
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub async fn insert(pool: &AnyPool, upload: &TusUpload) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO tus_uploads (id, account_id, upload_length, upload_offset, metadata, \
           created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(upload.id.as_str())
    .bind(upload.owner.get())
    .bind(signed(upload.length))
    .bind(signed(upload.offset))
    .bind(upload.metadata.as_str())
    .bind(upload.created_at.as_micros())
    .bind(upload.expires_at.as_micros())
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn find(pool: &AnyPool, id: &UploadId) -> Result<TusUpload, StoreError> {
    let row: TusUploadRow = sqlx::query_as(
        "SELECT id, account_id, upload_length, upload_offset, metadata, created_at, expires_at \
         FROM tus_uploads WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_one(pool)
    .await?;
    row.into_upload()
}

/// Uploads of `owner` that have not expired at `now`.
pub async fn count_open(
    pool: &AnyPool,
    owner: AccountId,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM tus_uploads WHERE account_id = $1 AND expires_at > $2",
    )
    .bind(owner.get())
    .bind(now.as_micros())
    .fetch_one(pool)
    .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Records that `offset` bytes are durable, and the new expiry.
pub async fn record_offset(
    pool: &AnyPool,
    id: &UploadId,
    offset: u64,
    expires_at: Timestamp,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE tus_uploads SET upload_offset = $2, expires_at = $3 WHERE id = $1 \
           AND upload_length >= $2",
    )
    .bind(id.as_str())
    .bind(signed(offset))
    .bind(expires_at.as_micros())
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes the row; `false` when it was already gone.
pub async fn delete(pool: &AnyPool, id: &UploadId) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM tus_uploads WHERE id = $1")
        .bind(id.as_str())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Up to `limit` uploads expired at `now`, oldest first.
pub async fn expired(
    pool: &AnyPool,
    now: Timestamp,
    limit: u32,
) -> Result<Vec<UploadId>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM tus_uploads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now.as_micros())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id,)| UploadId::parse(&id).ok())
        .collect())
}

/// Whether a row `id` exists (expired or not).
pub async fn exists(pool: &AnyPool, id: &UploadId) -> Result<bool, StoreError> {
    match find(pool, id).await {
        Ok(_) => Ok(true),
        Err(StoreError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Turns the finished upload `id` into `video` (stored `processing`) and its processing job,
/// deleting the upload's row: all in one transaction. `NotFound` when the row was gone (a
/// concurrent termination or sweep won).
pub async fn complete(
    pool: &AnyPool,
    id: &UploadId,
    video: NewVideo<'_>,
) -> Result<VideoId, StoreError> {
    let now = video.uploaded_at;
    let mut tx = pool.begin().await?;
    let deleted = sqlx::query("DELETE FROM tus_uploads WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let video_id = videos::insert_video_on(&mut tx, video).await?;
    jobs::enqueue_on(&mut tx, video_id, now).await?;
    tx.commit().await?;
    Ok(video_id)
}
