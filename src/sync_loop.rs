//! The shell around core's [`SyncEngine`]: performs its commands with fetch, IndexedDB and
//! gloo-timers, and feeds the outcomes back as events.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures::channel::oneshot;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use satchel_core::sync::engine::{Phase, PushOutcome, SyncCommand, SyncEngine, SyncEvent, WakeReason};
use satchel_core::sync::protocol::{PushRequest, PushResponse, MAX_BATCH};

use crate::error::SatchelError;
use crate::transport::Failure;
use crate::workspace::Inner;

/// A DOM event listener kept alive for as long as the loop listens.
type Listener = (&'static str, Closure<dyn FnMut(web_sys::Event)>);

/// The sync loop's mutable state.
#[derive(Default)]
pub(crate) struct SyncLoop {
    engine: RefCell<SyncEngine>,
    timer: RefCell<Option<gloo_timers::callback::Timeout>>,
    listeners: RefCell<Vec<Listener>>,
    status_callback: RefCell<Option<js_sys::Function>>,
    waiters: RefCell<Vec<oneshot::Sender<Result<(), SatchelError>>>>,
    last_synced_at: RefCell<Option<String>>,
    last_error: RefCell<Option<SatchelError>>,
}

/// What `onStatus` callbacks receive.
#[derive(Debug, Serialize)]
pub(crate) struct SyncStatusView {
    pending: u32,
    phase: Phase,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_synced_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error_code: Option<&'static str>,
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Jitter only: a failure of the random source degrades to no jitter, not to an error.
    let _ = crate::random_bytes(&mut b);
    u32::from_le_bytes(b)
}

impl SyncLoop {
    pub(crate) fn set_status_callback(&self, f: js_sys::Function) {
        *self.status_callback.borrow_mut() = Some(f);
    }

    /// Registers a waiter that resolves when the current (or next) push pass ends.
    pub(crate) fn wait_for_pass(&self) -> oneshot::Receiver<Result<(), SatchelError>> {
        let (s, r) = oneshot::channel();
        self.waiters.borrow_mut().push(s);
        r
    }

    pub(crate) fn phase(&self) -> Phase {
        self.engine.borrow().phase()
    }
}

/// Feeds one event to the engine and performs the commands it returns.
pub(crate) fn dispatch(inner: &Rc<Inner>, event: SyncEvent) {
    let sync = &inner.sync;
    let commands = sync.engine.borrow_mut().step(event, random_u32());
    for command in commands {
        match command {
            SyncCommand::PushBatch => {
                let inner = inner.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = push_once(&inner).await;
                    dispatch(&inner, SyncEvent::PushFinished(outcome));
                });
            }
            SyncCommand::WakeAfter(ms) => {
                let weak = Rc::downgrade(inner);
                let ms = u32::try_from(ms).unwrap_or(u32::MAX);
                let timeout = gloo_timers::callback::Timeout::new(ms, move || {
                    if let Some(inner) = weak.upgrade() {
                        dispatch(&inner, SyncEvent::Wake(WakeReason::Timer));
                    }
                });
                // Replacing the old Timeout drops (cancels) it.
                *sync.timer.borrow_mut() = Some(timeout);
            }
            SyncCommand::CancelTimer => {
                sync.timer.borrow_mut().take();
            }
        }
    }
    let phase = sync.phase();
    if phase != Phase::Pushing {
        let result = match phase {
            Phase::Idle => Ok(()),
            Phase::NeedsSignIn => Err(SatchelError::Unauthorized),
            _ => Err(sync.last_error.borrow().clone().unwrap_or(SatchelError::Network)),
        };
        for w in sync.waiters.borrow_mut().drain(..) {
            let _ = w.send(result.clone());
        }
    }
    publish_status(inner);
}

/// Sends the current status to the `onStatus` callback, if any.
pub(crate) fn publish_status(inner: &Rc<Inner>) {
    if inner.sync.status_callback.borrow().is_none() {
        return;
    }
    let inner = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let view = status(&inner).await;
        let Ok(value) = crate::workspace::to_js_value(&view) else { return };
        let callback = inner.sync.status_callback.borrow().clone();
        if let Some(f) = callback {
            // An exception in the page's callback must not break the sync loop.
            let _ = f.call1(&JsValue::NULL, &value);
        }
    });
}

