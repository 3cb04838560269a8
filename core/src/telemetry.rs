//! Field telemetry (issue 21): what a device measures of its own sync, as aggregates that travel
//! to the server with pushes (`telemetry.report`, exactly once like any mutation), and the pure
//! functions both sides use on them.
//!
//! - [`Histogram`]: durations in fixed, roughly logarithmic buckets ([`BOUNDS_MS`]). Histograms
//!   add ([`Histogram::merge`]), so a week of reports from many devices is one histogram whose
//!   percentiles are those of the raw samples within one bucket ([`Histogram::percentile`]
//!   answers the bucket's upper bound, capped at the largest sample).
//! - [`TelemetryReport`]: one device's figures for a period: entry-to-acknowledgement latency,
//!   attempts per mutation, offline spans, app starts, unlocks and force-closes (a sync round
//!   started and never finished before the next start), storage used and quota, the oldest work
//!   not yet synced, and the counter's sales during outages. No raw personal data: counts and
//!   histograms only; bounded in size ([`check_report`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The buckets' upper bounds, in milliseconds; one more bucket holds everything above the last.
/// From 100 ms (a push on a good network) to two days (a phone left in a drawer).
pub const BOUNDS_MS: [u64; 20] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000,
    28_800_000, 43_200_000, 86_400_000, 172_800_000,
];

/// How many buckets a histogram has.
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// The most samples one report may count in one histogram (a device measures far fewer).
pub const MAX_SAMPLES: u64 = 1_000_000;

/// Durations counted in [`BOUNDS_MS`]'s buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Histogram {
    /// Samples per bucket ([`BUCKETS`] of them).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number[]"))]
    pub counts: Vec<u64>,
    /// The sum of the samples, in ms.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub sum_ms: u64,
    /// The largest sample, in ms.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub max_ms: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: vec![0; BUCKETS], sum_ms: 0, max_ms: 0 }
    }
}

/// The bucket a sample of `ms` falls in.
pub fn bucket_of(ms: u64) -> usize {
    BOUNDS_MS.iter().position(|b| ms <= *b).unwrap_or(BOUNDS_MS.len())
}

/// A bucket's bounds `(above, up_to)` in ms; the last one's `up_to` is `u64::MAX`.
pub fn bucket_bounds(i: usize) -> (u64, u64) {
    let above = if i == 0 { 0 } else { BOUNDS_MS.get(i - 1).copied().unwrap_or(u64::MAX) };
    (above, BOUNDS_MS.get(i).copied().unwrap_or(u64::MAX))
}

impl Histogram {
    /// Counts one sample.
    pub fn record(&mut self, ms: u64) {
        if self.counts.len() != BUCKETS {
            self.counts.resize(BUCKETS, 0);
        }
        if let Some(c) = self.counts.get_mut(bucket_of(ms)) {
            *c = c.saturating_add(1);
        }
        self.sum_ms = self.sum_ms.saturating_add(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// How many samples.
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, c| a.saturating_add(*c))
    }

    /// Whether it counts nothing.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Adds `other`'s samples.
    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() != BUCKETS {
            self.counts.resize(BUCKETS, 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        self.sum_ms = self.sum_ms.saturating_add(other.sum_ms);
        self.max_ms = self.max_ms.max(other.max_ms);
    }

    /// The `permille`‰ percentile (500: the median, 950: p95), in ms: the upper bound of the
    /// bucket holding the sample of that rank (nearest rank), capped at the largest sample.
    /// `None` when empty.
    pub fn percentile(&self, permille: u32) -> Option<u64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let permille = u64::from(permille.min(1000));
        // Nearest rank: ceil(n · p), at least 1.
        let rank = (n.saturating_mul(permille).div_ceil(1000)).max(1);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(*c);
            if seen >= rank {
                return Some(bucket_bounds(i).1.min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }

    /// The bucket holding the `permille`‰ percentile's sample (nearest rank).
    pub fn percentile_bucket(&self, permille: u32) -> Option<usize> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = (n.saturating_mul(u64::from(permille.min(1000))).div_ceil(1000)).max(1);
        let mut seen = 0u64;
        self.counts.iter().position(|c| {
            seen = seen.saturating_add(*c);
            seen >= rank
        })
    }

    /// The mean in ms, `None` when empty.
    pub fn mean(&self) -> Option<u64> {
        let n = self.count();
        (n > 0).then(|| self.sum_ms / n)
    }
}

/// The nearest-rank percentile of raw samples (what a histogram approximates), `None` when empty.
pub fn raw_percentile(samples: &[u64], permille: u32) -> Option<u64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_unstable();
    let n = s.len() as u64;
    let rank = (n.saturating_mul(u64::from(permille.min(1000))).div_ceil(1000)).max(1);
    s.get(usize::try_from(rank - 1).ok()?).copied()
}

/// The counter's sales while the device was offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct OutageSales {
    /// Sales (and refunds) completed while offline.
    pub completed: u32,
    /// Attempts that failed (an error where the sale should have completed).
    pub failed: u32,
}

