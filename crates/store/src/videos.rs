//! Video rows: inserting an upload, moving it through its lifecycle, and the queries behind
//! every list (a creator's videos, the explore feed, a user's feed). Feeds page by keyset on
//! `(listed_at, id)`, newest first, so rows listed while a client pages never cause skips or
//! repeats.

use domain::ids::{AccountId, HashId, UserId, VideoId};
use domain::lifecycle::{FailureReason, ProcessingState};
use domain::text::{Description, FileName, Title};
use domain::video::{Timestamp, Video};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, FromRow};

use crate::StoreError;

/// A static `SELECT` of full video rows followed by `$tail` (a `WHERE …` clause).
macro_rules! select_videos {
    ($($tail:tt)+) => {
        concat!(
            "SELECT v.id, v.hash_id, v.account_id, a.public_id, v.file_name, v.title, \
               v.description, v.status, v.failure_reason, v.content_type, v.size_in_bytes, \
               v.duration_ms, v.width, v.height, v.is_private, v.uploaded_at, v.listed_at, \
               v.compliance FROM videos v JOIN accounts a ON a.id = v.account_id ",
            $($tail)+
        )
    };
}

/// The explore feed's public part: listed public ready videos before the keyset cursor
/// (`$1` its `listed_at`, `$2` its id); the anonymous page and the signed-in page's public
/// half both start with it.
macro_rules! public_before_cursor {
    () => {
        "WHERE v.listed_at IS NOT NULL AND v.is_private = 0 AND v.status = 'ready' \
           AND v.listed_at <= $1 AND (v.listed_at < $1 OR v.id < $2) "
    };
}

#[derive(FromRow)]
struct VideoRow {
    id: i64,
    hash_id: String,
    account_id: i64,
    public_id: String,
    file_name: String,
    title: String,
    description: String,
    status: String,
    failure_reason: Option<String>,
    content_type: String,
    size_in_bytes: i64,
    duration_ms: Option<i64>,
    width: Option<i64>,
    height: Option<i64>,
    is_private: i64,
    uploaded_at: i64,
    listed_at: Option<i64>,
    compliance: f64,
}

impl VideoRow {
    fn into_video(self) -> Result<Video, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("video {}: {what}", self.id));
        let state = ProcessingState::from_parts(&self.status, self.failure_reason.as_deref())
            .ok_or_else(|| corrupt("status"))?;
        Ok(Video {
            id: VideoId::new(self.id),
            hash_id: HashId::parse(&self.hash_id).map_err(|_| corrupt("hash id"))?,
            owner: AccountId::new(self.account_id),
            owner_public_id: UserId::parse(&self.public_id).map_err(|_| corrupt("owner id"))?,
            // Names stored before they were checked are made valid, not refused.
            file_name: FileName::sanitize(&self.file_name),
            title: Title::parse(&self.title).map_err(|_| corrupt("title"))?,
            description: Description::parse(&self.description)
                .map_err(|_| corrupt("description"))?,
            state,
            content_type: self.content_type,
            size_in_bytes: u64::try_from(self.size_in_bytes).unwrap_or(0),
            duration_seconds: self.duration_ms.map(|ms| ms as f64 / 1000.0),
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
            is_private: self.is_private != 0,
            uploaded_at: Timestamp::from_micros(self.uploaded_at),
            listed_at: self.listed_at.map(Timestamp::from_micros),
            compliance: self.compliance,
        })
    }
}

fn into_videos(rows: Vec<VideoRow>) -> Result<Vec<Video>, StoreError> {
    rows.into_iter().map(VideoRow::into_video).collect()
}

/// What the media pipeline learned, stored when processing succeeds.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFacts {
    pub content_type: String,
    pub duration_seconds: f64,
    pub width: u32,
    pub height: u32,
}

/// A new upload. With `facts` it is stored ready (the Creator API processes synchronously),
/// without them it is stored processing (the Video API queues a job).
pub struct NewVideo<'a> {
    pub hash_id: &'a HashId,
    pub owner: AccountId,
    pub file_name: &'a FileName,
    pub title: &'a Title,
    pub description: &'a Description,
    pub content_type: &'a str,
    pub size_in_bytes: u64,
    pub facts: Option<&'a MediaFacts>,
    pub uploaded_at: Timestamp,
    pub listed_at: Option<Timestamp>,
}

/// Inserts the video row and its (zeroed) engagement aggregates in one transaction.
pub async fn insert_video(pool: &AnyPool, new: NewVideo<'_>) -> Result<VideoId, StoreError> {
    let mut tx = pool.begin().await?;
    let id = insert_video_on(&mut tx, new).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`insert_video`] inside the caller's transaction, so more rows (a processing job) can
