//! A small IndexedDB adapter over web-sys.
//!
//! Why not `rexie`/`idb`: neither lets a transaction be opened with IndexedDB's `durability`
//! option, and a sale must be written with `durability: "strict"` (see docs/adr/0001). The
//! adapter is deliberately small: open with explicit, numbered migrations; transactions with a
//! durability hint; each request and each transaction's completion as a future.
//!
//! Awaiting a request inside a transaction is safe: the request's success event wakes the
//! future, and wasm-bindgen-futures resumes it in a microtask of that same event, before
//! IndexedDB would auto-commit the transaction.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DomException, IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction};

use crate::error::SatchelError;

#[wasm_bindgen]
extern "C" {
    /// The same `IDBDatabase`, seen through a binding of the three-argument `transaction`.
    #[wasm_bindgen(extends = IdbDatabase)]
    type DatabaseWithOptions;

    /// `IDBDatabase.transaction(storeNames, mode, options)`: web-sys exposes the options
    /// dictionary only behind its unstable-API flag, so bind the three-argument form here.
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &DatabaseWithOptions,
        stores: &Array,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;
}

/// IndexedDB's durability hint for a read-write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Committed only once the data is on durable storage: used for anything the user was told
    /// is saved (a sale, its outbox entry).
    Strict,
    /// The browser's default: fine for data that can be fetched again (reference data).
    Default,
}

/// Read-only or read-write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read only.
    ReadOnly,
    /// Read and write.
    ReadWrite,
}

/// Maps a DOM exception (or anything thrown) to a storage error, keeping quota errors distinct.
pub fn storage_error(value: &JsValue) -> SatchelError {
    if let Some(ex) = value.dyn_ref::<DomException>() {
        if ex.name() == "QuotaExceededError" {
            return SatchelError::StorageFull;
        }
        return SatchelError::Storage(format!("{}: {}", ex.name(), ex.message()));
    }
    SatchelError::Storage("unexpected IndexedDB failure".into())
}

fn factory() -> Result<IdbFactory, SatchelError> {
    Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| SatchelError::Storage("IndexedDB is not available here".into()))
}

/// A schema migration: called inside the upgrade transaction to go from `version - 1` to `version`.
pub type Migration = fn(&IdbDatabase) -> Result<(), JsValue>;

/// An open database connection.
#[derive(Debug, Clone)]
pub struct Db {
    inner: IdbDatabase,
}

impl Db {
    /// Opens (creating or upgrading) the database. `migrations[i]` brings the schema to version
    /// `i + 1`; only the steps above the stored version run, in order, in one upgrade transaction.
    pub async fn open(name: &str, migrations: &'static [Migration]) -> Result<Db, SatchelError> {
        let version = migrations.len() as u32;
        let request: IdbOpenDbRequest =
            factory()?.open_with_u32(name, version).map_err(|e| storage_error(&e))?;
        let failed: Rc<RefCell<Option<JsValue>>> = Rc::new(RefCell::new(None));
        let upgrade = {
            let request = request.clone();
            let failed = failed.clone();
            Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(move |ev: web_sys::IdbVersionChangeEvent| {
                let Ok(db) = request.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                    return;
                };
                let from = ev.old_version() as usize;
                for step in migrations.iter().skip(from) {
                    if let Err(e) = step(&db) {
                        *failed.borrow_mut() = Some(e);
                        if let Some(tx) = request.transaction() {
                            let _ = tx.abort();
                        }
                        return;
                    }
                }
            })
        };
        request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let result = wait(request.unchecked_ref::<IdbRequest>()).await;
        request.set_onupgradeneeded(None);
        drop(upgrade);
        if let Some(e) = failed.borrow_mut().take() {
            return Err(storage_error(&e));
        }
        let db = result?.dyn_into::<IdbDatabase>().map_err(|e| storage_error(&e))?;
        Ok(Db { inner: db })
    }

    /// Opens an existing database at whatever version it has, without migrating (diagnostics
    /// and tests).
    pub async fn open_existing(name: &str) -> Result<Db, SatchelError> {
        let request = factory()?.open(name).map_err(|e| storage_error(&e))?;
        let db = wait(request.unchecked_ref::<IdbRequest>()).await?;
        Ok(Db { inner: db.dyn_into::<IdbDatabase>().map_err(|e| storage_error(&e))? })
    }

    /// Deletes a database by name (used by tests and sign-out).
    pub async fn delete(name: &str) -> Result<(), SatchelError> {
        let request = factory()?.delete_database(name).map_err(|e| storage_error(&e))?;
        wait(request.unchecked_ref::<IdbRequest>()).await.map(|_| ())
    }

    /// Starts a transaction over `stores`.
    pub fn transaction(&self, stores: &[&str], mode: Mode, durability: Durability) -> Result<Tx, SatchelError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        let options = Object::new();
        let hint = match durability {
            Durability::Strict => "strict",
            Durability::Default => "default",
        };
        Reflect::set(&options, &"durability".into(), &hint.into()).map_err(|e| storage_error(&e))?;
        let mode = match mode {
            Mode::ReadOnly => "readonly",
            Mode::ReadWrite => "readwrite",
        };
        let tx = self.inner.unchecked_ref::<DatabaseWithOptions>().transaction_with_options(&names, mode, &options).map_err(|e| storage_error(&e))?;
        Ok(Tx::new(tx))
    }

    /// The connection itself (to watch its `close` and `versionchange` events).
    pub fn raw(&self) -> &IdbDatabase {
        &self.inner
    }

    /// Closes the connection once running transactions finish.
    pub fn close(&self) {
        self.inner.close();
    }
}

