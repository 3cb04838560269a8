//! The backup of a device's unsynced work (issue 20): what "Export unsynced work" writes, what
//! the device keeps as a second copy outside IndexedDB, and what the server's
//! `POST /api/v1/sync/recover` takes back.
//!
//! A backup is the device's outbox as it stands: each entry already sealed to the server's key
//! and authenticated by the device secret, bound to (device, seq, id) (see [`super::sealing`]).
//! So only the server can read it, only the device that holds that secret could have made it,
//! and an entry changed, moved to another sequence number or copied into another device's file
//! does not open. Nothing else in the file is secret: the device id, the time it was made and
//! the sequence numbers.
//!
//! The server applies a backup through the push path, in batches of [`MAX_BATCH`], as if the
//! device that made it had pushed: exactly once (what it already holds is answered
//! `duplicate`), dependencies respected.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::protocol::{MutationResult, Outcome, SealedMutation, MAX_BATCH};

/// The `format` field of every backup.
pub const BACKUP_FORMAT: &str = "satchel-backup";
/// The version this code writes and reads.
pub const BACKUP_VERSION: u32 = 1;
/// The most entries one backup may hold: weeks of a busy rep's orders, a file of about 18 MB at
/// 1.8 KB a sealed one-line order, within the server's 32 MiB limit for `/sync/recover` with room
/// for longer orders. More waiting work goes as several files (the second copy splits itself).
pub const MAX_BACKUP_ENTRIES: usize = 10_000;

/// A device's unsynced work, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Always [`BACKUP_FORMAT`].
    pub format: String,
    /// [`BACKUP_VERSION`].
    pub version: u32,
    /// The device whose outbox this is.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub device_id: Uuid,
    /// When it was made (device clock).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub created_at: DateTime<Utc>,
    /// The outbox's entries, oldest first, with consecutive sequence numbers.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "Array<{ seq: number, id: string, sealed: string }>"))]
    pub entries: Vec<SealedMutation>,
}

impl Backup {
    /// A backup of `entries` (the outbox, oldest first) of `device_id`, made at `now`.
    pub fn new(device_id: Uuid, now: DateTime<Utc>, entries: Vec<SealedMutation>) -> Self {
        Backup { format: BACKUP_FORMAT.into(), version: BACKUP_VERSION, device_id, created_at: now, entries }
    }

    /// The entries in push-sized batches.
    pub fn batches(&self) -> impl Iterator<Item = &[SealedMutation]> {
        self.entries.chunks(MAX_BATCH)
    }
}

/// Why a backup is refused before any entry is opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    /// Not a backup of this kind.
    #[error("this is not a Satchel backup file")]
    Format,
    /// Made by a version this code cannot read.
    #[error("this backup file was made by version {0}, which this server cannot read")]
    Version(u32),
    /// Nothing in it.
    #[error("this backup file holds no unsynced work")]
    Empty,
    /// More entries than [`MAX_BACKUP_ENTRIES`].
    #[error("this backup file holds {got} changes, more than the {max} one file may hold")]
    TooLarge {
        /// The limit.
        max: usize,
        /// What the file holds.
        got: usize,
    },
    /// The sequence numbers are not consecutive from the first (an entry removed or moved).
    #[error("entry {index} of this backup file is out of sequence: the file was changed")]
    OutOfSequence {
        /// The entry's index.
        index: usize,
    },
}

impl BackupError {
    /// A stable code for the wire.
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::Format | BackupError::Version(_) => "not_a_backup",
            BackupError::Empty => "empty_backup",
            BackupError::TooLarge { .. } => "backup_too_large",
            BackupError::OutOfSequence { .. } => "backup_tampered",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &'static str {
        match self {
            BackupError::Format => "format",
            BackupError::Version(_) => "version",
            BackupError::Empty | BackupError::TooLarge { .. } | BackupError::OutOfSequence { .. } => "entries",
        }
    }
}

