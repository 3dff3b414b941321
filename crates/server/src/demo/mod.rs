//! `reelshare demo`: fills an instance with clearly labelled synthetic data, so the APIs and
//! the payout engine have something to show.
//!
//! Everything it creates says it is demo data: accounts are `demo-<seed>-creator-<n>` and
//! `demo-<seed>-viewer-<n>` (display names end in "(demo)", and they have no password, so
//! nobody can log in as them), video titles start with "Demo:" and descriptions say the
//! engagement is generated. Videos are the shared sample clips, uploaded through the real
//! pipeline (probe, thumbnails, storage, row) and listed at once. Engagement goes through the
//! same store functions the HTTP handlers use, so dedup, caps and aggregates apply as usual.
//!
//! # The random process (seeded, so a seed always gives the same data)
//! `rand`'s `StdRng::seed_from_u64(seed)` drives it. The `events` watches are spread evenly
//! over the last `days` days (never before the start of the open period). For each watch:
//! - the video is drawn with probability ∝ 1/(rank + 1) (Zipf, s = 1) over the demo videos;
//! - the viewer is drawn uniformly from the `viewers` viewer accounts and as many anonymous
//!   viewer ids;
//! - the watched fraction is uniform in [0.05, 1] of the clip's duration;
//! - a signed-in viewer then likes the video with probability 0.06, comments with 0.02
//!   (a fixed, labelled demo text) and shares with 0.015.
//!
//! Metric fields are never random: they come from these events through the usual formulas.

use std::path::{Path, PathBuf};

use anyhow::Context;
use domain::account::Role;
use domain::ids::{AccountId, VideoId};
use domain::text::{Description, FileName, Title};
use domain::video::Timestamp;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::accounts::{self, NewAccount};
use store::engagement;
use store::watches::{self, NewView};

use crate::state::AppState;
use crate::upload::publishing::{self, ProcessedUpload};

/// How much demo data to make.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub seed: u64,
    pub creators: u32,
    pub videos_per_creator: u32,
    pub viewers: u32,
    pub events: u32,
    pub days: u32,
    /// Directory with the sample clips (`clip-a.mp4`, …).
    pub clips: PathBuf,
}

const CLIPS: [&str; 3] = ["clip-a.mp4", "clip-b.mp4", "clip-c.mp4"];
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// What the demo made.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSummary {
    pub creators: u32,
    pub videos: u32,
    pub watches: u32,
    pub qualified_views: u32,
    pub likes: u32,
    pub comments: u32,
    pub shares: u32,
}

async fn demo_account(
    state: &AppState,
    username: &str,
    display: &str,
) -> anyhow::Result<AccountId> {
    let public_id = publishing::new_user_id();
    accounts::insert_account(
        state.pool(),
        NewAccount {
            public_id: &public_id,
            username: Some(username),
            password_hash: None,
            display_name: display,
            role: Role::User,
            created_at: state.clock.now().as_micros(),
        },
    )
    .await
    .with_context(|| format!("creating {username} (was this seed's demo already run?)"))
}

async fn upload_clip(
    state: &AppState,
    owner: AccountId,
    clip: &Path,
    title: &str,
) -> anyhow::Result<(VideoId, f64)> {
    let bytes = tokio::fs::read(clip)
        .await
        .with_context(|| format!("reading {}", clip.display()))?;
    let mut staged = state.media.stage().await?;
    staged.write(bytes::Bytes::from(bytes)).await?;
    staged.finish().await?;
    let processed = state
        .pipeline
        .process(staged.path())
        .await
        .with_context(|| format!("processing {}", clip.display()))?;
    let duration = processed.probe.duration_seconds;
    let file_name = clip
        .file_name()
        .map_or_else(|| "clip.mp4".into(), |n| n.to_string_lossy().into_owned());
    let title = Title::parse(title).context("a demo title")?;
    let description = Description::parse(
        "Synthetic demo video made by reelshare demo; its views, likes, comments and shares \
         are generated, not real.",
    )
    .context("the demo description")?;
    let upload = ProcessedUpload {
        owner,
        file_name: &FileName::sanitize(&file_name),
        title: &title,
        description: &description,
        processed: &processed,
        listed_at: Some(state.clock.now()),
    };
    let id = publishing::publish_processed(state, upload, staged).await?;
    Ok((id, duration))
}

