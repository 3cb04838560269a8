//! One tab's device: the store, the keys while unlocked and the state in memory, and the use
//! cases run over them. Every change goes one way: decide (a pure function over the state and
//! what the transaction read) → encode (seal) → the store commits it atomically → the same plan
//! is applied to the state. The browser shell and the native tests drive the same code.
//!
//! Interior mutability, never held across an `.await`: the page may call in again while a
//! commit waits for the disk.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::codec::{Codec, DeviceKeys};
use super::error::DeviceError;
use super::plan::{MetaRecord, Record, RecordId, WritePlan};
use super::records::{Counters, DeviceRecord};
use super::schema::{MetaKey, StoreId};
use super::state::DeviceState;
use super::store::{DeviceStore, Durability, Fetched, RawKey, Read, Step};
use crate::vault::Rng;

mod backup;
mod counter;
mod day;
mod lifecycle;
mod ops;
mod sync;
mod telemetry;

pub use backup::{backup_advice, backups_from_copy, BackupAdvice};
pub use lifecycle::NewVault;
pub use ops::Ids;
pub use sync::{Blob, Outbox, SyncFigures};

/// What a decision asks for next.
pub enum Want<T> {
    /// More reads in the same transaction.
    More(Vec<Read>),
    /// These writes, resolving with `T`.
    Done(WritePlan, T),
}

/// One tab's device over a store.
pub struct Device<S: DeviceStore> {
    store: S,
    record: RefCell<Option<DeviceRecord>>,
    keys: RefCell<Option<Rc<DeviceKeys>>>,
    state: RefCell<DeviceState>,
    on_write: RefCell<Option<WriteHook>>,
}

/// Told after each committed plan: the records it wrote or deleted, and whether it cleared a
/// store. The browser shell posts them to the workspace's other tabs, which
/// [`Device::refresh`] those records instead of trusting their copies.
pub type WriteHook = Rc<dyn Fn(&[RecordId], bool)>;

/// A `Get` of meta keys.
pub fn meta_get(keys: &[MetaKey]) -> Read {
    Read::Get { store: StoreId::Meta, keys: keys.iter().map(|k| RawKey::Text(k.name().into())).collect() }
}

impl<S: DeviceStore> Device<S> {
    /// Sets the hook told of every committed plan.
    pub fn on_write(&self, hook: WriteHook) {
        *self.on_write.borrow_mut() = Some(hook);
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The registered device, if signed in.
    pub fn record(&self) -> Option<DeviceRecord> {
        self.record.borrow().clone()
    }

    /// The keys, or why not: locked, or no session.
    pub fn keys(&self) -> Result<Rc<DeviceKeys>, DeviceError> {
        if let Some(k) = self.keys.borrow().as_ref() {
            return Ok(k.clone());
        }
        Err(if self.record.borrow().is_none() { DeviceError::NotSignedIn } else { DeviceError::Locked })
    }

    /// Whether the keys are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.keys.borrow().is_some()
    }

