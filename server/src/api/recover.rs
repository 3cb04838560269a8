//! `POST /api/v1/sync/recover`: a device's unsynced work taken back from a backup file (issue 20:
//! nothing is lost when the browser wipes the app's storage).
//!
//! The body is core's [`Backup`]: the outbox of one device, each entry sealed to the server's key
//! and authenticated by that device's secret. It arrives after the rep signed in again (on a
//! new device, since the wiped browser registered afresh), or from a supervisor. The caller's
//! full token is required; the file is then
//!
//! 1. checked by core ([`backup::check`]): format, version, size, consecutive sequence numbers
//!    (`400` with core's code and field);
//! 2. matched to its device, which must be known (`404 unknown_device`, field `device_id`) and
//!    the caller's user's, unless the caller is a supervisor (`403 forbidden`);
//! 3. opened whole with that device's secret before anything is applied: one entry that does not
//!    open (changed, another device's, moved to another number) refuses the file
//!    (`400 backup_tampered`, field `entries[i]`);
//! 4. refused if it starts after a gap in what the server holds of that device
//!    (`409 out_of_sequence`: an older file holds the changes between);
//! 5. applied in push-sized batches through the push's own path, as that device
//!    ([`push::apply_push`]): exactly once, so what the server already holds (pushed before the
//!    wipe, or an earlier upload of the same file) is answered `duplicate`, and dependencies are
//!    respected. No numbers are leased to the old device.
//!
//! Each batch is one transaction. If a later batch fails (a server fault), the earlier ones stay
//! applied and the answer is the error; uploading the file again answers them `duplicate` and
//! applies the rest.
//!
//! The body may be large, so this route alone accepts [`BODY_LIMIT`] bytes; the token is checked
//! before the body is read.

use axum::extract::State;
use axum::Json;
use satchel_core::sync::backup::{self, Backup, RecoverResponse};
use satchel_core::sync::protocol::{PushRequest, MAX_BATCH};
use uuid::Uuid;

use super::push::{self, Leases};
use super::JsonBody;
use crate::auth::{AuthDevice, Role, Scope};
use crate::errors::{local_codes, AppError};
use crate::AppState;

/// Largest body this route accepts, in bytes (32 MiB; every other route takes
/// [`super::BODY_LIMIT`], 1 MiB). A sealed one-line sales order takes about 1.8 KB of the file,
/// so this holds some 18,000 of them, room for core's
/// [`MAX_BACKUP_ENTRIES`](backup::MAX_BACKUP_ENTRIES) (10,000) of longer orders. A
/// larger body is `413 body_too_large`, before any of it is parsed.
pub const BODY_LIMIT: usize = 32 << 20;

/// Handles an upload. `auth` is not a `Result`: a caller without a full token is refused before
/// the (possibly large) body is read.
pub async fn recover(
    State(state): State<AppState>,
    auth: AuthDevice,
    body: Result<JsonBody<Backup, BODY_LIMIT, true>, AppError>,
) -> Result<Json<RecoverResponse>, AppError> {
    let JsonBody(backup) = body?;
    backup::check(&backup)?;
    let device_id = backup.device_id;
    let owner = owner_of(&state, &auth, device_id).await?;
    let mutations = push::open_sealed(&state, device_id, &backup.entries)
        .await
        .map_err(|e| tampered(e, device_id))?;
    continues(&owner, &backup)?;
    let mut results = Vec::with_capacity(mutations.len());
    let mut mutations = mutations.into_iter();
    loop {
        let batch: Vec<_> = mutations.by_ref().take(MAX_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        let req = PushRequest {
            device_id,
            mutations: batch,
            sealed: Vec::new(),
            numbers_left: None,
            receipts_left: None,
            sent_at: None,
            marks: None,
        };
        results.extend(push::apply_push(&state, &owner.auth, req, Leases::Keep).await?.results);
    }
    let summary = backup::summarize(device_id, &results);
    state.metrics.recovered(&summary);
    tracing::info!(
        caller = %auth.device_id,
        device = %device_id,
        total = summary.total,
        applied = summary.applied,
        duplicate = summary.duplicate,
        rejected = summary.rejected,
        waiting = summary.waiting,
        "recovered a backup"
    );
    Ok(Json(RecoverResponse { summary, results }))
}

/// The device a backup is of, as the push would authenticate it, and how far the server holds
/// its work.
struct Owner {
    auth: AuthDevice,
    last_seq: u64,
}

/// Finds the backup's device and checks that `caller` may recover its work: the same user, or a
/// supervisor.
async fn owner_of(state: &AppState, caller: &AuthDevice, device_id: Uuid) -> Result<Owner, AppError> {
    let row: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT d.username, u.role, d.last_seq FROM devices d JOIN users u ON u.username = d.username \
         WHERE d.device_id = $1",
    )
    .bind(device_id.to_string())
    .fetch_optional(&state.db.pool)
    .await?;
    let (username, role, last_seq) = row.ok_or(AppError::UnknownBackupDevice)?;
    if username != caller.username && caller.role != Role::Supervisor {
        return Err(AppError::Forbidden(
            "only the user of the device this backup is of, or a supervisor, may recover its work".into(),
        ));
    }
    let last_seq = u64::try_from(last_seq).map_err(|_| AppError::Internal("negative last_seq".into()))?;
    let auth = AuthDevice { device_id, username, role: Role::from_db(&role), scope: Scope::PushOnly };
    Ok(Owner { auth, last_seq })
}

/// An entry that does not open refuses the whole file, as tampered. (A device that vanished
/// since [`owner_of`] is not the caller's token: never `401`.)
fn tampered(e: AppError, device_id: Uuid) -> AppError {
    match e {
        AppError::UnknownDevice => AppError::UnknownBackupDevice,
        AppError::Unsealable { index, reason } => AppError::BackupRefused {
            code: local_codes::BACKUP_TAMPERED,
            field: format!("entries[{index}]"),
            message: format!(
                "entry {index} of this backup file does not open ({reason}): the file was changed, or was not made \
                 by device {device_id}; nothing of it was applied"
            ),
        },
        other => other,
    }
}

/// A file that starts after the next change the server expects of its device leaves a gap: the
/// changes between were never received, and are in an older file if anywhere. (The push would
/// refuse the first batch the same way; this says why in the words of a backup.)
fn continues(owner: &Owner, backup: &Backup) -> Result<(), AppError> {
    let first = backup.entries.first().map_or(0, |e| e.seq);
    let expected = owner.last_seq.saturating_add(1);
    if first > expected {
        return Err(AppError::OutOfSequence(format!(
            "this backup file starts at change {first} of its device, but the server holds its work only up to \
             change {}: the changes between are missing (recover the older backup file first); nothing was applied",
            owner.last_seq
        )));
    }
    Ok(())
}
