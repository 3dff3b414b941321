//! Runs the quality score and the allocation on per-video records given as JSON, the way
//! `reelshare payout simulate` does: a JSON array of objects with the Creator API's field
//! names in, one result per record out, in the same order.
//!
//! Input records need `video_id` (integer), `views` (integer ≥ 0) and the six metrics
//! `watch_completion`, `engagement_rate`, `engagement_diversity`, `rewatch`, `nlp_quality`,
//! `compliance` (numbers in [0, 1]); other fields are ignored, so the Creator API's own
//! `/get-all-videos-data` output is valid input. Records are parsed by hand from
//! [`serde_json::Value`] so that an error names the record (0-based index in the array), its
//! `video_id` when known, and the field.
//!
//! It does not read files or print: the caller passes the text in and formats the result.

use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::allocation::{AllocationInput, AllocationParams, allocate};
use crate::metrics::{Fraction, Metric, VideoMetrics};
use crate::quality::{QualityWeights, quality_score};

/// One record's result, serialised with the Creator API's field names.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimulatedVideo {
    pub video_id: i64,
    pub quality_score: f64,
    pub rev_prop: f64,
    pub proj_earnings: f64,
}

/// Input that is not an array of valid records.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RecordError {
    #[error("input is not valid JSON: {0}")]
    Json(String),
    #[error("input must be a JSON array of records, got {0}")]
    NotAnArray(&'static str),
    #[error("record {index}: must be a JSON object, got {got}")]
    NotAnObject { index: usize, got: &'static str },
    #[error("record {index}{}: field \"{field}\": {problem}", video_suffix(*.video_id))]
    Field {
        index: usize,
        video_id: Option<i64>,
        field: &'static str,
        problem: FieldProblem,
    },
    #[error("record {index} (video_id {video_id}): video_id already used by record {first}")]
    DuplicateVideoId {
        index: usize,
        video_id: i64,
        first: usize,
    },
}

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FieldProblem {
    #[error("is missing")]
    Missing,
    #[error("must be an integer, got {0}")]
    NotAnInteger(String),
    #[error("must be an integer ≥ 0, got {0}")]
    NotACount(String),
    #[error("must be a number in [0, 1], got {0}")]
    NotAFraction(String),
}

fn video_suffix(video_id: Option<i64>) -> String {
    video_id.map_or_else(String::new, |id| format!(" (video_id {id})"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One parsed record.
struct Record {
    video_id: i64,
    views: u64,
    metrics: VideoMetrics,
}

/// Parses the records, scores each video, allocates the pool and returns one result per
/// record in input order. Fails on the first bad record; duplicate `video_id`s are refused.
pub fn simulate(
    json: &str,
    params: &AllocationParams,
    weights: &QualityWeights,
) -> Result<Vec<SimulatedVideo>, RecordError> {
    let value: Value = serde_json::from_str(json).map_err(|e| RecordError::Json(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(RecordError::NotAnArray(kind(&value)));
    };

    let mut records = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let Value::Object(fields) = item else {
            return Err(RecordError::NotAnObject {
                index,
                got: kind(item),
            });
        };
        let record = parse_record(index, fields)?;
        if let Some(&first) = seen.get(&record.video_id) {
            return Err(RecordError::DuplicateVideoId {
                index,
                video_id: record.video_id,
                first,
            });
        }
        seen.insert(record.video_id, index);
        records.push(record);
    }

    let qualities: Vec<Fraction> = records
        .iter()
        .map(|r| quality_score(&r.metrics, weights))
        .collect();
    let inputs: Vec<AllocationInput> = records
        .iter()
        .zip(&qualities)
        .map(|(r, &quality)| AllocationInput {
            qualified_views: r.views,
            quality,
        })
        .collect();
    let allocation = allocate(&inputs, params);

    Ok(records
        .iter()
        .zip(&qualities)
        .zip(allocation.lines())
        .map(|((r, q), line)| SimulatedVideo {
            video_id: r.video_id,
            quality_score: q.get(),
            rev_prop: line.share(),
            proj_earnings: line.amount(),
        })
        .collect())
}

fn parse_record(index: usize, fields: &Map<String, Value>) -> Result<Record, RecordError> {
    let error = |video_id, field, problem| RecordError::Field {
        index,
        video_id,
        field,
        problem,
    };
    let video_id = match fields.get("video_id") {
        None => return Err(error(None, "video_id", FieldProblem::Missing)),
        Some(value) => value.as_i64().ok_or_else(|| {
            error(
                None,
                "video_id",
                FieldProblem::NotAnInteger(value.to_string()),
            )
        })?,
    };
    let known = Some(video_id);
    let views = match fields.get("views") {
        None => return Err(error(known, "views", FieldProblem::Missing)),
        Some(value) => value
            .as_u64()
            .ok_or_else(|| error(known, "views", FieldProblem::NotACount(value.to_string())))?,
    };
    let fraction = |metric: Metric| -> Result<Fraction, RecordError> {
        let field = metric.name();
        let value = fields
            .get(field)
            .ok_or_else(|| error(known, field, FieldProblem::Missing))?;
        value
            .as_f64()
            .and_then(|x| Fraction::parse(x).ok())
            .ok_or_else(|| error(known, field, FieldProblem::NotAFraction(value.to_string())))
    };
    let metrics = VideoMetrics {
        watch_completion: fraction(Metric::WatchCompletion)?,
        engagement_rate: fraction(Metric::EngagementRate)?,
        engagement_diversity: fraction(Metric::EngagementDiversity)?,
        rewatch: fraction(Metric::Rewatch)?,
        nlp_quality: fraction(Metric::NlpQuality)?,
        compliance: fraction(Metric::Compliance)?,
    };
    Ok(Record {
        video_id,
        views,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str) -> Result<Vec<SimulatedVideo>, RecordError> {
        simulate(
            json,
            &AllocationParams::default(),
            &QualityWeights::default(),
        )
    }

    fn record(video_id: i64, views: u64, rewatch: &str) -> String {
        format!(
            r#"{{"video_id": {video_id}, "views": {views}, "watch_completion": 0.5,
                "engagement_rate": 0.5, "engagement_diversity": 0.5, "rewatch": {rewatch},
                "nlp_quality": 0.5, "compliance": 1}}"#
        )
    }

    #[test]
    fn good_records_give_one_result_each_in_order() {
        let json = format!("[{}, {}]", record(7, 100, "0.5"), record(3, 300, "0.5"));
        let out = run(&json).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].video_id, 7);
        assert_eq!(out[1].video_id, 3);
        assert_eq!(out[0].quality_score, 0.5);
        assert!((out[0].rev_prop + out[1].rev_prop - 1.0).abs() < 1e-12);
        assert!(out[1].proj_earnings > out[0].proj_earnings);
        assert_eq!(out[0].proj_earnings, out[0].rev_prop * 10_000.0);
    }

    #[test]
    fn results_serialise_with_the_creator_api_names() {
        let out = run(&format!("[{}]", record(1, 10, "0.5"))).unwrap();
        let json = serde_json::to_value(out).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "video_id": 1, "quality_score": 0.5, "rev_prop": 1.0, "proj_earnings": 10000.0
            }])
        );
    }

    #[test]
    fn an_empty_array_gives_no_results() {
        assert_eq!(run("[]").unwrap(), []);
    }

    #[test]
    fn an_out_of_range_metric_names_record_video_and_field() {
        let json = format!(
            "[{}, {}, {}]",
            record(1, 1, "0.5"),
            record(2, 1, "0.5"),
            record(7, 1, "1.5")
        );
        assert_eq!(
            run(&json).unwrap_err().to_string(),
            r#"record 2 (video_id 7): field "rewatch": must be a number in [0, 1], got 1.5"#
        );
    }

    #[test]
    fn a_missing_or_mistyped_field_is_named() {
        let missing = r#"[{"video_id": 4, "views": 1}]"#;
        assert_eq!(
            run(missing).unwrap_err().to_string(),
            r#"record 0 (video_id 4): field "watch_completion": is missing"#
        );
        let text = format!("[{}]", record(4, 1, r#""high""#));
        assert_eq!(
            run(&text).unwrap_err().to_string(),
            r#"record 0 (video_id 4): field "rewatch": must be a number in [0, 1], got "high""#
        );
        let negative_views = r#"[{"video_id": 4, "views": -3}]"#;
        assert_eq!(
            run(negative_views).unwrap_err().to_string(),
            r#"record 0 (video_id 4): field "views": must be an integer ≥ 0, got -3"#
        );
        let fractional_views = r#"[{"video_id": 4, "views": 2.5}]"#;
        assert!(matches!(
            run(fractional_views),
            Err(RecordError::Field { field: "views", .. })
        ));
    }

    #[test]
    fn a_record_without_a_usable_video_id_is_named_by_index() {
        assert_eq!(
            run(r#"[{"views": 1}]"#).unwrap_err().to_string(),
            r#"record 0: field "video_id": is missing"#
        );
        assert_eq!(
            run(r#"[{"video_id": "x"}]"#).unwrap_err().to_string(),
            r#"record 0: field "video_id": must be an integer, got "x""#
        );
    }

    #[test]
    fn input_that_is_not_an_array_of_objects_is_refused() {
        assert!(matches!(run("{"), Err(RecordError::Json(_))));
        assert_eq!(
            run(r#"{"video_id": 1}"#).unwrap_err(),
            RecordError::NotAnArray("an object")
        );
        assert_eq!(
            run("[1]").unwrap_err().to_string(),
            "record 0: must be a JSON object, got a number"
        );
    }

    #[test]
    fn duplicate_video_ids_are_refused() {
        let json = format!("[{}, {}]", record(9, 1, "0.5"), record(9, 2, "0.5"));
        assert_eq!(
            run(&json).unwrap_err().to_string(),
            "record 1 (video_id 9): video_id already used by record 0"
        );
    }
}
