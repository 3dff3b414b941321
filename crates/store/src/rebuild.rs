//! Recomputing one period's aggregates from the event log: the repair (and audit) path behind
//! `reelshare payout recompute --rebuild-aggregates`. The aggregates are normally kept
//! current as events arrive ([`crate::watches`], [`crate::engagement`]); this reads the
//! period's counted watches, likes, comments and shares, derives `viewer_video_periods`,
//! `video_period_stats` and the period's days of `video_daily_stats` from them with the same
//! formulas, and replaces the stored rows in one transaction, reporting which videos'
//! numbers differed.
//!
//! It scans the period's events, so it is a maintenance command, not a request path. While it
//! runs it holds the write lock (SQLite) or locks the aggregate tables against writers
//! (PostgreSQL), so no event lands between the read and the replacement.
//!
//! Likes count by when they were given and only while they stand, as the live counters do:
//! a like taken back in the same period is gone from both.

use std::collections::BTreeMap;

use domain::allocation::{Period, utc_day};
use domain::metrics;
use sqlx::{AnyConnection, AnyPool, FromRow};

use crate::StoreError;
use crate::dialect::Backend;
use crate::videos::VideoStats;

/// What a rebuild found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// Videos with activity in the period.
    pub videos: usize,
    /// Videos whose stored aggregates differed from the event log (ids, ascending).
    pub differed: Vec<i64>,
}

