//! Allocation end to end: the seed's sample output, the optimality conditions, the properties
//! every allocation must have, and how far a bot farm can move a video's share under the
//! qualified-view rule.

use domain::allocation::{
    Allocation, AllocationInput, AllocationParams, allocate, explain, split_cents,
};
use domain::metrics::{
    Fraction, VideoMetrics, Watch, capped_watch_ratio, engagement_diversity, engagement_rate,
    qualified_view_cap_per_day, qualified_watches, rewatch, watch_completion,
};
use domain::quality::{QualityWeights, quality_score};
use proptest::prelude::*;

/// The five videos of `seeds/000`'s sample output: views, W, E, D, R, S, C, and the printed
/// quality_score and rev_prop.
const SEED: [(u64, [f64; 6], f64, f64); 5] = [
    (
        110,
        [0.1, 0.9, 0.4, 0.3, 0.2, 1.0],
        0.26408044970115724,
        0.060208944933361264,
    ),
    (
        52,
        [0.3, 0.7, 0.4, 0.1, 0.8, 1.0],
        0.401827306180955,
        0.04406236427773572,
    ),
    (
        325,
        [0.8, 0.4, 0.2, 0.7, 0.9, 1.0],
        0.5487786071141879,
        0.20991037201085547,
    ),
    (
        1520,
        [0.5, 0.1, 0.7, 0.3, 0.99, 1.0],
        0.3702214796259402,
        0.6858183187780476,
    ),
    (23071, [0.9, 0.9, 0.9, 0.9, 0.1, 0.0], 0.0, 0.0),
];

fn seed_metrics(m: [f64; 6]) -> VideoMetrics {
    VideoMetrics::parse(m[0], m[1], m[2], m[3], m[4], m[5]).unwrap()
}

fn seed_inputs() -> Vec<AllocationInput> {
    let weights = QualityWeights::default();
    SEED.iter()
        .map(|&(views, m, _, _)| AllocationInput {
            qualified_views: views,
            quality: quality_score(&seed_metrics(m), &weights),
        })
        .collect()
}

/// `λ_fair w_v / p_v + λ_eff s_v / P` for every earning video: all equal μ at the optimum.
fn stationarity(allocation: &Allocation, params: &AllocationParams) -> Vec<f64> {
    allocation
        .lines()
        .iter()
        .filter(|l| l.earns())
        .map(|l| {
            params.lambda_fair() * l.w() / l.amount() + params.lambda_eff() * l.s() / params.pool()
        })
        .collect()
}

fn assert_kkt(allocation: &Allocation, params: &AllocationParams) {
    let mu = allocation.mu().expect("something earns");
    for value in stationarity(allocation, params) {
        assert!(
            ((value - mu) / mu).abs() <= 1e-9,
            "stationarity {value} != mu {mu}"
        );
    }
}

#[test]
fn the_seed_sample_gets_the_exact_optimum() {
    let params = AllocationParams::default();
    let allocation = allocate(&seed_inputs(), &params);
    assert_kkt(&allocation, &params);
    let shares: f64 = allocation.lines().iter().map(|l| l.share()).sum();
    assert!((shares - 1.0).abs() <= 1e-12);
    let amounts: f64 = allocation.amounts().iter().sum();
    assert!((amounts - 10_000.0).abs() <= 1e-8);
    // The non-compliant video 5 earns nothing.
    assert_eq!(allocation.lines()[4].amount(), 0.0);

    // The original's piecewise-linear answer is close (within 2.6 points), but not better.
    let seed_amounts: Vec<f64> = SEED.iter().map(|s| s.3 * params.pool()).collect();
    let ours = allocation.objective(&params);
    let theirs = allocation.objective_at(&params, &seed_amounts);
    assert!(ours >= theirs, "{ours} < {theirs}");
    for (line, seed) in allocation.lines().iter().zip(&SEED) {
        assert!(
            (line.share() - seed.3).abs() < 0.03,
            "{line:?} vs {}",
            seed.3
        );
    }
}

