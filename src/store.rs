//! The device's local store: the source of truth for the session, encrypted at rest.
//!
//! Object stores (schema version 3):
//! - `meta`: in clear: `device` (who, and the push-only credential), `vault` (the wrapped data
//!   key), `key_usage` (the nonce budget), `lock` (wrong-PIN count and delays), `next_seq`.
//!   Sealed under the data key: `session` (the full token and the device's secrets),
//!   `index_key`, `reference` (the catalog's age and currency).
//! - `products`, `outlets`, `orders`: sealed envelopes, keyed by a keyed hash of the SKU, outlet
//!   id or order id (see `satchel_core::vault::index`), so neither values nor keys leak.
//! - `outbox`: mutations waiting for the server, keyed by their sequence number, each sealed to
//!   the server's key (readable by the server only; uploaded while locked too).
//! - `drafts`: orders being composed, sealed, saved on every edit.
//! - `acks`: the server's answers received while locked, sealed to the device's own key and
//!   applied to the orders at the next unlock.
//!
//! Every envelope binds its store and record key (a record copied elsewhere fails to open);
//! each sealing transaction counts its seals in `key_usage`, in the same transaction.

use js_sys::Uint8Array;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbDatabase;

use satchel_core::money::Dec;
use satchel_core::sales::{self, CatalogProduct, NumberRange, OutletInfo, PriceList, SalesDocument, SalesOrder, SalesSettings};
use satchel_core::sync::protocol::{Mutation, MutationBody, MutationResult, Outcome, SealedMutation};
use satchel_core::validation::StockLevel;
use satchel_core::sync::sealing;
use satchel_core::vault::{self, hex, BoxSecret, DataKey, Envelope, KeyUsage, LockState, VaultError, WrappedKey, Zeroizing};

use crate::error::SatchelError;
use crate::idb::{Db, Durability, Migration, Mode, Store};
use crate::BrowserRng;

const META: &str = "meta";
const PRODUCTS: &str = "products";
const OUTLETS: &str = "outlets";
const ORDERS: &str = "orders";
const OUTBOX: &str = "outbox";
const ACKS: &str = "acks";
const DRAFTS: &str = "drafts";
const TASKS: &str = "tasks";
const BLOBS: &str = "blobs";
const VAN: &str = "van";

const KEY_DEVICE: &str = "device";
const KEY_VAULT: &str = "vault";
const KEY_USAGE: &str = "key_usage";
const KEY_LOCK: &str = "lock";
const KEY_NEXT_SEQ: &str = "next_seq";
const KEY_SESSION: &str = "session";
const KEY_INDEX: &str = "index_key";
const KEY_REFERENCE: &str = "reference";
const KEY_SALES: &str = "sales";
const KEY_VAN_STOCK: &str = "van_stock";
const KEY_NUMBERS: &str = "number_ranges";
const KEY_HLC: &str = "hlc";
const KEY_OUTLET_EDITS: &str = "outlet_edits";
const KEY_PULL: &str = "pull";
const KEY_RULES: &str = "rule_sets";
const KEY_UPLOADS: &str = "uploads";

/// The stores whose records are sealed under the data key (re-encrypted by key rotation).
pub const SEALED_STORES: [&str; 8] = [META, PRODUCTS, OUTLETS, ORDERS, DRAFTS, TASKS, BLOBS, VAN];
const SEALED_META_KEYS: [&str; 8] =
    [KEY_SESSION, KEY_INDEX, KEY_REFERENCE, KEY_SALES, KEY_VAN_STOCK, KEY_OUTLET_EDITS, KEY_RULES, KEY_UPLOADS];

fn v1(db: &IdbDatabase) -> Result<(), JsValue> {
    for name in [META, PRODUCTS, OUTLETS, ORDERS, OUTBOX] {
        db.create_object_store(name)?;
    }
    Ok(())
}

/// Version 2 (the vault): version 1 kept records in clear. No deployment ever ran it, so its
/// stores are dropped rather than converted (there is no PIN to encrypt them under yet).
fn v2(db: &IdbDatabase) -> Result<(), JsValue> {
    for name in [META, PRODUCTS, OUTLETS, ORDERS, OUTBOX] {
        db.delete_object_store(name)?;
        db.create_object_store(name)?;
    }
    db.create_object_store(ACKS)?;
    Ok(())
}

/// Version 3: order drafts, sealed, keyed by a keyed hash of the draft id.
fn v3(db: &IdbDatabase) -> Result<(), JsValue> {
    db.create_object_store(DRAFTS)?;
    Ok(())
}

/// Version 4 (issue 6): tasks assigned to the user, photos (blobs), and the van's stock one
/// record per SKU (a commit then rewrites only its lines' SKUs, not a map of the whole catalog),
/// all sealed and keyed by keyed hashes of the task id, the photo's SHA-256 and the SKU. Version
/// 3 kept the van in one `meta/van_stock` record: it is still read (under the per-SKU records)
/// until the first complete pull replaces it.
fn v4(db: &IdbDatabase) -> Result<(), JsValue> {
    db.create_object_store(TASKS)?;
    db.create_object_store(BLOBS)?;
    db.create_object_store(VAN)?;
    Ok(())
}

/// One SKU of the van, as stored in `van`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct VanRecord {
    sku: String,
    level: StockLevel,
}

/// Schema migrations, one per version; never edit a shipped step, add the next one.
static MIGRATIONS: [Migration; 4] = [v1, v2, v3, v4];

mod records;
pub use records::*;

/// This device as registered, kept in clear: enough to show who it belongs to on the lock
/// screen and to upload sealed entries while locked, and nothing that reads or forges data.
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
    pub lock: satchel_core::sync::protocol::LockSettings,
}

/// The secrets of the session, sealed under the data key.
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
        use satchel_core::vault::Zeroize as _;
        self.token.zeroize();
        self.device_secret.zeroize();
        self.device_box_secret.zeroize();
    }
}

/// What the UI may see of the session (no token).
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// This device's identity.
    pub device_id: Uuid,
    /// The login.
    pub username: String,
    /// The display name.
    pub display_name: String,
}

impl From<&DeviceRecord> for SessionView {
    fn from(d: &DeviceRecord) -> Self {
        SessionView { device_id: d.device_id, username: d.username.clone(), display_name: d.display_name.clone() }
    }
}

/// A data key retired by rotation, sealed under the current one until no record needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetiredKey {
    /// Its generation.
    pub key_id: u32,
    /// The envelope (hex) from `vault::seal_retired`.
    pub sealed: String,
}

