//! Watch reports and the aggregates they keep current, written in batches.
//!
//! A batch of reports is one transaction of a fixed number of statements, however many
//! reports it holds (group commit). The reads come first: the viewers' dedup rows are locked
//! and read, and earlier reports of the same sessions and the viewers' per-period counts are
//! looked up. The decisions are made in memory (`domain::metrics::decide_view`, in report
//! order, so a batch decides exactly as one transaction per report would). Then each table
//! gets one multi-row write: the events, the viewers' rows, their per-period counts, and the
//! deltas summed per video for `video_stats` (all time), `video_period_stats` (the month) and
//! `video_daily_stats` (charts).
//!
//! Round trips: on SQLite the reads (with `BEGIN IMMEDIATE`) go in one call and the writes
//! (with `COMMIT`) in another; its driver runs the statements of a query in turn. A call to
//! SQLite's thread costs far more than the statements in it on a busy machine
//! (`bench/ingest`), so a batch costs two whatever it holds. PostgreSQL takes one statement
//! with parameters per call, so there they run one after another.
//!
//! Concurrency: on PostgreSQL the first statement is an upsert of the viewers' rows, which
//! locks them, so another node reporting for the same viewer and video waits for this batch.
//! On SQLite `BEGIN IMMEDIATE` takes its one write lock before anything is read. Every
//! table's rows are written in key order, so two batches cannot lock in opposite orders.
//!
//! This module does not check visibility or permissions (the caller did).

use std::collections::{BTreeMap, HashMap};

use domain::allocation::{Period, utc_day};
use domain::ids::VideoId;
use domain::metrics::{self, ViewDecision, ViewerState, Watch};
use domain::video::Timestamp;
use sqlx::any::AnyArguments;
use sqlx::any::AnyRow;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Arguments, AssertSqlSafe, Row};

use crate::StoreError;
use crate::dialect::Backend;

/// The most reports one chunk carries: at most 31 parameters per report in SQLite's write
/// call (under 16 000 in all, below its limit of 32 766; PostgreSQL's is 65 535 per
/// statement). Longer slices are written in consecutive chunks of one transaction.
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
    let mut conn = Connection {
        pooled: pool.acquire().await?,
        finished: false,
    };
    match record_in_transaction(&mut conn.pooled, Backend::of(pool), views).await {
        Ok(outcomes) => {
            conn.finished = true;
            Ok(outcomes)
        }
        Err(error) => {
            let rollback = sqlx::query("ROLLBACK").execute(&mut *conn.pooled).await;
            conn.finished = rollback.is_ok();
            Err(error)
        }
    }
}

/// A pooled connection that is closed instead of returned to the pool unless its
/// transaction was finished (committed or rolled back): a batch abandoned half-way (its
/// future dropped, a failed rollback) must not hand an open transaction to the next user.
struct Connection {
    pooled: PoolConnection<Any>,
    finished: bool,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !self.finished {
            self.pooled.close_on_drop();
        }
    }
}

