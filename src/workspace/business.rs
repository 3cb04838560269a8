//! The business half of the `Workspace` API: tasks, orders, drafts, outlets, the review queue
//! and outlet conflicts, each a call into core's device (`satchel_core::device`) or the server
//! and a conversion of its result.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use satchel_core::device::app::Ids;
use satchel_core::device::changes::Photo;
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::views::{self, QuoteView};
use satchel_core::sales::SalesOrder;
use satchel_core::sync::protocol::BlobRef;

use super::{from_js_value, now, to_js_value, Workspace};
use crate::error::SatchelError;
use crate::BrowserRng;

/// The result of `commitOrder`: the order is durably on the device.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub(crate) struct CommittedOrderView {
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    order_id: uuid::Uuid,
    document_number: String,
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    seq: u64,
    total: satchel_core::money::Dec,
    flagged: bool,
    quote: QuoteView,
}

/// A validation error on `field`.
fn invalid(field: &str, detail: &str, message: &str) -> SatchelError {
    SatchelError::Validation { field: field.into(), detail: detail.into(), message: message.into() }
}

/// Reads a photo (`Blob`/`File`) the page passes: its reference and bytes. The size is checked
/// before the bytes are read (a 50 MB video must not be copied into memory to be refused).
pub(super) async fn read_photo(v: &JsValue, index: usize) -> Result<Photo, SatchelError> {
    let blob: web_sys::Blob = v.clone().dyn_into().map_err(|_| invalid(&format!("photos[{index}]"), "malformed", "not a Blob or File"))?;
    let size = blob.size() as u64;
    // Core's rule on the size and type alone (the hash is not known before reading).
    let before = BlobRef { sha256: "0".repeat(64), size, content_type: blob.type_() };
    if let Err(error) = satchel_core::sync::blobs::check(&before) {
        let e = satchel_core::sync::tasks::CompletionError::Photo { index, error };
        return Err(SatchelError::Validation { field: e.field(), detail: e.code().into(), message: e.to_string() });
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer()).await.map_err(|_| SatchelError::Storage("the photo could not be read".into()))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let blob = BlobRef { sha256: satchel_core::sync::blobs::sha256_hex(&bytes), size: bytes.len() as u64, content_type: blob.type_() };
    Ok(Photo { blob, bytes: satchel_core::vault::Zeroizing::new(bytes) })
}

pub(super) fn parse_id(field: &str, text: &str) -> Result<uuid::Uuid, SatchelError> {
    uuid::Uuid::parse_str(text).map_err(|_| invalid(field, "malformed", &format!("{field} is not a UUID")))
}

fn ids() -> Result<Ids, SatchelError> {
    Ok(Ids { record: crate::new_id()?, mutation: crate::new_id()? })
}

/// The business date: the device's local calendar date.
pub(super) fn business_date() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date()).unwrap_or_default()
}

