//! The open period's projection as the leader stores it for the other nodes
//! ([`store::projections`]): every entry with what went into it (owner, qualified views, the
//! six metrics, review state) and its solved line, so a reader serves the same numbers and
//! explanations as the leader without solving. Read back through the domain's validating
//! constructors: a stored value that is not a valid metric or line is refused, not served.

use domain::allocation::{AllocationLine, Period};
use domain::ids::{AccountId, VideoId};
use domain::metrics::VideoMetrics;
use serde::{Deserialize, Serialize};

use crate::payout::projection::{PeriodAllocation, PeriodEntry};

#[derive(Serialize, Deserialize)]
struct StoredEntry {
    video: i64,
    owner: i64,
    qualified_views: u64,
    under_review: bool,
    /// W, E, D, R, S, C.
    metrics: [f64; 6],
    /// s, w, share, amount.
    line: [f64; 4],
}

/// The entries of `allocation` as stored text.
pub fn encode(allocation: &PeriodAllocation) -> String {
    let entries: Vec<StoredEntry> = allocation
        .entries
        .iter()
        .map(|entry| {
            let m = &entry.metrics;
            StoredEntry {
                video: entry.video.get(),
                owner: entry.owner.get(),
                qualified_views: entry.qualified_views,
                under_review: entry.under_review,
                metrics: [
                    m.watch_completion.get(),
                    m.engagement_rate.get(),
                    m.engagement_diversity.get(),
                    m.rewatch.get(),
                    m.nlp_quality.get(),
                    m.compliance.get(),
                ],
                line: [
                    entry.line.s(),
                    entry.line.w(),
                    entry.line.share(),
                    entry.line.amount(),
                ],
            }
        })
        .collect();
    serde_json::to_string(&entries).expect("plain numbers serialise")
}

/// `period`'s allocation from stored text; why not, when anything in it is invalid.
pub fn decode(period: Period, text: &str) -> Result<PeriodAllocation, String> {
    let stored: Vec<StoredEntry> = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let entries = stored
        .into_iter()
        .map(|e| {
            let [w, en, d, r, s, c] = e.metrics;
            let metrics = VideoMetrics::parse(w, en, d, r, s, c).map_err(|e| e.to_string())?;
            let [ls, lw, share, amount] = e.line;
            let line = AllocationLine::restore(ls, lw, share, amount)
                .ok_or_else(|| format!("video {}: an invalid allocation line", e.video))?;
            Ok(PeriodEntry {
                video: VideoId::new(e.video),
                owner: AccountId::new(e.owner),
                qualified_views: e.qualified_views,
                metrics,
                under_review: e.under_review,
                line,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(PeriodAllocation { period, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payout::projection::allocate_period;
    use crate::settings::{PayoutSettings, Settings};

    #[test]
    fn a_decoded_projection_is_the_encoded_one() {
        let payout: PayoutSettings = Settings::for_data_dir(std::path::Path::new(".")).payout;
        let period = Period::containing(0);
        let row = |video_id: i64, views: i64, likes: i64| store::periods::PeriodRow {
            video_id,
            account_id: 1 + video_id % 2,
            title: format!("A clear title number {video_id}"),
            description: "Something to say about it.".into(),
            compliance: 1.0,
            under_review: i64::from(video_id == 3),
            stats: store::videos::VideoStats {
                qualified_views: views,
                likes,
                comments: likes / 2,
                shares: likes / 3,
                completion_sum: views as f64 * 0.6,
                distinct_viewers: views,
                repeat_viewers: views / 4,
            },
        };
        let rows = [row(1, 40, 5), row(2, 7, 0), row(3, 12, 2), row(4, 0, 0)];
        let allocation = allocate_period(period, &rows, &payout);
        assert!(allocation.entries.iter().any(|e| e.line.earns()));
        assert_eq!(decode(period, &encode(&allocation)).unwrap(), allocation);
    }

    #[test]
    fn invalid_stored_values_are_refused() {
        let period = Period::containing(0);
        let entry = |metrics: &str, line: &str| {
            format!(
                r#"[{{"video":1,"owner":1,"qualified_views":3,"under_review":false,"metrics":{metrics},"line":{line}}}]"#
            )
        };
        assert!(decode(period, &entry("[1,1,1,1,1,1]", "[1,1,1,5]")).is_ok());
        assert!(decode(period, &entry("[2,1,1,1,1,1]", "[1,1,1,5]")).is_err());
        assert!(decode(period, &entry("[1,1,1,1,1,1]", "[1,1,-1,5]")).is_err());
        assert!(decode(period, "not json").is_err());
    }
}
