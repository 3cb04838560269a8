//! The wire protocol, version 1. Every amount is a decimal string; every id a UUID string.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Dec;

/// Largest number of mutations in one push.
pub const MAX_BATCH: usize = 100;

/// Largest request body a server takes, in bytes (1 MiB).
pub const BODY_LIMIT: usize = 1 << 20;

/// The most sealed bytes a device puts in one push: half the body limit, so that a batch of
/// large orders (a wholesale rep's 60 lines each) is cut short of [`MAX_BATCH`] instead of
/// being refused whole, again and again, for its size. The other half is for the JSON around
/// the entries. An entry larger than this goes alone.
pub const PUSH_SEALED_BUDGET: usize = BODY_LIMIT / 2;

/// What an entry costs in a push beyond its sealed text: its sequence number and id in JSON.
pub const PUSH_ENTRY_OVERHEAD: usize = 96;

/// How many of `sizes` (sealed lengths, in order) go in one push: as many as fit
/// [`PUSH_SEALED_BUDGET`], and at least one.
pub fn push_fits(sizes: impl IntoIterator<Item = usize>) -> usize {
    let mut used = 0usize;
    let mut taken = 0usize;
    for size in sizes {
        used = used.saturating_add(size.saturating_add(PUSH_ENTRY_OVERHEAD));
        if taken > 0 && used > PUSH_SEALED_BUDGET {
            break;
        }
        taken += 1;
    }
    taken
}

/// What a device did, queued in its outbox in the same transaction as the change itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    /// The device that made it (assigned by the server at registration).
    pub device_id: Uuid,
    /// Position in the device's gap-free sequence, starting at 1.
    pub seq: u64,
    /// The mutation's own identity (UUIDv7).
    pub id: Uuid,
    /// What kind of change it is, with its document.
    #[serde(flatten)]
    pub body: MutationBody,
    /// When it was made (device clock; informative).
    pub created_at: DateTime<Utc>,
    /// The mutations (by id, of any device) that must be applied before this one. The server
    /// never applies it before them; if one of them is rejected, this one is held (see
    /// [`Outcome::Held`]); while one of them is unknown or deferred, this one is deferred.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Uuid>,
}

/// The kind of a mutation and its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum MutationBody {
    /// A committed sales order of the first version (one tax rate per outlet, no sales policy).
    /// **Retired**: still read, so a client that sends one gets a per-mutation `retired_kind`
    /// rejection (nothing stored) instead of a refused push; devices send
    /// [`MutationBody::SalesOrderCreate`].
    #[serde(rename = "order.create")]
    OrderCreate(crate::order::OrderDocument),
    /// A committed sales order priced from a price list, taxed by the engine and validated
    /// under the deployment's policy (see [`crate::sales`]).
    #[serde(rename = "sales_order.create")]
    SalesOrderCreate(Box<crate::sales::SalesDocument>),
    /// A change to an outlet's shared fields (phone, address, contact), merged field by field on
    /// the server ([`crate::sync::merge`]); overlapping concurrent changes become conflicts for
    /// review, never silent overwrites.
    #[serde(rename = "outlet.update")]
    OutletUpdate(OutletPatch),
    /// The rep completed a task the office assigned (a visit, a delivery, a shelf check), with a
    /// note and photos. Refused when the task is no longer open or not the rep's.
    #[serde(rename = "task.complete")]
    TaskComplete(TaskCompletion),
    /// The user discards a held mutation (see [`Outcome::Held`]) instead of resubmitting it; the
    /// server keeps a record of the discarded one, who discarded it and why.
    #[serde(rename = "mutation.discard")]
    MutationDiscard(Discard),
    /// A cashier opened a shift at a register with a counted float (see [`crate::pos`]).
    #[serde(rename = "shift.open")]
    ShiftOpen(crate::pos::ShiftOpening),
    /// Cash into or out of a shift's drawer that is not a sale, or a no-sale opening; depends
    /// on the shift's opening.
    #[serde(rename = "cash.movement")]
    CashMovement(crate::pos::MovementEntry),
    /// A shift closed with its counted drawer and Z report; depends on every receipt and
    /// movement of the shift. The server recomputes the report and flags any difference.
    #[serde(rename = "shift.close")]
    ShiftClose(Box<crate::pos::ShiftClosing>),
    /// A crew member started a delivery day: site, route, truck, load sheet, odometer, float
    /// and the planned stops (see [`crate::delivery`]).
    #[serde(rename = "day.start")]
    DayStart(crate::delivery::DayStart),
    /// Money collected against invoices during a day; depends on the day's start and on each
    /// invoice of the day it pays.
    #[serde(rename = "collection.record")]
    CollectionRecord(crate::delivery::CollectionEntry),
    /// A day ended with the van and the cash counted and the device's settlement; the server
    /// recomputes the settlement and flags any difference.
    #[serde(rename = "day.end")]
    DayEnd(Box<crate::delivery::DayEnd>),
    /// A device's telemetry for a period: aggregates only (histograms and counts), see
    /// [`crate::telemetry`].
    #[serde(rename = "telemetry.report")]
    TelemetryReport(Box<crate::telemetry::TelemetryReport>),
}

