//! The connection loop (issue 15): what `axum::serve` does, plus what an open server on the
//! internet needs.
//!
//! - **A cap on connections** ([`Limits::max_connections`]): at the cap the loop stops
//!   accepting until one closes (the kernel's backlog holds the newcomers), so a flood of
//!   connections cannot use up the process's file descriptors and lock every client out.
//! - **A header-read timeout** ([`Limits::header_read`]): a connection that does not send a
//!   whole request head in time (a slow-loris client, or a keep-alive connection left idle) is
//!   closed, which frees its slot.
//! - **A body-read timeout** ([`Limits::body_read`], `tower_http`'s `RequestBodyTimeoutLayer`):
//!   a client that stops sending its body is answered 408 and closed.
//!
//! - **A cap on concurrent requests per route** ([`Limits::route_requests`], [`RouteGate`]): the
//!   heavy routes (push, pull, a blob chunk or its content, a backup recovery) each take at most
//!   that many requests at once (a recovery, whose body may be 32 MiB, a sixteenth of it); a
//!   request that finds its route full waits at most [`Limits::route_wait`] for a place, then is
//!   answered `503 busy` with `Retry-After`, which devices honour. Nothing queues without bound.
//!
//! A declared body over the route's limit is refused at once from its `Content-Length`
//! ([`crate::api::refuse_oversized`]), before any of it is read.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// The connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (`SATCHEL_MAX_CLIENTS`; default [`Limits::DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// Time to send a request's head, also the longest a keep-alive connection may sit idle.
    pub header_read: Duration,
    /// Time to send a request's body once its head arrived.
    pub body_read: Duration,
    /// Requests a heavy route takes at once (`SATCHEL_MAX_ROUTE_REQUESTS`; default
    /// [`Limits::DEFAULT_ROUTE_REQUESTS`]); see [`RouteGate`].
    pub route_requests: usize,
    /// How long a request waits for a place on its full route before `503 busy`.
    pub route_wait: Duration,
}

impl Limits {
    /// Below the common 1,024 open-file limit, with room for the database and the files served.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 768;
    /// A tenth of the connections: one route cannot take them all, and a push or a pull that
    /// waits for SQLite's single writer holds little while it waits.
    pub const DEFAULT_ROUTE_REQUESTS: usize = 64;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            header_read: Duration::from_secs(20),
            body_read: Duration::from_secs(120),
            route_requests: Self::DEFAULT_ROUTE_REQUESTS,
            route_wait: Duration::from_secs(5),
        }
    }
}

/// The per-route caps of [`Limits::route_requests`]: one semaphore per heavy route.
#[derive(Debug)]
pub struct RouteGate {
    push: Arc<Semaphore>,
    pull: Arc<Semaphore>,
    blobs: Arc<Semaphore>,
    recover: Arc<Semaphore>,
    wait: Duration,
}

impl RouteGate {
    /// The gate for `limits`.
    pub fn new(limits: &Limits) -> RouteGate {
        let n = limits.route_requests.max(1);
        let gate = || Arc::new(Semaphore::new(n));
        RouteGate { push: gate(), pull: gate(), blobs: gate(), recover: Arc::new(Semaphore::new((n / 16).max(1))), wait: limits.route_wait }
    }

    /// The semaphore of the route `path` is on, if it is a gated one.
    fn of(&self, path: &str) -> Option<&Arc<Semaphore>> {
        match path {
            "/api/v1/sync/push" => Some(&self.push),
            "/api/v1/sync/pull" => Some(&self.pull),
            "/api/v1/sync/recover" => Some(&self.recover),
            p if p.starts_with("/api/v1/blobs/") => Some(&self.blobs),
            _ => None,
        }
    }
}

/// Middleware: runs a request on a gated route only with a place on it (see [`RouteGate`]).
pub async fn gate_route(
    axum::extract::State(gate): axum::extract::State<Arc<RouteGate>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some(semaphore) = gate.of(req.uri().path()) else {
        return next.run(req).await;
    };
    match tokio::time::timeout(gate.wait, semaphore.clone().acquire_owned()).await {
        Ok(Ok(place)) => {
            let response = next.run(req).await;
            drop(place);
            response
        }
        _ => crate::errors::AppError::Busy { retry_after_s: gate.wait.as_secs().max(1) }.into_response(),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// (at most 10 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    let mut full_logged = false;
    loop {
        let slot = if let Ok(slot) = slots.clone().try_acquire_owned() {
            full_logged = false;
            slot
        } else {
            if !full_logged {
                tracing::warn!(max = limits.max_connections, "connection cap reached: accepting again when one closes");
                full_logged = true;
            }
            tokio::select! {
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app.clone().map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo::<std::net::SocketAddr>(peer));
            req
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read).max_buf_size(64 * 1024);
        let service = TowerToHyperService::new(service);
        match &acceptor {
            None => {
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(slot);
                });
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task, bounded like a request head, so
                // a client that stalls it holds its slot no longer than one that stalls headers.
                let handshake = tokio::time::timeout(limits.header_read, acceptor.accept(stream));
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = watcher.watch(builder.serve_connection(TokioIo::new(tls), service)).await;
                    }
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("open requests did not finish within 10 s of the shutdown");
    }
    Ok(())
}
