//! Write plans: what a use case decides to write, as typed records. The codec seals them into raw
//! writes for the store; the device state applies the same plan to memory once the store has
//! committed it, so memory and disk never disagree.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::records::{
    Ack, Counters, DeviceRecord, Draft, LegacyVan, LocalOrder, LocalTask, OutboxEntry, PendingOutletEdit, PendingUpload,
    PullState, PulledRules, ReferenceInfo, SalesMeta, SessionSecrets, VaultRecord, VanRecord,
};
use super::schema::{MetaKey, StoreId};
use super::store::{RawKey, RawValue};
use crate::sales::{CatalogProduct, NumberRange, OutletInfo};
use crate::sync::hlc::Hlc;
use crate::sync::protocol::Mutation;
use crate::vault::{KeyUsage, LockState, Zeroizing};

/// A record of `meta`.
#[derive(Clone)]
pub enum MetaRecord {
    /// See [`MetaKey::Device`].
    Device(DeviceRecord),
    /// See [`MetaKey::Vault`].
    Vault(VaultRecord),
    /// See [`MetaKey::Lock`].
    Lock(LockState),
    /// See [`MetaKey::Counters`].
    Counters(Counters),
    /// See [`MetaKey::Pull`].
    Pull(PullState),
    /// See [`MetaKey::Latency`].
    Latency(Vec<u64>),
    /// See [`MetaKey::Format`].
    Format(u32),
    /// See [`MetaKey::Session`].
    Session(SessionSecrets),
    /// See [`MetaKey::IndexKey`].
    IndexKey(Zeroizing<[u8; 32]>),
    /// See [`MetaKey::Reference`].
    Reference(ReferenceInfo),
    /// See [`MetaKey::Sales`].
    Sales(SalesMeta),
    /// See [`MetaKey::Rules`].
    Rules(PulledRules),
    /// See [`MetaKey::OutletEdits`].
    OutletEdits(Vec<PendingOutletEdit>),
    /// See [`MetaKey::Uploads`].
    Uploads(Vec<PendingUpload>),
    /// See [`MetaKey::LegacyNextSeq`].
    LegacyNextSeq(u64),
    /// See [`MetaKey::LegacyNumbers`].
    LegacyNumbers(Vec<NumberRange>),
    /// See [`MetaKey::LegacyHlc`].
    LegacyHlc(Hlc),
    /// See [`MetaKey::LegacyKeyUsage`].
    LegacyKeyUsage(KeyUsage),
    /// See [`MetaKey::LegacyVanStock`].
    LegacyVanStock(LegacyVan),
    /// See [`MetaKey::Counter`].
    Counter(super::counter::CounterState),
    /// See [`MetaKey::Day`].
    Day(super::day::DayState),
    /// See [`MetaKey::Telemetry`].
    Telemetry(Box<super::telemetry::Telemetry>),
    /// See [`MetaKey::Pulls`].
    Pulls(u64),
}

impl MetaRecord {
    /// Its key.
    pub fn key(&self) -> MetaKey {
        match self {
            MetaRecord::Device(_) => MetaKey::Device,
            MetaRecord::Vault(_) => MetaKey::Vault,
            MetaRecord::Lock(_) => MetaKey::Lock,
            MetaRecord::Counters(_) => MetaKey::Counters,
            MetaRecord::Pull(_) => MetaKey::Pull,
            MetaRecord::Pulls(_) => MetaKey::Pulls,
            MetaRecord::Latency(_) => MetaKey::Latency,
            MetaRecord::Format(_) => MetaKey::Format,
            MetaRecord::Session(_) => MetaKey::Session,
            MetaRecord::IndexKey(_) => MetaKey::IndexKey,
            MetaRecord::Reference(_) => MetaKey::Reference,
            MetaRecord::Sales(_) => MetaKey::Sales,
            MetaRecord::Rules(_) => MetaKey::Rules,
            MetaRecord::OutletEdits(_) => MetaKey::OutletEdits,
            MetaRecord::Uploads(_) => MetaKey::Uploads,
            MetaRecord::LegacyNextSeq(_) => MetaKey::LegacyNextSeq,
            MetaRecord::LegacyNumbers(_) => MetaKey::LegacyNumbers,
            MetaRecord::LegacyHlc(_) => MetaKey::LegacyHlc,
            MetaRecord::LegacyKeyUsage(_) => MetaKey::LegacyKeyUsage,
            MetaRecord::LegacyVanStock(_) => MetaKey::LegacyVanStock,
            MetaRecord::Counter(_) => MetaKey::Counter,
            MetaRecord::Day(_) => MetaKey::Day,
            MetaRecord::Telemetry(_) => MetaKey::Telemetry,
        }
    }
}