/// A completed task (`task.complete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCompletion {
    /// The task.
    pub task_id: String,
    /// When the rep completed it (device clock).
    pub completed_at: DateTime<Utc>,
    /// The rep's note.
    #[serde(default)]
    pub note: String,
    /// Photos taken for it. The server defers the mutation until every blob is uploaded whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<BlobRef>,
    /// A stop of a delivery day: its outcome and proof (see [`crate::delivery::DayStop`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<crate::delivery::DayStop>,
}

/// A held mutation the user gave up on (`mutation.discard`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discard {
    /// The held mutation.
    pub target: Uuid,
    /// The user's reason, kept with the record (may be empty).
    #[serde(default)]
    pub reason: String,
}

/// A reference to a blob (a photo), by content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobRef {
    /// SHA-256 of the content, 64 lowercase hex characters.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type, e.g. `image/jpeg`.
    pub content_type: String,
}

/// Largest blob the server accepts (bytes).
pub const MAX_BLOB_BYTES: u64 = 8 * 1024 * 1024;
/// Largest chunk of one upload request (bytes); devices send chunks of this size.
pub const BLOB_CHUNK_BYTES: u64 = 256 * 1024;
/// MIME types a blob may have.
pub const BLOB_CONTENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// Whether `s` is a SHA-256 in lowercase hex.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `POST /api/v1/blobs`: announce a blob before uploading it (idempotent: announcing a blob
/// the server already has, whole or in part, answers how much it holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobCreate {
    /// The blob.
    #[serde(flatten)]
    pub blob: BlobRef,
}

/// How much of a blob the server holds (`POST /api/v1/blobs`, `GET` and `PATCH
/// /api/v1/blobs/{sha256}`). An upload resumes at `received`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobStatus {
    /// The blob's SHA-256.
    pub sha256: String,
    /// Its size.
    pub size: u64,
    /// Bytes received so far, from the start, with no gap.
    pub received: u64,
    /// Received whole and its hash checked.
    pub complete: bool,
}

/// The fields of an outlet a device may change.
pub const OUTLET_EDITABLE_FIELDS: [&str; 3] = ["phone", "address", "contact_name"];

/// What a device changed on an outlet: only the changed fields, each with the value it saw
/// (`from`) and the new one (`to`), and the version it was based on. The author is the token's
/// user, never the payload's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletPatch {
    /// The outlet.
    pub outlet_id: String,
    /// The outlet's version the device saw.
    pub base_version: u64,
    /// Changed fields by name.
    pub changes: std::collections::BTreeMap<String, crate::sync::merge::FieldChange>,
    /// When, on the device's hybrid logical clock.
    pub at: crate::sync::hlc::Hlc,
}

