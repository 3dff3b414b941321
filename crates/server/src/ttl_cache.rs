//! A small per-process cache of values read by video, each trusted for a fixed time by the
//! state's clock (so tests move an entry's age instead of waiting it out). Bounded: past its
//! capacity, expired entries are dropped, then everything if it is still full. Whoever
//! changes the value behind an entry in this process forgets it, so this process sees its
//! own changes at once and other nodes' changes within the time to live.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use domain::ids::HashId;
use domain::video::Timestamp;

use crate::clock::Clock;

/// Values by hash id, each with when it was read.
type Entries<V> = HashMap<HashId, (Timestamp, Arc<V>)>;

pub struct TtlCache<V> {
    clock: Arc<dyn Clock>,
    ttl: Duration,
    capacity: usize,
    entries: Mutex<Entries<V>>,
}

impl<V> TtlCache<V> {
    pub fn new(clock: Arc<dyn Clock>, ttl: Duration, capacity: usize) -> Self {
        Self {
            clock,
            ttl,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `hash_id`'s value, if one was read less than the time to live ago.
    pub fn get(&self, hash_id: &HashId) -> Option<Arc<V>> {
        let now = self.clock.now();
        self.lock()
            .get(hash_id)
            .filter(|(loaded, _)| self.is_fresh(*loaded, now))
            .map(|(_, value)| Arc::clone(value))
    }

    /// Keeps `value`, read now, for `hash_id`.
    pub fn insert(&self, hash_id: HashId, value: Arc<V>) {
        let now = self.clock.now();
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (loaded, _)| self.is_fresh(*loaded, now));
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(hash_id, (now, value));
    }

    /// Drops `hash_id`'s entry; call it after changing what it holds.
    pub fn forget(&self, hash_id: &HashId) {
        self.lock().remove(hash_id);
    }

    /// A value read at `loaded` is trusted at `now` for the time to live; a clock that went
    /// back makes it stale rather than trusted for longer.
    fn is_fresh(&self, loaded: Timestamp, now: Timestamp) -> bool {
        let age = now.as_micros() - loaded.as_micros();
        (0..self.ttl.as_micros() as i64).contains(&age)
    }

    fn lock(&self) -> MutexGuard<'_, Entries<V>> {
        // A panic while holding the lock cannot leave the map half-updated: recover it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn hash_id(n: u64) -> HashId {
        HashId::parse(&format!("{n:016x}")).unwrap()
    }

    #[test]
    fn an_entry_is_fresh_for_its_time_to_live_and_forgotten_on_request() {
        let clock = Arc::new(ManualClock::starting_now());
        let cache = TtlCache::new(clock.clone(), Duration::from_secs(5), 8);
        cache.insert(hash_id(1), Arc::new("one"));
        clock.advance(Duration::from_millis(4_999));
        assert_eq!(cache.get(&hash_id(1)).as_deref(), Some(&"one"));
        clock.advance(Duration::from_millis(1));
        assert_eq!(cache.get(&hash_id(1)), None, "stale after the time to live");

        cache.insert(hash_id(2), Arc::new("two"));
        cache.forget(&hash_id(2));
        assert_eq!(cache.get(&hash_id(2)), None);
    }

    #[test]
    fn it_never_holds_more_than_its_capacity() {
        let clock = Arc::new(ManualClock::starting_now());
        let cache = TtlCache::new(clock.clone(), Duration::from_secs(5), 4);
        for n in 0..4 {
            cache.insert(hash_id(n), Arc::new(n));
        }
        clock.advance(Duration::from_secs(5));
        cache.insert(hash_id(9), Arc::new(9));
        assert_eq!(cache.lock().len(), 1, "the expired entries made room");
        for n in 10..13 {
            cache.insert(hash_id(n), Arc::new(n));
        }
        cache.insert(hash_id(20), Arc::new(20));
        assert_eq!(cache.lock().len(), 1, "all fresh and full: cleared");
        assert_eq!(cache.get(&hash_id(20)).as_deref(), Some(&20));
    }
}
