//! `telemetry.report` in a push: a device's aggregates for a period (issue 21), stored once.
//!
//! The report is checked by core ([`check_report`]: buckets, attempt slots, period, storage
//! within reach of the quota), then against what the database holds (every count fits a
//! BIGINT); a refusal is `bad_telemetry` with the field core names. Applied, it writes one
//! `telemetry_reports` row (with the user's routes, `NULL` for a supervisor), its histograms'
//! non-empty buckets, the device's latest report, and adds its figures to the device's running
//! totals for `/metrics` ([`crate::metrics::telemetry`]), all in the push's transaction: a
//! replay is answered from the stored outcome and adds nothing.
//!
//! The same report (its `report_id`) sent again as a new mutation by the same device is applied
//! without a second row or count; by another device it is refused (`duplicate_report`).
//! `oldest_unsynced_at` is stored corrected by the push's clock offset, so the alert on work
//! unsynced for a day compares server times.

use satchel_core::sync::protocol::{Mutation, Outcome};
use satchel_core::telemetry::{check_report, storage_permille, Histogram, TelemetryReport};
use sqlx::AnyConnection;

use super::push::{Env, Rejection, Verdict};
use crate::auth::AuthDevice;
use crate::db::timestamp;
use crate::errors::AppError;
use crate::metrics::telemetry::{add, series, storage_bucket, Increment};

/// The code of a report core or the database cannot take.
pub const BAD_TELEMETRY: &str = "bad_telemetry";
/// The code of a report id another device already sent.
pub const DUPLICATE_REPORT: &str = "duplicate_report";

fn bad(field: &str, reason: String) -> Verdict {
    Verdict::Rejected(Rejection { code: BAD_TELEMETRY.into(), reason, field: Some(field.into()) })
}

/// A figure as stored, or the field it came from when it does not fit a BIGINT.
fn big(v: u64, field: &'static str) -> Result<i64, &'static str> {
    i64::try_from(v).map_err(|_| field)
}

/// The storage columns (used, quota), refused when they do not fit.
fn storage(r: &TelemetryReport) -> Result<(Option<i64>, Option<i64>), &'static str> {
    let used = r.storage_used.map(|v| big(v, "storage_used")).transpose()?;
    let quota = r.storage_quota.map(|v| big(v, "storage_quota")).transpose()?;
    Ok((used, quota))
}

