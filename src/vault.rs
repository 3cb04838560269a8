//! The vault in the browser: the PIN turned into a key with WebCrypto's PBKDF2, the keys handed
//! to core's device while unlocked, the inactivity lock on a gloo-timers timeout, and key
//! rotation as a resumable background job.
//!
//! Every decision (when to lock, whether an attempt is allowed, the delays) is core's
//! [`Lock`]; this module performs what it decides and persists its state after every attempt.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use satchel_core::device::app::NewVault;
use satchel_core::device::codec::{public_hex, DeviceKeys, KeyRing};
use satchel_core::device::records::{DeviceRecord, RetiredKey, SessionSecrets, VaultRecord};
use satchel_core::sync::protocol::RegisterResponse;
use satchel_core::vault::{self, hex, BoxSecret, DataKey, Envelope, KdfParams, KeyEncryptionKey, Lock, LockPolicy, VaultError};

use crate::error::SatchelError;
use crate::workspace::{lock_policy, Inner};
use crate::BrowserRng;

mod rotation;
mod webcrypto;

pub(crate) use rotation::{rotate, spawn_rotation};
pub use webcrypto::derive_kek;


/// Refuses a PIN too short or too long to set (core's rule, `satchel_core::vault::pin`).
pub fn check_new_pin(pin: &str) -> Result<(), SatchelError> {
    vault::check_new_pin(pin).map_err(|e| SatchelError::Validation { field: "pin".into(), detail: e.code().into(), message: e.to_string() })
}

/// A DOM event handler kept alive while it is registered.
type EventClosure = Closure<dyn FnMut(web_sys::Event)>;

/// The vault's state behind the workspace (the keys themselves are the device's).
pub(crate) struct VaultShell {
    pub(crate) lock: RefCell<Lock>,
    /// The PIN's key while unlocked (a rotation wraps the new data key with it).
    kek: RefCell<Option<KeyEncryptionKey>>,
    timer: RefCell<Option<gloo_timers::callback::Timeout>>,
    on_change: RefCell<Option<js_sys::Function>>,
    hidden_listener: RefCell<Option<EventClosure>>,
    rotating: Cell<bool>,
}

impl VaultShell {
    pub(crate) fn new(lock: Lock) -> Self {
        VaultShell {
            lock: RefCell::new(lock),
            kek: RefCell::new(None),
            timer: RefCell::new(None),
            on_change: RefCell::new(None),
            hidden_listener: RefCell::new(None),
            rotating: Cell::new(false),
        }
    }

    pub(crate) fn set_on_change(&self, f: js_sys::Function) {
        *self.on_change.borrow_mut() = Some(f);
    }
}

/// What `vaultStatus()` and `onVaultChange` report.
#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub(crate) struct VaultStatusView {
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "\"signed_out\" | \"locked\" | \"unlocked\""))]
    state: &'static str,
    failed_attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    retry_after_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts_before_delay: Option<u32>,
    reauthentication_required: bool,
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    idle_timeout_ms: u64,
    rotating: bool,
}

pub(crate) fn status(inner: &Inner) -> VaultStatusView {
    let now = crate::now_ms() as u64;
    let lock = inner.vault.lock.borrow();
    let st = lock.state();
    let state = if inner.device.record().is_none() {
        "signed_out"
    } else if inner.device.is_unlocked() {
        "unlocked"
    } else {
        "locked"
    };
    VaultStatusView {
        state,
        failed_attempts: st.failed_attempts,
        retry_after_ms: (st.next_attempt_at_ms > now).then(|| st.next_attempt_at_ms - now),
        attempts_before_delay: lock.policy().attempts_before_delay(st.failed_attempts),
        reauthentication_required: st.failed_attempts >= lock.policy().reauth_after_failures,
        idle_timeout_ms: lock.policy().effective_idle_timeout_ms(),
        rotating: inner.vault.rotating.get(),
    }
}

fn notify(inner: &Rc<Inner>) {
    let callback = inner.vault.on_change.borrow().clone();
    if let Some(f) = callback {
        if let Ok(v) = crate::workspace::to_js_value(&status(inner)) {
            // An exception in the page's callback must not break the vault.
            let _ = f.call1(&JsValue::NULL, &v);
        }
    }
}

async fn persist_lock(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    let state = inner.vault.lock.borrow().state().clone();
    Ok(inner.device.save_lock_state(&state).await?)
}

/// Locks now: drops (zeroizes) the keys and everything decrypted, persists, tells the page, and
/// tells the workspace's other tabs to lock too.
pub(crate) fn lock_now(inner: &Rc<Inner>) {
    lock_here(inner);
    crate::sync_loop::broadcast(inner, &serde_json::json!({"type": "lock"}));
}

/// Another tab of the workspace locked: lock this one too (without telling the others again).
pub(crate) fn lock_from_peer(inner: &Rc<Inner>) {
    if inner.device.is_unlocked() {
        lock_here(inner);
    }
}