impl Mutation {
    /// What the server stores of an applied mutation to recognise a replay: SHA-256 (hex) of
    /// its canonical JSON (object keys sorted; `device_id`, `seq` and `id` included). A replay
    /// of the same device and seq carries the very same mutation, so the same fingerprint; a
    /// different one is answered [`PAYLOAD_MISMATCH`], never `duplicate`.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        // Through `Value`, whose maps are sorted: the text does not depend on field order.
        let canonical = serde_json::to_value(self).and_then(|v| serde_json::to_vec(&v)).unwrap_or_default();
        crate::vault::hex::encode(&Sha256::digest(&canonical))
    }
}

/// The code of a push entry refused because its device and seq were already used by a
/// different mutation (same id or not): the device's queue is answered, the stored one kept.
pub const PAYLOAD_MISMATCH: &str = "payload_mismatch";

impl MutationBody {
    /// The kind as it appears on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            MutationBody::OrderCreate(_) => "order.create",
            MutationBody::SalesOrderCreate(_) => "sales_order.create",
            MutationBody::OutletUpdate(_) => "outlet.update",
            MutationBody::TaskComplete(_) => "task.complete",
            MutationBody::MutationDiscard(_) => "mutation.discard",
            MutationBody::ShiftOpen(_) => "shift.open",
            MutationBody::CashMovement(_) => "cash.movement",
            MutationBody::ShiftClose(_) => "shift.close",
            MutationBody::DayStart(_) => "day.start",
            MutationBody::CollectionRecord(_) => "collection.record",
            MutationBody::DayEnd(_) => "day.end",
            MutationBody::TelemetryReport(_) => "telemetry.report",
        }
    }
}

/// `POST /api/v1/devices`: a signed-in user registers this device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The user's login.
    pub username: String,
    /// The user's password (sent once, over TLS in production; never stored in clear).
    pub password: String,
    /// A label the supervisor sees, e.g. "Chromium on Android".
    #[serde(default)]
    pub label: String,
}

/// The answer to [`RegisterRequest`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The new device's identity.
    pub device_id: Uuid,
    /// The bearer token the device presents from now on. Shown once; the server keeps a hash.
    pub token: String,
    /// Who signed in.
    pub user: UserView,
    /// The server's clock at registration.
    pub server_time: DateTime<Utc>,
    /// What the device needs to seal its outbox for the server (see [`SealingMaterial`]).
    pub sealing: SealingMaterial,
    /// The deployment's inactivity lock.
    #[serde(default)]
    pub lock: LockSettings,
    /// Document numbers leased to this device (see [`crate::sales::numbering`]).
    #[serde(default)]
    pub number_ranges: Vec<crate::sales::NumberRange>,
    /// Work the user's other devices committed that never reached the server (issue 20), by
    /// their last reported marks: after a browser wiped its storage, the rep is told what is
    /// missing and its document numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<crate::sync::marks::MissingWork>,
}

/// The deployment's lock settings, sent at registration. A page embedding the module may
/// shorten the timeout, never lengthen it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockSettings {
    /// Inactivity before the workspace locks (ms).
    pub idle_timeout_ms: u64,
    /// Lock as soon as the page is hidden.
    pub lock_when_hidden: bool,
    /// `(failures, delay_ms)` waits after consecutive wrong PINs, replacing the device's
    /// defaults ([`crate::vault::LockPolicy`]). Absent in production: only a server started with
    /// `SATCHEL_TEST_PIN_DELAYS` sends it, so that end-to-end tests need not wait an hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_delays_ms: Option<Vec<(u32, u64)>>,
}

impl Default for LockSettings {
    fn default() -> Self {
        LockSettings { idle_timeout_ms: 5 * 60_000, lock_when_hidden: false, pin_delays_ms: None }
    }
}

