//! One writer per process for watch reports (group commit).
//!
//! `POST /video/{hash_id}/views` hands its report to [`ViewWriter::record`] and waits. A
//! single task takes every report that has arrived (up to [`watches::MAX_BATCH`]) and writes
//! them with [`watches::record_views`]: one transaction of a fixed number of statements,
//! however many reports it holds. While one batch commits the next one gathers, so the batch
//! grows with the load and a lone report waits for nothing but its own commit. Each caller
//! gets its own outcome only after the batch has committed, so a 201 still means "stored".
//!
//! A batch that fails as a whole (a video deleted while its report waited, a serialization
//! failure between nodes) is retried one report per transaction, so one bad report fails
//! alone. A caller that goes away does not cancel its report; reporting the same session again
//! returns the stored outcome.

use domain::ids::VideoId;
use domain::video::Timestamp;
use store::StoreError;
use store::database::AnyPool;
use store::watches::{self, MAX_BATCH, NewView, RecordedView};
use tokio::sync::{mpsc, oneshot};

/// Reports waiting for the writer, beyond which callers wait to hand theirs over.
const QUEUE_CAPACITY: usize = 4 * MAX_BATCH;

/// A watch report the writer owns until it is stored.
#[derive(Debug, Clone)]
pub struct WatchReport {
    pub video: VideoId,
    pub duration_seconds: f64,
    /// `u:<account id>` or `a:<anonymous id>`.
    pub viewer: String,
    pub session_id: String,
    pub watched_seconds: f64,
    pub by_owner: bool,
    pub at: Timestamp,
}

impl WatchReport {
    fn as_new_view(&self) -> NewView<'_> {
        NewView {
            video: self.video,
            duration_seconds: self.duration_seconds,
            viewer: &self.viewer,
            session_id: &self.session_id,
            watched_seconds: self.watched_seconds,
            by_owner: self.by_owner,
            at: self.at,
        }
    }
}

struct Pending {
    report: WatchReport,
    reply: oneshot::Sender<Result<RecordedView, StoreError>>,
}

/// The handle handlers use; cheap to clone. The writer stops when every handle is dropped,
/// after writing what it was given.
#[derive(Clone)]
pub struct ViewWriter {
    inbox: mpsc::Sender<Pending>,
}

impl ViewWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(pool: AnyPool) -> Self {
        let (inbox, reports) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(run(pool, reports));
        Self { inbox }
    }

    /// Stores `report` and returns its outcome once it is committed.
    pub async fn record(&self, report: WatchReport) -> Result<RecordedView, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.inbox
            .send(Pending { report, reply })
            .await
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Io(std::io::Error::other("the view writer has stopped"))
}

async fn run(pool: AnyPool, mut reports: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while reports.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&pool, &mut batch).await;
    }
}

/// Writes and answers every report of `batch`, leaving it empty.
async fn write_batch(pool: &AnyPool, batch: &mut Vec<Pending>) {
    let views: Vec<NewView> = batch.iter().map(|p| p.report.as_new_view()).collect();
    let started = std::time::Instant::now();
    let written = watches::record_views(pool, &views).await;
    let took = started.elapsed();
    drop(views);
    match written {
        Ok(outcomes) => {
            crate::observe::metrics::record_watch_batch(outcomes.len());
            tracing::debug!(
                reports = outcomes.len(),
                micros = took.as_micros() as u64,
                "watch batch committed"
            );
            for (pending, outcome) in batch.drain(..).zip(outcomes) {
                let _ = pending.reply.send(Ok(outcome));
            }
        }
        Err(error) if batch.len() == 1 => {
            let _ = batch.remove(0).reply.send(Err(error));
        }
        Err(error) => {
            tracing::warn!(%error, reports = batch.len(), "a batch of watch reports failed; retrying one by one");
            for pending in batch.drain(..) {
                let outcome = watches::record_view(pool, &pending.report.as_new_view()).await;
                let _ = pending.reply.send(outcome);
            }
        }
    }
}
