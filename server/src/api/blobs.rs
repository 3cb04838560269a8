//! Blobs (photos): content-addressed by SHA-256, uploaded in chunks that resume.
//!
//! - `POST /api/v1/blobs` announces a blob ([`BlobCreate`]: hash, size, type); idempotent: the
//!   answer is how much the server holds ([`BlobStatus`]), `201` when the announcement created
//!   it, `200` when it was known. A known hash announced with another size or type is
//!   `400 blob_invalid`; a malformed one too; a size over [`MAX_BLOB_BYTES`] is
//!   `413 blob_too_large`.
//! - `PATCH /api/v1/blobs/{sha256}` appends one chunk: header `Upload-Offset: <n>`, body the raw
//!   bytes (`application/offset+octet-stream` or `application/octet-stream`), at most
//!   [`BLOB_CHUNK_BYTES`] (else `413 blob_too_large`). The chunk must start where the server's
//!   copy ends, else `409 blob_offset` (the body then also carries the [`BlobStatus`] to resume
//!   from, and the `Upload-Offset` header the server's offset). A chunk past the size is
//!   `400 blob_invalid`. A blob already complete answers its status (a repeated last chunk is
//!   harmless). The chunk that completes the blob checks the SHA-256 of the whole: on a match the
//!   blob is complete and every mutation waiting for it is settled in the same transaction
//!   (see [`super::deferred`]); on a mismatch the server drops the bytes (received back to 0)
//!   and answers `422 blob_hash_mismatch`.
//! - `GET /api/v1/blobs/{sha256}` answers the [`BlobStatus`] (`404 unknown_blob`).
//! - `GET /api/v1/blobs/{sha256}/content` answers the bytes with their content type, once
//!   complete, to a supervisor or to the user of the device that announced it (`403 forbidden`
//!   for anyone else).
//!
//! Every request needs the full token. The chunks are kept in `blob_chunks` (the blob's
//! storage); a chunk write holds the uploading device's lock like a push
//! ([`crate::db::Db::begin_push`]), so it takes its locks in the same order.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use satchel_core::sync::protocol::{
    is_sha256_hex, ApiError, BlobCreate, BlobRef, BlobStatus, BLOB_CHUNK_BYTES, BLOB_CONTENT_TYPES, MAX_BLOB_BYTES,
};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use super::deferred::{blob_key, lock_key, Settle, SettledCounts, Settler};
use super::JsonBody;
use crate::auth::{AuthDevice, Role};
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::{feed, AppState};

/// The header a chunk names its offset in, and every answer the server's offset in.
pub const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");

/// How many times a chunk write that raced another transaction is run (PostgreSQL).
const UPLOAD_ATTEMPTS: u32 = 5;

/// Checks an announcement.
fn validate(blob: &BlobRef) -> Result<(), AppError> {
    if !is_sha256_hex(&blob.sha256) {
        return Err(AppError::BlobInvalid("sha256: not a SHA-256 in 64 lowercase hex characters".into()));
    }
    if blob.size > MAX_BLOB_BYTES {
        return Err(AppError::BlobTooLarge(format!(
            "size: a blob has at most {MAX_BLOB_BYTES} bytes, this one {}",
            blob.size
        )));
    }
    if blob.size == 0 {
        return Err(AppError::BlobInvalid("size: a blob has at least 1 byte".into()));
    }
    if !BLOB_CONTENT_TYPES.contains(&blob.content_type.as_str()) {
        return Err(AppError::BlobInvalid(format!(
            "content_type: {:?} is not one of {}",
            blob.content_type,
            BLOB_CONTENT_TYPES.join(", ")
        )));
    }
    Ok(())
}

type BlobRow = (i64, String, i64, i64);

fn status_of(sha256: &str, (size, _, received, complete): &BlobRow) -> BlobStatus {
    BlobStatus {
        sha256: sha256.to_string(),
        size: u64::try_from(*size).unwrap_or(0),
        received: u64::try_from(*received).unwrap_or(0),
        complete: *complete == 1,
    }
}