async fn record_in_transaction(
    conn: &mut AnyConnection,
    backend: Backend,
    views: &[NewView<'_>],
) -> Result<Vec<RecordedView>, StoreError> {
    let sqlite = backend == Backend::Sqlite;
    let chunks = views.chunks(MAX_BATCH).count();
    if chunks == 0 {
        return Ok(Vec::new());
    }
    let mut outcomes = Vec::with_capacity(views.len());
    for (i, chunk) in views.chunks(MAX_BATCH).enumerate() {
        let begin = (i == 0).then_some(if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" });
        let commit = (i + 1 == chunks).then_some("COMMIT");
        outcomes.extend(record_chunk(conn, backend, chunk, begin, commit).await?);
    }
    Ok(outcomes)
}

/// A viewer of a video: the key of `viewer_videos`.
type Pair<'a> = (i64, &'a str);
/// A watch session: the key the idempotency rule uses.
type Session<'a> = (i64, &'a str, &'a str);

/// One viewer's dedup state while a batch is decided (the defaults: never counted).
#[derive(Default)]
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

/// Reads, decides and writes one chunk of a batch: two calls to the database on SQLite. The
/// first chunk of a transaction starts it (`begin`), the last commits it (`commit`).
async fn record_chunk<'v>(
    conn: &mut AnyConnection,
    backend: Backend,
    views: &'v [NewView<'v>],
    begin: Option<&str>,
    commit: Option<&str>,
) -> Result<Vec<RecordedView>, StoreError> {
    let Stored {
        mut viewers,
        mut earlier,
        mut period_views,
    } = read_stored(conn, backend, views, begin).await?;

    // Decide, in report order, against the state each viewer has reached so far.
    let mut outcomes = Vec::with_capacity(views.len());
    let mut events = Vec::new();
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
            period_views
                .get_mut(&(video, period, view.viewer))
                .ok_or_else(|| StoreError::Corrupt("a period count was not read".into()))?
                .1 += 1;
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

    let changed: Vec<(&Pair, &Viewer)> = viewers
        .iter()
        .filter(|(_, v)| v.views != v.views_before)
        .collect();
    for ((video, _), viewer) in &changed {
        all_time
            .entry(*video)
            .or_default()
            .add_viewer(viewer.views_before, viewer.views - viewer.views_before);
    }
    period_views.retain(|_, (before, after)| after != before);
    for ((video, period, _), (before, after)) in &period_views {
        by_period
            .entry((*period, *video))
            .or_default()
            .add_viewer(*before, after - before);
    }

    let mut writes = Statements::for_backend(backend);
    insert_events(&mut writes, &events);
    store_viewers(&mut writes, &changed);
    store_period_views(&mut writes, &period_views);
    add_all_time(&mut writes, &all_time);
    add_by_period(&mut writes, &by_period);
    add_by_day(&mut writes, &by_day);
    if let Some(commit) = commit {
        writes.plain(commit);
    }
    writes.execute(conn).await?;
    Ok(outcomes)
}

/// Per viewer, video and period: the counted views before the batch and after it.
type PeriodViews<'v> = BTreeMap<(i64, Period, &'v str), (i64, i64)>;

/// What the batch's decisions start from.
struct Stored<'v> {
    viewers: BTreeMap<Pair<'v>, Viewer>,
    earlier: HashMap<Session<'v>, RecordedView>,
    period_views: PeriodViews<'v>,
}

/// Which read a returned row answers (its first column).
const VIEWER_ROW: i64 = 0;
const EARLIER_ROW: i64 = 1;
const PERIOD_ROW: i64 = 2;

