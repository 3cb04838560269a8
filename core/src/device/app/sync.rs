//! What the sync loop asks of the device: the outbox to push (no key needed), the server's
//! answers recorded (locked or not), pull pages merged, photos read and marked uploaded, and the
//! figures the status panel shows.

use serde::Serialize;

use super::lifecycle::targets_from;
use super::{meta_get, Device, Want};
use crate::device::answers::{self, Settled, Target};
use crate::device::codec::Codec;
use crate::device::error::DeviceError;
use crate::device::plan::{MetaRecord, Record, RecordId};
use crate::device::pull::{self, PageInputs, PageOutcome};
use crate::device::records::{Counters, OutboxEntry, PullState};
use crate::device::schema::{MetaKey, StoreId};
use crate::device::store::{DeviceStore, Durability, Fetched, RawKey, RawValue, Read};
use crate::sales::NumberRange;
use crate::sync::protocol::{push_fits, MutationResult, PullResponse, SealedMutation};
use crate::vault::{Rng, Zeroizing};

/// The oldest entries of the outbox, as pushed.
#[derive(Clone)]
pub struct Outbox {
    /// The sealed entries, in sequence order.
    pub sealed: Vec<SealedMutation>,
    /// Document numbers the device has left (the server leases more when they run low).
    pub numbers_left: u64,
    /// Receipt numbers of the user's register left (a cashier's device only).
    pub receipts_left: Option<u64>,
    /// When each entry was committed (ms since the epoch, device clock; 0: not recorded), by
    /// sequence number: the entry-to-ack times the telemetry counts.
    pub committed_ms: Vec<(u64, u64)>,
    /// What the device has committed, for the server's high-water marks (issue 20).
    pub marks: crate::sync::marks::DeviceMarks,
}

impl Outbox {
    /// The last sequence number in the batch (`None`: the batch is empty).
    pub fn last_seq(&self) -> Option<u64> {
        self.sealed.last().map(|e| e.seq)
    }
}

/// The status panel's figures, read from the store (never guessed).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncFigures {
    /// Entries waiting.
    pub pending: u64,
    /// When the oldest waiting entry was committed (ms since the epoch).
    pub oldest_pending_ms: Option<u64>,
    /// Commit-to-acknowledgement latency, median (ms).
    pub latency_p50_ms: Option<u64>,
    /// Its 95th percentile (ms).
    pub latency_p95_ms: Option<u64>,
    /// How many samples the percentiles are over.
    pub latency_samples: usize,
    /// Where the pull stands.
    pub pull: PullState,
}

/// What settling answers read first: the answered entries, the latency samples, the pulls
/// completed and the unanswered outlet edits (still sealed).
struct AnswersRead {
    entries: Vec<Option<OutboxEntry>>,
    latency: Vec<u64>,
    pulls: u64,
    edits: Fetched,
}

/// A photo's bytes, read for upload.
pub type Blob = Zeroizing<Vec<u8>>;

fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn clear_value<T: serde::de::DeserializeOwned>(v: Option<RawValue>) -> Option<T> {
    v.as_ref().and_then(|v| crate::device::codec::clear(v).ok())
}

fn entries(fetched: Fetched) -> Vec<Option<OutboxEntry>> {
    fetched.values().into_iter().map(clear_value).collect()
}

impl<S: DeviceStore> Device<S> {
    /// The oldest sealed entries waiting for the server (after sequence number `after`, when
    /// given: the next batch, read while the one up to `after` is in flight), at most `limit`
    /// and no more than fit one push's body ([`push_fits`]), and the document numbers left.
    /// Needs no key: a locked device pushes too.
    pub async fn outbox_batch(&self, after: Option<u64>, limit: u32) -> Result<Outbox, DeviceError> {
        self.outbox_read(after, limit, true).await
    }

