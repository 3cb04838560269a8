//! The records the device keeps, as they are stored (before sealing). Records written by format 4
//! still decode: their legacy fields (`status`, `reason` instead of a [`Fate`]) are converted as
//! they are read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sales::{NumberRange, PriceList, SalesDocument, SalesSettings};
use crate::sync::hlc::Hlc;
use crate::sync::lifecycle::{Fate, Status};
use crate::sync::protocol::{BlobRef, FlagReason, LockSettings, MutationResult, OutletPatch, TaskStatus, TaskView};
use crate::validation::StockLevel;
use crate::vault::{KeyUsage, WrappedKey};

/// This device as registered, kept in clear: enough to show who it belongs to on the lock screen
/// and to upload sealed entries while locked, and nothing that reads or forges data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// This device's identity on the server.
    pub device_id: Uuid,
    /// The login.
    pub username: String,
    /// The display name.
    pub display_name: String,
    /// The push-only token.
    pub push_token: String,
    /// The server's key generation entries are sealed to.
    pub server_key_id: u32,
    /// The server's X25519 public key (hex).
    pub server_public_key: String,
    /// This device's own X25519 public key (hex): answers received while locked are sealed to it.
    pub device_public_key: String,
    /// The deployment's lock settings, from registration.
    #[serde(default)]
    pub lock: LockSettings,
    /// The register the user sells at (a cashier), from registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
}

impl DeviceRecord {
    /// Whether a leased range numbers receipts of this device's register (else orders).
    pub fn is_receipt_range(&self, range: &crate::sales::NumberRange) -> bool {
        self.register.as_deref().is_some_and(|r| range.prefix == crate::pos::receipt_prefix(r))
    }
}

/// The secrets of the session, sealed under the data key; wiped when dropped.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionSecrets {
    /// The full bearer token.
    pub token: String,
    /// The secret shared with the server that authenticates sealed entries (hex).
    pub device_secret: String,
    /// The device's X25519 secret key (hex).
    pub device_box_secret: String,
}

impl Drop for SessionSecrets {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.token.zeroize();
        self.device_secret.zeroize();
        self.device_box_secret.zeroize();
    }
}

/// A data key retired by rotation, sealed under the current one until no record needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKey {
    /// Its generation.
    pub key_id: u32,
    /// The envelope (hex) from `vault::seal_retired`.
    pub sealed: String,
}

/// The vault's record: the wrapped data key and, during a rotation, the retired one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultRecord {
    /// The current data key, wrapped under the PIN's key.
    pub wrapped: WrappedKey,
    /// The previous data key while records are re-encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<RetiredKey>,
}

/// The counters every queued change advances, in one record so a commit reads one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// The next gap-free sequence number of this device's mutations.
    pub next_seq: u64,
    /// The document numbers the server leased to this device and it has not used.
    #[serde(default)]
    pub number_ranges: Vec<NumberRange>,
    /// The device's hybrid logical clock (outlet edits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hlc: Option<Hlc>,
    /// Seals performed with the current data key (its nonce budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<KeyUsage>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters { next_seq: 1, number_ranges: Vec::new(), hlc: None, key_usage: None }
    }
}

/// An order as the device keeps it: the document it sent and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredOrder")]
pub struct LocalOrder {
    /// The document as committed (and sealed into the outbox).
    pub document: SalesDocument,
    /// Its outbox sequence number.
    pub seq: u64,
    /// The mutation that carries it (nil for orders of format 3).
    pub mutation_id: Uuid,
    /// The task it was billed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// What became of it.
    pub fate: Fate,
    /// Applied by the server when the device had completed `n` pulls
    /// ([`super::schema::MetaKey::Pulls`]), and told so by a push's answer: the server's figures
    /// on this device (van, outlet balance) do not include it until a later pull completes, so
    /// until then its effects still count on top of them. `None`: nothing awaited (not applied,
    /// or told by a pull page, which brings the figures that include it).
    ///
    /// A watermark, not a flag: a pull's last page moves one counter instead of reading and
    /// rewriting every order still awaiting it.
    #[serde(default, rename = "awaiting_pull_after", skip_serializing_if = "Option::is_none")]
    pub awaiting_pull: Option<u64>,
}

impl LocalOrder {
    /// Whether its effects (what it took from the van, what it adds to the outlet's balance)
    /// are missing from the server's figures this device holds: not answered yet, deferred by
    /// the server, or applied after the last complete pull.
    /// `pulls_completed`: the device's count of completed pulls ([`super::schema::MetaKey::Pulls`]).
    pub fn counts_on_top(&self, pulls_completed: u64) -> bool {
        match self.fate {
            Fate::Pending | Fate::Deferred { .. } => true,
            Fate::Applied | Fate::Flagged { .. } => self.awaiting_pull.is_some_and(|n| n >= pulls_completed),
            Fate::Rejected { .. } | Fate::Held { .. } | Fate::Discarded { .. } => false,
        }
    }

