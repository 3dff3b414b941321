//! Engagement events (watches, likes, comments, shares, follows) and the aggregates they keep
//! current. Each event and every aggregate it changes are written in one transaction:
//! `video_stats` (all time, behind the Creator API's numbers), `video_period_stats` (the month,
//! the allocation's input), `video_daily_stats` (charts) and the per-viewer rows behind dedup
//! and rewatch. Reads of those aggregates are single-row lookups; nothing here scans events.
//!
//! The rules deciding whether a watch counts are `domain::metrics::decide_view`'s; this module
//! only loads and stores the state they need. It does not check visibility or permissions
//! (the caller did).
//!
//! Concurrency: the first statement of every transaction writes, so SQLite takes its write
//! lock before reading anything (no stale-snapshot upgrade failures), and the per-viewer row is
//! read by an upsert that locks it on PostgreSQL, so two nodes cannot both count the same
//! window.

use domain::allocation::{Period, utc_day};
use domain::ids::{AccountId, UserId, VideoId};
use domain::metrics::{self, ViewDecision, ViewerState, Watch};
use domain::video::Timestamp;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::StoreError;

/// One watch report.
#[derive(Debug, Clone)]
pub struct NewView<'a> {
    pub video: VideoId,
    pub duration_seconds: f64,
    /// `u:<account id>` or `a:<anonymous id>`.
    pub viewer: &'a str,
    pub session_id: &'a str,
    pub watched_seconds: f64,
    /// The owner's own watches are logged but never counted.
    pub by_owner: bool,
    pub at: Timestamp,
}

/// Why a logged watch did not count, beyond the domain's rules.
pub const OWN_VIDEO: &str = "own_video";

/// What became of a watch report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedView {
    pub counted: bool,
    /// `too_short`, `within_window`, `daily_cap` or `own_video` when not counted.
    pub reason: Option<String>,
    /// True when this session had already reported; the stored outcome is returned.
    pub replayed: bool,
}

fn decision_reason(decision: ViewDecision) -> Option<&'static str> {
    match decision {
        ViewDecision::Counted => None,
        ViewDecision::TooShort => Some("too_short"),
        ViewDecision::WithinWindow => Some("within_window"),
        ViewDecision::DailyCap => Some("daily_cap"),
    }
}

/// Records one watch in its own transaction.
pub async fn record_view(pool: &AnyPool, view: &NewView<'_>) -> Result<RecordedView, StoreError> {
    let mut tx = pool.begin().await?;
    let recorded = record_view_in(&mut tx, view).await?;
    tx.commit().await?;
    Ok(recorded)
}