async fn blob_row(conn: &mut AnyConnection, sha256: &str, lock: bool) -> Result<Option<BlobRow>, AppError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT size, content_type, received, complete FROM blobs WHERE sha256 = $1{lock}"
    ))
    .bind(sha256)
    .fetch_optional(&mut *conn)
    .await?)
}

fn unknown(sha256: &str) -> AppError {
    AppError::UnknownBlob(format!("no blob {sha256} was announced (POST /api/v1/blobs first)"))
}

/// A status answer, with the server's offset in `Upload-Offset`.
fn answer(code: StatusCode, status: BlobStatus) -> Response {
    let offset = HeaderValue::from(status.received);
    (code, [(UPLOAD_OFFSET, offset)], Json(status)).into_response()
}

/// An error answer that also carries the blob's status (to resume from).
fn error_with_status(err: AppError, status: &BlobStatus) -> Response {
    let (code, name) = err.status_and_code();
    let body = ApiError { code: name.to_string(), message: err.to_string(), field: None };
    let mut json = serde_json::to_value(body).unwrap_or_default();
    if let (Some(obj), Ok(serde_json::Value::Object(extra))) = (json.as_object_mut(), serde_json::to_value(status)) {
        obj.extend(extra);
    }
    (code, [(UPLOAD_OFFSET, HeaderValue::from(status.received))], Json(json)).into_response()
}

