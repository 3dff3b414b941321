//! A short-lived, per-process cache of ready video rows for the engagement endpoints, whose
//! hottest caller (`POST /video/{hash_id}/views`, a report per viewer per watch) would
//! otherwise read the same row from the database on every request.
//!
//! Only rows of videos that finished processing are kept, for at most [`TTL`], and this
//! process forgets a row as soon as it edits or deletes that video. So a change made here is
//! seen at once, and one made by another node (or directly in the database) within [`TTL`]:
//! for that long a video just made private may still accept a watch report. Reads of the
//! video itself (watch, feeds, the APIs' JSON) never come from here.

use std::sync::Arc;
use std::time::Duration;

use domain::ids::HashId;
use domain::lifecycle::ProcessingState;
use domain::video::Video;
use store::StoreError;
use store::database::AnyPool;
use store::videos;

use crate::clock::Clock;
use crate::ttl_cache::TtlCache;

/// How long a cached row is trusted.
pub const TTL: Duration = Duration::from_secs(1);
/// Rows kept at most.
const CAPACITY: usize = 16_384;

pub struct VideoCache {
    rows: TtlCache<Video>,
}

impl VideoCache {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            rows: TtlCache::new(clock, TTL, CAPACITY),
        }
    }

    /// The video `hash_id` names, from the cache when it is fresh.
    pub async fn video(&self, pool: &AnyPool, hash_id: &HashId) -> Result<Arc<Video>, StoreError> {
        if let Some(video) = self.rows.get(hash_id) {
            return Ok(video);
        }
        let video = Arc::new(videos::find_video_by_hash(pool, hash_id).await?);
        if video.state == ProcessingState::Ready {
            self.rows.insert(hash_id.clone(), Arc::clone(&video));
        }
        Ok(video)
    }

    /// Drops `hash_id`'s row; call it after changing or deleting the video.
    pub fn forget(&self, hash_id: &HashId) {
        self.rows.forget(hash_id);
    }
}
