//! What the counter's screens show, computed from the state: the register and its shift with
//! the X report, parked carts, closed shifts, and a receipt as printed. Every figure is core's.

use serde::Serialize;
use uuid::Uuid;

use super::commit;
use super::counter::ClosedShift;
use super::error::DeviceError;
use super::records::{DeviceRecord, LocalOrder};
use super::state::DeviceState;
use crate::money::Dec;
use crate::pos::{CounterSettings, ShiftReport, Tender};
use crate::sales::{numbering, OrderKind, SalesOrder};
use crate::sync::lifecycle::Status;

/// The counter as its screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct CounterView {
    /// The register this device sells at (absent: the user is not a cashier).
    pub register: Option<String>,
    /// The signed-in cashier.
    pub cashier: String,
    /// The deployment's counter settings (absent until pulled).
    pub settings: Option<CounterSettings>,
    /// The open shift.
    pub shift: Option<ShiftView>,
    /// Carts put aside, oldest first.
    pub parked: Vec<ParkedView>,
    /// The last closed shifts, newest first.
    pub closed: Vec<ClosedView>,
    /// Receipt numbers left in the register's leased ranges.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub receipts_left: u64,
}

/// The open shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ShiftView {
    /// Its id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub shift_id: Uuid,
    /// When it opened (RFC 3339).
    pub opened_at: String,
    /// The X report: the shift so far.
    pub x: ShiftReport,
}

/// A parked cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ParkedView {
    /// Its id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub id: Uuid,
    /// The cashier's label.
    pub label: String,
    /// When (RFC 3339).
    pub parked_at: String,
    /// The cart.
    pub order: SalesOrder,
}

/// A closed shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ClosedView {
    /// Its id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub shift_id: Uuid,
    /// When it opened.
    pub opened_at: String,
    /// When it closed.
    pub closed_at: String,
    /// The Z report.
    pub report: ShiftReport,
}

impl From<&ClosedShift> for ClosedView {
    fn from(c: &ClosedShift) -> Self {
        ClosedView { shift_id: c.shift_id, opened_at: c.opened_at.clone(), closed_at: c.closed_at.clone(), report: c.report.clone() }
    }
}

/// The counter's view.
pub fn counter_view(state: &DeviceState, device: &DeviceRecord) -> CounterView {
    let c = state.counter();
    let receipts_left = state.counters.as_ref().map(|k| numbering::remaining_where(&k.number_ranges, |r| device.is_receipt_range(r))).unwrap_or(0);
    CounterView {
        register: device.register.clone(),
        cashier: device.display_name.clone(),
        settings: state.sales().and_then(|m| m.settings.as_ref()).and_then(|s| s.counter.clone()),
        shift: c.open.as_ref().map(|o| ShiftView { shift_id: o.shift_id, opened_at: o.shift.opened_at.clone(), x: o.shift.x_report() }),
        parked: c
            .parked
            .iter()
            .map(|p| ParkedView { id: p.id, label: p.label.clone(), parked_at: p.parked_at.to_rfc3339(), order: p.order.clone() })
            .collect(),
        closed: c.closed.iter().map(ClosedView::from).collect(),
        receipts_left,
    }
}

/// A receipt line as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct ReceiptLineView {
    /// The product.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// How many.
    pub quantity: Dec,
    /// In what unit.
    pub unit: String,
    /// The unit price.
    pub unit_price: Dec,
    /// The line's discount in percent.
    pub discount_percent: Option<Dec>,
    /// The line's amount before tax, after discount (the engine's).
    pub untaxed: Dec,
    /// The line's total with tax (the engine's).
    pub total: Dec,
}

/// One tax of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ReceiptTaxView {
    /// The code.
    pub code: String,
    /// The name printed.
    pub name: String,
    /// The amount.
    pub amount: Dec,
}

/// One tender of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct TenderLineView {
    /// `cash`, `card`, or the other method's code.
    pub kind: String,
    /// The amount.
    pub amount: Dec,
    /// The reference (card approval, mobile-money id, voucher); absent for cash and a pending
    /// card.
    pub reference: Option<String>,
}

/// A receipt as printed (and shown for a reprint or a refund).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct ReceiptView {
    /// The order id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub order_id: Uuid,
    /// The receipt number.
    pub number: String,
    /// Sale or refund.
    pub refund: bool,
    /// For a refund: the number of the receipt it returns.
    pub refund_of: Option<String>,
    /// When (RFC 3339).
    pub committed_at: String,
    /// The register.
    pub register: String,
    /// The seller as printed (name, address, tax numbers).
    pub seller: Vec<String>,
    /// The customer's name (the walk-in customer's too).
    pub customer: String,
    /// Whether the customer is the walk-in customer.
    pub walk_in: bool,
    /// The lines.
    pub lines: Vec<ReceiptLineView>,
    /// Discounts given.
    pub discount: Dec,
    /// Before tax.
    pub untaxed: Dec,
    /// Each tax.
    pub taxes: Vec<ReceiptTaxView>,
    /// The total with tax.
    pub total: Dec,
    /// The cash rounding adjustment.
    pub rounding: Dec,
    /// What was due (total + rounding).
    pub due: Dec,
    /// The tenders.
    pub tenders: Vec<TenderLineView>,
    /// Their sum.
    pub tendered: Dec,
    /// Cash given back.
    pub change: Dec,
    /// Where its sync stands.
    pub status: Status,
}

