//! Prometheus counters as plain atomics, rendered in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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
}

impl Metrics {
    /// One `POST /api/v1/sync/push` received (authenticated or not).
    pub fn push_request(&self) {
        self.push_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Mutation outcomes of a committed push.
    pub fn mutations(&self, applied: u64, duplicate: u64, rejected: u64) {
        self.applied.fetch_add(applied, Ordering::Relaxed);
        self.duplicate.fetch_add(duplicate, Ordering::Relaxed);
        self.rejected.fetch_add(rejected, Ordering::Relaxed);
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

    /// The Prometheus text exposition, with the review queue's open items when known (a gauge
    /// read from the database by the caller).
    pub fn render_with(&self, open_reviews: Option<i64>) -> String {
        let mut out = self.render();
        if let Some(n) = open_reviews {
            let _ = writeln!(out, "# HELP satchel_review_queue_open Flagged orders waiting for a supervisor's review.");
            let _ = writeln!(out, "# TYPE satchel_review_queue_open gauge");
            let _ = writeln!(out, "satchel_review_queue_open {n}");
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
        let _ = writeln!(
            out,
            "# HELP satchel_mutations_total Pushed mutations by outcome."
        );
        let _ = writeln!(out, "# TYPE satchel_mutations_total counter");
        for (outcome, v) in [
            ("applied", &self.applied),
            ("duplicate", &self.duplicate),
            ("rejected", &self.rejected),
        ] {
            let _ = writeln!(
                out,
                "satchel_mutations_total{{outcome=\"{outcome}\"}} {}",
                get(v)
            );
        }
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
        out
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
}
