//! Watch reports and the aggregates they keep current, written in batches.
//!
//! A batch of reports is one transaction of a fixed number of statements, however many
//! reports it holds (group commit): the viewers' dedup rows are locked and read in one
//! statement, earlier reports of the same sessions are looked up in one, the decisions are made
//! in memory (`domain::metrics::decide_view`, in report order, so a batch decides exactly as
//! one transaction per report would), and then each table gets one multi-row write: the
//! events, the viewers' rows, the per-period viewer counts, and the deltas summed per video for
//! `video_stats` (all time), `video_period_stats` (the month) and `video_daily_stats` (charts).
//!
//! Concurrency: the first statement writes (an upsert of the viewers' rows), so SQLite takes
//! its write lock before reading anything, and on PostgreSQL it locks those rows, so another
//! node reporting for the same viewer and video waits for this batch. Every table's rows are
//! written in key order, so two batches cannot lock in opposite orders.
//!
//! This module does not check visibility or permissions (the caller did).

use std::collections::{BTreeMap, HashMap};

use domain::allocation::{Period, utc_day};
use domain::ids::VideoId;
use domain::metrics::{self, ViewDecision, ViewerState, Watch};
use domain::video::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, FromRow};

use crate::StoreError;

/// The most reports one set of statements carries (7 parameters each, far below SQLite's and
/// PostgreSQL's limits); longer slices are written in consecutive chunks of one transaction.
pub const MAX_BATCH: usize = 512;

/// Why a logged watch did not count, beyond the domain's rules.
pub const OWN_VIDEO: &str = "own_video";

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

/// What became of a watch report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedView {
    pub counted: bool,
    /// `too_short`, `within_window`, `daily_cap` or `own_video` when not counted.
    pub reason: Option<String>,
    /// True when this session had already reported; the stored outcome is returned.
    pub replayed: bool,
}

/// Records one watch in its own transaction.
pub async fn record_view(pool: &AnyPool, view: &NewView<'_>) -> Result<RecordedView, StoreError> {
    let mut outcomes = record_views(pool, std::slice::from_ref(view)).await?;
    Ok(outcomes.remove(0))
}

/// Records many watches in one transaction, in order; one outcome each. Either all of them
/// are stored or none.
pub async fn record_views(
    pool: &AnyPool,
    views: &[NewView<'_>],
) -> Result<Vec<RecordedView>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(views.len());
    for chunk in views.chunks(MAX_BATCH) {
        outcomes.extend(record_chunk(&mut tx, chunk).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// A viewer of a video: the key of `viewer_videos`.
type Pair<'a> = (i64, &'a str);
/// A watch session: the key the idempotency rule uses.
type Session<'a> = (i64, &'a str, &'a str);

#[derive(FromRow)]
struct ViewerRow {
    video_id: i64,
    viewer: String,
    views: i64,
    last_counted_at: Option<i64>,
    cap_day: i64,
    cap_day_views: i64,
}

/// One viewer's dedup state while a batch is decided.
struct Viewer {
    views_before: i64,
    views: i64,
    last_counted_micros: Option<i64>,
    state: ViewerState,
}

/// What a batch adds to one aggregate row.
#[derive(Default)]
struct Delta {
    qualified_views: i64,
    completion_sum: f64,
    distinct_viewers: i64,
    repeat_viewers: i64,
}

impl Delta {
    /// Adds `views` counted views of one viewer who had `before` before them.
    fn add_viewer(&mut self, before: i64, views: i64) {
        let after = before + views;
        self.distinct_viewers += i64::from(before == 0 && after >= 1);
        self.repeat_viewers += i64::from(before < 2 && after >= 2);
    }
}

/// A decided report that is not a replay: the row `view_events` gets.
struct NewEvent<'v> {
    view: &'v NewView<'v>,
    counted: bool,
    reason: Option<&'static str>,
}

fn decision_reason(decision: ViewDecision) -> Option<&'static str> {
    match decision {
        ViewDecision::Counted => None,
        ViewDecision::TooShort => Some("too_short"),
        ViewDecision::WithinWindow => Some("within_window"),
        ViewDecision::DailyCap => Some("daily_cap"),
    }
}

