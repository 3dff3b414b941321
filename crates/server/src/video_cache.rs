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
use std::time::{Duration, Instant};

use domain::ids::HashId;
use domain::lifecycle::ProcessingState;
use domain::video::Video;
use store::StoreError;
use store::database::AnyPool;
use store::videos;

/// How long a cached row is trusted.
pub const TTL: Duration = Duration::from_secs(1);
/// Rows kept at most; past it, expired rows are dropped, then everything if still full.
const CAPACITY: usize = 16_384;

#[derive(Default)]
pub struct VideoCache {
    rows: Mutex<HashMap<HashId, (Instant, Arc<Video>)>>,
}

impl VideoCache {
    /// The video `hash_id` names, from the cache when it is fresh.
    pub async fn video(&self, pool: &AnyPool, hash_id: &HashId) -> Result<Arc<Video>, StoreError> {
        if let Some((loaded, video)) = self.lock().get(hash_id)
            && loaded.elapsed() < TTL
        {
            return Ok(Arc::clone(video));
        }
        let video = Arc::new(videos::find_video_by_hash(pool, hash_id).await?);
        if video.state == ProcessingState::Ready {
            let mut rows = self.lock();
            if rows.len() >= CAPACITY {
                rows.retain(|_, (loaded, _)| loaded.elapsed() < TTL);
                if rows.len() >= CAPACITY {
                    rows.clear();
                }
            }
            rows.insert(hash_id.clone(), (Instant::now(), Arc::clone(&video)));
        }
        Ok(video)
    }

    /// Drops `hash_id`'s row; call it after changing or deleting the video.
    pub fn forget(&self, hash_id: &HashId) {
        self.lock().remove(hash_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<HashId, (Instant, Arc<Video>)>> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
