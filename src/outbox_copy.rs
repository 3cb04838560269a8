//! The outbox's second copy, in Cache Storage (issue 20): browsers may evict IndexedDB alone
//! (or a user may delete just the database), and the outbox is the one store whose loss loses
//! work. Every write the IndexedDB adapter commits to the outbox is repeated here, in order, in a
//! cache named after the device (`satchel-outbox-<device id>`), one entry per sequence number.
//! The values are the outbox's own (each mutation sealed to the server, nothing readable).
//!
//! After a sign-in on a browser whose database is gone, the copies of other devices are turned
//! into backups by core ([`satchel_core::device::app::backups_from_copy`]) and sent to the
//! server's `/sync/recover`; a copy is deleted once the server has answered for all of it.
//! Best effort: a copy that fails to write is logged, never an error of the commit it mirrors.
//! "Clear site data" removes this copy too; the exported backup file covers that case.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use satchel_core::device::schema::StoreId;
use satchel_core::device::store::{RawKey, RawOp, RawValue};
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Response};

const PREFIX: &str = "satchel-outbox-";

fn url(seq: u64) -> String {
    format!("/__satchel/outbox/{seq}")
}

fn caches() -> Option<CacheStorage> {
    js_sys::Reflect::get(&js_sys::global(), &"caches".into()).ok().filter(|c| !c.is_undefined() && !c.is_null()).map(JsCast::unchecked_into)
}

async fn open(name: &str) -> Result<Cache, JsValue> {
    let storage = caches().ok_or_else(|| JsValue::from_str("no Cache Storage"))?;
    Ok(JsFuture::from(storage.open(name)).await?.unchecked_into())
}

/// One write to repeat.
enum CopyOp {
    Put(u64, String),
    /// Delete these entries: consecutive deletes (a push's answers) are queued as one.
    Delete(Vec<u64>),
    Clear,
    /// Add these entries (the outbox as it stands).
    Fill(Vec<(u64, String)>),
}

/// The copy of one device's outbox: writes queued and applied one after the other.
#[derive(Clone, Default)]
pub struct OutboxCopy {
    inner: Rc<CopyInner>,
}

#[derive(Default)]
struct CopyInner {
    device: RefCell<Option<Uuid>>,
    queue: RefCell<VecDeque<CopyOp>>,
    draining: Cell<bool>,
}

impl OutboxCopy {
    /// Mirrors into `device`'s copy from now on (the device is known once signed in or opened).
    pub fn attach(&self, device: Uuid) {
        *self.inner.device.borrow_mut() = Some(device);
    }

    /// Stops mirroring (signed out).
    pub fn detach(&self) {
        *self.inner.device.borrow_mut() = None;
        self.inner.queue.borrow_mut().clear();
    }

    /// The device being mirrored.
    pub fn device(&self) -> Option<Uuid> {
        *self.inner.device.borrow()
    }

    /// Repeats the outbox's part of a committed transaction's writes.
    pub fn mirror(&self, ops: &[RawOp]) {
        if self.device().is_none() {
            return;
        }
        let mut queued = false;
        {
            let mut queue = self.inner.queue.borrow_mut();
            for op in ops {
                let copy = match op {
                    RawOp::Put { store: StoreId::Outbox, key: RawKey::Seq(seq), value: RawValue::Text(t) }
                    | RawOp::Add { store: StoreId::Outbox, key: RawKey::Seq(seq), value: RawValue::Text(t) } => CopyOp::Put(*seq, t.clone()),
                    RawOp::Delete { store: StoreId::Outbox, key: RawKey::Seq(seq) } => {
                        // Deleting distinct entries in any order is the same, so a delete joins
                        // the one queued just before it (nothing was queued between them).
                        if let Some(CopyOp::Delete(seqs)) = queue.back_mut() {
                            seqs.push(*seq);
                            queued = true;
                            continue;
                        }
                        CopyOp::Delete(vec![*seq])
                    }
                    RawOp::Clear { store: StoreId::Outbox } => CopyOp::Clear,
                    _ => continue,
                };
                queue.push_back(copy);
                queued = true;
            }
        }
        if queued {
            self.drain();
        }
    }

