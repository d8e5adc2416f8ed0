//! What one client may cost the server: time to send a request, time a connection may sit
//! idle, how many connections are open at once, and how much work one request may ask for.
//!
//! Every limit exists because a single careless or hostile client could otherwise hold the
//! server: a request head sent one byte a minute, a body shorter than its
//! `Content-Length`, thousands of idle keep-alive connections using up file descriptors,
//! or one batch asking for ten million recommendations. The defaults suit SageMaker, which
//! answers a client within 60 seconds and sends payloads of at most 6 MB.

use std::time::Duration;

/// The largest list one request gets.
pub const MAX_TOP_K: usize = 1000;

/// The most requests one batch may hold.
pub const MAX_BATCH: usize = 10_000;

/// The most recommendations one call may ask for: the sum of the batch's `top_k` (each
/// capped at [`MAX_TOP_K`] and the catalogue). A million lists of products is about
/// 130 MB of JSON, streamed out in small chunks; more is refused with a 413 that names
/// the numbers, so a client splits the batch instead of stalling the server.
pub const MAX_BATCH_WORK: usize = 1_000_000;

/// The largest request body: SageMaker's own limit for real-time payloads.
pub const MAX_BODY_BYTES: usize = 6 << 20;

/// Connection limits and timeouts of `latent serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// From the moment a connection waits for a request (opened, or its last answer
    /// sent) and has received its first byte, to the end of the request's headers.
    pub header_timeout: Duration,
    /// To receive a request's whole body once its headers arrived; also how long the
    /// client may leave a chunk of a streamed answer unread.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request with no byte sent.
    pub idle_timeout: Duration,
    /// Connections served at once. When all are taken, a new connection closes the
    /// longest-idle one (idle first, then one still sending its headers), so `/ping`
    /// answers even under thousands of idle connections; when every connection is busy
    /// with a request, new ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            // Longer than the 60 s idle timeout of common proxies and load balancers, so
            // the proxy in front closes a pooled connection first: a server closing first
            // races the proxy's next request on it, which then fails.
            idle_timeout: Duration::from_secs(75),
            max_connections: 512,
        }
    }
}