#[test]
fn the_seed_sample_is_explained_line_by_line() {
    let weights = QualityWeights::default();
    let params = AllocationParams::default();
    let allocation = allocate(&seed_inputs(), &params);
    for ((views, m, q, _), line) in SEED.iter().zip(allocation.lines()) {
        let e = explain(&seed_metrics(*m), *views, &weights, line);
        assert!((e.quality.get() - q).abs() <= 1e-12);
        assert_eq!(e.share, line.share());
        assert_eq!(e.zero_reason.is_some(), *q == 0.0);
    }
}

#[test]
fn the_exact_optimum_beats_nearby_feasible_splits() {
    let params = AllocationParams::default();
    let allocation = allocate(&seed_inputs(), &params);
    let best = allocation.objective(&params);
    let base = allocation.amounts();
    for from in 0..4 {
        for to in 0..4 {
            if from == to {
                continue;
            }
            let mut moved = base.clone();
            moved[from] -= 1.0;
            moved[to] += 1.0;
            assert!(allocation.objective_at(&params, &moved) < best);
        }
    }
}

#[test]
fn the_solver_converges_in_few_passes() {
    let params = AllocationParams::default();
    let allocation = allocate(&seed_inputs(), &params);
    assert!(allocation.iterations() <= 10, "{}", allocation.iterations());
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_inputs() -> impl Strategy<Value = Vec<AllocationInput>> {
    prop::collection::vec(
        (
            prop_oneof![Just(0u64), 0u64..10, 0u64..100_000, 0u64..10_000_000_000],
            prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0],
        )
            .prop_map(|(views, q)| AllocationInput {
                qualified_views: views,
                quality: Fraction::parse(q).unwrap(),
            }),
        0..60,
    )
}