/// commit with it.
pub async fn insert_video_on(
    conn: &mut AnyConnection,
    new: NewVideo<'_>,
) -> Result<VideoId, StoreError> {
    let status = if new.facts.is_some() {
        "ready"
    } else {
        "processing"
    };
    insert_row(conn, new, status, None).await
}

/// Inserts many videos in one transaction: one commit (one fsync) for the lot, for seeding
/// and imports.
pub async fn insert_videos(pool: &AnyPool, batch: Vec<NewVideo<'_>>) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for new in batch {
        insert_video_on(&mut tx, new).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records an upload that failed before its bytes were kept (e.g. it was too large): a
/// `failed` row with `reason`, so its owner sees what happened. There are no bytes to store.
pub async fn insert_failed_video(
    pool: &AnyPool,
    new: NewVideo<'_>,
    reason: FailureReason,
) -> Result<VideoId, StoreError> {
    let mut tx = pool.begin().await?;
    let id = insert_row(&mut tx, new, "failed", Some(reason.message())).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_row(
    conn: &mut AnyConnection,
    new: NewVideo<'_>,
    status: &str,
    failure_reason: Option<&str>,
) -> Result<VideoId, StoreError> {
    let (content_type, duration_ms, width, height) = match new.facts {
        Some(f) => (
            f.content_type.as_str(),
            Some(seconds_to_ms(f.duration_seconds)),
            Some(i64::from(f.width)),
            Some(i64::from(f.height)),
        ),
        None => (new.content_type, None, None, None),
    };
    let id: (i64,) = sqlx::query_as(
        "INSERT INTO videos (hash_id, account_id, file_name, title, description, status, \
           failure_reason, content_type, size_in_bytes, duration_ms, width, height, \
           uploaded_at, listed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(new.hash_id.as_str())
    .bind(new.owner.get())
    .bind(new.file_name.as_str())
    .bind(new.title.as_str())
    .bind(new.description.as_str())
    .bind(status)
    .bind(failure_reason)
    .bind(content_type)
    .bind(i64::try_from(new.size_in_bytes).unwrap_or(i64::MAX))
    .bind(duration_ms)
    .bind(width)
    .bind(height)
    .bind(new.uploaded_at.as_micros())
    .bind(new.listed_at.map(Timestamp::as_micros))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO video_stats (video_id) VALUES ($1)")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(VideoId::new(id.0))
}

fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

pub async fn find_video(pool: &AnyPool, id: VideoId) -> Result<Video, StoreError> {
    let sql = select_videos!("WHERE v.id = $1");
    let row: VideoRow = sqlx::query_as(sql).bind(id.get()).fetch_one(pool).await?;
    row.into_video()
}

pub async fn find_video_by_hash(pool: &AnyPool, hash_id: &HashId) -> Result<Video, StoreError> {
    let sql = select_videos!("WHERE v.hash_id = $1");
    let row: VideoRow = sqlx::query_as(sql)
        .bind(hash_id.as_str())
        .fetch_one(pool)
        .await?;
    row.into_video()
}

/// Every video of an account, in every state, oldest first.
pub async fn list_account_videos(
    pool: &AnyPool,
    owner: AccountId,
) -> Result<Vec<Video>, StoreError> {
    let sql = select_videos!("WHERE v.account_id = $1 ORDER BY v.id");
    into_videos(
        sqlx::query_as(sql)
            .bind(owner.get())
            .fetch_all(pool)
            .await?,
    )
}

/// Where the previous page of a feed ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedPosition {
    pub listed_at: Timestamp,
    pub id: VideoId,
}

/// Who reads the explore feed, which decides whose videos it holds besides everyone's listed
/// public ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExploreReader {
    /// An anonymous reader: listed public videos.
    Anyone,
    /// A signed-in reader who wants their own videos too: theirs, private ones included.
    WithOwn(AccountId),
    /// A signed-in reader who wants everybody else's: none of theirs, public or private.
    WithoutOwn(AccountId),
}

/// One page of the explore feed: listed, ready videos, newest listing first; public ones, and
/// the reader's own private ones for [`ExploreReader::WithOwn`] (never anybody else's).
///
/// Two keyset-limited halves, merged: everyone's public videos (`listed_at <= $1` is implied
/// by the keyset condition; spelled out, it lets the planner seek straight to the cursor in
/// the partial index `videos_explore`), and the reader's own private ones (through
/// `videos_by_account`; an owner id of 0 matches nobody). Each half is already the first
/// `limit` rows of its part, so the first `limit` of their union are the page.
///
/// An anonymous reader has no private videos, so their page is the public half alone, with
/// the limit written into the statement as a literal (an integer, never client text).
/// PostgreSQL then plans that prepared statement once: with only range conditions on the
/// keyset and a known `LIMIT`, its generic plan is the index seek, and it stops re-planning
/// on every execution (planning was most of its CPU per page). The two-half query keeps a
/// bound `LIMIT` and `account_id = $4`, whose generic plan would trust skewed statistics, so
/// PostgreSQL keeps planning it per reader, as before.
pub async fn explore_page(
    pool: &AnyPool,
    after: Option<FeedPosition>,
    reader: ExploreReader,
    limit: u32,
) -> Result<Vec<Video>, StoreError> {
    let (at, id) = after.map_or((i64::MAX, i64::MAX), |p| {
        (p.listed_at.as_micros(), p.id.get())
    });
    let (excluded_owner, own_private) = match reader {
        ExploreReader::Anyone => return public_explore_page(pool, at, id, limit).await,
        ExploreReader::WithOwn(owner) => (0, owner.get()),
        ExploreReader::WithoutOwn(owner) => (owner.get(), 0),
    };
    let sql = concat!(
        "SELECT * FROM (",
        select_videos!(
            public_before_cursor!(),
            "AND v.account_id <> $3 ORDER BY v.listed_at DESC, v.id DESC LIMIT $5"
        ),
        ") AS public_page UNION ALL SELECT * FROM (",
        select_videos!(
            "\
             WHERE v.account_id = $4 AND v.is_private = 1 AND v.listed_at IS NOT NULL \
               AND v.status = 'ready' AND v.listed_at <= $1 AND (v.listed_at < $1 OR v.id < $2) \
             ORDER BY v.listed_at DESC, v.id DESC LIMIT $5"
        ),
        ") AS own_private_page ORDER BY listed_at DESC, id DESC LIMIT $5"
    );
    let rows = sqlx::query_as(sql)
        .bind(at)
        .bind(id)
        .bind(excluded_owner)
        .bind(own_private)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    into_videos(rows)
}

/// [`explore_page`] for an anonymous reader: listed public videos before `(at, id)`.
async fn public_explore_page(
    pool: &AnyPool,
    at: i64,
    id: i64,
    limit: u32,
) -> Result<Vec<Video>, StoreError> {
    let sql = format!(
        concat!(
            select_videos!(
                public_before_cursor!(),
                "ORDER BY v.listed_at DESC, v.id DESC LIMIT "
            ),
            "{}"
        ),
        limit
    );
    let rows = sqlx::query_as(AssertSqlSafe(sql))
        .bind(at)
        .bind(id)
        .fetch_all(pool)
        .await?;
    into_videos(rows)
}

/// One page of a user's listed videos; private ones only when `include_private`.
pub async fn user_page(
    pool: &AnyPool,
    owner: AccountId,
    include_private: bool,
    after: Option<FeedPosition>,
    limit: u32,
) -> Result<Vec<Video>, StoreError> {
    let (at, id) = after.map_or((i64::MAX, i64::MAX), |p| {
        (p.listed_at.as_micros(), p.id.get())
    });
    let sql = select_videos!(
        "\
         WHERE v.account_id = $1 AND v.listed_at IS NOT NULL AND v.status = 'ready' \
           AND (v.is_private = 0 OR $2 = 1) \
           AND v.listed_at <= $3 AND (v.listed_at < $3 OR v.id < $4) \
         ORDER BY v.listed_at DESC, v.id DESC LIMIT $5"
    );
    let rows = sqlx::query_as(sql)
        .bind(owner.get())
        .bind(i64::from(include_private))
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?;
    into_videos(rows)
}

/// Processing succeeded: record what the pipeline found. Only a video still processing moves.
pub async fn mark_ready(pool: &AnyPool, id: VideoId, facts: &MediaFacts) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    mark_ready_on(&mut conn, id, facts).await
}

