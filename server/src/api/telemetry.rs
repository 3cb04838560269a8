//! `GET /api/v1/telemetry/dashboard`: the supervisor's field telemetry (issue 21), computed from
//! the orders the server applied (`entry_latency`) and the reports devices sent
//! (`telemetry_reports`), over the last [`DAYS`] UTC days (today included). Percentiles come from
//! core's [`Histogram`], so they are those of the raw samples within one bucket.
//!
//! A supervisor's full token only: anyone else gets `403 forbidden`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use satchel_core::telemetry::{bucket_bounds, Histogram, BUCKETS};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use crate::auth::AuthDevice;
use crate::db::timestamp;
use crate::errors::AppError;
use crate::AppState;

/// How many UTC days the dashboard covers, today included.
pub const DAYS: i64 = 7;

/// Entry to server on one UTC day (the day the server applied the orders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct LatencyDay {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Orders (and receipts) applied that day.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub count: u64,
    /// The median entry-to-server time in ms; `null` without orders.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub p50_ms: Option<u64>,
    /// The 95th percentile in ms; `null` without orders.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub p95_ms: Option<u64>,
}

/// One bucket of a duration histogram: the samples above `above_ms` and at most `up_to_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DurationBucket {
    /// The lower bound (exclusive), in ms.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub above_ms: u64,
    /// The upper bound (inclusive), in ms; `null` for the last bucket (no bound).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub up_to_ms: Option<u64>,
    /// How many samples.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub count: u64,
}

/// One device, from its latest report and its reports of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DeviceTelemetry {
    /// The device.
    pub device_id: String,
    /// Its user.
    pub username: String,
    /// The label given at registration.
    pub label: String,
    /// When its latest report was applied (server clock).
    pub last_report_at: String,
    /// Mutations unsynced when its latest report was made.
    pub unsynced: u32,
    /// When the oldest of them was committed (corrected to the server's clock); `null` when none.
    pub oldest_unsynced_at: Option<String>,
    /// Force-closes reported over the period.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub force_closes: u64,
    /// Storage used, in bytes (latest report), when known.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub storage_used: Option<u64>,
    /// The storage quota, in bytes (latest report), when known.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub storage_quota: Option<u64>,
    /// Used over quota, in permille, when both are known.
    pub storage_permille: Option<u32>,
    /// Whether the browser granted persistent storage, when known.
    pub persisted: Option<bool>,
    /// The 95th percentile of entry to acknowledgement over the period, in ms (device clock);
    /// `null` when nothing was acknowledged.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub entry_to_ack_p95_ms: Option<u64>,
}

/// Orders recorded the day they happened, on one route, over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct SameDayRoute {
    /// The route (of the order's outlet).
    pub route: String,
    /// Orders (and receipts) applied.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub orders: u64,
    /// Of those, applied on their business date.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub same_day: u64,
    /// `same_day` over `orders`, in permille; `null` without orders.
    pub rate_permille: Option<u32>,
}

/// The counter's sales while devices were offline, over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct OutageSalesSummary {
    /// Completed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub completed: u64,
    /// Failed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub failed: u64,
    /// `completed` over both, in permille; `null` without any.
    pub success_permille: Option<u32>,
}

/// The dashboard's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct TelemetryDashboard {
    /// Entry to server per UTC day over the last 7 (`DAYS`), oldest first, today last.
    pub latency_by_day: Vec<LatencyDay>,
    /// The offline spans of the period's reports, merged: every bucket, in order.
    pub offline_spans: Vec<DurationBucket>,
    /// Every device that ever reported, oldest unsynced work first (then those with none, by
    /// user and device).
    pub devices: Vec<DeviceTelemetry>,
    /// Same-day recording by route, by route name.
    pub same_day_by_route: Vec<SameDayRoute>,
    /// The counter during outages.
    pub outage_sales: OutageSalesSummary,
    /// When this was computed (server clock).
    pub generated_at: String,
}

