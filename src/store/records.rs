//! The records of issue 6: pull pages applied with their checkpoint, tasks and their
//! completion, photos (sealed blobs) waiting for upload, and held mutations the user discards.

use std::collections::BTreeMap;

use satchel_core::sync::protocol::{BlobRef, Change, Discard, Entity, PullResponse, SettingsView, TaskCompletion, TaskStatus, TaskView};

use super::*;

/// Where the pull stands (`meta/pull`, in clear: a checkpoint tells nothing of the business, and
/// the status panel reads it while locked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullState {
    /// Where the next page starts (`None`: the initial sync has not started).
    pub checkpoint: Option<String>,
    /// The initial sync finished once (every page was applied).
    pub complete: bool,
    /// Changes the server said remained after the last page.
    pub remaining: u64,
    /// When the last page was applied (the server's clock, RFC 3339).
    pub pulled_at: Option<String>,
}

/// A task as the device keeps it: the server's view and, once the rep completed it here, the
/// completion and what the server made of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalTask {
    /// The task as the server last sent it.
    pub task: TaskView,
    /// This device's completion, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<LocalCompletion>,
}

/// A completion recorded on this device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalCompletion {
    /// The `task.complete` mutation.
    pub mutation_id: Uuid,
    /// Its sequence number.
    pub seq: u64,
    /// When (RFC 3339).
    pub completed_at: String,
    /// The rep's note.
    pub note: String,
    /// The photos.
    pub photos: Vec<BlobRef>,
    /// Where it stands with the server (the order statuses apply).
    pub status: OrderStatus,
    /// Why it was refused, held or deferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A photo waiting to be uploaded (the list is sealed in `meta/uploads`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    /// The blob.
    pub blob: BlobRef,
}

/// How much room photos may take on the device while they wait for upload.
pub const MAX_PENDING_PHOTO_BYTES: u64 = 64 * 1024 * 1024;

/// What a pull page changed, for the in-memory reference.
#[derive(Debug, Default)]
pub struct PageDelta {
    /// The page restarted the initial sync: everything before it is gone.
    pub reset: bool,
    /// Products upserted (`Some`) or deleted (`None`), by SKU.
    pub products: Vec<(String, Option<CatalogProduct>)>,
    /// Outlets upserted or deleted, by id, with this device's unanswered edits on top.
    pub outlets: Vec<(String, Option<OutletInfo>)>,
    /// Tasks upserted or deleted, by id, with this device's completions kept.
    pub tasks: Vec<(String, Option<LocalTask>)>,
    /// The sales meta (settings, role, price lists) when it changed.
    pub sales: Option<SalesMeta>,
    /// The rule sets when they changed.
    pub rules: Option<BTreeMap<String, serde_json::Value>>,
    /// Van stock upserted or deleted, by SKU (with this device's unsynced takes deducted).
    pub van_stock: Vec<(String, Option<StockLevel>)>,
    /// Orders whose outcome arrived with the page.
    pub orders: Vec<LocalOrder>,
    /// The pull's state after the page.
    pub state: PullState,
    /// Records that could not be decoded (skipped, counted).
    pub undecodable: usize,
}

impl PageDelta {
    /// Whether the page changed anything the workspace shows.
    pub fn changed(&self) -> bool {
        self.reset
            || !self.products.is_empty()
            || !self.outlets.is_empty()
            || !self.tasks.is_empty()
            || self.sales.is_some()
            || self.rules.is_some()
            || !self.van_stock.is_empty()
            || !self.orders.is_empty()
    }
}

/// Applies a task outcome (from an answer or a pull) to the task's completion.
pub(super) async fn apply_task_outcome(
    tasks: &Store,
    sealer: &mut Sealer,
    keys: &Keys,
    task_key: &str,
    outcome: &Outcome,
) -> Result<Option<LocalTask>, SatchelError> {
    let k: JsValue = task_key.into();
    let Some(v) = tasks.get(&k).await? else { return Ok(None) };
    let Ok(mut task) = open_json::<LocalTask>(&keys.ring, TASKS, task_key, &v) else { return Ok(None) };
    let Some(c) = task.completion.as_mut() else { return Ok(None) };
    apply_outcome_to(&mut c.status, &mut c.reason, outcome);
    if matches!(c.status, OrderStatus::Synced | OrderStatus::Flagged) {
        task.task.status = TaskStatus::Done;
    }
    tasks.put(&k, &sealer.seal_json(&keys.ring.current, TASKS, task_key, &task)?).await?;
    Ok(Some(task))
}