    /// Whether the likely-duplicate rule remembers it (a refused, held or discarded order is
    /// no order at all).
    pub fn is_real(&self) -> bool {
        matches!(self.fate, Fate::Pending | Fate::Deferred { .. } | Fate::Applied | Fate::Flagged { .. })
    }

    /// The order's id.
    pub fn order_id(&self) -> Uuid {
        self.document.order_id
    }

    /// Its outlet.
    pub fn outlet_id(&self) -> &str {
        &self.document.order.outlet_id
    }
}

/// A stored order, in format 5 or 4.
#[derive(Deserialize)]
struct StoredOrder {
    document: SalesDocument,
    seq: u64,
    #[serde(default)]
    mutation_id: Option<Uuid>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default)]
    fate: Option<Fate>,
    /// Format 5 before the watermark: a flag, cleared by the next complete pull.
    #[serde(default)]
    awaiting_pull: bool,
    #[serde(default)]
    awaiting_pull_after: Option<u64>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    reason: Option<String>,
}

impl From<StoredOrder> for LocalOrder {
    fn from(s: StoredOrder) -> Self {
        let fate = s.fate.unwrap_or_else(|| legacy_fate(s.status, s.reason));
        LocalOrder {
            document: s.document,
            seq: s.seq,
            mutation_id: s.mutation_id.unwrap_or_default(),
            task_id: s.task_id,
            fate,
            // A flag of before the watermark was written when the pull counter did not exist
            // (0 until the next complete pull, which clears it as the flag's pull would have).
            awaiting_pull: s.awaiting_pull_after.or(s.awaiting_pull.then_some(0)),
        }
    }
}

/// The fate of a record of format 4, which kept a status and a reason.
fn legacy_fate(status: Option<Status>, reason: Option<String>) -> Fate {
    let reason = reason.unwrap_or_default();
    match status.unwrap_or(Status::Pending) {
        Status::Pending => Fate::Pending,
        Status::Synced => Fate::Applied,
        Status::Flagged => Fate::Flagged { reasons: vec![FlagReason { rule: String::new(), message: reason }] },
        Status::Rejected => Fate::Rejected { code: String::new(), reason, field: None },
        Status::Held => Fate::Held { parent: Uuid::nil(), code: String::new(), reason },
        Status::Waiting => Fate::Deferred { waiting_for: Vec::new(), reason },
        Status::Discarded => Fate::Discarded { reason },
    }
}

/// A task as the device keeps it: the server's view and this device's completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalTask {
    /// The task as the server last sent it.
    pub task: TaskView,
    /// This device's completion, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<LocalCompletion>,
}

impl LocalTask {
    /// The status the user sees: done as soon as this device completed it (until the server
    /// refuses the completion), else the server's.
    pub fn shown_status(&self) -> TaskStatus {
        let completed_here = self.completion.as_ref().is_some_and(|c| {
            matches!(c.fate, Fate::Pending | Fate::Deferred { .. } | Fate::Applied | Fate::Flagged { .. })
        });
        if self.task.status == TaskStatus::Open && completed_here {
            TaskStatus::Done
        } else {
            self.task.status
        }
    }
}

/// A completion recorded on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredCompletion")]
pub struct LocalCompletion {
    /// The `task.complete` mutation.
    pub mutation_id: Uuid,
    /// Its sequence number.
    pub seq: u64,
    /// When (RFC 3339).
    pub completed_at: String,
    /// The rep's note.
    pub note: String,
    /// The photos.
    pub photos: Vec<BlobRef>,
    /// What became of it.
    pub fate: Fate,
}

#[derive(Deserialize)]
struct StoredCompletion {
    mutation_id: Uuid,
    seq: u64,
    completed_at: String,
    note: String,
    photos: Vec<BlobRef>,
    #[serde(default)]
    fate: Option<Fate>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    reason: Option<String>,
}

impl From<StoredCompletion> for LocalCompletion {
    fn from(s: StoredCompletion) -> Self {
        let fate = s.fate.unwrap_or_else(|| legacy_fate(s.status, s.reason));
        LocalCompletion { mutation_id: s.mutation_id, seq: s.seq, completed_at: s.completed_at, note: s.note, photos: s.photos, fate }
    }
}

/// An order being composed: the page's own content (an object), stored sealed as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(rename = "DraftView"))]
pub struct Draft {
    /// The draft's id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub draft_id: Uuid,
    /// When it was last edited (RFC 3339).
    pub updated_at: String,
    /// What the page keeps in it (outlet, lines, quantities as typed).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "Record<string, unknown>"))]
    pub content: serde_json::Value,
}

