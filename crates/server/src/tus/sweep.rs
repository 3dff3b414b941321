//! Expired uploads leave nothing: every few minutes (and whenever a test calls
//! [`sweep_expired`]) the rows past `Upload-Expires` are deleted with their partial files, and
//! so is any partial file without a row (a crash between deleting the two). An upload a request
//! is writing right now holds its file lock and is left for the next sweep; its request moves
//! the expiry on anyway.

use std::time::Duration;

use store::StoreError;
use store::resumable::{self, ResumableFile};
use store::tus_uploads;

use crate::state::AppState;

/// How often the background sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// Expired uploads removed per sweep at most (the rest wait for the next one).
const SWEEP_BATCH: u32 = 1000;
/// Locking a file to look at it must not cut it: a request may have moved its upload's expiry
/// on just before, and then the file is kept whole.
const KEEP_BYTES: u64 = u64::MAX;

/// Removes expired uploads and dead partial files; returns how many uploads went.
pub async fn sweep_expired(state: &AppState) -> Result<usize, StoreError> {
    let dir = state.media.resumable_dir();
    let mut swept = 0;
    for id in tus_uploads::expired(state.pool(), state.clock.now(), SWEEP_BATCH).await? {
        let Some(file) = ResumableFile::lock(&dir, &id, KEEP_BYTES).await? else {
            continue;
        };
        // Re-checked under the lock: a request may have moved the expiry on meanwhile.
        match tus_uploads::find(state.pool(), &id).await {
            Ok(upload) if upload.expires_at > state.clock.now() => continue,
            Ok(_) => {
                tus_uploads::delete(state.pool(), &id).await?;
            }
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other),
        }
        file.remove().await?;
        swept += 1;
    }
    let stored = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || resumable::stored_ids(&dir))
            .await
            .map_err(std::io::Error::other)??
    };
    for id in stored {
        if tus_uploads::exists(state.pool(), &id).await? {
            continue;
        }
        if let Some(file) = ResumableFile::lock(&dir, &id, KEEP_BYTES).await? {
            // A row is always written before its file: none now means none ever again.
            file.remove().await?;
        }
    }
    Ok(swept)
}

/// [`sweep_expired`] every [`SWEEP_EVERY`] (the first at once), for as long as the server runs.
pub async fn sweep_forever(state: AppState) {
    let mut ticker = tokio::time::interval(SWEEP_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match sweep_expired(&state).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "removed expired resumable uploads"),
            Err(error) => tracing::warn!(%error, "could not sweep expired resumable uploads"),
        }
    }
}
