//! A short-lived, per-process cache of ready video rows for the engagement endpoints, whose
//! hottest caller (`POST /video/{hash_id}/views`, a report per viewer per watch) would
//! otherwise read the same row from the database on every request.
//!
//! Only rows of videos that finished processing are kept, for at most [`TTL`], and this
//! process forgets a row as soon as it edits or deletes that video. So a change made here is
//! seen at once, and one made by another node (or directly in the database) within [`TTL`]:
//! for that long a video just made private may still accept a watch report. Reads of the
//! video itself (watch, feeds, the APIs' JSON) never come from here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::ids::HashId;
use domain::lifecycle::ProcessingState;
use domain::video::{Timestamp, Video};
use store::StoreError;
use store::database::AnyPool;
use store::videos;

use crate::clock::Clock;

/// How long a cached row is trusted.
pub const TTL: Duration = Duration::from_secs(1);
/// Rows kept at most; past it, expired rows are dropped, then everything if still full.
const CAPACITY: usize = 16_384;

/// Rows by hash id, each with when it was read.
type Rows = HashMap<HashId, (Timestamp, Arc<Video>)>;

pub struct VideoCache {
    /// The state's clock, so tests move a row's age instead of waiting it out.
    clock: Arc<dyn Clock>,
    rows: Mutex<Rows>,
}

impl VideoCache {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            rows: Mutex::default(),
        }
    }

    /// The video `hash_id` names, from the cache when it is fresh.
    pub async fn video(&self, pool: &AnyPool, hash_id: &HashId) -> Result<Arc<Video>, StoreError> {
        let now = self.clock.now();
        if let Some((loaded, video)) = self.lock().get(hash_id)
            && is_fresh(*loaded, now)
        {
            return Ok(Arc::clone(video));
        }
        let video = Arc::new(videos::find_video_by_hash(pool, hash_id).await?);
        if video.state == ProcessingState::Ready {
            let mut rows = self.lock();
            if rows.len() >= CAPACITY {
                rows.retain(|_, (loaded, _)| is_fresh(*loaded, now));
                if rows.len() >= CAPACITY {
                    rows.clear();
                }
            }
            rows.insert(hash_id.clone(), (now, Arc::clone(&video)));
        }
        Ok(video)
    }

    /// Drops `hash_id`'s row; call it after changing or deleting the video.
    pub fn forget(&self, hash_id: &HashId) {
        self.lock().remove(hash_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rows> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A row read at `loaded` is trusted at `now` for [`TTL`]; a clock that went back makes it
/// stale rather than trusted for longer.
fn is_fresh(loaded: Timestamp, now: Timestamp) -> bool {
    let age = now.as_micros() - loaded.as_micros();
    (0..TTL.as_micros() as i64).contains(&age)
}