impl LocalStore {
    /// The pull's state (no key needed).
    pub async fn pull_state(&self) -> Result<PullState, SatchelError> {
        Ok(self.meta_get::<PullState>(KEY_PULL).await?.unwrap_or_default())
    }

    /// Applies one pull page and stores its checkpoint in ONE transaction, so an interrupted
    /// pull resumes where it stopped and a page is never half applied.
    ///
    /// Never overwrites this device's unacknowledged changes: an outlet keeps the device's
    /// unanswered edits on top of the server's values, a task keeps the device's completion, and
    /// the van's stock keeps what unsynced orders took (`pending_takes`).
    pub async fn apply_pull_page(
        &self,
        keys: &Keys,
        page: &PullResponse,
        pending_takes: &BTreeMap<String, Dec>,
    ) -> Result<PageDelta, SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS, TASKS, ORDERS, VAN], Mode::ReadWrite, Durability::Default)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let (ps, os, ts, van) = (tx.store(PRODUCTS)?, tx.store(OUTLETS)?, tx.store(TASKS)?, tx.store(VAN)?);
            let mut delta = PageDelta { reset: page.reset, ..PageDelta::default() };
            if page.reset {
                ps.clear().await?;
                os.clear().await?;
                van.clear().await?;
                for k in [KEY_SALES, KEY_VAN_STOCK, KEY_RULES] {
                    meta.delete(&k.into()).await?;
                }
            }
            let mut sales: Option<SalesMeta> = None;
            let mut rules: Option<BTreeMap<String, serde_json::Value>> = None;
            let mut edits: Option<Vec<PendingOutletEdit>> = None;
            let mut results: Vec<MutationResult> = Vec::new();
            for change in &page.changes {
                match change.entity {
                    Entity::Product => {
                        let rk = keys.record_key(PRODUCTS, &change.key);
                        match decode::<CatalogProduct>(change, &mut delta.undecodable) {
                            Some(Some(p)) => {
                                ps.put_queued(&rk.as_str().into(), &sealer.seal_json(key, PRODUCTS, &rk, &p)?)?;
                                delta.products.push((change.key.clone(), Some(p)));
                            }
                            Some(None) => {
                                ps.delete(&rk.as_str().into()).await?;
                                delta.products.push((change.key.clone(), None));
                            }
                            None => {}
                        }
                    }
                    Entity::Outlet => {
                        let rk = keys.record_key(OUTLETS, &change.key);
                        match decode::<OutletInfo>(change, &mut delta.undecodable) {
                            Some(Some(mut o)) => {
                                if edits.is_none() {
                                    edits = Some(match meta.get(&KEY_OUTLET_EDITS.into()).await? {
                                        Some(v) => open_json(&keys.ring, META, KEY_OUTLET_EDITS, &v).unwrap_or_default(),
                                        None => Vec::new(),
                                    });
                                }
                                // The device's own unanswered edits stay on top.
                                for e in edits.iter().flatten().filter(|e| e.patch.outlet_id == change.key) {
                                    apply_edit(&mut o, &e.patch);
                                }
                                os.put_queued(&rk.as_str().into(), &sealer.seal_json(key, OUTLETS, &rk, &o)?)?;
                                delta.outlets.push((change.key.clone(), Some(o)));
                            }
                            Some(None) => {
                                os.delete(&rk.as_str().into()).await?;
                                delta.outlets.push((change.key.clone(), None));
                            }
                            None => {}
                        }
                    }
                    Entity::Task => {
                        let rk = keys.record_key(TASKS, &change.key);
                        let existing: Option<LocalTask> = match ts.get(&rk.as_str().into()).await? {
                            Some(v) => open_json(&keys.ring, TASKS, &rk, &v).ok(),
                            None => None,
                        };
                        match decode::<TaskView>(change, &mut delta.undecodable) {
                            Some(Some(task)) => {
                                let completion = existing.and_then(|t| t.completion);
                                let mut local = LocalTask { task, completion };
                                // A completion the server has not answered yet stands on this device.
                                if local.completion.as_ref().is_some_and(|c| matches!(c.status, OrderStatus::Pending | OrderStatus::Waiting))
                                    && local.task.status == TaskStatus::Open
                                {
                                    local.task.status = TaskStatus::Done;
                                }
                                ts.put_queued(&rk.as_str().into(), &sealer.seal_json(key, TASKS, &rk, &local)?)?;
                                delta.tasks.push((change.key.clone(), Some(local)));
                            }
                            Some(None) => {
                                // A task with an unanswered completion is kept until answered.
                                let keep = existing.as_ref().and_then(|t| t.completion.as_ref()).is_some_and(|c| c.status == OrderStatus::Pending);
                                if !keep {
                                    ts.delete(&rk.as_str().into()).await?;
                                    delta.tasks.push((change.key.clone(), None));
                                }
                            }
                            None => {}
                        }
                    }
                    Entity::Settings | Entity::PriceList => {
                        if sales.is_none() {
                            sales = Some(match meta.get(&KEY_SALES.into()).await? {
                                Some(v) => open_json(&keys.ring, META, KEY_SALES, &v).unwrap_or_else(|_| empty_sales()),
                                None => empty_sales(),
                            });
                        }
                        let s = sales.as_mut().expect("loaded above");
                        if change.entity == Entity::Settings {
                            if let Some(Some(view)) = decode::<SettingsView>(change, &mut delta.undecodable) {
                                s.settings = Some(view.settings);
                                s.role = view.role;
                            }
                        } else {
                            s.price_lists.retain(|p| p.id != change.key);
                            if let Some(Some(list)) = decode::<PriceList>(change, &mut delta.undecodable) {
                                s.price_lists.push(list);
                            }
                        }
                    }
                    Entity::RuleSet => {
                        if rules.is_none() {
                            rules = Some(match meta.get(&KEY_RULES.into()).await? {
                                Some(v) => open_json(&keys.ring, META, KEY_RULES, &v).unwrap_or_default(),
                                None => BTreeMap::new(),
                            });
                        }
                        let r = rules.as_mut().expect("loaded above");
                        match &change.data {
                            Some(v) => {
                                r.insert(change.key.clone(), v.clone());
                            }
                            None => {
                                r.remove(&change.key);
                            }
                        }
                    }
                    Entity::VanStock => {
                        let rk = keys.record_key(VAN, &change.key);
                        match decode::<StockLevel>(change, &mut delta.undecodable) {
                            Some(Some(mut level)) => {
                                // What this device's unsynced orders took is not in the server's figure yet.
                                if let Some(taken) = pending_takes.get(&change.key) {
                                    level.available = Dec(level.available.value() - taken.value());
                                }
                                let record = VanRecord { sku: change.key.clone(), level };
                                van.put_queued(&rk.as_str().into(), &sealer.seal_json(key, VAN, &rk, &record)?)?;
                                delta.van_stock.push((record.sku, Some(record.level)));
                            }
                            Some(None) => {
                                van.delete(&rk.as_str().into()).await?;
                                delta.van_stock.push((change.key.clone(), None));
                            }
                            None => {}
                        }
                    }
                    Entity::MutationResult => {
                        if let Some(Some(r)) = decode::<MutationResult>(change, &mut delta.undecodable) {
                            results.push(r);
                        }
                    }
                }
            }
            if let Some(s) = &sales {
                meta.put_queued(&KEY_SALES.into(), &sealer.seal_json(key, META, KEY_SALES, s)?)?;
            }
            if let Some(r) = &rules {
                meta.put_queued(&KEY_RULES.into(), &sealer.seal_json(key, META, KEY_RULES, r)?)?;
            }
            if !results.is_empty() {
                delta.orders = apply_results_by_id(&tx.store(ORDERS)?, &ts, &mut sealer, keys, &results, &mut delta.tasks).await?;
            }
            let previous: PullState = match meta.get(&KEY_PULL.into()).await? {
                Some(v) => from_clear_json("pull", &v).unwrap_or_default(),
                None => PullState::default(),
            };
            let state = PullState {
                checkpoint: Some(page.checkpoint.clone()),
                complete: (previous.complete && !page.reset) || !page.has_more,
                remaining: page.remaining,
                pulled_at: Some(page.server_time.to_rfc3339()),
            };
            meta.put_queued(&KEY_PULL.into(), &clear_json(&state)?)?;
            if !page.has_more {
                // A complete pull brought the van one record per SKU: version 3's map is stale.
                meta.delete(&KEY_VAN_STOCK.into()).await?;
                let currency = sales.as_ref().and_then(|s| s.settings.as_ref()).map(|s| s.currency.clone());
                let old: Option<ReferenceInfo> = match meta.get(&KEY_REFERENCE.into()).await? {
                    Some(v) => open_json(&keys.ring, META, KEY_REFERENCE, &v).ok(),
                    None => None,
                };
                let currency = currency.or(old.map(|o| o.currency)).unwrap_or_default();
                let info = ReferenceInfo { as_of: page.server_time.to_rfc3339(), currency };
                meta.put_queued(&KEY_REFERENCE.into(), &sealer.seal_json(key, META, KEY_REFERENCE, &info)?)?;
            }
            delta.sales = sales;
            delta.rules = rules;
            delta.state = state;
            sealer.finish(&meta).await?;
            Ok(delta)
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Records the completion of a task: the task as the device now shows it, the photos (sealed)
    /// with their upload entries, and the `task.complete` outbox entry (sealed to the server), in
    /// ONE strict transaction. Photos over the limits are refused before anything is written.
    pub async fn commit_task_completion(
        &self,
        keys: &Keys,
        device: &DeviceRecord,
        mutation_id: Uuid,
        task: &LocalTask,
        completion: TaskCompletion,
        photos: &[Vec<u8>],
    ) -> Result<LocalTask, SatchelError> {
        let server_key = sealing::key_from_hex(&device.server_public_key).map_err(|_| corrupt("device"))?;
        let tx = self.db.transaction(&[META, TASKS, OUTBOX, BLOBS], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let mut uploads: Vec<PendingUpload> = match meta.get(&KEY_UPLOADS.into()).await? {
                Some(v) => open_json(&keys.ring, META, KEY_UPLOADS, &v)?,
                None => Vec::new(),
            };
            let waiting: u64 = uploads.iter().map(|u| u.blob.size).sum();
            let adding: u64 = completion.photos.iter().map(|b| b.size).sum();
            if waiting + adding > MAX_PENDING_PHOTO_BYTES {
                return Err(SatchelError::Validation {
                    detail: "photo_storage_full".into(),
                    field: "photos".into(),
                    message: format!(
                        "photos waiting for upload would take {} MB; the device keeps at most {} MB of them. Sync, then try again",
                        (waiting + adding).div_ceil(1024 * 1024),
                        MAX_PENDING_PHOTO_BYTES / (1024 * 1024)
                    ),
                });
            }
            let blobs = tx.store(BLOBS)?;
            for (blob, bytes) in completion.photos.iter().zip(photos) {
                let rk = keys.record_key(BLOBS, &blob.sha256);
                blobs.put_queued(&rk.as_str().into(), &sealer.seal_bytes(key, BLOBS, &rk, bytes)?)?;
                if !uploads.iter().any(|u| u.blob.sha256 == blob.sha256) {
                    uploads.push(PendingUpload { blob: blob.clone() });
                }
            }
            let seq = next_seq(&meta).await?;
            let mutation = Mutation {
                device_id: device.device_id,
                seq,
                id: mutation_id,
                body: MutationBody::TaskComplete(completion.clone()),
                created_at: completion.completed_at,
                depends_on: Vec::new(),
            };
            let sealed = sealing::seal_mutation(&mut sealer.rng, device.server_key_id, &server_key, &keys.device_secret, &mutation)
                .map_err(|e| SatchelError::internal(format!("seal: {e}")))?;
            let rk = keys.record_key(TASKS, &task.task.id);
            let mut local = task.clone();
            local.task.status = TaskStatus::Done;
            local.completion = Some(LocalCompletion {
                mutation_id,
                seq,
                completed_at: completion.completed_at.to_rfc3339(),
                note: completion.note.clone(),
                photos: completion.photos.clone(),
                status: OrderStatus::Pending,
                reason: None,
            });
            let entry = OutboxEntry {
                seq,
                id: mutation_id,
                order_key: format!("{TASK_ACK_PREFIX}{rk}"),
                sealed: sealed.sealed,
                committed_ms: crate::now_ms() as u64,
            };
            tx.store(TASKS)?.put_queued(&rk.as_str().into(), &sealer.seal_json(key, TASKS, &rk, &local)?)?;
            tx.store(OUTBOX)?.add_queued(&JsValue::from_f64(seq as f64), &clear_json(&entry)?)?;
            meta.put_queued(&KEY_NEXT_SEQ.into(), &JsValue::from_f64((seq + 1) as f64))?;
            meta.put_queued(&KEY_UPLOADS.into(), &sealer.seal_json(key, META, KEY_UPLOADS, &uploads)?)?;
            meta.put_queued(&KEY_USAGE.into(), &clear_json(&sealer.usage)?)?;
            Ok(local)
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// Discards a held order: queues `mutation.discard` (so the server keeps a record of it) and
    /// marks the order discarded, in ONE strict transaction.
    pub async fn discard_held_order(
        &self,
        keys: &Keys,
        device: &DeviceRecord,
        mutation_id: Uuid,
        order: &LocalOrder,
        reason: &str,
    ) -> Result<LocalOrder, SatchelError> {
        let target = order.mutation_id.filter(|_| order.status == OrderStatus::Held).ok_or_else(|| SatchelError::Validation {
            detail: "not_held".into(),
            field: "order_id".into(),
            message: "only an order held by the server can be discarded".into(),
        })?;
        let server_key = sealing::key_from_hex(&device.server_public_key).map_err(|_| corrupt("device"))?;
        let tx = self.db.transaction(&[META, ORDERS, OUTBOX], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let seq = next_seq(&meta).await?;
            let mutation = Mutation {
                device_id: device.device_id,
                seq,
                id: mutation_id,
                body: MutationBody::MutationDiscard(Discard { target, reason: reason.to_string() }),
                created_at: chrono::DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or_default(),
                depends_on: Vec::new(),
            };
            let sealed = sealing::seal_mutation(&mut sealer.rng, device.server_key_id, &server_key, &keys.device_secret, &mutation)
                .map_err(|e| SatchelError::internal(format!("seal: {e}")))?;
            let entry = OutboxEntry { seq, id: mutation_id, order_key: String::new(), sealed: sealed.sealed, committed_ms: crate::now_ms() as u64 };
            let mut updated = order.clone();
            updated.status = OrderStatus::Discarded;
            updated.reason = Some(if reason.is_empty() { "discarded on this device".into() } else { format!("discarded: {reason}") });
            let ok = keys.record_key(ORDERS, &order.order_id.to_string());
            tx.store(ORDERS)?.put_queued(&ok.as_str().into(), &sealer.seal_json(key, ORDERS, &ok, &updated)?)?;
            tx.store(OUTBOX)?.add_queued(&JsValue::from_f64(seq as f64), &clear_json(&entry)?)?;
            meta.put_queued(&KEY_NEXT_SEQ.into(), &JsValue::from_f64((seq + 1) as f64))?;
            meta.put_queued(&KEY_USAGE.into(), &clear_json(&sealer.usage)?)?;
            Ok(updated)
        };
        let result = body.await;
        finish(tx, result).await
    }

    /// The photos waiting for upload.
    pub async fn pending_uploads(&self, keys: &Keys) -> Result<Vec<PendingUpload>, SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadOnly, Durability::Default)?;
        match tx.store(META)?.get(&KEY_UPLOADS.into()).await? {
            Some(v) => open_json(&keys.ring, META, KEY_UPLOADS, &v),
            None => Ok(Vec::new()),
        }
    }

    /// A photo's bytes (opened).
    pub async fn blob_bytes(&self, keys: &Keys, sha256: &str) -> Result<Option<Zeroizing<Vec<u8>>>, SatchelError> {
        let tx = self.db.transaction(&[BLOBS], Mode::ReadOnly, Durability::Default)?;
        let rk = keys.record_key(BLOBS, sha256);
        let Some(v) = tx.store(BLOBS)?.get(&rk.as_str().into()).await? else { return Ok(None) };
        let bytes = bytes_of(&v).ok_or_else(|| corrupt(BLOBS))?;
        keys.ring.open(BLOBS, &rk, &bytes).map(Some).map_err(|_| corrupt(BLOBS))
    }

    /// The server holds the photo whole: it leaves the upload list (the sealed copy stays, for
    /// the task's screen).
    pub async fn upload_done(&self, keys: &Keys, sha256: &str) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadWrite, Durability::Default)?;
        let body = async {
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut uploads: Vec<PendingUpload> = match meta.get(&KEY_UPLOADS.into()).await? {
                Some(v) => open_json(&keys.ring, META, KEY_UPLOADS, &v)?,
                None => Vec::new(),
            };
            uploads.retain(|u| u.blob.sha256 != sha256);
            let mut sealer = Sealer::begin(&meta, key).await?;
            meta.put(&KEY_UPLOADS.into(), &sealer.seal_json(key, META, KEY_UPLOADS, &uploads)?).await?;
            sealer.finish(&meta).await
        };
        let result = body.await;
        finish(tx, result).await
    }
}