#[wasm_bindgen]
impl Workspace {
    /// The tasks assigned to the user (open first, then by due date), with this device's
    /// completions and what the server made of them.
    #[wasm_bindgen(unchecked_return_type = "TaskItemView[]")]
    pub fn tasks(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&views::tasks(&*self.inner.device.unlocked_state()?))
    }

    /// Completes a task with a note and photos (`Blob`s or `File`s: JPEG, PNG or WebP, at most
    /// 8 MB each). The photos are stored sealed and uploaded in chunks that resume after an
    /// interruption; the server applies the completion once every photo is whole. Refused with
    /// `validation` (`task_closed`, `photo_too_large`, `photo_type`, `photo_storage_full`,
    /// `note_too_long`).
    #[wasm_bindgen(js_name = completeTask, unchecked_return_type = "TaskItemView")]
    pub async fn complete_task(
        &self,
        task_id: String,
        note: String,
        #[wasm_bindgen(unchecked_param_type = "Blob[] | undefined")] photos: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        inner.device.keys()?;
        let list: Vec<JsValue> = if photos.is_undefined() || photos.is_null() { Vec::new() } else { js_sys::Array::from(&photos).iter().collect() };
        let mut read = Vec::with_capacity(list.len());
        for (i, p) in list.iter().enumerate() {
            read.push(read_photo(p, i).await?);
        }
        let task = inner.device.complete_task(&task_id, note, read, now(), crate::new_id()?, &mut BrowserRng).await?;
        inner.changed();
        to_js_value(&views::task(&inner.device.state(), &task))
    }

    /// Discards an order the server holds (what it depended on was refused). The server keeps
    /// a record of it; the order stays on this device as `discarded`.
    #[wasm_bindgen(js_name = discardHeld)]
    pub async fn discard_held(&self, order_id: String, reason: Option<String>) -> Result<(), SatchelError> {
        let id = parse_id("order_id", &order_id)?;
        self.inner.device.discard_held(id, reason.as_deref().unwrap_or(""), now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        Ok(())
    }

    /// Edits a held order: returns a new draft with its outlet, lines and options (without the
    /// task it depended on) and discards the held one ("replaced by a new order"). Commit the
    /// draft as usual; it gets a new number.
    #[wasm_bindgen(js_name = editHeld, unchecked_return_type = "DraftView")]
    pub async fn edit_held(&self, order_id: String) -> Result<JsValue, SatchelError> {
        let id = parse_id("order_id", &order_id)?;
        let draft = self.inner.device.edit_held(id, now(), ids()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&draft)
    }

    /// The outlets on the user's routes, with their credit as this device sees it (the server's
    /// balance as of its time, plus this device's unsynced orders).
    #[wasm_bindgen(unchecked_return_type = "OutletView[]")]
    pub fn outlets(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&views::outlets(&*self.inner.device.unlocked_state()?))
    }

    /// Products matching `query` by SKU or barcode prefix, or by the prefixes of their name's
    /// words, tolerating typos (one in 4–7 letters, two from 8), accents and case; best first.
    /// With `outlet_id`, each carries the price of that outlet's list today.
    #[wasm_bindgen(js_name = searchProducts, unchecked_return_type = "ProductHit[]")]
    pub fn search_products(
        &self,
        query: &str,
        limit: u32,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] outlet_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        self.inner.device.keys()?;
        let hits = self.inner.device.with_state_mut(|s| views::search(s, query, limit as usize, outlet_id.as_deref(), business_date()));
        to_js_value(&hits)
    }

    /// The product whose barcode or SKU is exactly `code` (a scanner's read), with the price of
    /// `outlet_id`'s list today; `undefined` when there is none.
    #[wasm_bindgen(js_name = productByCode, unchecked_return_type = "ProductHit | undefined")]
    pub fn product_by_code(
        &self,
        code: &str,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] outlet_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let hit = views::product_by_code(&*self.inner.device.unlocked_state()?, code, outlet_id.as_deref(), business_date());
        match hit {
            Some(h) => to_js_value(&h),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Prices, taxes and validates an order with this device's data: the breakdown per line and
    /// per tax, the amount due, and the findings (blocking or to review) with the age of the data
    /// they relied on. Throws a `validation` error naming the field for what cannot be priced
    /// (an unknown product, an outlet not on the user's routes).
    #[wasm_bindgen(unchecked_return_type = "QuoteView")]
    pub fn quote(&self, #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue) -> Result<JsValue, SatchelError> {
        self.inner.device.keys()?;
        let order: SalesOrder = from_js_value(order)?;
        to_js_value(&QuoteView::from(&self.inner.device.quote(&order, now())?))
    }

    /// Quotes the order, refuses it if a finding blocks (a `validation` error naming the field,
    /// `detail` = the rule), numbers it from this device's leased range and stores it with its
    /// sealed outbox entry in one durable transaction (and deletes its draft). Resolves once it
    /// is on disk. `draft_id`: the draft it was composed in; `task_id`: the task it is billed
    /// from (it then depends on the task's completion).
    #[wasm_bindgen(js_name = commitOrder, unchecked_return_type = "CommittedOrderView")]
    pub async fn commit_order(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] draft_id: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] task_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        inner.device.keys()?;
        let order: SalesOrder = from_js_value(order)?;
        let draft_id = draft_id.map(|d| parse_id("draft_id", &d)).transpose()?;
        let request = CommitRequest { order, draft_id, task_id };
        let (stored, quote) = inner.device.commit_order(request, now(), ids()?, &mut BrowserRng).await?;
        inner.changed();
        let d = &stored.document;
        to_js_value(&CommittedOrderView {
            order_id: d.order_id,
            document_number: d.document_number.clone(),
            seq: stored.seq,
            total: d.total,
            flagged: d.flagged,
            quote: QuoteView::from(&quote),
        })
    }

    /// Saves a draft durably (call it on every edit). `content` is any JSON object of the page's
    /// (at most 64 KiB as JSON); pass the `draft_id` of an existing draft to replace it, or
    /// none to start one. Returns the `DraftView`.
    #[wasm_bindgen(js_name = saveDraft, unchecked_return_type = "DraftView")]
    pub async fn save_draft(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] draft_id: Option<String>,
        #[wasm_bindgen(unchecked_param_type = "object")] content: JsValue,
    ) -> Result<JsValue, SatchelError> {
        self.inner.device.keys()?;
        let content: serde_json::Value = from_js_value(content)?;
        let draft_id = match draft_id {
            Some(d) => parse_id("draft_id", &d)?,
            None => crate::new_id()?,
        };
        to_js_value(&self.inner.device.save_draft(draft_id, content, now(), &mut BrowserRng).await?)
    }

    /// Every draft on this device, most recently edited first.
    #[wasm_bindgen(unchecked_return_type = "DraftView[]")]
    pub async fn drafts(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&views::drafts(&*self.inner.device.unlocked_state()?))
    }

    /// Discards a draft.
    #[wasm_bindgen(js_name = deleteDraft)]
    pub async fn delete_draft(&self, draft_id: String) -> Result<(), SatchelError> {
        Ok(self.inner.device.delete_draft(parse_id("draft_id", &draft_id)?, &mut BrowserRng).await?)
    }

    /// Changes an outlet's shared contact fields (`phone`, `address`, `contact_name`; others are
    /// refused). Only the fields that differ from what the device shows are sent, with the
    /// version they were based on; the server merges them field by field, and a concurrent
    /// change to the same field by someone else becomes a conflict for review (the order of
    /// events decided by a hybrid logical clock), never a silent overwrite. The outlet shows the
    /// new values at once. Returns the number of fields changed (0: nothing to send).
    #[wasm_bindgen(js_name = updateOutlet)]
    pub async fn update_outlet(
        &self,
        outlet_id: String,
        #[wasm_bindgen(unchecked_param_type = "{ phone?: string; address?: string; contact_name?: string }")] fields: JsValue,
    ) -> Result<u32, SatchelError> {
        let wanted: std::collections::BTreeMap<String, String> = from_js_value(fields)?;
        let n = self.inner.device.edit_outlet(&outlet_id, &wanted, now(), crate::new_id()?, &mut BrowserRng).await?;
        if n > 0 {
            self.inner.changed();
        }
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The signed-in user's role (`"rep"`, `"supervisor"`), or `undefined` before the sales data
    /// arrived. Needs the workspace unlocked.
    pub fn role(&self) -> Result<Option<String>, SatchelError> {
        Ok(self.inner.device.unlocked_state()?.sales().map(|s| s.role.clone()))
    }

    /// A supervisor's review queue, from the server (online): the flagged orders with `status`
    /// `open` (default), `approved`, `rejected` or `all`, each with its reasons.
    #[wasm_bindgen(js_name = reviewQueue, unchecked_return_type = "ReviewItem[]")]
    pub async fn review_queue(&self, status: Option<String>) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let status = status.unwrap_or_else(|| "open".into());
        if !matches!(status.as_str(), "open" | "approved" | "rejected" | "all") {
            return Err(invalid("status", "unknown", &format!("unknown review status {status}")));
        }
        let answer: serde_json::Value = self.inner.transport.get(&format!("/api/v1/review?status={status}"), Some(&token)).await?;
        to_js_value(answer.get("items").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// Resolves a flagged order (supervisor, online): `decision` is `approve` or `reject`.
    #[wasm_bindgen(js_name = resolveReview, unchecked_return_type = "ReviewItem")]
    pub async fn resolve_review(&self, order_id: String, decision: String, note: Option<String>) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let id = parse_id("order_id", &order_id)?;
        if !matches!(decision.as_str(), "approve" | "reject") {
            return Err(invalid("decision", "unknown", "decide approve or reject"));
        }
        let body = serde_json::json!({"decision": decision, "note": note.unwrap_or_default()});
        let item: serde_json::Value = self.inner.transport.post(&format!("/api/v1/review/{id}/resolve"), &body, Some(&token)).await?;
        to_js_value(&item)
    }

    /// A supervisor's shifts of the counter, from the server (online), newest first: each with
    /// its register, cashier, receipts, net total, expected and counted cash, variance, and the
    /// figures where the device's Z report and the server's recomputation differ.
    #[wasm_bindgen(unchecked_return_type = "ShiftItem[]")]
    pub async fn shifts(&self) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let answer: serde_json::Value = self.inner.transport.get("/api/v1/shifts", Some(&token)).await?;
        to_js_value(answer.get("shifts").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// Notes the origin's storage figures in the telemetry (`navigator.storage.estimate()`:
    /// `usage`, `quota`; `navigator.storage.persisted()`). Nothing while locked.
    #[wasm_bindgen(js_name = noteStorage)]
    pub async fn note_storage(&self, used: f64, quota: f64, persisted: bool) {
        // Byte counts from the browser; negative or non-finite ones are not figures.
        let bytes = |v: f64| if v.is_finite() && v >= 0.0 { Some(v as u64) } else { None };
        if let (Some(used), Some(quota)) = (bytes(used), bytes(quota)) {
            crate::telemetry::note(&self.inner, |t| t.storage(used, quota, persisted)).await;
        }
    }

    /// The supervisor's field telemetry dashboard, from the server (online): entry-to-server
    /// latency per day, offline spans, devices with the oldest unsynced work, same-day recording
    /// per route, the counter during outages.
    #[wasm_bindgen(js_name = telemetryDashboard, unchecked_return_type = "TelemetryDashboard")]
    pub async fn telemetry_dashboard(&self) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let answer: serde_json::Value = self.inner.transport.get("/api/v1/telemetry/dashboard", Some(&token)).await?;
        to_js_value(&answer)
    }

    /// A supervisor's queue of conflicting outlet edits, from the server (online): the items
    /// with `status` `open` (default), `resolved` or `all`, each with both values, who set them
    /// and when.
    #[wasm_bindgen(unchecked_return_type = "ConflictItem[]")]
    pub async fn conflicts(&self, status: Option<String>) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let status = status.unwrap_or_else(|| "open".into());
        if !matches!(status.as_str(), "open" | "resolved" | "all") {
            return Err(invalid("status", "unknown", &format!("unknown conflict status {status}")));
        }
        let answer: serde_json::Value = self.inner.transport.get(&format!("/api/v1/conflicts?status={status}"), Some(&token)).await?;
        to_js_value(answer.get("items").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// Resolves an outlet conflict (supervisor, online): `choice` is `ours` (keep the server's
    /// value), `theirs` (take the rep's) or `value` (set `value`, given with `value` only). The
    /// server refuses with `stale_conflict` when the field changed since: the item then shows
    /// the current value, to review again.
    #[wasm_bindgen(js_name = resolveConflict, unchecked_return_type = "ConflictItem")]
    pub async fn resolve_conflict(
        &self,
        conflict_id: String,
        #[wasm_bindgen(unchecked_param_type = "\"ours\" | \"theirs\" | \"value\"")] choice: String,
        value: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let id = parse_id("conflict_id", &conflict_id)?;
        let body = match (choice.as_str(), value) {
            ("ours" | "theirs", None) => serde_json::json!({"choice": choice}),
            ("value", Some(v)) => serde_json::json!({"choice": "value", "value": v}),
            ("value", None) => return Err(invalid("value", "missing", "choose a value to set")),
            ("ours" | "theirs", Some(_)) => return Err(invalid("value", "unexpected", "a value goes with the choice \"value\" only")),
            _ => return Err(invalid("choice", "unknown", "choose ours, theirs or value")),
        };
        let item: serde_json::Value = self.inner.transport.post(&format!("/api/v1/conflicts/{id}/resolve"), &body, Some(&token)).await?;
        to_js_value(&item)
    }

    /// Every order taken on this device, newest first, with its sync state.
    #[wasm_bindgen(unchecked_return_type = "OrderView[]")]
    pub async fn orders(&self) -> Result<JsValue, SatchelError> {
        let orders = views::orders(&*self.inner.device.unlocked_state()?);
        self.inner.sync.note_pending_orders(
            orders.iter().filter(|o| o.status == satchel_core::sync::lifecycle::Status::Pending).map(|o| o.document_number.clone()).collect(),
        );
        to_js_value(&orders)
    }

    /// How many records on this device could not be read and were skipped (a corrupt record is
    /// reported, never fatal; the rest of the workspace keeps working).
    #[wasm_bindgen(js_name = storageReport, unchecked_return_type = "StorageReportView")]
    pub async fn storage_report(&self) -> Result<JsValue, SatchelError> {
        let state = self.inner.device.unlocked_state()?;
        to_js_value(&StorageReportView { unreadable_orders: state.unreadable_orders, unreadable_reference: state.unreadable().saturating_sub(state.unreadable_orders) })
    }
}

/// Records on this device that could not be read (corrupt) and were skipped.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub(crate) struct StorageReportView {
    unreadable_orders: usize,
    unreadable_reference: usize,
}
