//! The metrics reelshare records, through the `metrics` facade into one process-wide
//! Prometheus recorder (`metrics-exporter-prometheus`, without its own HTTP listener: the
//! `/metrics` route renders it). Names are constants here so recording sites and tests agree.
//!
//! Counters and histograms are recorded where things happen (requests, uploads, jobs, watch
//! batches, projection solves); the queue gauges (jobs queued, running and failed, the age of
//! the oldest queued job) describe the whole platform, so they are read from the database when
//! scraped rather than counted per process.

use std::sync::OnceLock;
use std::time::Duration;

use domain::video::Timestamp;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use store::StoreError;
use store::database::AnyPool;

pub const HTTP_REQUESTS: &str = "reelshare_http_requests_total";
pub const HTTP_SECONDS: &str = "reelshare_http_request_duration_seconds";
pub const UPLOAD_BYTES: &str = "reelshare_upload_bytes_total";
pub const JOBS: &str = "reelshare_jobs";
pub const OLDEST_QUEUED_SECONDS: &str = "reelshare_jobs_oldest_queued_age_seconds";
pub const JOB_SECONDS: &str = "reelshare_job_processing_duration_seconds";
pub const JOBS_FINISHED: &str = "reelshare_jobs_finished_total";
pub const WATCH_BATCH_SIZE: &str = "reelshare_watch_report_batch_size";
pub const PROJECTION_SOLVE_SECONDS: &str = "reelshare_projection_solve_duration_seconds";

/// Bucket bounds of the duration histograms, in seconds.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];
/// Bucket bounds of the watch-report batch sizes (the writer's batches hold at most 512).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. Every server in the process (tests run
/// several) shares it, as they would share one process's metrics in production.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(SECONDS_BUCKETS)
            .and_then(|builder| {
                builder.set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(WATCH_BATCH_SIZE.into()),
                    BATCH_BUCKETS,
                )
            })
            .expect("constant, non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours renders nothing more
        // than the DB gauges, which is still correct output.
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "a metrics recorder was already installed");
        }
        handle
    })
}

/// One request served: `route` is the matched route template (never the raw path, which would
/// make a series per video id), or `unmatched`.
pub fn record_request(method: &str, route: &str, status: u16, took: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_SECONDS, &labels).record(took.as_secs_f64());
}

/// Bytes of an upload's file received in full (accepted or refused later by the pipeline).
pub fn record_upload_bytes(bytes: u64) {
    metrics::counter!(UPLOAD_BYTES).increment(bytes);
}

/// One processing attempt ended with `outcome` (`ready`, `failed`, `retry`, `lost`).
pub fn record_job(outcome: &'static str, took: Duration) {
    metrics::counter!(JOBS_FINISHED, "outcome" => outcome).increment(1);
    metrics::histogram!(JOB_SECONDS, "outcome" => outcome).record(took.as_secs_f64());
}

/// A batch of watch reports committed together.
pub fn record_watch_batch(reports: usize) {
    metrics::histogram!(WATCH_BATCH_SIZE).record(reports as f64);
}

/// One solve of the open period's projection.
pub fn record_projection_solve(took: Duration) {
    metrics::histogram!(PROJECTION_SOLVE_SECONDS).record(took.as_secs_f64());
}

/// Sets the queue gauges from the database: jobs by state and the oldest queued job's age.
pub async fn refresh_queue_gauges(pool: &AnyPool, now: Timestamp) -> Result<(), StoreError> {
    let queue = store::jobs::queue_summary(pool).await?;
    for (state, count) in [
        ("queued", queue.queued),
        ("running", queue.running),
        ("failed", queue.failed),
    ] {
        metrics::gauge!(JOBS, "state" => state).set(count as f64);
    }
    let age = queue.oldest_queued_at.map_or(0.0, |at| {
        (now.as_micros() - at.as_micros()).max(0) as f64 / 1e6
    });
    metrics::gauge!(OLDEST_QUEUED_SECONDS).set(age);
    Ok(())
}
