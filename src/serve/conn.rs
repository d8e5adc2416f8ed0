//! The accept loop: connections served by hyper, each with a watchdog, limited in number.
//!
//! `axum::serve` has neither header nor idle timeouts nor a connection limit: a body
//! shorter than its `Content-Length` hung forever, and 20,000 idle connections used up
//! the file descriptors until `/ping` timed out. Here every connection runs beside a
//! watchdog that closes it when its [`Activity`] says the client is too slow, and at most
//! [`ServeLimits::max_connections`] are open. A new connection beyond the limit closes
//! the oldest idle one (then the oldest still sending its headers), the way a busy web
//! server drops keep-alive connections first; only when every connection is answering a
//! request does the next wait in the listen backlog.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use super::activity::{Activity, Guarded, InFlight, Watched};
use super::limits::ServeLimits;

/// One open connection, as the accept loop sees it.
struct Open {
    activity: Arc<Activity>,
    /// Told to close to make room for a new connection.
    close: Notify,
    closing: AtomicBool,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    open: Mutex<BTreeMap<u64, Arc<Open>>>,
    /// A connection has closed.
    freed: Notify,
}

/// What [`Registry::make_room`] did.
enum Room {
    Free,
    Evicted,
    Full,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Open>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for one more connection under `max`, closing an idle one if need be.
    fn make_room(&self, max: usize) -> Room {
        let open = self.lock();
        let live = || open.values().filter(|c| !c.closing.load(Ordering::Acquire));
        if live().count() < max {
            return Room::Free;
        }
        let victim = live()
            .find(|c| c.activity.is_idle())
            .or_else(|| live().find(|c| !c.activity.is_busy()));
        match victim {
            Some(c) => {
                c.closing.store(true, Ordering::Release);
                c.close.notify_one();
                Room::Evicted
            }
            None => Room::Full,
        }
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// Takes a connection out of the registry when its task ends, however it ends.
struct Deregister {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Deregister {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
        self.registry.freed.notify_one();
    }
}

/// Serves `router` on `listener` under `limits` until `shutdown` completes, then lets open
/// connections finish their answers (for at most the body timeout).
pub(super) async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Arc::new(Registry::default());
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut next_id = 0u64;
    'accept: loop {
        let stream = tokio::select! {
            () = &mut shutdown => break 'accept,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a peer gone before accept: pause
                    // rather than spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        loop {
            match registry.make_room(limits.max_connections) {
                Room::Free | Room::Evicted => break,
                Room::Full => tokio::select! {
                    () = registry.freed.notified() => {}
                    () = &mut shutdown => break 'accept,
                },
            }
        }
        let id = next_id;
        next_id += 1;
        let open = Arc::new(Open {
            activity: Arc::new(Activity::new()),
            close: Notify::new(),
            closing: AtomicBool::new(false),
        });
        registry.lock().insert(id, Arc::clone(&open));
        let gone = Deregister {
            registry: Arc::clone(&registry),
            id,
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            open,
            limits,
            stopping.clone(),
            gone,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.body_timeout, async {
        while !registry.is_empty() {
            registry.freed.notified().await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("closing connections still answering at shutdown");
    }
}

/// Serves one connection until it ends, runs out of time, is told to make room, or the
/// server stops (then it finishes its current answer).
async fn connection(
    stream: TcpStream,
    router: Router,
    open: Arc<Open>,
    limits: ServeLimits,
    mut stopping: watch::Receiver<bool>,
    _gone: Deregister,
) {
    // Answers are small JSON writes: send them now rather than wait to fill a packet.
    let _ = stream.set_nodelay(true);
    let activity = Arc::clone(&open.activity);
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let in_flight = InFlight::begin(&activity);
        let router = router.clone();
        async move {
            let response = router.oneshot(req).await?;
            Ok::<_, Infallible>(response.map(|inner| Guarded {
                inner,
                _in_flight: in_flight,
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The watchdog times heads out, from their first byte (hyper's own timer would also
    // count the idle wait before it).
    builder.header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let wait = match open.activity.check(&limits) {
            Ok(wait) => wait,
            Err(why) => {
                tracing::debug!("closing a connection: {why}");
                return;
            }
        };
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            () = open.close.notified() => {
                tracing::debug!("closing a connection to make room for a new one");
                return;
            }
            () = tokio::time::sleep(wait) => {}
            _ = stopping.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
