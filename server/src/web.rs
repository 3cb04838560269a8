//! Health, metrics, the static PWA, and the headers and access log every response gets.

use std::path::Path;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;

/// `GET /healthz`.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: readiness for a load balancer. A read and a write of the database (one row of
/// `readiness`), within [`READY_TIMEOUT`]: `200 {"status": "ready"}`, or `503 {"status":
/// "not_ready", "database": "full" | "busy" | "failing"}` with `Retry-After`. `/healthz` only
/// says the process answers.
pub async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    if crate::errors::damage_seen() {
        let mut response =
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "database": "damaged"}))).into_response();
        response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(60u64));
        return response;
    }
    let pool = state.db.pool.clone();
    let check = async move {
        let _: (i64,) = sqlx::query_as("SELECT 1").fetch_one(&pool).await?;
        sqlx::query(
            "INSERT INTO readiness (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(crate::db::timestamp(chrono::Utc::now()))
        .execute(&pool)
        .await?;
        Ok::<_, sqlx::Error>(())
    };
    let failure = match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(())) => return (StatusCode::OK, Json(json!({"status": "ready"}))).into_response(),
        Ok(Err(e)) => {
            let kind = match crate::errors::unavailable(&e) {
                Some((crate::errors::local_codes::STORAGE_FULL, _)) => "full",
                Some(_) => "busy",
                None if crate::errors::damaged(&e) => "damaged",
                None => "failing",
            };
            tracing::warn!(error = %e, kind, "not ready");
            kind
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer in time");
            "busy"
        }
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "not_ready", "database": failure}))).into_response();
    response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(5u64));
    response
}

/// The Content-Security-Policy of every answer: the app's own files only, WebAssembly compiled
/// from them (`'wasm-unsafe-eval'`, never `'unsafe-eval'`), no inline script or style, photos
/// and backups as `blob:` URLs, the camera's stream as `mediastream:`; framed only by the app
/// itself and the embedding origins of `SATCHEL_ALLOWED_ORIGINS`.
pub fn content_security_policy(allowed_origins: &[String]) -> String {
    let mut ancestors = String::from("'self'");
    for origin in allowed_origins {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {ancestors}"
    )
}

/// Security headers on every answer (the app, the API, health and metrics alike): the CSP
/// above, no MIME sniffing, no referrer, and only the powers the app uses (the camera, for the
/// counter's barcode scanner).
pub fn security_headers(headers: &mut axum::http::HeaderMap, allowed_origins: &[String]) {
    use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(allowed_origins)) {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        axum::http::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
    );
}

/// How long `/readyz` waits for the database.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// `GET /metrics`: Prometheus text format: the counters, the number of open review items, the
/// counter's receipts and shifts, the delivery days and collections, and field telemetry (each
/// left out when the database does not answer).
pub async fn metrics(State(state): State<AppState>, peer: crate::throttle::Peer, headers: axum::http::HeaderMap) -> Response {
    if !metrics_allowed(state.metrics_token.as_deref(), peer, &headers) {
        return crate::errors::AppError::MissingToken.into_response();
    }
    metrics_text(&state).await.into_response()
}

/// Who may read `/metrics`: with `SATCHEL_METRICS_TOKEN` set, a request bearing it (compared in
/// constant time) from anywhere; unset, only the machine itself (loopback), so a scraper on the
/// host works and the internet does not see the deployment's figures.
pub fn metrics_allowed(token: Option<&str>, peer: crate::throttle::Peer, headers: &axum::http::HeaderMap) -> bool {
    match token {
        Some(token) => {
            use subtle::ConstantTimeEq;
            let presented = headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            bool::from(presented.as_bytes().ct_eq(token.as_bytes()))
        }
        None => peer.0.is_some_and(|ip| ip.is_loopback()),
    }
}

async fn metrics_text(state: &AppState) -> impl IntoResponse {
    let open: Option<(i64,)> = sqlx::query_as("SELECT COUNT(*) FROM review_queue WHERE status = 'open'")
        .fetch_one(&state.db.pool)
        .await
        .ok();
    let counter: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM receipts WHERE kind = 'sale'), (SELECT COUNT(*) FROM receipts WHERE kind = 'refund'), \
         (SELECT COUNT(*) FROM shifts WHERE closed_at IS NOT NULL), (SELECT COUNT(*) FROM shifts WHERE closed_at IS NOT NULL AND flagged = 1)",
    )
    .fetch_one(&state.db.pool)
    .await
    .ok();
    let counter = counter.map(|(sales, refunds, shifts_closed, shifts_with_differences)| crate::metrics::CounterTotals {
        sales,
        refunds,
        shifts_closed,
        shifts_with_differences,
    });
    let delivery: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM delivery_days), (SELECT COUNT(*) FROM delivery_days WHERE ended_at IS NOT NULL), \
         (SELECT COUNT(*) FROM delivery_days WHERE ended_at IS NOT NULL AND flagged = 1), \
         (SELECT COUNT(*) FROM collections WHERE method = 'cash'), (SELECT COUNT(*) FROM collections WHERE method = 'cheque'), \
         (SELECT COUNT(*) FROM collections WHERE method = 'mobile_money')",
    )
    .fetch_one(&state.db.pool)
    .await
    .ok();
    let delivery = delivery.map(|(days_started, days_ended, days_flagged, cash, cheque, mobile)| crate::metrics::DeliveryTotals {
        days_started,
        days_ended,
        days_flagged,
        collections: [cash, cheque, mobile],
    });
    let telemetry = crate::metrics::telemetry::TelemetryTotals::read(&state.db.pool, chrono::Utc::now())
        .await
        .map_err(|e| tracing::warn!("telemetry totals unavailable: {e}"))
        .ok();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render_with(open.map(|(n,)| n), counter, delivery, telemetry.as_ref()),
    )
}

