//! # satchel-server: Satchel's reference sync server
//!
//! Serves the built PWA and the sync API over SQLite or PostgreSQL ([`db`]), re-validating
//! every order with `satchel-core`, the same code the device ran. [`start`] opens the database (migrating and
//! seeding it), binds and serves in the background; [`run`] does that until SIGTERM or ctrl-c.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]
#![warn(missing_docs)]

pub mod api;
pub mod auth;
pub mod config;
pub mod cors;
pub mod db;
pub mod errors;
pub mod feed;
pub mod keys;
pub mod metrics;
pub mod outcomes;
pub mod receivables;
pub mod rules_cli;
pub mod sales;
pub mod seed;
pub mod serve;
pub mod tax_cli;
pub mod throttle;
pub mod tls;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, patch, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database pool and its backend.
    pub db: db::Db,
    /// The counters behind `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The keys that open sealed outbox entries.
    pub keys: Arc<keys::ServerKeys>,
    /// The inactivity lock devices get at registration.
    pub lock: satchel_core::sync::protocol::LockSettings,
    /// Origins whose pages may call the API ([`cors`]); empty: same origin only.
    pub allowed_origins: Arc<[String]>,
    /// Sign-in throttling and the bounded password-hashing pool ([`throttle`]).
    pub guard: Arc<throttle::Guard>,
    /// The bearer token `/metrics` asks for; `None`: loopback only ([`web::metrics_allowed`]).
    pub metrics_token: Option<Arc<str>>,
    /// Whether the server serves HTTPS (then every answer carries HSTS).
    pub https: bool,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The demo data or the server keys could not be written.
    #[error("cannot prepare the database: {0}")]
    Seed(errors::AppError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// The server task ended abnormally.
    #[error("server task failed: {0}")]
    Task(String),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
}

/// Builds the application: API routes, metrics, health and the static PWA.
pub fn router(state: AppState, www_dir: &std::path::Path, limits: &serve::Limits) -> Router {
    let na = api::method_not_allowed;
    let api = Router::new()
        .route("/api/v1/devices", post(api::devices::register).fallback(na))
        .route(
            "/api/v1/devices/reauthenticate",
            post(api::devices::reauthenticate).fallback(na),
        )
        .route("/api/v1/devices/missing", get(api::marks::list).fallback(na))
        .route(
            "/api/v1/reference",
            get(api::reference::reference).fallback(na),
        )
        .route("/api/v1/sync/push", post(api::push::push).fallback(na))
        // A backup file may be far larger than a push: this route alone takes up to 32 MiB (the
        // inner limit wins over the API's 1 MiB below).
        .route(
            "/api/v1/sync/recover",
            post(api::recover::recover)
                .layer(DefaultBodyLimit::max(api::recover::BODY_LIMIT))
                .fallback(na),
        )
        .route("/api/v1/sync/pull", get(api::pull::pull).fallback(na))
        .route("/api/v1/tasks", get(api::tasks::list).fallback(na))
        .route("/api/v1/tasks/{id}/cancel", post(api::tasks::cancel).fallback(na))
        .route("/api/v1/blobs", post(api::blobs::create).fallback(na))
        .route("/api/v1/blobs/{sha256}", get(api::blobs::status).fallback(na))
        .route("/api/v1/blobs/{sha256}", patch(api::blobs::upload))
        .route("/api/v1/blobs/{sha256}/content", get(api::blobs::content).fallback(na))
        .route("/api/v1/orders", get(api::orders::list).fallback(na))
        .route("/api/v1/review", get(api::review::list).fallback(na))
        .route(
            "/api/v1/review/{order_id}/resolve",
            post(api::review::resolve).fallback(na),
        )
        .route("/api/v1/shifts", get(api::shifts::list).fallback(na))
        .route("/api/v1/shifts/{shift_id}", get(api::shifts::detail).fallback(na))
        .route("/api/v1/days", get(api::days::list).fallback(na))
        .route("/api/v1/days/{day_id}", get(api::days::detail).fallback(na))
        .route("/api/v1/days/{day_id}/approve", post(api::days::approve).fallback(na))
        .route("/api/v1/conflicts", get(api::conflicts::list).fallback(na))
        .route(
            "/api/v1/conflicts/{id}/resolve",
            post(api::conflicts::resolve).fallback(na),
        )
        .route("/api/v1/tax/check", post(api::tax::check).fallback(na))
        .route(
            "/api/v1/telemetry/dashboard",
            get(api::telemetry::dashboard).fallback(na),
        )
        .route("/api", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(axum::middleware::from_fn(api::refuse_oversized))
        .layer(axum::middleware::from_fn_with_state(Arc::new(serve::RouteGate::new(limits)), serve::gate_route))
        .layer(axum::middleware::from_fn(api::refuse_nul_in_url));
    Router::new()
        .merge(api)
        .route("/healthz", get(web::healthz))
        .route("/readyz", get(web::readyz))
        .route("/metrics", get(web::metrics))
        .merge(web::static_files(www_dir))
        .layer(axum::middleware::from_fn_with_state(state.clone(), cors::cors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::headers_and_log))
        .with_state(state)
}

/// A server running in the background.
pub struct Server {
    /// The address actually bound (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Whether this start wrote the demo data set.
    pub seeded: bool,
    /// Whether it serves HTTPS.
    pub https: bool,
    /// The plain-HTTP address redirecting to it, when one was asked for.
    pub redirect_addr: Option<SocketAddr>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), std::io::Error>>,
    redirect: Option<JoinHandle<()>>,
}