    /// The state, for reading (never hold it across an `.await`).
    pub fn state(&self) -> Ref<'_, DeviceState> {
        self.state.borrow()
    }

    /// Runs `f` on the state, mutably (search builds its index on first use).
    pub fn with_state_mut<R>(&self, f: impl FnOnce(&mut DeviceState) -> R) -> R {
        f(&mut self.state.borrow_mut())
    }

    /// The state, or `Locked`.
    pub fn unlocked_state(&self) -> Result<Ref<'_, DeviceState>, DeviceError> {
        self.keys()?;
        Ok(self.state.borrow())
    }

    fn codec_parts(&self) -> Result<(DeviceRecord, Option<Rc<DeviceKeys>>), DeviceError> {
        let record = self.record.borrow().clone().ok_or(DeviceError::NotSignedIn)?;
        Ok((record, self.keys.borrow().clone()))
    }

    /// Runs a decision in one read-write transaction over `scope`: the counters are read first,
    /// with `reads`; `decide` gets the counters and what `reads` found, and answers more reads
    /// or a plan. The plan is sealed, committed, then applied to the state.
    pub async fn run<T>(
        &self,
        scope: &[StoreId],
        durability: Durability,
        reads: Vec<Read>,
        rng: &mut dyn Rng,
        mut decide: impl FnMut(&Codec<'_>, &Counters, Vec<Fetched>) -> Result<Want<T>, DeviceError>,
    ) -> Result<T, DeviceError> {
        let (record, keys) = self.codec_parts()?;
        let mut first = vec![meta_get(&[MetaKey::Counters])];
        first.extend(reads);
        let mut counters: Option<Counters> = None;
        let (plan, out) = self
            .store
            .update(scope, durability, first, |mut fetched| {
                let codec = Codec { device: &record, keys: keys.as_deref() };
                if counters.is_none() {
                    let raw = fetched.remove(0).values().into_iter().next().flatten();
                    let c = raw.as_ref().and_then(|v| super::codec::clear::<Counters>(v).ok());
                    counters = Some(c.ok_or_else(|| DeviceError::Corrupt { what: "counters".into() })?);
                }
                let c = counters.as_ref().ok_or_else(|| DeviceError::Internal("counters".into()))?;
                match decide(&codec, c, fetched)? {
                    Want::More(more) => Ok::<_, DeviceError>(Step::Read(more)),
                    Want::Done(plan, out) => {
                        let ops = codec.encode(&plan, c, rng)?;
                        Ok(Step::Write(ops, (plan, out)))
                    }
                }
            })
            .await?;
        self.state.borrow_mut().apply(&plan);
        let hook = self.on_write.borrow().clone();
        if let Some(hook) = hook {
            let (ids, cleared) = plan.touched();
            if !ids.is_empty() || cleared {
                hook(&ids, cleared);
            }
        }
        Ok(out)
    }

    /// Re-reads records another tab wrote and takes them into the state (`None` ids: reload
    /// everything, after another tab cleared a store).
    pub async fn refresh(&self, ids: Option<&[RecordId]>) -> Result<(), DeviceError> {
        let Some(ids) = ids else { return self.reload().await };
        let (record, keys) = self.codec_parts()?;
        let Some(keys) = keys else { return Ok(()) };
        let codec = Codec { device: &record, keys: Some(&keys) };
        let mut by_store: HashMap<StoreId, Vec<(RecordId, RawKey)>> = HashMap::new();
        for id in ids.iter().filter(|id| id.store().spec().loaded) {
            by_store.entry(id.store()).or_default().push((id.clone(), codec.raw_key(id)?));
        }
        let stores: Vec<StoreId> = by_store.keys().copied().collect();
        let reads = stores.iter().map(|s| Read::Get { store: *s, keys: by_store[s].iter().map(|(_, k)| k.clone()).collect() }).collect();
        let fetched = self.store.read(reads).await?;
        let mut state = self.state.borrow_mut();
        for (store, found) in stores.iter().zip(fetched) {
            for ((id, key), value) in by_store[store].iter().zip(found.values()) {
                match value.map(|v| codec.decode(*store, key, &v)) {
                    Some(Ok(r)) => state.put(r),
                    Some(Err(_)) => state.note_unreadable(*store),
                    None => state.delete(id),
                }
            }
        }
        state.generation += 1;
        Ok(())
    }

    /// Reads every loaded store again into a fresh state. The products stay sealed until
    /// needed or opened by [`App::open_products`]: the first screen does not wait for the whole
    /// catalog.
    pub async fn reload(&self) -> Result<(), DeviceError> {
        let (record, keys) = self.codec_parts()?;
        let Some(keys) = keys else { return Ok(()) };
        let stores: Vec<StoreId> = StoreId::all().filter(|s| s.spec().loaded).collect();
        let fetched = self.store.read(stores.iter().map(|s| Read::All { store: *s }).collect()).await?;
        let codec = Codec { device: &record, keys: Some(&keys) };
        let mut records = Vec::new();
        let mut unreadable = Vec::new();
        let mut sealed_products = Vec::new();
        for (store, found) in stores.iter().zip(fetched) {
            if *store == StoreId::Products {
                sealed_products = found.records();
                continue;
            }
            for (key, value) in found.records() {
                match codec.decode(*store, &key, &value) {
                    Ok(r) => records.push(r),
                    // Legacy clear meta keys of earlier formats, and the locked-only records.
                    Err(_) if *store == StoreId::Meta => {}
                    Err(_) => unreadable.push(*store),
                }
            }
        }
        let generation = self.state.borrow().generation + 1;
        let mut state = DeviceState::from_records(records, 0);
        unreadable.into_iter().for_each(|store| state.note_unreadable(store));
        state.seal_products(record, keys, sealed_products);
        state.generation = generation;
        *self.state.borrow_mut() = state;
        Ok(())
    }

    /// Opens up to `max` of the products an unlock left sealed (a slice the page runs between
    /// frames after its first screen); answers how many are still sealed.
    pub fn open_products(&self, max: usize) -> Result<usize, DeviceError> {
        self.keys()?;
        Ok(self.state.borrow_mut().open_products(max))
    }

    /// Decodes the meta records `keys` fetched by a [`meta_get`] of the same keys.
    pub fn meta_records(codec: &Codec<'_>, keys: &[MetaKey], fetched: Fetched) -> HashMap<MetaKey, MetaRecord> {
        let mut out = HashMap::new();
        for (k, v) in keys.iter().zip(fetched.values()) {
            if let Some(Ok(Record::Meta(m))) = v.map(|v| codec.decode(StoreId::Meta, &RawKey::Text(k.name().into()), &v)) {
                out.insert(*k, m);
            }
        }
        out
    }
}
