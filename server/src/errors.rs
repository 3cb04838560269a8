//! Every failure of the HTTP API, mapped to a status and core's [`ApiError`] body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use satchel_core::sync::backup::BackupError;
use satchel_core::sync::protocol::{error_codes, ApiError};

/// Codes of this server that core's `error_codes` does not list (yet).
pub mod local_codes {
    /// The user's role may not do this (e.g. a rep asking for the review queue).
    pub const FORBIDDEN: &str = "forbidden";
    /// The review item was already resolved.
    pub const ALREADY_RESOLVED: &str = "already_resolved";
    /// The query string is not one the endpoint understands.
    pub const MALFORMED_QUERY: &str = "malformed_query";
    /// A delivery day that has not ended cannot be approved.
    pub const DAY_NOT_ENDED: &str = "day_not_ended";
    /// An entry of a backup file does not open with its device's secret (the code core's
    /// `BackupError::OutOfSequence` also carries).
    pub const BACKUP_TAMPERED: &str = "backup_tampered";
    /// A push's high-water marks are refused (core's `marks::check`); nothing of it was applied.
    pub const BAD_MARKS: &str = "bad_marks";
    /// A cross-origin preflight from an origin not in `SATCHEL_ALLOWED_ORIGINS`.
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    /// Too many refused sign-ins for this username or from this address: wait `Retry-After`.
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    /// The server is at capacity (password checks): retry after `Retry-After`.
    pub const BUSY: &str = "busy";
    /// The database's disk is full: nothing was written; retry after `Retry-After`.
    pub const STORAGE_FULL: &str = "storage_full";
    /// A text field holds the NUL character.
    pub const INVALID_TEXT: &str = "invalid_text";
    /// A JSON endpoint was sent a body of another media type.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
}