/// One device's telemetry for a period (`telemetry.report`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TelemetryReport {
    /// The report's identity (UUIDv7).
    pub report_id: Uuid,
    /// The period it covers (device clock).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub from: DateTime<Utc>,
    /// Until.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub to: DateTime<Utc>,
    /// Each mutation acknowledged in the period: from its commit on the device to the server's
    /// answer (device clock).
    pub entry_to_ack: Histogram,
    /// Push attempts per acknowledged mutation: index 0 counts one attempt, 1 two, …, the last
    /// ([`ATTEMPT_SLOTS`]) that many or more.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number[]"))]
    pub attempts: Vec<u64>,
    /// Offline spans ended in the period (from the browser's offline/online events and failed
    /// pushes to the next success).
    pub offline: Histogram,
    /// App starts (page loads of a signed-in device).
    pub app_starts: u32,
    /// Unlocks.
    pub unlocks: u32,
    /// Starts that found a sync round begun and never finished (the tab or app was closed
    /// mid-sync).
    pub force_closes: u32,
    /// Storage used by the origin, in bytes (`navigator.storage.estimate()`), when known.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub storage_used: Option<u64>,
    /// The quota, in bytes, when known.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number | null"))]
    pub storage_quota: Option<u64>,
    /// Whether the browser granted persistent storage, when known.
    pub persisted: Option<bool>,
    /// Mutations still in the outbox when the report was made.
    pub unsynced: u32,
    /// When the oldest of them was committed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string | null"))]
    pub oldest_unsynced_at: Option<DateTime<Utc>>,
    /// The counter's sales during outages.
    pub outage_sales: OutageSales,
}

/// How many attempt slots [`TelemetryReport::attempts`] has (the last is "that many or more").
pub const ATTEMPT_SLOTS: usize = 6;

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelemetryError {
    /// A histogram has the wrong number of buckets or too many samples.
    #[error("{0}: {BUCKETS} buckets of at most {MAX_SAMPLES} samples in all")]
    Histogram(&'static str),
    /// The attempts list has the wrong length.
    #[error("attempts: {ATTEMPT_SLOTS} slots")]
    Attempts,
    /// The period ends before it starts.
    #[error("to: the period ends before it starts")]
    Period,
    /// Storage used is over the quota or a count is implausible.
    #[error("{0}: out of range")]
    Range(&'static str),
}

impl TelemetryError {
    /// The field concerned.
    pub fn field(&self) -> &'static str {
        match self {
            TelemetryError::Histogram(f) | TelemetryError::Range(f) => f,
            TelemetryError::Attempts => "attempts",
            TelemetryError::Period => "to",
        }
    }
}

fn check_histogram(h: &Histogram, field: &'static str) -> Result<(), TelemetryError> {
    if h.counts.len() != BUCKETS || h.count() > MAX_SAMPLES {
        return Err(TelemetryError::Histogram(field));
    }
    Ok(())
}

/// Checks a report's shape and bounds (the server runs it; the device builds only valid ones).
pub fn check_report(r: &TelemetryReport) -> Result<(), TelemetryError> {
    check_histogram(&r.entry_to_ack, "entry_to_ack")?;
    check_histogram(&r.offline, "offline")?;
    if r.attempts.len() != ATTEMPT_SLOTS || r.attempts.iter().fold(0u64, |a, c| a.saturating_add(*c)) > MAX_SAMPLES {
        return Err(TelemetryError::Attempts);
    }
    if r.to < r.from {
        return Err(TelemetryError::Period);
    }
    if let (Some(used), Some(quota)) = (r.storage_used, r.storage_quota) {
        if quota > 0 && used > quota.saturating_mul(2) {
            return Err(TelemetryError::Range("storage_used"));
        }
    }
    Ok(())
}

/// Storage pressure as a fraction in permille (used / quota), when both are known.
pub fn storage_permille(used: Option<u64>, quota: Option<u64>) -> Option<u32> {
    match (used, quota) {
        (Some(u), Some(q)) if q > 0 => u32::try_from(u.saturating_mul(1000) / q).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_percentiles() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(100), 0);
        assert_eq!(bucket_of(101), 1);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let mut h = Histogram::default();
        assert_eq!(h.percentile(500), None);
        for ms in [80, 90, 400, 3_000, 200_000] {
            h.record(ms);
        }
        assert_eq!(h.count(), 5);
        assert_eq!(h.percentile(500), Some(500), "the median sample 400 is in (250, 500]");
        assert_eq!(h.percentile(950), Some(200_000), "capped at the largest sample");
        assert_eq!(h.percentile(0), Some(100), "the first rank is in (0, 100]");
        assert_eq!(raw_percentile(&[80, 90, 400, 3_000, 200_000], 500), Some(400));
    }

    #[test]
    fn a_report_is_bounded() {
        let r = TelemetryReport {
            report_id: Uuid::nil(),
            from: DateTime::UNIX_EPOCH,
            to: DateTime::UNIX_EPOCH,
            entry_to_ack: Histogram::default(),
            attempts: vec![0; ATTEMPT_SLOTS],
            offline: Histogram::default(),
            app_starts: 1,
            unlocks: 1,
            force_closes: 0,
            storage_used: Some(10),
            storage_quota: Some(100),
            persisted: Some(true),
            unsynced: 0,
            oldest_unsynced_at: None,
            outage_sales: OutageSales::default(),
        };
        assert_eq!(check_report(&r), Ok(()));
        assert_eq!(check_report(&TelemetryReport { attempts: vec![0; 3], ..r.clone() }).map_err(|e| e.field()), Err("attempts"));
        let short = Histogram { counts: vec![1; 3], sum_ms: 0, max_ms: 0 };
        assert_eq!(check_report(&TelemetryReport { offline: short, ..r.clone() }).map_err(|e| e.field()), Err("offline"));
        let earlier = TelemetryReport { from: DateTime::UNIX_EPOCH + chrono::Duration::seconds(5), ..r };
        assert_eq!(check_report(&earlier).map_err(|e| e.field()), Err("to"));
        assert_eq!(storage_permille(Some(250), Some(1000)), Some(250));
    }
}
