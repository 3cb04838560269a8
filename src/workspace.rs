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

use satchel_core::device::app::Device;
use satchel_core::device::records::DeviceRecord;
use satchel_core::sync::engine::{SyncEvent, WakeReason};
use satchel_core::sync::protocol::RegisterRequest;
use satchel_core::vault::LockPolicy;

use crate::device_idb::IdbStore;
use crate::error::{bad_input, SatchelError};
use crate::sync_loop::{self, SyncLoop};
use crate::transport::{Failure, Transport};
use crate::vault;

pub(crate) mod backup;
pub(crate) mod business;
pub(crate) mod counter;
pub(crate) mod day;

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
    /// This page's start was noted in the telemetry (see `crate::telemetry::unlocked`).
    pub(crate) telemetry_started: std::cell::Cell<bool>,
    /// The telemetry was told the device is offline (so repeated signs note nothing more).
    pub(crate) telemetry_offline: std::cell::Cell<bool>,
    /// What the second copies of other devices' outboxes became (`backup::recover_copies`).
    pub(crate) recovered: std::cell::RefCell<Option<backup::CopyRecoveryView>>,
    /// The user's work that never reached the server, as the server listed it at sign-in.
    pub(crate) missing: std::cell::RefCell<Vec<satchel_core::sync::marks::MissingWork>>,
}

/// Mirrors the outbox into its second copy from now on, adding what the outbox already holds
/// (written before the copy existed, or whose copy failed). Only adds: another tab's writes may
/// be landing in the copy meanwhile, and an entry left over is only a duplicate to the server.
pub(crate) async fn attach_copy(inner: &Inner) {
    use satchel_core::device::schema::StoreId;
    use satchel_core::device::store::{DeviceStore, RawKey, RawValue, Read};
    let Some(device) = inner.device.record().map(|d| d.device_id) else { return };
    let copy = inner.device.store().copy();
    copy.attach(device);
    if let Ok(mut f) = inner.device.store().read(vec![Read::All { store: StoreId::Outbox }]).await {
        let entries: Vec<(u64, String)> = f
            .pop()
            .map(|f| f.records())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| match (k, v) {
                (RawKey::Seq(seq), RawValue::Text(t)) => Some((seq, t)),
                _ => None,
            })
            .collect();
        copy.fill(entries);
    }
}

/// Serializes to plain JS objects (maps as objects, integers as numbers), through JSON text:
/// the same serializer that writes records and pushes, so each type has one copy of its
/// serializer in the module, and one `JSON.parse` builds the object instead of a boundary call
/// per field.
pub(crate) fn to_js_value<T: Serialize>(v: &T) -> Result<JsValue, SatchelError> {
    let text = serde_json::to_string(v).map_err(|e| SatchelError::internal(format!("to JS: {e}")))?;
    js_sys::JSON::parse(&text).map_err(|_| SatchelError::internal("to JS: JSON.parse refused the module's own JSON"))
}

/// Reads an argument through its JSON text with core's reader, so that a refusal names the field
/// (`lines[0].quantity`: a number where a decimal string is expected), as the engine package does.
fn from_js_value<T: serde::de::DeserializeOwned>(v: JsValue) -> Result<T, SatchelError> {
    let text = js_sys::JSON::stringify(&v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| bad_input("the argument cannot be written as JSON"))?;
    satchel_core::input::from_json_text(&text).map_err(|e| SatchelError::Validation { field: e.field, detail: e.code.into(), message: e.message })
}

/// Options of `Workspace.open`.
#[derive(Deserialize, Default)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkspaceOptions {
    /// IndexedDB database name; default "satchel".
    db_name: Option<String>,
    /// The sync server's origin; default: this page's origin.
    base_url: Option<String>,
    /// Inactivity before the workspace locks (ms); default 5 minutes, at most 30 minutes.
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    idle_timeout_ms: Option<u64>,
    /// Lock as soon as the page is hidden; default false.
    lock_when_hidden: Option<bool>,
}