/// Starts the transaction when `begin` is given, then creates or locks every viewer row the
/// batch needs and reads it (one upsert, in key order), the stored outcome of every session
/// of the batch that already reported, and each viewer's counted views in the period of the
/// report. The per-period rows are safe to read without locking them: only reports of the
/// same viewer and video write them, and those wait for the viewer row this batch holds.
async fn read_stored<'v>(
    conn: &mut AnyConnection,
    backend: Backend,
    views: &'v [NewView<'v>],
    begin: Option<&str>,
) -> Result<Stored<'v>, StoreError> {
    let mut pairs: Vec<Pair<'v>> = views.iter().map(|v| (v.video.get(), v.viewer)).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let sessions: HashMap<Session<'v>, usize> = views
        .iter()
        .enumerate()
        .map(|(i, v)| ((v.video.get(), v.viewer, v.session_id), i))
        .collect();
    let mut period_views: PeriodViews<'v> = views
        .iter()
        .map(|v| {
            let period = Period::containing(v.at.as_micros());
            ((v.video.get(), period, v.viewer), (0, 0))
        })
        .collect();

    let mut reads = Statements::for_backend(backend);
    if let Some(begin) = begin {
        reads.plain(begin);
    }
    // PostgreSQL: create or lock every viewer row (the lock that serializes nodes). SQLite:
    // `BEGIN IMMEDIATE` already holds the one write lock, so the rows are only read, and a
    // viewer without a row starts from the defaults (the row is written if a view counts).
    let (head, tail) = if reads.together {
        (
            "SELECT CAST(0 AS BIGINT), video_id, viewer, views, last_counted_at, cap_day, \
               cap_day_views FROM viewer_videos WHERE (video_id, viewer) IN (",
            ")",
        )
    } else {
        (
            "INSERT INTO viewer_videos (video_id, viewer)",
            "ON CONFLICT (video_id, viewer) DO UPDATE SET views = viewer_videos.views \
             RETURNING CAST(0 AS BIGINT), video_id, viewer, views, last_counted_at, cap_day, \
               cap_day_views",
        )
    };
    if let Some(mut values) = reads.statement(head, pairs.len(), 2, tail) {
        for (video, viewer) in &pairs {
            values.bind(*video).bind(*viewer);
        }
    }
    if let Some(mut values) = reads.statement(
        "SELECT CAST(1 AS BIGINT), video_id, viewer, session_id, counted, reason \
         FROM view_events WHERE (video_id, viewer, session_id) IN (",
        views.len(),
        3,
        ")",
    ) {
        for view in views {
            values
                .bind(view.video.get())
                .bind(view.viewer)
                .bind(view.session_id);
        }
    }
    if let Some(mut values) = reads.statement(
        "SELECT CAST(2 AS BIGINT), video_id, viewer, period, views FROM viewer_video_periods \
         WHERE (video_id, period, viewer) IN (",
        period_views.len(),
        3,
        ")",
    ) {
        for (video, period, viewer) in period_views.keys() {
            values.bind(*video).bind(period.to_string()).bind(*viewer);
        }
    }

    let period_keys: Vec<(i64, Period, &'v str)> = period_views.keys().copied().collect();
    let mut viewers: BTreeMap<Pair<'v>, Viewer> = pairs
        .iter()
        .map(|pair| (*pair, Viewer::default()))
        .collect();
    let mut earlier = HashMap::new();
    let unasked = |what: &str| StoreError::Corrupt(format!("an unasked {what} came back"));
    for row in reads.fetch_all(conn).await? {
        let video: i64 = row.try_get(1)?;
        let viewer: &str = row.try_get(2)?;
        match row.try_get::<i64, _>(0)? {
            VIEWER_ROW => {
                let at = pairs
                    .binary_search_by(|pair| pair.cmp(&(video, viewer)))
                    .map_err(|_| unasked("viewer row"))?;
                let last_counted_at: Option<i64> = row.try_get(4)?;
                viewers.insert(
                    pairs[at],
                    Viewer {
                        views_before: row.try_get(3)?,
                        views: row.try_get(3)?,
                        last_counted_micros: last_counted_at,
                        state: ViewerState {
                            last_counted_at: last_counted_at.map(|at| at.div_euclid(1_000_000)),
                            day: row.try_get(5)?,
                            counted_on_day: u32::try_from(row.try_get::<i64, _>(6)?)
                                .unwrap_or(u32::MAX),
                        },
                    },
                );
            }
            EARLIER_ROW => {
                let session: &str = row.try_get(3)?;
                let i = *sessions
                    .get(&(video, viewer, session))
                    .ok_or_else(|| unasked("session"))?;
                let view = &views[i];
                earlier.insert(
                    (view.video.get(), view.viewer, view.session_id),
                    RecordedView {
                        counted: row.try_get::<i64, _>(4)? != 0,
                        reason: row.try_get(5)?,
                        replayed: true,
                    },
                );
            }
            PERIOD_ROW => {
                let period: &str = row.try_get(3)?;
                let period = Period::parse(period)
                    .map_err(|e| StoreError::Corrupt(format!("viewer_video_periods: {e}")))?;
                let at = period_keys
                    .binary_search_by(|key| key.cmp(&(video, period, viewer)))
                    .map_err(|_| unasked("period row"))?;
                let views: i64 = row.try_get(4)?;
                period_views.insert(period_keys[at], (views, views));
            }
            other => return Err(StoreError::Corrupt(format!("a row of kind {other}"))),
        }
    }
    Ok(Stored {
        viewers,
        earlier,
        period_views,
    })
}

