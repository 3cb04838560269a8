//! The `Workspace` class: the module's JavaScript API.
//!
//! Data objects use the wire protocol's snake_case keys; every amount, quantity and rate is a
//! decimal string. Every failure is thrown as an `Error` named `SatchelError` with a `code`.

use std::cell::RefCell;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use satchel_core::sales::SalesOrder;
use satchel_core::sync::engine::{SyncEvent, WakeReason};
use satchel_core::sync::protocol::{BlobRef, RegisterRequest, RegisterResponse, TaskCompletion, TaskStatus};

use crate::error::{bad_input, SatchelError};
use satchel_core::vault::{self as core_vault, hex, DataKey, KdfParams, Lock, LockPolicy};

use crate::sales::{QuoteView, Reference};
use crate::store::{Commit, Draft, DeviceRecord, KeyRing, Keys, LocalOrder, LocalStore, LocalTask, NewVault, OrderStatus, SessionSecrets, SessionView, VaultRecord};
use crate::vault;
use crate::BrowserRng;
use crate::sync_loop::{self, SyncLoop};
use crate::transport::{Failure, Transport};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `Workspace.open`. */
export interface WorkspaceOptions {
  /** IndexedDB database name; default "satchel". */
  db_name?: string;
  /** The sync server's origin; default: this page's origin. */
  base_url?: string;
  /** Inactivity before the workspace locks (ms); default 5 minutes, at most 30 minutes. */
  idle_timeout_ms?: number;
  /** Lock as soon as the page is hidden; default false. */
  lock_when_hidden?: boolean;
}
/** The vault's state, as `vaultStatus()` and `onVaultChange` report it. */
export interface VaultStatusView {
  state: "signed_out" | "locked" | "unlocked";
  /** Consecutive wrong PINs. */
  failed_attempts: number;
  /** While a wrong-PIN delay runs: milliseconds until the next attempt. */
  retry_after_ms?: number;
  /** Too many wrong PINs: `reauthenticate` (online, password) before the next attempt. */
  reauthentication_required: boolean;
  idle_timeout_ms: number;
  /** A key rotation is re-encrypting records in the background. */
  rotating: boolean;
}
/** Who is signed in on this device. */
export interface SessionView { device_id: string; username: string; display_name: string; }
/** A product found by `searchProducts`, priced for the outlet asked about. */
export interface ProductHit {
  sku: string; name: string; unit: string; quantity_places: number; pack_size?: string;
  min_order_quantity?: string; barcodes: string[];
  /** The price of the outlet's price list on the business date (absent without an outlet). */
  unit_price?: string;
  /** What the van holds, as this device's commits left it. */
  stock?: string;
}
/** An outlet on the user's routes, with its credit as this device sees it. */
export interface OutletView {
  id: string; name: string; route: string; address: string; phone: string; contact_name: string;
  group: string; place_of_supply: string;
  credit?: { limit: string; outstanding: string; pending_on_device: string; available: string; over_limit: boolean; as_of: string };
}
/** An order being composed. Quantities and percentages are decimal strings; prices come from
 * the outlet's price list, never from the page. */
export interface SalesOrder {
  outlet_id: string;
  /** The local date whose prices and tax rules apply, YYYY-MM-DD. */
  business_date: string;
  lines: SalesLine[];
  order_discount_percent?: string;
  note?: string;
  requested_delivery_date?: string;
  customer_reference?: string;
  cash?: boolean;
  kind?: "sale" | "return";
}
export interface SalesLine { sku: string; quantity: string; discount_percent?: string; }
/** A finding of validation, with the age of the data it relied on. */
export interface FindingView {
  rule: string; severity: "block" | "warn_and_flag" | "allow"; field: string; message: string; data_as_of?: string;
}
/** Prices, taxes with their breakdown, totals and findings: computed by the module. */
export interface QuoteView {
  price_list_id: string;
  lines: { unit_price: string; net?: string; taxes: { code: string; amount: string }[] }[];
  taxes: { code: string; name: string; base: string; amount: string; included: boolean }[];
  untaxed?: string; discount?: string; tax?: string;
  /** The amount due. */
  total?: string;
  blocked: boolean; flagged: boolean; findings: FindingView[];
}
/** The result of `commitOrder`: the order is durably on the device. */
export interface CommittedOrderView {
  order_id: string; document_number: string; seq: number; total: string; flagged: boolean; quote: QuoteView;
}
/** A local order and its sync state. */
export interface OrderView {
  order_id: string; document_number: string; outlet_id: string; committed_at: string; total: string; seq: number;
  line_count: number; kind: "sale" | "return";
  /** `held`: something it depends on (the task it was billed from) was refused: edit and
   * resubmit it (`editHeld`) or discard it (`discardHeld`). `waiting`: the server has it and
   * waits for what it depends on. `discarded`: held, then discarded (kept as a record). */
  status: "pending" | "synced" | "flagged" | "rejected" | "held" | "waiting" | "discarded"; reason?: string;
  /** The task it was billed from. */
  task_id?: string;
}
/** A task assigned to the user, with this device's completion. */
export interface TaskItemView {
  id: string; outlet_id: string; outlet_name?: string; kind: string; title: string; details: string; due_date?: string;
  status: "open" | "done" | "cancelled";
  completion?: {
    mutation_id: string; completed_at: string; note: string; photos: number;
    status: "pending" | "synced" | "flagged" | "rejected" | "held" | "waiting" | "discarded"; reason?: string;
  };
}
/** A flagged order in a supervisor's review queue (as the server sends it). */
export interface ReviewItem {
  order_id: string; document_number?: string; kind: string; outlet_id: string; outlet_name?: string;
  username: string; total: string; committed_at: string; reasons: { rule: string; message: string }[];
  status: "open" | "approved" | "rejected"; created_at: string; resolved_by?: string; resolved_at?: string; note?: string;
}
/** A draft: the page's own content, saved sealed on every edit. */
export interface DraftView { draft_id: string; updated_at: string; content: Record<string, unknown>; }
/** Records on this device that could not be read (corrupt) and were skipped. */
export interface StorageReportView { unreadable_orders: number; unreadable_reference: number; }
/** The sync loop's state, as `onStatus` reports it. */
export interface SyncStatusView {
  pending: number;
  phase: "idle" | "pushing" | "pulling" | "backing_off" | "needs_sign_in";
  /** Whether this tab runs the sync (one tab per workspace does; the others follow it). */
  leader: boolean;
  /** Age of the oldest order waiting to sync (ms). */
  oldest_pending_age_ms?: number;
  /** Commit-to-acknowledgement latency on this device (ms), over `latency_samples` orders. */
  latency_p50_ms?: number;
  latency_p95_ms?: number;
  latency_samples: number;
  last_synced_at?: string;
  last_error?: string;
  last_error_code?: SatchelErrorCode;
  /** The first full download of the reference data finished (it resumes where it stopped). */
  reference_complete: boolean;
  /** Changes the server still had for this device at the last pull. */
  reference_remaining: number;
  pulled_at?: string;
  /** Moves whenever pulled data changed what the workspace shows: re-read lists then. */
  reference_generation: number;
  /** Photos waiting for upload. */
  uploads_pending: number;
}
"#;