pub(crate) async fn status(inner: &Rc<Inner>) -> SyncStatusView {
    let pending = inner.store.pending_count().await.unwrap_or(0);
    let sync = &inner.sync;
    let last_error = sync.last_error.borrow().clone();
    SyncStatusView {
        pending,
        phase: sync.phase(),
        last_synced_at: sync.last_synced_at.borrow().clone(),
        last_error_code: last_error.as_ref().map(SatchelError::code),
        last_error: last_error.map(|e| e.to_string()),
    }
}

/// One push of the oldest batch in the outbox.
async fn push_once(inner: &Rc<Inner>) -> PushOutcome {
    let sync = &inner.sync;
    // The clear device record is enough: entries are sealed and the token is push-only, so
    // this runs while the workspace is locked too.
    let Some(device) = inner.device.borrow().clone() else {
        return PushOutcome::AuthRefused;
    };
    let batch = match inner.store.pending(MAX_BATCH as u32).await {
        Ok(b) => b,
        Err(e) => {
            *sync.last_error.borrow_mut() = Some(e);
            return PushOutcome::Unreachable;
        }
    };
    if batch.is_empty() {
        return PushOutcome::NothingToSend;
    }
    let request = PushRequest { device_id: device.device_id, mutations: Vec::new(), sealed: batch };
    let answer: Result<PushResponse, Failure> =
        inner.transport.post("/api/v1/sync/push", &request, Some(&device.push_token)).await;
    match answer {
        Ok(response) => {
            if let Err(e) = inner.store.acknowledge(&device, &response.results).await {
                *sync.last_error.borrow_mut() = Some(e);
                return PushOutcome::Unreachable;
            }
            // Unlocked: move the answers onto the orders now (locked: at the next unlock).
            let keys = inner.vault.keys.borrow().clone();
            if let Some(keys) = keys {
                let _ = inner.store.apply_acks(&keys).await;
            }
            *sync.last_error.borrow_mut() = None;
            *sync.last_synced_at.borrow_mut() = Some(js_sys::Date::new_0().to_iso_string().into());
            let more_pending = inner.store.pending_count().await.map(|n| n > 0).unwrap_or(false);
            PushOutcome::Acknowledged { more_pending }
        }
        Err(Failure::Unreachable) => {
            *sync.last_error.borrow_mut() = Some(SatchelError::Network);
            PushOutcome::Unreachable
        }
        Err(f @ Failure::Status { status: 401 | 403, .. }) => {
            *sync.last_error.borrow_mut() = Some(f.into());
            PushOutcome::AuthRefused
        }
        Err(f) => {
            *sync.last_error.borrow_mut() = Some(f.into());
            PushOutcome::BatchRefused
        }
    }
}

/// Starts listening for the browser's wake-up signals (`online`, the page becoming visible)
/// and wakes the loop once. Idempotent.
pub(crate) fn start(inner: &Rc<Inner>) {
    let sync = &inner.sync;
    if sync.listeners.borrow().is_empty() {
        let global = js_sys::global();
        let target: &web_sys::EventTarget = global.unchecked_ref();
        let on = |name: &'static str, reason: WakeReason, weak: Weak<Inner>| {
            let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                let Some(inner) = weak.upgrade() else { return };
                if reason == WakeReason::Visible && is_hidden() {
                    return;
                }
                dispatch(&inner, SyncEvent::Wake(reason));
            });
            let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            (name, closure)
        };
        let mut listeners = sync.listeners.borrow_mut();
        listeners.push(on("online", WakeReason::Online, Rc::downgrade(inner)));
        listeners.push(on("visibilitychange", WakeReason::Visible, Rc::downgrade(inner)));
        // `offline` changes nothing in the loop, but the page wants a fresh status.
        let weak = Rc::downgrade(inner);
        let offline = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                publish_status(&inner);
            }
        });
        let _ = target.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        listeners.push(("offline", offline));
    }
    dispatch(inner, SyncEvent::Wake(WakeReason::Start));
}

fn is_hidden() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"document".into())
        .ok()
        .and_then(|d| js_sys::Reflect::get(&d, &"visibilityState".into()).ok())
        .and_then(|v| v.as_string())
        .is_some_and(|s| s == "hidden")
}