/// Checks and stores a report (see the module's documentation).
pub(super) async fn apply(
    conn: &mut AnyConnection,
    env: &Env<'_>,
    auth: &AuthDevice,
    m: &Mutation,
    seq: i64,
    r: &TelemetryReport,
    at: &str,
) -> Result<Verdict, AppError> {
    if let Err(e) = check_report(r) {
        return Ok(bad(e.field(), e.to_string()));
    }
    let (used, quota) = match storage(r) {
        Ok(s) => s,
        Err(field) => return Ok(bad(field, format!("{field}: out of range"))),
    };
    let device = auth.device_id.to_string();
    let report_id = r.report_id.to_string();
    let seen: Option<(String,)> = sqlx::query_as("SELECT device_id FROM telemetry_reports WHERE report_id = $1")
        .bind(&report_id)
        .fetch_optional(&mut *conn)
        .await?;
    match seen {
        Some((owner,)) if owner == device => return Ok(Verdict::Applied(Outcome::Applied)),
        Some(_) => {
            return Ok(Verdict::Rejected(Rejection {
                code: DUPLICATE_REPORT.into(),
                reason: format!("report_id: report {report_id} was sent by another device"),
                field: Some("report_id".into()),
            }))
        }
        None => {}
    }
    let permille = storage_permille(r.storage_used, r.storage_quota);
    let oldest = r.oldest_unsynced_at.map(|t| {
        env.clock_offset_ms
            .and_then(|ms| t.checked_add_signed(chrono::Duration::milliseconds(ms)))
            .unwrap_or(t)
    });
    let routes = env
        .routes
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::Internal(format!("serialize routes: {e}")))?;
    let report = serde_json::to_string(r).map_err(|e| AppError::Internal(format!("serialize report: {e}")))?;
    let max_ack = i64::try_from(r.entry_to_ack.max_ms).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO telemetry_reports (report_id, device_id, seq, mutation_id, username, routes, period_from, period_to, \
         received_at, report, entry_to_ack_count, entry_to_ack_max, offline_count, app_starts, unlocks, force_closes, \
         storage_used, storage_quota, storage_permille, persisted, unsynced, oldest_unsynced_at, outage_completed, outage_failed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
    )
    .bind(&report_id)
    .bind(&device)
    .bind(seq)
    .bind(m.id.to_string())
    .bind(&auth.username)
    .bind(routes)
    .bind(timestamp(r.from))
    .bind(timestamp(r.to))
    .bind(at)
    .bind(report)
    .bind(i64::try_from(r.entry_to_ack.count()).unwrap_or(i64::MAX))
    .bind(max_ack)
    .bind(i64::try_from(r.offline.count()).unwrap_or(i64::MAX))
    .bind(i64::from(r.app_starts))
    .bind(i64::from(r.unlocks))
    .bind(i64::from(r.force_closes))
    .bind(used)
    .bind(quota)
    .bind(permille.map(i64::from))
    .bind(r.persisted.map(i64::from))
    .bind(i64::from(r.unsynced))
    .bind(oldest.map(timestamp))
    .bind(i64::from(r.outage_sales.completed))
    .bind(i64::from(r.outage_sales.failed))
    .execute(&mut *conn)
    .await?;
    for (name, h) in [("entry_to_ack", &r.entry_to_ack), ("offline", &r.offline)] {
        store_buckets(conn, &report_id, name, h).await?;
    }
    sqlx::query(
        "INSERT INTO telemetry_devices (device_id, report_id, seq) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id) DO UPDATE SET report_id = excluded.report_id, seq = excluded.seq \
         WHERE excluded.seq > telemetry_devices.seq",
    )
    .bind(&device)
    .bind(&report_id)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    add(conn, &device, &increments(r, permille)).await?;
    Ok(Verdict::Applied(Outcome::Applied))
}

/// A histogram's non-empty buckets as `telemetry_buckets` rows.
async fn store_buckets(conn: &mut AnyConnection, report_id: &str, name: &str, h: &Histogram) -> Result<(), AppError> {
    for (i, n) in h.counts.iter().enumerate().filter(|(_, n)| **n > 0) {
        sqlx::query("INSERT INTO telemetry_buckets (report_id, histogram, bucket, n) VALUES ($1, $2, $3, $4)")
            .bind(report_id)
            .bind(name)
            .bind(i64::try_from(i).map_err(|_| AppError::Internal("bucket range".into()))?)
            .bind(i64::try_from(*n).unwrap_or(i64::MAX))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What a report adds to its device's running totals.
fn increments(r: &TelemetryReport, permille: Option<u32>) -> Vec<Increment<'static>> {
    let mut out: Vec<Increment<'static>> = Vec::new();
    for (i, n) in r.entry_to_ack.counts.iter().enumerate() {
        out.push((series::ENTRY_TO_ACK, "", i, *n));
    }
    out.push((series::ENTRY_TO_ACK_SUM, "", 0, r.entry_to_ack.sum_ms));
    for (i, n) in r.offline.counts.iter().enumerate() {
        out.push((series::OFFLINE, "", i, *n));
    }
    out.push((series::OFFLINE_SUM, "", 0, r.offline.sum_ms));
    for (i, n) in r.attempts.iter().enumerate() {
        out.push((series::ATTEMPTS, "", i, *n));
    }
    if let Some(p) = permille {
        out.push((series::STORAGE, "", storage_bucket(u64::from(p)), 1));
        out.push((series::STORAGE_SUM, "", 0, u64::from(p)));
    }
    out.extend([
        (series::REPORTS, "", 0, 1),
        (series::APP_STARTS, "", 0, u64::from(r.app_starts)),
        (series::UNLOCKS, "", 0, u64::from(r.unlocks)),
        (series::FORCE_CLOSES, "", 0, u64::from(r.force_closes)),
        (series::OUTAGE_SALES, "completed", 0, u64::from(r.outage_sales.completed)),
        (series::OUTAGE_SALES, "failed", 0, u64::from(r.outage_sales.failed)),
    ]);
    out
}