/// Shared state behind the `Workspace` handle.
pub(crate) struct Inner {
    pub(crate) store: LocalStore,
    /// Reference records (products, outlets) that could not be read when loaded.
    pub(crate) unreadable_reference: std::cell::Cell<usize>,
    pub(crate) transport: Transport,
    /// The registered device (in clear), if signed in.
    pub(crate) device: RefCell<Option<DeviceRecord>>,
    /// Decrypted reference data: empty while locked.
    pub(crate) reference: RefCell<Reference>,
    pub(crate) sync: SyncLoop,
    pub(crate) vault: vault::VaultShell,
    /// What the page asked for at open (the lock may only be tightened by it).
    options: WorkspaceOptions,
    /// The database name (tabs of one workspace share it, and elect one sync leader by it).
    pub(crate) db_name: String,
}

/// Serializes to plain JS objects (maps as objects, integers as numbers).
pub(crate) fn to_js_value<T: Serialize>(v: &T) -> Result<JsValue, SatchelError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| SatchelError::internal(format!("to JS: {e}")))
}

fn from_js_value<T: for<'de> Deserialize<'de>>(v: JsValue) -> Result<T, SatchelError> {
    serde_wasm_bindgen::from_value(v).map_err(bad_input)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WorkspaceOptions {
    db_name: Option<String>,
    base_url: Option<String>,
    idle_timeout_ms: Option<u64>,
    lock_when_hidden: Option<bool>,
}

/// The lock policy in force: the deployment's settings, which the page may only tighten (a
/// shorter timeout, locking when hidden).
fn lock_policy(settings: satchel_core::sync::protocol::LockSettings, options: &WorkspaceOptions) -> LockPolicy {
    let idle = options.idle_timeout_ms.map_or(settings.idle_timeout_ms, |ms| ms.min(settings.idle_timeout_ms));
    LockPolicy {
        idle_timeout_ms: idle,
        lock_when_hidden: settings.lock_when_hidden || options.lock_when_hidden.unwrap_or(false),
        ..LockPolicy::default()
    }
}

#[derive(Serialize)]
struct CommittedOrderView {
    order_id: uuid::Uuid,
    document_number: String,
    seq: u64,
    total: satchel_core::money::Dec,
    flagged: bool,
    quote: QuoteView,
}

#[derive(Serialize)]
struct OrderView<'a> {
    order_id: uuid::Uuid,
    document_number: &'a str,
    outlet_id: &'a str,
    committed_at: &'a str,
    total: satchel_core::money::Dec,
    seq: u64,
    line_count: usize,
    kind: satchel_core::sales::OrderKind,
    status: OrderStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_id: Option<&'a str>,
}

