//! What a device measures of itself between two telemetry reports (issue 21), as one record:
//! each acknowledged mutation's entry-to-acknowledgement time and push attempts, offline spans,
//! app starts, unlocks and force-closes, storage figures and the counter's sales during
//! outages. Pure: the caller feeds events with their times and stores the record; [`report`]
//! turns it into a `telemetry.report` and starts the next period.
//!
//! A force-close is a start that finds the sync-round marker still set: [`Telemetry::round_started`]
//! sets it before a push and [`Telemetry::round_finished`] clears it, whatever the push's
//! outcome, so only a tab or app closed mid-round leaves it behind.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::telemetry::{Histogram, OutageSales, TelemetryReport, ATTEMPT_SLOTS};

/// How long a period runs before its report is due (a report also goes when the period holds
/// a force-close, so a supervisor sees it at the next sync).
pub const REPORT_EVERY_SECS: i64 = 15 * 60;

/// The device's telemetry since its last report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Telemetry {
    /// When the period began.
    pub since: DateTime<Utc>,
    /// Entry-to-acknowledgement times.
    pub entry_to_ack: Histogram,
    /// Attempts per acknowledged mutation (see [`TelemetryReport::attempts`]).
    pub attempts: Vec<u64>,
    /// Offline spans that ended.
    pub offline: Histogram,
    /// Offline since (the span in progress), when offline.
    pub offline_since: Option<DateTime<Utc>>,
    /// App starts.
    pub app_starts: u32,
    /// Unlocks.
    pub unlocks: u32,
    /// Force-closes detected.
    pub force_closes: u32,
    /// A sync round is under way (or was, when the app was closed).
    pub round_open: bool,
    /// The last storage figures: used, quota, persisted.
    pub storage: Option<(u64, u64, bool)>,
    /// The counter's sales while offline.
    pub outage_sales: OutageSales,
}

impl Telemetry {
    /// A new period from `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Telemetry {
            since: now,
            entry_to_ack: Histogram::default(),
            attempts: vec![0; ATTEMPT_SLOTS],
            offline: Histogram::default(),
            offline_since: None,
            app_starts: 0,
            unlocks: 0,
            force_closes: 0,
            round_open: false,
            storage: None,
            outage_sales: OutageSales::default(),
        }
    }

    /// The app started: a sync-round marker left from before is a force-close.
    pub fn started(&mut self) {
        self.app_starts = self.app_starts.saturating_add(1);
        if self.round_open {
            self.force_closes = self.force_closes.saturating_add(1);
            self.round_open = false;
        }
    }

    /// The workspace was unlocked.
    pub fn unlocked(&mut self) {
        self.unlocks = self.unlocks.saturating_add(1);
    }

    /// A sync round (a push) begins.
    pub fn round_started(&mut self) {
        self.round_open = true;
    }

    /// The round ended, answered or not.
    pub fn round_finished(&mut self) {
        self.round_open = false;
    }

    /// A mutation committed at `committed` was acknowledged at `now` after `attempts` pushes.
    pub fn acknowledged(&mut self, committed: DateTime<Utc>, now: DateTime<Utc>, attempts: u32) {
        self.entry_to_ack.record(u64::try_from((now - committed).num_milliseconds()).unwrap_or(0));
        let slot = usize::try_from(attempts.max(1) - 1).unwrap_or(usize::MAX).min(ATTEMPT_SLOTS - 1);
        if self.attempts.len() != ATTEMPT_SLOTS {
            self.attempts.resize(ATTEMPT_SLOTS, 0);
        }
        if let Some(a) = self.attempts.get_mut(slot) {
            *a = a.saturating_add(1);
        }
    }

    /// The device went offline at `now` (the browser's event, or a push that could not reach
    /// the server); a span already open stays as it began.
    pub fn went_offline(&mut self, now: DateTime<Utc>) {
        self.offline_since.get_or_insert(now);
    }

    /// The device is back online at `now` (the browser's event, or a push answered): the span
    /// ends and is counted.
    pub fn back_online(&mut self, now: DateTime<Utc>) {
        if let Some(since) = self.offline_since.take() {
            self.offline.record(u64::try_from((now - since).num_milliseconds()).unwrap_or(0));
        }
    }

    /// Whether the device is offline by what it was told.
    pub fn is_offline(&self) -> bool {
        self.offline_since.is_some()
    }

    /// The storage figures (`navigator.storage.estimate()`, `persisted()`).
    pub fn storage(&mut self, used: u64, quota: u64, persisted: bool) {
        self.storage = Some((used, quota, persisted));
    }

    /// A counter sale completed (`ok`) or failed while the device was offline.
    pub fn counter_sale(&mut self, ok: bool) {
        if !self.is_offline() {
            return;
        }
        if ok {
            self.outage_sales.completed = self.outage_sales.completed.saturating_add(1);
        } else {
            self.outage_sales.failed = self.outage_sales.failed.saturating_add(1);
        }
    }

    /// Whether anything was measured this period.
    pub fn has_data(&self) -> bool {
        !self.entry_to_ack.is_empty() || !self.offline.is_empty() || self.app_starts > 0 || self.unlocks > 0 || self.force_closes > 0 || self.outage_sales != OutageSales::default()
    }

    /// Whether a report is due at `now`: the period is long enough, or holds a force-close.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.has_data() && (self.force_closes > 0 || (now - self.since).num_seconds() >= REPORT_EVERY_SECS)
    }
}