/// The page served when the PWA has not been built.
pub const NOT_BUILT: &str = "Satchel: the web app has not been built yet, so there is nothing to \
show here. Build it (./build.sh build) and restart the server. The API under /api/v1 works.\n";

/// The PWA's files, with `index.html` for unknown paths (the app routes itself); or, when the
/// directory does not exist, a short text page saying so.
pub fn static_files(www_dir: &Path) -> Router<AppState> {
    if www_dir.is_dir() {
        let index = www_dir.join("index.html");
        // `./build.sh` writes `<file>.br` and `<file>.gz` beside each text and Wasm file: sent to
        // a browser that accepts them (brotli first), the file itself otherwise.
        let index = ServeFile::new(index).precompressed_br().precompressed_gzip();
        Router::new().fallback_service(ServeDir::new(www_dir).precompressed_br().precompressed_gzip().fallback(index))
    } else {
        tracing::warn!(www_dir = %www_dir.display(), "web app not built; serving a placeholder");
        Router::new().fallback(get(|| async {
            ([(CONTENT_TYPE, "text/plain; charset=utf-8")], NOT_BUILT)
        }))
    }
}

/// Whether a path names a file the build names by its content (`app.<hash>.js`,
/// `satchel_bg.<hash>.wasm`, `styles.<hash>.css`): a changed byte is a new name, so a browser
/// may keep it for a year without asking again.
pub fn content_named(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(base), Some(hash), Some(ext), None) => {
            !base.is_empty() && !ext.is_empty() && (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

/// Cache headers (`public, max-age=31536000, immutable` for content-named files, `no-cache` for
/// the service worker, the manifest and HTML, `no-store` for the API; `Vary: accept-encoding` on
/// the app's files, sent compressed or not) and one access-log line per request: method, path
/// (no query string), status, time. Never bodies or headers, so no token or password reaches the
/// log.
pub async fn headers_and_log(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut res = next.run(req).await;
    security_headers(res.headers_mut(), &state.allowed_origins);
    if state.https {
        // Only over HTTPS (a browser ignores it on plain HTTP anyway): a year, subdomains left
        // to the operator.
        res.headers_mut().insert(axum::http::header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if path.starts_with("/api/") {
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if path == "/sw.js" || path == "/manifest.webmanifest" || html {
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if res.status().is_success() && content_named(&path) {
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    if !path.starts_with("/api/") && !res.headers().contains_key(VARY) {
        // The same path is sent compressed or not by Accept-Encoding: a cache must key on it.
        res.headers_mut().insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    tracing::info!(
        %method,
        path = %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    res
}

#[cfg(test)]
mod tests {
    use super::{content_named, metrics_allowed};
    use crate::throttle::Peer;
    use axum::http::HeaderMap;

    #[test]
    fn only_files_named_by_their_content_are_cached_for_good() {
        for hashed in ["/app.7KQ2ZC3M.js", "/satchel_bg.1a2b3c4d5e.wasm", "/styles.0f9e8d7c6b.css", "/dashboard.ABCDEFGH.js"] {
            assert!(content_named(hashed), "{hashed}");
        }
        for plain in ["/", "/index.html", "/sw.js", "/manifest.webmanifest", "/icons/icon-192.png", "/app.css", "/jquery.min.js", "/a.b.c.d", "/.12345678.js", "/app.1234-678.js"] {
            assert!(!content_named(plain), "{plain}");
        }
    }

    #[test]
    fn metrics_are_for_the_machine_itself_unless_a_token_is_set() {
        let none = HeaderMap::new();
        let lan = Peer(Some("192.168.1.20".parse().expect("ip")));
        let local = Peer(Some("127.0.0.1".parse().expect("ip")));
        let local6 = Peer(Some("::1".parse().expect("ip")));
        assert!(metrics_allowed(None, local, &none));
        assert!(metrics_allowed(None, local6, &none));
        assert!(!metrics_allowed(None, lan, &none), "the LAN, or the internet, is refused");
        assert!(!metrics_allowed(None, Peer(None), &none));
        let mut bearer = HeaderMap::new();
        bearer.insert("authorization", "Bearer t0ken-t0ken-t0ken".parse().expect("header"));
        assert!(metrics_allowed(Some("t0ken-t0ken-t0ken"), lan, &bearer));
        assert!(!metrics_allowed(Some("t0ken-t0ken-t0ken"), local, &none), "with a token, loopback needs it too");
    }
}