/// Given once at registration: lets the device seal outbox entries that only the server can
/// open, and upload them while the workspace is locked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealingMaterial {
    /// The server's X25519 key generation.
    pub server_key_id: u32,
    /// The server's X25519 public key (64 hex characters).
    pub server_public_key: String,
    /// A 32-byte secret shared by this device and the server (64 hex characters). It
    /// authenticates the device's sealed entries; the device keeps it only under its data key.
    pub device_secret: String,
    /// A token that can only upload sealed entries (`POST /api/v1/sync/push` with `sealed`).
    /// The device may keep it outside the vault: it reads nothing and forges nothing.
    pub push_token: String,
}

/// A user as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// The login.
    pub username: String,
    /// The display name.
    pub display_name: String,
    /// The register (till) the user sells at, for a cashier: receipt numbers of this register
    /// are leased to the device with the document numbers (prefix `"<register>-"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
}

/// `POST /api/v1/sync/push`: a batch of mutations, in sequence order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Must be the device the token belongs to.
    pub device_id: Uuid,
    /// At most [`MAX_BATCH`] mutations with consecutive sequence numbers, in clear (full
    /// token only).
    #[serde(default)]
    pub mutations: Vec<Mutation>,
    /// Or: at most [`MAX_BATCH`] mutations sealed to the server's key (either token). A push
    /// carries one list or the other, not both.
    #[serde(default)]
    pub sealed: Vec<SealedMutation>,
    /// How many leased document numbers the device has left. Below the server's low-water
    /// mark the answer leases a new range, even if the server believes an earlier answer
    /// already did (that answer may have been lost on the way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers_left: Option<u64>,
    /// The same for the receipt numbers of the user's register, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipts_left: Option<u64>,
    /// The device's clock when it sent the push: the server's offset from it corrects the
    /// device times it measures latencies from (entry to server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// What the device has committed (issue 20): recorded before the batch is applied, so the
    /// server can tell what never arrived if the device's storage is wiped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<crate::sync::marks::DeviceMarks>,
}

/// A mutation sealed to the server's key (see `crate::sync::sealing`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedMutation {
    /// Its sequence number (in clear: the server sequences before opening).
    pub seq: u64,
    /// Its id.
    pub id: Uuid,
    /// The sealed box, in hex: the [`Mutation`] as JSON.
    pub sealed: String,
}

/// The answer to [`PushRequest`]: one result per mutation, in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Per-mutation outcome.
    pub results: Vec<MutationResult>,
    /// The highest sequence number the server has recorded for this device.
    pub last_seq: u64,
    /// New document-number ranges leased to the device because its own ran low.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub number_ranges: Vec<crate::sales::NumberRange>,
}

/// What became of one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutationResult {
    /// The mutation's sequence number.
    pub seq: u64,
    /// The mutation's id.
    pub id: Uuid,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The outcome of one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Applied earlier; this was a replay. `original` is what happened the first time.
    Duplicate {
        /// The first outcome (`applied` or `rejected`).
        original: String,
    },
    /// Applied, and flagged for a supervisor's review (e.g. over the credit limit by the
    /// server's own figures). The order stands; the reasons say what to look at.
    Flagged {
        /// Why, one per finding.
        reasons: Vec<FlagReason>,
    },
    /// Refused for good, with a stable code and a reason for the user. The mutation is consumed:
    /// the device must not send it again, and keeps it visible with the reason.
    Rejected {
        /// Stable code, e.g. `total_mismatch`.
        code: String,
        /// Human-readable reason, naming the field.
        reason: String,
        /// The field concerned, when there is one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Neither applied nor lost: a mutation it depends on was rejected (or is held itself). The
    /// server keeps it; the user edits and resubmits it as a new mutation, or discards it
    /// (`mutation.discard`). The mutation is consumed: the device must not send it again.
    Held {
        /// The mutation whose refusal holds this one.
        parent: Uuid,
        /// The parent's rejection code (or `held` when the parent is held itself).
        code: String,
        /// Why, for the user: the parent's reason.
        reason: String,
    },
    /// Received and kept, not applied yet: it waits for mutations it depends on (`mutation:<id>`)
    /// or for blobs to be uploaded whole (`blob:<sha256>`). The device must not send it again;
    /// it learns the final outcome through the pull (entity `mutation_result`).
    Deferred {
        /// What it waits for.
        waiting_for: Vec<String>,
        /// A sentence for the user.
        reason: String,
    },
}