/// A transaction. Its completion is observed from the moment it is created, so no event is
/// missed however the caller interleaves requests and awaits.
pub struct Tx {
    tx: IdbTransaction,
    done: Option<oneshot::Receiver<Result<(), JsValue>>>,
    _handlers: [Closure<dyn FnMut(web_sys::Event)>; 3],
}

impl Drop for Tx {
    /// A read transaction is often dropped without awaiting `done()`; IndexedDB still fires its
    /// events later, so unhook the handlers before their closures are freed.
    fn drop(&mut self) {
        self.tx.set_oncomplete(None);
        self.tx.set_onerror(None);
        self.tx.set_onabort(None);
    }
}

impl Tx {
    fn new(tx: IdbTransaction) -> Tx {
        let (send, done) = oneshot::channel();
        let send = Rc::new(RefCell::new(Some(send)));
        let finish = |outcome: fn(&IdbTransaction, &web_sys::Event) -> Result<(), JsValue>| {
            let send = send.clone();
            let tx = tx.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                if let Some(s) = send.borrow_mut().take() {
                    let _ = s.send(outcome(&tx, &ev));
                }
            })
        };
        let complete = finish(|_, _| Ok(()));
        // A failed request's error reaches the transaction before the transaction records it
        // (`tx.error` is still null then): take it from the request the event came from.
        let error = finish(|tx, ev| {
            let from_request = ev.target().and_then(|t| t.dyn_into::<IdbRequest>().ok()).and_then(|r| r.error().ok().flatten());
            Err(from_request.or_else(|| tx.error()).map(JsValue::from).unwrap_or(JsValue::NULL))
        });
        let abort = finish(|tx, _| Err(tx.error().map(JsValue::from).unwrap_or_else(|| JsValue::from_str("aborted"))));
        tx.set_oncomplete(Some(complete.as_ref().unchecked_ref()));
        tx.set_onerror(Some(error.as_ref().unchecked_ref()));
        tx.set_onabort(Some(abort.as_ref().unchecked_ref()));
        Tx { tx, done: Some(done), _handlers: [complete, error, abort] }
    }

    /// An object store of this transaction.
    pub fn store(&self, name: &str) -> Result<Store, SatchelError> {
        self.tx.object_store(name).map(|s| Store { inner: s }).map_err(|e| storage_error(&e))
    }

    /// The durability the browser recorded for this transaction (`"strict"`, `"relaxed"`,
    /// `"default"`), or `None` where the browser does not report it.
    pub fn durability(&self) -> Option<String> {
        Reflect::get(&self.tx, &"durability".into()).ok().and_then(|v| v.as_string())
    }

    /// Aborts the transaction: nothing it wrote is kept.
    pub fn abort(&self) {
        let _ = self.tx.abort();
    }

    /// Waits until the transaction has committed (or failed). Only after this resolves may the
    /// user be told their data is saved.
    pub async fn done(mut self) -> Result<(), SatchelError> {
        let Some(done) = self.done.take() else {
            return Err(SatchelError::Storage("transaction already awaited".into()));
        };
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(storage_error(&e)),
            Err(_) => Err(SatchelError::Storage("transaction ended without a result".into())),
        }
    }
}

/// An object store within a transaction.
pub struct Store {
    inner: IdbObjectStore,
}

impl Store {
    /// Reads the values under `keys` with every request in flight at once (one wait instead of
    /// one event-loop turn per key); `None` where absent, in the order of `keys`.
    pub async fn get_many(&self, keys: &[JsValue]) -> Result<Vec<Option<JsValue>>, SatchelError> {
        let requests = keys.iter().map(|k| self.inner.get(k).map_err(|e| storage_error(&e))).collect::<Result<Vec<_>, _>>()?;
        // join_all polls every wait once before yielding, so each handler is attached before
        // any success event can fire (events come in later tasks).
        let values = futures::future::join_all(requests.iter().map(wait)).await;
        values.into_iter().map(|r| r.map(|v| if v.is_undefined() { None } else { Some(v) })).collect()
    }