fn empty_sales() -> SalesMeta {
    SalesMeta { settings: None, role: String::new(), price_lists: Vec::new() }
}

/// Decodes a change's data: `Some(Some(v))` an upsert, `Some(None)` a delete, `None` a record
/// that does not decode (counted, skipped: one bad record never blocks the pull).
fn decode<T: DeserializeOwned>(change: &Change, undecodable: &mut usize) -> Option<Option<T>> {
    match change.decode::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            *undecodable += 1;
            None
        }
    }
}

/// The next gap-free sequence number (read in the caller's transaction).
async fn next_seq(meta: &Store) -> Result<u64, SatchelError> {
    Ok(match meta.get(&KEY_NEXT_SEQ.into()).await? {
        Some(v) => v.as_f64().ok_or_else(|| corrupt("sequence counter"))? as u64,
        None => 1,
    })
}

/// Applies outcomes that arrived by pull (deferred or held mutations settling) to the orders and
/// task completions they belong to. Rare, so it scans.
async fn apply_results_by_id(
    orders: &Store,
    tasks: &Store,
    sealer: &mut Sealer,
    keys: &Keys,
    results: &[MutationResult],
    task_delta: &mut Vec<(String, Option<LocalTask>)>,
) -> Result<Vec<LocalOrder>, SatchelError> {
    let key = &keys.ring.current;
    let mut changed = Vec::new();
    let order_keys = orders.get_all_keys().await?;
    for ok in order_keys {
        let Some(name) = ok.as_string() else { continue };
        let Some(v) = orders.get(&ok).await? else { continue };
        let Ok(mut order) = open_json::<LocalOrder>(&keys.ring, ORDERS, &name, &v) else { continue };
        let Some(r) = order.mutation_id.and_then(|id| results.iter().find(|r| r.id == id)) else { continue };
        if order.status == OrderStatus::Discarded {
            continue;
        }
        apply_outcome(&mut order, &r.outcome);
        orders.put(&ok, &sealer.seal_json(key, ORDERS, &name, &order)?).await?;
        changed.push(order);
    }
    for tk in tasks.get_all_keys().await? {
        let Some(name) = tk.as_string() else { continue };
        let Some(v) = tasks.get(&tk).await? else { continue };
        let Ok(task) = open_json::<LocalTask>(&keys.ring, TASKS, &name, &v) else { continue };
        let Some(r) = task.completion.as_ref().and_then(|c| results.iter().find(|r| r.id == c.mutation_id)) else { continue };
        if let Some(updated) = apply_task_outcome(tasks, sealer, keys, &name, &r.outcome).await? {
            task_delta.push((updated.task.id.clone(), Some(updated)));
        }
    }
    Ok(changed)
}