impl Outcome {
    /// The status as it appears on the wire.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Flagged { .. } => "flagged",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Held { .. } => "held",
            Outcome::Deferred { .. } => "deferred",
        }
    }
}

/// Default number of changes in one pull page.
pub const PULL_PAGE: usize = 500;
/// Largest number of changes in one pull page.
pub const MAX_PULL_PAGE: usize = 2000;

/// The kinds of records the pull carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// The deployment's sales settings and the user's role; key `sales`; data [`SettingsView`].
    Settings,
    /// A tax rule set; key its id (e.g. `ca`); data a `crate::tax::RuleSet` as JSON.
    RuleSet,
    /// A product; key the SKU; data [`crate::sales::CatalogProduct`].
    Product,
    /// A price list; key its id; data [`crate::sales::PriceList`].
    PriceList,
    /// An outlet on the user's routes, with its credit and its as-of time; key its id; data
    /// [`crate::sales::OutletInfo`].
    Outlet,
    /// What the user's van holds of a SKU; key the SKU; data [`crate::validation::StockLevel`].
    VanStock,
    /// A task assigned to the user; key its id; data [`TaskView`].
    Task,
    /// The final outcome of one of this device's deferred mutations (or a held one's change);
    /// key the mutation id; data [`MutationResult`].
    MutationResult,
}

/// `GET /api/v1/sync/pull?checkpoint=…&limit=…`: one page of changes after a checkpoint.
///
/// Pages are ordered by the server's change version; `checkpoint` is opaque. A device applies
/// a page and stores its checkpoint in one transaction, so an interrupted pull resumes where it
/// stopped. Without a checkpoint the pull starts from the beginning (initial sync).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse {
    /// Where the next page starts; store it with the page.
    pub checkpoint: String,
    /// More changes wait: pull again at once with the new checkpoint.
    pub has_more: bool,
    /// The device's checkpoint can no longer be continued (e.g. the user's routes changed): the
    /// device must drop its reference data (never its own unacknowledged changes) and apply this
    /// page as the start of a new initial sync.
    #[serde(default)]
    pub reset: bool,
    /// How many changes remain after this page (for a progress bar).
    pub remaining: u64,
    /// The server's clock when it read the page.
    pub server_time: DateTime<Utc>,
    /// The changes, oldest first. At most one per (entity, key).
    pub changes: Vec<Change>,
}

/// One changed record: its current value, or its deletion (no `data`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// What kind of record.
    pub entity: Entity,
    /// Its key.
    pub key: String,
    /// The record as it is now; absent when it was deleted or is no longer visible to the user.
    /// Kept as its JSON text until decoded as its type ([`Change::decode`]): no intermediate
    /// `Value` tree per record, and one decoder per type in the module (the one stored records
    /// use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<serde_json::value::RawValue>>,
}

impl PartialEq for Change {
    fn eq(&self, other: &Self) -> bool {
        self.entity == other.entity && self.key == other.key && self.data.as_deref().map(|d| d.get()) == other.data.as_deref().map(|d| d.get())
    }
}

impl Change {
    /// A change carrying `data` (`None`: a delete).
    pub fn new(entity: Entity, key: String, data: Option<&serde_json::Value>) -> Result<Self, serde_json::Error> {
        Ok(Change { entity, key, data: data.map(serde_json::value::to_raw_value).transpose()? })
    }

    /// Whether the record is gone for this device.
    pub fn is_delete(&self) -> bool {
        self.data.is_none()
    }

    /// The record's data, decoded as `T`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.data.as_deref().map(|v| serde_json::from_str(v.get())).transpose()
    }
}