    /// Queues a delete without waiting for it; see `put_queued`.
    pub fn delete_queued(&self, key: &JsValue) -> Result<(), SatchelError> {
        self.inner.delete(key).map(|_| ()).map_err(|e| storage_error(&e))
    }

    /// Writes `value` under `key`, replacing any value there.
    pub async fn put(&self, key: &JsValue, value: &JsValue) -> Result<(), SatchelError> {
        wait(&self.inner.put_with_key(value, key).map_err(|e| storage_error(&e))?).await.map(|_| ())
    }

    /// Queues a write of `value` under `key` without waiting for it: its failure (a quota, a
    /// constraint) aborts the transaction, which the transaction's `done` then reports. For bulk
    /// writes, where awaiting each request would cost an event-loop turn per record.
    pub fn put_queued(&self, key: &JsValue, value: &JsValue) -> Result<(), SatchelError> {
        self.inner.put_with_key(value, key).map(|_| ()).map_err(|e| storage_error(&e))
    }

    /// Queues an insert (fails, aborting the transaction, if the key exists); see `put_queued`.
    pub fn add_queued(&self, key: &JsValue, value: &JsValue) -> Result<(), SatchelError> {
        self.inner.add_with_key(value, key).map(|_| ()).map_err(|e| storage_error(&e))
    }

    /// Queues the removal of every value; see `put_queued`.
    pub fn clear_queued(&self) -> Result<(), SatchelError> {
        self.inner.clear().map(|_| ()).map_err(|e| storage_error(&e))
    }

    /// Counts the values.
    pub async fn count(&self) -> Result<u32, SatchelError> {
        let v = wait(&self.inner.count().map_err(|e| storage_error(&e))?).await?;
        Ok(v.as_f64().unwrap_or(0.0) as u32)
    }

    /// The values in `range` (`undefined`: all) in key order, at most `limit` of them.
    pub async fn get_all(&self, range: &JsValue, limit: Option<u32>) -> Result<Vec<JsValue>, SatchelError> {
        let req = match limit {
            Some(n) => self.inner.get_all_with_key_and_limit(range, n),
            None => self.inner.get_all_with_key(range),
        }
        .map_err(|e| storage_error(&e))?;
        let v = wait(&req).await?;
        Ok(Array::from(&v).iter().collect())
    }

    /// The keys in `range` (`undefined`: all) in key order, at most `limit` of them.
    pub async fn get_keys(&self, range: &JsValue, limit: Option<u32>) -> Result<Vec<JsValue>, SatchelError> {
        let req = match limit {
            Some(n) => self.inner.get_all_keys_with_key_and_limit(range, n),
            None => self.inner.get_all_keys_with_key(range),
        }
        .map_err(|e| storage_error(&e))?;
        let v = wait(&req).await?;
        Ok(Array::from(&v).iter().collect())
    }
}

/// Keeps a request's handlers alive while it is awaited, and unhooks them when the wait ends
/// or is abandoned, so the browser never calls a freed closure.
struct RequestHandlers {
    request: IdbRequest,
    _success: Closure<dyn FnMut(web_sys::Event)>,
    _error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for RequestHandlers {
    fn drop(&mut self) {
        self.request.set_onsuccess(None);
        self.request.set_onerror(None);
    }
}

/// Waits for a request's `success` (its result) or `error` (its DOMException).
async fn wait(request: &IdbRequest) -> Result<JsValue, SatchelError> {
    let (send, recv) = oneshot::channel::<Result<JsValue, JsValue>>();
    let send = Rc::new(RefCell::new(Some(send)));
    let on_success = {
        let send = send.clone();
        let request = request.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            if let Some(s) = send.borrow_mut().take() {
                let _ = s.send(request.result());
            }
        })
    };
    let on_error = {
        let request = request.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            // The request's error aborts its transaction (we do not preventDefault): any failed
            // write undoes the whole transaction. Stop it bubbling so the transaction reports
            // the abort with the original DOMException.
            ev.stop_propagation();
            if let Some(s) = send.borrow_mut().take() {
                let err = request.error().ok().flatten().map(JsValue::from).unwrap_or(JsValue::NULL);
                let _ = s.send(Err(err));
            }
        })
    };
    request.set_onsuccess(Some(on_success.as_ref().unchecked_ref()));
    request.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _handlers = RequestHandlers { request: request.clone(), _success: on_success, _error: on_error };
    match recv.await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(storage_error(&e)),
        Err(_) => Err(SatchelError::Storage("request ended without a result".into())),
    }
}