/// An API request that failed. The message never holds secrets or request bodies.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body is not JSON, or not the expected shape; the text is serde's explanation.
    #[error("malformed request body: {0}")]
    MalformedJson(String),
    /// The body exceeds the limit.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No `Authorization: Bearer` header, or a token that does not have the token's shape.
    #[error("a bearer token of the form <device_id>.<secret> is required")]
    MissingToken,
    /// The token names a device that is not registered.
    #[error("this device is not registered; register it again")]
    UnknownDevice,
    /// The token's secret does not match the device's.
    #[error("the token is not valid for this device")]
    InvalidToken,
    /// The body names another device than the token's.
    #[error("{0}")]
    DeviceMismatch(String),
    /// The push holds more mutations than allowed.
    #[error("a push may hold at most {max} mutations, this one has {got}")]
    BatchTooLarge {
        /// The limit.
        max: usize,
        /// The number received.
        got: usize,
    },
    /// The batch does not continue the device's sequence; nothing was written.
    #[error("{0}")]
    OutOfSequence(String),
    /// Wrong username or password.
    #[error("wrong username or password")]
    BadCredentials,
    /// No such API route.
    #[error("no such API endpoint")]
    NotFound,
    /// The route exists but not with this method.
    #[error("this method is not allowed on this endpoint")]
    MethodNotAllowed,
    /// A tax document was refused: it cannot be computed, or the device's figures differ.
    #[error("{message}")]
    TaxRefused {
        /// `tax_invalid`, `tax_mismatch` or `unknown_rule_set`.
        code: &'static str,
        /// The field concerned.
        field: String,
        /// What and why.
        message: String,
    },
    /// A sealed entry could not be opened; nothing of the push was applied.
    #[error("sealed entry {index} could not be opened: {reason}")]
    Unsealable {
        /// Its position in `sealed`.
        index: usize,
        /// Why, without detail that would help a forger.
        reason: String,
    },
    /// The token's scope does not allow this.
    #[error("{0}")]
    TokenScope(String),
    /// The user's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing named in the path does not exist.
    #[error("{0}")]
    NoSuchItem(String),
    /// The review item was already resolved.
    #[error("{0}")]
    AlreadyResolved(String),
    /// The query string is not understood.
    #[error("{0}")]
    MalformedQuery(String),
    /// The delivery day is still being worked (approving it must wait for its end).
    #[error("{0}")]
    DayNotEnded(String),
    /// The pull checkpoint is not one this server wrote.
    #[error("{0}")]
    BadCheckpoint(String),
    /// A blob or a chunk is over the limit.
    #[error("{0}")]
    BlobTooLarge(String),
    /// A chunk does not start where the server's copy ends (`GET` the blob to resume).
    #[error("{0}")]
    BlobOffset(String),
    /// The uploaded bytes do not hash to the announced SHA-256; the server dropped them.
    #[error("{0}")]
    BlobHashMismatch(String),
    /// No such blob was announced.
    #[error("{0}")]
    UnknownBlob(String),
    /// The blob's announcement is invalid (hash, size, content type).
    #[error("{0}")]
    BlobInvalid(String),
    /// A backup file refused whole before anything of it was applied: core's
    /// `backup::BackupError` codes (`not_a_backup`, `empty_backup`, `backup_too_large`,
    /// `backup_tampered`), or `backup_tampered` for an entry that does not open.
    #[error("{message}")]
    BackupRefused {
        /// The stable code.
        code: &'static str,
        /// The field concerned (`format`, `version`, `entries`, `entries[i]`).
        field: String,
        /// What and why; never the file's contents.
        message: String,
    },
    /// The backup file is of a device this server does not know (`404 unknown_device`; not
    /// `401`, which would tell the caller that its own token is unknown).
    #[error("this backup file is of a device this server does not know: was it made for another server?")]
    UnknownBackupDevice,
    /// A push's `marks` failed core's check (too many ranges, a sequence number too large); the
    /// push is refused whole (`400 bad_marks`, field `marks`).
    #[error("{0}")]
    BadMarks(String),
    /// A browser page on another origin asked (preflight) to call the API, and its origin is
    /// not in `SATCHEL_ALLOWED_ORIGINS` (`403 origin_not_allowed`, field `Origin`).
    #[error("this origin may not call the API from a browser; add it to SATCHEL_ALLOWED_ORIGINS")]
    OriginNotAllowed,
    /// Too many refused sign-ins or re-authentications for the username or from the address
    /// (`429 too_many_attempts`, `Retry-After`; see [`crate::throttle`]).
    #[error("too many wrong passwords; try again in {retry_after_s} s")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// Every password-check slot is taken and the queue is full (`503 busy`, `Retry-After`).
    #[error("the server is busy; try again in {retry_after_s} s")]
    Busy {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// A text field of the body holds the NUL character (`400 invalid_text`, field named).
    #[error("{field}: text may not contain the NUL character")]
    InvalidText {
        /// The JSON path of the string.
        field: String,
    },
    /// A JSON endpoint was sent another `Content-Type` (`415 unsupported_media_type`).
    #[error("the request body must be JSON, sent with Content-Type: application/json")]
    UnsupportedMediaType,
    /// A server failure; the detail is logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
    /// A database failure (kept whole, so a push can tell a conflict worth retrying); answered
    /// like [`AppError::Internal`].
    #[error("internal error: database: {0}")]
    Database(#[from] sqlx::Error),
}

impl AppError {
    /// The HTTP status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::MalformedJson(_) => (StatusCode::BAD_REQUEST, error_codes::MALFORMED_JSON),
            AppError::BodyTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, error_codes::BODY_TOO_LARGE)
            }
            AppError::MissingToken => (StatusCode::UNAUTHORIZED, error_codes::MISSING_TOKEN),
            AppError::UnknownDevice => (StatusCode::UNAUTHORIZED, error_codes::UNKNOWN_DEVICE),
            AppError::InvalidToken => (StatusCode::UNAUTHORIZED, error_codes::INVALID_TOKEN),
            AppError::DeviceMismatch(_) => (StatusCode::FORBIDDEN, error_codes::DEVICE_MISMATCH),
            AppError::BatchTooLarge { .. } => {
                (StatusCode::BAD_REQUEST, error_codes::BATCH_TOO_LARGE)
            }
            AppError::OutOfSequence(_) => (StatusCode::CONFLICT, error_codes::OUT_OF_SEQUENCE),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, error_codes::BAD_CREDENTIALS),
            AppError::NotFound => (StatusCode::NOT_FOUND, error_codes::NOT_FOUND),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, error_codes::METHOD_NOT_ALLOWED),
            AppError::TaxRefused { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            AppError::Unsealable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, error_codes::UNSEALABLE),
            AppError::TokenScope(_) => (StatusCode::FORBIDDEN, error_codes::TOKEN_SCOPE),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, local_codes::FORBIDDEN),
            AppError::NoSuchItem(_) => (StatusCode::NOT_FOUND, error_codes::NOT_FOUND),
            AppError::AlreadyResolved(_) => (StatusCode::CONFLICT, local_codes::ALREADY_RESOLVED),
            AppError::MalformedQuery(_) => (StatusCode::BAD_REQUEST, local_codes::MALFORMED_QUERY),
            AppError::DayNotEnded(_) => (StatusCode::CONFLICT, local_codes::DAY_NOT_ENDED),
            AppError::BadCheckpoint(_) => (StatusCode::BAD_REQUEST, error_codes::BAD_CHECKPOINT),
            AppError::BlobTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, error_codes::BLOB_TOO_LARGE),
            AppError::BlobOffset(_) => (StatusCode::CONFLICT, error_codes::BLOB_OFFSET),
            AppError::BlobHashMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, error_codes::BLOB_HASH_MISMATCH),
            AppError::UnknownBlob(_) => (StatusCode::NOT_FOUND, error_codes::UNKNOWN_BLOB),
            AppError::BlobInvalid(_) => (StatusCode::BAD_REQUEST, error_codes::BLOB_INVALID),
            AppError::BackupRefused { code, .. } => (StatusCode::BAD_REQUEST, code),
            AppError::UnknownBackupDevice => (StatusCode::NOT_FOUND, error_codes::UNKNOWN_DEVICE),
            AppError::BadMarks(_) => (StatusCode::BAD_REQUEST, local_codes::BAD_MARKS),
            AppError::OriginNotAllowed => (StatusCode::FORBIDDEN, local_codes::ORIGIN_NOT_ALLOWED),
            AppError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, local_codes::TOO_MANY_ATTEMPTS),
            AppError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, local_codes::BUSY),
            AppError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, local_codes::UNSUPPORTED_MEDIA_TYPE),
            AppError::InvalidText { .. } => (StatusCode::BAD_REQUEST, local_codes::INVALID_TEXT),
            AppError::Database(e) => match unavailable(e) {
                Some((code, _)) => (StatusCode::SERVICE_UNAVAILABLE, code),
                None => (StatusCode::INTERNAL_SERVER_ERROR, error_codes::INTERNAL),
            },
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, error_codes::INTERNAL),
        }
    }

    /// Seconds a client should wait before retrying, for the answers that carry `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after_s } | AppError::Busy { retry_after_s } => Some(*retry_after_s),
            AppError::Database(e) => unavailable(e).map(|(_, seconds)| seconds),
            _ => None,
        }
    }
}