/// The `settings` entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// Rule set, currency, origin and validation policy.
    pub settings: crate::sales::SalesSettings,
    /// The signed-in user's role (for discount caps).
    pub role: String,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Completed (by a `task.complete`).
    Done,
    /// Withdrawn by the office.
    Cancelled,
}

/// A task as the device sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    /// The task's id.
    pub id: String,
    /// The outlet it is at.
    pub outlet_id: String,
    /// What to do, e.g. `delivery`, `visit`, `shelf_check`.
    pub kind: String,
    /// A short title.
    pub title: String,
    /// Instructions.
    #[serde(default)]
    pub details: String,
    /// When it is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<chrono::NaiveDate>,
    /// Where it stands.
    pub status: TaskStatus,
    /// What it asks for (a delivery's goods): an order billed from it starts with these lines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<TaskItem>,
}

/// A product and quantity a task asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TaskItem {
    /// The SKU.
    pub sku: String,
    /// How many.
    pub quantity: Dec,
}

/// `GET /api/v1/reference`: what the device needs to work offline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceData {
    /// When the server produced this snapshot.
    pub as_of: DateTime<Utc>,
    /// Currency of every price.
    pub currency: String,
    /// The catalog.
    pub products: Vec<ProductView>,
    /// The outlets on the user's routes.
    pub outlets: Vec<OutletView>,
    /// The sales data of version 2 (catalog with packs and barcodes, price lists, outlets with
    /// their place of supply and credit, the deployment's settings, the van's stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales: Option<SalesReference>,
}

/// The sales data a device needs to price, tax and validate orders offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesReference {
    /// Rule set, currency, origin and validation policy.
    pub settings: crate::sales::SalesSettings,
    /// The signed-in user's role (for discount caps).
    pub role: String,
    /// The catalog.
    pub products: Vec<crate::sales::CatalogProduct>,
    /// The price lists of the user's outlet groups.
    pub price_lists: Vec<crate::sales::PriceList>,
    /// The outlets on the user's routes.
    pub outlets: Vec<crate::sales::OutletInfo>,
    /// What the user's van holds, by SKU, as the server last knew it.
    #[serde(default)]
    pub van_stock: std::collections::BTreeMap<String, crate::validation::StockLevel>,
}

/// A product as the device sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    /// The SKU.
    pub sku: String,
    /// The name.
    pub name: String,
    /// Selling unit, e.g. "each", "kg", "case of 12".
    pub unit: String,
    /// Unit price before tax.
    pub unit_price: Dec,
}

/// An outlet as the device sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutletView {
    /// The outlet's id.
    pub id: String,
    /// The shop's name.
    pub name: String,
    /// The route it is on.
    pub route: String,
    /// Street address.
    pub address: String,
    /// Phone number.
    pub phone: String,
    /// Tax rate in percent applying to its orders.
    pub tax_rate: Dec,
}

/// One reason an applied order was flagged for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct FlagReason {
    /// The validation rule, e.g. `credit_limit`.
    pub rule: String,
    /// The finding's sentence, with the age of the data it relied on.
    pub message: String,
}

/// The JSON body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code; see [`error_codes`].
    pub code: String,
    /// A sentence for a developer; never contains secrets.
    pub message: String,
    /// The field of the request the error is about, when there is one (e.g.
    /// `document.lines[1].taxes.GST.amount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The stable error codes of the HTTP API.