impl<'a> From<&'a LocalOrder> for OrderView<'a> {
    fn from(o: &'a LocalOrder) -> Self {
        OrderView {
            order_id: o.order_id,
            document_number: &o.document_number,
            outlet_id: &o.outlet_id,
            committed_at: &o.committed_at,
            total: o.total,
            seq: o.seq,
            line_count: o.document.order.lines.len(),
            kind: o.document.order.kind,
            status: o.status,
            reason: o.reason.as_deref(),
            task_id: o.task_id.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct TaskItemView<'a> {
    id: &'a str,
    outlet_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outlet_name: Option<&'a str>,
    kind: &'a str,
    title: &'a str,
    details: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_date: Option<chrono::NaiveDate>,
    status: TaskStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion: Option<CompletionView<'a>>,
}

#[derive(Serialize)]
struct CompletionView<'a> {
    mutation_id: uuid::Uuid,
    completed_at: &'a str,
    note: &'a str,
    photos: usize,
    status: OrderStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// A validation error on `field`.
fn invalid(field: &str, detail: &str, message: &str) -> SatchelError {
    SatchelError::Validation { field: field.into(), detail: detail.into(), message: message.into() }
}

fn task_view<'a>(t: &'a LocalTask, reference: &'a Reference) -> TaskItemView<'a> {
    TaskItemView {
        id: &t.task.id,
        outlet_id: &t.task.outlet_id,
        outlet_name: reference.outlet(&t.task.outlet_id).map(|o| o.name.as_str()),
        kind: &t.task.kind,
        title: &t.task.title,
        details: &t.task.details,
        due_date: t.task.due_date,
        status: t.task.status,
        completion: t.completion.as_ref().map(|c| CompletionView {
            mutation_id: c.mutation_id,
            completed_at: &c.completed_at,
            note: &c.note,
            photos: c.photos.len(),
            status: c.status,
            reason: c.reason.as_deref(),
        }),
    }
}

/// Reads a photo (`Blob`/`File`) the page passes: its bytes and type.
async fn read_photo(v: &JsValue, index: usize) -> Result<(Vec<u8>, String), SatchelError> {
    let blob: web_sys::Blob = v.clone().dyn_into().map_err(|_| invalid(&format!("photos[{index}]"), "malformed", "not a Blob or File"))?;
    let size = blob.size() as u64;
    if size > satchel_core::sync::protocol::MAX_BLOB_BYTES {
        return Err(SatchelError::Validation {
            field: format!("photos[{index}]"),
            detail: "photo_too_large".into(),
            message: format!(
                "the photo is {:.1} MB; the limit is {} MB",
                size as f64 / (1024.0 * 1024.0),
                satchel_core::sync::protocol::MAX_BLOB_BYTES / (1024 * 1024)
            ),
        });
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await.map_err(|_| SatchelError::Storage("the photo could not be read".into()))?;
    Ok((js_sys::Uint8Array::new(&buffer).to_vec(), blob.type_()))
}

/// Largest draft content accepted, as JSON.
const MAX_DRAFT_BYTES: usize = 64 * 1024;

fn parse_draft_id(text: &str) -> Result<uuid::Uuid, SatchelError> {
    uuid::Uuid::parse_str(text).map_err(|_| SatchelError::Validation {
        field: "draft_id".into(),
        detail: "malformed".into(),
        message: "a draft id is a UUID".into(),
    })
}

fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()).ok())
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// An offline-first workspace: the local store, the reference data and the sync loop.
#[wasm_bindgen]
pub struct Workspace {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Workspace {
    /// Opens the workspace stored on this device (creating it on first use).
    #[wasm_bindgen(unchecked_return_type = "Workspace")]
    pub async fn open(#[wasm_bindgen(unchecked_param_type = "WorkspaceOptions | undefined")] options: JsValue) -> Result<Workspace, SatchelError> {
        let options: WorkspaceOptions =
            if options.is_undefined() || options.is_null() { WorkspaceOptions::default() } else { from_js_value(options)? };
        if js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).map(|c| c.is_undefined()).unwrap_or(true) {
            return Err(SatchelError::internal("this browser has no crypto.getRandomValues"));
        }
        let db_name = options.db_name.clone().unwrap_or_else(|| "satchel".into());
        let store = LocalStore::open(&db_name).await?;
        let device = store.device().await?;
        let settings = device.as_ref().map(|d| d.lock).unwrap_or_default();
        let policy = lock_policy(settings, &options);
        let lock = vault::restore_lock(policy, store.lock_state().await?);
        let base_url = options.base_url.clone().unwrap_or_else(page_origin);
        let inner = Rc::new(Inner {
            store,
            unreadable_reference: std::cell::Cell::new(0),
            transport: Transport::new(&base_url),
            device: RefCell::new(device),
            reference: RefCell::new(Reference::default()),
            sync: SyncLoop::default(),
            vault: vault::VaultShell::new(lock),
            options,
            db_name,
        });
        vault::listen_hidden(&inner);
        Ok(Workspace { inner })
    }