/// `POST /api/v1/blobs`.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthDevice,
    body: Result<JsonBody<BlobCreate>, AppError>,
) -> Result<Response, AppError> {
    let JsonBody(BlobCreate { blob }) = body?;
    validate(&blob)?;
    let size = i64::try_from(blob.size).map_err(|_| AppError::Internal("blob size range".into()))?;
    let inserted = sqlx::query(
        "INSERT INTO blobs (sha256, size, content_type, received, complete, device_id, created_at) \
         VALUES ($1, $2, $3, 0, 0, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(&blob.sha256)
    .bind(size)
    .bind(&blob.content_type)
    .bind(auth.device_id.to_string())
    .bind(timestamp(Utc::now()))
    .execute(&state.db.pool)
    .await?
    .rows_affected()
        == 1;
    let mut conn = state.db.pool.acquire().await?;
    let row = blob_row(&mut conn, &blob.sha256, false).await?.ok_or_else(|| unknown(&blob.sha256))?;
    if row.0 != size || row.1 != blob.content_type {
        return Err(AppError::BlobInvalid(format!(
            "blob {} was announced as {} bytes of {}, not {} bytes of {}",
            blob.sha256, row.0, row.1, blob.size, blob.content_type
        )));
    }
    if inserted {
        tracing::info!(device = %auth.device_id, size = blob.size, "blob announced");
    }
    let code = if inserted { StatusCode::CREATED } else { StatusCode::OK };
    Ok(answer(code, status_of(&blob.sha256, &row)))
}

/// `GET /api/v1/blobs/{sha256}`.
pub async fn status(
    State(state): State<AppState>,
    _auth: AuthDevice,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    let mut conn = state.db.pool.acquire().await?;
    let row = blob_row(&mut conn, &sha256, false).await?.ok_or_else(|| unknown(&sha256))?;
    Ok(answer(StatusCode::OK, status_of(&sha256, &row)))
}

/// What one chunk came to.
enum Chunk {
    /// Stored (or nothing to do); the blob's status now.
    Stored { status: BlobStatus, bytes: u64, completed: bool, settled: SettledCounts },
    /// Refused before anything was written: `409 blob_offset` with the status.
    WrongOffset(BlobStatus),
    /// The whole did not hash right; the bytes were dropped (committed).
    Mismatch(BlobStatus),
}

/// `PATCH /api/v1/blobs/{sha256}`.
pub async fn upload(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(sha256): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    if !is_sha256_hex(&sha256) {
        return Err(unknown(&sha256));
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if !matches!(content_type.as_deref(), Some("application/offset+octet-stream" | "application/octet-stream")) {
        return Err(AppError::BlobInvalid(
            "a chunk is sent as application/offset+octet-stream (or application/octet-stream)".into(),
        ));
    }
    let offset = headers
        .get(&UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| AppError::BlobInvalid("the Upload-Offset header (a byte offset) is required".into()))?;
    let limit = usize::try_from(BLOB_CHUNK_BYTES).unwrap_or(usize::MAX);
    let too_large = || AppError::BlobTooLarge(format!("a chunk has at most {BLOB_CHUNK_BYTES} bytes"));
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BLOB_CHUNK_BYTES) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;

    let mut attempt = 1;
    let chunk = loop {
        match upload_in_transaction(&state, &auth, &sha256, offset, &bytes).await {
            Err(AppError::Database(e)) if attempt < UPLOAD_ATTEMPTS && state.db.is_transient(&e) => {
                tracing::info!(device = %auth.device_id, attempt, "blob chunk raced another transaction; running it again: {e}");
                attempt += 1;
            }
            other => break other?,
        }
    };
    Ok(match chunk {
        Chunk::Stored { status, bytes, completed, settled } => {
            state.metrics.blob_bytes_received(bytes);
            if completed {
                state.metrics.blob_finished(true);
                state.metrics.deferred_settled(settled.applied, settled.rejected, settled.held);
                tracing::info!(device = %auth.device_id, size = status.size, settled = settled.applied + settled.rejected + settled.held, "blob complete");
            }
            answer(StatusCode::OK, status)
        }
        Chunk::WrongOffset(status) => error_with_status(
            AppError::BlobOffset(format!(
                "the chunk starts at byte {offset}, but the server holds {} bytes of this blob: resume at offset {}",
                status.received, status.received
            )),
            &status,
        ),
        Chunk::Mismatch(status) => {
            state.metrics.blob_finished(false);
            tracing::warn!(device = %auth.device_id, "blob upload did not match its hash; dropped");
            error_with_status(
                AppError::BlobHashMismatch(
                    "the uploaded bytes do not hash to this SHA-256; the server dropped them: upload again from offset 0".into(),
                ),
                &status,
            )
        }
    })
}

async fn upload_in_transaction(
    state: &AppState,
    auth: &AuthDevice,
    sha256: &str,
    offset: u64,
    bytes: &[u8],
) -> Result<Chunk, AppError> {
    let backend = state.db.backend;
    let (mut tx, device) = state.db.begin_push(&auth.device_id.to_string()).await?;
    device.ok_or(AppError::UnknownDevice)?;
    let len = bytes.len() as u64;
    // The size never changes: read it first, to know whether this chunk completes the blob and
    // will settle mutations (then the feed's lock comes before the blob's row; see `feed::lock`).
    let (size, ..) = blob_row(&mut tx, sha256, false).await?.ok_or_else(|| unknown(sha256))?;
    let size = u64::try_from(size).map_err(|_| AppError::Internal("stored blob size".into()))?;
    let completes = offset.checked_add(len) == Some(size) && len > 0;
    if completes {
        feed::lock(&mut tx, backend).await?;
        lock_key(&mut tx, backend, &blob_key(sha256)).await?;
    }
    let row = blob_row(&mut tx, sha256, backend == Backend::Postgres).await?.ok_or_else(|| unknown(sha256))?;
    // Only the user who announced an upload sends its bytes: another device could not corrupt
    // it (the hash decides), but it could keep resetting it.
    let (owner,): (String,) = sqlx::query_as("SELECT d.username FROM blobs b JOIN devices d ON d.device_id = b.device_id WHERE b.sha256 = $1")
        .bind(sha256)
        .fetch_one(&mut *tx)
        .await?;
    if owner != auth.username {
        return Err(AppError::Forbidden("this upload was announced by another user; only their devices send its bytes".into()));
    }
    let status = status_of(sha256, &row);
    if status.complete {
        return Ok(Chunk::Stored { status, bytes: 0, completed: false, settled: SettledCounts::default() });
    }
    if offset != status.received {
        return Ok(Chunk::WrongOffset(status));
    }
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(AppError::BlobInvalid(format!(
            "the chunk ends at byte {}, past the blob's size ({size} bytes)",
            offset.saturating_add(len)
        )));
    }
    if len == 0 {
        return Ok(Chunk::Stored { status, bytes: 0, completed: false, settled: SettledCounts::default() });
    }
    let at = i64::try_from(offset).map_err(|_| AppError::Internal("offset range".into()))?;
    let received = i64::try_from(offset + len).map_err(|_| AppError::Internal("offset range".into()))?;
    sqlx::query("INSERT INTO blob_chunks (sha256, chunk_offset, data) VALUES ($1, $2, $3)")
        .bind(sha256)
        .bind(at)
        .bind(bytes.to_vec())
        .execute(&mut *tx)
        .await?;
    if !completes {
        sqlx::query("UPDATE blobs SET received = $1 WHERE sha256 = $2")
            .bind(received)
            .bind(sha256)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let status = BlobStatus { received: offset + len, ..status };
        return Ok(Chunk::Stored { status, bytes: len, completed: false, settled: SettledCounts::default() });
    }

    // The last chunk: check the whole.
    let content = read_content(&mut tx, sha256).await?;
    let digest: String = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
    if digest != sha256 {
        sqlx::query("DELETE FROM blob_chunks WHERE sha256 = $1").bind(sha256).execute(&mut *tx).await?;
        sqlx::query("UPDATE blobs SET received = 0 WHERE sha256 = $1").bind(sha256).execute(&mut *tx).await?;
        tx.commit().await?;
        return Ok(Chunk::Mismatch(BlobStatus { received: 0, ..status }));
    }
    sqlx::query("UPDATE blobs SET received = $1, complete = 1, completed_at = $2 WHERE sha256 = $3")
        .bind(received)
        .bind(timestamp(Utc::now()))
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
    let settings = crate::sales::settings(&mut tx).await?;
    let mut settler = Settler::new(backend, settings.as_ref());
    settler.run(&mut tx, vec![Settle::Blob(sha256.to_string())]).await?;
    let settled = settler.counts;
    tx.commit().await?;
    Ok(Chunk::Stored {
        status: BlobStatus { received: size, complete: true, ..status },
        bytes: len,
        completed: true,
        settled,
    })
}