pub mod error_codes {
    /// The body is not valid JSON, or not the expected shape.
    pub const MALFORMED_JSON: &str = "malformed_json";
    /// The body is larger than the server accepts.
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    /// No bearer token, or a malformed one.
    pub const MISSING_TOKEN: &str = "missing_token";
    /// The token does not belong to any device.
    pub const INVALID_TOKEN: &str = "invalid_token";
    /// The device id is not registered.
    pub const UNKNOWN_DEVICE: &str = "unknown_device";
    /// The token is valid but belongs to another device than the one named.
    pub const DEVICE_MISMATCH: &str = "device_mismatch";
    /// The batch does not continue the device's sequence (a gap, or not ascending).
    pub const OUT_OF_SEQUENCE: &str = "out_of_sequence";
    /// The batch holds more than [`super::MAX_BATCH`] mutations.
    pub const BATCH_TOO_LARGE: &str = "batch_too_large";
    /// Wrong username or password.
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// No such API route.
    pub const NOT_FOUND: &str = "not_found";
    /// The route exists but not with this HTTP method.
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// A tax document cannot be computed (unknown jurisdiction, rule not in force, bad input…);
    /// the message and field say which; the engine's own code is in the message.
    pub const TAX_INVALID: &str = "tax_invalid";
    /// A device's tax figures differ from the server's recomputation; the field names the line
    /// and the tax.
    pub const TAX_MISMATCH: &str = "tax_mismatch";
    /// The named rule set is not known to the server.
    pub const UNKNOWN_RULE_SET: &str = "unknown_rule_set";
    /// A sealed entry could not be opened (altered, not sealed by this device, or sealed to a
    /// server key this server does not hold); `field` names it. Nothing of the push is applied.
    pub const UNSEALABLE: &str = "unsealable";
    /// The token may not do this (a push-only token asked for data, or sent clear mutations).
    pub const TOKEN_SCOPE: &str = "token_scope";
    /// Something failed on the server; retry later.
    pub const INTERNAL: &str = "internal";
    /// The pull checkpoint is not one this server wrote.
    pub const BAD_CHECKPOINT: &str = "bad_checkpoint";
    /// A blob is larger than [`super::MAX_BLOB_BYTES`], or a chunk larger than
    /// [`super::BLOB_CHUNK_BYTES`].
    pub const BLOB_TOO_LARGE: &str = "blob_too_large";
    /// A chunk does not start where the server's copy ends; the answer's body is the
    /// [`super::BlobStatus`] to resume from.
    pub const BLOB_OFFSET: &str = "blob_offset";
    /// The uploaded bytes do not hash to the blob's SHA-256; the server dropped them.
    pub const BLOB_HASH_MISMATCH: &str = "blob_hash_mismatch";
    /// No such blob was announced.
    pub const UNKNOWN_BLOB: &str = "unknown_blob";
    /// A blob's announcement is not valid (hash, size or content type).
    pub const BLOB_INVALID: &str = "blob_invalid";
}