/// A database failure that is the database's condition, not a bug: its code and the wait to
/// suggest. Contention (SQLite's busy timer ran out; the pool had no connection in time) is
/// `503 busy`; a full disk (SQLite `SQLITE_FULL`, PostgreSQL `disk_full`) is `503 storage_full`.
/// Nothing was written in either case, and the device retries.
pub fn unavailable(e: &sqlx::Error) -> Option<(&'static str, u64)> {
    if matches!(e, sqlx::Error::PoolTimedOut) {
        return Some((local_codes::BUSY, 5));
    }
    let code = e.as_database_error()?.code()?;
    match code.as_ref() {
        // SQLITE_BUSY, SQLITE_LOCKED and their extended codes (recovery, snapshot, shared cache);
        // PostgreSQL lock_not_available (lock_timeout), too_many_connections, cannot_connect_now.
        "5" | "6" | "261" | "517" | "262" | "55P03" | "53300" | "57P03" => Some((local_codes::BUSY, 5)),
        // SQLITE_FULL; PostgreSQL disk_full.
        "13" | "53100" => Some((local_codes::STORAGE_FULL, 30)),
        _ => None,
    }
}

/// Set once a request met a damaged database (SQLite `SQLITE_CORRUPT` or `SQLITE_NOTADB`,
/// PostgreSQL `data_corrupted` or `index_corrupted`); `/readyz` then answers 503 `damaged` until
/// the server is restarted on a sound database (a damaged SQLite file stops the start).
static DAMAGE_SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether `e` says the database's storage is damaged (recording it for [`damage_seen`]).
pub fn damaged(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code());
    let is = matches!(code.as_deref(), Some("11" | "26" | "XX001" | "XX002"));
    if is {
        DAMAGE_SEEN.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    is
}

/// Whether any request has met a damaged database since the server started.
pub fn damage_seen() -> bool {
    DAMAGE_SEEN.load(std::sync::atomic::Ordering::Relaxed)
}

impl From<BackupError> for AppError {
    fn from(e: BackupError) -> Self {
        AppError::BackupRefused { code: e.code(), field: e.field().into(), message: e.to_string() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            AppError::Database(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(detail = %self, "request refused: the database is unavailable");
                if code == local_codes::STORAGE_FULL {
                    "the server's storage is full; nothing was saved, retry later".to_string()
                } else {
                    "the server is busy; nothing was saved, retry shortly".to_string()
                }
            }
            AppError::Internal(_) | AppError::Database(_) => {
                if let AppError::Database(e) = &self {
                    if damaged(e) {
                        tracing::error!("the database is damaged: /readyz now answers 503 until a restart on a sound database");
                    }
                }
                tracing::error!(detail = %self, "request failed");
                "something failed on the server; retry later".to_string()
            }
            other => other.to_string(),
        };
        let retry_after = self.retry_after();
        let mut response = (
            status,
            Json(ApiError {
                code: code.to_string(),
                message,
                field: match &self {
                    AppError::TaxRefused { field, .. } => Some(field.clone()),
                    AppError::Unsealable { index, .. } => Some(format!("sealed[{index}]")),
                    AppError::BackupRefused { field, .. } => Some(field.clone()),
                    AppError::UnknownBackupDevice => Some("device_id".into()),
                    AppError::BadMarks(_) => Some("marks".into()),
                    AppError::OriginNotAllowed => Some("Origin".into()),
                    AppError::InvalidText { field } => Some(field.clone()),
                    _ => None,
                },
            }),
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
