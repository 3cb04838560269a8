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
        // Whole, however large: a backup is a file, not a push.
        let outbox = self.outbox_read(None, u32::MAX, false).await?;
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

/// Why the app offers a backup of the unsynced work now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BackupAdvice {
    /// The browser may evict this origin's data, and work has waited a while.
    NotPersistent {
        /// How many changes wait.
        pending: u64,
        /// For how long the oldest has waited (ms).
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
        waited_ms: u64,
    },
    /// The origin's storage is nearly full: the next write may fail, and eviction is near.
    NearlyFull {
        /// How many changes wait.
        pending: u64,
        /// Used over quota, in thousandths.
        permille: u64,
    },
}

/// How long work may wait on a device whose storage is not persistent before a backup is
/// offered (one hour: a morning's orders offline is normal, a day is a risk).
pub const NOT_PERSISTENT_AFTER_MS: u64 = 60 * 60 * 1000;
/// Storage use from which a backup is offered, in thousandths of the quota.
pub const NEARLY_FULL_PERMILLE: u64 = 800;

/// Whether to offer a backup: only while something waits, when storage is nearly full, or when
/// the browser refused to keep the data and the oldest change has waited
/// [`NOT_PERSISTENT_AFTER_MS`]. `persisted` is `None` when the browser cannot say.
pub fn backup_advice(pending: u64, oldest_waited_ms: Option<u64>, used: u64, quota: u64, persisted: Option<bool>) -> Option<BackupAdvice> {
    if pending == 0 {
        return None;
    }
    if quota > 0 {
        let permille = u64::try_from(u128::from(used) * 1000 / u128::from(quota)).unwrap_or(u64::MAX);
        if permille >= NEARLY_FULL_PERMILLE {
            return Some(BackupAdvice::NearlyFull { pending, permille });
        }
    }
    match (persisted, oldest_waited_ms) {
        (Some(false), Some(waited_ms)) if waited_ms >= NOT_PERSISTENT_AFTER_MS => Some(BackupAdvice::NotPersistent { pending, waited_ms }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_offered_only_when_work_waits_at_risk() {
        let hour = NOT_PERSISTENT_AFTER_MS;
        assert_eq!(backup_advice(0, Some(10 * hour), 99, 100, Some(false)), None, "nothing waits");
        assert_eq!(backup_advice(3, Some(hour), 10, 100, Some(true)), None, "kept, with room");
        assert_eq!(backup_advice(3, Some(hour - 1), 10, 100, Some(false)), None, "not kept, but recent");
        assert_eq!(backup_advice(3, Some(hour), 10, 100, Some(false)), Some(BackupAdvice::NotPersistent { pending: 3, waited_ms: hour }));
        assert_eq!(backup_advice(3, Some(10 * hour), 10, 100, None), None, "the browser cannot say");
        assert_eq!(backup_advice(1, Some(0), 80, 100, Some(true)), Some(BackupAdvice::NearlyFull { pending: 1, permille: 800 }));
        assert_eq!(backup_advice(1, None, 79, 100, Some(true)), None);
        assert_eq!(backup_advice(1, None, u64::MAX, u64::MAX, None), Some(BackupAdvice::NearlyFull { pending: 1, permille: 1000 }), "no overflow");
        assert_eq!(backup_advice(1, None, 5, 0, None), None, "no quota figure");
    }
}
