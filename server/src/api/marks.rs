//! The devices' high-water marks (issue 20: "the server knows what it should have").
//!
//! Every push carries core's [`DeviceMarks`]: the highest sequence number the device has
//! committed and the document numbers it still holds unused. [`record`] keeps the highest per
//! device (`device_marks`), in a statement of its own before the push's batch is tried, so a push
//! whose batch then fails (out of sequence, unsealable, a server fault) still leaves them.
//!
//! What never arrived is computed, never stored ([`missing_for`]): the changes are the committed
//! sequence numbers past the device's `last_seq`, the document numbers come from core's
//! [`missing_numbers`] over the device's leases. Once the work arrives (the device syncs, or its
//! backup is recovered) the device is no longer listed. Used by the registration answer (the
//! user's other devices) and by `GET /api/v1/devices/missing` (a supervisor's, every device).
//!
//! Core reads a leased range that none of the device's unused ranges overlaps as used up. That
//! holds for a range the device knew of, so core's [`ranges_to_check`] first leaves out the ranges it
//! could not have taken numbers from when it reported: its register's receipt ranges (a device
//! reports its document ranges only), ranges leased after the report (the push that carried the
//! marks may have leased one), and ranges past the device's first unused number (a lease whose
//! answer was lost and was leased again: the device takes numbers oldest range first). And since
//! a device takes numbers in order and the server receives its changes in order, the highest
//! number received of a prefix means that every number the device took before it arrived.
//!
//! A device whose `last_seq` reached its committed sequence number misses nothing, documents
//! included: every number it had used when it reported was in one of those changes.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use satchel_core::sales::NumberRange;
use satchel_core::sync::marks::{self, missing_changes, missing_numbers, ranges_to_check, DeviceMarks, Leased, MissingWork};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::auth::AuthDevice;
use crate::db::timestamp;
use crate::errors::AppError;
use crate::AppState;

/// The answer of `GET /api/v1/devices/missing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingDevices {
    /// Every device with work the server does not hold, oldest `last_contact` first (the work
    /// waiting longest first).
    pub devices: Vec<MissingWork>,
}

/// Which devices [`missing_for`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Devices<'a> {
    /// Those of one user (a rep signing in again).
    OfUser(&'a str),
    /// Every device (a supervisor).
    All,
}

/// Checks a push's marks (`400 bad_marks`, field `marks`, when core refuses them).
pub fn check(m: &DeviceMarks) -> Result<(), AppError> {
    marks::check(m).map_err(|e| AppError::BadMarks(format!("the push's high-water marks are refused: {e}; nothing was applied")))
}

/// Records a device's marks as of `now`, keeping the highest: an older push arriving late does
/// not lower `committed_seq`; equal or higher marks replace the unused ranges and the time. One
/// statement, committed on its own, whatever becomes of the push's batch.
pub async fn record(pool: &AnyPool, device_id: Uuid, m: &DeviceMarks, now: DateTime<Utc>) -> Result<(), AppError> {
    let seq = i64::try_from(m.committed_seq).map_err(|_| AppError::BadMarks("the committed sequence number is too large".into()))?;
    let unused = serde_json::to_string(&m.unused_ranges).map_err(|e| AppError::Internal(format!("serialize marks: {e}")))?;
    sqlx::query(
        "INSERT INTO device_marks (device_id, committed_seq, unused_ranges, reported_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id) DO UPDATE SET committed_seq = excluded.committed_seq, \
         unused_ranges = excluded.unused_ranges, reported_at = excluded.reported_at \
         WHERE excluded.committed_seq >= device_marks.committed_seq",
    )
    .bind(device_id.to_string())
    .bind(seq)
    .bind(unused)
    .bind(timestamp(now))
    .execute(pool)
    .await?;
    Ok(())
}

/// `GET /api/v1/devices/missing`: a supervisor's full token only (`403 forbidden` otherwise).
pub async fn list(State(state): State<AppState>, auth: AuthDevice) -> Result<Json<MissingDevices>, AppError> {
    super::require_supervisor(&auth, "what devices have not sent")?;
    Ok(Json(MissingDevices { devices: missing_for(&state.db.pool, Devices::All).await? }))
}

/// A device with marks beyond what the server holds: devices, users, marks, the user's register.
type MarkedRow = (String, String, String, i64, i64, String, String, Option<String>);

/// The devices of `which` with work the server does not hold (changes or document numbers),
/// oldest `last_contact` first.
pub async fn missing_for(pool: &AnyPool, which: Devices<'_>) -> Result<Vec<MissingWork>, AppError> {
    let base = "SELECT d.device_id, d.username, d.label, d.last_seq, m.committed_seq, m.unused_ranges, m.reported_at, r.register \
                FROM device_marks m JOIN devices d ON d.device_id = m.device_id \
                LEFT JOIN user_registers r ON r.username = d.username \
                WHERE m.committed_seq > d.last_seq";
    let order = "ORDER BY m.reported_at, d.device_id";
    let rows: Vec<MarkedRow> = match which {
        Devices::OfUser(username) => {
            sqlx::query_as(&format!("{base} AND d.username = $1 {order}")).bind(username).fetch_all(pool).await?
        }
        Devices::All => sqlx::query_as(&format!("{base} {order}")).fetch_all(pool).await?,
    };
    let mut out = Vec::with_capacity(rows.len());
    for (device_id, username, label, last_seq, committed_seq, unused, reported_at, register) in rows {
        let unused: Vec<NumberRange> =
            serde_json::from_str(&unused).map_err(|e| AppError::Internal(format!("stored marks of {device_id}: {e}")))?;
        let changes = missing_changes(unsigned(committed_seq)?, unsigned(last_seq)?);
        let receipts = register.as_deref().map(satchel_core::pos::receipt_prefix);
        let leases = leases(pool, &device_id).await?;
        let ranges = ranges_to_check(&leases, &unused, parse_time(&reported_at)?, receipts.as_deref());
        let (documents, documents_total) = missing_numbers(&ranges, &unused);
        if changes == 0 && documents_total == 0 {
            continue;
        }
        let device_id = Uuid::parse_str(&device_id).map_err(|e| AppError::Internal(format!("stored device id: {e}")))?;
        out.push(MissingWork { device_id, username, label, changes, documents, documents_total, last_contact: reported_at });
    }
    Ok(out)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| AppError::Internal(format!("a stored time {text:?}: {e}")))
}

fn unsigned(n: i64) -> Result<u64, AppError> {
    u64::try_from(n).map_err(|_| AppError::Internal("a stored sequence or document number is negative".into()))
}

async fn leases(pool: &AnyPool, device_id: &str) -> Result<Vec<Leased>, AppError> {
    let rows: Vec<(String, i64, i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT prefix, first_number, last_number, used_through, leased_at FROM number_ranges \
         WHERE device_id = $1 ORDER BY first_number",
    )
    .bind(device_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(prefix, first, last, used, leased_at)| {
            Ok(Leased {
                range: NumberRange { prefix, first: unsigned(first)?, last: unsigned(last)? },
                used_through: used.map(unsigned).transpose()?,
                leased_at: parse_time(&leased_at)?,
            })
        })
        .collect()
}
