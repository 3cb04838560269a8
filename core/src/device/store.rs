//! The storage port: what the device needs of a database, and a memory implementation beside it.
//!
//! The port moves raw records (keys and values as the browser stores them; sealing and keyed
//! hashing are [`super::codec`]'s job, so every implementation stores exactly the same bytes).
//! Its one write primitive, [`DeviceStore::update`], runs a read-modify-write in **one**
//! transaction: the reads, then a synchronous `decide` that either asks for more reads or returns
//! the writes, which are applied atomically (all of them or none). Two tabs updating the same
//! stores are serialized by the database, so a sequence number is never taken twice.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::schema::StoreId;

/// A record's key as stored: a sequence number (outbox, acks) or text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RawKey {
    /// A number (IndexedDB orders numbers before text).
    Seq(u64),
    /// Text: a meta key or a keyed hash.
    Text(String),
}

/// A record's value as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    /// An envelope or sealed box.
    Bytes(Vec<u8>),
    /// Clear JSON text.
    Text(String),
    /// A number (format 4's `next_seq`).
    Number(f64),
}

/// One read.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// The values under `keys` (`None` where absent), in the order of `keys`.
    Get {
        /// The store.
        store: StoreId,
        /// The keys.
        keys: Vec<RawKey>,
    },
    /// Every record, in key order.
    All {
        /// The store.
        store: StoreId,
    },
    /// The first `limit` records in key order.
    First {
        /// The store.
        store: StoreId,
        /// How many.
        limit: u32,
    },
    /// The first `limit` records whose key is above `after`, in key order.
    After {
        /// The store.
        store: StoreId,
        /// The key the records come after (excluded).
        after: RawKey,
        /// How many.
        limit: u32,
    },
    /// How many records there are.
    Count {
        /// The store.
        store: StoreId,
    },
}

/// What one [`Read`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched {
    /// For [`Read::Get`].
    Values(Vec<Option<RawValue>>),
    /// For [`Read::All`], [`Read::First`] and [`Read::After`].
    Records(Vec<(RawKey, RawValue)>),
    /// For [`Read::Count`].
    Count(u64),
}

impl Fetched {
    /// The values of a `Get` (empty for another kind).
    pub fn values(self) -> Vec<Option<RawValue>> {
        match self {
            Fetched::Values(v) => v,
            _ => Vec::new(),
        }
    }

    /// The records of an `All` or `First` (empty for another kind).
    pub fn records(self) -> Vec<(RawKey, RawValue)> {
        match self {
            Fetched::Records(r) => r,
            _ => Vec::new(),
        }
    }

    /// The count of a `Count` (0 for another kind).
    pub fn count(&self) -> u64 {
        match self {
            Fetched::Count(n) => *n,
            _ => 0,
        }
    }
}

/// One write.
#[derive(Debug, Clone, PartialEq)]
pub enum RawOp {
    /// Write `value` under `key`, replacing what is there.
    Put {
        /// The store.
        store: StoreId,
        /// The key.
        key: RawKey,
        /// The value.
        value: RawValue,
    },
    /// Write `value` under `key`; the whole update fails with [`StoreError::Exists`] if the key
    /// is taken.
    Add {
        /// The store.
        store: StoreId,
        /// The key.
        key: RawKey,
        /// The value.
        value: RawValue,
    },
    /// Remove the value under `key` (nothing there is not an error).
    Delete {
        /// The store.
        store: StoreId,
        /// The key.
        key: RawKey,
    },
    /// Remove every value of a store.
    Clear {
        /// The store.
        store: StoreId,
    },
}

impl RawOp {
    /// The store it writes.
    pub fn store(&self) -> StoreId {
        match self {
            RawOp::Put { store, .. } | RawOp::Add { store, .. } | RawOp::Delete { store, .. } | RawOp::Clear { store } => *store,
        }
    }
}

/// How durable a write must be before the update resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// On disk before it resolves: anything the user was told is saved (a sale, its outbox
    /// entry, a draft, the wrong-PIN count).
    Strict,
    /// The browser's default: data that can be fetched again (reference data).
    Relaxed,
}

/// What `decide` answers in [`DeviceStore::update`].
#[derive(Debug)]
pub enum Step<T> {
    /// Read these too (in the same transaction), then decide again.
    Read(Vec<Read>),
    /// Apply these writes, atomically, and resolve with `T`.
    Write(Vec<RawOp>, T),
}

/// Why the database failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The device is out of storage quota; nothing was written.
    #[error("this device is out of storage space; nothing was saved")]
    Full,
    /// An `Add` found its key taken; nothing was written.
    #[error("a record already exists under that key in {store:?}")]
    Exists {
        /// The store.
        store: StoreId,
    },
    /// The database is gone or closed under the app (the browser cleared the site's data, or
    /// another tab deleted or upgraded it); nothing more can be read or written.
    #[error("this device's storage was closed or cleared: {0}")]
    Gone(String),
    /// Any other failure of the database.
    #[error("local storage failed: {0}")]
    Failed(String),
}

/// The storage port. Futures need not be `Send` (the browser's are not).
#[allow(async_fn_in_trait)]
pub trait DeviceStore {
    /// Runs `reads` in one read-only transaction.
    async fn read(&self, reads: Vec<Read>) -> Result<Vec<Fetched>, StoreError>;

    /// One read-write transaction over `scope`: runs `reads`, calls `decide` with what they
    /// found, runs the further reads it asks for and calls it again, until it returns writes,
    /// which are applied atomically. An error from `decide` or from the database writes nothing.
    async fn update<T, E: From<StoreError>>(
        &self,
        scope: &[StoreId],
        durability: Durability,
        reads: Vec<Read>,
        decide: impl FnMut(Vec<Fetched>) -> Result<Step<T>, E>,
    ) -> Result<T, E>;
}

