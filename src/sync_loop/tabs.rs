//! The workspace's tabs: one leader (the Web Lock `satchel-sync:<db>`), the others following
//! over the BroadcastChannel of the same name. The leader posts its status; any tab posts the
//! records its writes changed (the others re-read them) and "lock".

use std::rc::Rc;

use satchel_core::device::plan::RecordId;
use satchel_core::sync::engine::{Phase, SyncEvent, WakeReason};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{dispatch, publish_status, LeaderStatus};
use crate::error::SatchelError;
use crate::workspace::Inner;

/// Tells the workspace's other tabs what each committed write changed (the device's write hook).
pub(crate) fn share_writes(inner: &Rc<Inner>) {
    let weak = Rc::downgrade(inner);
    inner.device.on_write(Rc::new(move |ids: &[RecordId], cleared: bool| {
        if let Some(inner) = weak.upgrade() {
            post(&inner, &serde_json::json!({"type": "changed", "ids": ids, "cleared": cleared}));
        }
    }));
}

/// Posts `message` to the workspace's other tabs (if the channel is open).
pub(crate) fn broadcast(inner: &Rc<Inner>, message: &serde_json::Value) {
    post(inner, message);
}

pub(super) fn post(inner: &Rc<Inner>, message: &serde_json::Value) {
    if let Some((channel, _)) = inner.sync.channel.borrow().as_ref() {
        let _ = channel.post_message(&JsValue::from_str(&message.to_string()));
    }
}

/// Joins the workspace's tabs: opens the channel and asks for the sync lock. `on_leader` runs
/// once this tab holds it (at once without Web Locks).
pub(super) fn join_tabs(inner: &Rc<Inner>) {
    let sync = &inner.sync;
    if sync.channel.borrow().is_some() {
        return;
    }
    let name = format!("satchel-sync:{}", inner.db_name);
    if let Ok(channel) = web_sys::BroadcastChannel::new(&name) {
        let weak = Rc::downgrade(inner);
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let Some(text) = ev.data().as_string() else { return };
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(&text) else { return };
            match (msg["type"].as_str(), inner.sync.leader.get()) {
                (Some("wake"), true) => dispatch(&inner, SyncEvent::Wake(WakeReason::Committed)),
                // One tab locked (idle, the Lock button, sign-out): every tab of the workspace locks.
                (Some("lock"), _) => crate::vault::lock_from_peer(&inner),
                // Another tab wrote these records: read them again, so every tab shows the same
                // van, credit, orders and tasks.
                (Some("changed"), _) => {
                    let ids: Option<Vec<RecordId>> = if msg["cleared"].as_bool() == Some(true) { None } else { serde_json::from_value(msg["ids"].clone()).ok() };
                    let inner = inner.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Err(e) = inner.device.refresh(ids.as_deref()).await {
                            web_sys::console::warn_1(&format!("could not read another tab's changes: {}", e.code()).into());
                        }
                        publish_status(&inner);
                    });
                }
                (Some("status"), false) => {
                    if let Ok(s) = serde_json::from_value::<LeaderStatus>(msg["status"].clone()) {
                        let settled = !matches!(s.phase, Phase::Pushing | Phase::Pulling);
                        let result = match s.phase {
                            Phase::Idle => Ok(()),
                            Phase::NeedsSignIn => Err(SatchelError::Unauthorized),
                            _ => Err(SatchelError::Network),
                        };
                        *inner.sync.leader_status.borrow_mut() = Some(s);
                        if settled {
                            for w in inner.sync.waiters.borrow_mut().drain(..) {
                                let _ = w.send(result.clone());
                            }
                        }
                        publish_status(&inner);
                    }
                }
                _ => {}
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *sync.channel.borrow_mut() = Some((channel, on_message));
    }
    let locks = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .ok()
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    let request = locks.as_ref().and_then(|l| js_sys::Reflect::get(l, &"request".into()).ok()).and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let (Some(locks), Some(request)) = (locks, request) else {
        become_leader(inner);
        return;
    };
    let weak = Rc::downgrade(inner);
    // The lock is held for as long as the returned promise is pending: forever, i.e. until the
    // tab goes away.
    let granted = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
        if let Some(inner) = weak.upgrade() {
            become_leader(&inner);
        }
        js_sys::Promise::new(&mut |_, _| {})
    });
    if request.call2(&locks, &name.into(), &granted).is_err() {
        become_leader(inner);
    }
}

fn become_leader(inner: &Rc<Inner>) {
    if inner.sync.leader.replace(true) {
        return;
    }
    inner.sync.leader_status.borrow_mut().take();
    dispatch(inner, SyncEvent::Wake(WakeReason::Start));
}