async fn record_chunk<'v>(
    conn: &mut AnyConnection,
    views: &'v [NewView<'v>],
) -> Result<Vec<RecordedView>, StoreError> {
    let mut viewers = lock_viewers(conn, views).await?;
    let mut earlier = earlier_sessions(conn, views).await?;

    // Decide, in report order, against the state each viewer has reached so far.
    let mut outcomes = Vec::with_capacity(views.len());
    let mut events = Vec::new();
    let mut period_views: BTreeMap<(i64, Period, &str), i64> = BTreeMap::new();
    let mut all_time: BTreeMap<i64, Delta> = BTreeMap::new();
    let mut by_period: BTreeMap<(Period, i64), Delta> = BTreeMap::new();
    let mut by_day: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for view in views {
        let session = (view.video.get(), view.viewer, view.session_id);
        if let Some(first) = earlier.get(&session) {
            outcomes.push(RecordedView {
                replayed: true,
                ..first.clone()
            });
            continue;
        }
        let viewer = viewers
            .get_mut(&(view.video.get(), view.viewer))
            .ok_or_else(|| StoreError::Corrupt("a viewer row was not returned".into()))?;
        let decision = (!view.by_owner).then(|| {
            let watch = Watch {
                at_seconds: view.at.as_seconds(),
                watched_seconds: view.watched_seconds,
            };
            let (decision, next) =
                metrics::decide_view(&viewer.state, &watch, view.duration_seconds);
            viewer.state = next;
            decision
        });
        let counted = decision == Some(ViewDecision::Counted);
        let reason = decision.map_or(Some(OWN_VIDEO), decision_reason);
        if counted {
            viewer.views += 1;
            viewer.last_counted_micros = Some(view.at.as_micros());
            let video = view.video.get();
            let period = Period::containing(view.at.as_micros());
            let ratio = metrics::capped_watch_ratio(view.watched_seconds, view.duration_seconds);
            *period_views
                .entry((video, period, view.viewer))
                .or_default() += 1;
            for delta in [
                all_time.entry(video).or_default(),
                by_period.entry((period, video)).or_default(),
            ] {
                delta.qualified_views += 1;
                delta.completion_sum += ratio;
            }
            *by_day
                .entry((video, utc_day(view.at.as_micros())))
                .or_default() += 1;
        }
        let outcome = RecordedView {
            counted,
            reason: reason.map(str::to_owned),
            replayed: false,
        };
        earlier.insert(session, outcome.clone());
        outcomes.push(outcome);
        events.push(NewEvent {
            view,
            counted,
            reason,
        });
    }

    insert_events(conn, &events).await?;
    let changed: Vec<(&Pair, &Viewer)> = viewers
        .iter()
        .filter(|(_, v)| v.views != v.views_before)
        .collect();
    if changed.is_empty() {
        return Ok(outcomes);
    }
    store_viewers(conn, &changed).await?;
    for ((video, _), viewer) in &changed {
        all_time
            .entry(*video)
            .or_default()
            .add_viewer(viewer.views_before, viewer.views - viewer.views_before);
    }
    for (period, video, before, added) in add_period_views(conn, &period_views).await? {
        by_period
            .entry((period, video))
            .or_default()
            .add_viewer(before, added);
    }
    add_all_time(conn, &all_time).await?;
    add_by_period(conn, &by_period).await?;
    add_by_day(conn, &by_day).await?;
    Ok(outcomes)
}

/// `(…), (…), …`: `rows` tuples of `columns` placeholders, `$N` for PostgreSQL and `?` for
/// SQLite, which binds anonymous parameters by position (numbered ones cost it a linear
/// name lookup per parameter, quadratic in a large batch).
fn placeholders(conn: &AnyConnection, rows: usize, columns: usize) -> String {
    let numbered = conn.backend_name() != "SQLite";
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&(row * columns + column + 1).to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

fn query(sql: String) -> Query<'static, Any, AnyArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

/// Creates or locks every viewer row the batch needs and reads it (one upsert, in key order).
async fn lock_viewers<'v>(
    conn: &mut AnyConnection,
    views: &'v [NewView<'v>],
) -> Result<BTreeMap<Pair<'v>, Viewer>, StoreError> {
    let mut pairs: Vec<Pair<'v>> = views.iter().map(|v| (v.video.get(), v.viewer)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let sql = format!(
        "INSERT INTO viewer_videos (video_id, viewer) VALUES {} \
         ON CONFLICT (video_id, viewer) DO UPDATE SET views = viewer_videos.views \
         RETURNING video_id, viewer, views, last_counted_at, cap_day, cap_day_views",
        placeholders(conn, pairs.len(), 2)
    );
    let mut statement = sqlx::query_as::<_, ViewerRow>(AssertSqlSafe(sql));
    for (video, viewer) in &pairs {
        statement = statement.bind(*video).bind(*viewer);
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    let mut viewers = BTreeMap::new();
    for row in rows {
        let Ok(at) = pairs.binary_search_by(|p| (p.0, p.1).cmp(&(row.video_id, &row.viewer)))
        else {
            return Err(StoreError::Corrupt(
                "an unasked viewer row came back".into(),
            ));
        };
        viewers.insert(
            pairs[at],
            Viewer {
                views_before: row.views,
                views: row.views,
                last_counted_micros: row.last_counted_at,
                state: ViewerState {
                    last_counted_at: row.last_counted_at.map(|at| at.div_euclid(1_000_000)),
                    day: row.cap_day,
                    counted_on_day: u32::try_from(row.cap_day_views).unwrap_or(u32::MAX),
                },
            },
        );
    }
    Ok(viewers)
}

