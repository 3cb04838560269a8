//! The shell around core's [`SyncEngine`]: performs its commands with fetch, IndexedDB and
//! gloo-timers, and feeds the outcomes back as events.
//!
//! **One tab leads.** Every tab of a workspace asks for the Web Lock `satchel-sync:<db>`; the
//! one holding it runs the engine (pushes), the others follow: their wake-ups (a commit, coming
//! online) are posted on the BroadcastChannel of the same name for the leader to act on, and
//! the leader posts its status there after every step, which followers show as their own. So
//! two tabs never send the same mutation concurrently, and writes from any tab land in the one
//! outbox (IndexedDB is shared). When the leader's tab closes, the browser hands the lock to
//! another tab, which takes over. Without Web Locks (old browsers) every tab leads; the server's
//! sequencing makes a concurrent duplicate push harmless (`duplicate`).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures::channel::oneshot;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use satchel_core::sync::engine::{Phase, SyncCommand, SyncEngine, SyncEvent, WakeReason};

use crate::error::SatchelError;
use crate::workspace::Inner;

mod pull;
mod push;
pub(crate) mod status;
mod tabs;

pub(crate) use pull::pull_all;
pub(crate) use status::status;
use pull::pull_once;
use push::push_once;
pub(crate) use tabs::{broadcast, share_writes};
use tabs::{join_tabs, post};

/// The channel to the workspace's other tabs, with its message handler kept alive.
type TabChannel = (web_sys::BroadcastChannel, Closure<dyn FnMut(web_sys::MessageEvent)>);

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
    /// Whether this tab holds the sync lock.
    leader: std::cell::Cell<bool>,
    /// The channel to the workspace's other tabs.
    channel: RefCell<Option<TabChannel>>,
    /// The leader's last status, as a follower received it.
    leader_status: RefCell<Option<LeaderStatus>>,
    /// A pull is running (the engine's, or sign-in's initial one): never two at once.
    pulling: std::cell::Cell<bool>,
    /// Photos waiting for upload, as last counted.
    uploads_pending: std::cell::Cell<usize>,
    /// What waited to sync when the store was last read: entries, and the document numbers of
    /// the orders among them (named to the user if the browser clears the storage).
    last_known_pending: std::cell::Cell<u64>,
    last_known_orders: RefCell<Vec<String>>,
    /// The next batch, read from the outbox while the push before it was in flight: sent as
    /// soon as that push is answered (issue 16).
    next_batch: RefCell<Option<satchel_core::device::app::Outbox>>,
    /// The settling of the last push's answers, running while the next push is in flight.
    settling: RefCell<Option<oneshot::Receiver<Result<(), SatchelError>>>>,
}

/// What the leader posts to the other tabs.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct LeaderStatus {
    phase: Phase,
    last_synced_at: Option<String>,
    last_error: Option<String>,
    last_error_code: Option<String>,
}


fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // Jitter only: a failure of the random source degrades to no jitter, not to an error.
    let _ = crate::random_bytes(&mut b);
    u32::from_le_bytes(b)
}

impl SyncLoop {
    /// Remembers the document numbers of the orders waiting to sync, as last read.
    pub(crate) fn note_pending_orders(&self, numbers: Vec<String>) {
        *self.last_known_orders.borrow_mut() = numbers;
    }

    pub(crate) fn set_status_callback(&self, f: js_sys::Function) {
        *self.status_callback.borrow_mut() = Some(f);
    }

    /// Registers a waiter that resolves when the current (or next) push pass ends.
    pub(crate) fn wait_for_pass(&self) -> oneshot::Receiver<Result<(), SatchelError>> {
        let (s, r) = oneshot::channel();
        self.waiters.borrow_mut().push(s);
        r
    }

    /// The last error, for sign-in's initial pull to report through the status.
    pub(crate) fn last_error_mut(&self) -> std::cell::RefMut<'_, Option<SatchelError>> {
        self.last_error.borrow_mut()
    }

    pub(crate) fn phase(&self) -> Phase {
        self.engine.borrow().phase()
    }
}

/// Feeds one event to the engine and performs the commands it returns. In a follower tab, a
/// wake-up is passed to the leader instead.
pub(crate) fn dispatch(inner: &Rc<Inner>, event: SyncEvent) {
    let sync = &inner.sync;
    if !sync.leader.get() {
        // A batch read ahead belongs to the pass that read it: a tab that leads again later
        // reads the outbox afresh (another tab may have sent and settled those entries).
        sync.next_batch.borrow_mut().take();
        if matches!(event, SyncEvent::Wake(_) | SyncEvent::Reauthenticated) {
            post(inner, &serde_json::json!({"type": "wake"}));
        }
        publish_status(inner);
        return;
    }
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
            SyncCommand::PullPage => {
                let inner = inner.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = pull_once(&inner).await;
                    dispatch(&inner, SyncEvent::PullFinished(outcome));
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
    if !matches!(phase, Phase::Pushing | Phase::Pulling) {
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

/// Sends the current status to the `onStatus` callback, if any, and (leader) to the other tabs.
pub(crate) fn publish_status(inner: &Rc<Inner>) {
    let sync = &inner.sync;
    if sync.leader.get() && sync.channel.borrow().is_some() {
        let last_error = sync.last_error.borrow().clone();
        let status = LeaderStatus {
            phase: sync.phase(),
            last_synced_at: sync.last_synced_at.borrow().clone(),
            last_error_code: last_error.as_ref().map(|e| e.code().to_string()),
            last_error: last_error.map(|e| e.to_string()),
        };
        post(inner, &serde_json::json!({"type": "status", "status": status}));
    }
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
        // The browser's own word on connectivity bounds the offline spans the telemetry counts.
        let weak = Rc::downgrade(inner);
        let online = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                if crate::telemetry::marking(&inner) {
                    inner.telemetry_offline.set(false);
                    let at = crate::workspace::now();
                    crate::telemetry::spawn_note(&inner, move |t| t.back_online(at));
                }
            }
        });
        let _ = target.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
        listeners.push(("online", online));
        listeners.push(on("visibilitychange", WakeReason::Visible, Rc::downgrade(inner)));
        // `offline` changes nothing in the loop, but the page wants a fresh status.
        let weak = Rc::downgrade(inner);
        let offline = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                publish_status(&inner);
                if crate::telemetry::marking(&inner) && !inner.telemetry_offline.replace(true) {
                    let at = crate::workspace::now();
                    crate::telemetry::spawn_note(&inner, move |t| t.went_offline(at));
                }
            }
        });
        let _ = target.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
        listeners.push(("offline", offline));
    }
    join_tabs(inner);
    dispatch(inner, SyncEvent::Wake(WakeReason::Start));
}

/// `navigator.onLine` is false: the browser knows there is no network. (True proves nothing, so
/// only false is trusted.)
fn browser_says_offline() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .and_then(|n| js_sys::Reflect::get(&n, &"onLine".into()).ok())
        .and_then(|v| v.as_bool())
        == Some(false)
}

fn is_hidden() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"document".into())
        .ok()
        .and_then(|d| js_sys::Reflect::get(&d, &"visibilityState".into()).ok())
        .and_then(|v| v.as_string())
        .is_some_and(|s| s == "hidden")
}
