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
//! holds for a range the device knew of, so [`ranges_to_check`] first leaves out the ranges it
//! could not have taken numbers from when it reported: its register's receipt ranges (a device
//! reports its document ranges only), ranges leased after the report (the push that carried the
//! marks may have leased one), and ranges past the device's first unused number (a lease whose
//! answer was lost and was leased again: the device takes numbers oldest range first). And since
//! a device takes numbers in order and the server receives its changes in order, the highest
//! number received of a prefix means that every number the device took before it arrived.
//!
//! A device whose `last_seq` reached its committed sequence number misses nothing, documents
//! included: every number it had used when it reported was in one of those changes.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use satchel_core::sales::NumberRange;
use satchel_core::sync::marks::{self, missing_changes, missing_numbers, DeviceMarks, MissingWork};
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
        let ranges = ranges_to_check(&leases, &unused, &reported_at, receipts.as_deref());
        let (documents, documents_total) = missing_numbers(&ranges, &unused);
        if changes == 0 && documents_total == 0 {
            continue;
        }
        let device_id = Uuid::parse_str(&device_id).map_err(|e| AppError::Internal(format!("stored device id: {e}")))?;
        out.push(MissingWork { device_id, username, label, changes, documents, documents_total, last_contact: reported_at });
    }
    Ok(out)
}

fn unsigned(n: i64) -> Result<u64, AppError> {
    u64::try_from(n).map_err(|_| AppError::Internal("a stored sequence or document number is negative".into()))
}

/// One range leased to a device, as `number_ranges` holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leased {
    /// The range.
    pub range: NumberRange,
    /// The highest number of it the server received, if any.
    pub used_through: Option<u64>,
    /// When it was leased (a stored timestamp).
    pub leased_at: String,
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
                leased_at,
            })
        })
        .collect()
}

/// The device's leases it may have taken numbers from when it reported `unused` at
/// `reported_at`, each with how far the server holds it: what core's [`missing_numbers`] is
/// given (see the module's documentation for what is left out and why).
pub fn ranges_to_check(
    leases: &[Leased],
    unused: &[NumberRange],
    reported_at: &str,
    receipt_prefix: Option<&str>,
) -> Vec<(NumberRange, Option<u64>)> {
    let documents = || leases.iter().filter(|l| Some(l.range.prefix.as_str()) != receipt_prefix);
    // Per prefix: the highest number the server received, and the device's first unused one.
    let mut received: BTreeMap<&str, u64> = BTreeMap::new();
    for l in documents() {
        if let Some(u) = l.used_through {
            let h = received.entry(l.range.prefix.as_str()).or_default();
            *h = (*h).max(u);
        }
    }
    let first_unused = |prefix: &str| unused.iter().filter(|u| u.prefix == prefix && !u.is_empty()).map(|u| u.first).min();
    documents()
        .filter(|l| l.leased_at.as_str() <= reported_at)
        .filter(|l| first_unused(&l.range.prefix).is_none_or(|f| l.range.first <= f))
        .map(|l| {
            let highest = received.get(l.range.prefix.as_str()).copied().filter(|h| *h >= l.range.first);
            let through = match (highest.map(|h| h.min(l.range.last)), l.used_through) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            (l.range.clone(), through)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(prefix: &str, first: u64, last: u64) -> NumberRange {
        NumberRange { prefix: prefix.into(), first, last }
    }

    fn lease(first: u64, last: u64, used_through: Option<u64>, at: &str) -> Leased {
        Leased { range: r("SO-", first, last), used_through, leased_at: at.into() }
    }

    const T1: &str = "2026-01-01T08:00:00.000000Z";
    const T2: &str = "2026-01-01T09:00:00.000000Z";
    const T3: &str = "2026-01-01T10:00:00.000000Z";

    fn missing(leases: &[Leased], unused: &[NumberRange], reported_at: &str, receipts: Option<&str>) -> (Vec<String>, u64) {
        missing_numbers(&ranges_to_check(leases, unused, reported_at, receipts), unused)
    }

    #[test]
    fn numbers_past_what_the_server_received_are_missing() {
        let leases = [lease(1000, 1999, Some(1001), T1)];
        assert_eq!(missing(&leases, &[r("SO-", 1004, 1999)], T2, None), (vec!["SO-0001002".into(), "SO-0001003".into()], 2));
    }

    #[test]
    fn a_range_leased_by_the_push_that_carried_the_marks_is_not_counted() {
        // The push reported 1002 onwards unused, then ran low and was leased 2000-2999.
        let leases = [lease(1000, 1999, Some(1001), T1), lease(2000, 2999, None, T3)];
        assert_eq!(missing(&leases, &[r("SO-", 1002, 1999)], T2, None), (vec![], 0));
        // A device that used its whole range reports nothing unused: still not the new one.
        let leases = [lease(1000, 1999, Some(1997), T1), lease(2000, 2999, None, T3)];
        assert_eq!(missing(&leases, &[], T2, None), (vec!["SO-0001998".into(), "SO-0001999".into()], 2));
    }

    #[test]
    fn a_lease_whose_answer_was_lost_is_not_counted() {
        // 2000-2999 was leased but its answer lost; 3000-3999 was leased again and received.
        let leases = [lease(1000, 1999, Some(1850), T1), lease(2000, 2999, None, T1), lease(3000, 3999, None, T1)];
        let unused = [r("SO-", 1852, 1999), r("SO-", 3000, 3999)];
        assert_eq!(missing(&leases, &unused, T2, None), (vec!["SO-0001851".into()], 1));
        // Later the device moved on to 3000-3999 and the server received some of it: everything
        // the device took before was received, the lost lease included.
        let leases = [lease(1000, 1999, Some(1999), T1), lease(2000, 2999, None, T1), lease(3000, 3999, Some(3004), T1)];
        assert_eq!(missing(&leases, &[r("SO-", 3007, 3999)], T2, None), (vec!["SO-0003005".into(), "SO-0003006".into()], 2));
    }

    #[test]
    fn receipt_ranges_are_not_reported_so_not_counted() {
        let leases = [lease(1000, 1999, None, T1), Leased { range: r("R1-", 1, 1000), used_through: None, leased_at: T1.into() }];
        assert_eq!(missing(&leases, &[r("SO-", 1000, 1999)], T2, Some("R1-")), (vec![], 0));
    }
}