fn lock_here(inner: &Rc<Inner>) {
    inner.device.lock();
    inner.vault.kek.borrow_mut().take();
    inner.vault.timer.borrow_mut().take();
    inner.vault.lock.borrow_mut().lock(crate::now_ms() as u64);
    let inner2 = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = persist_lock(&inner2).await;
    });
    notify(inner);
}

/// Schedules the idle check at the lock's deadline (re-armed on each expiry while activity
/// keeps postponing it).
pub(crate) fn arm_timer(inner: &Rc<Inner>) {
    let deadline = inner.vault.lock.borrow().idle_deadline_ms();
    let Some(deadline) = deadline else {
        inner.vault.timer.borrow_mut().take();
        return;
    };
    let wait = deadline.saturating_sub(crate::now_ms() as u64);
    let wait = u32::try_from(wait).unwrap_or(u32::MAX).saturating_add(20);
    let weak = Rc::downgrade(inner);
    let timeout = gloo_timers::callback::Timeout::new(wait, move || {
        let Some(inner) = weak.upgrade() else { return };
        let locked = inner.vault.lock.borrow_mut().on_tick(crate::now_ms() as u64);
        if locked {
            lock_now(&inner);
        } else {
            arm_timer(&inner);
        }
    });
    *inner.vault.timer.borrow_mut() = Some(timeout);
}

/// Listens for the page being hidden (the policy may lock then).
pub(crate) fn listen_hidden(inner: &Rc<Inner>) {
    if inner.vault.hidden_listener.borrow().is_some() {
        return;
    }
    let weak = Rc::downgrade(inner);
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        let Some(inner) = weak.upgrade() else { return };
        let hidden = Reflect::get(&js_sys::global(), &"document".into())
            .ok()
            .and_then(|d| Reflect::get(&d, &"visibilityState".into()).ok())
            .and_then(|v| v.as_string())
            .is_some_and(|s| s == "hidden");
        if hidden && inner.device.is_unlocked() && inner.vault.lock.borrow_mut().on_hidden(crate::now_ms() as u64) {
            lock_now(&inner);
        }
    });
    let target: web_sys::EventTarget = js_sys::global().unchecked_into();
    let _ = target.add_event_listener_with_callback("visibilitychange", closure.as_ref().unchecked_ref());
    *inner.vault.hidden_listener.borrow_mut() = Some(closure);
}

/// Records a user interaction (postpones the idle lock).
pub(crate) fn touch(inner: &Rc<Inner>) {
    if inner.device.is_unlocked() {
        inner.vault.lock.borrow_mut().on_activity(crate::now_ms() as u64);
    }
}

/// Signs in: a fresh data key wrapped under the PIN's key, the session's secrets, and a new
/// vault in one transaction. Returns the registered device.
pub(crate) async fn create(inner: &Rc<Inner>, pin: &str, registered: RegisterResponse) -> Result<DeviceRecord, SatchelError> {
    let mut rng = BrowserRng;
    let dek = DataKey::generate(&mut rng, 1);
    let kdf = KdfParams::default();
    let salt = vault::new_salt(&mut rng);
    let kek = derive_kek(pin, &kdf, &salt).await?;
    let wrapped = vault::wrap(&dek, &kek, &mut rng, kdf, salt)?;
    let device_box = BoxSecret::generate(&mut rng);
    let sealing = registered.sealing;
    let device = DeviceRecord {
        device_id: registered.device_id,
        username: registered.user.username,
        display_name: registered.user.display_name,
        push_token: sealing.push_token.clone(),
        server_key_id: sealing.server_key_id,
        server_public_key: sealing.server_public_key.clone(),
        device_public_key: public_hex(&device_box),
        lock: registered.lock.clone(),
        register: registered.user.register,
    };
    let secrets = SessionSecrets {
        token: registered.token,
        device_secret: sealing.device_secret.clone(),
        device_box_secret: hex::encode(device_box.to_bytes().as_ref()),
    };
    let keys = DeviceKeys::new(KeyRing { current: Rc::new(dek), retired: None }, vault::new_index_key(&mut rng), secrets)?;
    let lock = {
        let mut lock = inner.vault.lock.borrow_mut();
        *lock = Lock::new(lock_policy(registered.lock, &inner.options), crate::now_ms() as u64);
        lock.record_success(crate::now_ms() as u64);
        lock.state().clone()
    };
    let new = NewVault { device: device.clone(), vault: VaultRecord { wrapped, retired: None }, lock, number_ranges: registered.number_ranges };
    inner.device.create_vault(new, keys, &mut rng).await?;
    *inner.vault.kek.borrow_mut() = Some(kek);
    arm_timer(inner);
    notify(inner);
    Ok(device)
}

/// Takes the keys into use: answers kept while locked settled, the state loaded, the idle
/// timer armed, an unfinished rotation resumed.
async fn install_keys(inner: &Rc<Inner>, keys: DeviceKeys, kek: KeyEncryptionKey) -> Result<(), SatchelError> {
    let rotation_pending = keys.ring.retired.is_some();
    *inner.vault.kek.borrow_mut() = Some(kek);
    inner.device.unlock(keys, &mut BrowserRng).await?;
    arm_timer(inner);
    notify(inner);
    if rotation_pending {
        spawn_rotation(inner);
    }
    Ok(())
}