    /// The oldest `limit` entries after `after`; `fit`: no more than fit one push.
    pub(super) async fn outbox_read(&self, after: Option<u64>, limit: u32, fit: bool) -> Result<Outbox, DeviceError> {
        let entries = match after {
            Some(seq) => Read::After { store: StoreId::Outbox, after: RawKey::Seq(seq), limit },
            None => Read::First { store: StoreId::Outbox, limit },
        };
        let f = self.store.read(vec![entries, meta_get(&[MetaKey::Counters])]).await?;
        let mut f = f.into_iter();
        let mut entries = f
            .next()
            .map(Fetched::records)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, v)| clear_value::<OutboxEntry>(Some(v)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| DeviceError::Corrupt { what: "outbox".into() })?;
        if fit {
            entries.truncate(push_fits(entries.iter().map(|e| e.sealed.len())));
        }
        let committed_ms = entries.iter().map(|e| (e.seq, e.committed_ms)).collect();
        let sealed = entries.into_iter().map(|e| SealedMutation { seq: e.seq, id: e.id, sealed: e.sealed }).collect();
        let counters: Counters = clear_value(f.next().and_then(|f| f.values().into_iter().next().flatten())).unwrap_or_default();
        let record = self.record();
        let is_receipt = |r: &NumberRange| record.as_ref().is_some_and(|d| d.is_receipt_range(r));
        let numbers_left = crate::sales::numbering::remaining_where(&counters.number_ranges, |r| !is_receipt(r));
        let receipts_left = record.as_ref().and_then(|d| d.register.as_ref()).map(|_| crate::sales::numbering::remaining_where(&counters.number_ranges, is_receipt));
        let mut unused_ranges: Vec<NumberRange> = counters.number_ranges.iter().filter(|r| !is_receipt(r) && !r.is_empty()).cloned().collect();
        unused_ranges.truncate(crate::sync::marks::MAX_UNUSED_RANGES);
        let marks = crate::sync::marks::DeviceMarks { committed_seq: counters.next_seq.saturating_sub(1), unused_ranges };
        Ok(Outbox { sealed, numbers_left, receipts_left, committed_ms, marks })
    }

    /// Counts ranges an answer leased into a batch read before the answer was settled, as if
    /// it had been read after: so the next push does not ask for a lease the device has.
    pub fn count_leased(&self, outbox: &mut Outbox, leased: &[NumberRange]) {
        let record = self.record();
        let is_receipt = |r: &NumberRange| record.as_ref().is_some_and(|d| d.is_receipt_range(r));
        for r in leased.iter().filter(|r| !r.is_empty()) {
            if is_receipt(r) {
                if let Some(left) = outbox.receipts_left.as_mut() {
                    *left = left.saturating_add(r.len());
                }
            } else if !outbox.marks.unused_ranges.contains(r) {
                outbox.numbers_left = outbox.numbers_left.saturating_add(r.len());
                if outbox.marks.unused_ranges.len() < crate::sync::marks::MAX_UNUSED_RANGES {
                    outbox.marks.unused_ranges.push(r.clone());
                }
            }
        }
    }

    /// The status panel's figures, read from the store: an error here is shown as such, never
    /// as "nothing waiting".
    pub async fn sync_figures(&self) -> Result<SyncFigures, DeviceError> {
        let f = self
            .store
            .read(vec![Read::Count { store: StoreId::Outbox }, Read::First { store: StoreId::Outbox, limit: 1 }, meta_get(&[MetaKey::Latency, MetaKey::Pull])])
            .await?;
        let mut f = f.into_iter();
        let pending = f.next().map_or(0, |c| c.count());
        let oldest = f.next().map(Fetched::records).unwrap_or_default();
        let oldest_pending_ms = oldest.first().and_then(|(_, v)| clear_value::<OutboxEntry>(Some(v.clone()))).map(|e| e.committed_ms).filter(|ms| *ms > 0);
        let mut meta = f.next().map(Fetched::values).unwrap_or_default().into_iter();
        let mut latency: Vec<u64> = clear_value(meta.next().flatten()).unwrap_or_default();
        let pull: PullState = clear_value(meta.next().flatten()).unwrap_or_default();
        latency.sort_unstable();
        Ok(SyncFigures {
            pending,
            oldest_pending_ms,
            latency_p50_ms: percentile(&latency, 50),
            latency_p95_ms: percentile(&latency, 95),
            latency_samples: latency.len(),
            pull,
        })
    }

    /// Records the server's answers to a push: unlocked, straight onto the orders and task
    /// completions; locked, kept sealed to the device's own key until the next unlock. Returns
    /// what was settled (`None` while locked).
    pub async fn acknowledge(&self, results: &[MutationResult], new_ranges: &[NumberRange], now_ms: u64, rng: &mut dyn Rng) -> Result<Option<Settled>, DeviceError> {
        let seqs: Vec<RawKey> = results.iter().map(|r| RawKey::Seq(r.seq)).collect();
        if !self.is_unlocked() {
            let reads = vec![Read::Get { store: StoreId::Outbox, keys: seqs }, meta_get(&[MetaKey::Latency])];
            let scope = [StoreId::Meta, StoreId::Outbox, StoreId::Acks];
            return self
                .run(&scope, Durability::Strict, reads, rng, |_, counters, mut f| {
                    let entries = entries(f.remove(0));
                    let latency: Vec<u64> = clear_value(f.remove(0).values().into_iter().next().flatten()).unwrap_or_default();
                    Ok(Want::Done(answers::keep(results, &entries, counters, latency, new_ranges, now_ms), None))
                })
                .await;
        }
        // The pull state is read in the transaction: an order applied now awaits the pull after
        // the ones completed so far, whichever tab completed them.
        let reads = vec![Read::Get { store: StoreId::Outbox, keys: seqs }, meta_get(&[MetaKey::Latency, MetaKey::Pulls, MetaKey::OutletEdits])];
        let scope = [StoreId::Meta, StoreId::Outbox, StoreId::Orders, StoreId::Tasks];
        let mut first: Option<AnswersRead> = None;
        self.run(&scope, Durability::Strict, reads, rng, |codec, counters, mut f| {
            let Some(AnswersRead { entries, latency, pulls, edits }) = first.take() else {
                let entries = entries(f.remove(0));
                let meta = f.remove(0);
                let mut values = meta.clone().values().into_iter();
                let latency: Vec<u64> = clear_value(values.next().flatten()).unwrap_or_default();
                let pulls: u64 = clear_value(values.next().flatten()).unwrap_or_default();
                let edits = Fetched::Values(values.collect());
                let targets: Vec<Read> = answers::answered(results, &entries)
                    .iter()
                    .filter_map(|(_, e)| answers::target_key(&e.order_key))
                    .map(|(store, key)| Read::Get { store, keys: vec![key] })
                    .collect();
                first = Some(AnswersRead { entries, latency, pulls, edits });
                return Ok(Want::More(targets));
            };
            let keys: Vec<&str> = answers::answered(results, &entries).iter().map(|(_, e)| e.order_key.as_str()).collect();
            let targets = targets_from(codec, keys.into_iter(), f);
            let edits = Self::edits_from(codec, edits);
            let (plan, settled) = answers::settle(results, &entries, &targets, edits, counters, pulls, latency, new_ranges, now_ms);
            Ok(Want::Done(plan, Some(settled)))
        })
        .await
    }

    /// Merges one pull page and stores its checkpoint, in one transaction.
    pub async fn apply_pull_page(&self, page: &PullResponse, rng: &mut dyn Rng) -> Result<PageOutcome, DeviceError> {
        let keys = self.keys()?;
        let (wanted, scan) = pull::wanted(&self.state.borrow(), page);
        let record = self.record().ok_or(DeviceError::NotSignedIn)?;
        let codec = Codec { device: &record, keys: Some(&keys) };
        let mut reads = vec![meta_get(&META_FOR_PAGE)];
        let mut ids = Vec::new();
        for id in &wanted {
            reads.push(Read::Get { store: id.store(), keys: vec![codec.raw_key(id)?] });
            ids.push(id.clone());
        }
        if scan {
            reads.push(Read::All { store: StoreId::Orders });
            reads.push(Read::All { store: StoreId::Tasks });
        }
        let scope = [StoreId::Meta, StoreId::Products, StoreId::Outlets, StoreId::Tasks, StoreId::Orders, StoreId::Van];
        let outcome = self
            .run(&scope, Durability::Relaxed, reads, rng, |codec, _, mut f| {
                let mut inputs = PageInputs::default();
                for (k, m) in Self::meta_records(codec, &META_FOR_PAGE, f.remove(0)) {
                    match (k, m) {
                        (_, MetaRecord::Sales(s)) => inputs.sales = Some(s),
                        (_, MetaRecord::Rules(r)) => inputs.rules = Some(r),
                        (_, MetaRecord::Pull(p)) => inputs.pull = p,
                        (_, MetaRecord::Pulls(n)) => inputs.pulls = n,
                        (_, MetaRecord::Reference(r)) => inputs.reference = Some(r),
                        _ => {}
                    }
                }
                let mut found: Vec<Record> = Vec::new();
                for (id, fetched) in ids.iter().zip(f.iter().cloned()) {
                    if let Some(Some(v)) = fetched.values().into_iter().next() {
                        if let Ok(r) = codec.decode(id.store(), &codec.raw_key(id)?, &v) {
                            found.push(r);
                        }
                    }
                }
                for (store, fetched) in [StoreId::Orders, StoreId::Tasks].into_iter().zip(f.into_iter().skip(ids.len())) {
                    for (key, value) in fetched.records() {
                        if let Ok(r) = codec.decode(store, &key, &value) {
                            found.push(r);
                        }
                    }
                }
                for r in found {
                    match r {
                        Record::Order(o) => {
                            inputs.targets.insert(o.mutation_id, Target::Order(o));
                        }
                        Record::Task(t) => {
                            if let Some(c) = &t.completion {
                                inputs.targets.insert(c.mutation_id, Target::Task(t.clone()));
                            }
                            inputs.tasks.insert(t.task.id.clone(), t);
                        }
                        _ => {}
                    }
                }
                let state = self.state.borrow();
                let (plan, outcome) = pull::merge(&state, page, inputs);
                Ok(Want::Done(plan, outcome))
            })
            .await?;
        self.with_state_mut(|s| {
            // What the page shows changed under it: the page re-reads its lists.
            if !page.changes.is_empty() || page.reset {
                s.generation += 1;
            }
            if !page.has_more {
                s.index_now();
            }
        });
        Ok(outcome)
    }

    /// Where the pull stands (no key needed).
    pub async fn pull_state(&self) -> Result<PullState, DeviceError> {
        let f = self.store.read(vec![meta_get(&[MetaKey::Pull])]).await?;
        Ok(clear_value(f.into_iter().next().and_then(|f| f.values().into_iter().next().flatten())).unwrap_or_default())
    }

    /// A photo's bytes (opened), if the device still has it.
    pub async fn blob(&self, sha256: &str) -> Result<Option<Blob>, DeviceError> {
        let keys = self.keys()?;
        let record = self.record().ok_or(DeviceError::NotSignedIn)?;
        let codec = Codec { device: &record, keys: Some(&keys) };
        let key = codec.raw_key(&RecordId::Blob(sha256.to_string()))?;
        let f = self.store.read(vec![Read::Get { store: StoreId::Blobs, keys: vec![key.clone()] }]).await?;
        let Some(value) = f.into_iter().next().and_then(|f| f.values().into_iter().next().flatten()) else { return Ok(None) };
        codec.decode_blob(&key, &value).map(Some).map_err(|_| DeviceError::Corrupt { what: "photo".into() })
    }

    /// The server holds the photo whole: it leaves the upload list (the sealed copy stays, for
    /// the task's screen).
    pub async fn upload_done(&self, sha256: &str, rng: &mut dyn Rng) -> Result<(), DeviceError> {
        self.keys()?;
        self.run(&[StoreId::Meta], Durability::Relaxed, vec![meta_get(&[MetaKey::Uploads])], rng, |codec, _, mut f| {
            let mut uploads = match Self::meta_records(codec, &[MetaKey::Uploads], f.remove(0)).remove(&MetaKey::Uploads) {
                Some(MetaRecord::Uploads(u)) => u,
                _ => Vec::new(),
            };
            uploads.retain(|u| u.blob.sha256 != sha256);
            let mut plan = crate::device::plan::WritePlan::new();
            plan.put(Record::Meta(MetaRecord::Uploads(uploads)));
            Ok(Want::Done(plan, ()))
        })
        .await
    }
}

const META_FOR_PAGE: [MetaKey; 5] = [MetaKey::Sales, MetaKey::Rules, MetaKey::Pull, MetaKey::Reference, MetaKey::Pulls];
