//! How many uploads are processed at once in this process. Processing is the expensive part
//! of an upload (decoding, and ffmpeg processes where it is used), so every path into the
//! media pipeline takes a slot here first: `processing_concurrency` at once (default: the
//! machine's cores). A client waiting for its answer (the Creator API's inline processing)
//! queues behind at most `processing_queue` others and is otherwise told to come back (503
//! with `Retry-After`) before anything is decoded; a background worker simply waits its turn.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a turned-away client is told to wait before trying again.
pub const RETRY_AFTER_SECONDS: u64 = 5;

#[derive(Debug)]
pub struct ProcessingPool {
    slots: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Every slot is taken and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl ProcessingPool {
    pub fn new(concurrency: usize, max_waiting: usize) -> Self {
        Self {
            slots: Semaphore::new(concurrency.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A slot for a client that waits for its answer: at once, after at most `max_waiting`
    /// others, or [`Busy`].
    pub async fn enter(&self) -> Result<SemaphorePermit<'_>, Busy> {
        if let Ok(permit) = self.slots.try_acquire() {
            return Ok(permit);
        }
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _leave = Leave(&self.waiting);
        if queued >= self.max_waiting {
            return Err(Busy);
        }
        Ok(self
            .slots
            .acquire()
            .await
            .expect("the pool is never closed"))
    }

    /// A slot for background work, however long the wait.
    pub async fn enter_waiting(&self) -> SemaphorePermit<'_> {
        self.slots
            .acquire()
            .await
            .expect("the pool is never closed")
    }
}

/// Leaves the queue when dropped (also when the waiting request is cancelled).
struct Leave<'a>(&'a AtomicUsize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_slots_and_the_queue_a_client_is_turned_away() {
        let pool = ProcessingPool::new(1, 1);
        let held = pool.enter().await.unwrap();
        // One may queue…
        let mut waiter = Box::pin(pool.enter());
        assert!(futures_poll_pending(&mut waiter).await);
        // …the next is turned away at once.
        assert_eq!(pool.enter().await.err(), Some(Busy));
        drop(held);
        assert!(waiter.await.is_ok());
        assert!(pool.enter().await.is_ok());
    }

    /// Polls `future` once; `true` when it is still pending.
    async fn futures_poll_pending<F: Future + Unpin>(future: &mut F) -> bool {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx).is_pending())
        })
        .await
    }
}