/// Records many watches in one transaction (group commit), in order; one outcome each.
pub async fn record_views(
    pool: &AnyPool,
    views: &[NewView<'_>],
) -> Result<Vec<RecordedView>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(views.len());
    for view in views {
        outcomes.push(record_view_in(&mut tx, view).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

#[derive(FromRow)]
struct ViewerRow {
    views: i64,
    last_counted_at: Option<i64>,
    cap_day: i64,
    cap_day_views: i64,
}

/// Records one watch inside the caller's transaction.
pub async fn record_view_in(
    conn: &mut AnyConnection,
    view: &NewView<'_>,
) -> Result<RecordedView, StoreError> {
    let video = view.video.get();
    // Creates or locks the viewer's row and reads it in one statement (a write comes first).
    let row: ViewerRow = sqlx::query_as(
        "INSERT INTO viewer_videos (video_id, viewer) VALUES ($1, $2) \
         ON CONFLICT (video_id, viewer) DO UPDATE SET views = viewer_videos.views \
         RETURNING views, last_counted_at, cap_day, cap_day_views",
    )
    .bind(video)
    .bind(view.viewer)
    .fetch_one(&mut *conn)
    .await?;
    let state = ViewerState {
        last_counted_at: row.last_counted_at.map(|at| at.div_euclid(1_000_000)),
        day: row.cap_day,
        counted_on_day: u32::try_from(row.cap_day_views).unwrap_or(u32::MAX),
    };
    let watch = Watch {
        at_seconds: view.at.as_seconds(),
        watched_seconds: view.watched_seconds,
    };
    let (decision, next) = if view.by_owner {
        (None, state)
    } else {
        let (decision, next) = metrics::decide_view(&state, &watch, view.duration_seconds);
        (Some(decision), next)
    };
    let counted = decision == Some(ViewDecision::Counted);
    let reason = match decision {
        None => Some(OWN_VIDEO),
        Some(d) => decision_reason(d),
    };

    let inserted = sqlx::query(
        "INSERT INTO view_events (video_id, viewer, session_id, watched_seconds, counted, \
           reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (video_id, viewer, session_id) DO NOTHING",
    )
    .bind(video)
    .bind(view.viewer)
    .bind(view.session_id)
    .bind(view.watched_seconds)
    .bind(i64::from(counted))
    .bind(reason)
    .bind(view.at.as_micros())
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        let (counted, reason): (i64, Option<String>) = sqlx::query_as(
            "SELECT counted, reason FROM view_events \
             WHERE video_id = $1 AND viewer = $2 AND session_id = $3",
        )
        .bind(video)
        .bind(view.viewer)
        .bind(view.session_id)
        .fetch_one(&mut *conn)
        .await?;
        return Ok(RecordedView {
            counted: counted != 0,
            reason,
            replayed: true,
        });
    }
    if counted {
        count_view(conn, view, row.views + 1, &next).await?;
    }
    Ok(RecordedView {
        counted,
        reason: reason.map(str::to_owned),
        replayed: false,
    })
}

/// Applies a counted view to the viewer's rows and every aggregate.
async fn count_view(
    conn: &mut AnyConnection,
    view: &NewView<'_>,
    viewer_views: i64,
    next: &ViewerState,
) -> Result<(), StoreError> {
    let video = view.video.get();
    let period = Period::containing(view.at.as_micros()).to_string();
    sqlx::query(
        "UPDATE viewer_videos SET views = views + 1, last_counted_at = $3, cap_day = $4, \
           cap_day_views = $5 WHERE video_id = $1 AND viewer = $2",
    )
    .bind(video)
    .bind(view.viewer)
    .bind(view.at.as_micros())
    .bind(next.day)
    .bind(i64::from(next.counted_on_day))
    .execute(&mut *conn)
    .await?;
    let (period_views,): (i64,) = sqlx::query_as(
        "INSERT INTO viewer_video_periods (video_id, period, viewer, views) \
         VALUES ($1, $2, $3, 1) ON CONFLICT (video_id, period, viewer) \
         DO UPDATE SET views = viewer_video_periods.views + 1 RETURNING views",
    )
    .bind(video)
    .bind(&period)
    .bind(view.viewer)
    .fetch_one(&mut *conn)
    .await?;

    let ratio = metrics::capped_watch_ratio(view.watched_seconds, view.duration_seconds);
    let new_viewer = |n: i64| i64::from(n == 1);
    let now_repeat = |n: i64| i64::from(n == 2);
    sqlx::query(
        "UPDATE video_stats SET qualified_views = qualified_views + 1, \
           completion_sum = completion_sum + $2, distinct_viewers = distinct_viewers + $3, \
           repeat_viewers = repeat_viewers + $4 WHERE video_id = $1",
    )
    .bind(video)
    .bind(ratio)
    .bind(new_viewer(viewer_views))
    .bind(now_repeat(viewer_views))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO video_period_stats (period, video_id, qualified_views, completion_sum, \
           distinct_viewers, repeat_viewers) VALUES ($1, $2, 1, $3, $4, $5) \
         ON CONFLICT (period, video_id) DO UPDATE SET \
           qualified_views = video_period_stats.qualified_views + 1, \
           completion_sum = video_period_stats.completion_sum + excluded.completion_sum, \
           distinct_viewers = video_period_stats.distinct_viewers + excluded.distinct_viewers, \
           repeat_viewers = video_period_stats.repeat_viewers + excluded.repeat_viewers",
    )
    .bind(&period)
    .bind(video)
    .bind(ratio)
    .bind(new_viewer(period_views))
    .bind(now_repeat(period_views))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO video_daily_stats (video_id, day, qualified_views) VALUES ($1, $2, 1) \
         ON CONFLICT (video_id, day) DO UPDATE SET \
           qualified_views = video_daily_stats.qualified_views + 1",
    )
    .bind(video)
    .bind(utc_day(view.at.as_micros()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

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