/// The vault's record in `meta`: the wrapped data key and, during a rotation, the retired one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultRecord {
    /// The current data key, wrapped under the PIN's key.
    pub wrapped: WrappedKey,
    /// The previous data key while records are re-encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<RetiredKey>,
}

/// The data keys that open records: the current one and, during a rotation, the retired one.
///
/// Shared (`Rc`), never copied: a key is zeroized when its last holder drops it.
pub struct KeyRing {
    /// Seals and opens.
    pub current: std::rc::Rc<DataKey>,
    /// Opens records not yet re-encrypted.
    pub retired: Option<std::rc::Rc<DataKey>>,
}

impl KeyRing {
    fn open(&self, store: &str, record_key: &str, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let envelope = Envelope::parse(bytes)?;
        let key = match &self.retired {
            Some(r) if r.key_id() == envelope.key_id() => &**r,
            _ => &*self.current,
        };
        vault::open(key, store, record_key, &envelope)
    }
}

/// Everything an unlocked workspace holds in memory; dropped (and zeroized) on lock.
pub struct Keys {
    /// The data keys.
    pub ring: KeyRing,
    /// The key that derives record keys.
    pub index_key: Zeroizing<[u8; vault::INDEX_KEY_LEN]>,
    /// The session's secrets.
    pub secrets: SessionSecrets,
    /// The secret shared with the server, decoded.
    pub device_secret: Zeroizing<[u8; 32]>,
    /// The device's own box key.
    pub device_box: BoxSecret,
}

impl Keys {
    /// Assembles the keys from an unwrapped ring and the opened session secrets.
    pub fn new(ring: KeyRing, index_key: Zeroizing<[u8; 32]>, secrets: SessionSecrets) -> Result<Keys, SatchelError> {
        let device_secret = Zeroizing::new(sealing::key_from_hex(&secrets.device_secret).map_err(|_| corrupt("session"))?);
        let box_bytes = Zeroizing::new(sealing::key_from_hex(&secrets.device_box_secret).map_err(|_| corrupt("session"))?);
        let device_box = BoxSecret::from_bytes(*box_bytes);
        Ok(Keys { ring, index_key, secrets, device_secret, device_box })
    }

    fn record_key(&self, store: &str, id: &str) -> String {
        vault::keyed_id(&self.index_key, store, id)
    }
}

/// Sync state of a local order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// In the outbox, not yet acknowledged by the server.
    Pending,
    /// The server applied it.
    Synced,
    /// The server applied it and flagged it for a supervisor's review; `reason` says why.
    Flagged,
    /// The server refused it; `reason` says why.
    Rejected,
    /// Neither applied nor lost: something it depends on was refused; `reason` says what. The
    /// user resubmits it (edited) or discards it.
    Held,
    /// The server has it and waits for something it depends on (a task, a photo) to apply it.
    Waiting,
    /// Held, and the user discarded it; kept as a record.
    Discarded,
}

/// An order as kept on the device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalOrder {
    /// The order's id.
    pub order_id: Uuid,
    /// The outlet.
    pub outlet_id: String,
    /// When it was committed.
    pub committed_at: String,
    /// Its total (amount due), as shown to the rep.
    pub total: Dec,
    /// The number printed on it.
    pub document_number: String,
    /// Its outbox sequence number.
    pub seq: u64,
    /// Sync state.
    pub status: OrderStatus,
    /// Why the server refused or flagged it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The full document.
    pub document: SalesDocument,
    /// The outbox mutation that carries it (to find it when a deferred outcome arrives by pull).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutation_id: Option<Uuid>,
    /// The task it was billed from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
}

/// The sales data kept sealed in `meta/sales`: everything of the reference but the products and
/// outlets (which have their own stores) and the van stock (which commits update).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SalesMeta {
    /// The deployment's settings (absent until the pull brought them).
    #[serde(default)]
    pub settings: Option<SalesSettings>,
    /// The user's role.
    pub role: String,
    /// The price lists.
    pub price_lists: Vec<PriceList>,
}

/// Everything loaded at unlock.
pub struct LoadedReference {
    /// The reference's age and currency.
    pub info: Option<ReferenceInfo>,
    /// Settings, role and price lists (absent before the first download).
    pub sales: Option<SalesMeta>,
    /// The catalog.
    pub products: Vec<CatalogProduct>,
    /// The outlets.
    pub outlets: Vec<OutletInfo>,
    /// The van's stock, as this device's commits left it.
    pub van_stock: std::collections::BTreeMap<String, StockLevel>,
    /// Tax rule sets pulled from the server, by id (JSON of `satchel_core::tax::model::RuleSet`).
    pub rules: std::collections::BTreeMap<String, serde_json::Value>,
    /// Tasks assigned to the user.
    pub tasks: Vec<LocalTask>,
    /// Where the pull stands.
    pub pull: PullState,
    /// Records that did not open.
    pub unreadable: usize,
}

/// Facts about the stored reference data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceInfo {
    /// When the server produced it.
    pub as_of: String,
    /// Currency of the prices.
    pub currency: String,
}

/// An order being composed: the page's own content (an object), stored sealed as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The draft's id.
    pub draft_id: Uuid,
    /// When it was last edited (RFC 3339).
    pub updated_at: String,
    /// What the page keeps in it (outlet, lines, quantities as typed).
    pub content: serde_json::Value,
}

/// What `apply_acks` did.
#[derive(Debug, Default)]
pub struct AppliedAcks {
    /// Answers applied.
    pub applied: usize,
    /// The orders those answers moved out of `pending` (as they are now).
    pub settled: Vec<LocalOrder>,
    /// Tasks whose completion those answers settled (as they are now).
    pub tasks: Vec<LocalTask>,
}

/// An outlet edit the server has not answered yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingOutletEdit {
    seq: u64,
    patch: satchel_core::sync::protocol::OutletPatch,
}

/// Puts an edit's new values on an outlet.
fn apply_edit(outlet: &mut OutletInfo, patch: &satchel_core::sync::protocol::OutletPatch) {
    for (field, change) in &patch.changes {
        match field.as_str() {
            "phone" => outlet.phone = change.to.clone(),
            "address" => outlet.address = change.to.clone(),
            "contact_name" => outlet.contact_name = change.to.clone(),
            _ => {}
        }
    }
}

/// An outbox entry: in clear only its number, id and the order's (keyed) record key; the
/// mutation itself is sealed to the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OutboxEntry {
    seq: u64,
    id: Uuid,
    order_key: String,
    sealed: String,
    /// When it was committed (ms since the epoch, device clock): for the pending age and the
    /// commit-to-acknowledgement latency. Timing only; the order's own time is sealed.
    #[serde(default)]
    committed_ms: u64,
}

