//! The `Workspace` class: the module's JavaScript API, a thin façade over core's device
//! ([`satchel_core::device::app::Device`]) on IndexedDB. Every decision is core's; this file
//! converts between JavaScript values and core's types and wakes the sync loop.
//!
//! Data objects use the wire protocol's snake_case keys; every amount, quantity and rate is a
//! decimal string. Every failure is thrown as an `Error` named `SatchelError` with a `code`.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use satchel_core::device::app::{Device, Ids};
use satchel_core::device::changes::Photo;
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::records::DeviceRecord;
use satchel_core::device::views::{self, QuoteView};
use satchel_core::sales::SalesOrder;
use satchel_core::sync::engine::{SyncEvent, WakeReason};
use satchel_core::sync::protocol::{BlobRef, RegisterRequest};
use satchel_core::vault::LockPolicy;

use crate::device_idb::IdbStore;
use crate::error::{bad_input, SatchelError};
use crate::sync_loop::{self, SyncLoop};
use crate::transport::{Failure, Transport};
use crate::{vault, BrowserRng};

/// Shared state behind the `Workspace` handle.
pub(crate) struct Inner {
    /// Core's device over IndexedDB: the session, the keys while unlocked, the state.
    pub(crate) device: Device<IdbStore>,
    pub(crate) transport: Transport,
    pub(crate) sync: SyncLoop,
    pub(crate) vault: vault::VaultShell,
    /// What the page asked for at open (the lock may only be tightened by it).
    pub(crate) options: WorkspaceOptions,
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
pub(crate) struct WorkspaceOptions {
    db_name: Option<String>,
    base_url: Option<String>,
    idle_timeout_ms: Option<u64>,
    lock_when_hidden: Option<bool>,
}

/// The lock policy in force: the deployment's settings, which the page may only tighten (a
/// shorter timeout, locking when hidden).
pub(crate) fn lock_policy(settings: satchel_core::sync::protocol::LockSettings, options: &WorkspaceOptions) -> LockPolicy {
    let idle = options.idle_timeout_ms.map_or(settings.idle_timeout_ms, |ms| ms.min(settings.idle_timeout_ms));
    LockPolicy {
        idle_timeout_ms: idle,
        lock_when_hidden: settings.lock_when_hidden || options.lock_when_hidden.unwrap_or(false),
        ..LockPolicy::default()
    }
}

/// Who is signed in (no token).
#[derive(Serialize)]
struct SessionView<'a> {
    device_id: uuid::Uuid,
    username: &'a str,
    display_name: &'a str,
}

fn session_view(d: &DeviceRecord) -> Result<JsValue, SatchelError> {
    to_js_value(&SessionView { device_id: d.device_id, username: &d.username, display_name: &d.display_name })
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

/// A validation error on `field`.
fn invalid(field: &str, detail: &str, message: &str) -> SatchelError {
    SatchelError::Validation { field: field.into(), detail: detail.into(), message: message.into() }
}

/// Reads a photo (`Blob`/`File`) the page passes: its reference and bytes. The size is checked
/// before the bytes are read (a 50 MB video must not be copied into memory to be refused).
async fn read_photo(v: &JsValue, index: usize) -> Result<Photo, SatchelError> {
    let blob: web_sys::Blob = v.clone().dyn_into().map_err(|_| invalid(&format!("photos[{index}]"), "malformed", "not a Blob or File"))?;
    let size = blob.size() as u64;
    // Core's rule on the size and type alone (the hash is not known before reading).
    let before = BlobRef { sha256: "0".repeat(64), size, content_type: blob.type_() };
    if let Err(error) = satchel_core::sync::blobs::check(&before) {
        let e = satchel_core::sync::tasks::CompletionError::Photo { index, error };
        return Err(SatchelError::Validation { field: e.field(), detail: e.code().into(), message: e.to_string() });
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await.map_err(|_| SatchelError::Storage("the photo could not be read".into()))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let blob = BlobRef { sha256: satchel_core::sync::blobs::sha256_hex(&bytes), size: bytes.len() as u64, content_type: blob.type_() };
    Ok(Photo { blob, bytes: satchel_core::vault::Zeroizing::new(bytes) })
}

fn parse_id(field: &str, text: &str) -> Result<uuid::Uuid, SatchelError> {
    uuid::Uuid::parse_str(text).map_err(|_| invalid(field, "malformed", &format!("{field} is not a UUID")))
}

fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()).ok())
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