impl Draft {
    /// The outlet the draft is for, in either of the shapes drafts have had (`outlet_id`, or
    /// `order.outlet_id` for drafts made from a held order by format 4).
    pub fn outlet_id(&self) -> Option<&str> {
        let c = &self.content;
        c.get("outlet_id").or_else(|| c.get("order").and_then(|o| o.get("outlet_id"))).and_then(|v| v.as_str())
    }

    /// How many lines it has.
    pub fn line_count(&self) -> usize {
        let c = &self.content;
        c.get("lines")
            .or_else(|| c.get("order").and_then(|o| o.get("lines")))
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len)
    }

    /// How the draft is named to the user (signing out asks before throwing drafts away):
    /// the outlet's name (`outlet_name` looks it up), its id when unknown, or "no outlet yet".
    pub fn summary(&self, outlet_name: impl Fn(&str) -> Option<String>) -> super::error::DraftSummary {
        super::error::DraftSummary {
            draft_id: self.draft_id.to_string(),
            outlet: self.outlet_id().map_or_else(|| "no outlet yet".into(), |id| outlet_name(id).unwrap_or_else(|| id.to_string())),
            lines: self.line_count(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// An outlet edit the server has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOutletEdit {
    /// Its sequence number.
    pub seq: u64,
    /// What it changes.
    pub patch: OutletPatch,
}

/// A photo waiting to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    /// The blob.
    pub blob: BlobRef,
}

/// Where the pull stands (in clear: a checkpoint tells nothing of the business).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullState {
    /// Where the next page starts (`None`: the initial sync has not started).
    pub checkpoint: Option<String>,
    /// The initial sync finished once (every page was applied).
    pub complete: bool,
    /// Changes the server said remained after the last page.
    pub remaining: u64,
    /// When the last page was applied (the server's clock, RFC 3339).
    pub pulled_at: Option<String>,
}

/// Settings, role and price lists (`meta/sales`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesMeta {
    /// The deployment's settings (absent until the pull brought them).
    #[serde(default)]
    pub settings: Option<SalesSettings>,
    /// The user's role.
    pub role: String,
    /// The price lists.
    pub price_lists: Vec<PriceList>,
}

/// The reference data's age and currency (`meta/reference`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceInfo {
    /// When the server produced it.
    pub as_of: String,
    /// Currency of the prices.
    pub currency: String,
}

/// One SKU of the van, as the server last sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VanRecord {
    /// The SKU.
    pub sku: String,
    /// The server's figure.
    pub level: StockLevel,
}

/// An outbox entry: in clear only its number, id, the keyed key of the record it concerns and
/// when it was committed; the mutation itself is sealed to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Its sequence number.
    pub seq: u64,
    /// The mutation's id.
    pub id: Uuid,
    /// The keyed key of the order it carries (`task:` and the task's for a completion; empty
    /// for edits and discards, whose answers change no stored record but the outbox).
    pub order_key: String,
    /// The mutation, sealed to the server (hex).
    pub sealed: String,
    /// When it was committed (ms since the epoch, device clock): timing only.
    #[serde(default)]
    pub committed_ms: u64,
}

/// The prefix of an outbox entry's `order_key` that names a task's record.
pub const TASK_TARGET: &str = "task:";

/// An answer received while locked (sealed to the device's own key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// The entry's `order_key`.
    pub order_key: String,
    /// The server's result.
    pub result: MutationResult,
}

/// Tax rule sets pulled from the server, by id (JSON of `crate::tax::RuleSet`).
pub type PulledRules = BTreeMap<String, serde_json::Value>;

/// A van figure as format 3 kept it (one map of every SKU).
pub type LegacyVan = BTreeMap<String, StockLevel>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_4_completion_decodes_with_its_fate() {
        let json = serde_json::json!({"mutation_id": Uuid::nil(), "seq": 4, "completed_at": "2026-11-22T10:00:00Z", "note": "",
            "photos": [], "status": "rejected", "reason": "the task was cancelled"});
        let c: LocalCompletion = serde_json::from_value(json).expect("decodes");
        assert_eq!(c.fate.status(), Status::Rejected);
        assert_eq!(c.fate.reason().as_deref(), Some("the task was cancelled"));
        let again: LocalCompletion = serde_json::from_value(serde_json::to_value(&c).expect("encodes")).expect("decodes");
        assert_eq!(again, c, "format 5 round-trips");
    }

    #[test]
    fn drafts_name_their_outlet_in_either_shape() {
        let page = Draft { draft_id: Uuid::nil(), updated_at: String::new(), content: serde_json::json!({"outlet_id": "O1", "lines": [{}, {}]}) };
        let held = Draft { content: serde_json::json!({"order": {"outlet_id": "O2", "lines": [{}]}}), ..page.clone() };
        assert_eq!((page.outlet_id(), page.line_count()), (Some("O1"), 2));
        assert_eq!((held.outlet_id(), held.line_count()), (Some("O2"), 1));
    }
}