type Tables = BTreeMap<StoreId, BTreeMap<RawKey, RawValue>>;

/// A [`DeviceStore`] in memory, shared by its clones (two "tabs" of one device share one).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Rc<RefCell<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    tables: Tables,
    fail_next: Option<StoreError>,
    gone: bool,
    updates: u64,
    /// Records read and written, per store.
    touched: BTreeMap<StoreId, u64>,
}

impl MemoryInner {
    fn read(&mut self, read: &Read) -> Fetched {
        let fetched = run_read(&self.tables, read);
        let n = match &fetched {
            Fetched::Values(v) => v.iter().flatten().count(),
            Fetched::Records(r) => r.len(),
            Fetched::Count(_) => 0,
        };
        *self.touched.entry(read_store(read)).or_default() += n as u64;
        fetched
    }
}

fn read_store(read: &Read) -> StoreId {
    match read {
        Read::Get { store, .. } | Read::All { store } | Read::First { store, .. } | Read::After { store, .. } | Read::Count { store } => *store,
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next update fails with `error`, writing nothing (a full disk, a constraint).
    pub fn fail_next_update(&self, error: StoreError) {
        self.inner.borrow_mut().fail_next = Some(error);
    }

    /// The database is cleared under the app: every record is gone and every later call fails
    /// with [`StoreError::Gone`].
    pub fn clear_site_data(&self) {
        let mut inner = self.inner.borrow_mut();
        inner.tables.clear();
        inner.gone = true;
    }

    /// Every record of `store`, as stored (for tests: what a copy of the disk would show).
    pub fn raw(&self, store: StoreId) -> Vec<(RawKey, RawValue)> {
        self.inner.borrow().tables.get(&store).map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }

    /// Puts a raw record directly (for tests: a dump of an older format, a corrupt record).
    pub fn put_raw(&self, store: StoreId, key: RawKey, value: RawValue) {
        self.inner.borrow_mut().tables.entry(store).or_default().insert(key, value);
    }

    /// How many updates committed.
    pub fn updates(&self) -> u64 {
        self.inner.borrow().updates
    }

    /// How many records of `store` were read or written so far, counting every record each
    /// time (for tests: what a use case costs in records decrypted and sealed).
    pub fn touched(&self, store: StoreId) -> u64 {
        self.inner.borrow().touched.get(&store).copied().unwrap_or_default()
    }
}

fn run_read(tables: &Tables, read: &Read) -> Fetched {
    let empty = BTreeMap::new();
    let table = |s: &StoreId| tables.get(s).unwrap_or(&empty);
    match read {
        Read::Get { store, keys } => Fetched::Values(keys.iter().map(|k| table(store).get(k).cloned()).collect()),
        Read::All { store } => Fetched::Records(table(store).iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Read::First { store, limit } => {
            Fetched::Records(table(store).iter().take(*limit as usize).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        Read::After { store, after, limit } => Fetched::Records(
            table(store)
                .range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .take(*limit as usize)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Read::Count { store } => Fetched::Count(table(store).len() as u64),
    }
}

fn apply(tables: &mut Tables, ops: Vec<RawOp>, scope: &[StoreId]) -> Result<(), StoreError> {
    // Work on a copy: an Add on a taken key leaves the tables as they were.
    let mut next = tables.clone();
    for op in ops {
        let store = op.store();
        if !scope.contains(&store) {
            return Err(StoreError::Failed(format!("{store:?} is not in the transaction's scope")));
        }
        let table = next.entry(store).or_default();
        match op {
            RawOp::Put { key, value, .. } => {
                table.insert(key, value);
            }
            RawOp::Add { key, value, .. } => {
                if table.contains_key(&key) {
                    return Err(StoreError::Exists { store });
                }
                table.insert(key, value);
            }
            RawOp::Delete { key, .. } => {
                table.remove(&key);
            }
            RawOp::Clear { .. } => table.clear(),
        }
    }
    *tables = next;
    Ok(())
}

impl DeviceStore for MemoryStore {
    async fn read(&self, reads: Vec<Read>) -> Result<Vec<Fetched>, StoreError> {
        let mut inner = self.inner.borrow_mut();
        if inner.gone {
            return Err(StoreError::Gone("the site's data was cleared".into()));
        }
        Ok(reads.iter().map(|r| inner.read(r)).collect())
    }

    async fn update<T, E: From<StoreError>>(
        &self,
        scope: &[StoreId],
        _durability: Durability,
        reads: Vec<Read>,
        mut decide: impl FnMut(Vec<Fetched>) -> Result<Step<T>, E>,
    ) -> Result<T, E> {
        let mut inner = self.inner.borrow_mut();
        if inner.gone {
            return Err(StoreError::Gone("the site's data was cleared".into()).into());
        }
        let mut reads = reads;
        loop {
            for r in &reads {
                let store = read_store(r);
                if !scope.contains(&store) {
                    return Err(StoreError::Failed(format!("{store:?} is not in the transaction's scope")).into());
                }
            }
            let fetched = reads.iter().map(|r| inner.read(r)).collect();
            match decide(fetched)? {
                Step::Read(more) => reads = more,
                Step::Write(ops, out) => {
                    if let Some(e) = inner.fail_next.take() {
                        return Err(e.into());
                    }
                    let written: Vec<StoreId> = ops.iter().map(RawOp::store).collect();
                    apply(&mut inner.tables, ops, scope)?;
                    inner.updates += 1;
                    for store in written {
                        *inner.touched.entry(store).or_default() += 1;
                    }
                    return Ok(out);
                }
            }
        }
    }
}
