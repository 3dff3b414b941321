//! Likes, comments, shares and follows, and the counters they keep current. Each event and
//! every counter it changes are written in one transaction: `video_stats` (all time, behind
//! the Creator API's numbers) and `video_period_stats` (the month, the allocation's input).
//! Reads of those counters are single-row lookups; nothing here scans events. Watches are
//! [`crate::watches`]'s.
//!
//! It does not check visibility or permissions (the caller did).

use domain::allocation::{Period, utc_day};
use domain::ids::{AccountId, UserId, VideoId};
use domain::video::Timestamp;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::StoreError;

/// Which interaction counter of `video_stats`/`video_period_stats` an event moves.
#[derive(Debug, Clone, Copy)]
enum Counter {
    Likes,
    Comments,
    Shares,
}

/// Adds one to a counter, all time and in the period of `at`.
async fn increment(
    conn: &mut AnyConnection,
    video: VideoId,
    counter: Counter,
    at: Timestamp,
) -> Result<(), StoreError> {
    let (all_time, period_sql) = match counter {
        Counter::Likes => (
            "UPDATE video_stats SET likes = likes + 1 WHERE video_id = $1",
            "INSERT INTO video_period_stats (period, video_id, likes) VALUES ($1, $2, 1) \
             ON CONFLICT (period, video_id) DO UPDATE SET likes = video_period_stats.likes + 1",
        ),
        Counter::Comments => (
            "UPDATE video_stats SET comments = comments + 1 WHERE video_id = $1",
            "INSERT INTO video_period_stats (period, video_id, comments) VALUES ($1, $2, 1) \
             ON CONFLICT (period, video_id) \
             DO UPDATE SET comments = video_period_stats.comments + 1",
        ),
        Counter::Shares => (
            "UPDATE video_stats SET shares = shares + 1 WHERE video_id = $1",
            "INSERT INTO video_period_stats (period, video_id, shares) VALUES ($1, $2, 1) \
             ON CONFLICT (period, video_id) DO UPDATE SET shares = video_period_stats.shares + 1",
        ),
    };
    sqlx::query(all_time)
        .bind(video.get())
        .execute(&mut *conn)
        .await?;
    sqlx::query(period_sql)
        .bind(Period::containing(at.as_micros()).to_string())
        .bind(video.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Likes `video` as `account`; false when it already did (nothing changes).
pub async fn like(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "INSERT INTO likes (video_id, account_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (video_id, account_id) DO NOTHING",
    )
    .bind(video.get())
    .bind(account.get())
    .bind(at.as_micros())
    .execute(&mut *tx)
    .await?;
    let created = done.rows_affected() == 1;
    if created {
        increment(&mut tx, video, Counter::Likes, at).await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Takes back a like; false when there was none. The period count drops only when the like
/// was given in the current period (`now`'s): a closed or past month keeps what it had.
pub async fn unlike(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let removed: Option<(i64,)> = sqlx::query_as(
        "DELETE FROM likes WHERE video_id = $1 AND account_id = $2 RETURNING created_at",
    )
    .bind(video.get())
    .bind(account.get())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((created_at,)) = removed else {
        tx.commit().await?;
        return Ok(false);
    };
    sqlx::query("UPDATE video_stats SET likes = likes - 1 WHERE video_id = $1 AND likes > 0")
        .bind(video.get())
        .execute(&mut *tx)
        .await?;
    let period = Period::containing(now.as_micros());
    if Period::containing(created_at) == period {
        sqlx::query(
            "UPDATE video_period_stats SET likes = likes - 1 \
             WHERE period = $1 AND video_id = $2 AND likes > 0",
        )
        .bind(period.to_string())
        .bind(video.get())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Whether `account` likes `video`.
pub async fn likes(pool: &AnyPool, video: VideoId, account: AccountId) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) FROM likes WHERE video_id = $1 AND account_id = $2",
    )
    .bind(video.get())
    .bind(account.get())
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}

/// A stored comment with its author's public id and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: i64,
    pub author: UserId,
    pub author_name: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(FromRow)]
struct CommentRow {
    id: i64,
    public_id: String,
    display_name: String,
    body: String,
    created_at: i64,
}

impl CommentRow {
    fn into_comment(self) -> Result<Comment, StoreError> {
        Ok(Comment {
            id: self.id,
            author: UserId::parse(&self.public_id)
                .map_err(|_| StoreError::Corrupt(format!("comment {} author", self.id)))?,
            author_name: self.display_name,
            body: self.body,
            created_at: Timestamp::from_micros(self.created_at),
        })
    }
}

/// Stores a comment (the caller bounded its length) and counts it.
pub async fn add_comment(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    body: &str,
    at: Timestamp,
) -> Result<Comment, StoreError> {
    let mut tx = pool.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO comments (video_id, account_id, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(video.get())
    .bind(account.get())
    .bind(body)
    .bind(at.as_micros())
    .fetch_one(&mut *tx)
    .await?;
    increment(&mut tx, video, Counter::Comments, at).await?;
    let row: CommentRow = sqlx::query_as(
        "SELECT c.id, a.public_id, a.display_name, c.body, c.created_at \
         FROM comments c JOIN accounts a ON a.id = c.account_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    row.into_comment()
}

/// Whether `account` commented `body` on `video` at `at` (so a re-run generator can tell a
/// comment it already wrote).
pub async fn has_comment(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    body: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM comments          WHERE video_id = $1 AND account_id = $2 AND created_at = $3 AND body = $4",
    )
    .bind(video.get())
    .bind(account.get())
    .bind(at.as_micros())
    .bind(body)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// One page of a video's comments, newest first, starting below comment id `before`.
pub async fn comments_page(
    pool: &AnyPool,
    video: VideoId,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Comment>, StoreError> {
    let rows: Vec<CommentRow> = sqlx::query_as(
        "SELECT c.id, a.public_id, a.display_name, c.body, c.created_at \
         FROM comments c JOIN accounts a ON a.id = c.account_id \
         WHERE c.video_id = $1 AND c.id < $2 ORDER BY c.id DESC LIMIT $3",
    )
    .bind(video.get())
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(CommentRow::into_comment).collect()
}

/// Records a share; it counts once per account per video per UTC day. Returns whether it
/// counted.
pub async fn share(
    pool: &AnyPool,
    video: VideoId,
    account: AccountId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let done = sqlx::query(
        "INSERT INTO shares (video_id, account_id, day, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (video_id, account_id, day) DO NOTHING",
    )
    .bind(video.get())
    .bind(account.get())
    .bind(utc_day(at.as_micros()))
    .bind(at.as_micros())
    .execute(&mut *tx)
    .await?;
    let counted = done.rows_affected() == 1;
    if counted {
        increment(&mut tx, video, Counter::Shares, at).await?;
    }
    tx.commit().await?;
    Ok(counted)
}

/// `follower` follows `followee`; false when it already did.
pub async fn follow(
    pool: &AnyPool,
    follower: AccountId,
    followee: AccountId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (follower_id, followee_id) DO NOTHING",
    )
    .bind(follower.get())
    .bind(followee.get())
    .bind(at.as_micros())
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stops following; false when there was nothing to stop.
pub async fn unfollow(
    pool: &AnyPool,
    follower: AccountId,
    followee: AccountId,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .bind(follower.get())
        .bind(followee.get())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `follower` follows `followee`.
pub async fn is_following(
    pool: &AnyPool,
    follower: AccountId,
    followee: AccountId,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT CAST(1 AS BIGINT) FROM follows WHERE follower_id = $1 AND followee_id = $2",
    )
    .bind(follower.get())
    .bind(followee.get())
    .fetch_optional(pool)
    .await?;
    Ok(row.is_some())
}