    /// Who is signed in, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "SessionView | undefined")]
    pub fn session(&self) -> Result<JsValue, SatchelError> {
        match self.inner.device.borrow().as_ref() {
            Some(d) => to_js_value(&SessionView::from(d)),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Signs in: registers this device with the server, sets the PIN that unlocks the workspace
    /// from now on, and downloads the reference data (stored encrypted). Needs the network once;
    /// afterwards the workspace opens offline too (locked, until the PIN unlocks it).
    #[wasm_bindgen(js_name = signIn, unchecked_return_type = "SessionView")]
    pub async fn sign_in(&self, username: String, password: String, pin: String) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        vault::check_new_pin(&pin)?;
        if inner.device.borrow().is_some() && inner.store.pending_count().await? > 0 {
            return Err(SatchelError::PendingWork("orders are waiting to sync; sync them before signing in again".into()));
        }
        let label = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .ok()
            .and_then(|n| js_sys::Reflect::get(&n, &"userAgent".into()).ok())
            .and_then(|u| u.as_string())
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect();
        let request = RegisterRequest { username, password, label };
        let registered: RegisterResponse = inner.transport.post("/api/v1/devices", &request, None).await.map_err(|f| match f {
            Failure::Status { status: 401, .. } => SatchelError::BadCredentials,
            other => other.into(),
        })?;

        // The vault: a fresh data key, wrapped under the PIN's key.
        let mut rng = BrowserRng;
        let dek = DataKey::generate(&mut rng, 1);
        let kdf = KdfParams::default();
        let salt = core_vault::new_salt(&mut rng);
        let kek = vault::derive_kek(&pin, &kdf, &salt).await?;
        let wrapped = core_vault::wrap(&dek, &kek, &mut rng, kdf, salt)?;
        let device_box = vault::new_box();
        let sealing = registered.sealing;
        let device = DeviceRecord {
            device_id: registered.device_id,
            username: registered.user.username,
            display_name: registered.user.display_name,
            push_token: sealing.push_token.clone(),
            server_key_id: sealing.server_key_id,
            server_public_key: sealing.server_public_key.clone(),
            device_public_key: crate::store::public_hex(&device_box),
            lock: registered.lock,
        };
        let secrets = SessionSecrets {
            token: registered.token,
            device_secret: sealing.device_secret.clone(),
            device_box_secret: hex::encode(device_box.to_bytes().as_ref()),
        };
        let keys = Rc::new(Keys::new(
            KeyRing { current: Rc::new(dek), retired: None },
            core_vault::new_index_key(&mut rng),
            secrets,
        )?);
        let lock_state = {
            let mut lock = inner.vault.lock.borrow_mut();
            let policy = lock_policy(registered.lock, &inner.options);
            *lock = Lock::new(policy, crate::now_ms() as u64);
            lock.record_success(crate::now_ms() as u64);
            lock.state().clone()
        };
        let record = VaultRecord { wrapped, retired: None };
        inner
            .store
            .create_vault(NewVault { device: &device, vault: &record, lock: &lock_state, number_ranges: &registered.number_ranges }, &keys)
            .await?;
        *inner.reference.borrow_mut() = Reference::default();
        let view = to_js_value(&SessionView::from(&device))?;
        *inner.device.borrow_mut() = Some(device);
        vault::install_keys(inner, keys, kek).await?;
        // The initial download: page by page, each stored with its checkpoint. If the network
        // drops half way, sign-in still stands and the sync loop resumes where it stopped.
        if let Err(e) = sync_loop::pull_all(inner).await {
            *inner.sync.last_error_mut() = Some(e);
        }
        sync_loop::dispatch(inner, SyncEvent::Reauthenticated);
        Ok(view)
    }

    /// Fetches what changed on the server now (catalog, prices, outlets, credit, tasks, the
    /// outcome of deferred changes), after sending what waits. Needs the workspace unlocked.
    #[wasm_bindgen(js_name = refreshReference)]
    pub async fn refresh_reference(&self) -> Result<(), SatchelError> {
        vault::require_keys(&self.inner)?;
        self.sync_now().await
    }

    /// The tasks assigned to the user (open first, then by due date), with this device's
    /// completions and what the server made of them.
    #[wasm_bindgen(unchecked_return_type = "TaskItemView[]")]
    pub fn tasks(&self) -> Result<JsValue, SatchelError> {
        vault::require_keys(&self.inner)?;
        let reference = self.inner.reference.borrow();
        let mut views: Vec<TaskItemView> = reference.tasks().iter().map(|t| task_view(t, &reference)).collect();
        views.sort_by(|a, b| {
            (a.status != TaskStatus::Open, a.due_date, a.title).cmp(&(b.status != TaskStatus::Open, b.due_date, b.title))
        });
        to_js_value(&views)
    }

    /// Completes a task with a note and photos (`Blob`s or `File`s: JPEG, PNG or WebP, at most
    /// 8 MB each). The photos are stored sealed and uploaded in chunks that resume after an
    /// interruption; the server applies the completion once every photo is whole. Refused with
    /// `validation` (`task_closed`, `photo_too_large`, `photo_type`, `photo_storage_full`).
    #[wasm_bindgen(js_name = completeTask, unchecked_return_type = "TaskItemView")]
    pub async fn complete_task(
        &self,
        task_id: String,
        note: String,
        #[wasm_bindgen(unchecked_param_type = "Blob[] | undefined")] photos: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        let keys = vault::require_keys(inner)?;
        let device = inner.device.borrow().clone().ok_or(SatchelError::NotSignedIn)?;
        let task = inner.reference.borrow().tasks().iter().find(|t| t.task.id == task_id).cloned().ok_or_else(|| SatchelError::Validation {
            field: "task_id".into(),
            detail: "unknown_task".into(),
            message: format!("task {task_id} is not assigned to you"),
        })?;
        if task.task.status != TaskStatus::Open || task.completion.as_ref().is_some_and(|c| c.status != OrderStatus::Rejected) {
            return Err(SatchelError::Validation {
                field: "task_id".into(),
                detail: "task_closed".into(),
                message: "this task is no longer open".into(),
            });
        }
        let list: Vec<JsValue> = if photos.is_undefined() || photos.is_null() {
            Vec::new()
        } else {
            js_sys::Array::from(&photos).iter().collect()
        };
        let mut bytes = Vec::with_capacity(list.len());
        let mut refs = Vec::with_capacity(list.len());
        for (i, p) in list.iter().enumerate() {
            let (b, content_type) = read_photo(p, i).await?;
            refs.push(BlobRef { sha256: satchel_core::sync::blobs::sha256_hex(&b), size: b.len() as u64, content_type });
            bytes.push(b);
        }
        let completion = TaskCompletion { task_id: task_id.clone(), completed_at: now(), note, photos: refs };
        // Core's rule, the same the server checks (`satchel_core::sync::tasks`).
        satchel_core::sync::tasks::check_completion(&completion).map_err(|e| SatchelError::Validation {
            field: e.field(),
            detail: e.code().into(),
            message: e.to_string(),
        })?;
        let stored = inner.store.commit_task_completion(&keys, &device, crate::new_id()?, &task, completion, &bytes).await?;
        inner.reference.borrow_mut().replace_task(stored.clone());
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        let reference = inner.reference.borrow();
        to_js_value(&task_view(&stored, &reference))
    }

    /// Discards an order the server holds (what it depended on was refused). The server keeps
    /// a record of it; the order stays on this device as `discarded`.
    #[wasm_bindgen(js_name = discardHeld)]
    pub async fn discard_held(&self, order_id: String, reason: Option<String>) -> Result<(), SatchelError> {
        let inner = &self.inner;
        let keys = vault::require_keys(inner)?;
        let device = inner.device.borrow().clone().ok_or(SatchelError::NotSignedIn)?;
        let order = self.held_order(&keys, &order_id).await?;
        inner.store.discard_held_order(&keys, &device, crate::new_id()?, &order, reason.as_deref().unwrap_or("")).await?;
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        Ok(())
    }

    /// Edits a held order: returns a new draft with its outlet and lines (without the task it
    /// depended on) and discards the held one ("replaced by a new order"). Commit the draft as
    /// usual; it gets a new number.
    #[wasm_bindgen(js_name = editHeld, unchecked_return_type = "DraftView")]
    pub async fn edit_held(&self, order_id: String) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        let keys = vault::require_keys(inner)?;
        let device = inner.device.borrow().clone().ok_or(SatchelError::NotSignedIn)?;
        let order = self.held_order(&keys, &order_id).await?;
        let o = &order.document.order;
        let content = serde_json::json!({
            "order": serde_json::to_value(o).map_err(|e| SatchelError::internal(format!("serialize: {e}")))?,
            "resubmits": order.document_number,
        });
        let draft = Draft { draft_id: crate::new_id()?, updated_at: now().to_rfc3339(), content };
        inner.store.save_draft(&keys, &draft).await?;
        let why = format!("replaced by a new order (edited from {})", order.document_number);
        inner.store.discard_held_order(&keys, &device, crate::new_id()?, &order, &why).await?;
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        to_js_value(&draft)
    }

