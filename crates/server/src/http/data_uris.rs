//! The large thumbnails `/get-all-videos-thumbnails` returns, kept as ready-made base64 data
//! URIs so a repeated listing costs a lookup instead of a storage read and an encoding per
//! thumbnail. A thumbnail never changes once stored (a video's media is written once), so an
//! entry never goes stale; a deleted video's entry is simply never asked for again (callers
//! check visibility first) and ages out. Bounded by total bytes, oldest entries out first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::ids::HashId;

/// Bytes of data URIs kept at most (per process).
const BUDGET_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
pub struct DataUriCache {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    uris: HashMap<HashId, Arc<str>>,
    /// Insertion order, for evicting the oldest first.
    order: VecDeque<HashId>,
    bytes: usize,
}

impl DataUriCache {
    /// The data URI of `hash_id`'s JPEG, encoding `jpeg` (read only on a miss) the first time.
    pub async fn jpeg<F, E>(&self, hash_id: &HashId, jpeg: F) -> Result<Arc<str>, E>
    where
        F: Future<Output = Result<bytes::Bytes, E>>,
    {
        if let Some(uri) = self.lock().uris.get(hash_id) {
            return Ok(Arc::clone(uri));
        }
        let jpeg = jpeg.await?;
        let uri: Arc<str> = format!("data:image/jpeg;base64,{}", STANDARD.encode(&jpeg)).into();
        self.insert(hash_id, Arc::clone(&uri));
        Ok(uri)
    }

    fn insert(&self, hash_id: &HashId, uri: Arc<str>) {
        if uri.len() > BUDGET_BYTES {
            return;
        }
        let mut entries = self.lock();
        if entries.uris.contains_key(hash_id) {
            return;
        }
        while entries.bytes + uri.len() > BUDGET_BYTES {
            let Some(oldest) = entries.order.pop_front() else {
                break;
            };
            if let Some(gone) = entries.uris.remove(&oldest) {
                entries.bytes -= gone.len();
            }
        }
        entries.bytes += uri.len();
        entries.order.push_back(hash_id.clone());
        entries.uris.insert(hash_id.clone(), uri);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every update leaves the entries consistent before anything can panic.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_thumbnail_is_read_and_encoded_once() {
        let cache = DataUriCache::default();
        let hash = crate::upload::publishing::new_hash_id();
        let first = cache
            .jpeg(&hash, async {
                Ok::<_, ()>(bytes::Bytes::from_static(b"jpeg"))
            })
            .await
            .unwrap();
        assert_eq!(&*first, "data:image/jpeg;base64,anBlZw==");
        let second = cache
            .jpeg(&hash, async { Err::<bytes::Bytes, _>("must not be read") })
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }
}