pub(crate) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn ids() -> Result<Ids, SatchelError> {
    Ok(Ids { record: crate::new_id()?, mutation: crate::new_id()? })
}

/// The business date: the device's local calendar date.
pub(crate) fn business_date() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date()).unwrap_or_default()
}

impl Inner {
    /// A change was written: wake the sync loop (the tabs were told by the device's hook).
    fn changed(self: &Rc<Self>) {
        sync_loop::dispatch(self, SyncEvent::Wake(WakeReason::Committed));
    }
}

/// An offline-first workspace: core's device on IndexedDB, the vault and the sync loop.
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
        let device = Device::open(IdbStore::open(&db_name).await?).await?;
        let settings = device.record().map(|d| d.lock).unwrap_or_default();
        let lock = vault::restore_lock(lock_policy(settings, &options), device.lock_state().await?);
        let base_url = options.base_url.clone().unwrap_or_else(page_origin);
        let inner = Rc::new(Inner {
            device,
            transport: Transport::new(&base_url),
            sync: SyncLoop::default(),
            vault: vault::VaultShell::new(lock),
            options,
            db_name,
        });
        sync_loop::share_writes(&inner);
        vault::listen_hidden(&inner);
        Ok(Workspace { inner })
    }

    /// Who is signed in, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "SessionView | undefined")]
    pub fn session(&self) -> Result<JsValue, SatchelError> {
        match self.inner.device.record() {
            Some(d) => session_view(&d),
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
        if inner.device.record().is_some() && inner.device.sync_figures().await?.pending > 0 {
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
        let registered = inner.transport.post("/api/v1/devices", &request, None).await.map_err(|f| match f {
            Failure::Status { status: 401, .. } => SatchelError::BadCredentials,
            other => other.into(),
        })?;
        let device = vault::create(inner, &pin, registered).await?;
        let view = session_view(&device)?;
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
        self.inner.device.keys()?;
        self.sync_now().await
    }

    /// The tasks assigned to the user (open first, then by due date), with this device's
    /// completions and what the server made of them.
    #[wasm_bindgen(unchecked_return_type = "TaskItemView[]")]
    pub fn tasks(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&views::tasks(&*self.inner.device.unlocked_state()?))
    }

    /// Completes a task with a note and photos (`Blob`s or `File`s: JPEG, PNG or WebP, at most
    /// 8 MB each). The photos are stored sealed and uploaded in chunks that resume after an
    /// interruption; the server applies the completion once every photo is whole. Refused with
    /// `validation` (`task_closed`, `photo_too_large`, `photo_type`, `photo_storage_full`,
    /// `note_too_long`).
    #[wasm_bindgen(js_name = completeTask, unchecked_return_type = "TaskItemView")]
    pub async fn complete_task(
        &self,
        task_id: String,
        note: String,
        #[wasm_bindgen(unchecked_param_type = "Blob[] | undefined")] photos: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        inner.device.keys()?;
        let list: Vec<JsValue> = if photos.is_undefined() || photos.is_null() { Vec::new() } else { js_sys::Array::from(&photos).iter().collect() };
        let mut read = Vec::with_capacity(list.len());
        for (i, p) in list.iter().enumerate() {
            read.push(read_photo(p, i).await?);
        }
        let task = inner.device.complete_task(&task_id, note, read, now(), crate::new_id()?, &mut BrowserRng).await?;
        inner.changed();
        to_js_value(&views::task(&inner.device.state(), &task))
    }

    /// Discards an order the server holds (what it depended on was refused). The server keeps
    /// a record of it; the order stays on this device as `discarded`.
    #[wasm_bindgen(js_name = discardHeld)]
    pub async fn discard_held(&self, order_id: String, reason: Option<String>) -> Result<(), SatchelError> {
        let id = parse_id("order_id", &order_id)?;
        self.inner.device.discard_held(id, reason.as_deref().unwrap_or(""), now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        Ok(())
    }

    /// Edits a held order: returns a new draft with its outlet, lines and options (without the
    /// task it depended on) and discards the held one ("replaced by a new order"). Commit the
    /// draft as usual; it gets a new number.
    #[wasm_bindgen(js_name = editHeld, unchecked_return_type = "DraftView")]
    pub async fn edit_held(&self, order_id: String) -> Result<JsValue, SatchelError> {
        let id = parse_id("order_id", &order_id)?;
        let draft = self.inner.device.edit_held(id, now(), ids()?, &mut BrowserRng).await?;
        self.inner.changed();
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
        if self.inner.device.is_unlocked() {
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
        let token = self.inner.device.record().map(|d| d.push_token).ok_or(SatchelError::NotSignedIn)?;
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
        self.inner.device.state().info().map(|i| i.as_of.clone())
    }

    /// The outlets on the user's routes, with their credit as this device sees it (the server's
    /// balance as of its time, plus this device's unsynced orders).
    #[wasm_bindgen(unchecked_return_type = "OutletView[]")]
    pub fn outlets(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&views::outlets(&*self.inner.device.unlocked_state()?))
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
        self.inner.device.keys()?;
        let hits = self.inner.device.with_state_mut(|s| views::search(s, query, limit as usize, outlet_id.as_deref(), business_date()));
        to_js_value(&hits)
    }

    /// Prices, taxes and validates an order with this device's data: the breakdown per line and
    /// per tax, the amount due, and the findings (blocking or to review) with the age of the data
    /// they relied on. Throws a `validation` error naming the field for what cannot be priced
    /// (an unknown product, an outlet not on the user's routes).
    #[wasm_bindgen(unchecked_return_type = "QuoteView")]
    pub fn quote(&self, #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue) -> Result<JsValue, SatchelError> {
        self.inner.device.keys()?;
        let order: SalesOrder = from_js_value(order)?;
        to_js_value(&QuoteView::from(&self.inner.device.quote(&order, now())?))
    }

    /// Quotes the order, refuses it if a finding blocks (a `validation` error naming the field,
    /// `detail` = the rule), numbers it from this device's leased range and stores it with its
    /// sealed outbox entry in one durable transaction (and deletes its draft). Resolves once it
    /// is on disk. `draft_id`: the draft it was composed in; `task_id`: the task it is billed
    /// from (it then depends on the task's completion).
    #[wasm_bindgen(js_name = commitOrder, unchecked_return_type = "CommittedOrderView")]
    pub async fn commit_order(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] draft_id: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] task_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        inner.device.keys()?;
        let order: SalesOrder = from_js_value(order)?;
        let draft_id = draft_id.map(|d| parse_id("draft_id", &d)).transpose()?;
        let request = CommitRequest { order, draft_id, task_id };
        let (stored, quote) = inner.device.commit_order(request, now(), ids()?, &mut BrowserRng).await?;
        inner.changed();
        let d = &stored.document;
        to_js_value(&CommittedOrderView {
            order_id: d.order_id,
            document_number: d.document_number.clone(),
            seq: stored.seq,
            total: d.total,
            flagged: d.flagged,
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
        self.inner.device.keys()?;
        let content: serde_json::Value = from_js_value(content)?;
        let draft_id = match draft_id {
            Some(d) => parse_id("draft_id", &d)?,
            None => crate::new_id()?,
        };
        to_js_value(&self.inner.device.save_draft(draft_id, content, now(), &mut BrowserRng).await?)
    }

    /// Every draft on this device, most recently edited first.
    #[wasm_bindgen(unchecked_return_type = "DraftView[]")]
    pub async fn drafts(&self) -> Result<JsValue, SatchelError> {
        let state = self.inner.device.unlocked_state()?;
        let mut drafts: Vec<_> = state.drafts().collect();
        drafts.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        to_js_value(&drafts)
    }

    /// Discards a draft.
    #[wasm_bindgen(js_name = deleteDraft)]
    pub async fn delete_draft(&self, draft_id: String) -> Result<(), SatchelError> {
        Ok(self.inner.device.delete_draft(parse_id("draft_id", &draft_id)?, &mut BrowserRng).await?)
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
        let wanted: std::collections::BTreeMap<String, String> = from_js_value(fields)?;
        let n = self.inner.device.edit_outlet(&outlet_id, &wanted, now(), crate::new_id()?, &mut BrowserRng).await?;
        if n > 0 {
            self.inner.changed();
        }
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The signed-in user's role (`"rep"`, `"supervisor"`), or `undefined` before the sales data
    /// arrived. Needs the workspace unlocked.
    pub fn role(&self) -> Result<Option<String>, SatchelError> {
        Ok(self.inner.device.unlocked_state()?.sales().map(|s| s.role.clone()))
    }

    /// A supervisor's review queue, from the server (online): the flagged orders with `status`
    /// `open` (default), `approved`, `rejected` or `all`, each with its reasons.
    #[wasm_bindgen(js_name = reviewQueue, unchecked_return_type = "ReviewItem[]")]
    pub async fn review_queue(&self, status: Option<String>) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let status = status.unwrap_or_else(|| "open".into());
        if !matches!(status.as_str(), "open" | "approved" | "rejected" | "all") {
            return Err(invalid("status", "unknown", &format!("unknown review status {status}")));
        }
        let answer: serde_json::Value = self.inner.transport.get(&format!("/api/v1/review?status={status}"), Some(&token)).await?;
        to_js_value(answer.get("items").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// Resolves a flagged order (supervisor, online): `decision` is `approve` or `reject`.
    #[wasm_bindgen(js_name = resolveReview, unchecked_return_type = "ReviewItem")]
    pub async fn resolve_review(&self, order_id: String, decision: String, note: Option<String>) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let id = parse_id("order_id", &order_id)?;
        if !matches!(decision.as_str(), "approve" | "reject") {
            return Err(invalid("decision", "unknown", "decide approve or reject"));
        }
        let body = serde_json::json!({"decision": decision, "note": note.unwrap_or_default()});
        let item: serde_json::Value = self.inner.transport.post(&format!("/api/v1/review/{id}/resolve"), &body, Some(&token)).await?;
        to_js_value(&item)
    }

    /// Every order taken on this device, newest first, with its sync state.
    #[wasm_bindgen(unchecked_return_type = "OrderView[]")]
    pub async fn orders(&self) -> Result<JsValue, SatchelError> {
        let orders = views::orders(&*self.inner.device.unlocked_state()?);
        self.inner.sync.note_pending_orders(
            orders.iter().filter(|o| o.status == satchel_core::sync::lifecycle::Status::Pending).map(|o| o.document_number.clone()).collect(),
        );
        to_js_value(&orders)
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
        let state = self.inner.device.unlocked_state()?;
        to_js_value(&StorageReportView { unreadable_orders: state.unreadable_orders, unreadable_reference: state.unreadable.saturating_sub(state.unreadable_orders) })
    }

    /// How many changes wait to be sent to the server.
    #[wasm_bindgen(js_name = pendingCount)]
    pub async fn pending_count(&self) -> Result<u32, SatchelError> {
        Ok(u32::try_from(self.inner.device.sync_figures().await?.pending).unwrap_or(u32::MAX))
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
        if self.inner.device.record().is_none() {
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
    /// while anything waits to sync: nothing unsynced is ever thrown away by signing out; and
    /// with `drafts_would_be_lost` (naming them) while drafts exist, unless `discard_drafts`.
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
        let was_unlocked = self.inner.device.is_unlocked();
        self.inner.device.sign_out(options.discard_drafts).await?;
        if was_unlocked {
            vault::lock_now(&self.inner);
        }
        Ok(())
    }
}
