//! IndexedDB as core's [`DeviceStore`]: the schema comes from core's store table
//! ([`satchel_core::device::schema::STORES`]), each store created by the version that added it;
//! an update is one read-write transaction (reads in flight together, writes queued, one wait for
//! the commit). Nothing here decides anything: keys and values arrive already sealed.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Uint8Array;
use satchel_core::device::schema::{StoreId, SCHEMA_VERSION, STORES};
use satchel_core::device::store::{DeviceStore, Durability, Fetched, RawKey, RawOp, RawValue, Read, Step, StoreError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::IdbDatabase;

use crate::error::SatchelError;
use crate::idb::{self, Db, Migration, Mode, Tx};

/// Creates the stores `version` added. Version 2 (the vault) also dropped version 1's stores:
/// version 1 kept records in clear and no deployment ran it, so there was nothing to convert.
/// A version-1 database may also be empty: earlier service workers opened the database without
/// a version after the browser had evicted it, which creates it empty at version 1.
fn step(db: &IdbDatabase, version: u32) -> Result<(), JsValue> {
    if version == 2 {
        for spec in STORES.iter().filter(|s| s.since == 1) {
            if db.object_store_names().contains(spec.name) {
                db.delete_object_store(spec.name)?;
            }
            db.create_object_store(spec.name)?;
        }
    }
    for spec in STORES.iter().filter(|s| s.since == version) {
        db.create_object_store(spec.name)?;
    }
    Ok(())
}

fn v1(db: &IdbDatabase) -> Result<(), JsValue> {
    step(db, 1)
}
fn v2(db: &IdbDatabase) -> Result<(), JsValue> {
    step(db, 2)
}
fn v3(db: &IdbDatabase) -> Result<(), JsValue> {
    step(db, 3)
}
fn v4(db: &IdbDatabase) -> Result<(), JsValue> {
    step(db, 4)
}

/// One step per schema version; never edit a shipped step, add the next one.
static MIGRATIONS: [Migration; 4] = [v1, v2, v3, v4];
const _: () = assert!(MIGRATIONS.len() as u32 == SCHEMA_VERSION, "one migration per schema version");

/// The handlers watching the connection's `close` and `versionchange` events.
type Watchers = Rc<[Closure<dyn FnMut(web_sys::Event)>; 2]>;

/// The device's IndexedDB database.
#[derive(Clone)]
pub struct IdbStore {
    db: Db,
    gone: Rc<Cell<bool>>,
    _watch: Watchers,
    /// The outbox's second copy, outside IndexedDB (`crate::outbox_copy`).
    copy: crate::outbox_copy::OutboxCopy,
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`. If the browser closes it under the app
    /// (site data cleared) or another tab upgrades or deletes it, every later call answers
    /// [`StoreError::Gone`].
    pub async fn open(name: &str) -> Result<IdbStore, SatchelError> {
        let db = Db::open(name, &MIGRATIONS).await?;
        let gone = Rc::new(Cell::new(false));
        let on_close = {
            let gone = gone.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| gone.set(true))
        };
        let on_version = {
            let gone = gone.clone();
            let raw = db.raw().clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                gone.set(true);
                raw.close();
            })
        };
        db.raw().set_onclose(Some(on_close.as_ref().unchecked_ref()));
        db.raw().set_onversionchange(Some(on_version.as_ref().unchecked_ref()));
        Ok(IdbStore { db, gone, _watch: Rc::new([on_close, on_version]), copy: Default::default() })
    }

    /// The outbox's second copy, which every committed outbox write is repeated into once a
    /// device is attached.
    pub fn copy(&self) -> &crate::outbox_copy::OutboxCopy {
        &self.copy
    }

    /// Closes the connection (tests; a signed-out page).
    pub fn close(&self) {
        self.gone.set(true);
        self.db.close();
    }

    fn tx(&self, scope: &[StoreId], mode: Mode, durability: Durability) -> Result<Tx, StoreError> {
        if self.gone.get() {
            return Err(StoreError::Gone("the database was closed".into()));
        }
        let names: Vec<&str> = scope.iter().map(|s| s.name()).collect();
        let durability = match durability {
            Durability::Strict => idb::Durability::Strict,
            Durability::Relaxed => idb::Durability::Default,
        };
        self.db.transaction(&names, mode, durability).map_err(|e| self.classify(e, None))
    }

    /// Maps the adapter's error to the port's: quota, a taken key, a closed database, or other.
    fn classify(&self, e: SatchelError, add_store: Option<StoreId>) -> StoreError {
        match e {
            SatchelError::StorageFull => StoreError::Full,
            SatchelError::Storage(text) => {
                let name = text.split(':').next().unwrap_or_default();
                match name {
                    "ConstraintError" => match add_store {
                        Some(store) => StoreError::Exists { store },
                        None => StoreError::Failed(text),
                    },
                    "InvalidStateError" | "TransactionInactiveError" => StoreError::Gone(text),
                    _ if self.gone.get() => StoreError::Gone(text),
                    _ => StoreError::Failed(text),
                }
            }
            other => StoreError::Failed(other.to_string()),
        }
    }
}

fn key_js(key: &RawKey) -> JsValue {
    match key {
        RawKey::Seq(n) => JsValue::from_f64(*n as f64),
        RawKey::Text(t) => JsValue::from_str(t),
    }
}

fn key_raw(key: &JsValue) -> Option<RawKey> {
    if let Some(t) = key.as_string() {
        return Some(RawKey::Text(t));
    }
    let n = key.as_f64()?;
    (n >= 0.0 && n.fract() == 0.0).then_some(RawKey::Seq(n as u64))
}

fn value_js(value: &RawValue) -> JsValue {
    match value {
        RawValue::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        RawValue::Text(t) => JsValue::from_str(t),
        RawValue::Number(n) => JsValue::from_f64(*n),
    }
}

fn value_raw(value: &JsValue) -> Result<RawValue, StoreError> {
    if let Some(b) = value.dyn_ref::<Uint8Array>() {
        return Ok(RawValue::Bytes(b.to_vec()));
    }
    if let Some(b) = value.dyn_ref::<js_sys::ArrayBuffer>() {
        return Ok(RawValue::Bytes(Uint8Array::new(b).to_vec()));
    }
    if let Some(t) = value.as_string() {
        return Ok(RawValue::Text(t));
    }
    if let Some(n) = value.as_f64() {
        return Ok(RawValue::Number(n));
    }
    Err(StoreError::Failed("a record of a kind this app never writes".into()))
}

impl IdbStore {
    async fn run_read(&self, tx: &Tx, read: Read) -> Result<Fetched, StoreError> {
        let err = |e| self.classify(e, None);
        match read {
            Read::Get { store, keys } => {
                let s = tx.store(store.name()).map_err(err)?;
                let keys: Vec<JsValue> = keys.iter().map(key_js).collect();
                let found = s.get_many(&keys).await.map_err(err)?;
                let values = found.iter().map(|v| v.as_ref().map(value_raw).transpose()).collect::<Result<_, _>>()?;
                Ok(Fetched::Values(values))
            }
            Read::All { store } => self.records(tx, store, None, None).await,
            Read::First { store, limit } => self.records(tx, store, None, Some(limit)).await,
            Read::After { store, after, limit } => self.records(tx, store, Some(&after), Some(limit)).await,
            Read::Count { store } => {
                let s = tx.store(store.name()).map_err(err)?;
                Ok(Fetched::Count(u64::from(s.count().await.map_err(err)?)))
            }
        }
    }

    async fn records(&self, tx: &Tx, store: StoreId, after: Option<&RawKey>, limit: Option<u32>) -> Result<Fetched, StoreError> {
        let err = |e| self.classify(e, None);
        let s = tx.store(store.name()).map_err(err)?;
        let range = match after {
            Some(k) => web_sys::IdbKeyRange::lower_bound_with_open(&key_js(k), true).map_err(|e| self.classify(crate::idb::storage_error(&e), None))?.into(),
            None => JsValue::UNDEFINED,
        };
        // Both requests go out before either is awaited, in one transaction: keys and values
        // describe the same records.
        let (keys, values) = futures::join!(s.get_keys(&range, limit), s.get_all(&range, limit));
        let (keys, values) = (keys.map_err(err)?, values.map_err(err)?);
        let mut out = Vec::with_capacity(keys.len());
        for (k, v) in keys.iter().zip(values.iter()) {
            let key = key_raw(k).ok_or_else(|| StoreError::Failed(format!("a key of a kind this app never writes in {}", store.name())))?;
            out.push((key, value_raw(v)?));
        }
        Ok(Fetched::Records(out))
    }

    async fn run_reads(&self, tx: &Tx, reads: Vec<Read>) -> Result<Vec<Fetched>, StoreError> {
        futures::future::join_all(reads.into_iter().map(|r| self.run_read(tx, r))).await.into_iter().collect()
    }
}

impl DeviceStore for IdbStore {
    async fn read(&self, reads: Vec<Read>) -> Result<Vec<Fetched>, StoreError> {
        let mut scope: Vec<StoreId> = reads.iter().map(read_store).collect();
        scope.sort();
        scope.dedup();
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        let tx = self.tx(&scope, Mode::ReadOnly, Durability::Relaxed)?;
        self.run_reads(&tx, reads).await
    }

    async fn update<T, E: From<StoreError>>(
        &self,
        scope: &[StoreId],
        durability: Durability,
        reads: Vec<Read>,
        mut decide: impl FnMut(Vec<Fetched>) -> Result<Step<T>, E>,
    ) -> Result<T, E> {
        let tx = self.tx(scope, Mode::ReadWrite, durability)?;
        let mut fetched = self.run_reads(&tx, reads).await.inspect_err(|_| tx.abort())?;
        loop {
            match decide(fetched) {
                Err(e) => {
                    tx.abort();
                    return Err(e);
                }
                Ok(Step::Read(more)) => fetched = self.run_reads(&tx, more).await.inspect_err(|_| tx.abort())?,
                Ok(Step::Write(ops, value)) => {
                    let first_add = ops.iter().find_map(|op| match op {
                        RawOp::Add { store, .. } => Some(*store),
                        _ => None,
                    });
                    if let Err(e) = queue(&tx, &ops) {
                        tx.abort();
                        return Err(self.classify(e, first_add).into());
                    }
                    tx.done().await.map_err(|e| self.classify(e, first_add))?;
                    self.copy.mirror(&ops);
                    return Ok(value);
                }
            }
        }
    }
}

fn read_store(read: &Read) -> StoreId {
    match read {
        Read::Get { store, .. } | Read::All { store } | Read::First { store, .. } | Read::After { store, .. } | Read::Count { store } => *store,
    }
}

/// Queues every write (their failures abort the transaction, which `done` reports).
fn queue(tx: &Tx, ops: &[RawOp]) -> Result<(), SatchelError> {
    for op in ops {
        match op {
            RawOp::Put { store, key, value } => tx.store(store.name())?.put_queued(&key_js(key), &value_js(value))?,
            RawOp::Add { store, key, value } => tx.store(store.name())?.add_queued(&key_js(key), &value_js(value))?,
            RawOp::Delete { store, key } => tx.store(store.name())?.delete_queued(&key_js(key))?,
            RawOp::Clear { store } => tx.store(store.name())?.clear_queued()?,
        }
    }
    Ok(())
}
