//! Prometheus counters and histograms as plain atomics, rendered in the text exposition format;
//! field telemetry's series are read from the database at each scrape ([`telemetry`]).

pub mod telemetry;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms' buckets: 1 ms to 10 s. A push of one
/// 100-mutation batch takes milliseconds to tens of milliseconds; the top buckets catch lock
/// waits (SQLite's busy timeout is 10 s).
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram over [`LATENCY_BUCKETS`]. Each observation lands in exactly one slot (the
/// last slot is above the top bound); the cumulative `_bucket` series, `+Inf` and `_count` are
/// summed from the slots when rendered, so they always agree with each other.
#[derive(Debug, Default)]
pub struct Histogram {
    slots: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let slot = LATENCY_BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.slots[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// How many observations were recorded.
    pub fn count(&self) -> u64 {
        self.slots.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// The sum of the observations, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0u64;
        for (le, slot) in LATENCY_BUCKETS.iter().zip(&self.slots) {
            cumulative += slot.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        cumulative += self.slots[LATENCY_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_seconds());
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// A label value escaped for the text format (backslash, double quote and newline).
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    push_requests: AtomicU64,
    applied: AtomicU64,
    duplicate: AtomicU64,
    rejected: AtomicU64,
    devices_registered: AtomicU64,
    push_retries: AtomicU64,
    flagged: AtomicU64,
    reviews_resolved: AtomicU64,
    push_rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Rejected mutations by rejection code (`price_mismatch`, `duplicate_order`, …).
    mutation_rejections: Mutex<BTreeMap<String, u64>>,
    push_duration: Histogram,
    /// Fed by the pull endpoint ([`Metrics::pull_request`]).
    pull_requests: AtomicU64,
    /// Fed by the pull endpoint ([`Metrics::observe_pull`]).
    pull_duration: Histogram,
    /// Changes served by answered pulls ([`Metrics::pull_served`]).
    pull_changes: AtomicU64,
    /// Pulls answered with `reset: true` ([`Metrics::pull_served`]).
    pull_resets: AtomicU64,
    /// Fed by the conflict merge ([`Metrics::conflicts`]).
    conflicts: AtomicU64,
    /// Held and deferred mutations, and blob uploads ([`DepMetrics`]).
    deps: DepMetrics,
    /// Entries of recovered backups by result, in [`RECOVER_RESULTS`]' order
    /// ([`Metrics::recovered`]).
    recovered: [AtomicU64; 4],
}

/// The `result` labels of `satchel_recovered_mutations_total`: the counts of core's
/// `RecoverSummary`.
pub const RECOVER_RESULTS: [&str; 4] = ["applied", "duplicate", "rejected", "waiting"];

impl Metrics {
    /// One `POST /api/v1/sync/push` received (authenticated or not).
    pub fn push_request(&self) {
        self.push_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How long one push took to handle (every push, answered or refused).
    pub fn observe_push(&self, elapsed: Duration) {
        self.push_duration.observe(elapsed);
    }

    /// Mutation outcomes of a committed push.
    pub fn mutations(&self, applied: u64, duplicate: u64, rejected: u64) {
        self.applied.fetch_add(applied, Ordering::Relaxed);
        self.duplicate.fetch_add(duplicate, Ordering::Relaxed);
        self.rejected.fetch_add(rejected, Ordering::Relaxed);
    }

    /// One mutation of a committed push rejected for good, by its rejection code. Across codes
    /// these add up to `satchel_mutations_total{outcome="rejected"}`.
    pub fn mutation_rejected(&self, code: &str) {
        let mut map = self.mutation_rejections.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                map.insert(code.to_owned(), 1);
            }
        }
    }

    /// A push refused as a whole, by error code.
    pub fn push_rejected(&self, code: &'static str) {
        let mut map = self.push_rejected.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(code).or_default() += 1;
    }

    /// A push run again after it raced another transaction (PostgreSQL).
    pub fn push_retry(&self) {
        self.push_retries.fetch_add(1, Ordering::Relaxed);
    }

    /// The entries of a backup recovered (`POST /api/v1/sync/recover`), by result. They also
    /// count in `satchel_mutations_total`, like any push's.
    pub fn recovered(&self, s: &satchel_core::sync::backup::RecoverSummary) {
        for (slot, n) in self.recovered.iter().zip([s.applied, s.duplicate, s.rejected, s.waiting]) {
            slot.fetch_add(u64::from(n), Ordering::Relaxed);
        }
    }

    /// One `GET /api/v1/sync/pull` received (authenticated or not).
    pub fn pull_request(&self) {
        self.pull_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How long one pull took to handle (every pull, answered or refused).
    pub fn observe_pull(&self, elapsed: Duration) {
        self.pull_duration.observe(elapsed);
    }

    /// An answered pull page: how many changes it carried, and whether it told the device to
    /// reset.
    pub fn pull_served(&self, changes: u64, reset: bool) {
        self.pull_changes.fetch_add(changes, Ordering::Relaxed);
        if reset {
            self.pull_resets.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The pull latency histogram (for tests and benchmarks reading it in process).
    pub fn pull_duration(&self) -> &Histogram {
        &self.pull_duration
    }

    /// `n` conflicts found while merging pushed changes into server state (the conflict merge
    /// of `outlet.update`; orders are append-only and never conflict). Called once per committed
    /// push, with 0 when nothing conflicted.
    pub fn conflicts(&self, n: u64) {
        self.conflicts.fetch_add(n, Ordering::Relaxed);
    }

    /// Orders applied and flagged for review by the server.
    pub fn flagged(&self, n: u64) {
        self.flagged.fetch_add(n, Ordering::Relaxed);
    }

    /// A review item resolved by a supervisor.
    pub fn review_resolved(&self) {
        self.reviews_resolved.fetch_add(1, Ordering::Relaxed);
    }

    /// A device registered.
    pub fn device_registered(&self) {
        self.devices_registered.fetch_add(1, Ordering::Relaxed);
    }

    /// The push latency histogram (for tests and benchmarks reading it in process).
    pub fn push_duration(&self) -> &Histogram {
        &self.push_duration
    }

    /// The Prometheus text exposition, with the review queue's open items, the counter's and
    /// the delivery days' totals and field telemetry when known (read from the database by the
    /// caller).
    pub fn render_with(
        &self,
        open_reviews: Option<i64>,
        counter: Option<CounterTotals>,
        delivery: Option<DeliveryTotals>,
        telemetry: Option<&telemetry::TelemetryTotals>,
    ) -> String {
        let mut out = self.render();
        if let Some(n) = open_reviews {
            let _ = writeln!(out, "# HELP satchel_review_queue_open Flagged orders waiting for a supervisor's review.");
            let _ = writeln!(out, "# TYPE satchel_review_queue_open gauge");
            let _ = writeln!(out, "satchel_review_queue_open {n}");
        }
        if let Some(c) = counter {
            c.render(&mut out);
        }
        if let Some(d) = delivery {
            d.render(&mut out);
        }
        if let Some(t) = telemetry {
            t.render(&mut out);
        }
        out
    }

    /// The Prometheus text exposition of the counters.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP satchel_push_requests_total Push requests received."
        );
        let _ = writeln!(out, "# TYPE satchel_push_requests_total counter");
        let _ = writeln!(
            out,
            "satchel_push_requests_total {}",
            get(&self.push_requests)
        );
        self.push_duration.render(
            &mut out,
            "satchel_push_duration_seconds",
            "Time to handle a push, from the parsed request to the response (answered or refused).",
        );
        let _ = writeln!(
            out,
            "# HELP satchel_mutations_total Pushed mutations by outcome."
        );
        let _ = writeln!(out, "# TYPE satchel_mutations_total counter");
        for (outcome, v) in [
            ("applied", &self.applied),
            ("duplicate", &self.duplicate),
            ("rejected", &self.rejected),
            ("held", &self.deps.held),
            ("deferred", &self.deps.deferred),
        ] {
            let _ = writeln!(
                out,
                "satchel_mutations_total{{outcome=\"{outcome}\"}} {}",
                get(v)
            );
        }
        let _ = writeln!(
            out,
            "# HELP satchel_mutation_rejections_total Pushed mutations rejected for good, by rejection code."
        );
        let _ = writeln!(out, "# TYPE satchel_mutation_rejections_total counter");
        let map = self.mutation_rejections.lock().unwrap_or_else(|p| p.into_inner());
        for (code, v) in map.iter() {
            let _ = writeln!(
                out,
                "satchel_mutation_rejections_total{{code=\"{}\"}} {v}",
                escape_label(code)
            );
        }
        drop(map);
        let _ = writeln!(
            out,
            "# HELP satchel_push_rejected_requests_total Push requests refused whole, by code."
        );
        let _ = writeln!(out, "# TYPE satchel_push_rejected_requests_total counter");
        let map = self.push_rejected.lock().unwrap_or_else(|p| p.into_inner());
        for (code, v) in map.iter() {
            let _ = writeln!(
                out,
                "satchel_push_rejected_requests_total{{code=\"{code}\"}} {v}"
            );
        }
        drop(map);
        let _ = writeln!(
            out,
            "# HELP satchel_push_retries_total Pushes run again after racing another transaction."
        );
        let _ = writeln!(out, "# TYPE satchel_push_retries_total counter");
        let _ = writeln!(
            out,
            "satchel_push_retries_total {}",
            get(&self.push_retries)
        );
        let _ = writeln!(
            out,
            "# HELP satchel_recovered_mutations_total Entries of recovered backups (unsynced work uploaded after a device lost it), by result."
        );
        let _ = writeln!(out, "# TYPE satchel_recovered_mutations_total counter");
        for (result, v) in RECOVER_RESULTS.iter().zip(&self.recovered) {
            let _ = writeln!(out, "satchel_recovered_mutations_total{{result=\"{result}\"}} {}", get(v));
        }
        let _ = writeln!(
            out,
            "# HELP satchel_pull_requests_total Pull requests received."
        );
        let _ = writeln!(out, "# TYPE satchel_pull_requests_total counter");
        let _ = writeln!(out, "satchel_pull_requests_total {}", get(&self.pull_requests));
        self.pull_duration.render(
            &mut out,
            "satchel_pull_duration_seconds",
            "Time to handle a pull page, from the request to the response (answered or refused).",
        );
        let _ = writeln!(
            out,
            "# HELP satchel_pull_changes_total Changes (upserts and deletes) served by pull pages."
        );
        let _ = writeln!(out, "# TYPE satchel_pull_changes_total counter");
        let _ = writeln!(out, "satchel_pull_changes_total {}", get(&self.pull_changes));
        let _ = writeln!(
            out,
            "# HELP satchel_pull_resets_total Pulls answered with reset (the device's checkpoint could not be continued)."
        );
        let _ = writeln!(out, "# TYPE satchel_pull_resets_total counter");
        let _ = writeln!(out, "satchel_pull_resets_total {}", get(&self.pull_resets));
        let _ = writeln!(
            out,
            "# HELP satchel_conflicts_total Conflicts found while merging pushed changes into server state."
        );
        let _ = writeln!(out, "# TYPE satchel_conflicts_total counter");
        let _ = writeln!(out, "satchel_conflicts_total {}", get(&self.conflicts));
        let _ = writeln!(
            out,
            "# HELP satchel_devices_registered_total Devices registered."
        );
        let _ = writeln!(out, "# TYPE satchel_devices_registered_total counter");
        let _ = writeln!(
            out,
            "satchel_devices_registered_total {}",
            get(&self.devices_registered)
        );
        let _ = writeln!(
            out,
            "# HELP satchel_orders_flagged_total Orders applied and flagged for review by the server."
        );
        let _ = writeln!(out, "# TYPE satchel_orders_flagged_total counter");
        let _ = writeln!(out, "satchel_orders_flagged_total {}", get(&self.flagged));
        let _ = writeln!(
            out,
            "# HELP satchel_reviews_resolved_total Review items resolved by a supervisor."
        );
        let _ = writeln!(out, "# TYPE satchel_reviews_resolved_total counter");
        let _ = writeln!(out, "satchel_reviews_resolved_total {}", get(&self.reviews_resolved));
        self.deps.render(&mut out);
        out
    }
}

/// The counter's totals, read from the database at each scrape (so they count receipts and
/// shifts applied by any instance, and receipts applied when a deferred mutation settles): rows
/// are never deleted, so these only grow.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CounterTotals {
    /// Receipts of sales applied.
    pub sales: i64,
    /// Receipts of refunds applied.
    pub refunds: i64,
    /// Shifts closed.
    pub shifts_closed: i64,
    /// Shifts closed with a Z report that differs from the server's (flagged).
    pub shifts_with_differences: i64,
}

impl CounterTotals {
    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP satchel_receipts_total Receipts of the counter applied, by kind.");
        let _ = writeln!(out, "# TYPE satchel_receipts_total counter");
        let _ = writeln!(out, "satchel_receipts_total{{kind=\"sale\"}} {}", self.sales);
        let _ = writeln!(out, "satchel_receipts_total{{kind=\"refund\"}} {}", self.refunds);
        let _ = writeln!(out, "# HELP satchel_shifts_closed_total Shifts closed.");
        let _ = writeln!(out, "# TYPE satchel_shifts_closed_total counter");
        let _ = writeln!(out, "satchel_shifts_closed_total {}", self.shifts_closed);
        let _ = writeln!(
            out,
            "# HELP satchel_shifts_closed_with_differences_total Shifts closed with a Z report that differs from the server's recomputation (flagged)."
        );
        let _ = writeln!(out, "# TYPE satchel_shifts_closed_with_differences_total counter");
        let _ = writeln!(out, "satchel_shifts_closed_with_differences_total {}", self.shifts_with_differences);
    }
}

/// The delivery days' totals, read from the database at each scrape like [`CounterTotals`] (a
/// day started or a collection applied when a deferred mutation settles counts too).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTotals {
    /// Days started.
    pub days_started: i64,
    /// Days ended.
    pub days_ended: i64,
    /// Days ended with a settlement that differs from the server's (flagged).
    pub days_flagged: i64,
    /// Collections recorded, by method: cash, cheque, mobile money.
    pub collections: [i64; 3],
}

/// The methods of [`DeliveryTotals::collections`], in order.
pub const COLLECTION_METHODS: [&str; 3] = ["cash", "cheque", "mobile_money"];

impl DeliveryTotals {
    fn render(&self, out: &mut String) {
        for (name, help, v) in [
            ("satchel_days_started_total", "Delivery days started.", self.days_started),
            ("satchel_days_ended_total", "Delivery days ended.", self.days_ended),
            (
                "satchel_days_flagged_total",
                "Delivery days ended with a settlement that differs from the server's recomputation (flagged).",
                self.days_flagged,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {v}");
        }
        let _ = writeln!(out, "# HELP satchel_collections_total Collections recorded against customers' invoices, by method.");
        let _ = writeln!(out, "# TYPE satchel_collections_total counter");
        for (method, n) in COLLECTION_METHODS.iter().zip(self.collections) {
            let _ = writeln!(out, "satchel_collections_total{{method=\"{method}\"}} {n}");
        }
    }
}

/// Counters of mutation dependencies and blob uploads.
#[derive(Debug, Default)]
struct DepMetrics {
    /// Pushed mutations held at once (a parent refused).
    held: AtomicU64,
    /// Pushed mutations deferred (waiting for parents or blobs).
    deferred: AtomicU64,
    /// Deferred or held mutations settled later, by their new state.
    settled_applied: AtomicU64,
    settled_rejected: AtomicU64,
    settled_held: AtomicU64,
    /// Blob bytes stored from upload chunks.
    blob_bytes: AtomicU64,
    /// Blobs uploaded whole with the right hash.
    blobs_completed: AtomicU64,
    /// Blob uploads dropped because the bytes did not hash right.
    blob_mismatches: AtomicU64,
}

impl DepMetrics {
    fn render(&self, out: &mut String) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP satchel_deferred_settled_total Deferred or held mutations settled after their push (parent or blob settled), by new state."
        );
        let _ = writeln!(out, "# TYPE satchel_deferred_settled_total counter");
        for (outcome, v) in [("applied", &self.settled_applied), ("rejected", &self.settled_rejected), ("held", &self.settled_held)] {
            let _ = writeln!(out, "satchel_deferred_settled_total{{outcome=\"{outcome}\"}} {}", get(v));
        }
        let _ = writeln!(out, "# HELP satchel_blob_bytes_received_total Blob (photo) bytes received in upload chunks.");
        let _ = writeln!(out, "# TYPE satchel_blob_bytes_received_total counter");
        let _ = writeln!(out, "satchel_blob_bytes_received_total {}", get(&self.blob_bytes));
        let _ = writeln!(out, "# HELP satchel_blobs_completed_total Blobs uploaded whole with a matching SHA-256.");
        let _ = writeln!(out, "# TYPE satchel_blobs_completed_total counter");
        let _ = writeln!(out, "satchel_blobs_completed_total {}", get(&self.blobs_completed));
        let _ = writeln!(out, "# HELP satchel_blob_hash_mismatches_total Blob uploads dropped because the bytes did not match the SHA-256.");
        let _ = writeln!(out, "# TYPE satchel_blob_hash_mismatches_total counter");
        let _ = writeln!(out, "satchel_blob_hash_mismatches_total {}", get(&self.blob_mismatches));
    }
}

