//! The platform-wide periodic work and who does it. Every node runs [`run_forever`]: each
//! round it renews or tries to take the `platform` lease ([`leader`](super::leader)), then
//!
//! - as the **leader**: re-solves the open period's projection every `projection_refresh`
//!   and stores it for the others (fenced by the lease; unchanged results are not rewritten),
//!   fails stuck jobs, and sweeps orphaned media when it becomes leader and hourly after;
//! - as a **follower** that serves the payout endpoints: loads the leader's projection when a
//!   newer one is stored, instead of solving it.
//!
//! Rounds come every third of the lease (or `projection_refresh`, if shorter), so the lease is
//! renewed well before it expires. On shutdown the leader resigns, so another node takes over
//! at once.

use std::sync::Arc;
use std::time::Duration;

use domain::allocation::Period;
use domain::video::Timestamp;
use store::StoreError;
use store::leases::Held;
use tokio::time::Instant;

use crate::platform::leader::{Leadership, Role};
use crate::state::AppState;
use crate::upload::{orphans, worker};

/// How often the leader sweeps orphaned media (and once whenever it becomes leader).
const ORPHAN_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// What one node remembers between rounds.
#[derive(Default)]
struct Round {
    leading_token: Option<i64>,
    last_solve: Option<Instant>,
    last_orphan_sweep: Option<Instant>,
    /// What this node last stored (leader) or loaded (follower).
    published: Option<(Period, String)>,
    loaded: Option<(Period, Timestamp)>,
}

/// Runs the rounds until the task is dropped. `reads_projection`: this node serves the payout
/// endpoints (a `reelshare worker` does not, and skips loading the projection).
pub async fn run_forever(state: AppState, leadership: Arc<Leadership>, reads_projection: bool) {
    let every = state
        .settings
        .projection_refresh
        .min(state.settings.leader_lease / 3);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round = Round::default();
    loop {
        ticker.tick().await;
        let now = state.clock.now();
        match leadership.tick(state.pool(), now).await {
            Ok(Role::Leader(held)) => lead(&state, &held, &mut round).await,
            Ok(Role::Follower) => {
                round.leading_token = None;
                if reads_projection && let Err(error) = follow(&state, &mut round).await {
                    tracing::warn!(%error, "could not load the leader's payout projection");
                }
            }
            Err(error) => tracing::warn!(%error, "could not renew or take the platform lease"),
        }
    }
}

async fn lead(state: &AppState, held: &Held, round: &mut Round) {
    if round.leading_token != Some(held.token) {
        // Newly elected: everything is due.
        round.leading_token = Some(held.token);
        round.last_solve = None;
        round.last_orphan_sweep = None;
        round.published = None;
    }
    let due = |last: Option<Instant>, every: Duration| last.is_none_or(|at| at.elapsed() >= every);
    if due(round.last_solve, state.settings.projection_refresh) {
        round.last_solve = Some(Instant::now());
        if let Err(error) = solve_and_publish(state, held, round).await {
            tracing::warn!(%error, "could not refresh the payout projection");
        }
    }
    if let Err(error) = worker::sweep_stuck(state).await {
        tracing::warn!(%error, "could not sweep stuck jobs");
    }
    if due(round.last_orphan_sweep, ORPHAN_SWEEP_EVERY) {
        round.last_orphan_sweep = Some(Instant::now());
        orphans::sweep_in_background(state.clone()).await;
    }
}

async fn solve_and_publish(
    state: &AppState,
    held: &Held,
    round: &mut Round,
) -> Result<(), StoreError> {
    state.refresh_projection().await?;
    let encoded = state.projection.encoded();
    if round.published.as_ref() == Some(&encoded) {
        return Ok(());
    }
    let now = state.clock.now();
    let (period, entries) = &encoded;
    store::projections::publish(state.pool(), held, now, &period.to_string(), now, entries).await?;
    round.published = Some(encoded);
    Ok(())
}

async fn follow(state: &AppState, round: &mut Round) -> Result<(), StoreError> {
    let period = Period::containing(state.clock.now().as_micros());
    let seen = round
        .loaded
        .filter(|(loaded, _)| *loaded == period)
        .map(|(_, solved_at)| solved_at);
    let Some(stored) =
        store::projections::newer_than(state.pool(), &period.to_string(), seen).await?
    else {
        return Ok(());
    };
    let allocation = crate::payout::shared::decode(period, &stored.entries)
        .map_err(|problem| StoreError::Corrupt(format!("stored projection: {problem}")))?;
    state.projection.install(allocation);
    round.loaded = Some((period, stored.solved_at));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::payout::projection::allocate_period;
    use crate::settings::Settings;
    use domain::ids::VideoId;

    /// Rows of four videos with activity (as in `payout::shared`'s test).
    fn rows() -> Vec<store::periods::PeriodRow> {
        (1..=4)
            .map(|video_id| store::periods::PeriodRow {
                video_id,
                account_id: 1,
                title: format!("A clear title number {video_id}"),
                description: "Something to say about it.".into(),
                compliance: 1.0,
                under_review: 0,
                stats: store::videos::VideoStats {
                    qualified_views: 10 * video_id,
                    likes: 4,
                    comments: 2,
                    shares: 1,
                    completion_sum: 5.0 * video_id as f64,
                    distinct_viewers: 10 * video_id,
                    repeat_viewers: video_id,
                },
            })
            .collect()
    }

    #[tokio::test]
    async fn a_follower_serves_the_leaders_stored_projection_without_solving() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_data_dir(dir.path());
        settings.media.ffmpeg = media::FfmpegMode::Disabled;
        let clock = Arc::new(ManualClock::starting_now());
        let leader = crate::build_state(settings.clone(), clock.clone())
            .await
            .unwrap();
        let follower = crate::build_state(settings, clock.clone()).await.unwrap();

        // The leader's solve (of rows only it has seen), stored under its lease.
        let period = Period::containing(clock.now().as_micros());
        let solved = allocate_period(period, &rows(), &leader.settings.payout);
        assert!(solved.entries.iter().all(|e| e.line.earns()));
        leader.projection.install(solved.clone());
        let leadership = Leadership::new(Duration::from_secs(15));
        let Role::Leader(held) = leadership.tick(leader.pool(), clock.now()).await.unwrap() else {
            panic!("the only node leads")
        };
        let (_, entries) = leader.projection.encoded();
        store::projections::publish(
            leader.pool(),
            &held,
            clock.now(),
            &period.to_string(),
            clock.now(),
            &entries,
        )
        .await
        .unwrap();

        // The follower's database has no activity at all: solving would give nothing.
        assert_eq!(follower.projection.payout(VideoId::new(4)).amount, 0.0);
        let mut following = Round::default();
        follow(&follower, &mut following).await.unwrap();
        for entry in &solved.entries {
            assert_eq!(follower.projection.entry(entry.video).as_ref(), Some(entry));
        }
        assert_eq!(following.loaded, Some((period, clock.now())));

        // Nothing newer stored: the follower keeps what it has.
        follow(&follower, &mut following).await.unwrap();
        assert_eq!(following.loaded, Some((period, clock.now())));
    }
}
