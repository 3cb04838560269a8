//! The JSON API under `/api/v1`.

pub mod blobs;
pub mod conflicts;
pub mod counter;
mod day_stop;
pub mod days;
pub mod delivery;
mod deferred;
pub mod devices;
mod entry_latency;
pub mod marks;
pub mod orders;
mod order_batch;
pub mod outlet_update;
pub mod pull;
pub mod push;
pub mod recent;
pub mod recover;
pub mod reference;
pub mod review;
pub mod shifts;
mod sales_order;
mod task_complete;
pub mod tasks;
pub mod tax;
pub mod telemetry;
mod telemetry_report;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::errors::AppError;

/// Largest request body accepted, in bytes (1 MiB): the protocol's, which devices size their
/// pushes by.
pub const BODY_LIMIT: usize = satchel_core::sync::protocol::BODY_LIMIT;

/// A JSON body read by hand so that every failure is a JSON [`AppError`]: over the limit is
/// `body_too_large`, anything unreadable or of the wrong shape is `malformed_json` with serde's
/// explanation. (axum's `Json` extractor answers in plain text.)
///
/// `LIMIT` is only what the error says: the bytes are cut off by the route's
/// `DefaultBodyLimit`, which must be the same number ([`BODY_LIMIT`] for every route but
/// `POST /api/v1/sync/recover`, see [`recover::BODY_LIMIT`]).
#[derive(Debug)]
pub struct JsonBody<T, const LIMIT: usize = BODY_LIMIT, const NUL_OK: bool = false>(pub T);

/// The longest serde explanation a `malformed_json` answer carries: serde quotes the offending
/// value, and a body may be megabytes long.
const MAX_EXPLANATION: usize = 300;

impl<T: DeserializeOwned, S: Send + Sync, const LIMIT: usize, const NUL_OK: bool> FromRequest<S>
    for JsonBody<T, LIMIT, NUL_OK>
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        // JSON only, said so: a `text/plain` body is what a cross-site form can send without a
        // preflight, so it is refused before it is read.
        let content_type = req.headers().get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !is_json(content_type) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::BodyTooLarge { limit: LIMIT }
            } else {
                AppError::MalformedJson("the request body could not be read".into())
            }
        })?;
        let value = serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let mut explanation = e.to_string();
            if explanation.len() > MAX_EXPLANATION {
                let mut cut = MAX_EXPLANATION;
                while !explanation.is_char_boundary(cut) {
                    cut -= 1;
                }
                explanation.truncate(cut);
                explanation.push('…');
            }
            AppError::MalformedJson(explanation)
        })?;
        // PostgreSQL cannot store NUL in text: refused up front, naming the field, on every
        // database alike. Pushes and backups (`NUL_OK`) refuse it per mutation instead, so that
        // one bad entry does not block the device's queue.
        if !NUL_OK {
            if let Some(field) = std::str::from_utf8(&bytes).ok().and_then(satchel_core::input::nul_at) {
                return Err(AppError::InvalidText { field });
            }
        }
        Ok(value)
    }
}

/// Whether a `Content-Type` is JSON: `application/json` or `application/<x>+json`, any
/// parameters (`; charset=utf-8`), any letter case.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Refuses a request whose declared `Content-Length` is over its route's limit at once (`413
/// body_too_large`), before reading any of it: a client declaring 512 MiB and sending nothing
/// does not hold a connection until the body timeout.
pub async fn refuse_oversized(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = if req.uri().path() == "/api/v1/sync/recover" { recover::BODY_LIMIT } else { BODY_LIMIT };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::BodyTooLarge { limit }.into_response();
    }
    next.run(req).await
}

/// Refuses a request whose path or query string holds an encoded NUL (`%00`), `400
/// invalid_text` naming `path` or `query`: a path parameter (a task, order or day id) or a query
/// value goes to the database, and PostgreSQL cannot take NUL in text (SQLite can), so it is
/// refused before any handler, on both alike.
pub async fn refuse_nul_in_url(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let has_nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    let field = if has_nul(req.uri().path()) {
        Some("path")
    } else if req.uri().query().is_some_and(has_nul) {
        Some("query")
    } else {
        None
    };
    match field {
        Some(field) => AppError::InvalidText { field: field.into() }.into_response(),
        None => next.run(req).await,
    }
}

/// `/api/…` routes that do not exist.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Known `/api/…` routes called with another method.
pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Refuses anyone but a supervisor (`403 forbidden`), saying what `what` is.
pub(crate) fn require_supervisor(auth: &crate::auth::AuthDevice, what: &str) -> Result<(), AppError> {
    if auth.role == crate::auth::Role::Supervisor {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only a supervisor may see and resolve {what}")))
    }
}

/// The `status` filter of a supervisor's list: the only query parameter, one of `allowed`,
/// `open` when absent; anything else is `400 malformed_query`.
pub(crate) fn status_filter(query: Option<&str>, allowed: &[&str]) -> Result<String, AppError> {
    let mut status = "open".to_string();
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("status", v)) if allowed.contains(&v) => status = v.into(),
            _ => return Err(AppError::MalformedQuery(format!("the only parameter is status={}", allowed.join("|")))),
        }
    }
    Ok(status)
}
