//! From stored aggregates to the numbers clients see: the metrics W, E, D, R, S, C of a
//! video and its quality score. Pure glue over `domain::metrics` and `domain::quality`; the
//! pool split lives in [`projection`](crate::payout::projection).

use domain::metrics::{self, Fraction, VideoMetrics};
use domain::quality::{QualityWeights, quality_score};
use domain::text_quality::text_quality_fraction;
use store::videos::VideoStats;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The metrics of a video with these aggregates, texts and compliance.
pub fn video_metrics(
    stats: &VideoStats,
    title: &str,
    description: &str,
    compliance: f64,
) -> VideoMetrics {
    let views = count(stats.qualified_views);
    let (likes, comments, shares) = (
        count(stats.likes),
        count(stats.comments),
        count(stats.shares),
    );
    VideoMetrics {
        watch_completion: metrics::watch_completion(stats.completion_sum, views),
        engagement_rate: metrics::engagement_rate(likes, comments, shares, views),
        engagement_diversity: metrics::engagement_diversity(likes, comments, shares),
        rewatch: metrics::rewatch(count(stats.repeat_viewers), count(stats.distinct_viewers)),
        nlp_quality: text_quality_fraction(title, description),
        compliance: Fraction::saturating(compliance),
    }
}

/// Q under the configured weights.
pub fn quality_with(metrics: &VideoMetrics, weights: &QualityWeights) -> f64 {
    quality_score(metrics, weights).get()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_video_has_zero_engagement_full_compliance_and_zero_quality() {
        let m = video_metrics(&VideoStats::default(), "Hello world", "", 1.0);
        assert_eq!(m.watch_completion.get(), 0.0);
        assert_eq!(m.engagement_rate.get(), 0.0);
        assert_eq!(m.compliance.get(), 1.0);
        assert!(m.nlp_quality.get() > 0.0);
        assert_eq!(quality_with(&m, &QualityWeights::default()), 0.0);
    }
}
