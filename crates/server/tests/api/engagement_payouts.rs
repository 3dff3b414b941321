//! Moderation, periods, the ledger, explanations, the anti-fraud figure and the `payout` CLI,
//! over HTTP and through the built binary.

use std::time::Duration;

use domain::allocation::Period;
use domain::ids::{AccountId, VideoId};
use domain::video::Timestamp;
use serde_json::{Value, json};
use store::engagement;
use store::watches::{self, NewView};

use crate::helpers::{TestApp, TestUser, spawn_app};

const MICROS_PER_DAY: i64 = 86_400_000_000;

impl TestApp {
    /// Makes `user` a moderator.
    pub async fn make_moderator(&self, user: &TestUser) {
        store::accounts::set_role(
            self.state.pool(),
            user.account.id,
            domain::account::Role::Moderator,
        )
        .await
        .unwrap();
    }

    /// The start of the open period plus `offset_micros`: a time inside the open period.
    pub fn in_open_period(&self, offset_micros: i64) -> Timestamp {
        Timestamp::from_micros(Period::containing(self.clock_now()).start_micros() + offset_micros)
    }

    /// Scripted organic activity on a video, through the store's ingest functions: `viewers`
    /// anonymous viewers watch `fraction` of 30 s once, the first `repeaters` of them again
    /// an hour later, then each of `likers` likes and each of `commenters` comments.
    #[allow(clippy::too_many_arguments)]
    pub async fn organic(
        &self,
        video: VideoId,
        tag: &str,
        viewers: u32,
        repeaters: u32,
        fraction: f64,
        likers: &[AccountId],
        commenters: &[AccountId],
        start: Timestamp,
    ) {
        let mut views = Vec::new();
        let names: Vec<String> = (0..viewers).map(|i| format!("a:{tag}-{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            views.push(NewView {
                video,
                duration_seconds: 30.0,
                viewer: name,
                session_id: "first",
                watched_seconds: 30.0 * fraction,
                by_owner: false,
                at: Timestamp::from_micros(start.as_micros() + i as i64 * 1_000_000),
            });
        }
        for (i, name) in names.iter().take(repeaters as usize).enumerate() {
            views.push(NewView {
                video,
                duration_seconds: 30.0,
                viewer: name,
                session_id: "second",
                watched_seconds: 30.0 * fraction,
                by_owner: false,
                at: Timestamp::from_micros(
                    start.as_micros() + 3_600_000_000 + i as i64 * 1_000_000,
                ),
            });
        }
        watches::record_views(self.state.pool(), &views)
            .await
            .unwrap();
        for &account in likers {
            engagement::like(self.state.pool(), video, account, start)
                .await
                .unwrap();
        }
        for &account in commenters {
            engagement::add_comment(self.state.pool(), video, account, "Nice", start)
                .await
                .unwrap();
        }
    }
}

