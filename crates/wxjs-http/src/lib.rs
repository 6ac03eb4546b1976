//! The serving policy every wxjs listener shares — the service, the simulated platform and the
//! phone — in one place, so that none of them can be starved or confused in its own way:
//!
//! - a bound on open connections (the accept loop waits for a free slot rather than run out of
//!   file descriptors);
//! - a header-read timeout that also bounds idle keep-alive time (hyper starts it whenever a
//!   connection waits for the next request head), and a timeout on reading request bodies;
//! - a limit on request bodies and on request heads;
//! - a `Host` check against the machine's own names (DNS rebinding), where the listener asks
//!   for it;
//! - the JSON error shape `{"error":{"code","message"}}` on every error answer, hyper's own
//!   automatic 400/414/431 included, and `X-Content-Type-Options: nosniff` on every answer;
//! - [`Query`] and [`form`] for handlers that keep or echo what they are sent: text that is not
//!   UTF-8 once percent-decoded is refused, not replaced.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let router = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
//! wxjs_http::serve(listener, router, wxjs_http::Policy::default(), std::future::pending()).await
//! # }
//! ```

mod body_timeout;
mod errors;
mod files;
mod host;
mod io;
pub mod openapi;
mod query;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;

pub use errors::{
    Refusal, Verbatim, json_body, json_error, json_object, limit_bodies, media_type, require_json,
    require_same_origin, same_origin,
};
pub use files::{TEXT_FILE_LIMIT, read_text_file, toml_error};
pub use host::HostPolicy;
pub use query::{Query, form};

/// What a listener allows its clients.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Open connections at most; further clients wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Time from a connection becoming ready for a request (new, or idle after an answer) until
    /// its request head is complete. Bounds slow headers and idle keep-alive connections alike.
    pub header_read_timeout: Duration,
    /// Request bodies larger than this are refused with 413.
    pub body_limit: usize,
    /// A request body must arrive within this time.
    pub body_read_timeout: Duration,
    /// Request heads (request line and headers) larger than this are refused with 431.
    pub max_head_bytes: usize,
    /// A connection whose peer stops reading answers is closed after this long (otherwise it
    /// would hold its slot forever).
    pub write_timeout: Duration,
    /// Which `Host` headers are served.
    pub hosts: HostPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            body_limit: 64 * 1024,
            body_read_timeout: Duration::from_secs(30),
            max_head_bytes: 64 * 1024,
            write_timeout: Duration::from_secs(30),
            hosts: HostPolicy::Any,
        }
    }
}

impl Policy {
    /// The default policy with another body limit.
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The default policy with another Host policy.
    #[must_use]
    pub fn with_hosts(mut self, hosts: HostPolicy) -> Self {
        self.hosts = hosts;
        self
    }
}

/// Put in a response's extensions to close the connection instead of sending the response (the
/// simulator's "dropped connection" fault).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// How long in-flight requests may take to finish after shutdown begins.
const GRACE: Duration = Duration::from_secs(10);

/// Wraps `router` in the policy's layers: body limit and body timeout, Host check, JSON errors,
/// `nosniff`. [`serve`] does this itself; use it to test a router without a listener.
pub fn apply(router: Router, policy: &Policy) -> Router {
    let guard = Arc::new(errors::Guard {
        hosts: policy.hosts.clone(),
        body_limit: policy.body_limit,
    });
    router
        .layer(DefaultBodyLimit::max(policy.body_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            policy.body_limit,
        ))
        // Inside the timeout, so that it sees the timeout's error.
        .layer(axum::middleware::from_fn(body_timeout::answer_408))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            policy.body_read_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(guard, errors::guard))
}

/// Serves `router` on `listener` under `policy` until `shutdown` completes, then lets in-flight
/// requests finish (up to 10 s). Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    policy: Policy,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let router = apply(router, &policy);
    let slots = Arc::new(tokio::sync::Semaphore::new(policy.max_connections.max(1)));
    let full = AtomicBool::new(false);
    // Graceful shutdown by hand (hyper-util's watcher does not take upgradeable connections):
    // a signal every connection listens to, and a channel whose senders the connections hold,
    // closed when the last of them ends.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (open_tx, mut open_rx) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        // Wait for a free slot first: at the bound, new clients wait in the backlog while idle
        // connections time out, instead of the process running out of file descriptors.
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => {
                if full.swap(false, Ordering::Relaxed) {
                    tracing::info!(max = policy.max_connections, "accepting connections again");
                }
                p
            }
            Err(_) => {
                if !full.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        max = policy.max_connections,
                        "open connection limit reached; new clients wait"
                    );
                }
                tokio::select! {
                    p = slots.clone().acquire_owned() => match p {
                        Ok(p) => p,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers are small and written whole: send them at once rather than wait for ACKs.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let router = router.clone();
            async move { handle(router, peer, req).await }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(policy.header_read_timeout)
            .max_buf_size(policy.max_head_bytes.max(8192))
            .max_header_size(policy.max_head_bytes)
            .keep_alive(true)
            .serve_connection(
                TokioIo::new(io::JsonParseErrors::new(stream, policy.write_timeout)),
                service,
            )
            // WebSocket upgrades pass through the phone's proxy (a dev server's hot reload).
            .with_upgrades();
        let mut stop = stop_rx.clone();
        let open = open_tx.clone();
        tokio::spawn(async move {
            tokio::pin!(conn);
            // Errors here are clients going away, timeouts, or connections dropped on purpose.
            tokio::select! {
                _ = conn.as_mut() => {}
                () = async { let _ = stop.wait_for(|s| *s).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
            drop(open);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open_tx);
    tokio::select! {
        _ = open_rx.recv() => {}
        () = tokio::time::sleep(GRACE) => tracing::warn!("connections still open after the grace period"),
    }
    Ok(())
}

async fn handle(
    router: Router,
    peer: SocketAddr,
    req: hyper::Request<Incoming>,
) -> Result<axum::response::Response, DropConnection> {
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(ConnectInfo(peer));
    let response = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    if response.extensions().get::<DropConnection>().is_some() {
        return Err(DropConnection);
    }
    Ok(response)
}
