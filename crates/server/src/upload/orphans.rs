//! Sweeping media nobody owns. Uploads store their bytes before their row (so a row never
//! lacks its bytes); a crash between the two leaves objects with no row. This pass finds
//! them and deletes them, but only once they are older than a grace period, so uploads still
//! in flight are never touched. The platform's leader runs it when elected and hourly
//! ([`platform::duties`](crate::platform::duties)).

use std::time::Duration;

use store::StoreError;

use crate::state::AppState;

/// Deletes the media of videos that have no row and were last written before `now − grace`.
/// Returns how many videos' media were removed.
pub async fn sweep(state: &AppState, grace: Duration) -> Result<usize, StoreError> {
    let cutoff =
        state.clock.now().as_micros() - i64::try_from(grace.as_micros()).unwrap_or(i64::MAX);
    let mut removed = 0;
    for (hash_id, written_at) in state.media.stored_videos().await? {
        if written_at > cutoff || store::videos::hash_id_exists(state.pool(), &hash_id).await? {
            continue;
        }
        state.media.delete_all(&hash_id).await?;
        tracing::warn!(%hash_id, "removed media with no video row (left by a crash)");
        removed += 1;
    }
    Ok(removed)
}

/// One pass, logged rather than fatal.
pub async fn sweep_in_background(state: AppState) {
    let grace = state.settings.orphan_grace;
    match sweep(&state, grace).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "orphaned media swept"),
        Err(error) => tracing::warn!(%error, "could not sweep orphaned media"),
    }
}
