//! Cross-origin access to the API (CORS) for ERP front-ends served from another origin.
//!
//! Off unless `SATCHEL_ALLOWED_ORIGINS` (or `--allowed-origins`) lists origins: then the API
//! (`/api/…`) answers browsers on those exact origins, and only those. The allowed origin is
//! echoed, never `*`, because the API is called with credentials (a bearer token) and a
//! wildcard would let any web page use a signed-in user's session. Everything else is unchanged:
//! same-origin requests and requests without `Origin` (devices' own app, scripts) pass through
//! as before, and the PWA and `/healthz` get no CORS headers.
//!
//! | request | answer |
//! |---|---|
//! | preflight (`OPTIONS` + `Access-Control-Request-Method`) from an allowed origin | `204`, allow-origin, methods, headers, `Max-Age: 600`, credentials |
//! | preflight from another origin | `403 origin_not_allowed` (the server's JSON error), no CORS headers |
//! | other request from an allowed origin | as usual, plus allow-origin, credentials and expose-headers |
//! | other request from another origin | as usual, no CORS headers: the browser keeps the answer from the page |
//!
//! Every API answer to a request with `Origin` carries `Vary: Origin`, so a cache never hands
//! one origin's answer to another.
//!
//! The allowed request headers are those the device client sends (`src/transport.rs`:
//! `Authorization`, `Content-Type`, `Accept`, and `Upload-Offset` for blob chunks) plus
//! `Idempotency-Key`; `PATCH` is allowed because blob chunks are uploaded with it. Exposed
//! response headers: `Upload-Offset` (where a blob upload resumes) and `Retry-After`.

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::AppError;
use crate::AppState;

/// Methods a cross-origin page may use.
pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
/// Request headers a cross-origin page may send.
pub const ALLOW_HEADERS: &str =
    "authorization, content-type, accept, idempotency-key, upload-offset";
/// Response headers a cross-origin page may read.
pub const EXPOSE_HEADERS: &str = "retry-after, upload-offset";
/// How long (seconds) a browser may cache a preflight answer.
pub const MAX_AGE: &str = "600";

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The middleware; see the module documentation.
pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = match req.headers().get(ORIGIN) {
        Some(o) if !state.allowed_origins.is_empty() && is_api(req.uri().path()) => o.clone(),
        _ => return next.run(req).await,
    };
    let allowed = origin
        .to_str()
        .is_ok_and(|o| state.allowed_origins.iter().any(|a| a == o));
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD);
    let mut res = match (preflight, allowed) {
        (true, true) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            let h = res.headers_mut();
            h.insert(
                ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            h.insert(
                ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
            res
        }
        (true, false) => AppError::OriginNotAllowed.into_response(),
        (false, _) => next.run(req).await,
    };
    let h = res.headers_mut();
    h.append(VARY, HeaderValue::from_static("origin"));
    if allowed {
        allow(h, origin);
    }
    res
}

fn allow(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    h.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}
