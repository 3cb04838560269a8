//! The device's other changes: an outlet edit, a task completion with photos, a held order
//! discarded or edited, drafts. Each checks its input with the same rule the server runs and
//! returns the writes of one transaction; the ones that queue a mutation take the next sequence
//! number from the counters read in that transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::DeviceError;
use super::plan::{MetaRecord, Record, RecordId, WritePlan};
use super::records::{Counters, Draft, LocalCompletion, LocalOrder, LocalTask, PendingOutletEdit, PendingUpload};
use super::state::DeviceState;
use crate::sync::edits;
use crate::sync::hlc::{Clock, NodeId, DEFAULT_MAX_DRIFT_MS};
use crate::sync::lifecycle::Fate;
use crate::sync::protocol::{BlobRef, Discard, Mutation, MutationBody, OutletPatch, TaskCompletion, TaskStatus};
use crate::sync::tasks;
use crate::vault::Zeroizing;

/// How much room photos may take on the device while they wait for upload.
pub const MAX_PENDING_PHOTO_BYTES: u64 = 64 * 1024 * 1024;
/// Largest draft content accepted, as JSON.
pub const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// A mutation queued with the next sequence number: its outbox entry and the advanced counters.
fn queue(plan: &mut WritePlan, counters: &Counters, body: MutationBody, id: Uuid, device_id: Uuid, target: Option<RecordId>, now: DateTime<Utc>) -> Counters {
    queue_after(plan, counters, body, id, device_id, target, now, Vec::new())
}

#[allow(clippy::too_many_arguments)]
fn queue_after(plan: &mut WritePlan, counters: &Counters, body: MutationBody, id: Uuid, device_id: Uuid, target: Option<RecordId>, now: DateTime<Utc>, depends_on: Vec<Uuid>) -> Counters {
    let mut next = counters.clone();
    let seq = next.next_seq;
    next.next_seq += 1;
    let mutation = Mutation { device_id, seq, id, body, created_at: now, depends_on };
    let committed_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    plan.add(Record::NewOutbox { mutation, target, committed_ms });
    next
}