impl Metrics {
    /// Mutations of a committed push held or deferred (counted in `satchel_mutations_total`).
    pub fn held_deferred(&self, held: u64, deferred: u64) {
        self.deps.held.fetch_add(held, Ordering::Relaxed);
        self.deps.deferred.fetch_add(deferred, Ordering::Relaxed);
    }

    /// Deferred or held mutations a committed transaction settled, by their new state.
    pub fn deferred_settled(&self, applied: u64, rejected: u64, held: u64) {
        self.deps.settled_applied.fetch_add(applied, Ordering::Relaxed);
        self.deps.settled_rejected.fetch_add(rejected, Ordering::Relaxed);
        self.deps.settled_held.fetch_add(held, Ordering::Relaxed);
    }

    /// A committed blob chunk of `bytes` bytes.
    pub fn blob_bytes_received(&self, bytes: u64) {
        self.deps.blob_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A blob uploaded whole (`true`), or dropped because its hash did not match (`false`).
    pub fn blob_finished(&self, complete: bool) {
        let counter = if complete { &self.deps.blobs_completed } else { &self.deps.blob_mismatches };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_prometheus_format() {
        let m = Metrics::default();
        m.push_request();
        m.mutations(3, 1, 2);
        m.push_rejected("out_of_sequence");
        m.push_rejected("out_of_sequence");
        let text = m.render();
        assert!(text.contains("satchel_push_requests_total 1\n"));
        assert!(text.contains("satchel_mutations_total{outcome=\"applied\"} 3\n"));
        assert!(text.contains("satchel_mutations_total{outcome=\"rejected\"} 2\n"));
        assert!(text.contains("satchel_push_rejected_requests_total{code=\"out_of_sequence\"} 2\n"));
        assert!(text.contains("satchel_devices_registered_total 0\n"));
        assert!(text.contains("satchel_push_retries_total 0\n"));
    }

    #[test]
    fn push_latency_is_a_cumulative_histogram() {
        let m = Metrics::default();
        m.observe_push(Duration::from_micros(800));
        m.observe_push(Duration::from_millis(7));
        m.observe_push(Duration::from_millis(7));
        m.observe_push(Duration::from_secs(60));
        let text = m.render();
        for line in [
            "# TYPE satchel_push_duration_seconds histogram\n",
            "satchel_push_duration_seconds_bucket{le=\"0.001\"} 1\n",
            "satchel_push_duration_seconds_bucket{le=\"0.005\"} 1\n",
            "satchel_push_duration_seconds_bucket{le=\"0.01\"} 3\n",
            "satchel_push_duration_seconds_bucket{le=\"10\"} 3\n",
            "satchel_push_duration_seconds_bucket{le=\"+Inf\"} 4\n",
            "satchel_push_duration_seconds_count 4\n",
            "satchel_push_duration_seconds_sum 60.0148\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from:\n{text}");
        }
        assert_eq!(m.push_duration().count(), 4);
        // The pull and conflict series are rendered before anything fed them.
        assert!(text.contains("satchel_pull_requests_total 0\n"));
        assert!(text.contains("satchel_pull_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
        assert!(text.contains("satchel_pull_duration_seconds_count 0\n"));
        assert!(text.contains("satchel_conflicts_total 0\n"));
    }

    #[test]
    fn pull_and_conflict_series_count_once_fed() {
        let m = Metrics::default();
        m.pull_request();
        m.observe_pull(Duration::from_millis(3));
        m.pull_served(40, false);
        m.pull_served(2, true);
        m.conflicts(2);
        let text = m.render();
        assert!(text.contains("satchel_pull_requests_total 1\n"));
        assert!(text.contains("satchel_pull_changes_total 42\n"));
        assert!(text.contains("satchel_pull_resets_total 1\n"));
        assert_eq!(m.pull_duration().count(), 1);
        assert!(text.contains("satchel_pull_duration_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("satchel_pull_duration_seconds_count 1\n"));
        assert!(text.contains("satchel_conflicts_total 2\n"));
    }

    #[test]
    fn rejections_count_by_code_with_escaped_labels() {
        let m = Metrics::default();
        m.mutation_rejected("price_mismatch");
        m.mutation_rejected("price_mismatch");
        m.mutation_rejected("unknown_product");
        m.mutation_rejected("odd\"code");
        let text = m.render();
        assert!(text.contains("satchel_mutation_rejections_total{code=\"price_mismatch\"} 2\n"));
        assert!(text.contains("satchel_mutation_rejections_total{code=\"unknown_product\"} 1\n"));
        assert!(text.contains("satchel_mutation_rejections_total{code=\"odd\\\"code\"} 1\n"));
    }

    #[test]
    fn every_family_has_help_and_type_once() {
        let text = Metrics::default().render_with(
            Some(0),
            Some(CounterTotals::default()),
            Some(DeliveryTotals::default()),
            Some(&telemetry::TelemetryTotals::default()),
        );
        let mut help = std::collections::HashSet::new();
        let mut types = std::collections::HashMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap_or_default();
                assert!(help.insert(name.to_owned()), "HELP twice: {name}");
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                assert!(help.contains(name), "TYPE before HELP: {name}");
                assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "TYPE twice: {name}");
            } else {
                let name = line.split(['{', ' ']).next().unwrap_or_default();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s).filter(|f| types.get(*f).is_some_and(|k| k == "histogram")))
                    .unwrap_or(name);
                assert!(types.contains_key(family), "sample without TYPE: {line}");
            }
        }
    }
}