/// Runs the plan against `state`.
pub async fn run(state: &AppState, plan: &DemoPlan) -> anyhow::Result<DemoSummary> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut summary = DemoSummary::default();
    let seed = plan.seed;

    let mut videos: Vec<(VideoId, f64)> = Vec::new();
    for c in 1..=plan.creators {
        let creator = demo_account(
            state,
            &format!("demo-{seed}-creator-{c}"),
            &format!("Demo creator {c} (demo)"),
        )
        .await?;
        summary.creators += 1;
        for v in 1..=plan.videos_per_creator {
            let clip = plan.clips.join(CLIPS[((c + v) as usize) % CLIPS.len()]);
            let title = format!("Demo: clip {v} by demo creator {c}");
            videos.push(upload_clip(state, creator, &clip, &title).await?);
            summary.videos += 1;
        }
    }
    let mut viewer_accounts = Vec::new();
    for n in 1..=plan.viewers {
        viewer_accounts.push(
            demo_account(
                state,
                &format!("demo-{seed}-viewer-{n}"),
                &format!("Demo viewer {n} (demo)"),
            )
            .await?,
        );
    }
    if videos.is_empty() {
        return Ok(summary);
    }

    let zipf: Vec<f64> = (0..videos.len()).map(|r| 1.0 / (r as f64 + 1.0)).collect();
    let zipf_total: f64 = zipf.iter().sum();
    let now = state.clock.now().as_micros();
    let period_start = domain::allocation::Period::containing(now).start_micros();
    let start = (now - i64::from(plan.days.max(1)) * MICROS_PER_DAY).max(period_start);
    let step = (now - start) / i64::from(plan.events.max(1));

    let bar = ProgressBar::new(u64::from(plan.events));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message("demo engagement");
    let anonymous = plan.viewers.max(1);
    for i in 0..plan.events {
        let at = Timestamp::from_micros(start + i64::from(i) * step);
        let mut pick = rng.gen_range(0.0..zipf_total);
        let mut index = 0;
        while index + 1 < zipf.len() && pick >= zipf[index] {
            pick -= zipf[index];
            index += 1;
        }
        let (video, duration) = videos[index];
        let who = rng.gen_range(0..viewer_accounts.len() as u32 + anonymous);
        let account = viewer_accounts.get(who as usize).copied();
        let viewer = match account {
            Some(id) => format!("u:{id}"),
            None => format!("a:demo-{seed}-anon-{who}"),
        };
        let fraction: f64 = rng.gen_range(0.05..=1.0);
        let recorded = watches::record_view(
            state.pool(),
            &NewView {
                video,
                duration_seconds: duration,
                viewer: &viewer,
                session_id: &format!("demo-{seed}-{i}"),
                watched_seconds: fraction * duration,
                by_owner: false,
                at,
            },
        )
        .await?;
        summary.watches += 1;
        summary.qualified_views += u32::from(recorded.counted);
        if let Some(account) = account {
            if rng.gen_bool(0.06) && engagement::like(state.pool(), video, account, at).await? {
                summary.likes += 1;
            }
            if rng.gen_bool(0.02) {
                engagement::add_comment(
                    state.pool(),
                    video,
                    account,
                    "Demo comment (generated by reelshare demo)",
                    at,
                )
                .await?;
                summary.comments += 1;
            }
            if rng.gen_bool(0.015) && engagement::share(state.pool(), video, account, at).await? {
                summary.shares += 1;
            }
        }
        bar.inc(1);
    }
    bar.finish_with_message("demo engagement done");
    Ok(summary)
}
