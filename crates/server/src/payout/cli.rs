//! `reelshare payout …`: the allocation from the command line.
//!
//! - `simulate FILE|-`: per-video records (JSON array, the seed's field names) in, each
//!   video's `quality_score`, `rev_prop` and `proj_earnings` out as JSON, under the configured
//!   parameters. A malformed record is reported by index, `video_id` and field (exit 2).
//! - `recompute [--rebuild-aggregates]`: solves the open period from the stored aggregates
//!   now and prints it; with the flag, first recomputes those aggregates from the event log
//!   (`store::rebuild`) and lists the videos whose stored numbers differed. Running servers
//!   re-solve the stored aggregates with the same settings every `projection_refresh` seconds,
//!   so they show these numbers within that interval.
//! - `close --period YYYY-MM`: freezes an ended period into the ledger (integer cents summing
//!   to the pool); refused for a period already closed.
//!
//! Only argument handling and printing live here; the work is `domain::simulate` and
//! [`crate::payout::projection`].

use std::io::Read;

use domain::allocation::Period;
use domain::simulate::{RecordError, simulate};
use domain::video::Timestamp;
use serde_json::json;
use store::Database;

use crate::payout::projection::{self, CloseError};
use crate::settings::{PayoutSettings, Settings};

/// What went wrong, and the exit status it means.
#[derive(Debug, thiserror::Error)]
pub enum PayoutCliError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Records(#[from] RecordError),
    #[error("{0}")]
    BadPeriod(String),
    #[error("{0}")]
    Close(#[from] CloseError),
    #[error("{0}")]
    Store(#[from] store::StoreError),
}

impl PayoutCliError {
    /// 2 for input the user can fix (a malformed record, a bad period), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Records(_) | Self::BadPeriod(_) => 2,
            Self::Close(CloseError::AlreadyClosed(_) | CloseError::NotEnded { .. }) => 2,
            _ => 1,
        }
    }
}

/// Runs `payout simulate` on a file (or stdin for `-`) and returns the JSON to print.
pub fn run_simulate(input: &str, payout: &PayoutSettings) -> Result<String, PayoutCliError> {
    let text = if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| PayoutCliError::Read {
                path: "standard input".into(),
                source,
            })?;
        text
    } else {
        std::fs::read_to_string(input).map_err(|source| PayoutCliError::Read {
            path: input.to_owned(),
            source,
        })?
    };
    let results = simulate(&text, &payout.params, &payout.weights)?;
    Ok(serde_json::to_string_pretty(&results).expect("results serialise"))
}

async fn open_database(settings: &Settings) -> Result<Database, PayoutCliError> {
    let db = Database::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// `payout recompute [--rebuild-aggregates]`: solves the open period now (after rebuilding
/// its aggregates from the event log, when asked) and returns it as JSON.
pub async fn run_recompute(
    settings: &Settings,
    now: Timestamp,
    rebuild_aggregates: bool,
) -> Result<String, PayoutCliError> {
    let db = open_database(settings).await?;
    let period = Period::containing(now.as_micros());
    let rebuilt = if rebuild_aggregates {
        let rebuilt = store::rebuild::rebuild_period(db.pool(), period).await?;
        Some(json!({"videos": rebuilt.videos, "differed": rebuilt.differed}))
    } else {
        None
    };
    let allocation = projection::solve_period(db.pool(), period, &settings.payout).await?;
    db.close().await;
    let videos: Vec<_> = allocation
        .entries
        .iter()
        .map(|e| {
            let x = e.explanation(&settings.payout);
            json!({
                "video_id": e.video.get(),
                "creator_id": e.owner.get(),
                "views": e.qualified_views,
                "quality_score": x.quality,
                "rev_prop": x.share,
                "proj_earnings": x.amount,
                "zero_reason": x.zero_reason,
            })
        })
        .collect();
    let mut out = json!({
        "period": period.to_string(),
        "pool": settings.payout.params.pool(),
        "videos": videos,
    });
    if let Some(rebuilt) = rebuilt {
        out["rebuilt"] = rebuilt;
    }
    Ok(serde_json::to_string_pretty(&out).expect("JSON"))
}

/// `payout close --period YYYY-MM`.
pub async fn run_close(
    settings: &Settings,
    period: &str,
    now: Timestamp,
) -> Result<String, PayoutCliError> {
    let period = Period::parse(period).map_err(|e| PayoutCliError::BadPeriod(e.to_string()))?;
    let db = open_database(settings).await?;
    let closed = projection::close_period(db.pool(), period, &settings.payout, now).await;
    db.close().await;
    let closed = closed?;
    let lines: Vec<_> = closed
        .lines
        .iter()
        .map(|l| json!({"video_id": l.video_id, "creator_id": l.account_id, "amount_cents": l.amount_cents}))
        .collect();
    let out = json!({
        "period": closed.period.to_string(),
        "pool_cents": closed.pool_cents,
        "total_cents": closed.lines.iter().map(|l| l.amount_cents).sum::<i64>(),
        "lines": lines,
    });
    Ok(serde_json::to_string_pretty(&out).expect("JSON"))
}
