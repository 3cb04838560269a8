//! Field telemetry's use cases (issue 21): note what happened into the sealed `meta/telemetry`
//! record, and queue its report when one is due. Both need the workspace unlocked (the record
//! is sealed); while locked nothing is noted, which the docs say.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{meta_get, Device, Want};
use crate::device::error::DeviceError;
use crate::device::plan::{MetaRecord, Record, WritePlan};
use crate::device::records::OutboxEntry;
use crate::device::schema::{MetaKey, StoreId};
use crate::device::store::{Durability, DeviceStore, Read};
use crate::device::telemetry::{self, Telemetry};
use crate::sync::protocol::{Mutation, MutationBody};
use crate::vault::Rng;

impl<S: DeviceStore> Device<S> {
    /// Notes an event (`note` changes the record) at `now`. Skipped while locked: answers `false`.
    pub async fn telemetry_note(&self, now: DateTime<Utc>, rng: &mut dyn Rng, note: impl Fn(&mut Telemetry)) -> Result<bool, DeviceError> {
        if !self.is_unlocked() {
            return Ok(false);
        }
        self.run(&[StoreId::Meta], Durability::Relaxed, vec![meta_get(&[MetaKey::Telemetry])], rng, |codec, _, mut f| {
            let mut t = match Self::meta_records(codec, &[MetaKey::Telemetry], f.remove(0)).remove(&MetaKey::Telemetry) {
                Some(MetaRecord::Telemetry(t)) => *t,
                _ => Telemetry::new(now),
            };
            note(&mut t);
            let mut plan = WritePlan::new();
            plan.put(Record::Meta(MetaRecord::Telemetry(Box::new(t))));
            Ok(Want::Done(plan, true))
        })
        .await
    }

    /// Queues the telemetry report when one is due (see [`Telemetry::due`]), with what the
    /// outbox still holds, and starts the next period, in one transaction. Answers whether one
    /// was queued. Skipped while locked.
    pub async fn telemetry_report(&self, now: DateTime<Utc>, report_id: Uuid, mutation_id: Uuid, rng: &mut dyn Rng) -> Result<bool, DeviceError> {
        if !self.is_unlocked() {
            return Ok(false);
        }
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        let reads = vec![meta_get(&[MetaKey::Telemetry]), Read::Count { store: StoreId::Outbox }, Read::First { store: StoreId::Outbox, limit: 1 }];
        self.run(&[StoreId::Meta, StoreId::Outbox], Durability::Strict, reads, rng, |codec, counters, mut f| {
            let t = match Self::meta_records(codec, &[MetaKey::Telemetry], f.remove(0)).remove(&MetaKey::Telemetry) {
                Some(MetaRecord::Telemetry(t)) => *t,
                _ => return Ok(Want::Done(WritePlan::new(), false)),
            };
            if !t.due(now) {
                return Ok(Want::Done(WritePlan::new(), false));
            }
            let unsynced = u32::try_from(f.remove(0).count()).unwrap_or(u32::MAX);
            let oldest = f
                .remove(0)
                .records()
                .first()
                .and_then(|(_, v)| crate::device::codec::clear::<OutboxEntry>(v).ok())
                .map(|e| e.committed_ms)
                .filter(|ms| *ms > 0)
                .and_then(|ms| DateTime::from_timestamp_millis(i64::try_from(ms).ok()?));
            let (report, next) = telemetry::report(&t, now, report_id, unsynced, oldest);
            let mut plan = WritePlan::new();
            let mut after = counters.clone();
            let seq = after.next_seq;
            after.next_seq += 1;
            let mutation = Mutation { device_id: device.device_id, seq, id: mutation_id, body: MutationBody::TelemetryReport(Box::new(report)), created_at: now, depends_on: Vec::new() };
            plan.add(Record::NewOutbox { mutation, target: None, committed_ms: u64::try_from(now.timestamp_millis()).unwrap_or(0) });
            plan.counters = Some(after);
            plan.put(Record::Meta(MetaRecord::Telemetry(Box::new(next))));
            Ok(Want::Done(plan, true))
        })
        .await
    }
}
