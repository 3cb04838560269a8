//! Field telemetry in `/metrics` (issue 21): the running totals of `telemetry_totals`, written in
//! the transaction that applies an order or a report ([`add`]) and summed over devices at each
//! scrape ([`TelemetryTotals::read`]), so a replay never counts twice, a restart loses nothing
//! and every instance reports the same figures.
//!
//! Durations use core's buckets ([`BOUNDS_MS`]) as `le` in seconds. No series carries a user's
//! or a device's label: the only labels are the route, the outage sale's result and the
//! histograms' `le`.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, Utc};
use satchel_core::telemetry::{BOUNDS_MS, BUCKETS};
use sqlx::{AnyConnection, AnyPool};

use crate::db::{timestamp, value_rows};

/// The series of `telemetry_totals` (its `series` column).
pub mod series {
    /// Orders by entry-to-server bucket; label: the route.
    pub const ENTRY_TO_SERVER: &str = "entry_to_server";
    /// Their sum in ms; label: the route.
    pub const ENTRY_TO_SERVER_SUM: &str = "entry_to_server_sum_ms";
    /// Orders recorded; label: the route.
    pub const ORDERS_RECORDED: &str = "orders_recorded";
    /// Orders applied on their business date; label: the route.
    pub const ORDERS_SAME_DAY: &str = "orders_same_day";
    /// Reports' entry-to-acknowledgement samples by bucket.
    pub const ENTRY_TO_ACK: &str = "entry_to_ack";
    /// Their sum in ms.
    pub const ENTRY_TO_ACK_SUM: &str = "entry_to_ack_sum_ms";
    /// Reports' offline spans by bucket.
    pub const OFFLINE: &str = "offline";
    /// Their sum in ms.
    pub const OFFLINE_SUM: &str = "offline_sum_ms";
    /// Acknowledged mutations by attempts slot (0: one attempt … 5: six or more).
    pub const ATTEMPTS: &str = "push_attempts";
    /// Reports by storage utilization bucket ([`super::STORAGE_BOUNDS_PERMILLE`]).
    pub const STORAGE: &str = "storage";
    /// Their utilization summed, in permille.
    pub const STORAGE_SUM: &str = "storage_sum_permille";
    /// Reports applied.
    pub const REPORTS: &str = "reports";
    /// App starts.
    pub const APP_STARTS: &str = "app_starts";
    /// Unlocks.
    pub const UNLOCKS: &str = "unlocks";
    /// Force-closes.
    pub const FORCE_CLOSES: &str = "force_closes";
    /// Counter sales during outages; label: `completed` or `failed`.
    pub const OUTAGE_SALES: &str = "outage_sales";
}

/// Upper bounds of `satchel_device_storage_utilization`'s buckets, in permille of the quota.
pub const STORAGE_BOUNDS_PERMILLE: [u64; 5] = [500, 800, 900, 950, 1000];

/// The storage bucket of a utilization in permille (the last, above 1, is `+Inf`).
pub fn storage_bucket(permille: u64) -> usize {
    STORAGE_BOUNDS_PERMILLE.iter().position(|b| permille <= *b).unwrap_or(STORAGE_BOUNDS_PERMILLE.len())
}

/// How many attempt slots `satchel_push_attempts` renders (core's `ATTEMPT_SLOTS`).
const ATTEMPT_SLOTS: usize = satchel_core::telemetry::ATTEMPT_SLOTS;

/// One increment of a running total: `(series, label, bucket, by)`.
pub type Increment<'a> = (&'static str, &'a str, usize, u64);