    /// Adds `entries` (the outbox as it stands, at open) to the copy.
    pub fn fill(&self, entries: Vec<(u64, String)>) {
        if self.device().is_none() || entries.is_empty() {
            return;
        }
        self.inner.queue.borrow_mut().push_back(CopyOp::Fill(entries));
        self.drain();
    }

    fn drain(&self) {
        if self.inner.draining.replace(true) {
            return;
        }
        let inner = self.inner.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let Some(device) = *inner.device.borrow() else { break };
                let Some(op) = inner.queue.borrow_mut().pop_front() else { break };
                if let Err(e) = apply(device, op).await {
                    web_sys::console::warn_2(&"satchel: the outbox's second copy could not be written:".into(), &e);
                }
            }
            inner.draining.set(false);
        });
    }
}

async fn apply(device: Uuid, op: CopyOp) -> Result<(), JsValue> {
    let name = format!("{PREFIX}{device}");
    match op {
        CopyOp::Put(seq, text) => {
            let cache = open(&name).await?;
            let response = Response::new_with_opt_str(Some(&text))?;
            JsFuture::from(cache.put_with_str(&url(seq), &response)).await?;
        }
        CopyOp::Delete(seqs) => {
            // One `caches.open` for all of them (per entry, it was a third of the copy's cost in
            // a drain), the deletes sent side by side and awaited together.
            let cache = open(&name).await?;
            let deletes: Vec<JsFuture> = seqs.iter().map(|seq| JsFuture::from(cache.delete_with_str(&url(*seq)))).collect();
            for result in futures::future::join_all(deletes).await {
                result?;
            }
        }
        CopyOp::Clear => {
            if let Some(storage) = caches() {
                JsFuture::from(storage.delete(&name)).await?;
            }
        }
        CopyOp::Fill(entries) => {
            let cache = open(&name).await?;
            for (seq, text) in entries {
                let response = Response::new_with_opt_str(Some(&text))?;
                JsFuture::from(cache.put_with_str(&url(seq), &response)).await?;
            }
        }
    }
    Ok(())
}

/// The copies held for devices other than `except`: each device with its outbox values.
pub async fn others(except: Option<Uuid>) -> Vec<(Uuid, Vec<RawValue>)> {
    let Some(storage) = caches() else { return Vec::new() };
    let Ok(names) = JsFuture::from(storage.keys()).await else { return Vec::new() };
    let mut out = Vec::new();
    for name in js_sys::Array::from(&names).iter().filter_map(|n| n.as_string()) {
        let Some(device) = name.strip_prefix(PREFIX).and_then(|d| Uuid::parse_str(d).ok()) else { continue };
        if Some(device) == except {
            continue;
        }
        match values(&name).await {
            Ok(v) if !v.is_empty() => out.push((device, v)),
            Ok(_) => drop_copy(device).await,
            Err(e) => web_sys::console::warn_2(&"satchel: a second copy of an outbox could not be read:".into(), &e),
        }
    }
    out
}

async fn values(name: &str) -> Result<Vec<RawValue>, JsValue> {
    let cache = open(name).await?;
    let requests = js_sys::Array::from(&JsFuture::from(cache.keys()).await?);
    let mut out = Vec::with_capacity(requests.length() as usize);
    for request in requests.iter() {
        let request: web_sys::Request = request.unchecked_into();
        let hit = JsFuture::from(cache.match_with_request(&request)).await?;
        if let Some(response) = hit.dyn_ref::<Response>() {
            if let Some(text) = JsFuture::from(response.text()?).await?.as_string() {
                out.push(RawValue::Text(text));
            }
        }
    }
    Ok(out)
}

/// Deletes `device`'s copy (the server holds all of it).
pub async fn drop_copy(device: Uuid) {
    if let Some(storage) = caches() {
        let _ = JsFuture::from(storage.delete(&format!("{PREFIX}{device}"))).await;
    }
}