/// Counts an attempt as a failure before the key is derived (so a reload in the middle cannot
/// be used to try PINs uncounted), persisted; refused while a delay runs.
async fn count_attempt(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    let checked = {
        let mut lock = inner.vault.lock.borrow_mut();
        let now = crate::now_ms() as u64;
        let checked = lock.check_attempt(now);
        if checked.is_ok() {
            lock.record_failure(now);
        }
        checked
    };
    persist_lock(inner).await?;
    if let Err(e) = checked {
        notify(inner);
        return Err(e.into());
    }
    Ok(())
}

fn wrong_pin(inner: &Rc<Inner>) -> SatchelError {
    let failed_attempts = inner.vault.lock.borrow().state().failed_attempts;
    notify(inner);
    SatchelError::WrongPin { failed_attempts }
}

/// One unlock attempt with `pin`; success clears the count.
pub(crate) async fn unlock(inner: &Rc<Inner>, pin: &str) -> Result<(), SatchelError> {
    if inner.device.is_unlocked() {
        return Ok(());
    }
    if inner.device.record().is_none() {
        return Err(SatchelError::NotSignedIn);
    }
    let record = inner.device.vault_record().await?.ok_or(SatchelError::NotSignedIn)?;
    count_attempt(inner).await?;
    let kek = derive_kek(pin, &record.wrapped.kdf, &record.wrapped.salt).await?;
    let dek = match vault::unwrap(&record.wrapped, &kek) {
        Ok(dek) => dek,
        Err(VaultError::WrongPin) => return Err(wrong_pin(inner)),
        Err(other) => return Err(other.into()),
    };
    let retired = match &record.retired {
        Some(r) => Some(Rc::new(open_retired(r, &dek)?)),
        None => None,
    };
    let ring = KeyRing { current: Rc::new(dek), retired };
    let (index_key, secrets) = inner.device.unlock_material(&ring).await?;
    let keys = DeviceKeys::new(ring, index_key, secrets)?;
    inner.vault.lock.borrow_mut().record_success(crate::now_ms() as u64);
    persist_lock(inner).await?;
    install_keys(inner, keys, kek).await?;
    crate::telemetry::unlocked(inner).await;
    // A pass that ran locked pushed but could not pull or upload photos (a driver back online
    // before unlocking: the day's end waits on its signature): they go now.
    crate::sync_loop::dispatch(inner, satchel_core::sync::engine::SyncEvent::Wake(satchel_core::sync::engine::WakeReason::Unlocked));
    // Second copies of other devices' outboxes that could not be sent at sign-in (offline).
    let again = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        crate::workspace::backup::recover_copies(&again).await;
    });
    Ok(())
}

fn open_retired(r: &RetiredKey, current: &DataKey) -> Result<DataKey, SatchelError> {
    let bytes = hex::decode(&r.sealed).ok_or(VaultError::Tampered)?;
    let envelope = Envelope::parse(&bytes)?;
    Ok(vault::open_retired(&envelope, r.key_id, current)?)
}

/// Changes the PIN: the old one must unlock the data key (a wrong one counts like a wrong
/// unlock); the data key is re-wrapped under the new one. No record is re-encrypted.
pub(crate) async fn change_pin(inner: &Rc<Inner>, old: &str, new: &str) -> Result<(), SatchelError> {
    inner.device.keys()?;
    check_new_pin(new)?;
    let mut record = inner.device.vault_record().await?.ok_or(SatchelError::NotSignedIn)?;
    count_attempt(inner).await?;
    let old_kek = derive_kek(old, &record.wrapped.kdf, &record.wrapped.salt).await?;
    let kdf = KdfParams::default();
    let salt = vault::new_salt(&mut BrowserRng);
    let new_kek = derive_kek(new, &kdf, &salt).await?;
    record.wrapped = match vault::rewrap(&record.wrapped, &old_kek, &new_kek, &mut BrowserRng, kdf, salt) {
        Ok(w) => w,
        Err(VaultError::WrongPin) => return Err(wrong_pin(inner)),
        Err(other) => return Err(other.into()),
    };
    inner.device.save_vault(&record).await?;
    *inner.vault.kek.borrow_mut() = Some(new_kek);
    inner.vault.lock.borrow_mut().record_success(crate::now_ms() as u64);
    persist_lock(inner).await?;
    notify(inner);
    Ok(())
}

/// The server re-authenticated the user: the failure count and delays are cleared (the
/// workspace stays locked until the PIN unlocks it).
pub(crate) async fn reauthenticated(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    inner.vault.lock.borrow_mut().reauthenticated();
    persist_lock(inner).await?;
    notify(inner);
    Ok(())
}

/// Builds the lock for a workspace being opened.
pub(crate) fn restore_lock(policy: LockPolicy, state: Option<vault::LockState>) -> Lock {
    let now = crate::now_ms() as u64;
    match state {
        Some(s) => Lock::restore(policy, s, now),
        None => Lock::new(policy, now),
    }
}