/// [`mark_ready`] inside the caller's transaction.
pub async fn mark_ready_on(
    conn: &mut AnyConnection,
    id: VideoId,
    facts: &MediaFacts,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE videos SET status = 'ready', content_type = $2, duration_ms = $3, width = $4, \
           height = $5 WHERE id = $1 AND status = 'processing'",
    )
    .bind(id.get())
    .bind(facts.content_type.as_str())
    .bind(seconds_to_ms(facts.duration_seconds))
    .bind(i64::from(facts.width))
    .bind(i64::from(facts.height))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn mark_failed(
    pool: &AnyPool,
    id: VideoId,
    reason: FailureReason,
) -> Result<(), StoreError> {
    let mut conn = pool.acquire().await?;
    mark_failed_on(&mut conn, id, reason).await
}

/// [`mark_failed`] inside the caller's transaction. Only a video still processing moves.
pub async fn mark_failed_on(
    conn: &mut AnyConnection,
    id: VideoId,
    reason: FailureReason,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE videos SET status = 'failed', failure_reason = $2 \
         WHERE id = $1 AND status = 'processing'",
    )
    .bind(id.get())
    .bind(reason.message())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The owner's edit of a ready video. `listed_at` is set only by the first edit (a draft
/// becoming listed) and never changed afterwards.
pub struct VideoEdit<'a> {
    pub title: Option<&'a Title>,
    pub description: Option<&'a Description>,
    pub is_private: Option<bool>,
    pub list_at: Option<Timestamp>,
}

