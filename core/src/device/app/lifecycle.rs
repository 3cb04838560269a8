//! The device's life: opening the store (and bringing format 4's counters into one record),
//! signing in (a fresh vault), unlocking (answers kept while locked settled, the state loaded,
//! format 4's van converted), locking, signing out, and the vault's own records.

use std::collections::HashMap;
use std::rc::Rc;

use super::{meta_get, Device, Want};
use crate::device::answers::{self, Settled, Target};
use crate::device::codec::{self, Codec, DeviceKeys, KeyRing};
use crate::device::error::{DeviceError, DraftSummary};
use crate::device::plan::{MetaRecord, Record, RecordId, Write, WritePlan};
use crate::device::records::{Ack, Counters, DeviceRecord, PendingOutletEdit, SessionSecrets, VaultRecord, VanRecord};
use crate::device::schema::{MetaKey, StoreId, DATA_FORMAT};
use crate::device::state::DeviceState;
use crate::device::store::{DeviceStore, Durability, Fetched, RawKey, RawOp, RawValue, Read, Step};
use crate::money::Dec;
use crate::sales::NumberRange;
use crate::vault::{KeyUsage, LockState, Rng, Zeroizing, INDEX_KEY_LEN};

/// What a new session starts with.
pub struct NewVault {
    /// The device as registered.
    pub device: DeviceRecord,
    /// The wrapped data key.
    pub vault: VaultRecord,
    /// The lock's initial state.
    pub lock: LockState,
    /// The document numbers leased at registration.
    pub number_ranges: Vec<NumberRange>,
}

const LEGACY_COUNTERS: [MetaKey; 5] = [MetaKey::Counters, MetaKey::LegacyNextSeq, MetaKey::LegacyNumbers, MetaKey::LegacyHlc, MetaKey::LegacyKeyUsage];

fn all_stores() -> Vec<StoreId> {
    StoreId::all().collect()
}

/// Clear records of `meta`, decoded without keys.
fn clear_meta<T: serde::de::DeserializeOwned>(v: Option<RawValue>) -> Option<T> {
    v.as_ref().and_then(|v| codec::clear(v).ok())
}

impl<S: DeviceStore> Device<S> {
    /// Opens the device over `store`: who is signed in, and format 4's counters brought into one
    /// record (no key needed: they are in clear).
    pub async fn open(store: S) -> Result<Self, DeviceError> {
        let mut reads = vec![meta_get(&[MetaKey::Device])];
        reads.push(meta_get(&LEGACY_COUNTERS));
        let mut fetched = store.read(reads).await?;
        let legacy = fetched.pop().map(Fetched::values).unwrap_or_default();
        let record: Option<DeviceRecord> = clear_meta(fetched.pop().and_then(|f| f.values().into_iter().next().flatten()));
        if record.is_some() && legacy.first().is_some_and(Option::is_none) {
            store
                .update(&[StoreId::Meta], Durability::Strict, vec![meta_get(&LEGACY_COUNTERS)], |f| {
                    let v = f.into_iter().next().map(Fetched::values).unwrap_or_default();
                    if v.first().is_some_and(Option::is_some) {
                        return Ok::<_, DeviceError>(Step::Write(Vec::new(), ()));
                    }
                    let mut c = Counters::default();
                    if let Some(RawValue::Number(n)) = v.get(1).cloned().flatten() {
                        c.next_seq = (n as u64).max(1);
                    }
                    c.number_ranges = clear_meta(v.get(2).cloned().flatten()).unwrap_or_default();
                    c.hlc = clear_meta(v.get(3).cloned().flatten());
                    c.key_usage = clear_meta::<KeyUsage>(v.get(4).cloned().flatten());
                    let text = serde_json::to_string(&c).map_err(|e| DeviceError::Internal(e.to_string()))?;
                    let mut ops = vec![RawOp::Put { store: StoreId::Meta, key: RawKey::Text(MetaKey::Counters.name().into()), value: RawValue::Text(text) }];
                    for k in &LEGACY_COUNTERS[1..] {
                        ops.push(RawOp::Delete { store: StoreId::Meta, key: RawKey::Text(k.name().into()) });
                    }
                    Ok(Step::Write(ops, ()))
                })
                .await?;
        }
        Ok(Device { store, record: std::cell::RefCell::new(record), keys: Default::default(), state: Default::default(), on_write: Default::default() })
    }

