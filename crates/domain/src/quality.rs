//! The quality score Q of a video from its metrics:
//! `Q = C · min(1, W^a · E^b · D^c · R^d · S^e)`, the original service's weighted geometric
//! mean, with its exponents as the default [`QualityWeights`].
//!
//! It does not compute the metrics (see [`crate::metrics`]) or split money (see
//! [`crate::allocation`]).

use thiserror::Error;

use crate::metrics::{Fraction, Metric, VideoMetrics};

/// The exponents of the quality score, one per metric except compliance (which multiplies).
/// Each is finite and ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityWeights {
    watch_completion: f64,
    engagement_rate: f64,
    engagement_diversity: f64,
    rewatch: f64,
    nlp_quality: f64,
}

/// An exponent that is negative, NaN or infinite.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("quality weight for {metric} must be a finite number ≥ 0, got {value}")]
pub struct QualityWeightsError {
    pub metric: Metric,
    pub value: f64,
}

impl Default for QualityWeights {
    /// The original service's exponents: W 0.35, E 0.25, D 0.15, R 0.10, S 0.15.
    fn default() -> Self {
        Self {
            watch_completion: 0.35,
            engagement_rate: 0.25,
            engagement_diversity: 0.15,
            rewatch: 0.10,
            nlp_quality: 0.15,
        }
    }
}

impl QualityWeights {
    /// Exponents in the order W, E, D, R, S.
    pub fn parse(
        watch_completion: f64,
        engagement_rate: f64,
        engagement_diversity: f64,
        rewatch: f64,
        nlp_quality: f64,
    ) -> Result<Self, QualityWeightsError> {
        let check = |metric: Metric, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(value + 0.0)
            } else {
                Err(QualityWeightsError { metric, value })
            }
        };
        Ok(Self {
            watch_completion: check(Metric::WatchCompletion, watch_completion)?,
            engagement_rate: check(Metric::EngagementRate, engagement_rate)?,
            engagement_diversity: check(Metric::EngagementDiversity, engagement_diversity)?,
            rewatch: check(Metric::Rewatch, rewatch)?,
            nlp_quality: check(Metric::NlpQuality, nlp_quality)?,
        })
    }

    /// The exponent of a metric; compliance has none (it multiplies) and reports 1.
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::WatchCompletion => self.watch_completion,
            Metric::EngagementRate => self.engagement_rate,
            Metric::EngagementDiversity => self.engagement_diversity,
            Metric::Rewatch => self.rewatch,
            Metric::NlpQuality => self.nlp_quality,
            Metric::Compliance => 1.0,
        }
    }

    fn exponents(&self) -> [(Metric, f64); 5] {
        [
            (Metric::WatchCompletion, self.watch_completion),
            (Metric::EngagementRate, self.engagement_rate),
            (Metric::EngagementDiversity, self.engagement_diversity),
            (Metric::Rewatch, self.rewatch),
            (Metric::NlpQuality, self.nlp_quality),
        ]
    }
}