/// The statements of one call, each built as `head VALUES (…), (…) tail` with its values
/// bound in order. On SQLite they go to the database together (its driver runs the
/// statements of a query in turn, taking anonymous `?` parameters in order); PostgreSQL takes
/// one statement with parameters per call, so there they run one after another.
struct Statements {
    together: bool,
    statements: Vec<(String, AnyArguments)>,
}

impl Statements {
    fn for_backend(backend: Backend) -> Self {
        Self {
            together: backend == Backend::Sqlite,
            statements: Vec::new(),
        }
    }

    /// The SQL to append the next statement to, and its arguments.
    fn next(&mut self) -> (&mut String, &mut AnyArguments) {
        if !self.together || self.statements.is_empty() {
            self.statements
                .push((String::new(), AnyArguments::default()));
        }
        let (sql, arguments) = self.statements.last_mut().expect("just pushed");
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        (sql, arguments)
    }

    /// Adds a statement without parameters.
    fn plain(&mut self, sql: &str) {
        self.next().0.push_str(sql);
    }

    /// Adds `head VALUES <rows × columns placeholders> tail` and returns the arguments its
    /// values are bound to, in order. Nothing is added for zero rows.
    fn statement(
        &mut self,
        head: &str,
        rows: usize,
        columns: usize,
        tail: &str,
    ) -> Option<Binder<'_>> {
        if rows == 0 {
            return None;
        }
        let numbered = !self.together;
        let (sql, arguments) = self.next();
        sql.push_str(head);
        sql.push_str(" VALUES ");
        push_tuples(sql, numbered, rows, columns);
        sql.push(' ');
        sql.push_str(tail);
        Some(Binder(arguments))
    }

    async fn fetch_all(self, conn: &mut AnyConnection) -> Result<Vec<AnyRow>, StoreError> {
        let mut rows = Vec::new();
        for (sql, arguments) in self.statements {
            rows.extend(
                sqlx::query_with(AssertSqlSafe(sql), arguments)
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        Ok(rows)
    }

    async fn execute(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for (sql, arguments) in self.statements {
            sqlx::query_with(AssertSqlSafe(sql), arguments)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// Appends `(…), (…), …`: `rows` tuples of `columns` placeholders, numbered `$N` (PostgreSQL)
/// or anonymous `?` (SQLite, which binds those by position; numbered ones cost it a linear
/// name lookup per parameter, quadratic in a large batch).
fn push_tuples(sql: &mut String, numbered: bool, rows: usize, columns: usize) {
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
}

/// Binds a statement's values, in placeholder order.
struct Binder<'a>(&'a mut AnyArguments);

impl Binder<'_> {
    fn bind<'t, T: sqlx::Encode<'t, Any> + sqlx::Type<Any>>(&mut self, value: T) -> &mut Self {
        self.0
            .add(value)
            .expect("integers, floats and text always encode");
        self
    }
}

fn insert_events(writes: &mut Statements, events: &[NewEvent<'_>]) {
    let Some(mut values) = writes.statement(
        "INSERT INTO view_events (video_id, viewer, session_id, watched_seconds, counted, \
           reason, at)",
        events.len(),
        7,
        "",
    ) else {
        return;
    };
    for event in events {
        values
            .bind(event.view.video.get())
            .bind(event.view.viewer)
            .bind(event.view.session_id)
            .bind(event.view.watched_seconds)
            .bind(i64::from(event.counted))
            .bind(event.reason)
            .bind(event.view.at.as_micros());
    }
}

/// Writes back the dedup state of every viewer whose views were counted.
fn store_viewers(writes: &mut Statements, changed: &[(&Pair<'_>, &Viewer)]) {
    let Some(mut values) = writes.statement(
        "INSERT INTO viewer_videos (video_id, viewer, views, last_counted_at, cap_day, \
           cap_day_views)",
        changed.len(),
        6,
        "ON CONFLICT (video_id, viewer) DO UPDATE SET views = excluded.views, \
           last_counted_at = excluded.last_counted_at, cap_day = excluded.cap_day, \
           cap_day_views = excluded.cap_day_views",
    ) else {
        return;
    };
    for ((video, viewer), state) in changed {
        values
            .bind(*video)
            .bind(*viewer)
            .bind(state.views)
            .bind(state.last_counted_micros)
            .bind(state.state.day)
            .bind(i64::from(state.state.counted_on_day));
    }
}

/// Writes the per-period counts of the viewers whose views were counted.
fn store_period_views(writes: &mut Statements, counts: &PeriodViews<'_>) {
    let Some(mut values) = writes.statement(
        "INSERT INTO viewer_video_periods (video_id, period, viewer, views)",
        counts.len(),
        4,
        "ON CONFLICT (video_id, period, viewer) DO UPDATE SET views = excluded.views",
    ) else {
        return;
    };
    for ((video, period, viewer), (_, views)) in counts {
        values
            .bind(*video)
            .bind(period.to_string())
            .bind(*viewer)
            .bind(*views);
    }
}

fn add_all_time(writes: &mut Statements, deltas: &BTreeMap<i64, Delta>) {
    let Some(mut values) = writes.statement(
        "INSERT INTO video_stats (video_id, qualified_views, completion_sum, distinct_viewers, \
           repeat_viewers)",
        deltas.len(),
        5,
        "ON CONFLICT (video_id) DO UPDATE SET \
           qualified_views = video_stats.qualified_views + excluded.qualified_views, \
           completion_sum = video_stats.completion_sum + excluded.completion_sum, \
           distinct_viewers = video_stats.distinct_viewers + excluded.distinct_viewers, \
           repeat_viewers = video_stats.repeat_viewers + excluded.repeat_viewers",
    ) else {
        return;
    };
    for (video, delta) in deltas {
        values
            .bind(*video)
            .bind(delta.qualified_views)
            .bind(delta.completion_sum)
            .bind(delta.distinct_viewers)
            .bind(delta.repeat_viewers);
    }
}

fn add_by_period(writes: &mut Statements, deltas: &BTreeMap<(Period, i64), Delta>) {
    let Some(mut values) = writes.statement(
        "INSERT INTO video_period_stats (period, video_id, qualified_views, completion_sum, \
           distinct_viewers, repeat_viewers)",
        deltas.len(),
        6,
        "ON CONFLICT (period, video_id) DO UPDATE SET \
           qualified_views = video_period_stats.qualified_views + excluded.qualified_views, \
           completion_sum = video_period_stats.completion_sum + excluded.completion_sum, \
           distinct_viewers = video_period_stats.distinct_viewers + excluded.distinct_viewers, \
           repeat_viewers = video_period_stats.repeat_viewers + excluded.repeat_viewers",
    ) else {
        return;
    };
    for ((period, video), delta) in deltas {
        values
            .bind(period.to_string())
            .bind(*video)
            .bind(delta.qualified_views)
            .bind(delta.completion_sum)
            .bind(delta.distinct_viewers)
            .bind(delta.repeat_viewers);
    }
}

fn add_by_day(writes: &mut Statements, deltas: &BTreeMap<(i64, i64), i64>) {
    let Some(mut values) = writes.statement(
        "INSERT INTO video_daily_stats (video_id, day, qualified_views)",
        deltas.len(),
        3,
        "ON CONFLICT (video_id, day) DO UPDATE SET \
           qualified_views = video_daily_stats.qualified_views + excluded.qualified_views",
    ) else {
        return;
    };
    for ((video, day), views) in deltas {
        values.bind(*video).bind(*day).bind(*views);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgresql_and_anonymous_for_sqlite() {
        let mut sql = String::new();
        push_tuples(&mut sql, true, 2, 3);
        assert_eq!(sql, "($1, $2, $3), ($4, $5, $6)");
        sql.clear();
        push_tuples(&mut sql, false, 2, 2);
        assert_eq!(sql, "(?, ?), (?, ?)");
    }

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