fn internal(what: &str) -> impl Fn(std::num::TryFromIntError) -> AppError + '_ {
    move |_| AppError::Internal(format!("stored {what} out of range"))
}

fn unsigned(n: i64, what: &str) -> Result<u64, AppError> {
    u64::try_from(n).map_err(internal(what))
}

fn slot(bucket: i64) -> Option<usize> {
    usize::try_from(bucket).ok().filter(|b| *b < BUCKETS)
}

/// `part` over `whole` in permille, `None` when `whole` is 0.
pub fn permille(part: u64, whole: u64) -> Option<u32> {
    (whole > 0).then(|| u32::try_from(part.saturating_mul(1000) / whole).unwrap_or(u32::MAX))
}

/// `GET /api/v1/telemetry/dashboard`.
pub async fn dashboard(State(state): State<AppState>, auth: AuthDevice) -> Result<Json<TelemetryDashboard>, AppError> {
    super::require_supervisor(&auth, "the field telemetry")?;
    Ok(Json(compute(&state.db.pool, Utc::now()).await?))
}

/// The dashboard as of `now`.
pub async fn compute(pool: &AnyPool, now: DateTime<Utc>) -> Result<TelemetryDashboard, AppError> {
    let today = now.date_naive();
    let first = today - Duration::days(DAYS - 1);
    let since = timestamp(first.and_time(chrono::NaiveTime::MIN).and_utc());
    let (outage_sales, devices) = devices(pool, &since).await?;
    Ok(TelemetryDashboard {
        latency_by_day: latency_by_day(pool, first, today).await?,
        offline_spans: offline_spans(pool, &since).await?,
        devices,
        same_day_by_route: same_day(pool, first).await?,
        outage_sales,
        generated_at: timestamp(now),
    })
}

async fn latency_by_day(pool: &AnyPool, first: NaiveDate, today: NaiveDate) -> Result<Vec<LatencyDay>, AppError> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT applied_on, bucket, COUNT(*), MAX(latency_ms) FROM entry_latency WHERE applied_on >= $1 GROUP BY applied_on, bucket",
    )
    .bind(first.to_string())
    .fetch_all(pool)
    .await?;
    let mut days: BTreeMap<String, Histogram> = BTreeMap::new();
    for (day, bucket, n, max) in rows {
        let h = days.entry(day).or_default();
        if let Some(c) = slot(bucket).and_then(|b| h.counts.get_mut(b)) {
            *c = c.saturating_add(unsigned(n, "order count")?);
        }
        h.max_ms = h.max_ms.max(unsigned(max, "latency")?);
    }
    Ok(first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|d| {
            let day = d.to_string();
            let h = days.remove(&day).unwrap_or_default();
            LatencyDay { day, count: h.count(), p50_ms: h.percentile(500), p95_ms: h.percentile(950) }
        })
        .collect())
}

async fn offline_spans(pool: &AnyPool, since: &str) -> Result<Vec<DurationBucket>, AppError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT b.bucket, CAST(SUM(b.n) AS BIGINT) FROM telemetry_buckets b JOIN telemetry_reports r ON r.report_id = b.report_id \
         WHERE b.histogram = 'offline' AND r.received_at >= $1 GROUP BY b.bucket",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    let mut counts = vec![0u64; BUCKETS];
    for (bucket, n) in rows {
        if let Some(c) = slot(bucket).and_then(|b| counts.get_mut(b)) {
            *c = unsigned(n, "offline count")?;
        }
    }
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| {
            let (above_ms, up_to) = bucket_bounds(i);
            DurationBucket { above_ms, up_to_ms: (up_to != u64::MAX).then_some(up_to), count }
        })
        .collect())
}

/// What the period's reports say of one device: force-closes, entry to acknowledgement.
#[derive(Default)]
struct Period {
    force_closes: u64,
    entry_to_ack: Histogram,
}

