//! `task.complete`: a rep completes a task the office assigned, with a note and photos.
//!
//! The check, in order (the first failure rejects the mutation, naming the field):
//! 1. Core's rule (`satchel_core::sync::tasks::check_completion`, which the device applies
//!    too): at most 8 photos, each a well-formed reference (SHA-256, 1 byte to
//!    `MAX_BLOB_BYTES`, JPEG, PNG or WebP), else `blob_invalid` (`photos[i]…`); a note of at
//!    most 2,000 characters, else `note_too_long` (`note`).
//! 2. The task exists and is assigned to the token's user, else `unknown_task` (`task_id`).
//! 3. The task is open, else `task_closed` (`task_id`): cancelled by the office, or already
//!    completed, with when.
//! 4. Every photo's blob is announced with the same size and type (else `blob_invalid`) and
//!    uploaded whole; when one is not, the mutation is deferred until it is (`blob:<sha256>`).
//!
//! Applying marks the task done (`completed_by` the mutation, `completed_at` the device's time,
//! the note and photos) and records the change in the feed for the assignee's devices.

use chrono::DateTime;
use satchel_core::sync::protocol::rejection_codes::{BLOB_INVALID, NOTE_TOO_LONG, TASK_CLOSED, UNKNOWN_TASK};
use satchel_core::sync::tasks::{self, CompletionError};
use satchel_core::sync::protocol::{
    Entity, Mutation, Outcome, TaskCompletion,
};
use sqlx::AnyConnection;

use super::deferred::{blob_key, lock_key};
use super::push::{Rejection, Verdict};
use crate::auth::AuthDevice;
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::feed;

fn reject(code: &str, field: String, reason: String) -> Rejection {
    Rejection { code: code.into(), reason, field: Some(field) }
}

/// Checks the note and the photo references on their own (step 1), with core's rule: a photo
/// reference the server would not accept is `blob_invalid`, a note too long `note_too_long`.
pub(super) fn check_photos(c: &TaskCompletion) -> Result<(), Rejection> {
    tasks::check_completion(c).map_err(|e| {
        let field = e.field();
        match e {
            CompletionError::NoteTooLong { .. } => reject(NOTE_TOO_LONG, field.clone(), format!("{field}: {e}")),
            CompletionError::Photo { error, .. } => reject(BLOB_INVALID, field.clone(), format!("{field}: {error}")),
            CompletionError::TooManyPhotos { .. } => reject(BLOB_INVALID, field.clone(), format!("{field}: {e}")),
        }
    })
}

/// A stored timestamp as a rep reads it: `2026-11-22 10:04 UTC`.
fn shown(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map_or_else(|_| at.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Checks a completion and, when it is acceptable and its photos are all here, applies it.
pub(super) async fn check_and_apply(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    m: &Mutation,
    c: &TaskCompletion,
    at: &str,
) -> Result<Verdict, AppError> {
    if let Err(rej) = check_photos(c) {
        return Ok(Verdict::Rejected(rej));
    }
    // The feed's lock before the task's row (see `feed::lock`).
    feed::lock(conn, backend).await?;
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let task: Option<(String, String, Option<String>, String)> = sqlx::query_as(&format!(
        "SELECT assignee, status, completed_at, updated_at FROM tasks WHERE id = $1{lock}"
    ))
    .bind(&c.task_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((assignee, status, completed_at, updated_at)) = task.filter(|t| t.0 == auth.username) else {
        return Ok(Verdict::Rejected(reject(
            UNKNOWN_TASK,
            "task_id".into(),
            format!("task_id: task {:?} does not exist or is not assigned to you", c.task_id),
        )));
    };
    match status.as_str() {
        "open" => {}
        "cancelled" => {
            return Ok(Verdict::Rejected(reject(
                TASK_CLOSED,
                "task_id".into(),
                format!("task_id: task {} was cancelled by the office on {}", c.task_id, shown(&updated_at)),
            )))
        }
        _ => {
            let when = completed_at.as_deref().map_or_else(|| shown(&updated_at), shown);
            return Ok(Verdict::Rejected(reject(
                TASK_CLOSED,
                "task_id".into(),
                format!("task_id: task {} was already completed on {when}", c.task_id),
            )));
        }
    }

    // The photos: announced alike, and uploaded whole.
    let mut keys: Vec<String> = Vec::new();
    let mut locked: Vec<&str> = c.photos.iter().map(|p| p.sha256.as_str()).collect();
    locked.sort_unstable();
    locked.dedup();
    for sha in locked {
        lock_key(conn, backend, &blob_key(sha)).await?;
    }
    for (i, p) in c.photos.iter().enumerate() {
        let blob: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT size, content_type, complete FROM blobs WHERE sha256 = $1")
                .bind(&p.sha256)
                .fetch_optional(&mut *conn)
                .await?;
        match blob {
            Some((size, content_type, _)) if u64::try_from(size).ok() != Some(p.size) || content_type != p.content_type => {
                let field = format!("photos[{i}]");
                return Ok(Verdict::Rejected(reject(
                    BLOB_INVALID,
                    field.clone(),
                    format!(
                        "{field}: the photo was uploaded as {size} bytes of {content_type}, not {} bytes of {}",
                        p.size, p.content_type
                    ),
                )));
            }
            Some((_, _, 1)) => {}
            _ => keys.push(blob_key(&p.sha256)),
        }
    }
    if !keys.is_empty() {
        return Ok(Verdict::WaitBlobs(keys));
    }

    let photos = serde_json::to_string(&c.photos).map_err(|e| AppError::Internal(format!("serialize photos: {e}")))?;
    sqlx::query(
        "UPDATE tasks SET status = 'done', completed_by = $1, completed_at = $2, note = $3, photos = $4, updated_at = $5 \
         WHERE id = $6",
    )
    .bind(m.id.to_string())
    .bind(timestamp(c.completed_at))
    .bind(&c.note)
    .bind(photos)
    .bind(at)
    .bind(&c.task_id)
    .execute(&mut *conn)
    .await?;
    feed::record(conn, Entity::Task, &c.task_id, feed::Scope::User(&assignee), false).await?;
    tracing::info!(task = %c.task_id, by = %auth.username, photos = c.photos.len(), "task completed");
    Ok(Verdict::Applied(Outcome::Applied))
}