/// The lock policy in force: the deployment's settings, which the page may only tighten (a
/// shorter timeout, locking when hidden).
pub(crate) fn lock_policy(settings: satchel_core::sync::protocol::LockSettings, options: &WorkspaceOptions) -> LockPolicy {
    let idle = options.idle_timeout_ms.map_or(settings.idle_timeout_ms, |ms| ms.min(settings.idle_timeout_ms));
    let defaults = LockPolicy::default();
    LockPolicy {
        idle_timeout_ms: idle,
        lock_when_hidden: settings.lock_when_hidden || options.lock_when_hidden.unwrap_or(false),
        delays: settings.pin_delays_ms.unwrap_or(defaults.delays),
        ..defaults
    }
}

/// Who is signed in on this device (no token).
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub(crate) struct SessionView<'a> {
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    device_id: uuid::Uuid,
    username: &'a str,
    display_name: &'a str,
}

fn session_view(d: &DeviceRecord) -> Result<JsValue, SatchelError> {
    to_js_value(&SessionView { device_id: d.device_id, username: &d.username, display_name: &d.display_name })
}

pub(crate) fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()).ok())
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

pub(crate) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
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
        let settings = device.record().map(|d| d.lock.clone()).unwrap_or_default();
        let lock = vault::restore_lock(lock_policy(settings, &options), device.lock_state().await?);
        let base_url = options.base_url.clone().unwrap_or_else(page_origin);
        let inner = Rc::new(Inner {
            device,
            transport: Transport::new(&base_url),
            sync: SyncLoop::default(),
            vault: vault::VaultShell::new(lock),
            options,
            db_name,
            telemetry_started: std::cell::Cell::new(false),
            telemetry_offline: std::cell::Cell::new(false),
            recovered: std::cell::RefCell::new(None),
            missing: std::cell::RefCell::new(Vec::new()),
        });
        attach_copy(&inner).await;
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
        let registered: satchel_core::sync::protocol::RegisterResponse = inner.transport.post("/api/v1/devices", &request, None).await.map_err(|f| match f {
            Failure::Status { status: 401, .. } => SatchelError::BadCredentials,
            other => other.into(),
        })?;
        let missing = registered.missing.clone();
        let device = vault::create(inner, &pin, registered).await?;
        attach_copy(inner).await;
        crate::telemetry::unlocked(inner).await;
        let view = session_view(&device)?;
        // The initial download: page by page, each stored with its checkpoint. If the network
        // drops half way, sign-in still stands and the sync loop resumes where it stopped.
        if let Err(e) = sync_loop::pull_all(inner).await {
            *inner.sync.last_error_mut() = Some(e);
        }
        // This browser lost its database with work in it (the outbox's second copy survived):
        // send that work now, under this sign-in (see `copyRecovery`).
        let copies = backup::recover_copies(inner).await;
        *inner.missing.borrow_mut() = backup::still_missing(missing, &copies);
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

    /// Opens up to `max` of the products an unlock left sealed, and answers how many are still
    /// sealed (the search index is built with the last). An unlock decrypts everything but the
    /// catalog, so the first screen does not wait for 10,000 products; the page calls this in
    /// slices between frames after that screen. Anything that reads a product before then opens
    /// the rest at once, so no call ever sees part of the catalog. Throws `locked`.
    #[wasm_bindgen(js_name = openProducts)]
    pub fn open_products(&self, max: u32) -> Result<u32, SatchelError> {
        let sealed = self.inner.device.state().sealed_products();
        let left = self.inner.device.open_products(max as usize)?;
        if sealed > 0 && left == 0 {
            // The last slice: the storage report may now count unreadable products.
            crate::sync_loop::publish_status(&self.inner);
        }
        Ok(u32::try_from(left).unwrap_or(u32::MAX))
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

    /// ISO 4217 code of the prices' currency, once reference data arrived.
    pub fn currency(&self) -> Option<String> {
        self.inner.device.state().info().map(|i| i.currency.clone())
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
