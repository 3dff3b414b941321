//! `simulate` on the Creator API's own sample output (`seeds/000`): the records it printed are
//! valid input, and the quality scores come back exactly.

use domain::allocation::AllocationParams;
use domain::quality::QualityWeights;
use domain::simulate::simulate;

const SAMPLE: &str = r#"[
  {"comments": 10, "compliance": 1, "created_at": "2025-08-30 08:49:38", "creator_id": 1,
   "engagement_diversity": 0.4, "engagement_rate": 0.9, "likes": 69, "nlp_quality": 0.2,
   "proj_earnings": 602.0894493336126, "quality_score": 0.26408044970115724,
   "rev_prop": 0.060208944933361264, "rewatch": 0.3, "shares": 3, "title": "OIAIOIA",
   "video_id": 1, "views": 110, "watch_completion": 0.1},
  {"comments": 1, "compliance": 1, "created_at": "2025-08-30 08:49:38", "creator_id": 1,
   "engagement_diversity": 0.4, "engagement_rate": 0.7, "likes": 2, "nlp_quality": 0.8,
   "proj_earnings": 440.62364277735725, "quality_score": 0.401827306180955,
   "rev_prop": 0.04406236427773572, "rewatch": 0.1, "shares": 1, "title": "China Vlog",
   "video_id": 2, "views": 52, "watch_completion": 0.3},
  {"comments": 9, "compliance": 1, "created_at": "2025-08-30 08:49:38", "creator_id": 1,
   "engagement_diversity": 0.2, "engagement_rate": 0.4, "likes": 50, "nlp_quality": 0.9,
   "proj_earnings": 2099.1037201085546, "quality_score": 0.5487786071141879,
   "rev_prop": 0.20991037201085547, "rewatch": 0.7, "shares": 2, "title": "Dank memes",
   "video_id": 3, "views": 325, "watch_completion": 0.8},
  {"comments": 21, "compliance": 1, "created_at": "2025-08-30 08:49:38", "creator_id": 1,
   "engagement_diversity": 0.7, "engagement_rate": 0.1, "likes": 170, "nlp_quality": 0.99,
   "proj_earnings": 6858.183187780475, "quality_score": 0.3702214796259402,
   "rev_prop": 0.6858183187780476, "rewatch": 0.3, "shares": 4,
   "title": "Day in the life of a high school student",
   "video_id": 4, "views": 1520, "watch_completion": 0.5},
  {"comments": 15, "compliance": 0, "created_at": "2025-08-30 08:49:38", "creator_id": 1,
   "engagement_diversity": 0.9, "engagement_rate": 0.9, "likes": 1090, "nlp_quality": 0.1,
   "proj_earnings": 0.0, "quality_score": 0.0, "rev_prop": 0.0, "rewatch": 0.9, "shares": 19,
   "title": "feeling cute", "video_id": 5, "views": 23071, "watch_completion": 0.9}
]"#;

#[test]
fn the_seed_sample_output_is_valid_input_and_reproduces_its_quality_scores() {
    let out = simulate(
        SAMPLE,
        &AllocationParams::default(),
        &QualityWeights::default(),
    )
    .unwrap();
    let printed: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
    assert_eq!(out.len(), 5);
    for (ours, theirs) in out.iter().zip(printed.as_array().unwrap()) {
        assert_eq!(ours.video_id, theirs["video_id"].as_i64().unwrap());
        let q = theirs["quality_score"].as_f64().unwrap();
        assert!((ours.quality_score - q).abs() <= 1e-12);
        let rev_prop = theirs["rev_prop"].as_f64().unwrap();
        assert!((ours.rev_prop - rev_prop).abs() < 0.03);
        assert!((ours.proj_earnings - ours.rev_prop * 10_000.0).abs() < 1e-9);
    }
    assert_eq!(out[4].proj_earnings, 0.0);
    let total: f64 = out.iter().map(|v| v.rev_prop).sum();
    assert!((total - 1.0).abs() < 1e-12);
}

#[test]
fn a_smaller_pool_scales_the_earnings_only() {
    let small = AllocationParams::default().with_pool(100.0).unwrap();
    let a = simulate(SAMPLE, &small, &QualityWeights::default()).unwrap();
    let b = simulate(
        SAMPLE,
        &AllocationParams::default(),
        &QualityWeights::default(),
    )
    .unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert!((x.rev_prop - y.rev_prop).abs() < 1e-12);
        assert!((x.proj_earnings * 100.0 - y.proj_earnings).abs() < 1e-8);
    }
}