    /// The vault's state: signed out, locked or unlocked, wrong-PIN count and delay.
    #[wasm_bindgen(js_name = vaultStatus, unchecked_return_type = "VaultStatusView")]
    pub fn vault_status(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&vault::status(&self.inner))
    }

    /// Calls `callback` with a `VaultStatusView` whenever the workspace locks or unlocks, or a
    /// PIN attempt changes the count.
    #[wasm_bindgen(js_name = onVaultChange)]
    pub fn on_vault_change(&self, #[wasm_bindgen(unchecked_param_type = "(status: VaultStatusView) => void")] callback: js_sys::Function) {
        self.inner.vault.set_on_change(callback);
    }

    /// Unlocks with the PIN. Throws `wrong_pin` (with `failed_attempts`), `too_many_attempts`
    /// (with `retry_after_ms`) or `reauthentication_required`. The count survives reloads.
    pub async fn unlock(&self, pin: String) -> Result<(), SatchelError> {
        vault::unlock(&self.inner, &pin).await
    }

    /// Locks now: the keys are wiped from memory and business calls throw `locked`. Sync goes
    /// on (the outbox is sealed to the server).
    pub fn lock(&self) {
        if self.inner.vault.keys.borrow().is_some() {
            vault::lock_now(&self.inner);
        }
    }

    /// Records user activity: postpones the inactivity lock. Call it on taps and key presses.
    pub fn touch(&self) {
        vault::touch(&self.inner);
    }

    /// Changes the PIN (the workspace must be unlocked). Only the wrapped key changes.
    #[wasm_bindgen(js_name = changePin)]
    pub async fn change_pin(&self, old_pin: String, new_pin: String) -> Result<(), SatchelError> {
        vault::change_pin(&self.inner, &old_pin, &new_pin).await
    }

    /// After too many wrong PINs: the device's user signs in online with their password, which
    /// clears the count (the workspace stays locked until the PIN unlocks it).
    pub async fn reauthenticate(&self, username: String, password: String) -> Result<(), SatchelError> {
        let token = self.inner.device.borrow().as_ref().map(|d| d.push_token.clone()).ok_or(SatchelError::NotSignedIn)?;
        let request = RegisterRequest { username, password, label: String::new() };
        let answer: Result<serde_json::Value, Failure> =
            self.inner.transport.post("/api/v1/devices/reauthenticate", &request, Some(&token)).await;
        match answer {
            Ok(_) | Err(Failure::Status { status: 204, .. }) => vault::reauthenticated(&self.inner).await,
            Err(Failure::Status { status: 401, .. }) => Err(SatchelError::BadCredentials),
            Err(other) => Err(other.into()),
        }
    }

    /// Rotates the data key: a new key seals from now on, and every record is re-encrypted in
    /// the background (resumable across locks and reloads). Resolves when the rotation is done.
    #[wasm_bindgen(js_name = rotateKey)]
    pub async fn rotate_key(&self) -> Result<(), SatchelError> {
        vault::rotate(&self.inner).await
    }

    /// When the server produced the reference data on this device (RFC 3339), or `undefined`.
    #[wasm_bindgen(js_name = referenceAsOf)]
    pub fn reference_as_of(&self) -> Option<String> {
        self.inner.reference.borrow().as_of()
    }

    /// The outlets on the user's routes, with their credit as this device sees it (the server's
    /// balance as of its time, plus this device's unsynced orders).
    #[wasm_bindgen(unchecked_return_type = "OutletView[]")]
    pub fn outlets(&self) -> Result<JsValue, SatchelError> {
        vault::require_keys(&self.inner)?;
        to_js_value(&self.inner.reference.borrow().outlet_views())
    }

    /// Products matching `query` by SKU or barcode prefix, or by the prefixes of their name's
    /// words, tolerating typos (one in 4–7 letters, two from 8), accents and case; best first.
    /// With `outlet_id`, each carries the price of that outlet's list today.
    #[wasm_bindgen(js_name = searchProducts, unchecked_return_type = "ProductHit[]")]
    pub fn search_products(
        &self,
        query: &str,
        limit: u32,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] outlet_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        vault::require_keys(&self.inner)?;
        let reference = self.inner.reference.borrow();
        to_js_value(&reference.search(query, limit as usize, outlet_id.as_deref(), business_date()))
    }

    /// Prices, taxes and validates an order with this device's data: the breakdown per line and
    /// per tax, the amount due, and the findings (blocking or to review) with the age of the data
    /// they relied on. Throws a `validation` error naming the field for what cannot be priced
    /// (an unknown product, an outlet not on the user's routes).
    #[wasm_bindgen(unchecked_return_type = "QuoteView")]
    pub fn quote(&self, #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue) -> Result<JsValue, SatchelError> {
        vault::require_keys(&self.inner)?;
        let order: SalesOrder = from_js_value(order)?;
        let quote = self.inner.reference.borrow().quote(&order, now())?;
        to_js_value(&QuoteView::from(&quote))
    }

    /// Quotes the order, refuses it if a finding blocks (a `validation` error naming the field,
    /// `detail` = the rule), numbers it from this device's leased range and stores it with its
    /// sealed outbox entry in one durable transaction (the van's stock and the draft too).
    /// Resolves once it is on disk. `draft_id`: the draft it was composed in.
    #[wasm_bindgen(js_name = commitOrder, unchecked_return_type = "CommittedOrderView")]
    pub async fn commit_order(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] draft_id: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] task_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        let keys = vault::require_keys(inner)?;
        let device = inner.device.borrow().clone().ok_or(SatchelError::NotSignedIn)?;
        let order: SalesOrder = from_js_value(order)?;
        // Billed from a task: the order depends on the task's completion, so the server never
        // applies it before the completion, and holds it if the completion is refused.
        let depends_on = match &task_id {
            Some(id) => {
                let reference = inner.reference.borrow();
                let task = reference.tasks().iter().find(|t| &t.task.id == id).ok_or_else(|| SatchelError::Validation {
                    field: "task_id".into(),
                    detail: "unknown_task".into(),
                    message: format!("task {id} is not assigned to you"),
                })?;
                task.completion.as_ref().map(|c| vec![c.mutation_id]).unwrap_or_default()
            }
            None => Vec::new(),
        };
        let committed_at = now();
        let quote = inner.reference.borrow().quote(&order, committed_at)?;
        let draft_id = draft_id.map(|d| parse_draft_id(&d)).transpose()?;
        let commit = Commit {
            order_id: crate::new_id()?,
            mutation_id: crate::new_id()?,
            committed_at,
            order,
            quote: &quote,
            draft_id,
            depends_on,
            task_id,
        };
        let stored = inner.store.commit_order(&keys, &device, commit).await?;
        inner.reference.borrow_mut().committed(&stored);
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        to_js_value(&CommittedOrderView {
            order_id: stored.order_id,
            document_number: stored.document_number.clone(),
            seq: stored.seq,
            total: stored.total,
            flagged: stored.document.flagged,
            quote: QuoteView::from(&quote),
        })
    }

    /// Saves a draft durably (call it on every edit). `content` is any JSON object of the page's
    /// (at most 64 KiB as JSON); pass the `draft_id` of an existing draft to replace it, or
    /// none to start one. Returns the `DraftView`.
    #[wasm_bindgen(js_name = saveDraft, unchecked_return_type = "DraftView")]
    pub async fn save_draft(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] draft_id: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "object")] content: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        let content: serde_json::Value = from_js_value(content)?;
        if !content.is_object() {
            return Err(SatchelError::Validation { field: "content".into(), detail: "not_an_object".into(), message: "a draft's content must be an object".into() });
        }
        if serde_json::to_vec(&content).map(|v| v.len()).unwrap_or(usize::MAX) > MAX_DRAFT_BYTES {
            return Err(SatchelError::Validation { field: "content".into(), detail: "too_large".into(), message: format!("a draft may hold at most {MAX_DRAFT_BYTES} bytes") });
        }
        let draft_id = match draft_id {
            Some(d) => parse_draft_id(&d)?,
            None => crate::new_id()?,
        };
        let draft = Draft { draft_id, updated_at: now().to_rfc3339(), content };
        self.inner.store.save_draft(&keys, &draft).await?;
        to_js_value(&draft)
    }

    /// Every draft on this device, most recently edited first.
    #[wasm_bindgen(unchecked_return_type = "DraftView[]")]
    pub async fn drafts(&self) -> Result<JsValue, SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        let (drafts, _unreadable) = self.inner.store.drafts(&keys).await?;
        to_js_value(&drafts)
    }

    /// Discards a draft.
    #[wasm_bindgen(js_name = deleteDraft)]
    pub async fn delete_draft(&self, draft_id: String) -> Result<(), SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        self.inner.store.delete_draft(&keys, parse_draft_id(&draft_id)?).await
    }

    /// Changes an outlet's shared contact fields (`phone`, `address`, `contact_name`; others are
    /// refused). Only the fields that differ from what the device shows are sent, with the
    /// version they were based on; the server merges them field by field, and a concurrent
    /// change to the same field by someone else becomes a conflict for review (the order of
    /// events decided by a hybrid logical clock), never a silent overwrite. The outlet shows the
    /// new values at once. Returns the number of fields changed (0: nothing to send).
    #[wasm_bindgen(js_name = updateOutlet)]
    pub async fn update_outlet(
        &self,
        outlet_id: String,
        #[wasm_bindgen(unchecked_param_type = "{ phone?: string; address?: string; contact_name?: string }")] fields: JsValue,
    ) -> Result<u32, SatchelError> {
        let inner = &self.inner;
        let keys = vault::require_keys(inner)?;
        let device = inner.device.borrow().clone().ok_or(SatchelError::NotSignedIn)?;
        let wanted: std::collections::BTreeMap<String, String> = from_js_value(fields)?;
        let outlet = inner.reference.borrow().outlet(&outlet_id).cloned().ok_or_else(|| SatchelError::Validation {
            field: "outlet_id".into(),
            detail: "unknown_outlet".into(),
            message: format!("outlet {outlet_id} is not on your routes"),
        })?;
        // Core's rule, the same the server checks (`satchel_core::sync::edits`).
        let changes = satchel_core::sync::edits::outlet_changes(&outlet, &wanted).map_err(|e| SatchelError::Validation {
            field: e.field().to_string(),
            detail: e.code().into(),
            message: e.to_string(),
        })?;
        if changes.is_empty() {
            return Ok(0);
        }
        let n = changes.len() as u32;
        let (updated, _seq) = inner.store.commit_outlet_edit(&keys, &device, crate::new_id()?, &outlet, changes).await?;
        inner.reference.borrow_mut().replace_outlet(updated);
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        Ok(n)
    }

    /// The signed-in user's role (`"rep"`, `"supervisor"`), or `undefined` before the sales data
    /// arrived. Needs the workspace unlocked.
    pub fn role(&self) -> Result<Option<String>, SatchelError> {
        vault::require_keys(&self.inner)?;
        Ok(self.inner.reference.borrow().role().map(str::to_owned))
    }

    /// A supervisor's review queue, from the server (online): the flagged orders with `status`
    /// `open` (default), `approved`, `rejected` or `all`, each with its reasons.
    #[wasm_bindgen(js_name = reviewQueue, unchecked_return_type = "ReviewItem[]")]
    pub async fn review_queue(&self, status: Option<String>) -> Result<JsValue, SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        let status = status.unwrap_or_else(|| "open".into());
        if !matches!(status.as_str(), "open" | "approved" | "rejected" | "all") {
            return Err(SatchelError::Validation { field: "status".into(), detail: "unknown".into(), message: format!("unknown review status {status}") });
        }
        let answer: serde_json::Value = self.inner.transport.get(&format!("/api/v1/review?status={status}"), Some(&keys.secrets.token)).await?;
        to_js_value(answer.get("items").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// Resolves a flagged order (supervisor, online): `decision` is `approve` or `reject`.
    #[wasm_bindgen(js_name = resolveReview, unchecked_return_type = "ReviewItem")]
    pub async fn resolve_review(&self, order_id: String, decision: String, note: Option<String>) -> Result<JsValue, SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        let id = uuid::Uuid::parse_str(&order_id)
            .map_err(|_| SatchelError::Validation { field: "order_id".into(), detail: "malformed".into(), message: "an order id is a UUID".into() })?;
        if !matches!(decision.as_str(), "approve" | "reject") {
            return Err(SatchelError::Validation { field: "decision".into(), detail: "unknown".into(), message: "decide approve or reject".into() });
        }
        let body = serde_json::json!({"decision": decision, "note": note.unwrap_or_default()});
        let item: serde_json::Value = self.inner.transport.post(&format!("/api/v1/review/{id}/resolve"), &body, Some(&keys.secrets.token)).await?;
        to_js_value(&item)
    }

    /// Every order taken on this device, newest first, with its sync state.
    #[wasm_bindgen(unchecked_return_type = "OrderView[]")]
    pub async fn orders(&self) -> Result<JsValue, SatchelError> {
        let keys = vault::require_keys(&self.inner)?;
        let (orders, _unreadable) = self.inner.store.orders(&keys).await?;
        self.inner.sync.note_pending_orders(
            orders.iter().filter(|o| o.status == crate::store::OrderStatus::Pending).map(|o| o.document_number.clone()).collect(),
        );
        let views: Vec<OrderView> = orders.iter().map(OrderView::from).collect();
        to_js_value(&views)
    }

    /// How many records on this device could not be read and were skipped (a corrupt record is
    /// reported, never fatal; the rest of the workspace keeps working).
    #[wasm_bindgen(js_name = storageReport, unchecked_return_type = "StorageReportView")]
    pub async fn storage_report(&self) -> Result<JsValue, SatchelError> {
        #[derive(Serialize)]
        struct StorageReportView {
            unreadable_orders: usize,
            unreadable_reference: usize,
        }
        let keys = vault::require_keys(&self.inner)?;
        let (_, unreadable_orders) = self.inner.store.orders(&keys).await?;
        to_js_value(&StorageReportView { unreadable_orders, unreadable_reference: self.inner.unreadable_reference.get() })
    }

    /// How many changes wait to be sent to the server.
    #[wasm_bindgen(js_name = pendingCount)]
    pub async fn pending_count(&self) -> Result<u32, SatchelError> {
        self.inner.store.pending_count().await
    }

    /// The sync loop's current state.
    #[wasm_bindgen(unchecked_return_type = "SyncStatusView")]
    pub async fn status(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&sync_loop::status(&self.inner).await)
    }

    /// Pushes everything now. Resolves when the outbox is drained; rejects with `network` or
    /// `unauthorized` (the loop keeps retrying on its own either way).
    #[wasm_bindgen(js_name = syncNow)]
    pub async fn sync_now(&self) -> Result<(), SatchelError> {
        if self.inner.device.borrow().is_none() {
            return Err(SatchelError::NotSignedIn);
        }
        let done = self.inner.sync.wait_for_pass();
        sync_loop::dispatch(&self.inner, SyncEvent::Wake(WakeReason::Manual));
        done.await.unwrap_or(Err(SatchelError::internal("sync loop dropped")))
    }

    /// Starts the background sync loop: a push now, on `online`, when the page becomes visible,
    /// after each commit, and on a backoff timer after failures.
    #[wasm_bindgen(js_name = startSync)]
    pub fn start_sync(&self) {
        sync_loop::start(&self.inner);
    }

    /// Calls `callback` with a `SyncStatusView` whenever the sync state may have changed.
    #[wasm_bindgen(js_name = onStatus)]
    pub fn on_status(&self, #[wasm_bindgen(unchecked_param_type = "(status: SyncStatusView) => void")] callback: js_sys::Function) {
        self.inner.sync.set_status_callback(callback);
        sync_loop::publish_status(&self.inner);
    }

    /// Signs out and forgets this device's data (locked or not). Refused with `pending_work`
    /// while anything waits to sync: nothing unsynced is ever thrown away by signing out.
    #[wasm_bindgen(js_name = signOut)]
    pub async fn sign_out(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ discard_drafts?: boolean } | undefined")] options: JsValue,
    ) -> Result<(), SatchelError> {
        #[derive(Deserialize, Default)]
        struct Options {
            #[serde(default)]
            discard_drafts: bool,
        }
        let options: Options = if options.is_undefined() || options.is_null() { Options::default() } else { from_js_value(options)? };
        // The drafts, named as the user knows them (readable only unlocked; a locked device
        // counts them and asks all the same).
        let mut named = Vec::new();
        if let Ok(keys) = vault::require_keys(&self.inner) {
            let (drafts, _) = self.inner.store.drafts(&keys).await?;
            let reference = self.inner.reference.borrow();
            for d in drafts {
                let core = satchel_core::device::records::Draft { draft_id: d.draft_id, updated_at: d.updated_at, content: d.content };
                named.push(core.summary(|id| reference.outlet(id).map(|o| o.name.clone())));
            }
        }
        self.inner.store.forget_device(options.discard_drafts, named).await?;
        if self.inner.vault.keys.borrow().is_some() {
            vault::lock_now(&self.inner);
        }
        *self.inner.device.borrow_mut() = None;
        Ok(())
    }
}

impl Workspace {
    /// This device's order `order_id`, if the server holds it.
    async fn held_order(&self, keys: &Keys, order_id: &str) -> Result<LocalOrder, SatchelError> {
        let id = uuid::Uuid::parse_str(order_id).map_err(|_| invalid("order_id", "malformed", "not a UUID"))?;
        let (orders, _) = self.inner.store.orders(keys).await?;
        orders.into_iter().find(|o| o.order_id == id && o.status == OrderStatus::Held).ok_or_else(|| SatchelError::Validation {
            field: "order_id".into(),
            detail: "not_held".into(),
            message: "only an order the server holds can be edited or discarded".into(),
        })
    }
}

/// The business date: the device's local calendar date.
pub(crate) fn business_date() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date()).unwrap_or_default()
}