/// A record of any store, decoded.
#[derive(Clone)]
pub enum Record {
    /// In `meta`.
    Meta(MetaRecord),
    /// In `products`.
    Product(CatalogProduct),
    /// In `outlets` (the server's values).
    Outlet(OutletInfo),
    /// In `orders`.
    Order(LocalOrder),
    /// In `outbox`, as stored.
    Outbox(OutboxEntry),
    /// A new outbox entry: the codec seals `mutation` to the server and names `target`'s record.
    NewOutbox {
        /// The mutation (its `seq` is the entry's key).
        mutation: Mutation,
        /// The record whose fate its answer settles (an order or a task), if any.
        target: Option<RecordId>,
        /// When it was committed (ms since the epoch).
        committed_ms: u64,
    },
    /// In `acks`: an answer received while locked, under its sequence number.
    Ack(u64, Ack),
    /// In `drafts`.
    Draft(Draft),
    /// In `tasks`.
    Task(LocalTask),
    /// In `blobs`.
    Blob {
        /// Its address.
        sha256: String,
        /// Its bytes.
        bytes: Zeroizing<Vec<u8>>,
    },
    /// In `van` (the server's figure).
    Van(VanRecord),
}

/// A record's identity: its store and its logical key (before keyed hashing).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "store", content = "key", rename_all = "snake_case")]
pub enum RecordId {
    /// A meta key.
    Meta(MetaKey),
    /// A product, by SKU.
    Product(String),
    /// An outlet, by id.
    Outlet(String),
    /// An order, by id.
    Order(Uuid),
    /// An outbox entry, by sequence number.
    Outbox(u64),
    /// An answer kept while locked, by sequence number.
    Ack(u64),
    /// A draft, by id.
    Draft(Uuid),
    /// A task, by id.
    Task(String),
    /// A photo, by SHA-256.
    Blob(String),
    /// A van figure, by SKU.
    Van(String),
}

impl RecordId {
    /// The store it lives in.
    pub fn store(&self) -> StoreId {
        match self {
            RecordId::Meta(_) => StoreId::Meta,
            RecordId::Product(_) => StoreId::Products,
            RecordId::Outlet(_) => StoreId::Outlets,
            RecordId::Order(_) => StoreId::Orders,
            RecordId::Outbox(_) => StoreId::Outbox,
            RecordId::Ack(_) => StoreId::Acks,
            RecordId::Draft(_) => StoreId::Drafts,
            RecordId::Task(_) => StoreId::Tasks,
            RecordId::Blob(_) => StoreId::Blobs,
            RecordId::Van(_) => StoreId::Van,
        }
    }
}

impl Record {
    /// Its identity.
    pub fn id(&self) -> RecordId {
        match self {
            Record::Meta(m) => RecordId::Meta(m.key()),
            Record::Product(p) => RecordId::Product(p.sku.clone()),
            Record::Outlet(o) => RecordId::Outlet(o.id.clone()),
            Record::Order(o) => RecordId::Order(o.order_id()),
            Record::Outbox(e) => RecordId::Outbox(e.seq),
            Record::NewOutbox { mutation, .. } => RecordId::Outbox(mutation.seq),
            Record::Ack(seq, _) => RecordId::Ack(*seq),
            Record::Draft(d) => RecordId::Draft(d.draft_id),
            Record::Task(t) => RecordId::Task(t.task.id.clone()),
            Record::Blob { sha256, .. } => RecordId::Blob(sha256.clone()),
            Record::Van(v) => RecordId::Van(v.sku.clone()),
        }
    }
}

/// One write of a plan.
#[derive(Clone)]
pub enum Write {
    /// Write the record, replacing what is there.
    Put(Record),
    /// Write the record; the plan fails if its key is taken.
    Add(Record),
    /// Remove a record.
    Delete(RecordId),
    /// Remove every record of a store.
    Clear(StoreId),
}

/// What a use case writes, in one transaction.
#[derive(Clone, Default)]
pub struct WritePlan {
    /// The writes, in order.
    pub writes: Vec<Write>,
    /// The counters after the plan, when it advanced them (the codec also records the seals it
    /// performed in them).
    pub counters: Option<Counters>,
    /// Records to seal again under the current key, as stored (a key rotation's step; their
    /// content does not change).
    pub reseal: Vec<(StoreId, RawKey, RawValue)>,
}

impl WritePlan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put.
    pub fn put(&mut self, record: Record) -> &mut Self {
        self.writes.push(Write::Put(record));
        self
    }

    /// Adds an add.
    pub fn add(&mut self, record: Record) -> &mut Self {
        self.writes.push(Write::Add(record));
        self
    }

    /// Adds a delete.
    pub fn delete(&mut self, id: RecordId) -> &mut Self {
        self.writes.push(Write::Delete(id));
        self
    }

    /// Whether it writes nothing.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.counters.is_none() && self.reseal.is_empty()
    }

    /// The records it writes or deletes (what other tabs re-read), and whether it clears a whole
    /// store (then they reload everything).
    pub fn touched(&self) -> (Vec<RecordId>, bool) {
        let mut ids = Vec::new();
        let mut cleared = false;
        for w in &self.writes {
            match w {
                Write::Put(r) | Write::Add(r) => ids.push(r.id()),
                Write::Delete(id) => ids.push(id.clone()),
                Write::Clear(_) => cleared = true,
            }
        }
        if self.counters.is_some() {
            ids.push(RecordId::Meta(MetaKey::Counters));
        }
        ids.sort();
        ids.dedup();
        (ids, cleared)
    }
}