pub async fn update_video(
    pool: &AnyPool,
    id: VideoId,
    edit: VideoEdit<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE videos SET title = COALESCE($2, title), description = COALESCE($3, description), \
           is_private = COALESCE($4, is_private), listed_at = COALESCE(listed_at, $5) \
         WHERE id = $1",
    )
    .bind(id.get())
    .bind(edit.title.map(Title::as_str))
    .bind(edit.description.map(Description::as_str))
    .bind(edit.is_private.map(i64::from))
    .bind(edit.list_at.map(Timestamp::as_micros))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete_video(pool: &AnyPool, id: VideoId) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM video_stats WHERE video_id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM jobs WHERE video_id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM videos WHERE id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Engagement aggregates of one video, kept up to date as events arrive.
#[derive(Debug, Clone, Copy, PartialEq, Default, FromRow)]
pub struct VideoStats {
    pub qualified_views: i64,
    pub likes: i64,
    pub comments: i64,
    pub shares: i64,
    /// Σ over qualified views of min(1, watched / duration).
    pub completion_sum: f64,
    pub distinct_viewers: i64,
    /// Viewers with two or more qualified views.
    pub repeat_viewers: i64,
}

pub async fn video_stats(pool: &AnyPool, id: VideoId) -> Result<VideoStats, StoreError> {
    let stats = sqlx::query_as(
        "SELECT qualified_views, likes, comments, shares, completion_sum, distinct_viewers, \
           repeat_viewers FROM video_stats WHERE video_id = $1",
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await?;
    Ok(stats.unwrap_or_default())
}

/// What the payout projection needs of one listed video.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ScoringRow {
    pub video_id: i64,
    pub title: String,
    pub description: String,
    pub compliance: f64,
    pub duration_ms: Option<i64>,
    #[sqlx(flatten)]
    pub stats: VideoStats,
}

/// Every ready, listed video with its aggregates: the input of a payout projection.
pub async fn scoring_rows(pool: &AnyPool) -> Result<Vec<ScoringRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT v.id AS video_id, v.title, v.description, v.compliance, v.duration_ms, \
           s.qualified_views, s.likes, s.comments, s.shares, s.completion_sum, \
           s.distinct_viewers, s.repeat_viewers \
         FROM videos v JOIN video_stats s ON s.video_id = v.id \
         WHERE v.status = 'ready' AND v.listed_at IS NOT NULL ORDER BY v.id",
    )
    .fetch_all(pool)
    .await?)
}

/// Whether a video row with this hash id exists, in any state.
pub async fn hash_id_exists(pool: &AnyPool, hash_id: &HashId) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM videos WHERE hash_id = $1")
        .bind(hash_id.as_str())
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Every ready video's id and hash id, oldest first (what `reelshare gc` checks against the
/// stored objects).
pub async fn ready_hash_ids(pool: &AnyPool) -> Result<Vec<(VideoId, HashId)>, StoreError> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, hash_id FROM videos WHERE status = 'ready' ORDER BY id")
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|(id, raw)| {
            let hash_id = HashId::parse(&raw)
                .map_err(|_| StoreError::Corrupt(format!("video {id}: hash id {raw:?}")))?;
            Ok((VideoId::new(id), hash_id))
        })
        .collect()
}

/// A ready video whose original is gone: failed with `reason` (it leaves every list, its row
/// and engagement history stay). Only a ready video moves.
pub async fn mark_media_lost(
    pool: &AnyPool,
    id: VideoId,
    reason: FailureReason,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE videos SET status = 'failed', failure_reason = $2 \
         WHERE id = $1 AND status = 'ready'",
    )
    .bind(id.get())
    .bind(reason.message())
    .execute(pool)
    .await?;
    Ok(())
}