/// How many latency samples (commit to acknowledgement) are kept.
const LATENCY_SAMPLES: usize = 500;
const KEY_LATENCY: &str = "latency";

/// The sync figures the status panel shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncFigures {
    /// Entries waiting.
    pub pending: u32,
    /// When the oldest waiting entry was committed (ms since the epoch), if any.
    pub oldest_pending_ms: Option<u64>,
    /// Commit-to-acknowledgement latency, median and 95th percentile (ms), over the last
    /// acknowledged entries.
    pub latency_p50_ms: Option<u64>,
    /// See `latency_p50_ms`.
    pub latency_p95_ms: Option<u64>,
    /// How many samples the percentiles are over.
    pub latency_samples: usize,
}

fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    // Nearest rank.
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// An answer received for an outbox entry, sealed to the device's own key.
#[derive(Serialize, Deserialize)]
struct Ack {
    order_key: String,
    result: MutationResult,
}

fn corrupt(what: &str) -> SatchelError {
    SatchelError::Storage(format!("corrupt {what} record"))
}

fn clear_json<T: Serialize>(v: &T) -> Result<JsValue, SatchelError> {
    serde_json::to_string(v).map(|s| JsValue::from_str(&s)).map_err(|e| SatchelError::internal(format!("serialize: {e}")))
}

fn from_clear_json<T: DeserializeOwned>(what: &str, v: &JsValue) -> Result<T, SatchelError> {
    let text = v.as_string().ok_or_else(|| corrupt(what))?;
    serde_json::from_str(&text).map_err(|_| corrupt(what))
}

fn bytes_of(v: &JsValue) -> Option<Vec<u8>> {
    v.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

fn open_json<T: DeserializeOwned>(ring: &KeyRing, store: &str, record_key: &str, v: &JsValue) -> Result<T, SatchelError> {
    let bytes = bytes_of(v).ok_or_else(|| corrupt(store))?;
    let plain = ring.open(store, record_key, &bytes).map_err(|e| match e {
        VaultError::WrongKey { .. } | VaultError::Tampered | VaultError::Truncated | VaultError::UnsupportedVersion(_) => {
            corrupt(store)
        }
        other => SatchelError::Vault(other),
    })?;
    serde_json::from_slice(&plain).map_err(|_| corrupt(store))
}

/// Seals records inside one transaction and counts them in `key_usage` at the end.
struct Sealer {
    usage: KeyUsage,
    rng: BrowserRng,
}

impl Sealer {
    async fn begin(meta: &Store, current: &DataKey) -> Result<Sealer, SatchelError> {
        let usage = match meta.get(&KEY_USAGE.into()).await? {
            Some(v) => from_clear_json::<KeyUsage>("key usage", &v)?,
            None => KeyUsage::new(current.key_id()),
        };
        // A usage counter of an older generation means the rotation just switched keys.
        let usage = if usage.key_id == current.key_id() { usage } else { KeyUsage::new(current.key_id()) };
        Ok(Sealer { usage, rng: BrowserRng })
    }

    fn seal_bytes(&mut self, key: &DataKey, store: &str, record_key: &str, plain: &[u8]) -> Result<JsValue, SatchelError> {
        let envelope = vault::seal(key, &mut self.usage, &mut self.rng, store, record_key, plain).map_err(SatchelError::Vault)?;
        Ok(Uint8Array::from(envelope.to_bytes().as_slice()).into())
    }

    fn seal_json<T: Serialize>(&mut self, key: &DataKey, store: &str, record_key: &str, v: &T) -> Result<JsValue, SatchelError> {
        let plain = Zeroizing::new(serde_json::to_vec(v).map_err(|e| SatchelError::internal(format!("serialize: {e}")))?);
        self.seal_bytes(key, store, record_key, &plain)
    }

    async fn finish(self, meta: &Store) -> Result<(), SatchelError> {
        meta.put(&KEY_USAGE.into(), &clear_json(&self.usage)?).await
    }
}

/// Ends `tx` after its body ran: commits on success, aborts on error so nothing is written.
async fn finish<T>(tx: crate::idb::Tx, result: Result<T, SatchelError>) -> Result<T, SatchelError> {
    match result {
        Ok(v) => {
            tx.done().await?;
            Ok(v)
        }
        Err(e) => {
            tx.abort();
            let _ = tx.done().await;
            Err(e)
        }
    }
}

/// What `commit_order` records.
pub struct Commit<'a> {
    /// The order's id.
    pub order_id: Uuid,
    /// The outbox mutation's id.
    pub mutation_id: Uuid,
    /// When the rep committed it.
    pub committed_at: chrono::DateTime<chrono::Utc>,
    /// What was ordered.
    pub order: SalesOrder,
    /// Its quote (prices, taxes, findings), computed just before.
    pub quote: &'a sales::Quote,
    /// The draft it came from, deleted in the same transaction.
    pub draft_id: Option<Uuid>,
    /// Mutations the server must apply first (the completion of the task it is billed from).
    pub depends_on: Vec<Uuid>,
    /// The task it is billed from.
    pub task_id: Option<String>,
}

/// What a fresh vault starts with.
pub struct NewVault<'a> {
    /// The device as registered.
    pub device: &'a DeviceRecord,
    /// The wrapped data key.
    pub vault: &'a VaultRecord,
    /// The lock's initial state (unlocked).
    pub lock: &'a LockState,
    /// The document numbers leased at registration.
    pub number_ranges: &'a [NumberRange],
}

/// The local store.
#[derive(Debug, Clone)]
pub struct LocalStore {
    db: Db,
}

impl LocalStore {
    /// Opens (creating or migrating) the store named `name`.
    pub async fn open(name: &str) -> Result<LocalStore, SatchelError> {
        Ok(LocalStore { db: Db::open(name, &MIGRATIONS).await? })
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.db.close();
    }