async fn devices(pool: &AnyPool, since: &str) -> Result<(OutageSalesSummary, Vec<DeviceTelemetry>), AppError> {
    let sums: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT device_id, CAST(SUM(force_closes) AS BIGINT), MAX(entry_to_ack_max), CAST(SUM(outage_completed) AS BIGINT), \
         CAST(SUM(outage_failed) AS BIGINT) FROM telemetry_reports WHERE received_at >= $1 GROUP BY device_id",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    let mut period: BTreeMap<String, Period> = BTreeMap::new();
    let (mut completed, mut failed) = (0u64, 0u64);
    for (device, force_closes, max_ack, ok, failures) in sums {
        let p = period.entry(device).or_default();
        p.force_closes = unsigned(force_closes, "force closes")?;
        p.entry_to_ack.max_ms = unsigned(max_ack, "entry to ack")?;
        completed = completed.saturating_add(unsigned(ok, "outage sales")?);
        failed = failed.saturating_add(unsigned(failures, "outage sales")?);
    }
    let buckets: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT r.device_id, b.bucket, CAST(SUM(b.n) AS BIGINT) FROM telemetry_buckets b JOIN telemetry_reports r ON r.report_id = b.report_id \
         WHERE b.histogram = 'entry_to_ack' AND r.received_at >= $1 GROUP BY r.device_id, b.bucket",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    for (device, bucket, n) in buckets {
        let h = &mut period.entry(device).or_default().entry_to_ack;
        if let Some(c) = slot(bucket).and_then(|b| h.counts.get_mut(b)) {
            *c = unsigned(n, "entry to ack count")?;
        }
    }
    type Latest = (String, String, String, String, i64, Option<String>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let rows: Vec<Latest> = sqlx::query_as(
        "SELECT t.device_id, d.username, d.label, r.received_at, r.unsynced, r.oldest_unsynced_at, r.storage_used, r.storage_quota, \
         r.storage_permille, r.persisted FROM telemetry_devices t JOIN telemetry_reports r ON r.report_id = t.report_id \
         JOIN devices d ON d.device_id = t.device_id",
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (device_id, username, label, last_report_at, unsynced, oldest, used, quota, permille, persisted) in rows {
        let p = period.remove(&device_id).unwrap_or_default();
        let unsynced = u32::try_from(unsynced).map_err(internal("unsynced"))?;
        out.push(DeviceTelemetry {
            device_id,
            username,
            label,
            last_report_at,
            unsynced,
            oldest_unsynced_at: oldest.filter(|_| unsynced > 0),
            force_closes: p.force_closes,
            storage_used: used.map(|v| unsigned(v, "storage used")).transpose()?,
            storage_quota: quota.map(|v| unsigned(v, "storage quota")).transpose()?,
            storage_permille: permille.map(|v| u32::try_from(v).map_err(internal("storage permille"))).transpose()?,
            persisted: persisted.map(|v| v != 0),
            entry_to_ack_p95_ms: p.entry_to_ack.percentile(950),
        });
    }
    // Oldest unsynced work first; devices with none after, by user and device.
    out.sort_by(|a, b| {
        let key = |d: &DeviceTelemetry| (d.oldest_unsynced_at.is_none(), d.oldest_unsynced_at.clone(), d.username.clone(), d.device_id.clone());
        key(a).cmp(&key(b))
    });
    let outage = OutageSalesSummary { completed, failed, success_permille: permille(completed, completed.saturating_add(failed)) };
    Ok((outage, out))
}

async fn same_day(pool: &AnyPool, first: NaiveDate) -> Result<Vec<SameDayRoute>, AppError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT route, COUNT(*), CAST(SUM(same_day) AS BIGINT) FROM entry_latency WHERE applied_on >= $1 GROUP BY route ORDER BY route",
    )
    .bind(first.to_string())
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(route, orders, same)| {
            let (orders, same_day) = (unsigned(orders, "orders")?, unsigned(same, "same-day orders")?);
            Ok(SameDayRoute { route, orders, same_day, rate_permille: permille(same_day, orders) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_in_permille() {
        assert_eq!(permille(0, 0), None);
        assert_eq!(permille(2, 3), Some(666));
        assert_eq!(permille(3, 3), Some(1000));
    }
}