/// The blob's bytes, its chunks in order.
async fn read_content(conn: &mut AnyConnection, sha256: &str) -> Result<Vec<u8>, AppError> {
    let chunks: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT data FROM blob_chunks WHERE sha256 = $1 ORDER BY chunk_offset")
            .bind(sha256)
            .fetch_all(&mut *conn)
            .await?;
    Ok(chunks.into_iter().flat_map(|(data,)| data).collect())
}

/// `GET /api/v1/blobs/{sha256}/content`.
pub async fn content(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    let mut conn = state.db.pool.acquire().await?;
    let row: Option<(String, i64, i64, String)> = sqlx::query_as(
        "SELECT b.content_type, b.size, b.complete, d.username FROM blobs b \
         JOIN devices d ON d.device_id = b.device_id WHERE b.sha256 = $1",
    )
    .bind(&sha256)
    .fetch_optional(&mut *conn)
    .await?;
    let (content_type, size, complete, owner) = row.ok_or_else(|| unknown(&sha256))?;
    if auth.role != Role::Supervisor && owner != auth.username {
        return Err(AppError::Forbidden(
            "only a supervisor or the user who uploaded a photo may download it".into(),
        ));
    }
    if complete != 1 {
        return Err(AppError::UnknownBlob(format!("blob {sha256} is not uploaded whole yet")));
    }
    let bytes = read_content(&mut conn, &sha256).await?;
    if i64::try_from(bytes.len()).ok() != Some(size) {
        return Err(AppError::Internal(format!("blob {sha256} holds {} bytes, not {size}", bytes.len())));
    }
    let content_type =
        HeaderValue::from_str(&content_type).map_err(|_| AppError::Internal("stored content type".into()))?;
    Ok((
        [(CONTENT_TYPE, content_type), (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff"))],
        bytes,
    )
        .into_response())
}