    async fn meta_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadOnly, Durability::Default)?;
        let v = tx.store(META)?.get(&key.into()).await?;
        v.map(|v| from_clear_json(key, &v)).transpose()
    }

    /// The registered device, if any.
    pub async fn device(&self) -> Result<Option<DeviceRecord>, SatchelError> {
        self.meta_get(KEY_DEVICE).await
    }

    /// The vault record, if a PIN was set.
    pub async fn vault(&self) -> Result<Option<VaultRecord>, SatchelError> {
        self.meta_get(KEY_VAULT).await
    }

    /// The persisted lock state.
    pub async fn lock_state(&self) -> Result<Option<LockState>, SatchelError> {
        self.meta_get(KEY_LOCK).await
    }

    /// Persists the lock state (strict: a wrong-PIN count must survive a crash or a reload).
    pub async fn save_lock_state(&self, state: &LockState) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadWrite, Durability::Strict)?;
        tx.store(META)?.put(&KEY_LOCK.into(), &clear_json(state)?).await?;
        tx.done().await
    }

    /// Replaces the vault record (PIN change, rotation steps).
    /// With `usage`, also replaces the key-usage counter (a rotation starts a new key's count).
    pub async fn save_vault(&self, record: &VaultRecord, usage: Option<KeyUsage>) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadWrite, Durability::Strict)?;
        let meta = tx.store(META)?;
        let result = async {
            meta.put(&KEY_VAULT.into(), &clear_json(record)?).await?;
            if let Some(usage) = usage {
                meta.put(&KEY_USAGE.into(), &clear_json(&usage)?).await?;
            }
            Ok(())
        }
        .await;
        finish(tx, result).await
    }

    /// Opens what unlocking needs besides the data key: the index key and the session secrets.
    pub async fn open_unlock_material(&self, ring: &KeyRing) -> Result<(Zeroizing<[u8; 32]>, SessionSecrets), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadOnly, Durability::Default)?;
        let meta = tx.store(META)?;
        let index = meta.get(&KEY_INDEX.into()).await?.ok_or_else(|| corrupt("index key"))?;
        let index = bytes_of(&index).ok_or_else(|| corrupt("index key"))?;
        let index = ring.open(META, KEY_INDEX, &index).map_err(|_| corrupt("index key"))?;
        let index: [u8; 32] = index.as_slice().try_into().map_err(|_| corrupt("index key"))?;
        let session = meta.get(&KEY_SESSION.into()).await?.ok_or_else(|| corrupt("session"))?;
        let secrets: SessionSecrets = open_json(ring, META, KEY_SESSION, &session)?;
        Ok((Zeroizing::new(index), secrets))
    }

    /// Creates the vault for a newly registered device, in one strict transaction: clears what
    /// an earlier session left (refused while the outbox holds anything: a new device numbers
    /// its mutations from 1 again) and writes the device, the wrapped key, the sealed session
    /// and index key, and the lock state.
    pub async fn create_vault(&self, new: NewVault<'_>, keys: &Keys) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS, ORDERS, OUTBOX, ACKS, DRAFTS, TASKS, BLOBS, VAN], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            if tx.store(OUTBOX)?.count().await? > 0 {
                return Err(SatchelError::PendingWork("orders are waiting to sync".into()));
            }
            for name in [PRODUCTS, OUTLETS, ORDERS, ACKS, DRAFTS, TASKS, BLOBS, VAN, META] {
                tx.store(name)?.clear().await?;
            }
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer { usage: KeyUsage::new(key.key_id()), rng: BrowserRng };
            meta.put(&KEY_DEVICE.into(), &clear_json(new.device)?).await?;
            meta.put(&KEY_VAULT.into(), &clear_json(new.vault)?).await?;
            meta.put(&KEY_LOCK.into(), &clear_json(new.lock)?).await?;
            meta.put(&KEY_NEXT_SEQ.into(), &JsValue::from_f64(1.0)).await?;
            meta.put(&KEY_NUMBERS.into(), &clear_json(&new.number_ranges)?).await?;
            meta.put(&KEY_SESSION.into(), &sealer.seal_json(key, META, KEY_SESSION, &keys.secrets)?).await?;
            meta.put(&KEY_INDEX.into(), &sealer.seal_bytes(key, META, KEY_INDEX, keys.index_key.as_ref())?).await?;
            sealer.finish(&meta).await
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Forgets the device and everything sealed for it (sign-out): every store of the schema
    /// (`satchel_core::device::schema::STORES`). Refused while anything waits to sync or answers
    /// wait to be applied, and, unless `discard_drafts`, while drafts exist (`drafts` names them
    /// for the refusal; the count is read in the same transaction as the clearing).
    pub async fn forget_device(&self, discard_drafts: bool, drafts: Vec<satchel_core::device::error::DraftSummary>) -> Result<(), SatchelError> {
        let names: Vec<&str> = satchel_core::device::schema::STORES.iter().map(|s| s.name).collect();
        let tx = self.db.transaction(&names, Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            if tx.store(OUTBOX)?.count().await? > 0 {
                return Err(SatchelError::PendingWork("orders are waiting to sync; signing out now would lose them".into()));
            }
            let stored = tx.store(DRAFTS)?.count().await? as usize;
            if stored > 0 && !discard_drafts {
                let mut named = drafts;
                named.extend((named.len()..stored).map(|_| satchel_core::device::error::DraftSummary {
                    draft_id: String::new(),
                    outlet: "a draft (unlock to see which)".into(),
                    lines: 0,
                    updated_at: String::new(),
                }));
                return Err(SatchelError::DraftsWouldBeLost(named));
            }
            for name in &names {
                tx.store(name)?.clear().await?;
            }
            Ok(())
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Replaces the reference data in one transaction, every record sealed. The van stock is
    /// replaced by the server's figures, minus what this device's unsynced orders took (the
    /// server does not know about them yet).
    pub async fn save_reference(
        &self,
        keys: &Keys,
        info: &ReferenceInfo,
        data: &satchel_core::sync::protocol::SalesReference,
        pending_takes: &std::collections::BTreeMap<String, Dec>,
    ) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS, VAN], Mode::ReadWrite, Durability::Default)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let ps = tx.store(PRODUCTS)?;
            ps.clear().await?;
            for p in &data.products {
                let rk = keys.record_key(PRODUCTS, &p.sku);
                ps.put_queued(&rk.as_str().into(), &sealer.seal_json(key, PRODUCTS, &rk, p)?)?;
            }
            // The device's own edits the server has not acknowledged yet stay on top of the
            // server's values: fresh reference data never overwrites an unacknowledged change.
            let edits: Vec<PendingOutletEdit> = match meta.get(&KEY_OUTLET_EDITS.into()).await? {
                Some(v) => open_json(&keys.ring, META, KEY_OUTLET_EDITS, &v).unwrap_or_default(),
                None => Vec::new(),
            };
            let os = tx.store(OUTLETS)?;
            os.clear().await?;
            for o in &data.outlets {
                let mut o = o.clone();
                let id = o.id.clone();
                for e in edits.iter().filter(|e| e.patch.outlet_id == id) {
                    apply_edit(&mut o, &e.patch);
                }
                let rk = keys.record_key(OUTLETS, &o.id);
                os.put_queued(&rk.as_str().into(), &sealer.seal_json(key, OUTLETS, &rk, &o)?)?;
            }
            let sales_meta = SalesMeta { settings: Some(data.settings.clone()), role: data.role.clone(), price_lists: data.price_lists.clone() };
            meta.put(&KEY_SALES.into(), &sealer.seal_json(key, META, KEY_SALES, &sales_meta)?).await?;
            let van = tx.store(VAN)?;
            van.clear().await?;
            meta.delete(&KEY_VAN_STOCK.into()).await?;
            for (sku, level) in &data.van_stock {
                let mut level = *level;
                if let Some(taken) = pending_takes.get(sku) {
                    level.available = Dec(level.available.value() - taken.value());
                }
                let rk = keys.record_key(VAN, sku);
                van.put_queued(&rk.as_str().into(), &sealer.seal_json(key, VAN, &rk, &VanRecord { sku: sku.clone(), level })?)?;
            }
            meta.put(&KEY_REFERENCE.into(), &sealer.seal_json(key, META, KEY_REFERENCE, info)?).await?;
            sealer.finish(&meta).await
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Loads the reference data. A record that does not open is skipped and counted, never fatal.
    pub async fn load_reference(&self, keys: &Keys) -> Result<LoadedReference, SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS, TASKS, VAN], Mode::ReadOnly, Durability::Default)?;
        let ring = &keys.ring;
        let meta = tx.store(META)?;
        let info = match meta.get(&KEY_REFERENCE.into()).await? {
            Some(v) => open_json::<ReferenceInfo>(ring, META, KEY_REFERENCE, &v).ok(),
            None => None,
        };
        let mut unreadable = 0;
        let sales = match meta.get(&KEY_SALES.into()).await? {
            Some(v) => match open_json::<SalesMeta>(ring, META, KEY_SALES, &v) {
                Ok(s) => Some(s),
                Err(_) => {
                    unreadable += 1;
                    None
                }
            },
            None => None,
        };
        // Version 3's single record first, then the per-SKU records over it.
        let mut van_stock: std::collections::BTreeMap<String, StockLevel> = match meta.get(&KEY_VAN_STOCK.into()).await? {
            Some(v) => open_json(ring, META, KEY_VAN_STOCK, &v).unwrap_or_default(),
            None => Default::default(),
        };
        let van: Vec<VanRecord> = read_all(&tx.store(VAN)?, ring, VAN, &mut unreadable).await?;
        van_stock.extend(van.into_iter().map(|r| (r.sku, r.level)));
        let products: Vec<CatalogProduct> = read_all(&tx.store(PRODUCTS)?, ring, PRODUCTS, &mut unreadable).await?;
        let outlets: Vec<OutletInfo> = read_all(&tx.store(OUTLETS)?, ring, OUTLETS, &mut unreadable).await?;
        let tasks: Vec<LocalTask> = read_all(&tx.store(TASKS)?, ring, TASKS, &mut unreadable).await?;
        let rules = match meta.get(&KEY_RULES.into()).await? {
            Some(v) => open_json(ring, META, KEY_RULES, &v).unwrap_or_default(),
            None => Default::default(),
        };
        let pull = match meta.get(&KEY_PULL.into()).await? {
            Some(v) => from_clear_json("pull", &v).unwrap_or_default(),
            None => PullState::default(),
        };
        Ok(LoadedReference { info, sales, products, outlets, van_stock, rules, tasks, pull, unreadable })
    }

    /// The document-number ranges this device still holds (in clear: numbers only).
    pub async fn number_ranges(&self) -> Result<Vec<NumberRange>, SatchelError> {
        Ok(self.meta_get::<Vec<NumberRange>>(KEY_NUMBERS).await?.unwrap_or_default())
    }

    /// Records a committed order and its outbox entry (sealed to the server) in ONE transaction
    /// with strict durability, numbering it with the device's next gap-free sequence number.
    ///
    /// Resolves only after the transaction committed; on any failure nothing is written.
    ///
    /// With `draft_id`, the draft the order came from is deleted in the same transaction, so a
    /// committed order never leaves its draft behind (and a failed commit keeps it).
    pub async fn commit_order(&self, keys: &Keys, device: &DeviceRecord, commit: Commit<'_>) -> Result<LocalOrder, SatchelError> {
        let server_key = sealing::key_from_hex(&device.server_public_key).map_err(|_| corrupt("device"))?;
        let tx = self.db.transaction(&[META, ORDERS, OUTBOX, DRAFTS, VAN], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let meta = tx.store(META)?;
            let seq = match meta.get(&KEY_NEXT_SEQ.into()).await? {
                Some(v) => v.as_f64().ok_or_else(|| corrupt("sequence counter"))? as u64,
                None => 1,
            };
            // The document number, from this device's leased ranges, in the same transaction.
            let mut ranges: Vec<NumberRange> = match meta.get(&KEY_NUMBERS.into()).await? {
                Some(v) => from_clear_json("number ranges", &v)?,
                None => Vec::new(),
            };
            let number = sales::numbering::take_next(&mut ranges).ok_or(SatchelError::NoDocumentNumbers)?;
            let document = SalesDocument::from_quote(commit.order_id, number, commit.committed_at, commit.order, commit.quote)
                .map_err(crate::error::from_sales)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            // The van: a sale takes the goods out, a return puts them back; only the lines' SKUs
            // are read and rewritten.
            let van = tx.store(VAN)?;
            let mut moved: std::collections::BTreeMap<&str, rust_decimal::Decimal> = std::collections::BTreeMap::new();
            for line in &document.order.lines {
                let q = line.quantity.value();
                *moved.entry(line.sku.as_str()).or_default() += if document.order.kind.is_sale() { -q } else { q };
            }
            for (sku, delta) in moved {
                let rk = keys.record_key(VAN, sku);
                let Some(v) = van.get(&rk.as_str().into()).await? else { continue };
                let mut record: VanRecord = open_json(&keys.ring, VAN, &rk, &v)?;
                record.level.available = Dec(record.level.available.value() + delta);
                van.put_queued(&rk.as_str().into(), &sealer.seal_json(key, VAN, &rk, &record)?)?;
            }
            let order = LocalOrder {
                order_id: document.order_id,
                outlet_id: document.order.outlet_id.clone(),
                committed_at: document.committed_at.to_rfc3339(),
                total: document.total,
                document_number: document.document_number.clone(),
                seq,
                status: OrderStatus::Pending,
                reason: None,
                document: document.clone(),
                mutation_id: Some(commit.mutation_id),
                task_id: commit.task_id.clone(),
            };
            let mutation = Mutation {
                device_id: device.device_id,
                seq,
                id: commit.mutation_id,
                body: MutationBody::SalesOrderCreate(Box::new(document)),
                created_at: order.document.committed_at,
                depends_on: commit.depends_on.clone(),
            };
            let sealed = sealing::seal_mutation(&mut sealer.rng, device.server_key_id, &server_key, &keys.device_secret, &mutation)
                .map_err(|e| SatchelError::internal(format!("seal: {e}")))?;
            let order_key = keys.record_key(ORDERS, &order.order_id.to_string());
            let entry = OutboxEntry {
                seq,
                id: commit.mutation_id,
                order_key: order_key.clone(),
                sealed: sealed.sealed,
                committed_ms: crate::now_ms() as u64,
            };
            // Writes are queued, not awaited one by one: any failure (a duplicate order id, a full
            // disk) aborts the transaction, and `finish` reports it; nothing is then written.
            tx.store(ORDERS)?.add_queued(&order_key.as_str().into(), &sealer.seal_json(key, ORDERS, &order_key, &order)?)?;
            tx.store(OUTBOX)?.add_queued(&JsValue::from_f64(seq as f64), &clear_json(&entry)?)?;
            meta.put_queued(&KEY_NEXT_SEQ.into(), &JsValue::from_f64((seq + 1) as f64))?;
            meta.put_queued(&KEY_NUMBERS.into(), &clear_json(&ranges)?)?;
            if let Some(d) = commit.draft_id {
                tx.store(DRAFTS)?.delete(&keys.record_key(DRAFTS, &d.to_string()).as_str().into()).await?;
            }
            meta.put_queued(&KEY_USAGE.into(), &clear_json(&sealer.usage)?)?;
            Ok(order)
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Records an edit of an outlet's shared fields: the outbox entry (sealed to the server), the
    /// outlet as the device now shows it, and the edit in the pending list (so fresh reference
    /// data does not overwrite it before the server answered), in ONE strict transaction. The
    /// patch's time comes from the device's hybrid logical clock, advanced in the same
    /// transaction.
    pub async fn commit_outlet_edit(
        &self,
        keys: &Keys,
        device: &DeviceRecord,
        mutation_id: Uuid,
        outlet: &OutletInfo,
        changes: std::collections::BTreeMap<String, satchel_core::sync::merge::FieldChange>,
    ) -> Result<(OutletInfo, u64), SatchelError> {
        use satchel_core::sync::hlc::{Clock, Hlc, NodeId, DEFAULT_MAX_DRIFT_MS};
        let server_key = sealing::key_from_hex(&device.server_public_key).map_err(|_| corrupt("device"))?;
        let tx = self.db.transaction(&[META, OUTLETS, OUTBOX], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let meta = tx.store(META)?;
            let seq = match meta.get(&KEY_NEXT_SEQ.into()).await? {
                Some(v) => v.as_f64().ok_or_else(|| corrupt("sequence counter"))? as u64,
                None => 1,
            };
            let node = NodeId::new(device.device_id.to_string()).map_err(|_| corrupt("device"))?;
            let mut clock = match meta.get(&KEY_HLC.into()).await? {
                Some(v) => Clock::restore(from_clear_json::<Hlc>("clock", &v)?, DEFAULT_MAX_DRIFT_MS),
                None => Clock::new(node),
            };
            let at = clock.now(crate::now_ms() as u64).map_err(|e| SatchelError::internal(format!("clock: {e}")))?;
            let patch = satchel_core::sync::protocol::OutletPatch { outlet_id: outlet.id.clone(), base_version: outlet.version, changes, at };
            let mut updated = outlet.clone();
            apply_edit(&mut updated, &patch);
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let mut edits: Vec<PendingOutletEdit> = match meta.get(&KEY_OUTLET_EDITS.into()).await? {
                Some(v) => open_json(&keys.ring, META, KEY_OUTLET_EDITS, &v)?,
                None => Vec::new(),
            };
            edits.push(PendingOutletEdit { seq, patch: patch.clone() });
            let mutation = Mutation {
                device_id: device.device_id,
                seq,
                id: mutation_id,
                body: MutationBody::OutletUpdate(patch),
                created_at: chrono::DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or_default(),
                depends_on: Vec::new(),
            };
            let sealed = sealing::seal_mutation(&mut sealer.rng, device.server_key_id, &server_key, &keys.device_secret, &mutation)
                .map_err(|e| SatchelError::internal(format!("seal: {e}")))?;
            let entry = OutboxEntry { seq, id: mutation_id, order_key: String::new(), sealed: sealed.sealed, committed_ms: crate::now_ms() as u64 };
            let rk = keys.record_key(OUTLETS, &updated.id);
            tx.store(OUTLETS)?.put_queued(&rk.as_str().into(), &sealer.seal_json(key, OUTLETS, &rk, &updated)?)?;
            tx.store(OUTBOX)?.add_queued(&JsValue::from_f64(seq as f64), &clear_json(&entry)?)?;
            meta.put_queued(&KEY_NEXT_SEQ.into(), &JsValue::from_f64((seq + 1) as f64))?;
            meta.put_queued(&KEY_HLC.into(), &clear_json(clock.last())?)?;
            meta.put_queued(&KEY_OUTLET_EDITS.into(), &sealer.seal_json(key, META, KEY_OUTLET_EDITS, &edits)?)?;
            meta.put_queued(&KEY_USAGE.into(), &clear_json(&sealer.usage)?)?;
            Ok((updated, seq))
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// The oldest `limit` sealed entries waiting for the server, in sequence order. Needs no key:
    /// works while the workspace is locked.
    pub async fn pending(&self, limit: u32) -> Result<Vec<SealedMutation>, SatchelError> {
        let tx = self.db.transaction(&[OUTBOX], Mode::ReadOnly, Durability::Default)?;
        let values = tx.store(OUTBOX)?.get_all(Some(limit)).await?;
        values
            .iter()
            .map(|v| from_clear_json::<OutboxEntry>("outbox", v).map(|e| SealedMutation { seq: e.seq, id: e.id, sealed: e.sealed }))
            .collect()
    }

    /// The status panel's figures (no key needed).
    pub async fn sync_figures(&self) -> Result<SyncFigures, SatchelError> {
        let tx = self.db.transaction(&[META, OUTBOX], Mode::ReadOnly, Durability::Default)?;
        let outbox = tx.store(OUTBOX)?;
        let pending = outbox.count().await?;
        let oldest = outbox.get_all(Some(1)).await?;
        let oldest_pending_ms = oldest
            .first()
            .and_then(|v| from_clear_json::<OutboxEntry>("outbox", v).ok())
            .map(|e| e.committed_ms)
            .filter(|ms| *ms > 0);
        let mut latencies: Vec<u64> = match tx.store(META)?.get(&KEY_LATENCY.into()).await? {
            Some(v) => from_clear_json("latency", &v).unwrap_or_default(),
            None => Vec::new(),
        };
        latencies.sort_unstable();
        Ok(SyncFigures {
            pending,
            oldest_pending_ms,
            latency_p50_ms: percentile(&latencies, 50),
            latency_p95_ms: percentile(&latencies, 95),
            latency_samples: latencies.len(),
        })
    }

    /// How many mutations wait for the server.
    pub async fn pending_count(&self) -> Result<u32, SatchelError> {
        let tx = self.db.transaction(&[OUTBOX], Mode::ReadOnly, Durability::Default)?;
        tx.store(OUTBOX)?.count().await
    }

    /// Records the server's per-mutation results: acknowledged entries leave the outbox and
    /// their answers are kept sealed to the device's own key, in one transaction. Needs no data
    /// key (works while locked); [`apply_acks`](Self::apply_acks) moves them onto the orders.
    ///
    /// `new_ranges`: document numbers the server leased with this answer, appended in the same
    /// transaction.
    pub async fn acknowledge(&self, device: &DeviceRecord, results: &[MutationResult], new_ranges: &[NumberRange]) -> Result<(), SatchelError> {
        let public = sealing::key_from_hex(&device.device_public_key).map_err(|_| corrupt("device"))?;
        let tx = self.db.transaction(&[META, OUTBOX, ACKS], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let outbox = tx.store(OUTBOX)?;
            let acks = tx.store(ACKS)?;
            let meta = tx.store(META)?;
            let mut latencies: Vec<u64> = match meta.get(&KEY_LATENCY.into()).await? {
                Some(v) => from_clear_json("latency", &v).unwrap_or_default(),
                None => Vec::new(),
            };
            let now = crate::now_ms() as u64;
            let mut rng = BrowserRng;
            for r in results {
                let key = JsValue::from_f64(r.seq as f64);
                let Some(v) = outbox.get(&key).await? else { continue };
                let entry: OutboxEntry = from_clear_json("outbox", &v)?;
                if entry.id != r.id {
                    // Not the mutation we sent under that number: leave it for a human to look at.
                    continue;
                }
                let ack = Zeroizing::new(
                    serde_json::to_vec(&Ack { order_key: entry.order_key, result: r.clone() })
                        .map_err(|e| SatchelError::internal(format!("serialize: {e}")))?,
                );
                let sealed = vault::seal_to(&mut rng, 0, &public, None, &ack_context(r.seq), &ack).map_err(SatchelError::Vault)?;
                acks.put(&key, &Uint8Array::from(sealed.as_slice()).into()).await?;
                outbox.delete(&key).await?;
                if entry.committed_ms > 0 {
                    latencies.push(now.saturating_sub(entry.committed_ms));
                }
            }
            keep_answer_figures(&meta, latencies, new_ranges).await?;
            Ok(())
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Applies the answers kept in `acks` to their orders (unlocked), in one transaction.
    /// Returns how many were applied, and the orders they moved out of `pending`.
    pub async fn apply_acks(&self, keys: &Keys) -> Result<AppliedAcks, SatchelError> {
        let tx = self.db.transaction(&[META, ORDERS, ACKS, TASKS], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let acks = tx.store(ACKS)?;
            let tasks = tx.store(TASKS)?;
            let ack_keys = acks.get_all_keys().await?;
            if ack_keys.is_empty() {
                return Ok(AppliedAcks::default());
            }
            let meta = tx.store(META)?;
            let orders = tx.store(ORDERS)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let mut applied = 0;
            let mut settled = Vec::new();
            let mut settled_tasks = Vec::new();
            let mut answered_seqs: Vec<u64> = Vec::new();
            for ak in ack_keys {
                let seq = ak.as_f64().unwrap_or(0.0) as u64;
                answered_seqs.push(seq);
                let Some(v) = acks.get(&ak).await? else { continue };
                let opened = bytes_of(&v)
                    .ok_or(VaultError::Truncated)
                    .and_then(|b| vault::open_sealed(&keys.device_box, 0, None, &ack_context(seq), &b));
                let Ok(plain) = opened else {
                    // Unreadable answer: drop it rather than block every later one; the order
                    // stays "pending" and the server still has the truth.
                    acks.delete(&ak).await?;
                    continue;
                };
                let Ok(ack) = serde_json::from_slice::<Ack>(&plain) else {
                    acks.delete(&ak).await?;
                    continue;
                };
                if let Some(task_key) = ack.order_key.strip_prefix(TASK_ACK_PREFIX) {
                    if let Some(task) = records::apply_task_outcome(&tasks, &mut sealer, keys, task_key, &ack.result.outcome).await? {
                        settled_tasks.push(task);
                    }
                    acks.delete(&ak).await?;
                    applied += 1;
                    continue;
                }
                let okey: JsValue = ack.order_key.as_str().into();
                if let Some(o) = orders.get(&okey).await? {
                    if let Ok(mut order) = open_json::<LocalOrder>(&keys.ring, ORDERS, &ack.order_key, &o) {
                        let was_pending = order.status == OrderStatus::Pending;
                        apply_outcome(&mut order, &ack.result.outcome);
                        orders.put(&okey, &sealer.seal_json(key, ORDERS, &ack.order_key, &order)?).await?;
                        if was_pending {
                            settled.push(order);
                        }
                    }
                }
                acks.delete(&ak).await?;
                applied += 1;
            }
            // Outlet edits the server has answered no longer need protecting from fresh data.
            if let Some(v) = meta.get(&KEY_OUTLET_EDITS.into()).await? {
                let edits: Vec<PendingOutletEdit> = open_json(&keys.ring, META, KEY_OUTLET_EDITS, &v).unwrap_or_default();
                let kept: Vec<PendingOutletEdit> = edits.into_iter().filter(|e| !answered_seqs.contains(&e.seq)).collect();
                meta.put(&KEY_OUTLET_EDITS.into(), &sealer.seal_json(key, META, KEY_OUTLET_EDITS, &kept)?).await?;
            }
            sealer.finish(&meta).await?;
            Ok(AppliedAcks { applied, settled, tasks: settled_tasks })
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Every local order, newest first, and how many order records could not be read. An
    /// unreadable (corrupt) record is skipped and counted: it never hides the other orders.
    pub async fn orders(&self, keys: &Keys) -> Result<(Vec<LocalOrder>, usize), SatchelError> {
        let tx = self.db.transaction(&[ORDERS], Mode::ReadOnly, Durability::Default)?;
        let mut unreadable = 0;
        let mut out: Vec<LocalOrder> = read_all(&tx.store(ORDERS)?, &keys.ring, ORDERS, &mut unreadable).await?;
        out.sort_by_key(|o| std::cmp::Reverse(o.seq));
        Ok((out, unreadable))
    }

    /// Saves a draft (strict durability: it is the rep's work in progress).
    pub async fn save_draft(&self, keys: &Keys, draft: &Draft) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META, DRAFTS], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let rk = keys.record_key(DRAFTS, &draft.draft_id.to_string());
            tx.store(DRAFTS)?.put(&rk.as_str().into(), &sealer.seal_json(key, DRAFTS, &rk, draft)?).await?;
            sealer.finish(&meta).await
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Deletes a draft (discarded by the rep). Deleting one that does not exist is not an error.
    pub async fn delete_draft(&self, keys: &Keys, draft_id: Uuid) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[DRAFTS], Mode::ReadWrite, Durability::Strict)?;
        let body = async { tx.store(DRAFTS)?.delete(&keys.record_key(DRAFTS, &draft_id.to_string()).as_str().into()).await };
        let result = body.await;
        finish(tx, result).await
    }

    /// Every draft, most recently edited first, and how many could not be read.
    pub async fn drafts(&self, keys: &Keys) -> Result<(Vec<Draft>, usize), SatchelError> {
        let tx = self.db.transaction(&[DRAFTS], Mode::ReadOnly, Durability::Default)?;
        let mut unreadable = 0;
        let mut out: Vec<Draft> = read_all(&tx.store(DRAFTS)?, &keys.ring, DRAFTS, &mut unreadable).await?;
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        Ok((out, unreadable))
    }

    /// Key rotation: re-encrypts up to `limit` records of `store` still sealed under the
    /// retired key, in one transaction. Returns how many it re-encrypted (0: the store is done).
    pub async fn reencrypt_batch(&self, ring: &KeyRing, store: &str, limit: usize) -> Result<usize, SatchelError> {
        let Some(retired) = &ring.retired else { return Ok(0) };
        let stores: &[&str] = if store == META { &[META] } else { &[META, store] };
        let tx = self.db.transaction(stores, Mode::ReadWrite, Durability::Default)?;
        let body = async {
            let meta = tx.store(META)?;
            let target = tx.store(store)?;
            let mut sealer = Sealer::begin(&meta, &ring.current).await?;
            let record_keys: Vec<JsValue> = if store == META {
                SEALED_META_KEYS.iter().map(|k| JsValue::from_str(k)).collect()
            } else {
                target.get_all_keys().await?
            };
            let mut done = 0;
            for rk in record_keys {
                if done >= limit {
                    break;
                }
                let Some(name) = rk.as_string() else { continue };
                let Some(v) = target.get(&rk).await? else { continue };
                let Some(bytes) = bytes_of(&v) else { continue };
                let Ok(envelope) = Envelope::parse(&bytes) else { continue };
                if envelope.key_id() != retired.key_id() {
                    continue;
                }
                // A record that does not open stays as it is (reported as unreadable on reads).
                let Ok(plain) = vault::open(retired, store, &name, &envelope) else { continue };
                target.put(&rk, &sealer.seal_bytes(&ring.current, store, &name, &plain)?).await?;
                done += 1;
            }
            sealer.finish(&meta).await?;
            Ok(done)
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// The raw database, for tests and diagnostics.
    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// An outbox entry (and its answer) for a task completion names the task's record with this
/// prefix instead of an order's.
const TASK_ACK_PREFIX: &str = "task:";

/// Keeps the latest commit-to-acknowledgement samples and adds the leases an answer brought, in
/// the caller's transaction (both ways of recording answers do it).
async fn keep_answer_figures(meta: &Store, mut latencies: Vec<u64>, new_ranges: &[NumberRange]) -> Result<(), SatchelError> {
    let excess = latencies.len().saturating_sub(LATENCY_SAMPLES);
    latencies.drain(..excess);
    meta.put_queued(&KEY_LATENCY.into(), &clear_json(&latencies)?)?;
    if !new_ranges.is_empty() {
        let mut ranges: Vec<NumberRange> = match meta.get(&KEY_NUMBERS.into()).await? {
            Some(v) => from_clear_json("number ranges", &v)?,
            None => Vec::new(),
        };
        for r in new_ranges {
            if !ranges.contains(r) {
                ranges.push(r.clone());
            }
        }
        meta.put_queued(&KEY_NUMBERS.into(), &clear_json(&ranges)?)?;
    }
    Ok(())
}

fn ack_context(seq: u64) -> Vec<u8> {
    let mut c = b"satchel/ack/v1".to_vec();
    c.extend_from_slice(&seq.to_be_bytes());
    c
}

fn apply_outcome(order: &mut LocalOrder, outcome: &Outcome) {
    apply_outcome_to(&mut order.status, &mut order.reason, outcome);
}

/// The one place that says what an outcome makes of a local record's status (orders and task
/// completions alike).
fn apply_outcome_to(status: &mut OrderStatus, why: &mut Option<String>, outcome: &Outcome) {
    match outcome {
        Outcome::Applied => *status = OrderStatus::Synced,
        Outcome::Flagged { reasons } => {
            *status = OrderStatus::Flagged;
            *why = Some(reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "));
        }
        Outcome::Duplicate { original } if original == "applied" => *status = OrderStatus::Synced,
        Outcome::Duplicate { original } if original == "discarded" => *status = OrderStatus::Discarded,
        Outcome::Duplicate { .. } => {
            *status = OrderStatus::Rejected;
            why.get_or_insert_with(|| "refused by the server".into());
        }
        Outcome::Rejected { reason, .. } => {
            *status = OrderStatus::Rejected;
            *why = Some(reason.clone());
        }
        Outcome::Held { reason, .. } => {
            *status = OrderStatus::Held;
            *why = Some(reason.clone());
        }
        Outcome::Deferred { reason, .. } => {
            *status = OrderStatus::Waiting;
            *why = Some(reason.clone());
        }
    }
}

/// Reads and opens every record of `store`; counts the ones that do not open.
async fn read_all<T: DeserializeOwned>(s: &Store, ring: &KeyRing, store: &str, unreadable: &mut usize) -> Result<Vec<T>, SatchelError> {
    let keys = s.get_all_keys().await?;
    let values = s.get_all(None).await?;
    let mut out = Vec::with_capacity(values.len());
    for (k, v) in keys.iter().zip(&values) {
        let Some(name) = k.as_string() else {
            *unreadable += 1;
            continue;
        };
        match open_json::<T>(ring, store, &name, v) {
            Ok(t) => out.push(t),
            Err(_) => *unreadable += 1,
        }
    }
    Ok(out)
}

/// Hex of a device's public key.
pub fn public_hex(secret: &BoxSecret) -> String {
    hex::encode(&secret.public_key())
}