/// Rejection codes of single mutations that are not order validation errors (those are
/// [`crate::order::OrderError::code`]).
pub mod rejection_codes {
    /// The order id was already received (from this or another mutation).
    pub const DUPLICATE_ORDER: &str = "duplicate_order";
    /// A new sequence number carries a mutation id already recorded under another number.
    pub const DUPLICATE_MUTATION: &str = "duplicate_mutation";
    /// The document number is not in a range leased to this device, or was already used.
    pub const DOCUMENT_NUMBER: &str = "document_number";
    /// The task does not exist or is not the user's.
    pub const UNKNOWN_TASK: &str = "unknown_task";
    /// The task is no longer open (done already, or cancelled by the office).
    pub const TASK_CLOSED: &str = "task_closed";
    /// A photo reference is malformed or larger than the limit.
    pub const BLOB_INVALID: &str = "blob_invalid";
    /// A `mutation.discard` names a mutation that is not this device's held mutation.
    pub const NOT_HELD: &str = "not_held";
    /// A mutation depends on itself or on a later mutation of the same device.
    pub const BAD_DEPENDENCY: &str = "bad_dependency";
    /// A task completion's note is longer than [`crate::sync::tasks::MAX_NOTE_CHARS`].
    pub const NOTE_TOO_LONG: &str = "note_too_long";
    /// A text field holds the NUL character, which no database here stores alike (`field`
    /// names it: `payload.order.note`).
    pub const INVALID_TEXT: &str = "invalid_text";
    /// The mutation's kind is retired: `order.create`, which skipped the sales policy; the
    /// order was not stored and must be sent as `sales_order.create`.
    pub const RETIRED_KIND: &str = "retired_kind";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutation_reads_as_the_docs_show_it() {
        let json = r#"{
          "device_id": "0190b7a0-0000-7000-8000-000000000001",
          "seq": 1,
          "id": "0190b7a0-0000-7000-8000-000000000002",
          "kind": "order.create",
          "payload": {
            "order_id": "0190b7a0-0000-7000-8000-000000000003",
            "committed_at": "2026-11-22T09:47:00Z",
            "order": {"outlet_id": "OUT-0001", "tax_rate": "13",
                      "lines": [{"sku": "SKU-00001", "quantity": "2", "unit_price": "4.50"}]},
            "totals": {"line_nets": ["9.00"], "subtotal": "9.00", "tax": "1.17", "total": "10.17"}
          },
          "created_at": "2026-11-22T09:47:00Z"
        }"#;
        let m: Mutation = serde_json::from_str(json).expect("documented example parses");
        assert_eq!(m.body.kind(), "order.create");
        let MutationBody::OrderCreate(doc) = &m.body else { panic!("v1 order") };
        assert!(crate::order::verify_document(doc).is_ok());
        let back = serde_json::to_value(&m).expect("serializes");
        assert_eq!(back["kind"], "order.create");
        assert_eq!(back["payload"]["totals"]["total"], "10.17");
    }

    #[test]
    fn a_replay_has_the_same_fingerprint_and_a_changed_payload_another() {
        let json = |quantity: &str| {
            format!(
                r#"{{"device_id": "0190b7a0-0000-7000-8000-000000000001", "seq": 1,
                   "id": "0190b7a0-0000-7000-8000-000000000002", "kind": "order.create",
                   "payload": {{"order_id": "0190b7a0-0000-7000-8000-000000000003",
                     "committed_at": "2026-11-22T09:47:00Z",
                     "order": {{"outlet_id": "OUT-0001", "tax_rate": "13",
                       "lines": [{{"sku": "SKU-00001", "quantity": "{quantity}", "unit_price": "4.50"}}]}},
                     "totals": {{"line_nets": ["9.00"], "subtotal": "9.00", "tax": "1.17", "total": "10.17"}}}},
                   "created_at": "2026-11-22T09:47:00Z"}}"#
            )
        };
        let first: Mutation = serde_json::from_str(&json("2")).expect("parses");
        let again: Mutation = serde_json::from_str(&json("2")).expect("parses");
        let changed: Mutation = serde_json::from_str(&json("50")).expect("parses");
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(first.fingerprint().len(), 64);
        assert_ne!(first.fingerprint(), changed.fingerprint(), "2 → 50 is another mutation");
        // Key order in the text does not matter: the fingerprint is of the parsed mutation.
        let reordered: serde_json::Value = serde_json::from_str(&json("2")).expect("json");
        let mut fields: Vec<(String, serde_json::Value)> = reordered.as_object().expect("object").clone().into_iter().collect();
        fields.reverse();
        let text = format!(
            "{{{}}}",
            fields.iter().map(|(k, v)| format!("{}:{v}", serde_json::Value::from(k.as_str()))).collect::<Vec<_>>().join(",")
        );
        let reparsed: Mutation = serde_json::from_str(&text).expect("parses");
        assert_eq!(reparsed.fingerprint(), first.fingerprint());
    }

    #[test]
    fn outcomes_are_tagged_by_status() {
        let r = MutationResult {
            seq: 4,
            id: uuid::Uuid::nil(),
            outcome: Outcome::Rejected { code: "total_mismatch".into(), reason: "r".into(), field: None },
        };
        let v = serde_json::to_value(&r).expect("serializes");
        assert_eq!(v["status"], "rejected");
        assert_eq!(v["code"], "total_mismatch");
        assert!(v.get("field").is_none());
    }
}