impl Server {
    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if self.addr.is_ipv6() {
            format!("[{}]", self.addr.ip())
        } else {
            self.addr.ip().to_string()
        };
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{ip}:{}/", self.addr.port())
    }

    /// Stops accepting, finishes the requests in flight, closes the database.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        if let Some(redirect) = &self.redirect {
            redirect.abort();
        }
        let _ = self.shutdown.send(());
        self.task
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?
            .map_err(ServerError::Serve)
    }
}

/// Opens the database (migrating, seeding on first start), binds and serves in the background.
pub async fn start(config: &Config) -> Result<Server, ServerError> {
    // Certificate problems are found before anything else is opened.
    let tls = config.tls.as_ref().map(tls::load).transpose()?;
    let db = db::open(
        &config.data_dir,
        config.database_url.as_deref(),
        config.max_connections,
    )
    .await?;
    tracing::info!(
        "database: {}",
        db.describe(&config.data_dir, config.database_url.as_deref())
    );
    let seeded = seed::seed_if_empty(&db).await.map_err(ServerError::Seed)?;
    if seeded {
        tracing::info!("seeded the demo data set");
        // A larger deployment for benchmarks: SATCHEL_DEMO_PRODUCTS / SATCHEL_DEMO_OUTLETS.
        let wanted = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<usize>().ok()).map(|n| n.min(200_000));
        let (products, outlets) = (wanted("SATCHEL_DEMO_PRODUCTS"), wanted("SATCHEL_DEMO_OUTLETS"));
        if products.is_some() || outlets.is_some() {
            let (p, o) = (products.unwrap_or(seed::PRODUCTS), outlets.unwrap_or(seed::OUTLETS));
            seed::grow_demo(&db, p, o).await.map_err(ServerError::Seed)?;
            tracing::info!(products = p, outlets = o, "grew the demo data set");
        }
    }
    let listener = TcpListener::bind(&config.addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: config.addr.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.addr.clone(),
        source,
    })?;
    let keys = keys::ServerKeys::load_or_create(&db).await.map_err(ServerError::Seed)?;
    let state = AppState {
        db: db.clone(),
        metrics: Arc::default(),
        keys: Arc::new(keys),
        lock: config.lock.clone(),
        allowed_origins: config.allowed_origins.clone().into(),
        guard: Arc::new(throttle::Guard::new(config.password_checks)),
        metrics_token: config.metrics_token.as_deref().map(Arc::from),
        https: tls.is_some(),
    };
    let app = router(state, &config.www_dir, &config.limits);
    let limits = config.limits;
    let https = tls.is_some();
    let (redirect, redirect_addr) = match (&config.redirect_addr, https) {
        (Some(at), true) => {
            let listener = TcpListener::bind(at).await.map_err(|source| ServerError::Bind { addr: at.clone(), source })?;
            let bound = listener.local_addr().map_err(|source| ServerError::Bind { addr: at.clone(), source })?;
            let port = addr.port();
            (Some(tokio::spawn(tls::redirect(listener, port, std::future::pending()))), Some(bound))
        }
        _ => (None, None),
    };
    let (shutdown, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = serve::serve(listener, app, limits, tls, async {
            let _ = rx.await;
        })
        .await;
        db.close().await;
        served
    });
    Ok(Server {
        addr,
        seeded,
        https,
        redirect_addr,
        shutdown,
        task,
        redirect,
    })
}

/// Starts the server, prints where it runs and the demo logins, and serves until SIGTERM or
/// ctrl-c, then shuts down gracefully.
pub async fn run(config: Config) -> Result<(), ServerError> {
    // Listen for SIGTERM before announcing the address: a supervisor (or a test) that stops the
    // server right after reading the line must get a graceful shutdown, not the default action.
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    let server = start(&config).await?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Satchel is running at {}", server.url());
        let _ = writeln!(out, "{}", seed::logins_line());
        let _ = out.flush();
    }
    tracing::info!(addr = %server.addr, "listening");
    #[cfg(unix)]
    shutdown_signal(term).await;
    #[cfg(not(unix))]
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await
}

async fn shutdown_signal(#[cfg(unix)] term: std::io::Result<tokio::signal::unix::Signal>) {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for ctrl-c: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match term {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
