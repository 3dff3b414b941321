//! Group commit decides exactly as one transaction per report: the same outcomes and the same
//! stored rows (events, dedup state, every aggregate), however a sequence of reports is cut
//! into batches. Sequences mix viewers, videos, repeated sessions (replays), the owner's own
//! watches, short watches, the 30-minute window, the daily cap and a month boundary.

use domain::account::Role;
use domain::ids::{AccountId, HashId, UserId, VideoId};
use domain::video::Timestamp;
use proptest::prelude::*;
use store::Database;
use store::accounts::{self, NewAccount};
use store::videos::{self, MediaFacts, NewVideo};
use store::watches::{self, NewView, RecordedView};

/// 2026-01-31 22:00 UTC: sequences run into February.
const START_MICROS: i64 = 1_769_896_800_000_000;
const DURATION_SECONDS: f64 = 30.0;

#[derive(Debug, Clone)]
struct Report {
    video: usize,
    viewer: usize,
    session: usize,
    watched_seconds: f64,
    by_owner: bool,
    /// Seconds after the previous report.
    gap_seconds: i64,
}

fn report() -> impl Strategy<Value = Report> {
    (
        0..2usize,
        0..3usize,
        0..6usize,
        prop::sample::select(vec![0.0, 1.0, 2.9, 3.0, 5.0, 15.0, 30.0]),
        prop::bool::weighted(0.1),
        prop::sample::select(vec![0, 1, 60, 600, 1_800, 3_600, 7_200]),
    )
        .prop_map(
            |(video, viewer, session, watched_seconds, by_owner, gap_seconds)| Report {
                video,
                viewer,
                session,
                watched_seconds,
                by_owner,
                gap_seconds,
            },
        )
}

struct Fixture {
    db: Database,
    videos: Vec<VideoId>,
    _dir: tempfile::TempDir,
}

/// A fresh database: a SQLite file, or with `postgres` a new schema in `DATABASE_URL`.
async fn fixture(postgres: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL for PostgreSQL");
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&admin_url).await.unwrap();
        let schema = format!(
            "watches_{}",
            dir.path().file_name().unwrap().to_string_lossy()
        )
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        format!("{admin_url}{separator}options=-c%20search_path%3D{schema}")
    } else {
        format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display())
    };
    let db = Database::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let owner: AccountId = accounts::insert_account(
        db.pool(),
        NewAccount {
            public_id: &UserId::parse("ownerownerowner0").unwrap(),
            username: Some("owner"),
            password_hash: None,
            display_name: "Owner",
            role: Role::User,
            created_at: 0,
        },
    )
    .await
    .unwrap();
    let facts = MediaFacts {
        content_type: "video/mp4".into(),
        duration_seconds: DURATION_SECONDS,
        width: 576,
        height: 1024,
    };
    let mut ids = Vec::new();
    for hash in ["videovideovideo0", "videovideovideo1"] {
        let hash_id = HashId::parse(hash).unwrap();
        let id = videos::insert_video(
            db.pool(),
            NewVideo {
                hash_id: &hash_id,
                owner,
                file_name: &domain::text::FileName::parse("v.mp4").unwrap(),
                title: &domain::text::Title::parse("A video").unwrap(),
                description: &domain::text::Description::parse("").unwrap(),
                content_type: "video/mp4",
                size_in_bytes: 1,
                facts: Some(&facts),
                uploaded_at: Timestamp::from_micros(0),
                listed_at: Some(Timestamp::from_micros(0)),
            },
        )
        .await
        .unwrap();
        ids.push(id);
    }
    Fixture {
        db,
        videos: ids,
        _dir: dir,
    }
}

/// Every stored row the reports touch, as text, in key order.
async fn dump(db: &Database) -> Vec<String> {
    let queries = [
        "SELECT video_id || '|' || viewer || '|' || session_id || '|' || watched_seconds || '|' \
           || counted || '|' || COALESCE(reason, '-') || '|' || at \
         FROM view_events ORDER BY video_id, viewer, session_id",
        "SELECT video_id || '|' || viewer || '|' || views || '|' \
           || COALESCE(last_counted_at, -1) || '|' || cap_day || '|' || cap_day_views \
         FROM viewer_videos ORDER BY video_id, viewer",
        "SELECT video_id || '|' || period || '|' || viewer || '|' || views \
         FROM viewer_video_periods ORDER BY video_id, period, viewer",
        "SELECT video_id || '|' || qualified_views || '|' \
           || ROUND(CAST(completion_sum AS NUMERIC), 3) || '|' || distinct_viewers || '|' \
           || repeat_viewers FROM video_stats ORDER BY video_id",
        "SELECT period || '|' || video_id || '|' || qualified_views || '|' \
           || ROUND(CAST(completion_sum AS NUMERIC), 3) || '|' || distinct_viewers || '|' \
           || repeat_viewers FROM video_period_stats ORDER BY period, video_id",
        "SELECT video_id || '|' || day || '|' || qualified_views \
         FROM video_daily_stats ORDER BY video_id, day",
    ];
    let mut rows = Vec::new();
    for sql in queries {
        let lines: Vec<(String,)> = sqlx::query_as(sql).fetch_all(db.pool()).await.unwrap();
        rows.push(format!(
            "-- {}",
            sql.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        ));
        rows.extend(lines.into_iter().map(|(line,)| line));
    }
    rows
}

