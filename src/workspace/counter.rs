//! The counter half of the `Workspace` API: shifts, sales tendered at the counter, refunds,
//! cash movements, parked carts and receipts, each a call into core's device
//! (`satchel_core::device::counter`) and a conversion of its result.

use wasm_bindgen::prelude::*;

use satchel_core::device::app::Ids;
use satchel_core::device::counter::Tendered;
use satchel_core::device::counter_views::ClosedView;
use satchel_core::pos::{CashMovement, Denomination, RefundOf, ReturnLine, Tender};
use satchel_core::sales::SalesOrder;

use super::business::parse_id;
use super::{from_js_value, now, to_js_value, Workspace};
use crate::error::SatchelError;
use crate::BrowserRng;

fn ids() -> Result<Ids, SatchelError> {
    Ok(Ids { record: crate::new_id()?, mutation: crate::new_id()? })
}

#[wasm_bindgen]
impl Workspace {
    /// The counter: the register, the open shift with its X report, parked carts, closed shifts
    /// with their Z reports, the deployment's counter settings.
    #[wasm_bindgen(js_name = counter, unchecked_return_type = "CounterView")]
    pub fn counter(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.device.counter_view()?)
    }

    /// Opens a shift at the user's register with the float counted by denomination.
    #[wasm_bindgen(js_name = openShift, unchecked_return_type = "CounterView")]
    pub async fn open_shift(&self, #[wasm_bindgen(unchecked_param_type = "Denomination[]")] float: JsValue) -> Result<JsValue, SatchelError> {
        let float: Vec<Denomination> = from_js_value(float)?;
        let view = self.inner.device.open_shift(float, now(), ids()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Records a paid-in, paid-out or no-sale (with its reason) in the open shift.
    #[wasm_bindgen(js_name = cashMovement, unchecked_return_type = "CounterView")]
    pub async fn cash_movement(&self, #[wasm_bindgen(unchecked_param_type = "CashMovement")] movement: JsValue) -> Result<JsValue, SatchelError> {
        let movement: CashMovement = from_js_value(movement)?;
        let view = self.inner.device.record_movement(movement, now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Closes the open shift with the drawer counted by denomination; returns the Z report.
    #[wasm_bindgen(js_name = closeShift, unchecked_return_type = "ClosedView")]
    pub async fn close_shift(&self, #[wasm_bindgen(unchecked_param_type = "Denomination[]")] counted: JsValue) -> Result<JsValue, SatchelError> {
        let counted: Vec<Denomination> = from_js_value(counted)?;
        let closed = self.inner.device.close_shift(counted, now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&ClosedView::from(&closed))
    }

    /// Prices, taxes and validates a cart of the counter, as `quote` does for an order, without
    /// the rules that do not apply to a sale paid there and then (likely duplicate, credit).
    #[wasm_bindgen(js_name = quoteSale, unchecked_return_type = "QuoteView")]
    pub fn quote_sale(&self, #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue) -> Result<JsValue, SatchelError> {
        let order: SalesOrder = from_js_value(order)?;
        to_js_value(&satchel_core::device::views::QuoteView::from(&self.inner.device.quote_sale(&order, now())?))
    }

    /// What the tenders so far come to for a cart of `total`: due (cash-rounded where cash
    /// pays), tendered, change, remaining, complete; or a `validation` error (a card over what
    /// is left, too many decimals).
    #[wasm_bindgen(js_name = tenderPreview, unchecked_return_type = "Settlement")]
    pub fn tender_preview(&self, total: &str, #[wasm_bindgen(unchecked_param_type = "Tender[]")] tenders: JsValue) -> Result<JsValue, SatchelError> {
        let total = satchel_core::money::parse_decimal(total).map_err(|e| SatchelError::Validation { field: "total".into(), detail: "malformed".into(), message: e.to_string() })?;
        let tenders: Vec<Tender> = from_js_value(tenders)?;
        to_js_value(&self.inner.device.tender_preview(total, &tenders)?)
    }

    /// Completes a sale whose tenders cover it: numbered from the register's range, stored with
    /// its outbox entry, counted in the shift, in one durable transaction. Returns the receipt.
    /// `parked_id`: the parked cart it was resumed from (dropped with the sale).
    #[wasm_bindgen(js_name = completeSale, unchecked_return_type = "ReceiptView")]
    pub async fn complete_sale(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Tender[]")] tenders: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | undefined")] parked_id: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let order: SalesOrder = from_js_value(order)?;
        let tenders: Vec<Tender> = from_js_value(tenders)?;
        let parked = parked_id.map(|p| parse_id("parked_id", &p)).transpose()?;
        let t = Tendered { order, tenders, refund_of: None, approval: None, parked };
        let tendered = self.inner.device.tender(t, now(), ids()?, &mut BrowserRng).await;
        // Sales during an outage: completed, or failed for a reason that is not the cashier's
        // input (a validation error is not a failed sale).
        match &tendered {
            Ok(_) => crate::telemetry::note(&self.inner, |t| t.counter_sale(true)).await,
            Err(e) if !matches!(e, satchel_core::device::error::DeviceError::Invalid { .. }) => crate::telemetry::note(&self.inner, |t| t.counter_sale(false)).await,
            Err(_) => {}
        }
        let receipt = tendered?;
        self.inner.changed();
        to_js_value(&receipt)
    }

    /// Lays out the refund of some lines of a receipt: the return order, the amount and the
    /// tenders it goes back to (the sale's, or cash, by the deployment's policy).
    #[wasm_bindgen(js_name = proposeRefund, unchecked_return_type = "RefundProposal")]
    pub fn propose_refund(&self, order_id: &str, #[wasm_bindgen(unchecked_param_type = "ReturnLine[]")] lines: JsValue) -> Result<JsValue, SatchelError> {
        let id = parse_id("order_id", order_id)?;
        let lines: Vec<ReturnLine> = from_js_value(lines)?;
        to_js_value(&self.inner.device.propose_refund(id, &lines, now())?)
    }

    /// Completes a refund as proposed: stored, queued (after the sale), counted in the shift.
    #[wasm_bindgen(js_name = completeRefund, unchecked_return_type = "ReceiptView")]
    pub async fn complete_refund(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Tender[]")] tenders: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RefundOf")] refund_of: JsValue,
    ) -> Result<JsValue, SatchelError> {
        let order: SalesOrder = from_js_value(order)?;
        let tenders: Vec<Tender> = from_js_value(tenders)?;
        let refund_of: RefundOf = from_js_value(refund_of)?;
        let t = Tendered { order, tenders, refund_of: Some(refund_of), approval: None, parked: None };
        let tendered = self.inner.device.tender(t, now(), ids()?, &mut BrowserRng).await;
        // Sales during an outage: completed, or failed for a reason that is not the cashier's
        // input (a validation error is not a failed sale).
        match &tendered {
            Ok(_) => crate::telemetry::note(&self.inner, |t| t.counter_sale(true)).await,
            Err(e) if !matches!(e, satchel_core::device::error::DeviceError::Invalid { .. }) => crate::telemetry::note(&self.inner, |t| t.counter_sale(false)).await,
            Err(_) => {}
        }
        let receipt = tendered?;
        self.inner.changed();
        to_js_value(&receipt)
    }

    /// Completes a return without a receipt (goods back, money out), where the deployment's
    /// policy allows it: with `manager` and `pin` when it asks for a manager's approval (the PIN
    /// is checked on the device, the approval proved to the server; the PIN is not kept).
    #[wasm_bindgen(js_name = completeReturn, unchecked_return_type = "ReceiptView")]
    pub async fn complete_return(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Tender[]")] tenders: JsValue,
        manager: Option<String>,
        pin: Option<String>,
    ) -> Result<JsValue, SatchelError> {
        let mut order: SalesOrder = from_js_value(order)?;
        order.kind = satchel_core::sales::OrderKind::Return;
        let tenders: Vec<Tender> = from_js_value(tenders)?;
        let ids = ids()?;
        let pin = satchel_core::vault::Zeroizing::new(pin.unwrap_or_default());
        let approval = match manager {
            Some(m) if !m.is_empty() => Some(self.inner.device.approve(&m, &pin, ids.record)?),
            _ => None,
        };
        let t = Tendered { order, tenders, refund_of: None, approval, parked: None };
        let receipt = self.inner.device.tender(t, now(), ids, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&receipt)
    }

    /// A receipt of this device as printed.
    #[wasm_bindgen(unchecked_return_type = "ReceiptView")]
    pub fn receipt(&self, order_id: &str) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.device.receipt(parse_id("order_id", order_id)?)?)
    }

    /// Receipts of this device by number (typed or scanned), its last digits, or total.
    #[wasm_bindgen(js_name = findReceipts, unchecked_return_type = "ReceiptHit[]")]
    pub fn find_receipts(&self, query: &str, limit: u32) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.device.find_receipts(query, limit as usize)?)
    }

    /// Puts the cart aside under a label.
    #[wasm_bindgen(js_name = parkCart, unchecked_return_type = "CounterView")]
    pub async fn park_cart(&self, #[wasm_bindgen(unchecked_param_type = "SalesOrder")] order: JsValue, label: String) -> Result<JsValue, SatchelError> {
        let order: SalesOrder = from_js_value(order)?;
        let view = self.inner.device.park(order, &label, now(), crate::new_id()?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }

    /// Drops a parked cart.
    #[wasm_bindgen(js_name = dropParked, unchecked_return_type = "CounterView")]
    pub async fn drop_parked(&self, id: &str) -> Result<JsValue, SatchelError> {
        let view = self.inner.device.drop_parked(parse_id("id", id)?, &mut BrowserRng).await?;
        self.inner.changed();
        to_js_value(&view)
    }
}
