//! Whether this node can do its work: the database answers a trivial query and media storage
//! answers a metadata request ([`MediaStore::ping`](store::MediaStore::ping)), each within
//! [`CHECK_TIMEOUT`]. Both health endpoints (`/health_check`, `/health`) answer from this, so a
//! load balancer takes a node whose database or storage is unreachable out of rotation.

use std::time::Duration;

use crate::state::AppState;

/// How long each check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What does not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unhealthy {
    #[error("the database is unavailable")]
    Database,
    #[error("media storage is unavailable")]
    Storage,
}

/// Checks the database, then storage; the first that fails.
pub async fn check(state: &AppState) -> Result<(), Unhealthy> {
    let database = tokio::time::timeout(CHECK_TIMEOUT, store::database::ping(state.pool()));
    if !matches!(database.await, Ok(Ok(()))) {
        return Err(Unhealthy::Database);
    }
    match tokio::time::timeout(CHECK_TIMEOUT, state.media.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "media storage failed its health check");
            Err(Unhealthy::Storage)
        }
        Err(_) => Err(Unhealthy::Storage),
    }
}