async fn one_by_one_and_in_batches(
    reports: &[Report],
    cuts: &[usize],
    postgres: bool,
) -> (
    (Vec<RecordedView>, Vec<String>),
    (Vec<RecordedView>, Vec<String>),
) {
    let viewers: Vec<String> = (0..3).map(|v| format!("a:viewer-{v}")).collect();
    let sessions: Vec<String> = (0..6).map(|s| format!("session-{s}")).collect();
    let single = fixture(postgres).await;
    let batched = fixture(postgres).await;
    let views = |videos: &[VideoId]| {
        let mut at = START_MICROS;
        reports
            .iter()
            .map(|r| {
                at += r.gap_seconds * 1_000_000;
                NewView {
                    video: videos[r.video],
                    duration_seconds: DURATION_SECONDS,
                    viewer: &viewers[r.viewer],
                    session_id: &sessions[r.session],
                    watched_seconds: r.watched_seconds,
                    by_owner: r.by_owner,
                    at: Timestamp::from_micros(at),
                }
            })
            .collect::<Vec<_>>()
    };

    let mut single_outcomes = Vec::new();
    for view in views(&single.videos) {
        single_outcomes.push(watches::record_view(single.db.pool(), &view).await.unwrap());
    }

    let all = views(&batched.videos);
    let mut batched_outcomes = Vec::new();
    let mut rest = &all[..];
    for &cut in cuts {
        let (batch, tail) = rest.split_at(cut.min(rest.len()));
        batched_outcomes.extend(
            watches::record_views(batched.db.pool(), batch)
                .await
                .unwrap(),
        );
        rest = tail;
    }
    batched_outcomes.extend(
        watches::record_views(batched.db.pool(), rest)
            .await
            .unwrap(),
    );

    (
        (single_outcomes, dump(&single.db).await),
        (batched_outcomes, dump(&batched.db).await),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn batches_decide_and_store_exactly_as_single_reports(
        reports in prop::collection::vec(report(), 1..60),
        cuts in prop::collection::vec(0..25usize, 0..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (single, batched) =
            runtime.block_on(one_by_one_and_in_batches(&reports, &cuts, false));
        prop_assert_eq!(&single.0, &batched.0, "outcomes");
        prop_assert_eq!(&single.1, &batched.1, "stored rows");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "needs PostgreSQL (DATABASE_URL)"]
    fn batches_decide_and_store_exactly_as_single_reports_on_postgresql(
        reports in prop::collection::vec(report(), 1..60),
        cuts in prop::collection::vec(0..25usize, 0..6),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (single, batched) =
            runtime.block_on(one_by_one_and_in_batches(&reports, &cuts, true));
        prop_assert_eq!(&single.0, &batched.0, "outcomes");
        prop_assert_eq!(&single.1, &batched.1, "stored rows");
    }
}

#[tokio::test]
async fn a_session_repeated_inside_one_batch_is_a_replay_of_its_first_report() {
    let reports = [
        Report {
            video: 0,
            viewer: 0,
            session: 0,
            watched_seconds: 30.0,
            by_owner: false,
            gap_seconds: 0,
        },
        Report {
            video: 0,
            viewer: 0,
            session: 0,
            watched_seconds: 1.0,
            by_owner: false,
            gap_seconds: 1,
        },
        Report {
            video: 0,
            viewer: 1,
            session: 0,
            watched_seconds: 1.0,
            by_owner: false,
            gap_seconds: 1,
        },
    ];
    let ((single, _), (batched, rows)) = one_by_one_and_in_batches(&reports, &[], false).await;
    assert_eq!(single, batched);
    assert!(batched[0].counted && !batched[0].replayed);
    assert!(
        batched[1].counted && batched[1].replayed,
        "the stored outcome, not the new watch"
    );
    assert_eq!(batched[2].reason.as_deref(), Some("too_short"));
    assert!(
        !batched[2].replayed,
        "another viewer's session of the same name is its own"
    );
    let events = rows[1..]
        .iter()
        .take_while(|r| !r.starts_with("--"))
        .count();
    assert_eq!(events, 2, "a replay is not logged again: {rows:#?}");
}