/// Changes an outlet's shared fields. `edits` are the unanswered edits as read in the
/// transaction; the outlet as shown is the server's with them on top. Returns `None` when
/// nothing changed (nothing to send), else the writes and how many fields changed.
#[allow(clippy::too_many_arguments)]
pub fn edit_outlet(
    state: &DeviceState,
    outlet_id: &str,
    wanted: &std::collections::BTreeMap<String, String>,
    counters: &Counters,
    mut edits: Vec<PendingOutletEdit>,
    device_id: Uuid,
    mutation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<(WritePlan, usize)>, DeviceError> {
    let mut shown = state
        .outlets
        .get(outlet_id)
        .cloned()
        .ok_or_else(|| DeviceError::invalid("outlet_id", "unknown_outlet", format!("outlet {outlet_id} is not on your routes")))?;
    for e in edits.iter().filter(|e| e.patch.outlet_id == outlet_id) {
        edits::apply_patch(&mut shown, &e.patch);
    }
    let changes = edits::outlet_changes(&shown, wanted)?;
    if changes.is_empty() {
        return Ok(None);
    }
    let n = changes.len();
    let node = NodeId::new(device_id.to_string()).map_err(|_| DeviceError::Corrupt { what: "device".into() })?;
    let mut clock = match &counters.hlc {
        Some(last) => Clock::restore(last.clone(), DEFAULT_MAX_DRIFT_MS),
        None => Clock::new(node),
    };
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let at = clock.now(now_ms).map_err(|e| DeviceError::Internal(format!("clock: {e}")))?;
    let patch = OutletPatch { outlet_id: outlet_id.to_string(), base_version: shown.version, changes, at };
    let mut plan = WritePlan::new();
    let mut next = queue(&mut plan, counters, MutationBody::OutletUpdate(patch.clone()), mutation_id, device_id, None, now);
    next.hlc = Some(clock.last().clone());
    edits.push(PendingOutletEdit { seq: counters.next_seq, patch });
    plan.put(Record::Meta(MetaRecord::OutletEdits(edits)));
    plan.counters = Some(next);
    Ok(Some((plan, n)))
}

/// A photo the rep attached, read from the page.
pub struct Photo {
    /// Its reference (SHA-256, size, type).
    pub blob: BlobRef,
    /// Its bytes.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Completes a task with a note and photos: the task as the device now shows it, the photos
/// sealed with their upload entries, and the `task.complete` entry. `uploads` is the upload list
/// as read in the transaction.
#[allow(clippy::too_many_arguments)]
pub fn complete_task(
    state: &DeviceState,
    task_id: &str,
    note: String,
    photos: Vec<Photo>,
    counters: &Counters,
    uploads: Vec<PendingUpload>,
    device_id: Uuid,
    mutation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(WritePlan, LocalTask), DeviceError> {
    complete_with(state, task_id, note, photos, None, Vec::new(), counters, uploads, device_id, mutation_id, now)
}

/// [`complete_task`] for a stop of a delivery day: `day` says what became of it, and the
/// completion depends on `depends_on` (the day's start). A stop's signature is one of the
/// `photos` (blobs), named again by the stop.
#[allow(clippy::too_many_arguments)]
pub fn complete_with(
    state: &DeviceState,
    task_id: &str,
    note: String,
    photos: Vec<Photo>,
    day: Option<crate::delivery::DayStop>,
    depends_on: Vec<Uuid>,
    counters: &Counters,
    mut uploads: Vec<PendingUpload>,
    device_id: Uuid,
    mutation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(WritePlan, LocalTask), DeviceError> {
    let task = state
        .task(task_id)
        .ok_or_else(|| DeviceError::invalid("task_id", "unknown_task", format!("task {task_id} is not assigned to you")))?;
    let refused_before = task.completion.as_ref().is_none_or(|c| matches!(c.fate, Fate::Rejected { .. }));
    if task.task.status != TaskStatus::Open || !refused_before {
        return Err(DeviceError::invalid("task_id", "task_closed", "this task is no longer open"));
    }
    let signature = day.as_ref().and_then(|d| d.signature.as_ref()).map(|s| s.sha256.clone());
    let listed: Vec<BlobRef> = photos.iter().filter(|p| Some(&p.blob.sha256) != signature.as_ref()).map(|p| p.blob.clone()).collect();
    let completion = TaskCompletion { task_id: task_id.to_string(), completed_at: now, note, photos: listed, day };
    tasks::check_completion(&completion)?;
    let waiting: u64 = uploads.iter().map(|u| u.blob.size).sum();
    let adding: u64 = photos.iter().map(|p| p.blob.size).sum();
    if waiting + adding > MAX_PENDING_PHOTO_BYTES {
        return Err(DeviceError::invalid(
            "photos",
            "photo_storage_full",
            format!(
                "photos waiting for upload would take {} MB; the device keeps at most {} MB of them. Sync, then try again",
                (waiting + adding).div_ceil(1024 * 1024),
                MAX_PENDING_PHOTO_BYTES / (1024 * 1024)
            ),
        ));
    }
    let mut plan = WritePlan::new();
    for p in photos {
        if !uploads.iter().any(|u| u.blob.sha256 == p.blob.sha256) {
            uploads.push(PendingUpload { blob: p.blob.clone() });
        }
        plan.put(Record::Blob { sha256: p.blob.sha256, bytes: p.bytes });
    }
    let mut local = task.clone();
    local.completion = Some(LocalCompletion {
        mutation_id,
        seq: counters.next_seq,
        completed_at: completion.completed_at.to_rfc3339(),
        note: completion.note.clone(),
        photos: completion.photos.clone(),
        fate: Fate::Pending,
    });
    plan.put(Record::Task(local.clone()));
    plan.put(Record::Meta(MetaRecord::Uploads(uploads)));
    let target = Some(RecordId::Task(task_id.to_string()));
    plan.counters = Some(queue_after(&mut plan, counters, MutationBody::TaskComplete(completion), mutation_id, device_id, target, now, depends_on));
    Ok((plan, local))
}

/// The order `order_id` if the server holds it.
pub fn held_order(state: &DeviceState, order_id: Uuid) -> Result<&LocalOrder, DeviceError> {
    state
        .order(&order_id)
        .filter(|o| matches!(o.fate, Fate::Held { .. }) && !o.mutation_id.is_nil())
        .ok_or_else(|| DeviceError::invalid("order_id", "not_held", "only an order the server holds can be edited or discarded"))
}

/// Discards a held order: queues `mutation.discard` (so the server keeps a record of it) and
/// shows the order discarded.
pub fn discard_held(order: &LocalOrder, reason: &str, counters: &Counters, device_id: Uuid, mutation_id: Uuid, now: DateTime<Utc>) -> (WritePlan, LocalOrder) {
    let mut plan = WritePlan::new();
    let body = MutationBody::MutationDiscard(Discard { target: order.mutation_id, reason: reason.to_string() });
    plan.counters = Some(queue(&mut plan, counters, body, mutation_id, device_id, None, now));
    let mut updated = order.clone();
    let why = if reason.is_empty() { "discarded on this device".to_string() } else { format!("discarded: {reason}") };
    updated.fate = Fate::Discarded { reason: why };
    plan.put(Record::Order(updated.clone()));
    (plan, updated)
}

/// Edits a held order: a new draft with its outlet, lines and options in the page's shape, and
/// the held order discarded as "replaced", in one transaction.
pub fn edit_held(order: &LocalOrder, draft_id: Uuid, counters: &Counters, device_id: Uuid, mutation_id: Uuid, now: DateTime<Utc>) -> (WritePlan, Draft) {
    let o = &order.document.order;
    let lines: Vec<serde_json::Value> = o
        .lines
        .iter()
        .map(|l| {
            let mut line = serde_json::json!({"sku": l.sku, "quantity": l.quantity});
            if let Some(d) = l.discount_percent {
                line["discount"] = serde_json::json!(d);
            }
            line
        })
        .collect();
    let content = serde_json::json!({
        "outlet_id": o.outlet_id,
        "lines": lines,
        "options": {
            "orderDiscount": o.order_discount_percent.map(|d| d.to_string()).unwrap_or_default(),
            "note": o.note.clone().unwrap_or_default(),
            "deliveryDate": o.requested_delivery_date.map(|d| d.to_string()).unwrap_or_default(),
            "isReturn": !o.kind.is_sale(),
            "cash": o.cash,
        },
        "resubmits": order.document.document_number,
    });
    let draft = Draft { draft_id, updated_at: now.to_rfc3339(), content };
    let why = format!("replaced by a new order (edited from {})", order.document.document_number);
    let (mut plan, _) = discard_held(order, &why, counters, device_id, mutation_id, now);
    plan.put(Record::Draft(draft.clone()));
    (plan, draft)
}

/// Saves a draft: any JSON object of the page's, at most [`MAX_DRAFT_BYTES`] as JSON.
pub fn save_draft(draft_id: Uuid, content: serde_json::Value, now: DateTime<Utc>) -> Result<(WritePlan, Draft), DeviceError> {
    if !content.is_object() {
        return Err(DeviceError::invalid("content", "not_an_object", "a draft's content must be an object"));
    }
    if serde_json::to_vec(&content).map(|v| v.len()).unwrap_or(usize::MAX) > MAX_DRAFT_BYTES {
        return Err(DeviceError::invalid("content", "too_large", format!("a draft may hold at most {MAX_DRAFT_BYTES} bytes")));
    }
    let draft = Draft { draft_id, updated_at: now.to_rfc3339(), content };
    let mut plan = WritePlan::new();
    plan.put(Record::Draft(draft.clone()));
    Ok((plan, draft))
}
