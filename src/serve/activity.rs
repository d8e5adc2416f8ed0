//! What one connection is doing, as its timeouts need to know it.
//!
//! The socket ([`Watched`]) records every byte read and written and every write that had
//! to wait for the client; the requests ([`InFlight`], held until the answer's last byte
//! is handed to the socket) record when a request is being answered. From these
//! [`Activity::check`] tells the connection's watchdog whether the client is too slow:
//!
//! - a request head begun but not finished within the header timeout (slowloris);
//! - no request and no byte within the idle timeout (an idle keep-alive connection);
//! - an answer the client has not read for the body timeout.
//!
//! A request body that stalls is the handler's to time out (it answers 408), since the
//! handler is what waits for it.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::limits::ServeLimits;

/// "Not happening" for the timestamps below.
const NEVER: u64 = u64::MAX;

/// One connection's activity; timestamps are milliseconds since it opened.
pub(super) struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    last_io: AtomicU64,
    /// When the first byte of a request head not yet complete arrived.
    head_since: AtomicU64,
    /// When a write first had to wait for the client to read.
    write_blocked_since: AtomicU64,
}

impl Activity {
    pub(super) fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            last_io: AtomicU64::new(0),
            head_since: AtomicU64::new(NEVER),
            write_blocked_since: AtomicU64::new(NEVER),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NEVER - 1)
    }

    fn on_read(&self) {
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            // Only the first byte of a head starts its clock.
            let _ =
                self.head_since
                    .compare_exchange(NEVER, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn on_write(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
        self.write_blocked_since.store(NEVER, Ordering::Relaxed);
    }

    fn on_write_blocked(&self) {
        let _ = self.write_blocked_since.compare_exchange(
            NEVER,
            self.now(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// No request being answered and none begun: the first to close for a new client.
    pub(super) fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
            && self.head_since.load(Ordering::Acquire) == NEVER
    }

    /// A request is being answered.
    pub(super) fn is_busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// `Err(why)` when the connection has run out of time; else how long until the next
    /// look is worth it.
    pub(super) fn check(&self, limits: &ServeLimits) -> Result<Duration, &'static str> {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NEVER - 1);
        let now = self.now();
        let mut next = ms(limits.idle_timeout)
            .min(ms(limits.header_timeout))
            .min(ms(limits.body_timeout));
        let mut due = |since: u64, limit: Duration, why: &'static str| {
            let at = since.saturating_add(ms(limit));
            if now >= at {
                return Err(why);
            }
            next = next.min(at - now);
            Ok(())
        };
        let blocked = self.write_blocked_since.load(Ordering::Acquire);
        if blocked != NEVER {
            due(
                blocked,
                limits.body_timeout,
                "the client left the answer unread",
            )?;
        }
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let head = self.head_since.load(Ordering::Acquire);
            if head == NEVER {
                due(
                    self.last_io.load(Ordering::Acquire),
                    limits.idle_timeout,
                    "idle",
                )?;
            } else {
                due(
                    head,
                    limits.header_timeout,
                    "the request headers did not arrive in time",
                )?;
            }
        }
        Ok(Duration::from_millis(next.max(1)))
    }
}

/// A request being answered; dropped with the answer's body.
pub(super) struct InFlight(Arc<Activity>);

impl InFlight {
    /// A request head has arrived whole.
    pub(super) fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NEVER, Ordering::Release);
        Self(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // The idle clock starts when the answer is done.
        self.0.last_io.store(self.0.now(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An answer's body that keeps its request [`InFlight`] until it is sent or dropped. Its
/// size is the inner body's, so small answers keep their `Content-Length`.
pub(super) struct Guarded {
    pub(super) inner: Body,
    pub(super) _in_flight: InFlight,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A socket that reports its traffic to an [`Activity`].
pub(super) struct Watched<S> {
    pub(super) inner: S,
    pub(super) activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.on_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> Watched<S> {
    fn noted(&self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(Ok(n)) if n > 0 => self.activity.on_write(),
            Poll::Pending => self.activity.on_write_blocked(),
            Poll::Ready(_) => {}
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.noted(polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.noted(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(ms: u64) -> ServeLimits {
        ServeLimits {
            header_timeout: Duration::from_millis(ms),
            body_timeout: Duration::from_millis(ms),
            idle_timeout: Duration::from_millis(ms),
            max_connections: 1,
        }
    }

    #[test]
    fn idle_partial_heads_and_unread_answers_run_out_busy_requests_do_not() {
        let a = Arc::new(Activity::new());
        assert!(a.check(&limits(60_000)).is_ok());
        assert!(a.is_idle());
        assert_eq!(a.check(&limits(0)), Err("idle"));
        a.on_read();
        assert!(!a.is_idle() && !a.is_busy(), "a head has begun");
        assert_eq!(
            a.check(&limits(0)),
            Err("the request headers did not arrive in time")
        );
        let request = InFlight::begin(&a);
        assert!(a.is_busy());
        assert!(
            a.check(&limits(0)).is_ok(),
            "a request being answered is never idle"
        );
        a.on_write_blocked();
        assert_eq!(
            a.check(&limits(0)),
            Err("the client left the answer unread")
        );
        a.on_write();
        assert!(a.check(&limits(0)).is_ok());
        drop(request);
        assert!(a.is_idle());
    }
}
