//! The engagement metrics W, E, D, R, S, C of a video, and the pure rules that turn recorded
//! counts into them: which watch is a qualified view, how many qualified views one viewer can
//! give a video, and how likes, comments, shares and rewatches become numbers in [0, 1].
//!
//! It does not record or query events (that is `store`'s job) and does not score text (see
//! [`crate::text_quality`]); callers pass counts and timestamps in, numbers come out.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// A finite number in [0, 1]. Every metric, the quality score and every share is one.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
#[serde(transparent)]
pub struct Fraction(f64);

/// Why a number is not a [`Fraction`].
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("must be a number in [0, 1], got {0}")]
pub struct FractionError(pub f64);

impl Fraction {
    pub const ZERO: Fraction = Fraction(0.0);
    pub const ONE: Fraction = Fraction(1.0);

    /// Accepts a finite number in [0, 1]; NaN, infinities and anything outside are refused.
    /// `-0.0` is accepted and stored as `0.0`.
    pub fn parse(value: f64) -> Result<Self, FractionError> {
        if (0.0..=1.0).contains(&value) {
            Ok(Self(value + 0.0))
        } else {
            Err(FractionError(value))
        }
    }

    /// Clamps into [0, 1]; NaN becomes 0. For results of arithmetic that is in range except for
    /// rounding.
    pub fn saturating(value: f64) -> Self {
        if value.is_nan() {
            Self::ZERO
        } else {
            Self(value.clamp(0.0, 1.0) + 0.0)
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One of the six metrics, named as in the Creator API (`seeds/000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    WatchCompletion,
    EngagementRate,
    EngagementDiversity,
    Rewatch,
    NlpQuality,
    Compliance,
}

impl Metric {
    pub const ALL: [Metric; 6] = [
        Metric::WatchCompletion,
        Metric::EngagementRate,
        Metric::EngagementDiversity,
        Metric::Rewatch,
        Metric::NlpQuality,
        Metric::Compliance,
    ];

    /// The field name in the Creator API's JSON.
    pub fn name(self) -> &'static str {
        match self {
            Metric::WatchCompletion => "watch_completion",
            Metric::EngagementRate => "engagement_rate",
            Metric::EngagementDiversity => "engagement_diversity",
            Metric::Rewatch => "rewatch",
            Metric::NlpQuality => "nlp_quality",
            Metric::Compliance => "compliance",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric value that is not in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[error("{metric}: {source}")]
pub struct MetricError {
    pub metric: Metric,
    pub source: FractionError,
}

/// The six metrics of one video. Every field is already a [`Fraction`], so any value of this
/// type is valid.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct VideoMetrics {
    /// W: mean over qualified views of min(1, watched / duration).
    pub watch_completion: Fraction,
    /// E: min(1, (likes + comments + shares) / qualified views).
    pub engagement_rate: Fraction,
    /// D: Shannon entropy of (likes, comments, shares) divided by ln 3.
    pub engagement_diversity: Fraction,
    /// R: share of distinct viewers with two or more qualified views.
    pub rewatch: Fraction,
    /// S: text quality of title and description.
    pub nlp_quality: Fraction,
    /// C: 1 unless moderation marked the video non-compliant.
    pub compliance: Fraction,
}

impl VideoMetrics {
    /// Builds metrics from raw numbers in the order W, E, D, R, S, C; the error names the first
    /// metric that is NaN or outside [0, 1].
    pub fn parse(
        watch_completion: f64,
        engagement_rate: f64,
        engagement_diversity: f64,
        rewatch: f64,
        nlp_quality: f64,
        compliance: f64,
    ) -> Result<Self, MetricError> {
        let field = |metric: Metric, value: f64| {
            Fraction::parse(value).map_err(|source| MetricError { metric, source })
        };
        Ok(Self {
            watch_completion: field(Metric::WatchCompletion, watch_completion)?,
            engagement_rate: field(Metric::EngagementRate, engagement_rate)?,
            engagement_diversity: field(Metric::EngagementDiversity, engagement_diversity)?,
            rewatch: field(Metric::Rewatch, rewatch)?,
            nlp_quality: field(Metric::NlpQuality, nlp_quality)?,
            compliance: field(Metric::Compliance, compliance)?,
        })
    }

    pub fn get(&self, metric: Metric) -> Fraction {
        match metric {
            Metric::WatchCompletion => self.watch_completion,
            Metric::EngagementRate => self.engagement_rate,
            Metric::EngagementDiversity => self.engagement_diversity,
            Metric::Rewatch => self.rewatch,
            Metric::NlpQuality => self.nlp_quality,
            Metric::Compliance => self.compliance,
        }
    }

    /// True when moderation marked the video non-compliant (C = 0).
    pub fn is_non_compliant(&self) -> bool {
        self.compliance.get() == 0.0
    }
}

// ---------------------------------------------------------------------------------------------
// Qualified views

/// A watch of at least this many seconds counts (for videos at least twice as long).
pub const MIN_QUALIFIED_WATCH_SECONDS: f64 = 3.0;

/// One qualified view per viewer per video per this many seconds (30 minutes).
pub const QUALIFIED_VIEW_WINDOW_SECONDS: i64 = 30 * 60;

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// At most this many qualified views per viewer per video per UTC day. This is what bounds a
/// bot farm: `k` viewer ids can add at most `k · 5` qualified views a day to a video, however
/// many times they press play.
pub const fn qualified_view_cap_per_day() -> u32 {
    5
}

/// Whether one watch is long enough to be a view: at least 3 s, or at least half of a video
/// shorter than 6 s. Non-finite or negative inputs never qualify.
pub fn is_qualified_watch(watched_seconds: f64, duration_seconds: f64) -> bool {
    if !watched_seconds.is_finite() || watched_seconds <= 0.0 {
        return false;
    }
    if watched_seconds >= MIN_QUALIFIED_WATCH_SECONDS {
        return true;
    }
    duration_seconds.is_finite()
        && duration_seconds > 0.0
        && duration_seconds < 2.0 * MIN_QUALIFIED_WATCH_SECONDS
        && watched_seconds >= duration_seconds / 2.0
}

/// One watch of one video by one viewer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watch {
    /// When the watch started, in seconds since the Unix epoch (UTC).
    pub at_seconds: i64,
    pub watched_seconds: f64,
}

/// Which of one viewer's watches of one video count as qualified views, in the order given
/// after a stable sort by time. A watch counts when it is long enough
/// ([`is_qualified_watch`]), starts at least 30 minutes after the previous *counted* view, and
/// the viewer has fewer than [`qualified_view_cap_per_day`] counted views of this video on that
/// UTC day.
pub fn qualified_watches(watches: &[Watch], duration_seconds: f64) -> Vec<Watch> {
    let mut sorted = watches.to_vec();
    sorted.sort_by_key(|w| w.at_seconds);
    let mut counted: Vec<Watch> = Vec::new();
    let mut day = i64::MIN;
    let mut counted_today = 0u32;
    for watch in sorted {
        if !is_qualified_watch(watch.watched_seconds, duration_seconds) {
            continue;
        }
        if let Some(last) = counted.last()
            && watch.at_seconds - last.at_seconds < QUALIFIED_VIEW_WINDOW_SECONDS
        {
            continue;
        }
        let watch_day = watch.at_seconds.div_euclid(SECONDS_PER_DAY);
        if watch_day != day {
            day = watch_day;
            counted_today = 0;
        }
        if counted_today >= qualified_view_cap_per_day() {
            continue;
        }
        counted_today += 1;
        counted.push(watch);
    }
    counted
}

/// What one viewer's history with one video says about the next watch: enough for
/// [`decide_view`] to apply the rules incrementally, as events arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewerState {
    /// Start of the last counted view, seconds since the epoch.
    pub last_counted_at: Option<i64>,
    /// The UTC day (days since 1970-01-01) `counted_on_day` refers to.
    pub day: i64,
    pub counted_on_day: u32,
}

/// Whether a watch counts as a qualified view, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewDecision {
    Counted,
    /// Under 3 s (or under half of a video shorter than 6 s).
    TooShort,
    /// Less than 30 minutes after this viewer's last counted view of the video.
    WithinWindow,
    /// This viewer already gave the video its 5 views today (UTC).
    DailyCap,
}

/// The rules of [`qualified_watches`] for one more watch that starts no earlier than every
/// watch already folded into `state`: the decision and the state after it. Folding a viewer's
/// watches in time order through this counts exactly the watches `qualified_watches` keeps.
pub fn decide_view(
    state: &ViewerState,
    watch: &Watch,
    duration_seconds: f64,
) -> (ViewDecision, ViewerState) {
    if !is_qualified_watch(watch.watched_seconds, duration_seconds) {
        return (ViewDecision::TooShort, *state);
    }
    if let Some(last) = state.last_counted_at
        && watch.at_seconds - last < QUALIFIED_VIEW_WINDOW_SECONDS
    {
        return (ViewDecision::WithinWindow, *state);
    }
    let day = watch.at_seconds.div_euclid(SECONDS_PER_DAY);
    let counted_today = if day == state.day {
        state.counted_on_day
    } else {
        0
    };
    if counted_today >= qualified_view_cap_per_day() {
        return (ViewDecision::DailyCap, *state);
    }
    let next = ViewerState {
        last_counted_at: Some(watch.at_seconds),
        day,
        counted_on_day: counted_today + 1,
    };
    (ViewDecision::Counted, next)
}

// ---------------------------------------------------------------------------------------------
// Counts to metrics

/// min(1, watched / duration) for one qualified view; 0 for a non-positive or non-finite
/// duration or watch.
pub fn capped_watch_ratio(watched_seconds: f64, duration_seconds: f64) -> f64 {
    if !(duration_seconds.is_finite() && duration_seconds > 0.0 && watched_seconds.is_finite()) {
        return 0.0;
    }
    (watched_seconds / duration_seconds).clamp(0.0, 1.0)
}

/// W: the mean of [`capped_watch_ratio`] over qualified views, given their sum. 0 without
/// views; rounding in the sum is clamped away.
pub fn watch_completion(sum_of_capped_ratios: f64, qualified_views: u64) -> Fraction {
    if qualified_views == 0 {
        return Fraction::ZERO;
    }
    Fraction::saturating(sum_of_capped_ratios / qualified_views as f64)
}

/// E: min(1, (likes + comments + shares) / qualified views); 0 without views.
pub fn engagement_rate(likes: u64, comments: u64, shares: u64, qualified_views: u64) -> Fraction {
    if qualified_views == 0 {
        return Fraction::ZERO;
    }
    let interactions = likes as f64 + comments as f64 + shares as f64;
    Fraction::saturating(interactions / qualified_views as f64)
}

/// D: the Shannon entropy of (likes, comments, shares) as a distribution, divided by ln 3 so
/// an even split is 1 and a single kind of interaction is 0. 0 when all counts are 0.
pub fn engagement_diversity(likes: u64, comments: u64, shares: u64) -> Fraction {
    let counts = [likes as f64, comments as f64, shares as f64];
    let total: f64 = counts.iter().sum();
    if total == 0.0 {
        return Fraction::ZERO;
    }
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| {
            let p = c / total;
            -p * p.ln()
        })
        .sum();
    Fraction::saturating(entropy / 3f64.ln())
}

/// R: the share of distinct viewers with two or more qualified views; 0 without viewers.
pub fn rewatch(viewers_with_two_or_more: u64, distinct_viewers: u64) -> Fraction {
    if distinct_viewers == 0 {
        return Fraction::ZERO;
    }
    Fraction::saturating(viewers_with_two_or_more as f64 / distinct_viewers as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_accepts_the_closed_unit_interval_only() {
        assert_eq!(Fraction::parse(0.0).unwrap().get(), 0.0);
        assert_eq!(Fraction::parse(1.0).unwrap().get(), 1.0);
        assert_eq!(Fraction::parse(0.25).unwrap().get(), 0.25);
        assert!(Fraction::parse(-0.0).unwrap().get().is_sign_positive());
        for bad in [
            f64::NAN,
            -1e-12,
            1.0 + 1e-12,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(Fraction::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn video_metrics_parse_names_the_offending_metric() {
        let ok = VideoMetrics::parse(0.1, 0.9, 0.4, 0.3, 0.2, 1.0).unwrap();
        assert_eq!(ok.engagement_rate.get(), 0.9);
        assert_eq!(ok.get(Metric::NlpQuality).get(), 0.2);
        let err = VideoMetrics::parse(0.1, 0.9, 0.4, 1.5, 0.2, 1.0).unwrap_err();
        assert_eq!(err.metric, Metric::Rewatch);
        assert_eq!(
            err.to_string(),
            "rewatch: must be a number in [0, 1], got 1.5"
        );
        let err = VideoMetrics::parse(0.1, 0.9, 0.4, 0.3, 0.2, f64::NAN).unwrap_err();
        assert_eq!(err.metric, Metric::Compliance);
    }

    #[test]
    fn a_watch_of_three_seconds_qualifies_and_shorter_does_not_on_a_long_video() {
        assert!(is_qualified_watch(3.0, 60.0));
        assert!(is_qualified_watch(45.0, 60.0));
        assert!(!is_qualified_watch(2.99, 60.0));
        assert!(!is_qualified_watch(2.99, 6.0));
    }

    #[test]
    fn half_of_a_video_shorter_than_six_seconds_qualifies() {
        assert!(is_qualified_watch(2.0, 4.0));
        assert!(!is_qualified_watch(1.9, 4.0));
        assert!(is_qualified_watch(1.0, 2.0));
        assert!(is_qualified_watch(2.9, 5.8));
        assert!(!is_qualified_watch(2.8, 5.8));
    }

    #[test]
    fn nonsense_watches_never_qualify() {
        assert!(!is_qualified_watch(0.0, 1.0));
        assert!(!is_qualified_watch(-5.0, 60.0));
        assert!(!is_qualified_watch(f64::NAN, 60.0));
        assert!(!is_qualified_watch(f64::INFINITY, 60.0));
        assert!(!is_qualified_watch(1.0, f64::NAN));
        assert!(!is_qualified_watch(1.0, 0.0));
    }

    fn watch(at_seconds: i64) -> Watch {
        Watch {
            at_seconds,
            watched_seconds: 10.0,
        }
    }

    #[test]
    fn one_viewer_counts_once_per_thirty_minutes() {
        let watches: Vec<Watch> = (0..10).map(|i| watch(i * 60)).collect();
        assert_eq!(qualified_watches(&watches, 30.0).len(), 1);
        let watches = [watch(0), watch(1799), watch(1800), watch(3599), watch(3600)];
        let counted = qualified_watches(&watches, 30.0);
        let at: Vec<i64> = counted.iter().map(|w| w.at_seconds).collect();
        assert_eq!(at, [0, 1800, 3600]);
    }

    #[test]
    fn one_viewer_counts_at_most_five_times_per_utc_day() {
        let day = 86_400;
        // 10 000 plays spread over one UTC day (every ~8.6 s).
        let plays: Vec<Watch> = (0..10_000).map(|i| watch(5 * day + i * 8)).collect();
        assert_eq!(
            qualified_watches(&plays, 30.0).len(),
            qualified_view_cap_per_day() as usize
        );
        // The cap restarts at UTC midnight.
        let two_days: Vec<Watch> = (0..96).map(|i| watch(5 * day + i * 1800)).collect();
        assert_eq!(qualified_watches(&two_days, 30.0).len(), 10);
    }

    #[test]
    fn short_watches_do_not_open_the_thirty_minute_window() {
        let watches = [
            Watch {
                at_seconds: 0,
                watched_seconds: 1.0,
            },
            watch(60),
        ];
        let counted = qualified_watches(&watches, 30.0);
        assert_eq!(counted.len(), 1);
        assert_eq!(counted[0].at_seconds, 60);
    }

    #[test]
    fn watches_are_counted_in_time_order_whatever_the_input_order() {
        let watches = [watch(3600), watch(0), watch(60)];
        let at: Vec<i64> = qualified_watches(&watches, 30.0)
            .iter()
            .map(|w| w.at_seconds)
            .collect();
        assert_eq!(at, [0, 3600]);
    }

    #[test]
    fn capped_watch_ratio_is_at_most_one() {
        assert_eq!(capped_watch_ratio(15.0, 30.0), 0.5);
        assert_eq!(capped_watch_ratio(90.0, 30.0), 1.0);
        assert_eq!(capped_watch_ratio(5.0, 0.0), 0.0);
        assert_eq!(capped_watch_ratio(f64::NAN, 10.0), 0.0);
    }

    #[test]
    fn watch_completion_is_the_mean_capped_ratio() {
        assert_eq!(watch_completion(1.5, 3).get(), 0.5);
        assert_eq!(watch_completion(0.0, 0).get(), 0.0);
        assert_eq!(watch_completion(3.0000000001, 3).get(), 1.0);
        assert_eq!(watch_completion(f64::NAN, 3).get(), 0.0);
    }

    #[test]
    fn engagement_rate_is_interactions_per_view_capped_at_one() {
        assert_eq!(engagement_rate(69, 10, 3, 110).get(), 82.0 / 110.0);
        assert_eq!(engagement_rate(1090, 15, 19, 100).get(), 1.0);
        assert_eq!(engagement_rate(5, 5, 5, 0).get(), 0.0);
        assert_eq!(engagement_rate(0, 0, 0, 10).get(), 0.0);
    }

    #[test]
    fn engagement_diversity_is_normalised_entropy() {
        assert_eq!(engagement_diversity(0, 0, 0).get(), 0.0);
        assert_eq!(engagement_diversity(7, 0, 0).get(), 0.0);
        assert!((engagement_diversity(4, 4, 4).get() - 1.0).abs() < 1e-15);
        let two_even = engagement_diversity(3, 3, 0).get();
        assert!((two_even - 2f64.ln() / 3f64.ln()).abs() < 1e-15);
        let skewed = engagement_diversity(69, 10, 3).get();
        assert!(skewed > 0.0 && skewed < two_even);
    }

    #[test]
    fn rewatch_is_the_share_of_returning_viewers() {
        assert_eq!(rewatch(3, 10).get(), 0.3);
        assert_eq!(rewatch(0, 0).get(), 0.0);
        assert_eq!(rewatch(10, 10).get(), 1.0);
    }

    #[test]
    fn the_daily_cap_is_five() {
        const CAP: u32 = qualified_view_cap_per_day();
        assert_eq!(CAP, 5);
    }

    #[test]
    fn deciding_views_one_by_one_counts_what_qualified_watches_counts() {
        // A deterministic mix of short, long, close and far-apart watches over three days.
        let mut at = 86_400 * 100 + 3_000;
        let mut watches = Vec::new();
        for i in 0..400i64 {
            at += [7, 600, 1_799, 1_800, 5_000, 20][(i % 6) as usize];
            let watched = [1.0, 3.0, 12.0, 2.5][(i % 4) as usize];
            watches.push(Watch {
                at_seconds: at,
                watched_seconds: watched,
            });
        }
        let expected = qualified_watches(&watches, 30.0);
        let mut state = ViewerState::default();
        let mut counted = Vec::new();
        for w in &watches {
            let (decision, next) = decide_view(&state, w, 30.0);
            if decision == ViewDecision::Counted {
                counted.push(*w);
            }
            state = next;
        }
        assert_eq!(counted, expected);
        assert!(counted.len() > 10);
    }

    #[test]
    fn each_refusal_has_its_reason() {
        let state = ViewerState::default();
        let (d, state) = decide_view(&state, &watch(0), 30.0);
        assert_eq!(d, ViewDecision::Counted);
        let short = Watch {
            at_seconds: 5_000,
            watched_seconds: 1.0,
        };
        assert_eq!(decide_view(&state, &short, 30.0).0, ViewDecision::TooShort);
        assert_eq!(
            decide_view(&state, &watch(60), 30.0).0,
            ViewDecision::WithinWindow
        );
        let capped = ViewerState {
            last_counted_at: Some(0),
            day: 0,
            counted_on_day: 5,
        };
        assert_eq!(
            decide_view(&capped, &watch(7_200), 30.0).0,
            ViewDecision::DailyCap
        );
        assert_eq!(
            decide_view(&capped, &watch(86_400), 30.0).0,
            ViewDecision::Counted
        );
    }
}
