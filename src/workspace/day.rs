//! The delivery day's half of the `Workspace` API: start the day, reorder the route, add an
//! unplanned stop, bill from a stop, record a stop with its proof, collect, end the day. Each
//! is a call into core's device (`satchel_core::device::day`) and a conversion of its result.

use wasm_bindgen::prelude::*;

use satchel_core::device::app::Ids;
use satchel_core::device::day::{CollectRequest, EndRequest, StartRequest, StopRequest};
use satchel_core::device::day_views::EndedDayView;

use super::business::{business_date, parse_id, read_photo};
use super::{from_js_value, now, to_js_value, Workspace};
use crate::error::SatchelError;
use crate::BrowserRng;

fn ids() -> Result<Ids, SatchelError> {
    Ok(Ids { record: crate::new_id()?, mutation: crate::new_id()? })
}

async fn photos(list: &JsValue) -> Result<Vec<satchel_core::device::changes::Photo>, SatchelError> {
    let list: Vec<JsValue> = if list.is_undefined() || list.is_null() { Vec::new() } else { js_sys::Array::from(list).iter().collect() };
    let mut read = Vec::with_capacity(list.len());
    for (i, p) in list.iter().enumerate() {
        read.push(read_photo(p, i).await?);
    }
    Ok(read)
}

async fn signature(v: &JsValue) -> Result<Option<satchel_core::device::changes::Photo>, SatchelError> {
    if v.is_undefined() || v.is_null() {
        Ok(None)
    } else {
        Ok(Some(read_photo(v, 0).await?))
    }
}

#[wasm_bindgen]
impl Workspace {
    /// The delivery day: the start screen's choices and load sheet, the open day's route with
    /// each stop's customer context, its collections and live summary, and the ended days.
    #[wasm_bindgen(js_name = day, unchecked_return_type = "DayView")]
    pub fn day(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.device.day_view(now())?)
    }

    /// Starts the day: site, route, truck, the load sheet (`counted`, or as sent when absent),
    /// the opening odometer and float. Refused with `validation` (`day_open`, `unknown`, …).
    #[wasm_bindgen(js_name = startDay, unchecked_return_type = "DayView")]
    pub async fn start_day(&self, #[wasm_bindgen(unchecked_param_type = "StartRequest")] req: JsValue) -> Result<JsValue, SatchelError> {
        let req: StartRequest = from_js_value(req)?;
        let view = self.inner.device.start_day(req, now(), ids()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Puts the stops in the crew's order (every stop's task id once).
    #[wasm_bindgen(js_name = reorderStops, unchecked_return_type = "DayView")]
    pub async fn reorder_stops(&self, #[wasm_bindgen(unchecked_param_type = "string[]")] order: JsValue) -> Result<JsValue, SatchelError> {
        let order: Vec<String> = from_js_value(order)?;
        let view = self.inner.device.reorder_stops(order, now(), &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Adds a stop the plan did not have, at an outlet of the user's routes.
    #[wasm_bindgen(js_name = addUnplannedStop, unchecked_return_type = "DayView")]
    pub async fn add_unplanned_stop(&self, outlet_id: String, title: String) -> Result<JsValue, SatchelError> {
        let task_id = format!("U-{}", crate::new_id()?);
        let view = self.inner.device.add_unplanned_stop(&outlet_id, &title, now(), &task_id, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// The order a stop starts with: its outlet and what its task asks for, on today's date.
    /// Commit it with `commit(order, draftId, taskId)`: billed from a stop of the open day, the
    /// invoice belongs to the day.
    #[wasm_bindgen(js_name = stopOrder, unchecked_return_type = "SalesOrder")]
    pub fn stop_order(&self, task_id: &str) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.device.stop_order(task_id, business_date())?)
    }

    /// Records a stop: `done` with the recipient, the signature (a PNG `Blob`) and photos;
    /// `failed` or `skipped` with a reason. The blobs are stored sealed and uploaded like
    /// photos.
    #[wasm_bindgen(js_name = recordStop, unchecked_return_type = "DayView")]
    pub async fn record_stop(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StopRequest")] req: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Blob | undefined")] signature_blob: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Blob[] | undefined")] photo_blobs: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let req: StopRequest = from_js_value(req)?;
        self.inner.device.keys()?;
        let sig = signature(&signature_blob).await?;
        let list = photos(&photo_blobs).await?;
        let view = self.inner.device.record_stop(req, sig, list, now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Records a collection against the customer's open invoices (the oldest first when no
    /// allocation is given). Refused with `validation` (`more_than_owed`, `unallocated`, …).
    #[wasm_bindgen(js_name = collect, unchecked_return_type = "DayView")]
    pub async fn collect(&self, #[wasm_bindgen(unchecked_param_type = "CollectRequest")] req: JsValue) -> Result<JsValue, SatchelError> {
        let req: CollectRequest = from_js_value(req)?;
        let view = self.inner.device.collect(req, now(), ids()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// The settlement ending the day with these counts would seal: expected and counted van
    /// and cash, with their variances (core's computation; the page does none).
    #[wasm_bindgen(js_name = previewEnd, unchecked_return_type = "DaySettlement")]
    pub fn preview_end(&self, #[wasm_bindgen(unchecked_param_type = "EndRequest")] req: JsValue) -> Result<JsValue, SatchelError> {
        let req: EndRequest = from_js_value(req)?;
        to_js_value(&self.inner.device.preview_end(&req)?)
    }

    /// Ends the day with the van and cash counted and the crew's signature: the settlement is
    /// sealed and queued after everything it counts. The page locks the workspace after.
    #[wasm_bindgen(js_name = endDay, unchecked_return_type = "EndedDayView")]
    pub async fn end_day(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EndRequest")] req: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Blob")] signature_blob: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let req: EndRequest = from_js_value(req)?;
        self.inner.device.keys()?;
        let sig = signature(&signature_blob).await?;
        let ended = self.inner.device.end_day(req, sig, now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&EndedDayView { day_id: ended.day_id, route: ended.route, truck: ended.truck, ended_at: ended.ended_at, settlement: ended.settlement, queued: true })
    }

    /// A supervisor's delivery days, from the server (online), newest first: each with its
    /// crew, route, truck, progress, variances, the figures where the device's settlement and
    /// the server's recomputation differ, and whether it was approved.
    #[wasm_bindgen(unchecked_return_type = "DayItem[]")]
    pub async fn days(&self) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let answer: serde_json::Value = self.inner.transport.get("/api/v1/days", Some(&token)).await?;
        to_js_value(answer.get("days").unwrap_or(&serde_json::Value::Array(Vec::new())))
    }

    /// One delivery day with its stops, invoices, collections and both settlements (supervisor,
    /// online).
    #[wasm_bindgen(js_name = dayDetail, unchecked_return_type = "DayDetail")]
    pub async fn day_detail(&self, day_id: String) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let id = parse_id("day_id", &day_id)?;
        let answer: serde_json::Value = self.inner.transport.get(&format!("/api/v1/days/{id}"), Some(&token)).await?;
        to_js_value(&answer)
    }

    /// Approves an ended delivery day (supervisor, online).
    #[wasm_bindgen(js_name = approveDay, unchecked_return_type = "DayItem")]
    pub async fn approve_day(&self, day_id: String) -> Result<JsValue, SatchelError> {
        let token = self.inner.device.keys()?.secrets.token.clone();
        let id = parse_id("day_id", &day_id)?;
        let item: serde_json::Value = self.inner.transport.post(&format!("/api/v1/days/{id}/approve"), &serde_json::json!({}), Some(&token)).await?;
        to_js_value(&item)
    }
}