    /// A clear meta record.
    async fn clear_record<T: serde::de::DeserializeOwned>(&self, key: MetaKey) -> Result<Option<T>, DeviceError> {
        let f = self.store.read(vec![meta_get(&[key])]).await?;
        Ok(clear_meta(f.into_iter().next().and_then(|f| f.values().into_iter().next().flatten())))
    }

    /// The vault record, if a PIN was set.
    pub async fn vault_record(&self) -> Result<Option<VaultRecord>, DeviceError> {
        self.clear_record(MetaKey::Vault).await
    }

    /// The persisted lock state.
    pub async fn lock_state(&self) -> Result<Option<LockState>, DeviceError> {
        self.clear_record(MetaKey::Lock).await
    }

    async fn put_clear<T: serde::Serialize>(&self, key: MetaKey, value: &T) -> Result<(), DeviceError> {
        let text = serde_json::to_string(value).map_err(|e| DeviceError::Internal(format!("serialize: {e}")))?;
        let ops = vec![RawOp::Put { store: StoreId::Meta, key: RawKey::Text(key.name().into()), value: RawValue::Text(text) }];
        self.store.update(&[StoreId::Meta], Durability::Strict, Vec::new(), |_| Ok::<_, DeviceError>(Step::Write(ops.clone(), ()))).await
    }

    /// Persists the lock state (strict: a wrong-PIN count must survive a crash or a reload).
    pub async fn save_lock_state(&self, state: &LockState) -> Result<(), DeviceError> {
        self.put_clear(MetaKey::Lock, state).await
    }

    /// Replaces the vault record (PIN change, rotation steps).
    pub async fn save_vault(&self, record: &VaultRecord) -> Result<(), DeviceError> {
        self.put_clear(MetaKey::Vault, record).await
    }

    /// Opens what unlocking needs besides the data key: the index key and the session secrets.
    pub async fn unlock_material(&self, ring: &KeyRing) -> Result<(Zeroizing<[u8; INDEX_KEY_LEN]>, SessionSecrets), DeviceError> {
        let f = self.store.read(vec![meta_get(&[MetaKey::IndexKey, MetaKey::Session])]).await?;
        let values = f.into_iter().next().map(Fetched::values).unwrap_or_default();
        let corrupt = |what: &str| DeviceError::Corrupt { what: what.into() };
        let open = |i: usize, key: MetaKey| -> Result<Zeroizing<Vec<u8>>, DeviceError> {
            let Some(Some(RawValue::Bytes(b))) = values.get(i) else { return Err(corrupt(key.name())) };
            ring.open(StoreId::Meta.name(), key.name(), b).map_err(|_| corrupt(key.name()))
        };
        let index: [u8; INDEX_KEY_LEN] = open(0, MetaKey::IndexKey)?.as_slice().try_into().map_err(|_| corrupt("index key"))?;
        let session = open(1, MetaKey::Session)?;
        let secrets: SessionSecrets = std::str::from_utf8(&session).ok().and_then(|t| serde_json::from_str(t).ok()).ok_or_else(|| corrupt("session"))?;
        Ok((Zeroizing::new(index), secrets))
    }

    /// Signs in: a fresh vault in one strict transaction, after clearing what an earlier session
    /// left (refused while its outbox holds anything: a new device numbers from 1 again).
    pub async fn create_vault(&self, new: NewVault, keys: DeviceKeys, rng: &mut dyn Rng) -> Result<(), DeviceError> {
        let counters = Counters { next_seq: 1, number_ranges: new.number_ranges.clone(), hlc: None, key_usage: None };
        let mut plan = WritePlan::new();
        plan.writes.extend(all_stores().into_iter().map(Write::Clear));
        for m in [
            MetaRecord::Device(new.device.clone()),
            MetaRecord::Vault(new.vault.clone()),
            MetaRecord::Lock(new.lock.clone()),
            MetaRecord::Format(DATA_FORMAT),
            MetaRecord::Session(keys.secrets.clone()),
            MetaRecord::IndexKey(keys.index_key.clone()),
        ] {
            plan.put(Record::Meta(m));
        }
        plan.counters = Some(counters.clone());
        let codec = Codec { device: &new.device, keys: Some(&keys) };
        let ops = codec.encode(&plan, &counters, rng)?;
        self.store
            .update(&all_stores(), Durability::Strict, vec![Read::Count { store: StoreId::Outbox }], |f| {
                if f.first().map_or(0, Fetched::count) > 0 {
                    return Err(DeviceError::PendingWork("orders are waiting to sync; sync them before signing in again".into()));
                }
                Ok(Step::Write(ops.clone(), ()))
            })
            .await?;
        *self.record.borrow_mut() = Some(new.device);
        *self.keys.borrow_mut() = Some(Rc::new(keys));
        *self.state.borrow_mut() = DeviceState::from_records([Record::Meta(MetaRecord::Format(DATA_FORMAT))], 0);
        Ok(())
    }