#[derive(FromRow)]
struct EarlierRow {
    video_id: i64,
    viewer: String,
    session_id: String,
    counted: i64,
    reason: Option<String>,
}

/// The stored outcome of every session of the batch that already reported.
async fn earlier_sessions<'v>(
    conn: &mut AnyConnection,
    views: &'v [NewView<'v>],
) -> Result<HashMap<Session<'v>, RecordedView>, StoreError> {
    let sql = format!(
        "SELECT video_id, viewer, session_id, counted, reason FROM view_events \
         WHERE (video_id, viewer, session_id) IN (VALUES {})",
        placeholders(conn, views.len(), 3)
    );
    let mut statement = sqlx::query_as::<_, EarlierRow>(AssertSqlSafe(sql));
    for view in views {
        statement = statement
            .bind(view.video.get())
            .bind(view.viewer)
            .bind(view.session_id);
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    let index: HashMap<Session<'v>, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| ((v.video.get(), v.viewer, v.session_id), i))
        .collect();
    let mut earlier = HashMap::with_capacity(rows.len());
    for row in rows {
        let asked = (row.video_id, row.viewer.as_str(), row.session_id.as_str());
        let Some(&i) = index.get(&asked) else {
            return Err(StoreError::Corrupt("an unasked session came back".into()));
        };
        let view = &views[i];
        earlier.insert(
            (view.video.get(), view.viewer, view.session_id),
            RecordedView {
                counted: row.counted != 0,
                reason: row.reason,
                replayed: true,
            },
        );
    }
    Ok(earlier)
}