fn tender_line(t: &Tender) -> TenderLineView {
    match t {
        Tender::Cash { amount } => TenderLineView { kind: "cash".into(), amount: *amount, reference: None },
        Tender::Card { amount, reference } => TenderLineView { kind: "card".into(), amount: *amount, reference: reference.clone() },
        Tender::Other { method, amount, reference } => TenderLineView { kind: method.clone(), amount: *amount, reference: Some(reference.clone()) },
    }
}

/// A receipt of this device as printed: its taxes recomputed by the engine from the stored
/// document (the figures the server verified), its settlement from its tenders.
pub fn receipt_view(state: &DeviceState, order: &LocalOrder) -> Result<ReceiptView, DeviceError> {
    let doc = &order.document;
    let c = doc.counter.as_ref().ok_or_else(|| DeviceError::invalid("receipt", "not_a_receipt", format!("{} is not a receipt", doc.document_number)))?;
    let quote = commit::quote_at_counter(state, &doc.order, doc.committed_at)?;
    let taxes = quote.taxes.as_ref().ok_or_else(|| DeviceError::invalid("lines", "not_taxable", "the receipt cannot be taxed"))?;
    let rules = state.rules().ok_or_else(|| DeviceError::invalid("", "no_sales_data", "no tax rules"))?;
    let settlement = crate::pos::receipt::settlement_of(doc, rules).ok_or_else(|| DeviceError::invalid("tenders", "tenders_incomplete", "the tenders do not settle the receipt"))?;
    let abs = |d: Dec| Dec(d.value().abs());
    let lines = doc
        .order
        .lines
        .iter()
        .zip(&doc.unit_prices)
        .zip(&taxes.lines)
        .map(|((l, price), t)| {
            let product = state.product(&l.sku);
            let product = product.as_ref();
            ReceiptLineView {
                sku: l.sku.clone(),
                name: product.map(|p| p.name.clone()).unwrap_or_else(|| l.sku.clone()),
                quantity: l.quantity,
                unit: product.map(|p| p.unit.clone()).unwrap_or_default(),
                unit_price: *price,
                discount_percent: l.discount_percent,
                untaxed: abs(t.untaxed),
                total: abs(t.total),
            }
        })
        .collect();
    let settings = state.sales().and_then(|m| m.settings.as_ref()).and_then(|s| s.counter.clone());
    let walk_in = settings.as_ref().is_some_and(|s| s.walk_in_outlet == doc.order.outlet_id);
    Ok(ReceiptView {
        order_id: doc.order_id,
        number: doc.document_number.clone(),
        refund: doc.order.kind == OrderKind::Return,
        refund_of: c.refund_of.as_ref().map(|r| r.receipt_number.clone()),
        committed_at: doc.committed_at.to_rfc3339(),
        register: c.register.clone(),
        seller: settings.map(|s| s.seller).unwrap_or_default(),
        customer: state.outlet(&doc.order.outlet_id).map(|o| o.name.clone()).unwrap_or_else(|| doc.order.outlet_id.clone()),
        walk_in,
        lines,
        discount: abs(taxes.discount),
        untaxed: abs(taxes.untaxed),
        taxes: taxes.taxes.iter().map(|t| ReceiptTaxView { code: t.code.to_string(), name: t.name.to_string(), amount: abs(t.amount) }).collect(),
        total: abs(taxes.total),
        rounding: settlement.rounding,
        due: settlement.due,
        tenders: c.tenders.iter().map(tender_line).collect(),
        tendered: settlement.tendered,
        change: settlement.change,
        status: order.fate.status(),
    })
}

/// A receipt found by a lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ReceiptHit {
    /// The order id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub order_id: Uuid,
    /// The number.
    pub number: String,
    /// When (RFC 3339).
    pub committed_at: String,
    /// The total.
    pub total: Dec,
    /// Whether it is a refund.
    pub refund: bool,
}

/// The receipts of this device matching `query`: a number as printed or its last digits (3 or
/// more), an amount (the total, e.g. `12.40`), a business date (`2026-12-04`), or a date and an
/// amount (`2026-12-04 12.40`); newest first, at most `limit`. An empty query lists the latest.
pub fn find_receipts(state: &DeviceState, query: &str, limit: usize) -> Vec<ReceiptHit> {
    let q = query.trim();
    // A date, alone or before an amount.
    let (first, after) = q.split_once(' ').map(|(a, b)| (a, b.trim())).unwrap_or((q, ""));
    let (date, q) = match first.parse::<chrono::NaiveDate>() {
        Ok(d) => (Some(d), after),
        Err(_) => (None, q),
    };
    let amount = crate::money::parse_decimal(&crate::money::normalize_decimal_input(q).unwrap_or_default()).ok();
    let mut hits: Vec<&LocalOrder> = state
        .orders
        .values()
        .filter(|o| o.document.counter.is_some())
        .filter(|o| date.is_none_or(|d| o.document.order.business_date == d))
        .filter(|o| {
            let d = &o.document;
            q.is_empty()
                || d.document_number.eq_ignore_ascii_case(q)
                || (q.len() >= 3 && d.document_number.ends_with(q))
                || amount.is_some_and(|a| d.total.value().abs() == a)
        })
        .collect();
    hits.sort_by_key(|o| std::cmp::Reverse(o.document.committed_at));
    hits.into_iter()
        .take(limit)
        .map(|o| ReceiptHit {
            order_id: o.order_id(),
            number: o.document.document_number.clone(),
            committed_at: o.document.committed_at.to_rfc3339(),
            total: Dec(o.document.total.value().abs()),
            refund: o.document.order.kind == OrderKind::Return,
        })
        .collect()
}
