//! Serving the router on a listener with every connection bounded in number and time. It
//! replaces `axum::serve`, which exposes none of these knobs:
//!
//! - at most `max_connections` are served at once: the accept loop holds a permit per open
//!   connection and stops accepting while none is free (new connections wait in the kernel's
//!   backlog rather than being refused);
//! - a request's head must arrive within `header_read_timeout` (hyper's timer, started when
//!   the connection opens and again after each response), which ends slowloris connections;
//! - a connection with no request in progress (from its head to the end of its response's
//!   body) and no byte moving either way for `keep_alive_timeout` is closed: an idle
//!   keep-alive connection, or one that never speaks. A download stalled by its reader is a
//!   request in progress and is not cut (a paused player keeps its connection); such
//!   connections are bounded by `max_connections`;
//! - every request body is held to a minimum pace by [`body_rate`](super::body_rate);
//! - each request carries its peer address as `ConnectInfo<SocketAddr>` for
//!   [`client_ip`](super::client_ip).
//!
//! Shutdown is graceful: stop accepting, let each connection finish its request in progress,
//! then return. HTTP/1.1 only: browsers never speak cleartext HTTP/2, and a reverse proxy in
//! front (see the README) speaks HTTP/1.1 to its upstream; h2c would bypass the head timeout.
//! TLS is the reverse proxy's job too.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use super::body_rate::{BodyPace, PacedBody};
use crate::settings::ConnectionLimits;

/// How often at most the "connection limit reached" warning is logged.
const CAPACITY_WARNING_EVERY: Duration = Duration::from_secs(60);

/// Serves `router` on `listener` until `shutdown` completes, then waits for the open
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    let mut warned_at: Option<Instant> = None;
    loop {
        if slots.available_permits() == 0
            && warned_at.is_none_or(|at| at.elapsed() >= CAPACITY_WARNING_EVERY)
        {
            tracing::warn!(
                max_connections = limits.max_connections,
                "connection limit reached: new connections wait"
            );
            warned_at = Some(Instant::now());
        }
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(serve_connection(
            stream,
            peer,
            router.clone(),
            limits,
            stopping.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let pace = BodyPace {
        timeout: limits.body_timeout,
        min_bytes_per_second: limits.body_min_bytes_per_second,
        grace: limits.body_grace,
    };
    let requests = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = requests.begin_request();
        let mut request = request.map(|body| Body::new(PacedBody::new(body, pace)));
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await;
            // In progress until the response body is sent (or dropped).
            response.map(|response| {
                response.map(|body| {
                    Body::new(UntilSent {
                        body,
                        _in_flight: in_flight,
                    })
                })
            })
        }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(io, service);
    let mut connection = pin!(connection);
    let mut closing = false;
    loop {
        let idle_check =
            tokio::time::sleep_until(activity.idle_deadline(limits.keep_alive_timeout));
        tokio::select! {
            finished = connection.as_mut() => {
                if let Err(error) = finished {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                break;
            }
            () = idle_check, if !closing => {
                if activity.is_idle_for(limits.keep_alive_timeout) {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            _ = stopping.changed(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// What a connection is doing: requests in progress and when a byte last moved.
struct Activity {
    opened: Instant,
    /// Milliseconds from `opened` to the last read or write.
    last_io_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn last_io(&self) -> Instant {
        self.opened + Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed))
    }

    fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    /// When to look again whether the connection is idle.
    fn idle_deadline(&self, keep_alive: Duration) -> Instant {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            Instant::now() + keep_alive
        } else {
            self.last_io() + keep_alive
        }
    }

    fn is_idle_for(&self, keep_alive: Duration) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0 && self.last_io().elapsed() >= keep_alive
    }
}

/// A request in progress, from its head until its response body is sent.
struct InFlight(Arc<Activity>);

/// A response body that keeps its request in progress until hyper is done with it.
struct UntilSent {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for UntilSent {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting every byte that moves.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