/// Adds `increments` to `device`'s running totals, in the caller's transaction. Totals saturate
/// at `i64::MAX` instead of failing the push. Rows are written in key order, so two
/// transactions touching the same rows take their locks in the same order.
pub(crate) async fn add(conn: &mut AnyConnection, device: &str, increments: &[Increment<'_>]) -> Result<(), sqlx::Error> {
    let mut rows: BTreeMap<(&str, &str, i64), i64> = BTreeMap::new();
    for (series, label, bucket, by) in increments {
        let Ok(bucket) = i64::try_from(*bucket) else { continue };
        let by = i64::try_from(*by).unwrap_or(i64::MAX);
        if by > 0 {
            let n = rows.entry((*series, *label, bucket)).or_default();
            *n = n.saturating_add(by);
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let max = rows.len() * 5 + 1;
    let sql = format!(
        "INSERT INTO telemetry_totals (device_id, series, label, bucket, n) VALUES {} \
         ON CONFLICT (device_id, series, label, bucket) DO UPDATE SET n = CASE WHEN telemetry_totals.n > ${max} - excluded.n \
         THEN ${max} ELSE telemetry_totals.n + excluded.n END",
        value_rows(rows.len(), 5)
    );
    let mut q = sqlx::query(&sql);
    for ((series, label, bucket), n) in &rows {
        q = q.bind(device).bind(*series).bind(*label).bind(*bucket).bind(*n);
    }
    q.bind(i64::MAX).execute(&mut *conn).await?;
    Ok(())
}

/// The telemetry totals of every device, and the devices whose latest report holds work
/// unsynced for over 24 hours.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TelemetryTotals {
    /// `(series, label, bucket)` → the sum over devices.
    totals: BTreeMap<(String, String, usize), u64>,
    /// Devices whose latest report says work was unsynced since more than 24 hours ago.
    pub unsynced_over_24h: u64,
}

impl TelemetryTotals {
    /// Reads the totals at `now`.
    pub async fn read(pool: &AnyPool, now: DateTime<Utc>) -> Result<TelemetryTotals, sqlx::Error> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT series, label, bucket, CAST(SUM(n) AS BIGINT) FROM telemetry_totals GROUP BY series, label, bucket",
        )
        .fetch_all(pool)
        .await?;
        let mut totals = TelemetryTotals::default();
        for (series, label, bucket, n) in rows {
            if let (Ok(bucket), Ok(n)) = (usize::try_from(bucket), u64::try_from(n)) {
                totals.totals.insert((series, label, bucket), n);
            }
        }
        let cutoff = timestamp(now - chrono::Duration::hours(24));
        let (stale,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM telemetry_devices t JOIN telemetry_reports r ON r.report_id = t.report_id \
             WHERE r.unsynced > 0 AND r.oldest_unsynced_at IS NOT NULL AND r.oldest_unsynced_at < $1",
        )
        .bind(cutoff)
        .fetch_one(pool)
        .await?;
        totals.unsynced_over_24h = u64::try_from(stale).unwrap_or(0);
        Ok(totals)
    }

    /// Sets a total (for tests).
    pub fn set(&mut self, series: &str, label: &str, bucket: usize, n: u64) {
        self.totals.insert((series.into(), label.into(), bucket), n);
    }

    fn get(&self, series: &str, label: &str, bucket: usize) -> u64 {
        self.totals.get(&(series.to_string(), label.to_string(), bucket)).copied().unwrap_or(0)
    }

    /// The label values a series has.
    fn labels(&self, series: &str) -> Vec<String> {
        let mut out: Vec<String> = self.totals.keys().filter(|(s, _, _)| s == series).map(|(_, l, _)| l.clone()).collect();
        out.dedup();
        out
    }

    /// Renders every telemetry family.
    pub(crate) fn render(&self, out: &mut String) {
        let mut routes = self.labels(series::ORDERS_RECORDED);
        routes.extend(self.labels(series::ENTRY_TO_SERVER));
        routes.sort();
        routes.dedup();
        let name = "satchel_entry_to_server_seconds";
        header(out, name, "histogram", "Time from an order's entry on the device (its clock corrected by the push's sent_at) to the server applying it, by route.");
        for route in &routes {
            let counts: Vec<u64> = (0..BUCKETS).map(|i| self.get(series::ENTRY_TO_SERVER, route, i)).collect();
            let labels = format!("route=\"{}\",", super::escape_label(route));
            histogram(out, name, &labels, &BOUNDS_MS.map(seconds), &counts, &seconds(self.get(series::ENTRY_TO_SERVER_SUM, route, 0)));
        }
        for (series, name, help) in [
            (series::ORDERS_RECORDED, "satchel_orders_recorded_total", "Orders (and receipts) applied, by route."),
            (series::ORDERS_SAME_DAY, "satchel_orders_same_day_total", "Orders (and receipts) applied on their business date (the server's UTC date), by route."),
        ] {
            header(out, name, "counter", help);
            for route in &routes {
                let _ = writeln!(out, "{name}{{route=\"{}\"}} {}", super::escape_label(route), self.get(series, route, 0));
            }
        }
        for (series, sum, name, help) in [
            (series::ENTRY_TO_ACK, series::ENTRY_TO_ACK_SUM, "satchel_entry_to_ack_seconds", "Devices' reported time from a mutation's commit to the server's acknowledgement (device clock)."),
            (series::OFFLINE, series::OFFLINE_SUM, "satchel_offline_span_seconds", "Devices' reported offline spans, from going offline to the next successful sync."),
        ] {
            header(out, name, "histogram", help);
            let counts: Vec<u64> = (0..BUCKETS).map(|i| self.get(series, "", i)).collect();
            histogram(out, name, "", &BOUNDS_MS.map(seconds), &counts, &seconds(self.get(sum, "", 0)));
        }
        let name = "satchel_push_attempts";
        header(out, name, "histogram", "Push attempts each acknowledged mutation took, as devices report them (the top slot, six or more, counts as six in the sum).");
        let counts: Vec<u64> = (0..ATTEMPT_SLOTS).map(|i| self.get(series::ATTEMPTS, "", i)).collect();
        let bounds: Vec<String> = (1..ATTEMPT_SLOTS).map(|n| n.to_string()).collect();
        let attempts_sum = counts.iter().enumerate().fold(0u64, |a, (i, c)| a.saturating_add(c.saturating_mul(i as u64 + 1)));
        histogram(out, name, "", &bounds, &counts, &attempts_sum.to_string());
        let name = "satchel_device_storage_utilization";
        header(out, name, "histogram", "Storage used over the quota, per report that knew both.");
        let counts: Vec<u64> = (0..=STORAGE_BOUNDS_PERMILLE.len()).map(|i| self.get(series::STORAGE, "", i)).collect();
        histogram(out, name, "", &STORAGE_BOUNDS_PERMILLE.map(seconds), &counts, &seconds(self.get(series::STORAGE_SUM, "", 0)));
        for (series, name, help) in [
            (series::REPORTS, "satchel_telemetry_reports_total", "Telemetry reports applied."),
            (series::APP_STARTS, "satchel_app_starts_total", "App starts of signed-in devices, as reported."),
            (series::UNLOCKS, "satchel_unlocks_total", "Workspace unlocks, as reported."),
            (series::FORCE_CLOSES, "satchel_force_closes_total", "Starts that found a sync round begun and never finished (the app closed mid-sync), as reported."),
        ] {
            header(out, name, "counter", help);
            let _ = writeln!(out, "{name} {}", self.get(series, "", 0));
        }
        let name = "satchel_outage_sales_total";
        header(out, name, "counter", "Counter sales attempted while the device was offline, by result.");
        for result in ["completed", "failed"] {
            let _ = writeln!(out, "{name}{{result=\"{result}\"}} {}", self.get(series::OUTAGE_SALES, result, 0));
        }
        let name = "satchel_devices_unsynced_over_24h";
        header(out, name, "gauge", "Devices whose latest telemetry report holds work unsynced since more than 24 hours ago.");
        let _ = writeln!(out, "{name} {}", self.unsynced_over_24h);
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One histogram's samples: cumulative buckets (`counts` has one more slot than `bounds`, the
/// `+Inf` one), `_sum` and `_count`. `labels` is empty or ends with a comma.
fn histogram(out: &mut String, name: &str, labels: &str, bounds: &[String], counts: &[u64], sum: &str) {
    let mut cumulative = 0u64;
    for (le, c) in bounds.iter().zip(counts) {
        cumulative = cumulative.saturating_add(*c);
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{le}\"}} {cumulative}");
    }
    for c in counts.iter().skip(bounds.len()) {
        cumulative = cumulative.saturating_add(*c);
    }
    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}");
    let plain = labels.trim_end_matches(',');
    let braces = if plain.is_empty() { String::new() } else { format!("{{{plain}}}") };
    let _ = writeln!(out, "{name}_sum{braces} {sum}");
    let _ = writeln!(out, "{name}_count{braces} {cumulative}");
}

