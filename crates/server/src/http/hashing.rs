//! A bound on concurrent password hashing. Argon2id as configured takes 19 MiB and tens of
//! milliseconds of a core per hash, so unbounded concurrent logins grow memory without limit
//! (64 at once took a server from 16 MB to 4.6 GB). Every hash and verification runs on the
//! blocking pool only while holding one of `password_hash_concurrency` permits; a request
//! that cannot get one within `password_hash_wait_seconds` is refused as busy (503 with
//! `Retry-After`), whether its username exists or not, so refusals tell nothing about
//! accounts.
//!
//!
//! Each slot keeps its Argon2 working memory ([`HashMemory`]) and lends it to the hash it
//! runs, so the memory held is slots × 19 MiB however many threads run hashes over time.
//!
//! It does not rate-limit anyone (see [`limits`](super::limits)) nor choose Argon2's
//! parameters (see [`auth`](super::auth)).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::HashMemory;
use crate::settings::PasswordHashingLimits;

/// No hashing slot came free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy, try again shortly")]
pub struct HashingBusy {
    pub retry_after: Duration,
}

/// The hashing slots.
pub struct PasswordHashing {
    slots: Arc<Semaphore>,
    wait: Duration,
    /// The working memory of idle slots (at most one per slot; made when first needed).
    memory: Arc<Mutex<Vec<HashMemory>>>,
}

impl PasswordHashing {
    pub fn new(limits: PasswordHashingLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            wait: limits.wait,
            memory: Arc::default(),
        }
    }

    /// Waits (at most the configured wait) for a slot.
    pub async fn reserve(&self) -> Result<OwnedSemaphorePermit, HashingBusy> {
        let busy = HashingBusy {
            retry_after: self.wait.max(Duration::from_secs(1)),
        };
        match tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy),
        }
    }

    /// Runs `work` (a hash or a verification) on the blocking pool while holding a slot,
    /// in that slot's working memory.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut HashMemory) -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let permit = self.reserve().await?;
        let pool = Arc::clone(&self.memory);
        tokio::task::spawn_blocking(move || {
            let mut memory = lock(&pool).pop().unwrap_or_default();
            let result = work(&mut memory);
            lock(&pool).push(memory);
            drop(permit);
            result
        })
        .await
        .map_err(|e| HashingError::Panicked(e.to_string()))
    }
}

/// The memory pool's lock; a panic while holding it cannot leave the list inconsistent.
fn lock(pool: &Mutex<Vec<HashMemory>>) -> std::sync::MutexGuard<'_, Vec<HashMemory>> {
    pool.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error(transparent)]
    Busy(#[from] HashingBusy),
    #[error("password hashing failed: {0}")]
    Panicked(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_beyond_the_slots_waits_then_is_refused_as_busy() {
        let hashing = PasswordHashing::new(PasswordHashingLimits {
            concurrency: 1,
            wait: Duration::from_millis(20),
        });
        let held = hashing.reserve().await.unwrap();
        match hashing.run(|_| 1).await {
            Err(HashingError::Busy(busy)) => assert!(busy.retry_after >= Duration::from_secs(1)),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(held);
        assert_eq!(hashing.run(|_| 2).await.unwrap(), 2);
    }
}