/// Replaces `period`'s aggregates with what its events say.
pub async fn rebuild_period(pool: &AnyPool, period: Period) -> Result<Rebuilt, StoreError> {
    let mut tx = pool.begin().await?;
    lock_aggregates(&mut tx, Backend::of(pool), period).await?;
    let (start, end) = (period.start_micros(), period.end_micros());
    let (first_day, end_day) = (utc_day(start), utc_day(end));

    let mut stats: BTreeMap<i64, VideoStats> = BTreeMap::new();
    let mut per_viewer: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut per_day: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let counted: Vec<(i64, String, f64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT e.video_id, e.viewer, e.watched_seconds, v.duration_ms, e.at \
         FROM view_events e JOIN videos v ON v.id = e.video_id \
         WHERE e.counted = 1 AND e.at >= $1 AND e.at < $2 ORDER BY e.id",
    )
    .bind(start)
    .bind(end)
    .fetch_all(&mut *tx)
    .await?;
    for (video, viewer, watched, duration_ms, at) in counted {
        let duration = duration_ms.unwrap_or(0) as f64 / 1000.0;
        let video_stats = stats.entry(video).or_default();
        video_stats.qualified_views += 1;
        video_stats.completion_sum += metrics::capped_watch_ratio(watched, duration);
        *per_viewer.entry((video, viewer)).or_default() += 1;
        *per_day.entry((video, utc_day(at))).or_default() += 1;
    }
    for ((video, _), views) in &per_viewer {
        let video_stats = stats.entry(*video).or_default();
        video_stats.distinct_viewers += 1;
        video_stats.repeat_viewers += i64::from(*views >= 2);
    }
    let interactions: [(&'static str, Counter); 3] = [
        (
            "SELECT video_id, COUNT(*) FROM likes \
             WHERE created_at >= $1 AND created_at < $2 GROUP BY video_id",
            |stats| &mut stats.likes,
        ),
        (
            "SELECT video_id, COUNT(*) FROM comments \
             WHERE created_at >= $1 AND created_at < $2 GROUP BY video_id",
            |stats| &mut stats.comments,
        ),
        (
            "SELECT video_id, COUNT(*) FROM shares \
             WHERE created_at >= $1 AND created_at < $2 GROUP BY video_id",
            |stats| &mut stats.shares,
        ),
    ];
    for (sql, counter) in interactions {
        let counts: Vec<(i64, i64)> = sqlx::query_as(sql)
            .bind(start)
            .bind(end)
            .fetch_all(&mut *tx)
            .await?;
        for (video, count) in counts {
            *counter(stats.entry(video).or_default()) = count;
        }
    }

    let stored: Vec<StoredRow> = sqlx::query_as(
        "SELECT video_id, qualified_views, likes, comments, shares, completion_sum, \
           distinct_viewers, repeat_viewers FROM video_period_stats WHERE period = $1",
    )
    .bind(period.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut stored: BTreeMap<i64, VideoStats> = stored
        .into_iter()
        .filter(|row| row.stats != VideoStats::default())
        .map(|row| (row.video_id, row.stats))
        .collect();
    let mut differed: Vec<i64> = stats
        .iter()
        .filter(|(video, fresh)| !same(stored.remove(video).as_ref(), fresh))
        .map(|(video, _)| *video)
        .collect();
    // Stored activity the log does not back.
    differed.extend(stored.into_keys());
    differed.sort_unstable();

    replace(
        &mut tx,
        period,
        (first_day, end_day),
        &stats,
        &per_viewer,
        &per_day,
    )
    .await?;
    tx.commit().await?;
    Ok(Rebuilt {
        videos: stats.len(),
        differed,
    })
}

#[derive(FromRow)]
struct StoredRow {
    video_id: i64,
    #[sqlx(flatten)]
    stats: VideoStats,
}

/// The counter of [`VideoStats`] an interaction table's rows add to.
type Counter = fn(&mut VideoStats) -> &mut i64;

/// Equal counts and a completion sum equal up to rounding (the live sum adds in batches).
fn same(stored: Option<&VideoStats>, fresh: &VideoStats) -> bool {
    let Some(stored) = stored else {
        return *fresh == VideoStats::default();
    };
    let tolerance = 1e-6 * fresh.completion_sum.abs().max(1.0);
    (stored.completion_sum - fresh.completion_sum).abs() <= tolerance
        && VideoStats {
            completion_sum: 0.0,
            ..*stored
        } == VideoStats {
            completion_sum: 0.0,
            ..*fresh
        }
}

/// Keeps every writer of the period's aggregates out until the transaction ends: SQLite by
/// writing first (its one write lock), PostgreSQL by locking the tables.
async fn lock_aggregates(
    conn: &mut AnyConnection,
    backend: Backend,
    period: Period,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query(
            "LOCK TABLE view_events, likes, comments, shares, viewer_video_periods, \
             video_period_stats, video_daily_stats IN SHARE ROW EXCLUSIVE MODE",
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM viewer_video_periods WHERE period = $1")
        .bind(period.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn replace(
    conn: &mut AnyConnection,
    period: Period,
    (first_day, end_day): (i64, i64),
    stats: &BTreeMap<i64, VideoStats>,
    per_viewer: &BTreeMap<(i64, String), i64>,
    per_day: &BTreeMap<(i64, i64), i64>,
) -> Result<(), StoreError> {
    let period = period.to_string();
    sqlx::query("DELETE FROM video_period_stats WHERE period = $1")
        .bind(&period)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM video_daily_stats WHERE day >= $1 AND day < $2")
        .bind(first_day)
        .bind(end_day)
        .execute(&mut *conn)
        .await?;
    for ((video, viewer), views) in per_viewer {
        sqlx::query(
            "INSERT INTO viewer_video_periods (video_id, period, viewer, views) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(*video)
        .bind(&period)
        .bind(viewer)
        .bind(*views)
        .execute(&mut *conn)
        .await?;
    }
    for (video, s) in stats {
        sqlx::query(
            "INSERT INTO video_period_stats (period, video_id, qualified_views, likes, \
               comments, shares, completion_sum, distinct_viewers, repeat_viewers) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&period)
        .bind(*video)
        .bind(s.qualified_views)
        .bind(s.likes)
        .bind(s.comments)
        .bind(s.shares)
        .bind(s.completion_sum)
        .bind(s.distinct_viewers)
        .bind(s.repeat_viewers)
        .execute(&mut *conn)
        .await?;
    }
    for ((video, day), views) in per_day {
        sqlx::query(
            "INSERT INTO video_daily_stats (video_id, day, qualified_views) VALUES ($1, $2, $3)",
        )
        .bind(*video)
        .bind(*day)
        .bind(*views)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