/// Thousandths as a decimal without trailing zeros: ms as seconds (`250` → `0.25`, `3600000` →
/// `3600`), permille as a fraction. Exact: no float on the way.
pub fn seconds(thousandths: u64) -> String {
    let (whole, frac) = (thousandths / 1000, thousandths % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:03}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousandths_print_exactly() {
        assert_eq!(seconds(100), "0.1");
        assert_eq!(seconds(250), "0.25");
        assert_eq!(seconds(1_000), "1");
        assert_eq!(seconds(172_800_000), "172800");
        assert_eq!(seconds(950), "0.95");
        assert_eq!(seconds(1_001), "1.001");
        assert_eq!(storage_bucket(500), 0);
        assert_eq!(storage_bucket(951), 4);
        assert_eq!(storage_bucket(1_001), 5);
    }

    #[test]
    fn histograms_render_cumulatively_with_routes() {
        let mut t = TelemetryTotals::default();
        t.set(series::ENTRY_TO_SERVER, "R1", 0, 2);
        t.set(series::ENTRY_TO_SERVER, "R1", BUCKETS - 1, 1);
        t.set(series::ENTRY_TO_SERVER_SUM, "R1", 0, 200_000_150);
        t.set(series::ORDERS_RECORDED, "R1", 0, 3);
        t.set(series::ORDERS_SAME_DAY, "R1", 0, 2);
        t.set(series::ATTEMPTS, "", 0, 4);
        t.set(series::ATTEMPTS, "", 5, 1);
        t.set(series::STORAGE, "", 5, 1);
        t.set(series::STORAGE_SUM, "", 0, 1_200);
        t.unsynced_over_24h = 1;
        let mut out = String::new();
        t.render(&mut out);
        for line in [
            "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"0.1\"} 2\n",
            "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"172800\"} 2\n",
            "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"+Inf\"} 3\n",
            "satchel_entry_to_server_seconds_sum{route=\"R1\"} 200000.15\n",
            "satchel_entry_to_server_seconds_count{route=\"R1\"} 3\n",
            "satchel_orders_same_day_total{route=\"R1\"} 2\n",
            "satchel_offline_span_seconds_bucket{le=\"+Inf\"} 0\n",
            "satchel_push_attempts_bucket{le=\"1\"} 4\n",
            "satchel_push_attempts_bucket{le=\"5\"} 4\n",
            "satchel_push_attempts_bucket{le=\"+Inf\"} 5\n",
            "satchel_push_attempts_sum 10\n",
            "satchel_device_storage_utilization_bucket{le=\"1\"} 0\n",
            "satchel_device_storage_utilization_bucket{le=\"+Inf\"} 1\n",
            "satchel_device_storage_utilization_sum 1.2\n",
            "satchel_outage_sales_total{result=\"failed\"} 0\n",
            "satchel_devices_unsynced_over_24h 1\n",
        ] {
            assert!(out.contains(line), "{line:?} missing from:\n{out}");
        }
    }
}