/// `Q = C · min(1, W^a · E^b · D^c · R^d · S^e)`.
///
/// A metric of 0 with a positive exponent makes Q exactly 0. A metric whose exponent is 0 is
/// ignored, even when it is 0 (the limit of `x^a` as `a → 0` is 1, and a weight of 0 means
/// "does not count"); with the default weights every exponent is positive, so any zero metric
/// gives 0.
pub fn quality_score(metrics: &VideoMetrics, weights: &QualityWeights) -> Fraction {
    let compliance = metrics.compliance.get();
    if compliance == 0.0 {
        return Fraction::ZERO;
    }
    let mut product = 1.0;
    for (metric, exponent) in weights.exponents() {
        if exponent == 0.0 {
            continue;
        }
        let value = metrics.get(metric).get();
        if value == 0.0 {
            return Fraction::ZERO;
        }
        product *= value.powf(exponent);
    }
    Fraction::saturating(compliance * product.min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(w: f64, e: f64, d: f64, r: f64, s: f64, c: f64) -> VideoMetrics {
        VideoMetrics::parse(w, e, d, r, s, c).unwrap()
    }

    #[test]
    fn the_seed_sample_videos_get_the_seed_quality_scores() {
        // seeds/000: video_id 1..=5, metrics and quality_score as printed.
        let cases = [
            (metrics(0.1, 0.9, 0.4, 0.3, 0.2, 1.0), 0.26408044970115724),
            (metrics(0.3, 0.7, 0.4, 0.1, 0.8, 1.0), 0.401827306180955),
            (metrics(0.8, 0.4, 0.2, 0.7, 0.9, 1.0), 0.5487786071141879),
            (metrics(0.5, 0.1, 0.7, 0.3, 0.99, 1.0), 0.3702214796259402),
            (metrics(0.9, 0.9, 0.9, 0.9, 0.1, 0.0), 0.0),
        ];
        let weights = QualityWeights::default();
        for (i, (m, expected)) in cases.iter().enumerate() {
            let q = quality_score(m, &weights).get();
            assert!(
                (q - expected).abs() <= 1e-12,
                "video {}: {q} != {expected}",
                i + 1
            );
        }
    }

    #[test]
    fn any_zero_metric_gives_zero_with_the_default_weights() {
        let weights = QualityWeights::default();
        for metric in Metric::ALL {
            let mut m = metrics(0.5, 0.5, 0.5, 0.5, 0.5, 1.0);
            match metric {
                Metric::WatchCompletion => m.watch_completion = Fraction::ZERO,
                Metric::EngagementRate => m.engagement_rate = Fraction::ZERO,
                Metric::EngagementDiversity => m.engagement_diversity = Fraction::ZERO,
                Metric::Rewatch => m.rewatch = Fraction::ZERO,
                Metric::NlpQuality => m.nlp_quality = Fraction::ZERO,
                Metric::Compliance => m.compliance = Fraction::ZERO,
            }
            assert_eq!(quality_score(&m, &weights).get(), 0.0, "{metric}");
        }
    }

    #[test]
    fn perfect_metrics_score_one_and_compliance_scales() {
        let weights = QualityWeights::default();
        assert_eq!(
            quality_score(&metrics(1., 1., 1., 1., 1., 1.), &weights).get(),
            1.0
        );
        assert_eq!(
            quality_score(&metrics(1., 1., 1., 1., 1., 0.5), &weights).get(),
            0.5
        );
    }

    #[test]
    fn the_score_is_capped_at_one_even_with_odd_weights() {
        // Exponents summing to less than 1 still give a product ≤ 1 for inputs ≤ 1; the cap
        // keeps Q a fraction whatever the weights.
        let weights = QualityWeights::parse(0.0, 0.0, 0.0, 0.0, 0.0).unwrap();
        assert_eq!(
            quality_score(&metrics(0.1, 0.1, 0.1, 0.1, 0.1, 1.0), &weights).get(),
            1.0
        );
    }

    #[test]
    fn a_metric_with_weight_zero_is_ignored_even_when_zero() {
        let weights = QualityWeights::parse(0.35, 0.25, 0.15, 0.0, 0.15).unwrap();
        let m = metrics(0.5, 0.5, 0.5, 0.0, 0.5, 1.0);
        let q = quality_score(&m, &weights).get();
        assert!((q - 0.5f64.powf(0.9)).abs() < 1e-15);
    }

    #[test]
    fn negative_or_nan_weights_are_refused() {
        let err = QualityWeights::parse(0.35, -0.1, 0.15, 0.1, 0.15).unwrap_err();
        assert_eq!(err.metric, Metric::EngagementRate);
        assert!(QualityWeights::parse(0.35, 0.25, f64::NAN, 0.1, 0.15).is_err());
        assert!(QualityWeights::parse(0.35, 0.25, 0.15, 0.1, f64::INFINITY).is_err());
    }

    #[test]
    fn more_of_a_metric_never_lowers_the_score() {
        let weights = QualityWeights::default();
        let low = quality_score(&metrics(0.3, 0.3, 0.3, 0.3, 0.3, 1.0), &weights);
        let high = quality_score(&metrics(0.6, 0.3, 0.3, 0.3, 0.3, 1.0), &weights);
        assert!(high > low);
    }
}