impl LocalStore {
    /// Records the server's answers while the workspace is unlocked: acknowledged entries leave
    /// the outbox and their outcomes go straight onto the orders and task completions, in ONE
    /// strict transaction (no detour through answers sealed to the device's own key, which
    /// [`acknowledge`](Self::acknowledge) needs while locked). Returns what it settled.
    pub async fn acknowledge_unlocked(
        &self,
        keys: &Keys,
        results: &[MutationResult],
        new_ranges: &[NumberRange],
    ) -> Result<AppliedAcks, SatchelError> {
        let tx = self.db.transaction(&[META, OUTBOX, ORDERS, TASKS], Mode::ReadWrite, Durability::Strict)?;
        let body = async {
            let outbox = tx.store(OUTBOX)?;
            let orders = tx.store(ORDERS)?;
            let tasks = tx.store(TASKS)?;
            let meta = tx.store(META)?;
            let key = &keys.ring.current;
            let mut sealer = Sealer::begin(&meta, key).await?;
            let mut latencies: Vec<u64> = match meta.get(&KEY_LATENCY.into()).await? {
                Some(v) => from_clear_json("latency", &v).unwrap_or_default(),
                None => Vec::new(),
            };
            let now = crate::now_ms() as u64;
            let mut done = AppliedAcks::default();
            let mut answered_seqs = Vec::new();
            // Every outbox entry, then every order, read with all requests in flight at once.
            let seq_keys: Vec<JsValue> = results.iter().map(|r| JsValue::from_f64(r.seq as f64)).collect();
            let entries = outbox.get_many(&seq_keys).await?;
            let mut to_settle: Vec<(&MutationResult, String)> = Vec::new();
            for ((r, k), v) in results.iter().zip(&seq_keys).zip(entries) {
                let Some(v) = v else { continue };
                let entry: OutboxEntry = from_clear_json("outbox", &v)?;
                if entry.id != r.id {
                    // Not the mutation we sent under that number: leave it for a human to look at.
                    continue;
                }
                outbox.delete_queued(k)?;
                answered_seqs.push(r.seq);
                if entry.committed_ms > 0 {
                    latencies.push(now.saturating_sub(entry.committed_ms));
                }
                done.applied += 1;
                if let Some(task_key) = entry.order_key.strip_prefix(TASK_ACK_PREFIX) {
                    if let Some(task) = apply_task_outcome(&tasks, &mut sealer, keys, task_key, &r.outcome).await? {
                        done.tasks.push(task);
                    }
                } else if !entry.order_key.is_empty() {
                    to_settle.push((r, entry.order_key));
                }
            }
            let order_keys: Vec<JsValue> = to_settle.iter().map(|(_, k)| JsValue::from_str(k)).collect();
            let stored = orders.get_many(&order_keys).await?;
            for (((r, name), ok), o) in to_settle.iter().zip(&order_keys).zip(stored) {
                let Some(o) = o else { continue };
                let Ok(mut order) = open_json::<LocalOrder>(&keys.ring, ORDERS, name, &o) else { continue };
                let was_pending = order.status == OrderStatus::Pending;
                apply_outcome(&mut order, &r.outcome);
                orders.put_queued(ok, &sealer.seal_json(key, ORDERS, name, &order)?)?;
                if was_pending {
                    done.settled.push(order);
                }
            }
            keep_answer_figures(&meta, latencies, new_ranges).await?;
            // Outlet edits the server has answered no longer need protecting from fresh data.
            if let Some(v) = meta.get(&KEY_OUTLET_EDITS.into()).await? {
                let edits: Vec<PendingOutletEdit> = open_json(&keys.ring, META, KEY_OUTLET_EDITS, &v).unwrap_or_default();
                if edits.iter().any(|e| answered_seqs.contains(&e.seq)) {
                    let kept: Vec<PendingOutletEdit> = edits.into_iter().filter(|e| !answered_seqs.contains(&e.seq)).collect();
                    meta.put_queued(&KEY_OUTLET_EDITS.into(), &sealer.seal_json(key, META, KEY_OUTLET_EDITS, &kept)?)?;
                }
            }
            meta.put_queued(&KEY_USAGE.into(), &clear_json(&sealer.usage)?)?;
            Ok(done)
        };
        let result = body.await;
        finish(tx, result).await
    }
}