    /// Takes the keys into use: answers kept while locked settled, every loaded store read into
    /// memory, format 4's data converted.
    pub async fn unlock(&self, keys: DeviceKeys, rng: &mut dyn Rng) -> Result<Settled, DeviceError> {
        *self.keys.borrow_mut() = Some(Rc::new(keys));
        let settled = self.settle_kept(rng).await?;
        self.reload().await?;
        if self.state.borrow().format() != Some(DATA_FORMAT) {
            self.convert_format_4(rng).await?;
        }
        self.with_state_mut(DeviceState::index_now);
        Ok(settled)
    }

    /// Replaces the keys (a rotation's steps); the state stays.
    pub fn replace_keys(&self, keys: DeviceKeys) {
        // Products still sealed are opened under the keys that sealed them.
        self.state.borrow_mut().open_products(usize::MAX);
        *self.keys.borrow_mut() = Some(Rc::new(keys));
    }

    /// Locks: the keys and everything decrypted leave memory.
    pub fn lock(&self) {
        self.keys.borrow_mut().take();
        *self.state.borrow_mut() = DeviceState::default();
    }

    /// Answers kept while locked, settled onto their records.
    async fn settle_kept(&self, rng: &mut dyn Rng) -> Result<Settled, DeviceError> {
        let scope = [StoreId::Meta, StoreId::Acks, StoreId::Orders, StoreId::Tasks];
        let mut acks: Vec<Ack> = Vec::new();
        let mut round = 0;
        self.run(&scope, Durability::Strict, vec![Read::All { store: StoreId::Acks }], rng, |codec, _, mut f| {
            round += 1;
            if round == 1 {
                let mut unreadable = Vec::new();
                for (key, value) in f.remove(0).records() {
                    match codec.decode(StoreId::Acks, &key, &value) {
                        Ok(Record::Ack(_, a)) => acks.push(a),
                        // Unreadable: dropped rather than block every later one; the record stays
                        // as it was and the server still has the truth.
                        _ => unreadable.push(key),
                    }
                }
                if acks.is_empty() {
                    let ops: Vec<Write> = unreadable.into_iter().filter_map(|k| if let RawKey::Seq(s) = k { Some(Write::Delete(RecordId::Ack(s))) } else { None }).collect();
                    return Ok(Want::Done(WritePlan { writes: ops, ..WritePlan::default() }, Settled::default()));
                }
                let mut reads = vec![meta_get(&[MetaKey::OutletEdits]), meta_get(&[MetaKey::Pulls])];
                for a in &acks {
                    if let Some((store, key)) = answers::target_key(&a.order_key) {
                        reads.push(Read::Get { store, keys: vec![key] });
                    }
                }
                return Ok(Want::More(reads));
            }
            let edits = Self::edits_from(codec, f.remove(0));
            let pulls = match Self::meta_records(codec, &[MetaKey::Pulls], f.remove(0)).remove(&MetaKey::Pulls) {
                Some(MetaRecord::Pulls(n)) => n,
                _ => 0,
            };
            let targets = targets_from(codec, acks.iter().map(|a| a.order_key.as_str()), f);
            let (plan, settled) = answers::settle_kept(&acks, &targets, edits, pulls);
            Ok(Want::Done(plan, settled))
        })
        .await
    }

    pub(super) fn edits_from(codec: &Codec<'_>, f: Fetched) -> Vec<PendingOutletEdit> {
        match Self::meta_records(codec, &[MetaKey::OutletEdits], f).remove(&MetaKey::OutletEdits) {
            Some(MetaRecord::OutletEdits(e)) => e,
            _ => Vec::new(),
        }
    }

    /// Format 4 kept the van's stock net of this device's pending orders; format 5 keeps the
    /// server's figure and derives the rest. Converted once, at the first unlock.
    async fn convert_format_4(&self, rng: &mut dyn Rng) -> Result<(), DeviceError> {
        let plan = {
            let state = self.state.borrow();
            let mut plan = WritePlan::new();
            for (sku, moved) in &state.on_top().van {
                if let Some(level) = state.van.get(sku) {
                    let mut level = *level;
                    level.available = Dec(level.available.value() - moved);
                    plan.put(Record::Van(VanRecord { sku: sku.clone(), level }));
                }
            }
            plan.put(Record::Meta(MetaRecord::Format(DATA_FORMAT)));
            plan
        };
        let stores = [StoreId::Meta, StoreId::Van];
        self.run(&stores, Durability::Strict, Vec::new(), rng, |_, _, _| Ok(Want::Done(plan.clone(), ()))).await
    }