/// The report of `t`'s period up to `now` (with what is still unsynced) and the next period's
/// record, which keeps the open offline span, the round marker and the storage figures.
pub fn report(t: &Telemetry, now: DateTime<Utc>, report_id: Uuid, unsynced: u32, oldest_unsynced_at: Option<DateTime<Utc>>) -> (TelemetryReport, Telemetry) {
    let (storage_used, storage_quota, persisted) = match t.storage {
        Some((u, q, p)) => (Some(u), Some(q), Some(p)),
        None => (None, None, None),
    };
    let report = TelemetryReport {
        report_id,
        from: t.since,
        to: now.max(t.since),
        entry_to_ack: t.entry_to_ack.clone(),
        attempts: t.attempts.clone(),
        offline: t.offline.clone(),
        app_starts: t.app_starts,
        unlocks: t.unlocks,
        force_closes: t.force_closes,
        storage_used,
        storage_quota,
        persisted,
        unsynced,
        oldest_unsynced_at,
        outage_sales: t.outage_sales.clone(),
    };
    let mut next = Telemetry::new(now.max(t.since));
    next.offline_since = t.offline_since;
    next.round_open = t.round_open;
    next.storage = t.storage;
    (report, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::check_report;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::seconds(secs)
    }

    #[test]
    fn a_round_left_open_is_one_force_close() {
        let mut t = Telemetry::new(at(0));
        t.started();
        t.round_started();
        t.round_finished();
        t.started();
        assert_eq!(t.force_closes, 0, "a finished round is no force-close");
        t.round_started();
        // The tab is killed here; the next start finds the marker.
        t.started();
        assert_eq!((t.app_starts, t.force_closes, t.round_open), (3, 1, false));
        assert!(t.due(at(1)), "a force-close makes the report due at once");
    }

    #[test]
    fn offline_spans_latency_and_attempts_become_a_valid_report() {
        let mut t = Telemetry::new(at(0));
        t.went_offline(at(10));
        t.went_offline(at(20));
        t.counter_sale(true);
        t.counter_sale(false);
        t.back_online(at(610));
        t.counter_sale(true);
        t.acknowledged(at(15), at(612), 3);
        t.acknowledged(at(600), at(601), 1);
        t.acknowledged(at(600), at(601), 9);
        t.storage(500, 1000, true);
        assert!(!t.due(at(100)) && t.due(at(REPORT_EVERY_SECS)));
        let (r, next) = report(&t, at(900), Uuid::nil(), 2, Some(at(880)));
        assert_eq!(check_report(&r), Ok(()));
        assert_eq!(r.offline.count(), 1);
        assert_eq!(r.offline.max_ms, 600_000, "the span from the first offline event");
        assert_eq!(r.entry_to_ack.count(), 3);
        assert_eq!(r.attempts, vec![1, 0, 1, 0, 0, 1]);
        assert_eq!((r.outage_sales.completed, r.outage_sales.failed), (1, 1), "only sales while offline count");
        assert_eq!((r.storage_used, r.storage_quota, r.persisted), (Some(500), Some(1000), Some(true)));
        assert_eq!((r.from, r.to, r.unsynced), (at(0), at(900), 2));
        assert!(!next.has_data() && next.since == at(900) && next.storage == t.storage);
    }
}
