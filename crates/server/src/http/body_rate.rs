//! A floor under how fast a request body must arrive, so a client trickling an upload cannot
//! hold a connection, a staging file and a worker's attention for hours. Every request body
//! is wrapped by [`serve`](super::serve) in a [`PacedBody`]: after a grace period the bytes
//! received must keep up with a minimum average rate, and the whole body must arrive within a
//! total time; otherwise reading it fails with [`BodyTooSlow`], which the upload handlers
//! report as 408 in their surface's shape (and which drops the staging file, as any failed
//! upload does).
//!
//! It only measures the body as the handler reads it; a handler that stops reading stops the
//! clock's effect (the client is then waiting on us, not the other way round). Idle
//! connections and slow request heads are [`serve`](super::serve)'s business.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The pace a request body must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyPace {
    /// The whole body must have arrived within this.
    pub timeout: Duration,
    /// After `grace`, at least this many bytes a second on average (0: no floor).
    pub min_bytes_per_second: u64,
    pub grace: Duration,
}

impl BodyPace {
    /// When the body must have delivered more than `received` bytes, counted from `started`.
    fn deadline(&self, started: Instant, received: u64) -> Instant {
        let hard = started + self.timeout;
        if self.min_bytes_per_second == 0 {
            return hard;
        }
        let earned = Duration::from_secs_f64(received as f64 / self.min_bytes_per_second as f64);
        hard.min(started + self.grace + earned)
    }
}

/// Reading a request body failed because it arrived too slowly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the request body arrived too slowly: {received} bytes in {elapsed_seconds} s (it must \
     arrive at {min_bytes_per_second} bytes/s or more after {grace_seconds} s, and within \
     {timeout_seconds} s in all)"
)]
pub struct BodyTooSlow {
    pub received: u64,
    pub elapsed_seconds: u64,
    pub min_bytes_per_second: u64,
    pub grace_seconds: u64,
    pub timeout_seconds: u64,
}

impl BodyTooSlow {
    /// The [`BodyTooSlow`] somewhere in `error`'s chain of sources, if any.
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<Self> {
        let mut current = Some(error);
        while let Some(error) = current {
            if let Some(found) = error.downcast_ref::<Self>() {
                return Some(*found);
            }
            current = error.source();
        }
        None
    }
}

/// A request body held to a [`BodyPace`].
pub struct PacedBody<B> {
    inner: B,
    pace: BodyPace,
    started: Instant,
    received: u64,
    deadline: Pin<Box<Sleep>>,
}

impl<B> PacedBody<B> {
    pub fn new(inner: B, pace: BodyPace) -> Self {
        let started = Instant::now();
        Self {
            inner,
            pace,
            started,
            received: 0,
            deadline: Box::pin(tokio::time::sleep_until(pace.deadline(started, 0))),
        }
    }

    fn too_slow(&self) -> BodyTooSlow {
        BodyTooSlow {
            received: self.received,
            elapsed_seconds: self.started.elapsed().as_secs(),
            min_bytes_per_second: self.pace.min_bytes_per_second,
            grace_seconds: self.pace.grace.as_secs(),
            timeout_seconds: self.pace.timeout.as_secs(),
        }
    }
}

impl<B> Body for PacedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                }
                if Instant::now() >= this.started + this.pace.timeout {
                    return Poll::Ready(Some(Err(Box::new(this.too_slow()))));
                }
                let next = this.pace.deadline(this.started, this.received);
                this.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(this.too_slow())))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_grows_with_the_bytes_received_up_to_the_total_timeout() {
        let pace = BodyPace {
            timeout: Duration::from_secs(100),
            min_bytes_per_second: 1000,
            grace: Duration::from_secs(10),
        };
        let start = Instant::now();
        assert_eq!(pace.deadline(start, 0), start + Duration::from_secs(10));
        assert_eq!(pace.deadline(start, 5000), start + Duration::from_secs(15));
        assert_eq!(
            pace.deadline(start, 10_000_000),
            start + Duration::from_secs(100)
        );
        let no_floor = BodyPace {
            min_bytes_per_second: 0,
            ..pace
        };
        assert_eq!(
            no_floor.deadline(start, 0),
            start + Duration::from_secs(100)
        );
    }

    #[test]
    fn a_too_slow_error_is_found_through_wrapping_errors() {
        let slow = BodyTooSlow {
            received: 1,
            elapsed_seconds: 2,
            min_bytes_per_second: 3,
            grace_seconds: 4,
            timeout_seconds: 5,
        };
        let wrapped = axum::Error::new(slow);
        assert_eq!(BodyTooSlow::find(&wrapped), Some(slow));
        let other = std::io::Error::other("nope");
        assert_eq!(BodyTooSlow::find(&other), None);
    }
}
