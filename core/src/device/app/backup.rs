//! The backup of the device's unsynced work (issue 20, [`crate::sync::backup`]): made from the
//! outbox ("Export unsynced work", and the second copy kept outside IndexedDB), and rebuilt from
//! that second copy after IndexedDB was lost. Needs no key: the entries are sealed to the server.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Device;
use crate::device::error::DeviceError;
use crate::device::records::OutboxEntry;
use crate::device::store::{DeviceStore, RawValue};
use crate::sync::backup::Backup;
use crate::sync::protocol::SealedMutation;

impl<S: DeviceStore> Device<S> {
    /// The whole outbox as a backup made at `now`; `None` when nothing waits. Works locked.
    pub async fn backup(&self, now: DateTime<Utc>) -> Result<Option<Backup>, DeviceError> {
        let device = self.record().ok_or(DeviceError::NotSignedIn)?;
        let outbox = self.outbox_batch(u32::MAX).await?;
        Ok((!outbox.sealed.is_empty()).then(|| Backup::new(device.device_id, now, outbox.sealed)))
    }
}

/// Backups of `device_id` rebuilt from the values of its outbox's second copy (any order, as the
/// copy lists them): oldest first, one per run of consecutive sequence numbers (a run breaks
/// only where an entry failed to copy, and each run is still exactly-once on the server).
/// A value that does not read as an outbox entry is skipped and counted in the answer.
pub fn backups_from_copy(device_id: Uuid, now: DateTime<Utc>, values: &[RawValue]) -> (Vec<Backup>, usize) {
    let mut entries: Vec<OutboxEntry> = Vec::with_capacity(values.len());
    let mut unreadable = 0;
    for v in values {
        match crate::device::codec::clear::<OutboxEntry>(v) {
            Ok(e) => entries.push(e),
            Err(_) => unreadable += 1,
        }
    }
    entries.sort_by_key(|e| e.seq);
    entries.dedup_by_key(|e| e.seq);
    let mut runs: Vec<Vec<SealedMutation>> = Vec::new();
    for e in entries {
        let follows = runs.last().and_then(|r| r.last()).is_some_and(|last| last.seq.checked_add(1) == Some(e.seq));
        let entry = SealedMutation { seq: e.seq, id: e.id, sealed: e.sealed };
        match runs.last_mut() {
            Some(run) if follows => run.push(entry),
            _ => runs.push(vec![entry]),
        }
    }
    let backups = runs.into_iter().flat_map(|run| {
        // A run longer than one file may hold goes as several files, in order.
        run.chunks(crate::sync::backup::MAX_BACKUP_ENTRIES).map(|c| Backup::new(device_id, now, c.to_vec())).collect::<Vec<_>>()
    });
    (backups.collect(), unreadable)
}