    /// Signs out and forgets everything this device keeps. Refused while anything waits to sync
    /// (nothing unsynced is ever thrown away), and, unless `discard_drafts`, while drafts exist:
    /// the refusal names them, so the page can ask the user first. Answers kept while locked are
    /// forgotten with the orders they concern, which the server already holds.
    pub async fn sign_out(&self, discard_drafts: bool) -> Result<(), DeviceError> {
        let drafts: Vec<DraftSummary> = {
            let state = self.state.borrow();
            state.drafts().map(|d| d.summary(|id| state.outlets.get(id).map(|o| o.name.clone()))).collect()
        };
        let unlocked = self.is_unlocked();
        let reads = vec![Read::Count { store: StoreId::Outbox }, Read::Count { store: StoreId::Drafts }];
        let clear: Vec<RawOp> = all_stores().into_iter().map(|store| RawOp::Clear { store }).collect();
        self.store
            .update(&all_stores(), Durability::Strict, reads, |f| {
                let pending = f.first().map_or(0, Fetched::count);
                if pending > 0 {
                    let what = if pending == 1 { "1 change is".to_string() } else { format!("{pending} changes are") };
                    return Err(DeviceError::PendingWork(format!("{what} waiting to sync; signing out now would lose them. Sync first, or export them under Backup of unsynced work")));
                }
                let stored_drafts = f.get(1).map_or(0, Fetched::count) as usize;
                if stored_drafts > 0 && !discard_drafts {
                    let mut named = drafts.clone();
                    if !unlocked || named.len() < stored_drafts {
                        named.extend((named.len()..stored_drafts).map(|_| DraftSummary {
                            draft_id: String::new(),
                            outlet: "a draft (unlock to see which)".into(),
                            lines: 0,
                            updated_at: String::new(),
                        }));
                    }
                    return Err(DeviceError::DraftsWouldBeLost(named));
                }
                Ok(Step::Write(clear.clone(), ()))
            })
            .await?;
        self.record.borrow_mut().take();
        self.lock();
        Ok(())
    }

    /// Key rotation: re-encrypts up to `limit` records of `store` still sealed under the ring's
    /// retired key, in one transaction. Returns how many (0: the store is done).
    pub async fn reencrypt_batch(&self, store: StoreId, limit: usize, rng: &mut dyn Rng) -> Result<usize, DeviceError> {
        let keys = self.keys()?;
        let scope = if store == StoreId::Meta { vec![StoreId::Meta] } else { vec![StoreId::Meta, store] };
        self.run(&scope, Durability::Relaxed, vec![Read::All { store }], rng, |_, _, mut f| {
            let reseal: Vec<(StoreId, RawKey, RawValue)> = f
                .remove(0)
                .records()
                .into_iter()
                .filter(|(k, v)| (store != StoreId::Meta || matches!(k, RawKey::Text(n) if MetaKey::from_name(n).is_some_and(MetaKey::sealed))) && codec::under_retired(&keys.ring, v))
                .take(limit)
                .map(|(k, v)| (store, k, v))
                .collect();
            let n = reseal.len();
            Ok(Want::Done(WritePlan { reseal, ..WritePlan::default() }, n))
        })
        .await
    }
}

/// Decodes the records the `order_key`s name, fetched one `Get` each (in order, skipping
/// empty keys).
pub(super) fn targets_from<'k>(codec: &Codec<'_>, order_keys: impl Iterator<Item = &'k str>, fetched: Vec<Fetched>) -> HashMap<String, Target> {
    let mut out = HashMap::new();
    let mut fetched = fetched.into_iter();
    for order_key in order_keys {
        let Some((store, key)) = answers::target_key(order_key) else { continue };
        let Some(value) = fetched.next().and_then(|f| f.values().into_iter().next().flatten()) else { continue };
        match codec.decode(store, &key, &value) {
            Ok(Record::Order(o)) => {
                out.insert(order_key.to_string(), Target::Order(o));
            }
            Ok(Record::Task(t)) => {
                out.insert(order_key.to_string(), Target::Task(t));
            }
            _ => {}
        }
    }
    out
}
