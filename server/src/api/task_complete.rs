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
//! A stop of a delivery day (`day` set) is checked by [`super::day_stop`] between steps 1 and 2
//! (its signature reference with the photos'); an unplanned stop whose task the server does not
//! know passes step 2 with the task it creates, and its signature waits like a photo in step 4.
//!
//! Applying marks the task done (`completed_by` the mutation, `completed_at` the device's time,
//! the note and photos), except for a skipped stop, which leaves it open; writes a stop's row;
//! and records the change in the feed for the assignee's devices.

use chrono::DateTime;
use satchel_core::delivery::StopOutcome;
use satchel_core::sync::blobs;
use satchel_core::sync::protocol::rejection_codes::{BLOB_INVALID, NOTE_TOO_LONG, TASK_CLOSED, UNKNOWN_TASK};
use satchel_core::sync::protocol::{BlobRef, Entity, Mutation, Outcome, TaskCompletion};
use satchel_core::sync::tasks::{self, CompletionError};
use sqlx::AnyConnection;

use super::day_stop;
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
pub(super) fn shown(at: &str) -> String {
    DateTime::parse_from_rfc3339(at).map_or_else(|_| at.to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Checks blob references other than a completion's photos (a signature) with core's rule:
/// one the server would not accept is `blob_invalid`, named by its field.
pub(super) fn check_blob_refs(refs: &[(String, &BlobRef)]) -> Result<(), Rejection> {
    for (field, blob) in refs {
        if let Err(e) = blobs::check(blob) {
            let field = format!("{field}.{}", e.field());
            return Err(reject(BLOB_INVALID, field.clone(), format!("{field}: {e}")));
        }
    }
    Ok(())
}

/// Whether the blobs `refs` names (field, reference) are here: announced with the same size and
/// type (else `blob_invalid`, named by its field) and uploaded whole. Answers the
/// `blob:<sha256>` keys of those still uploading (empty: all here). Takes each blob's key lock
/// first (see `deferred`), so an upload that completes one settles this mutation or is seen.
pub(super) async fn blobs_ready(
    conn: &mut AnyConnection,
    backend: Backend,
    refs: &[(String, &BlobRef)],
) -> Result<Result<Vec<String>, Rejection>, AppError> {
    let mut locked: Vec<&str> = refs.iter().map(|(_, p)| p.sha256.as_str()).collect();
    locked.sort_unstable();
    locked.dedup();
    for sha in locked {
        lock_key(conn, backend, &blob_key(sha)).await?;
    }
    let mut keys: Vec<String> = Vec::new();
    for (field, p) in refs {
        let blob: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT size, content_type, complete FROM blobs WHERE sha256 = $1")
                .bind(&p.sha256)
                .fetch_optional(&mut *conn)
                .await?;
        match blob {
            Some((size, content_type, _)) if u64::try_from(size).ok() != Some(p.size) || content_type != p.content_type => {
                return Ok(Err(reject(
                    BLOB_INVALID,
                    field.clone(),
                    format!(
                        "{field}: the blob was uploaded as {size} bytes of {content_type}, not {} bytes of {}",
                        p.size, p.content_type
                    ),
                )));
            }
            Some((_, _, 1)) => {}
            _ => {
                let key = blob_key(&p.sha256);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    Ok(Ok(keys))
}

/// The blobs a completion names: its photos, and a stop's signature.
pub(super) fn blob_refs(c: &TaskCompletion) -> Vec<(String, &BlobRef)> {
    let mut refs: Vec<(String, &BlobRef)> = c.photos.iter().enumerate().map(|(i, p)| (format!("photos[{i}]"), p)).collect();
    if let Some(sig) = c.day.as_ref().and_then(|d| d.signature.as_ref()) {
        refs.push(("day.signature".into(), sig));
    }
    refs
}

/// The task a completion is for, as read (locked) before applying it.
struct TaskRow {
    assignee: String,
    outlet_id: String,
    status: String,
    completed_at: Option<String>,
    updated_at: String,
    /// Not stored yet: an unplanned stop's task, created when the stop is applied.
    new_title: Option<String>,
}

/// Checks a completion and, when it is acceptable and its photos (and a stop's signature) are
/// all here, applies it.
pub(super) async fn check_and_apply(
    conn: &mut AnyConnection,
    backend: Backend,
    routes: Option<&[String]>,
    auth: &AuthDevice,
    m: &Mutation,
    c: &TaskCompletion,
    at: &str,
) -> Result<Verdict, AppError> {
    if let Err(rej) = check_photos(c) {
        return Ok(Verdict::Rejected(rej));
    }
    let refs = blob_refs(c);
    if let Err(rej) = check_blob_refs(&refs[c.photos.len()..]) {
        return Ok(Verdict::Rejected(rej));
    }
    // The feed's lock before the task's row (see `feed::lock`).
    feed::lock(conn, backend).await?;
    let day = match &c.day {
        None => None,
        Some(stop) => match day_stop::check(conn, backend, auth, &c.task_id, stop).await? {
            Ok(day) => Some(day),
            Err(rej) => return Ok(Verdict::Rejected(rej)),
        },
    };
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String, String, String, Option<String>, String)> = sqlx::query_as(&format!(
        "SELECT assignee, outlet_id, status, completed_at, updated_at FROM tasks WHERE id = $1{lock}"
    ))
    .bind(&c.task_id)
    .fetch_optional(&mut *conn)
    .await?;
    let unplanned_at = c.day.as_ref().and_then(|d| d.unplanned_at.as_deref());
    let task = match (row, unplanned_at) {
        (Some((assignee, outlet_id, status, completed_at, updated_at)), _) if assignee == auth.username => {
            TaskRow { assignee, outlet_id, status, completed_at, updated_at, new_title: None }
        }
        (None, Some(outlet)) => match day_stop::unplanned_outlet(conn, routes, outlet).await? {
            Ok(name) => TaskRow {
                assignee: auth.username.clone(),
                outlet_id: outlet.to_string(),
                status: "open".into(),
                completed_at: None,
                updated_at: at.to_string(),
                new_title: Some(format!("Unplanned stop at {name}")),
            },
            Err(rej) => return Ok(Verdict::Rejected(rej)),
        },
        _ => {
            return Ok(Verdict::Rejected(reject(
                UNKNOWN_TASK,
                "task_id".into(),
                format!("task_id: task {:?} does not exist or is not assigned to you", c.task_id),
            )))
        }
    };
    match task.status.as_str() {
        "open" => {}
        "cancelled" => {
            return Ok(Verdict::Rejected(reject(
                TASK_CLOSED,
                "task_id".into(),
                format!("task_id: task {} was cancelled by the office on {}", c.task_id, shown(&task.updated_at)),
            )))
        }
        _ => {
            let when = task.completed_at.as_deref().map_or_else(|| shown(&task.updated_at), shown);
            return Ok(Verdict::Rejected(reject(
                TASK_CLOSED,
                "task_id".into(),
                format!("task_id: task {} was already completed on {when}", c.task_id),
            )));
        }
    }

    // The photos and a stop's signature: announced alike, and uploaded whole.
    match blobs_ready(conn, backend, &refs).await? {
        Err(rej) => return Ok(Verdict::Rejected(rej)),
        Ok(keys) if !keys.is_empty() => return Ok(Verdict::WaitBlobs(keys)),
        Ok(_) => {}
    }

    if let Some(title) = &task.new_title {
        sqlx::query(
            "INSERT INTO tasks (id, outlet_id, assignee, kind, title, details, due_date, status, photos, updated_at, items) \
             VALUES ($1, $2, $3, 'delivery', $4, '', NULL, 'open', '[]', $5, '[]')",
        )
        .bind(&c.task_id)
        .bind(&task.outlet_id)
        .bind(&task.assignee)
        .bind(title)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    // A skipped stop leaves its task open (it can be planned again); any other completion closes it.
    let skipped = matches!(c.day.as_ref().map(|d| &d.outcome), Some(StopOutcome::Skipped { .. }));
    if skipped {
        sqlx::query("UPDATE tasks SET updated_at = $1 WHERE id = $2").bind(at).bind(&c.task_id).execute(&mut *conn).await?;
    } else {
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
    }
    if let (Some(day), Some(stop)) = (&day, &c.day) {
        day_stop::record(conn, auth, m, c, stop, day, &task.outlet_id, at).await?;
    }
    feed::record(conn, Entity::Task, &c.task_id, feed::Scope::User(&task.assignee), false).await?;
    tracing::info!(task = %c.task_id, by = %auth.username, photos = c.photos.len(), stop = c.day.is_some(), skipped, "task completed");
    Ok(Verdict::Applied(Outcome::Applied))
}