/// Checks what can be checked before opening anything: the format and version, the size, and
/// that the sequence numbers run consecutively (a sealed entry also binds its own number, so a
/// gap can only be an entry removed).
pub fn check(b: &Backup) -> Result<(), BackupError> {
    if b.format != BACKUP_FORMAT {
        return Err(BackupError::Format);
    }
    if b.version != BACKUP_VERSION {
        return Err(BackupError::Version(b.version));
    }
    if b.entries.is_empty() {
        return Err(BackupError::Empty);
    }
    if b.entries.len() > MAX_BACKUP_ENTRIES {
        return Err(BackupError::TooLarge { max: MAX_BACKUP_ENTRIES, got: b.entries.len() });
    }
    for (index, pair) in b.entries.windows(2).enumerate() {
        if pair[0].seq.checked_add(1) != Some(pair[1].seq) {
            return Err(BackupError::OutOfSequence { index: index + 1 });
        }
    }
    Ok(())
}

/// What the server made of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct RecoverSummary {
    /// The device the backup was of.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub device_id: Uuid,
    /// Changes in the file.
    pub total: u32,
    /// Applied now (flagged included).
    pub applied: u32,
    /// The server already held them (an earlier push or import).
    pub duplicate: u32,
    /// Refused for good (each with its reason in `results`).
    pub rejected: u32,
    /// Held or deferred behind another change.
    pub waiting: u32,
}

/// The answer to `POST /api/v1/sync/recover`: the summary, and one result per entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverResponse {
    /// The counts.
    pub summary: RecoverSummary,
    /// Per entry, in the file's order.
    pub results: Vec<MutationResult>,
}

/// Counts `results` (of a backup of `device_id`).
pub fn summarize(device_id: Uuid, results: &[MutationResult]) -> RecoverSummary {
    let mut s = RecoverSummary { device_id, total: 0, applied: 0, duplicate: 0, rejected: 0, waiting: 0 };
    for r in results {
        s.total = s.total.saturating_add(1);
        let slot = match r.outcome {
            Outcome::Applied | Outcome::Flagged { .. } => &mut s.applied,
            Outcome::Duplicate { .. } => &mut s.duplicate,
            Outcome::Rejected { .. } => &mut s.rejected,
            _ => &mut s.waiting,
        };
        *slot = slot.saturating_add(1);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> SealedMutation {
        SealedMutation { seq, id: Uuid::from_u128(u128::from(seq)), sealed: "00".into() }
    }

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_backup_runs_consecutively_and_says_what_it_is() {
        let ok = Backup::new(Uuid::from_u128(7), at(), (5..=9).map(entry).collect());
        assert_eq!(check(&ok), Ok(()));
        let mut gap = ok.clone();
        gap.entries.remove(2);
        assert_eq!(check(&gap), Err(BackupError::OutOfSequence { index: 2 }));
        assert_eq!(check(&gap).map_err(|e| e.code()), Err("backup_tampered"));
        let mut swapped = ok.clone();
        swapped.entries.swap(0, 1);
        assert!(matches!(check(&swapped), Err(BackupError::OutOfSequence { .. })));
        let mut other = ok.clone();
        other.format = "zip".into();
        assert_eq!(check(&other), Err(BackupError::Format));
        let mut newer = ok.clone();
        newer.version = 2;
        assert_eq!(check(&newer), Err(BackupError::Version(2)));
        assert_eq!(check(&Backup::new(Uuid::nil(), at(), vec![])), Err(BackupError::Empty));
        let huge = Backup::new(Uuid::nil(), at(), (1..=(MAX_BACKUP_ENTRIES as u64 + 1)).map(entry).collect());
        assert!(matches!(check(&huge), Err(BackupError::TooLarge { .. })));
        let last = Backup::new(Uuid::nil(), at(), vec![entry(u64::MAX - 1), entry(u64::MAX)]);
        assert_eq!(check(&last), Ok(()), "no overflow at the top");
    }

    #[test]
    fn batches_are_push_sized() {
        let b = Backup::new(Uuid::nil(), at(), (1..=250).map(entry).collect());
        let sizes: Vec<usize> = b.batches().map(<[SealedMutation]>::len).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
    }
}