async fn insert_events(
    conn: &mut AnyConnection,
    events: &[NewEvent<'_>],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO view_events (video_id, viewer, session_id, watched_seconds, counted, \
           reason, at) VALUES {}",
        placeholders(conn, events.len(), 7)
    );
    let mut statement = query(sql);
    for event in events {
        statement = statement
            .bind(event.view.video.get())
            .bind(event.view.viewer)
            .bind(event.view.session_id)
            .bind(event.view.watched_seconds)
            .bind(i64::from(event.counted))
            .bind(event.reason)
            .bind(event.view.at.as_micros());
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

/// Writes back the dedup state of every viewer whose views were counted.
async fn store_viewers(
    conn: &mut AnyConnection,
    changed: &[(&Pair<'_>, &Viewer)],
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO viewer_videos (video_id, viewer, views, last_counted_at, cap_day, \
           cap_day_views) VALUES {} \
         ON CONFLICT (video_id, viewer) DO UPDATE SET views = excluded.views, \
           last_counted_at = excluded.last_counted_at, cap_day = excluded.cap_day, \
           cap_day_views = excluded.cap_day_views",
        placeholders(conn, changed.len(), 6)
    );
    let mut statement = query(sql);
    for ((video, viewer), state) in changed {
        statement = statement
            .bind(*video)
            .bind(*viewer)
            .bind(state.views)
            .bind(state.last_counted_micros)
            .bind(state.state.day)
            .bind(i64::from(state.state.counted_on_day));
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

#[derive(FromRow)]
struct PeriodViewsRow {
    video_id: i64,
    period: String,
    viewer: String,
    views: i64,
}

/// Adds counted views to each viewer's per-period count; returns, per row, its period and
/// video, the viewer's count before and the views added.
async fn add_period_views(
    conn: &mut AnyConnection,
    added: &BTreeMap<(i64, Period, &str), i64>,
) -> Result<Vec<(Period, i64, i64, i64)>, StoreError> {
    let sql = format!(
        "INSERT INTO viewer_video_periods (video_id, period, viewer, views) VALUES {} \
         ON CONFLICT (video_id, period, viewer) \
         DO UPDATE SET views = viewer_video_periods.views + excluded.views \
         RETURNING video_id, period, viewer, views",
        placeholders(conn, added.len(), 4)
    );
    let mut statement = sqlx::query_as::<_, PeriodViewsRow>(AssertSqlSafe(sql));
    for ((video, period, viewer), views) in added {
        statement = statement
            .bind(*video)
            .bind(period.to_string())
            .bind(*viewer)
            .bind(*views);
    }
    let rows = statement.fetch_all(&mut *conn).await?;
    let mut counts = Vec::with_capacity(rows.len());
    for row in rows {
        let period = Period::parse(&row.period)
            .map_err(|e| StoreError::Corrupt(format!("viewer_video_periods: {e}")))?;
        let Some(&views) = added.get(&(row.video_id, period, row.viewer.as_str())) else {
            return Err(StoreError::Corrupt(
                "an unasked period row came back".into(),
            ));
        };
        counts.push((period, row.video_id, row.views - views, views));
    }
    Ok(counts)
}

async fn add_all_time(
    conn: &mut AnyConnection,
    deltas: &BTreeMap<i64, Delta>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO video_stats (video_id, qualified_views, completion_sum, distinct_viewers, \
           repeat_viewers) VALUES {} \
         ON CONFLICT (video_id) DO UPDATE SET \
           qualified_views = video_stats.qualified_views + excluded.qualified_views, \
           completion_sum = video_stats.completion_sum + excluded.completion_sum, \
           distinct_viewers = video_stats.distinct_viewers + excluded.distinct_viewers, \
           repeat_viewers = video_stats.repeat_viewers + excluded.repeat_viewers",
        placeholders(conn, deltas.len(), 5)
    );
    let mut statement = query(sql);
    for (video, delta) in deltas {
        statement = statement
            .bind(*video)
            .bind(delta.qualified_views)
            .bind(delta.completion_sum)
            .bind(delta.distinct_viewers)
            .bind(delta.repeat_viewers);
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

async fn add_by_period(
    conn: &mut AnyConnection,
    deltas: &BTreeMap<(Period, i64), Delta>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO video_period_stats (period, video_id, qualified_views, completion_sum, \
           distinct_viewers, repeat_viewers) VALUES {} \
         ON CONFLICT (period, video_id) DO UPDATE SET \
           qualified_views = video_period_stats.qualified_views + excluded.qualified_views, \
           completion_sum = video_period_stats.completion_sum + excluded.completion_sum, \
           distinct_viewers = video_period_stats.distinct_viewers + excluded.distinct_viewers, \
           repeat_viewers = video_period_stats.repeat_viewers + excluded.repeat_viewers",
        placeholders(conn, deltas.len(), 6)
    );
    let mut statement = query(sql);
    for ((period, video), delta) in deltas {
        statement = statement
            .bind(period.to_string())
            .bind(*video)
            .bind(delta.qualified_views)
            .bind(delta.completion_sum)
            .bind(delta.distinct_viewers)
            .bind(delta.repeat_viewers);
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

async fn add_by_day(
    conn: &mut AnyConnection,
    deltas: &BTreeMap<(i64, i64), i64>,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO video_daily_stats (video_id, day, qualified_views) VALUES {} \
         ON CONFLICT (video_id, day) DO UPDATE SET \
           qualified_views = video_daily_stats.qualified_views + excluded.qualified_views",
        placeholders(conn, deltas.len(), 3)
    );
    let mut statement = query(sql);
    for ((video, day), views) in deltas {
        statement = statement.bind(*video).bind(*day).bind(*views);
    }
    statement.execute(&mut *conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_is_distinct_on_the_first_view_and_repeat_on_the_second() {
        let mut delta = Delta::default();
        delta.add_viewer(0, 1);
        assert_eq!((delta.distinct_viewers, delta.repeat_viewers), (1, 0));
        delta.add_viewer(1, 1);
        assert_eq!((delta.distinct_viewers, delta.repeat_viewers), (1, 1));
        delta.add_viewer(0, 3);
        assert_eq!((delta.distinct_viewers, delta.repeat_viewers), (2, 2));
        delta.add_viewer(2, 5);
        assert_eq!((delta.distinct_viewers, delta.repeat_viewers), (2, 2));
    }
}