async fn accounts(app: &TestApp, prefix: &str, n: usize) -> Vec<AccountId> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.create_user(&format!("{prefix}{i}")).await.account.id);
    }
    out
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn reports_past_the_threshold_put_a_video_under_review_until_a_moderator_decides() {
    let app = crate::helpers::spawn_app_with(|s| s.report_threshold = 2).await;
    let owner = app.create_user("owner").await;
    let (video, hash) = app
        .insert_bare_video(owner.account.id, "Cooking pasta at home", true, false)
        .await;
    let hash = hash.as_str().to_owned();
    let likers = accounts(&app, "fan", 3).await;
    app.organic(
        video,
        "o",
        20,
        5,
        0.8,
        &likers,
        &likers[..1],
        app.in_open_period(MICROS_PER_DAY),
    )
    .await;
    app.refresh_projection().await;
    assert_eq!(app.video_data(video.get()).await["rev_prop"], 1.0);

    let ana = app.create_user("ana").await;
    let ben = app.create_user("ben").await;
    let report = |user: &TestUser, reason: &str| {
        let app = &app;
        let path = format!("/video/{hash}/reports");
        let token = user.token.clone();
        let body = json!({"reason": reason});
        async move {
            json_of(
                app.send(reqwest::Method::POST, &path, Some(&token), None, Some(body))
                    .await,
            )
            .await
        }
    };
    assert_eq!(
        report(&ana, "spam").await,
        (201, json!({"reported": true, "under_review": false}))
    );
    // A second report by the same user changes nothing.
    assert_eq!(
        report(&ana, "spam again").await,
        (200, json!({"reported": true, "under_review": false}))
    );
    assert_eq!(
        report(&ben, "misleading").await,
        (201, json!({"reported": true, "under_review": true}))
    );
    assert_eq!(report(&ben, "").await.0, 422);

    let data = app.video_data(video.get()).await;
    assert_eq!(data["compliance"], 0);
    assert_eq!(data["quality_score"], 0.0);
    app.refresh_projection().await;
    let explain = app
        .send(
            reqwest::Method::GET,
            &format!("/video/{hash}/earnings/explain"),
            Some(&owner.token),
            None,
            None,
        )
        .await;
    let (status, explain) = json_of(explain).await;
    assert_eq!(status, 200);
    assert_eq!(explain["zero_reason"], "under_review");
    assert_eq!(explain["proj_earnings"], 0.0);

    // Only moderators decide.
    let path = format!("/moderation/videos/{hash}");
    let decision = json!({"compliance": 1, "note": "Reviewed: fine"});
    let r = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&ana.token),
            None,
            Some(decision.clone()),
        )
        .await;
    assert_eq!(r.status(), 403);
    let moderator = app.create_user("mod").await;
    app.make_moderator(&moderator).await;
    let bad = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&moderator.token),
            None,
            Some(json!({"compliance": 0.5, "note": "x"})),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&moderator.token),
            None,
            Some(json!({"compliance": 1})),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let (status, state) = json_of(
        app.send(
            reqwest::Method::PUT,
            &path,
            Some(&moderator.token),
            None,
            Some(decision),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(state["under_review"], false);
    assert_eq!(state["compliance"], 1.0);
    assert_eq!(state["note"], "Reviewed: fine");
    assert_eq!(app.video_data(video.get()).await["compliance"], 1);

    // A moderator can also mark it non-compliant; then the reason says so.
    let r = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&moderator.token),
            None,
            Some(json!({"compliance": 0, "note": "Copyright"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.refresh_projection().await;
    let (_, explain) = json_of(
        app.send(
            reqwest::Method::GET,
            &format!("/video/{hash}/earnings/explain"),
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(explain["zero_reason"], "non_compliant");
}

#[tokio::test]
async fn explanations_show_the_split_to_the_owner_and_agree_with_the_creator_api() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let other = app.create_user("other").await;
    let fans = accounts(&app, "fan", 4).await;
    let (a, a_hash) = app
        .insert_bare_video(owner.account.id, "Cooking pasta at home", true, false)
        .await;
    let (b, _) = app
        .insert_bare_video(other.account.id, "Street food in Lisbon", true, false)
        .await;
    let (idle, idle_hash) = app
        .insert_bare_video(owner.account.id, "Nobody watched this", true, false)
        .await;
    let t = app.in_open_period(MICROS_PER_DAY);
    app.organic(a, "a", 30, 6, 0.9, &fans, &fans[..2], t).await;
    app.organic(b, "b", 60, 6, 0.5, &fans[..2], &fans[..1], t)
        .await;
    app.refresh_projection().await;

    let path = format!("/video/{}/earnings/explain", a_hash.as_str());
    let (status, x) = json_of(
        app.send(reqwest::Method::GET, &path, Some(&owner.token), None, None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let data = app.video_data(a.get()).await;
    assert_eq!(x["proj_earnings"], data["proj_earnings"]);
    assert_eq!(x["rev_prop"], data["rev_prop"]);
    assert_eq!(x["qualified_views"], 36);
    assert_eq!(x["zero_reason"], Value::Null);
    assert_eq!(x["period"], Period::containing(app.clock_now()).to_string());
    let s = x["s"].as_f64().unwrap();
    assert!((x["w"].as_f64().unwrap() - s.powf(0.7)).abs() < 1e-12);
    let share_b = app.video_data(b.get()).await["rev_prop"].as_f64().unwrap();
    assert!((x["rev_prop"].as_f64().unwrap() + share_b - 1.0).abs() < 1e-12);
    for metric in [
        "watch_completion",
        "engagement_rate",
        "engagement_diversity",
        "rewatch",
        "nlp_quality",
        "compliance",
    ] {
        assert!(x["metrics"][metric].as_f64().unwrap() > 0.0, "{metric}");
    }
    // Someone else: 403 for a visible video; no token: 401.
    let r = app
        .send(reqwest::Method::GET, &path, Some(&other.token), None, None)
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .send(reqwest::Method::GET, &path, None, None, None)
        .await;
    assert_eq!(r.status(), 401);
    // A video nobody watched earns nothing, and says why.
    let path = format!("/video/{}/earnings/explain", idle_hash.as_str());
    let (_, x) = json_of(
        app.send(reqwest::Method::GET, &path, Some(&owner.token), None, None)
            .await,
    )
    .await;
    assert_eq!(x["zero_reason"], "no_qualified_views");
    assert_eq!(x["proj_earnings"], 0.0);
    let _ = idle;

    // The owner's earnings list their projected videos.
    let (status, e) = json_of(
        app.send(
            reqwest::Method::GET,
            "/creator/earnings",
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(e["projected"].as_array().unwrap().len(), 1);
    assert_eq!(e["projected"][0]["video_id"], a.get());
    assert_eq!(e["ledger"], json!([]));

    // The daily series attributes the projection to the days with views.
    let path = format!("/video/{}/earnings/daily", a_hash.as_str());
    let (status, daily) = json_of(
        app.send(reqwest::Method::GET, &path, Some(&owner.token), None, None)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(daily["status"], "projected");
    let days = daily["days"].as_array().unwrap();
    let total_views: i64 = days
        .iter()
        .map(|d| d["qualified_views"].as_i64().unwrap())
        .sum();
    let total_money: f64 = days.iter().map(|d| d["earnings"].as_f64().unwrap()).sum();
    // The scripted views were at the period start + 1 day, which may be after "today".
    let today = domain::allocation::utc_day(app.clock_now());
    let scripted_day = domain::allocation::utc_day(t.as_micros());
    if scripted_day <= today {
        assert_eq!(total_views, 36);
        assert!((total_money - data["proj_earnings"].as_f64().unwrap()).abs() < 1e-6);
    }
    let r = app
        .send(
            reqwest::Method::GET,
            &format!("{path}?period=2025-13"),
            Some(&owner.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn closing_a_period_pays_exactly_the_pool_in_cents_and_a_second_close_is_refused() {
    let app = spawn_app().await;
    let fans = accounts(&app, "fan", 5).await;
    let owner = app.create_lasting_user("owner").await;
    let mut videos = Vec::new();
    for i in 0..7u32 {
        let (id, _) = app
            .insert_bare_video(
                owner.account.id,
                &format!("Travel diary, part {i}"),
                true,
                false,
            )
            .await;
        let t = app.in_open_period(MICROS_PER_DAY);
        // Uneven activity so the split has remainders to round.
        app.organic(
            id,
            &format!("v{i}"),
            10 + 7 * i,
            1 + i % 3,
            0.3 + 0.1 * f64::from(i),
            &fans[..(1 + i as usize % 5)],
            &fans[..1],
            t,
        )
        .await;
        videos.push(id);
    }
    let period = Period::containing(app.clock_now());
    let moderator = app.create_lasting_user("mod").await;
    app.make_moderator(&moderator).await;
    let close_path = format!("/admin/periods/{period}/close");

    // Not before the month is over; not by a non-moderator; not a malformed period.
    let r = app
        .send(
            reqwest::Method::POST,
            &close_path,
            Some(&moderator.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 409);
    let r = app
        .send(
            reqwest::Method::POST,
            &close_path,
            Some(&owner.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = app
        .send(
            reqwest::Method::POST,
            "/admin/periods/2025-1/close",
            Some(&moderator.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 422);

    app.clock.advance(Duration::from_secs(32 * 86_400));
    let (status, closed) = json_of(
        app.send(
            reqwest::Method::POST,
            &close_path,
            Some(&moderator.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{closed}");
    assert_eq!(closed["pool_cents"], 1_000_000);
    assert_eq!(closed["total_cents"], 1_000_000);
    assert_eq!(closed["lines"], 7);
    let ledger = store::periods::period_ledger(app.state.pool(), period)
        .await
        .unwrap();
    assert_eq!(
        ledger.iter().map(|l| l.amount_cents).sum::<i64>(),
        1_000_000
    );
    assert!(ledger.iter().all(|l| l.amount_cents > 0));
    // Each line is within a cent of its exact share.
    for line in &ledger {
        assert!((line.share * 1_000_000.0 - line.amount_cents as f64).abs() <= 1.0);
    }

    let (status, again) = json_of(
        app.send(
            reqwest::Method::POST,
            &close_path,
            Some(&moderator.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    assert!(again["detail"].as_str().unwrap().contains("already closed"));
    // The ledger is never rewritten, not even by hand.
    let tampered = sqlx::query("UPDATE ledger_lines SET amount_cents = 0")
        .execute(app.state.pool())
        .await;
    assert!(tampered.is_err());
    let deleted = sqlx::query("DELETE FROM ledger_lines")
        .execute(app.state.pool())
        .await;
    assert!(deleted.is_err());

    // The creator sees the lines; the daily series of the closed month uses the ledger.
    let (_, e) = json_of(
        app.send(
            reqwest::Method::GET,
            "/creator/earnings",
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(e["paid_total_cents"], 1_000_000);
    assert_eq!(e["ledger"].as_array().unwrap().len(), 7);
    let hash = app.hash_of(videos[3].get()).await;
    let (_, daily) = json_of(
        app.send(
            reqwest::Method::GET,
            &format!("/video/{hash}/earnings/daily?period={period}"),
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(daily["status"], "closed");
    let paid: f64 = daily["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["earnings"].as_f64().unwrap())
        .sum();
    let line = ledger
        .iter()
        .find(|l| l.video_id == videos[3].get())
        .unwrap();
    assert!((paid - line.amount_cents as f64 / 100.0).abs() < 1e-6);
}

/// The share of the pool `video` gets in the projection.
async fn share_of(app: &TestApp, video: VideoId) -> f64 {
    app.refresh_projection().await;
    app.state.projection.payout(video).share
}

#[tokio::test]
async fn a_bot_farm_of_five_viewer_ids_watching_ten_thousand_times_each_gains_at_most_one_point() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let fans = accounts(&app, "fan", 12).await;
    let t = app.in_open_period(MICROS_PER_DAY);
    // Ten ordinary videos with a few hundred qualified views each, varied but fixed.
    let mut videos = Vec::new();
    for i in 0..10u32 {
        let (id, _) = app
            .insert_bare_video(
                owner.account.id,
                &format!("Weekend hiking trip, episode {i}"),
                true,
                false,
            )
            .await;
        let viewers = 200 + (i * 37) % 300;
        let likers = &fans[..(4 + i as usize % 8)];
        let commenters = &fans[..(1 + i as usize % 3)];
        app.organic(
            id,
            &format!("v{i}"),
            viewers,
            viewers / (8 + i % 5),
            0.35 + 0.03 * f64::from(i),
            likers,
            commenters,
            t,
        )
        .await;
        videos.push(id);
    }
    let target = videos[0];
    let before = share_of(&app, target).await;
    assert!(before > 0.0);

    // Five bot ids each press play 10 000 times in one UTC day (every 8 s), watching to the
    // end, through the same ingest function the HTTP handler calls, 1 000 per transaction.
    let bot_start = app.in_open_period(2 * MICROS_PER_DAY).as_micros();
    let names: Vec<String> = (0..5).map(|b| format!("a:bot-{b}")).collect();
    let sessions: Vec<String> = (0..10_000).map(|i| format!("play-{i}")).collect();
    let mut counted = 0;
    for chunk in sessions.chunks(1_000).enumerate() {
        let (chunk_index, chunk) = chunk;
        let mut batch = Vec::new();
        for (j, session) in chunk.iter().enumerate() {
            let i = chunk_index * 1_000 + j;
            for name in &names {
                batch.push(NewView {
                    video: target,
                    duration_seconds: 30.0,
                    viewer: name,
                    session_id: session,
                    watched_seconds: 30.0,
                    by_owner: false,
                    at: Timestamp::from_micros(bot_start + i as i64 * 8_000_000),
                });
            }
        }
        let outcomes = watches::record_views(app.state.pool(), &batch)
            .await
            .unwrap();
        counted += outcomes.iter().filter(|o| o.counted).count();
    }
    assert_eq!(
        counted, 25,
        "five ids, five qualified views each per UTC day"
    );
    let after = share_of(&app, target).await;
    let gain = after - before;
    assert!(gain > 0.0, "the bots do move the share a little");
    assert!(
        gain <= 0.01,
        "the bot farm moved the share by {:.3} points ({before} -> {after})",
        gain * 100.0
    );
    let events: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM view_events WHERE viewer LIKE 'a:bot-%'")
            .fetch_one(app.state.pool())
            .await
            .unwrap();
    assert_eq!(events.0, 50_000, "every play is logged");
}

fn reelshare() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_reelshare"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("REELSHARE_CONFIG");
    command
}

fn seed_records() -> Value {
    json!([
        {"video_id": 1, "views": 110, "watch_completion": 0.1, "engagement_rate": 0.9, "engagement_diversity": 0.4, "rewatch": 0.3, "nlp_quality": 0.2, "compliance": 1},
        {"video_id": 2, "views": 240, "watch_completion": 0.3, "engagement_rate": 0.7, "engagement_diversity": 0.4, "rewatch": 0.1, "nlp_quality": 0.8, "compliance": 1},
        {"video_id": 3, "views": 90, "watch_completion": 0.8, "engagement_rate": 0.4, "engagement_diversity": 0.2, "rewatch": 0.7, "nlp_quality": 0.9, "compliance": 1},
        {"video_id": 4, "views": 500, "watch_completion": 0.5, "engagement_rate": 0.1, "engagement_diversity": 0.7, "rewatch": 0.3, "nlp_quality": 0.99, "compliance": 1},
        {"video_id": 5, "views": 1000, "watch_completion": 0.9, "engagement_rate": 0.9, "engagement_diversity": 0.9, "rewatch": 0.9, "nlp_quality": 0.1, "compliance": 0}
    ])
}

#[test]
fn payout_simulate_prints_each_videos_score_and_share_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.json");
    std::fs::write(&file, seed_records().to_string()).unwrap();
    let output = reelshare()
        .current_dir(dir.path())
        .args(["payout", "simulate"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 5);
    assert!((results[0]["quality_score"].as_f64().unwrap() - 0.26408044970115724).abs() < 1e-12);
    assert_eq!(results[4]["rev_prop"], 0.0);
    let total: f64 = results
        .iter()
        .map(|r| r["proj_earnings"].as_f64().unwrap())
        .sum();
    assert!((total - 10_000.0).abs() < 1e-6);

    // The same through standard input.
    let mut child = reelshare()
        .current_dir(dir.path())
        .args(["payout", "simulate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(seed_records().to_string().as_bytes())
        .unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(piped.status.success());
    assert_eq!(piped.stdout, output.stdout);
}

#[test]
fn payout_simulate_names_the_bad_record_and_field_and_exits_with_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = seed_records();
    records[2]["rewatch"] = json!(1.5);
    let file = dir.path().join("bad.json");
    std::fs::write(&file, records.to_string()).unwrap();
    let output = reelshare()
        .current_dir(dir.path())
        .args(["payout", "simulate"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("record 2"), "{stderr}");
    assert!(stderr.contains("video_id 3"), "{stderr}");
    assert!(stderr.contains("rewatch"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn payout_close_from_the_command_line_freezes_a_period_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        reelshare()
            .current_dir(dir.path())
            .args(["payout", "close", "--period", "2024-02", "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let summary: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(summary["period"], "2024-02");
    assert_eq!(summary["lines"], json!([]));
    let second = run();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already closed"));
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL)"]
async fn engagement_moderation_and_closing_work_on_postgresql() {
    let app = crate::helpers::spawn_app_on_postgres(|s| s.report_threshold = 1).await;
    let owner = app.create_lasting_user("owner").await;
    let ana = app.create_lasting_user("ana").await;
    let moderator = app.create_lasting_user("mod").await;
    app.make_moderator(&moderator).await;
    let fans = accounts(&app, "fan", 3).await;
    let (a, a_hash) = app
        .insert_bare_video(owner.account.id, "Cooking pasta at home", true, false)
        .await;
    let (b, b_hash) = app
        .insert_bare_video(owner.account.id, "Street food in Lisbon", true, false)
        .await;
    let (a_hash, b_hash) = (a_hash.as_str().to_owned(), b_hash.as_str().to_owned());
    app.organic(
        a,
        "a",
        12,
        3,
        0.7,
        &fans,
        &fans[..1],
        app.in_open_period(MICROS_PER_DAY),
    )
    .await;
    app.organic(
        b,
        "b",
        20,
        2,
        0.4,
        &fans[..2],
        &fans[..2],
        app.in_open_period(MICROS_PER_DAY),
    )
    .await;

    // HTTP engagement: a watch (and its replay), a like taken back, a comment, a share, a
    // follow.
    let (status, _) = app.watch(&a_hash, "pg-viewer", "s1", 20.0).await;
    assert_eq!(status, 201);
    assert_eq!(app.watch(&a_hash, "pg-viewer", "s1", 20.0).await.0, 200);
    let like = format!("/video/{a_hash}/like");
    app.send(reqwest::Method::PUT, &like, Some(&ana.token), None, None)
        .await;
    let r = app
        .send(reqwest::Method::DELETE, &like, Some(&ana.token), None, None)
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["liked"], false);
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{a_hash}/comments"),
            Some(&ana.token),
            None,
            Some(json!({"text": "Great"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let page: Value = app
        .get(&format!("/video/{a_hash}/comments?limit=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["comments"][0]["text"], "Great");
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{a_hash}/shares"),
            Some(&ana.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/users/{}/follow", owner.account.public_id.as_str()),
            Some(&ana.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let data = app.video_data(a.get()).await;
    assert_eq!(data["views"], 16);
    assert_eq!(data["likes"], 3);

    // A report puts b under review (threshold 1); a moderator clears it.
    let r = app
        .send(
            reqwest::Method::POST,
            &format!("/video/{b_hash}/reports"),
            Some(&ana.token),
            None,
            Some(json!({"reason": "spam"})),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["under_review"], true);
    app.refresh_projection().await;
    assert_eq!(app.video_data(a.get()).await["rev_prop"], 1.0);
    let r = app
        .send(
            reqwest::Method::PUT,
            &format!("/moderation/videos/{b_hash}"),
            Some(&moderator.token),
            None,
            Some(json!({"compliance": 1, "note": "fine"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.refresh_projection().await;
    let (status, x) = json_of(
        app.send(
            reqwest::Method::GET,
            &format!("/video/{a_hash}/earnings/explain"),
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(x["rev_prop"].as_f64().unwrap() > 0.0 && x["rev_prop"].as_f64().unwrap() < 1.0);

    // Close the month: exact pool, once, immutable.
    let period = Period::containing(app.clock_now());
    app.clock.advance(Duration::from_secs(32 * 86_400));
    let path = format!("/admin/periods/{period}/close");
    let (status, closed) = json_of(
        app.send(
            reqwest::Method::POST,
            &path,
            Some(&moderator.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{closed}");
    assert_eq!(closed["total_cents"], 1_000_000);
    let r = app
        .send(
            reqwest::Method::POST,
            &path,
            Some(&moderator.token),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 409);
    assert!(
        sqlx::query("UPDATE ledger_lines SET amount_cents = 0")
            .execute(app.state.pool())
            .await
            .is_err()
    );
    let (_, e) = json_of(
        app.send(
            reqwest::Method::GET,
            "/creator/earnings",
            Some(&owner.token),
            None,
            None,
        )
        .await,
    )
    .await;
    assert_eq!(e["paid_total_cents"], 1_000_000);
}

/// Throughput of the ingest function itself on SQLite, without HTTP: one transaction per
/// watch against group commit (1 000 watches per transaction). Every watch is a new viewer,
/// so each one is counted and touches every aggregate. Numbers in `bench/ingest/README.md`.
#[tokio::test]
#[ignore = "benchmark: cargo test -p server --test api ingest_throughput -- --ignored --nocapture"]
async fn ingest_throughput_of_single_transactions_and_group_commit_on_sqlite() {
    let app = spawn_app().await;
    let owner = app.create_user("owner").await;
    let (video, _) = app
        .insert_bare_video(owner.account.id, "Benchmark", true, false)
        .await;
    let t = app.in_open_period(MICROS_PER_DAY).as_micros();
    let names: Vec<String> = (0..45_000).map(|i| format!("a:bench-{i}")).collect();
    let view = |i: usize| NewView {
        video,
        duration_seconds: 30.0,
        viewer: &names[i],
        session_id: "s",
        watched_seconds: 5.0,
        by_owner: false,
        at: Timestamp::from_micros(t + i as i64),
    };
    let single = 5_000;
    let started = std::time::Instant::now();
    for i in 0..single {
        watches::record_view(app.state.pool(), &view(i))
            .await
            .unwrap();
    }
    let per_tx = single as f64 / started.elapsed().as_secs_f64();
    let grouped = 40_000;
    let started = std::time::Instant::now();
    for chunk in (single..single + grouped).collect::<Vec<_>>().chunks(1_000) {
        let batch: Vec<NewView> = chunk.iter().map(|&i| view(i)).collect();
        watches::record_views(app.state.pool(), &batch)
            .await
            .unwrap();
    }
    let group = grouped as f64 / started.elapsed().as_secs_f64();
    println!("one transaction per watch: {per_tx:.0} watches/s");
    println!("group commit, 1000 per transaction: {group:.0} watches/s");
    assert_eq!(
        app.video_data(video.get()).await["views"],
        (single + grouped) as i64
    );
}

#[test]
fn payout_recompute_can_rebuild_the_aggregates_first() {
    let dir = tempfile::tempdir().unwrap();
    let output = reelshare()
        .current_dir(dir.path())
        .args(["payout", "recompute", "--rebuild-aggregates", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["rebuilt"], json!({"videos": 0, "differed": []}));
    assert_eq!(out["videos"], json!([]));
}

/// `reelshare demo`'s data: every account and video says it is demo data, the videos are
/// made-up labelled clips through the real pipeline, the same seed gives the same engagement, and the
/// metrics come from the events (the aggregates agree with the event log).
#[tokio::test]
async fn the_demo_fills_an_instance_with_labelled_data_whose_metrics_come_from_events() {
    let plan = server::demo::DemoPlan {
        seed: 7,
        creators: 2,
        videos_per_creator: 2,
        viewers: 6,
        events: 400,
        days: 2,
        clips: None,
    };
    let app = spawn_app().await;
    at_noon(&app);
    let summary = server::demo::run(&app.state, &plan).await.unwrap();
    assert_eq!(
        (summary.creators, summary.videos, summary.watches),
        (2, 4, 400)
    );
    assert!(summary.qualified_views > 0 && summary.qualified_views <= 400);

    let pool = app.state.pool();
    let names: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT username, display_name FROM accounts WHERE id > 1")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(names.len(), 2 + 6);
    for (username, display_name) in &names {
        assert!(
            username.as_deref().unwrap().starts_with("demo-7-"),
            "{username:?}"
        );
        assert!(display_name.ends_with("(demo)"), "{display_name}");
    }
    let titles: Vec<(String, String)> =
        sqlx::query_as("SELECT title, status FROM videos ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(titles.len(), 4);
    assert!(
        titles
            .iter()
            .all(|(t, s)| t.starts_with("Demo:") && s == "ready")
    );

    let (counted,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM view_events WHERE counted = 1")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(counted, i64::from(summary.qualified_views));
    let period = domain::allocation::Period::containing(app.clock_now());
    let rebuilt = store::rebuild::rebuild_period(pool, period).await.unwrap();
    assert_eq!(rebuilt.differed, Vec::<i64>::new());

    // The same seed on a fresh instance: the same engagement.
    let again = spawn_app().await;
    at_noon(&again);
    let repeat = server::demo::run(&again.state, &plan).await.unwrap();
    assert_eq!(
        (
            repeat.qualified_views,
            repeat.likes,
            repeat.comments,
            repeat.shares
        ),
        (
            summary.qualified_views,
            summary.likes,
            summary.comments,
            summary.shares
        )
    );
}

/// What the demo left in the database: counted views, likes, comments, shares, videos and
/// accounts.
async fn demo_counts(app: &TestApp) -> [i64; 6] {
    let mut counts = [0; 6];
    for (count, sql) in counts.iter_mut().zip([
        "SELECT COUNT(*) FROM view_events WHERE counted = 1",
        "SELECT COUNT(*) FROM likes",
        "SELECT COUNT(*) FROM comments",
        "SELECT COUNT(*) FROM shares",
        "SELECT COUNT(*) FROM videos",
        "SELECT COUNT(*) FROM accounts",
    ]) {
        let (n,): (i64,) = sqlx::query_as(sql)
            .fetch_one(app.state.pool())
            .await
            .unwrap();
        *count = n;
    }
    counts
}

/// A demo cut off part-way (its future dropped at an arbitrary point) is finished by running
/// it again, ending where an uninterrupted run ends; running a finished demo again adds
/// nothing.
#[tokio::test]
async fn the_demo_can_be_run_again_to_finish_an_interrupted_run_and_then_adds_nothing() {
    let plan = server::demo::DemoPlan {
        seed: 11,
        creators: 2,
        videos_per_creator: 1,
        viewers: 4,
        events: 300,
        days: 1,
        clips: None,
    };
    let clean = spawn_app().await;
    at_noon(&clean);
    let started = std::time::Instant::now();
    let whole = server::demo::run(&clean.state, &plan).await.unwrap();
    // Cut the second run off half-way through what a whole run took here (a fixed time was
    // sometimes longer than a whole run).
    let half_a_run = started.elapsed() / 2;
    let expected = demo_counts(&clean).await;
    assert_eq!(expected[0], i64::from(whole.qualified_views));

    let app = spawn_app().await;
    at_noon(&app);
    // Cut off somewhere in the middle: while making videos or while writing engagement.
    let cut = tokio::time::timeout(half_a_run, server::demo::run(&app.state, &plan)).await;
    assert!(cut.is_err(), "the first run was meant to be cut off");
    let rest = server::demo::run(&app.state, &plan).await.unwrap();
    assert!(rest.watches <= 300);
    assert_eq!(demo_counts(&app).await, expected);

    let again = server::demo::run(&app.state, &plan).await.unwrap();
    assert_eq!(
        (
            again.creators,
            again.videos,
            again.watches,
            again.likes,
            again.comments,
            again.shares
        ),
        (0, 0, 0, 0, 0, 0)
    );
    assert_eq!(demo_counts(&app).await, expected);
}

/// `reelshare demo --clips DIR`: the real phone clips instead of made-up videos.
#[tokio::test]
#[ignore = "needs ../shared/media"]
async fn the_demo_can_use_sample_clips_from_a_directory() {
    let plan = server::demo::DemoPlan {
        seed: 5,
        creators: 1,
        videos_per_creator: 3,
        viewers: 2,
        events: 50,
        days: 1,
        clips: Some(crate::helpers::phone_clip_dir()),
    };
    let app = spawn_app().await;
    let summary = server::demo::run(&app.state, &plan).await.unwrap();
    assert_eq!(
        (summary.creators, summary.videos, summary.watches),
        (1, 3, 50)
    );
    let sizes: Vec<(i64, i64)> = sqlx::query_as("SELECT width, height FROM videos")
        .fetch_all(app.state.pool())
        .await
        .unwrap();
    assert_eq!(sizes, vec![(576, 1024); 3]);
}

/// Moves `app`'s clock to the next noon (UTC), exactly. The demo's events end at its first
/// video's upload time; two instances compared with each other must see their events fall on
/// the same side of every midnight (shares count once a day, views five times a day).
fn at_noon(app: &TestApp) {
    const DAY: i64 = 86_400_000_000;
    let now = app.clock_now();
    let until = (DAY / 2 - now.rem_euclid(DAY)).rem_euclid(DAY);
    app.clock
        .advance(std::time::Duration::from_micros(until.unsigned_abs()));
}