fn arb_params() -> impl Strategy<Value = AllocationParams> {
    (
        prop_oneof![Just(10_000.0), 1e-3f64..1e9],
        prop_oneof![Just(0.7), 0.0f64..2.0],
        prop_oneof![Just(0.6), 0.01f64..5.0],
        prop_oneof![Just(0.4), 0.0f64..5.0],
    )
        .prop_map(|(pool, alpha, fair, eff)| {
            AllocationParams::parse(pool, alpha, fair, eff).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn shares_are_non_negative_and_sum_to_one_when_anything_earns(
        inputs in arb_inputs(), params in arb_params()
    ) {
        let allocation = allocate(&inputs, &params);
        prop_assert_eq!(allocation.lines().len(), inputs.len());
        let anything = inputs.iter().any(|i| i.qualified_views > 0 && i.quality.get() > 0.0);
        prop_assert_eq!(allocation.pays_out(), anything);
        for line in allocation.lines() {
            prop_assert!(line.share() >= 0.0 && line.amount() >= 0.0);
            prop_assert!(line.share().is_finite() && line.amount().is_finite());
        }
        let total: f64 = allocation.lines().iter().map(|l| l.share()).sum();
        if anything {
            prop_assert!((total - 1.0).abs() <= 1e-9, "shares sum to {}", total);
            prop_assert!(allocation.iterations() <= 60, "{} passes", allocation.iterations());
            assert_kkt(&allocation, &params);
        } else {
            prop_assert_eq!(total, 0.0);
            prop_assert_eq!(allocation.mu(), None);
        }
    }

    #[test]
    fn videos_without_merit_get_nothing_and_videos_with_merit_get_something(
        inputs in arb_inputs(), params in arb_params()
    ) {
        let allocation = allocate(&inputs, &params);
        for (input, line) in inputs.iter().zip(allocation.lines()) {
            let merit = input.qualified_views > 0 && input.quality.get() > 0.0;
            prop_assert_eq!(line.earns(), merit, "{:?} {:?}", input, line);
        }
    }

    #[test]
    fn non_compliant_and_zero_score_videos_get_nothing(
        metrics in prop::collection::vec(
            (0u64..1000, 0.0f64..=1.0, 0.0f64..=1.0, 0.0f64..=1.0, prop::bool::ANY), 1..30)
    ) {
        let weights = QualityWeights::default();
        let videos: Vec<(u64, VideoMetrics)> = metrics
            .iter()
            .map(|&(views, w, e, d, compliant)| {
                let c = if compliant { 1.0 } else { 0.0 };
                (views, VideoMetrics::parse(w, e, d, 0.5, 0.5, c).unwrap())
            })
            .collect();
        let inputs: Vec<AllocationInput> = videos
            .iter()
            .map(|(views, m)| AllocationInput {
                qualified_views: *views,
                quality: quality_score(m, &weights),
            })
            .collect();
        let allocation = allocate(&inputs, &AllocationParams::default());
        for ((views, m), line) in videos.iter().zip(allocation.lines()) {
            if m.is_non_compliant() || quality_score(m, &weights).get() == 0.0 {
                prop_assert_eq!(line.amount(), 0.0);
                prop_assert!(explain(m, *views, &weights, line).zero_reason.is_some());
            }
        }
    }

    #[test]
    fn scaling_every_view_count_changes_nothing(
        inputs in arb_inputs(), params in arb_params(), factor in 1u64..1000
    ) {
        let inputs: Vec<AllocationInput> = inputs
            .into_iter()
            .map(|i| AllocationInput { qualified_views: i.qualified_views % 1_000_000, ..i })
            .collect();
        let scaled: Vec<AllocationInput> = inputs
            .iter()
            .map(|i| AllocationInput { qualified_views: i.qualified_views * factor, ..*i })
            .collect();
        let a = allocate(&inputs, &params);
        let b = allocate(&scaled, &params);
        for (x, y) in a.lines().iter().zip(b.lines()) {
            prop_assert!((x.share() - y.share()).abs() <= 1e-9, "{:?} vs {:?}", x, y);
        }
    }

    #[test]
    fn allocation_is_deterministic(inputs in arb_inputs(), params in arb_params()) {
        prop_assert_eq!(allocate(&inputs, &params), allocate(&inputs, &params));
    }

    #[test]
    fn the_pool_only_scales_the_amounts(inputs in arb_inputs(), pool in 1.0f64..1e8) {
        let base = AllocationParams::default();
        let a = allocate(&inputs, &base);
        let b = allocate(&inputs, &base.with_pool(pool).unwrap());
        for (x, y) in a.lines().iter().zip(b.lines()) {
            prop_assert!((x.share() - y.share()).abs() <= 1e-12);
            prop_assert!((y.amount() - y.share() * pool).abs() <= 1e-9 * pool);
        }
    }

    #[test]
    fn split_cents_pays_exactly_the_pool_within_a_cent_per_line(
        pool in prop_oneof![0i64..1000, 0i64..1_000_000_000_000],
        amounts in prop::collection::vec(
            prop_oneof![Just(0.0), 0.0f64..1.0, 0.0f64..1e9], 0..50)
    ) {
        let cents = split_cents(pool, &amounts);
        prop_assert_eq!(cents.len(), amounts.len());
        let total: f64 = amounts.iter().sum();
        if total > 0.0 {
            prop_assert_eq!(cents.iter().sum::<i64>(), pool);
            for (&c, &a) in cents.iter().zip(&amounts) {
                let exact = pool as f64 * a / total;
                prop_assert!((c as f64 - exact).abs() < 1.0 + 1e-9 * exact.max(1.0),
                    "{} vs exact {}", c, exact);
                prop_assert!(c >= 0);
                if a == 0.0 {
                    prop_assert_eq!(c, 0);
                }
            }
        } else {
            prop_assert!(cents.iter().all(|&c| c == 0));
        }
        prop_assert_eq!(split_cents(pool, &amounts), cents);
    }

    #[test]
    fn split_cents_of_an_allocation_pays_out_the_pool(inputs in arb_inputs()) {
        let params = AllocationParams::default();
        let allocation = allocate(&inputs, &params);
        let cents = split_cents(1_000_000, &allocation.amounts());
        let paid: i64 = cents.iter().sum();
        prop_assert_eq!(paid, if allocation.pays_out() { 1_000_000 } else { 0 });
    }
}

// ---------------------------------------------------------------------------------------------
// A bot farm against the view rule

/// One day of one video's recorded activity, reduced to what the metrics need.
#[derive(Clone, Copy)]
struct Day {
    qualified_views: u64,
    sum_of_capped_ratios: f64,
    distinct_viewers: u64,
    returning_viewers: u64,
    likes: u64,
    comments: u64,
    shares: u64,
    nlp_quality: f64,
}

impl Day {
    fn metrics(&self) -> VideoMetrics {
        VideoMetrics {
            watch_completion: watch_completion(self.sum_of_capped_ratios, self.qualified_views),
            engagement_rate: engagement_rate(
                self.likes,
                self.comments,
                self.shares,
                self.qualified_views,
            ),
            engagement_diversity: engagement_diversity(self.likes, self.comments, self.shares),
            rewatch: rewatch(self.returning_viewers, self.distinct_viewers),
            nlp_quality: Fraction::parse(self.nlp_quality).unwrap(),
            compliance: Fraction::ONE,
        }
    }
}

fn shares_of(days: &[Day]) -> Vec<f64> {
    let weights = QualityWeights::default();
    let inputs: Vec<AllocationInput> = days
        .iter()
        .map(|d| AllocationInput {
            qualified_views: d.qualified_views,
            quality: quality_score(&d.metrics(), &weights),
        })
        .collect();
    allocate(&inputs, &AllocationParams::default())
        .lines()
        .iter()
        .map(|l| l.share())
        .collect()
}

/// 20 ordinary videos with a few hundred qualified views a day each, varied but fixed.
fn ordinary_day() -> Vec<Day> {
    (0..20u64)
        .map(|i| {
            let views = 200 + (i * 37) % 300;
            let viewers = views * 9 / 10;
            Day {
                qualified_views: views,
                sum_of_capped_ratios: views as f64 * (0.35 + 0.03 * (i % 10) as f64),
                distinct_viewers: viewers,
                returning_viewers: viewers / (8 + i % 5),
                likes: views / (6 + i % 7),
                comments: views / (25 + i % 11),
                shares: views / (40 + i % 13),
                nlp_quality: 0.5 + 0.02 * (i % 20) as f64,
            }
        })
        .collect()
}

#[test]
fn a_bot_farm_of_five_ids_moves_a_share_by_at_most_one_point() {
    // Five bot ids each press play 10 000 times during one UTC day, watching to the end.
    let day_start = 20_000 * 86_400;
    let duration = 30.0;
    let plays: Vec<Watch> = (0..10_000)
        .map(|i| Watch {
            at_seconds: day_start + i * 8,
            watched_seconds: duration,
        })
        .collect();
    let per_bot = qualified_watches(&plays, duration);
    assert_eq!(per_bot.len() as u32, qualified_view_cap_per_day());
    let bots = 5u64;
    let bot_views = bots * per_bot.len() as u64;
    assert_eq!(bot_views, 25);
    let bot_ratio: f64 = per_bot
        .iter()
        .map(|w| capped_watch_ratio(w.watched_seconds, duration))
        .sum::<f64>()
        * bots as f64;

    let honest = ordinary_day();
    let before = shares_of(&honest);
    let mut worst: f64 = 0.0;
    for target in 0..honest.len() {
        let mut attacked = honest.clone();
        let day = &mut attacked[target];
        day.qualified_views += bot_views;
        day.sum_of_capped_ratios += bot_ratio;
        day.distinct_viewers += bots;
        day.returning_viewers += bots;
        // Each bot also likes, comments and shares once (the best a bot can do for E and D
        // without comment spam).
        day.likes += bots;
        day.comments += bots;
        day.shares += bots;
        let after = shares_of(&attacked);
        let gain = after[target] - before[target];
        assert!(gain > 0.0, "the bots do help video {target}");
        worst = worst.max(gain);
    }
    assert!(
        worst <= 0.01,
        "a five-id bot farm moved a share by {:.3} points",
        worst * 100.0
    );
}

#[test]
fn without_the_view_rule_the_same_bot_farm_would_take_over() {
    // 50 000 raw plays counted as views: what the daily cap prevents.
    let mut attacked = ordinary_day();
    let before = shares_of(&attacked)[0];
    let day = &mut attacked[0];
    day.qualified_views += 50_000;
    day.sum_of_capped_ratios += 50_000.0;
    day.distinct_viewers += 5;
    day.returning_viewers += 5;
    let after = shares_of(&attacked)[0];
    assert!(after - before > 0.3, "{before} -> {after}");
}
