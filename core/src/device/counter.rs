//! The counter on the device: a cashier's shift, sales paid at the counter, refunds against a
//! receipt, cash movements, parked carts and the X / Z reports, each a pure use case returning a
//! [`WritePlan`] like an order's commit.
//!
//! # Decisions
//!
//! - **The shift is one sealed record** ([`CounterState`] in `meta/counter`), read in each
//!   change's own transaction: two tabs of the same counter are serialized by the database and
//!   never record a receipt in a shift the other closed.
//! - **A receipt number is taken when the tenders cover the total, and only then**, in the
//!   transaction that stores the receipt and its outbox entry: a voided cart or a refused tender
//!   uses no number, so the register's receipts have no gaps.
//! - **Every money figure comes from core**: the cart's taxes and total from the quote, the
//!   change and cash rounding from [`pos::settle`], a refund's tenders from
//!   [`pos::refund_tenders`], the reports from [`pos::report`]. The page shows them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::commit;
use super::error::DeviceError;
use super::plan::{MetaRecord, Record, RecordId, WritePlan};
use super::records::{Counters, DeviceRecord, LocalOrder};
use super::state::DeviceState;
use crate::money::Dec;
use crate::pos::{
    self, CashMovement, CounterSale, CounterSettings, Denomination, MovementEntry, RefundOf, ReturnLine,
    Settlement, Shift, ShiftClosing, ShiftOpening, ShiftReport, Tender,
};
use crate::sales::{self, numbering, OrderKind, SalesDocument, SalesLine, SalesOrder};
use crate::sync::lifecycle::Fate;
use crate::sync::protocol::{Mutation, MutationBody};

/// How many closed shifts the device keeps to show.
pub const KEEP_CLOSED: usize = 20;

/// The counter's record (`meta/counter`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterState {
    /// The shift open on this device, if any.
    #[serde(default)]
    pub open: Option<OpenShift>,
    /// The last closed shifts, newest first.
    #[serde(default)]
    pub closed: Vec<ClosedShift>,
    /// Carts put aside, oldest first.
    #[serde(default)]
    pub parked: Vec<ParkedCart>,
}

/// A shift being worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenShift {
    /// Its id.
    pub shift_id: Uuid,
    /// The `shift.open` mutation, which every receipt, movement and the close depend on.
    pub open_mutation: Uuid,
    /// The shift's figures.
    pub shift: Shift,
}

/// A closed shift, as the device keeps it to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedShift {
    /// Its id.
    pub shift_id: Uuid,
    /// The register.
    pub register: String,
    /// The cashier.
    pub cashier: String,
    /// When it opened and closed (RFC 3339).
    pub opened_at: String,
    /// When it closed.
    pub closed_at: String,
    /// The Z report.
    pub report: ShiftReport,
    /// The `shift.close` mutation.
    pub close_mutation: Uuid,
}

/// A cart put aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkedCart {
    /// Its id.
    pub id: Uuid,
    /// When.
    pub parked_at: DateTime<Utc>,
    /// The cashier's label ("lady in red coat").
    pub label: String,
    /// The cart.
    pub order: SalesOrder,
}

fn counter_settings(state: &DeviceState) -> Result<CounterSettings, DeviceError> {
    state
        .sales()
        .and_then(|m| m.settings.as_ref())
        .and_then(|s| s.counter.clone())
        .ok_or_else(|| DeviceError::invalid("", "no_counter", "this deployment has no counter settings; sync online once"))
}

fn register_of(device: &DeviceRecord) -> Result<String, DeviceError> {
    device
        .register
        .clone()
        .ok_or_else(|| DeviceError::invalid("register", "no_register", format!("{} has no register to sell at", device.username)))
}

fn shift_error(e: pos::ShiftError) -> DeviceError {
    let field = match e {
        pos::ShiftError::ReasonRequired => "reason",
        pos::ShiftError::NonPositive(_) => "amount",
        _ => "shift",
    };
    DeviceError::invalid(field, e.code(), e.to_string())
}

fn receipt_error(e: pos::ReceiptError) -> DeviceError {
    DeviceError::invalid(e.field(), e.code(), e.to_string())
}

fn open_of(counter: &CounterState) -> Result<&OpenShift, DeviceError> {
    counter.open.as_ref().ok_or_else(|| DeviceError::invalid("shift", "no_open_shift", "open a shift first"))
}

fn next_mutation(counters: &Counters, device_id: Uuid, id: Uuid, body: MutationBody, at: DateTime<Utc>, depends_on: Vec<Uuid>) -> (Counters, Mutation) {
    let mut next = counters.clone();
    let seq = next.next_seq;
    next.next_seq += 1;
    (next, Mutation { device_id, seq, id, body, created_at: at, depends_on })
}

fn now_ms(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp_millis()).unwrap_or(0)
}

/// Opens a shift at the user's register with the float counted by denomination.
pub fn open_shift(
    counter: &CounterState,
    counters: &Counters,
    device: &DeviceRecord,
    float: Vec<Denomination>,
    now: DateTime<Utc>,
    shift_id: Uuid,
    mutation_id: Uuid,
) -> Result<(WritePlan, CounterState), DeviceError> {
    if let Some(open) = &counter.open {
        return Err(DeviceError::invalid("shift", "shift_open", format!("shift of {} is still open; close it first", open.shift.opened_at)));
    }
    let register = register_of(device)?;
    let shift = Shift::open(&shift_id.to_string(), &register, &device.username, &now.to_rfc3339(), float.clone()).map_err(shift_error)?;
    let opening = ShiftOpening { shift_id, register, cashier: device.username.clone(), opened_at: now, float };
    let (next, mutation) = next_mutation(counters, device.device_id, mutation_id, MutationBody::ShiftOpen(opening), now, Vec::new());
    let mut state = counter.clone();
    state.open = Some(OpenShift { shift_id, open_mutation: mutation_id, shift });
    let mut plan = WritePlan::new();
    plan.add(Record::NewOutbox { mutation, target: None, committed_ms: now_ms(now) });
    plan.put(Record::Meta(MetaRecord::Counter(state.clone())));
    plan.counters = Some(next);
    Ok((plan, state))
}

/// Records a paid-in, paid-out or no-sale in the open shift.
pub fn record_movement(
    counter: &CounterState,
    counters: &Counters,
    device_id: Uuid,
    movement: CashMovement,
    now: DateTime<Utc>,
    mutation_id: Uuid,
) -> Result<(WritePlan, CounterState), DeviceError> {
    let open = open_of(counter)?;
    let mut shift = open.shift.clone();
    shift.record_movement(movement.clone()).map_err(shift_error)?;
    let entry = MovementEntry { shift_id: open.shift_id, at: now, movement };
    let (next, mutation) = next_mutation(counters, device_id, mutation_id, MutationBody::CashMovement(entry), now, vec![open.open_mutation]);
    let mut state = counter.clone();
    if let Some(o) = state.open.as_mut() {
        o.shift = shift;
    }
    let mut plan = WritePlan::new();
    plan.add(Record::NewOutbox { mutation, target: None, committed_ms: now_ms(now) });
    plan.put(Record::Meta(MetaRecord::Counter(state.clone())));
    plan.counters = Some(next);
    Ok((plan, state))
}

/// Closes the open shift with the drawer as counted: the Z report, and the close queued
/// depending on everything the shift sent.
pub fn close_shift(
    counter: &CounterState,
    counters: &Counters,
    device_id: Uuid,
    counted: Vec<Denomination>,
    now: DateTime<Utc>,
    mutation_id: Uuid,
) -> Result<(WritePlan, ClosedShift), DeviceError> {
    let open = open_of(counter)?;
    let mut shift = open.shift.clone();
    let report = shift.close(&now.to_rfc3339(), counted.clone()).map_err(shift_error)?.clone();
    let closing = ShiftClosing {
        shift_id: open.shift_id,
        closed_at: now,
        counted,
        receipts: u32::try_from(shift.receipts.len()).unwrap_or(u32::MAX),
        movements: u32::try_from(shift.movements.len()).unwrap_or(u32::MAX),
        report: report.clone(),
    };
    // The close depends on the opening only: the server applies this device's mutations in
    // sequence order, so every receipt and movement of the shift comes before it; one the
    // server refused shows as a difference of the Z report instead of holding the close.
    let (next, mutation) = next_mutation(counters, device_id, mutation_id, MutationBody::ShiftClose(Box::new(closing)), now, vec![open.open_mutation]);
    let closed = ClosedShift {
        shift_id: open.shift_id,
        register: shift.register.clone(),
        cashier: shift.cashier.clone(),
        opened_at: shift.opened_at.clone(),
        closed_at: now.to_rfc3339(),
        report,
        close_mutation: mutation_id,
    };
    let mut state = counter.clone();
    state.open = None;
    state.closed.insert(0, closed.clone());
    state.closed.truncate(KEEP_CLOSED);
    let mut plan = WritePlan::new();
    plan.add(Record::NewOutbox { mutation, target: None, committed_ms: now_ms(now) });
    plan.put(Record::Meta(MetaRecord::Counter(state)));
    plan.counters = Some(next);
    Ok((plan, closed))
}

/// A sale (or a refund) the cashier tenders.
#[derive(Debug, Clone)]
pub struct Tendered {
    /// The cart (or the return order of a refund).
    pub order: SalesOrder,
    /// How it is paid (or paid back).
    pub tenders: Vec<Tender>,
    /// For a refund: the receipt it returns goods of.
    pub refund_of: Option<RefundOf>,
    /// A manager's approval (a return without a receipt), made for this sale's order id with
    /// [`approve`].
    pub approval: Option<pos::ManagerApproval>,
    /// The parked cart it was resumed from (dropped with the sale).
    pub parked: Option<Uuid>,
}

/// A receipt quoted, waiting for its transaction.
#[derive(Debug, Clone)]
pub struct PreparedReceipt {
    quote: sales::Quote,
    order: SalesOrder,
    counter: CounterSale,
    depends_on: Vec<Uuid>,
    parked: Option<Uuid>,
}

/// Quotes a sale or refund and checks what memory can: an open shift, no blocking finding,
/// and for a refund the receipt it returns.
pub fn prepare(state: &DeviceState, counter: &CounterState, device: &DeviceRecord, t: Tendered, now: DateTime<Utc>) -> Result<PreparedReceipt, DeviceError> {
    let open = open_of(counter)?;
    let register = register_of(device)?;
    let mut order = t.order;
    order.cash = false;
    let mut depends_on = vec![open.open_mutation];
    if let Some(r) = &t.refund_of {
        order.kind = OrderKind::Return;
        let original = state
            .order(&r.order_id)
            .ok_or_else(|| DeviceError::invalid("refund_of", "unknown_receipt", format!("receipt {} is not on this device", r.receipt_number)))?;
        depends_on.push(original.mutation_id);
    }
    let quote = commit::quote_at_counter(state, &order, now)?;
    if let Some(f) = quote.verdict.findings.iter().find(|f| f.severity == crate::validation::Severity::Block) {
        return Err(DeviceError::invalid(f.field.clone(), sales::rule_code(f.rule), f.message.clone()));
    }
    let counter_sale = CounterSale { shift_id: open.shift_id, register, tenders: t.tenders, refund_of: t.refund_of, approval: t.approval };
    Ok(PreparedReceipt { quote, order, counter: counter_sale, depends_on, parked: t.parked })
}

/// The receipt's writes, with the counters and the shift read in its transaction: the
/// register's next number, the check both sides run, the receipt with its outbox entry, the
/// shift's figures.
#[allow(clippy::too_many_arguments)]
pub fn plan_receipt(
    state: &DeviceState,
    p: &PreparedReceipt,
    counter: &CounterState,
    counters: &Counters,
    device_id: Uuid,
    now: DateTime<Utc>,
    order_id: Uuid,
    mutation_id: Uuid,
) -> Result<(WritePlan, LocalOrder), DeviceError> {
    let open = open_of(counter)?;
    if open.shift_id != p.counter.shift_id {
        return Err(DeviceError::invalid("shift", "shift_changed", "the shift was closed in another tab"));
    }
    let settings = counter_settings(state)?;
    let rules = state.rules().ok_or_else(|| DeviceError::invalid("", "no_sales_data", "no tax rules on this device yet"))?;
    let taxes = p.quote.taxes.as_ref().ok_or_else(|| DeviceError::invalid("lines", "not_taxable", "the cart cannot be taxed"))?;
    let mut next = counters.clone();
    let prefix = pos::receipt_prefix(&p.counter.register);
    let number = numbering::take_next_where(&mut next.number_ranges, |r| r.prefix == prefix).ok_or(DeviceError::NoDocumentNumbers)?;
    let mut document = SalesDocument::from_quote(order_id, number, now, p.order.clone(), &p.quote)?;
    document.counter = Some(p.counter.clone());
    let checked = pos::check(&document, taxes, rules, &settings).map_err(receipt_error)?;
    if let Some(r) = &p.counter.refund_of {
        let original = state.order(&r.order_id).ok_or_else(|| DeviceError::invalid("refund_of", "unknown_receipt", "receipt not on this device"))?;
        let earlier = refunds_of(state, r.order_id);
        pos::check_refund(&document, &checked.settlement, &original.document, &earlier, rules, &settings).map_err(receipt_error)?;
    }
    let mut shift = open.shift.clone();
    shift.record_receipt(checked.figures).map_err(shift_error)?;
    let seq = next.next_seq;
    next.next_seq += 1;
    let order = LocalOrder { document: document.clone(), seq, mutation_id, task_id: None, fate: Fate::Pending, awaiting_pull: None };
    let mutation = Mutation { device_id, seq, id: mutation_id, body: MutationBody::SalesOrderCreate(Box::new(document)), created_at: now, depends_on: p.depends_on.clone() };
    let mut cs = counter.clone();
    if let Some(o) = cs.open.as_mut() {
        o.shift = shift;
    }
    if let Some(id) = p.parked {
        cs.parked.retain(|c| c.id != id);
    }
    let mut plan = WritePlan::new();
    plan.add(Record::Order(order.clone()));
    plan.add(Record::NewOutbox { mutation, target: Some(RecordId::Order(order_id)), committed_ms: now_ms(now) });
    plan.put(Record::Meta(MetaRecord::Counter(cs)));
    plan.counters = Some(next);
    Ok((plan, order))
}

/// A manager's approval of the document `order_id`, with their PIN checked against what this
/// device holds of them (offline); the server checks the proof again.
pub fn approve(state: &DeviceState, manager: &str, pin: &str, order_id: Uuid) -> Result<pos::ManagerApproval, DeviceError> {
    let settings = counter_settings(state)?;
    pos::approval::approve(&settings.managers, manager, pin, order_id).map_err(|e| DeviceError::invalid("manager_pin", e.code(), e.to_string()))
}

/// The refunds this device holds of a receipt (not refused ones).
pub fn refunds_of(state: &DeviceState, original: Uuid) -> Vec<&SalesDocument> {
    state
        .orders
        .values()
        .filter(|o| o.is_real())
        .filter(|o| o.document.counter.as_ref().and_then(|c| c.refund_of.as_ref()).is_some_and(|r| r.order_id == original))
        .map(|o| &o.document)
        .collect()
}

/// A refund laid out before the cashier confirms it: the return order (the sale's mirror, on
/// the sale's business date and discounts) and the tenders the money goes back to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct RefundProposal {
    /// The return order.
    pub order: SalesOrder,
    /// What goes back.
    pub amount: Dec,
    /// Where it goes, per the deployment's policy.
    pub tenders: Vec<Tender>,
    /// The receipt.
    pub refund_of: RefundOf,
}

/// Proposes the refund of `lines` of a receipt: checked against what the receipt sold less
/// earlier refunds, taxed as the sale's mirror, paid back the way the sale was paid (or in
/// cash, by policy).
pub fn propose_refund(state: &DeviceState, original_id: Uuid, lines: &[ReturnLine], now: DateTime<Utc>) -> Result<RefundProposal, DeviceError> {
    let original = state
        .order(&original_id)
        .filter(|o| o.document.counter.is_some() && o.document.order.kind == OrderKind::Sale)
        .ok_or_else(|| DeviceError::invalid("receipt", "unknown_receipt", "no such sale on this device"))?;
    let earlier = refunds_of(state, original_id);
    let sold = pos::receipt::sold_lines(&original.document, &earlier);
    let chosen = pos::plan_return(&sold, lines).map_err(|e| DeviceError::invalid("lines", e.code(), e.to_string()))?;
    let src = &original.document.order;
    let order = SalesOrder {
        outlet_id: src.outlet_id.clone(),
        business_date: src.business_date,
        lines: chosen
            .into_iter()
            .map(|(sku, quantity)| {
                let discount_percent = src.lines.iter().find(|l| l.sku == sku).and_then(|l| l.discount_percent);
                SalesLine { sku, quantity, discount_percent }
            })
            .collect(),
        order_discount_percent: src.order_discount_percent,
        note: None,
        requested_delivery_date: None,
        customer_reference: None,
        cash: false,
        kind: OrderKind::Return,
    };
    let quote = commit::quote_at_counter(state, &order, now)?;
    let amount = quote.taxes.as_ref().map(|t| t.total.value().abs()).ok_or_else(|| DeviceError::invalid("lines", "not_taxable", "the refund cannot be taxed"))?;
    let settings = counter_settings(state)?;
    let rules = state.rules().ok_or_else(|| DeviceError::invalid("", "no_sales_data", "no tax rules"))?;
    let kept = pos::receipt::kept_by_kind(&original.document, rules);
    let mut given_back: Vec<(String, Dec)> = Vec::new();
    for r in &earlier {
        given_back.extend(pos::receipt::kept_by_kind(r, rules));
    }
    let parts = pos::refund_tenders(amount, &kept, &given_back, settings.refund_to);
    let original_tenders = original.document.counter.as_ref().map(|c| c.tenders.clone()).unwrap_or_default();
    let mut tenders: Vec<Tender> = parts
        .into_iter()
        .map(|(kind, amount)| match kind.as_str() {
            "cash" => Tender::Cash { amount },
            "card" => Tender::Card { amount, reference: None },
            method => {
                let reference = original_tenders
                    .iter()
                    .find_map(|t| match t {
                        Tender::Other { method: m, reference, .. } if m == method => Some(reference.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                Tender::Other { method: method.into(), amount, reference }
            }
        })
        .collect();
    // Cash paid back is rounded like cash taken: settle says how much cash goes out.
    if let Ok(s) = pos::receipt::settle_under(rules, amount, &tenders) {
        if let Some(Tender::Cash { amount: cash }) = tenders.iter_mut().find(|t| matches!(t, Tender::Cash { .. })) {
            let non_cash: Decimal = s.by_kind.iter().filter(|(k, _)| k != "cash").map(|(_, v)| v.value()).sum();
            *cash = Dec(s.due.value() - non_cash);
        }
    }
    let refund_of = RefundOf { order_id: original_id, receipt_number: original.document.document_number.clone() };
    Ok(RefundProposal { order, amount: Dec(amount), tenders, refund_of })
}

/// The tender screen's figures for a cart of `total` with `tenders` so far: due (cash-rounded
/// where cash pays), tendered, change, what is left; or why the tenders are refused.
pub fn tender_preview(state: &DeviceState, total: Decimal, tenders: &[Tender]) -> Result<Settlement, DeviceError> {
    let rules = state.rules().ok_or_else(|| DeviceError::invalid("", "no_sales_data", "no tax rules"))?;
    pos::receipt::settle_under(rules, total.abs(), tenders).map_err(|e| receipt_error(e.into()))
}

/// Parks a cart.
pub fn park(counter: &CounterState, order: SalesOrder, label: &str, now: DateTime<Utc>, id: Uuid) -> Result<(WritePlan, CounterState), DeviceError> {
    if order.lines.is_empty() {
        return Err(DeviceError::invalid("lines", "empty_cart", "nothing to park"));
    }
    let mut state = counter.clone();
    state.parked.push(ParkedCart { id, parked_at: now, label: label.trim().to_string(), order });
    let mut plan = WritePlan::new();
    plan.put(Record::Meta(MetaRecord::Counter(state.clone())));
    Ok((plan, state))
}

/// Takes a parked cart back (it stays parked until sold or dropped).
pub fn parked(counter: &CounterState, id: Uuid) -> Result<ParkedCart, DeviceError> {
    counter.parked.iter().find(|c| c.id == id).cloned().ok_or_else(|| DeviceError::invalid("parked", "unknown_cart", "no such parked cart"))
}

/// Drops a parked cart.
pub fn drop_parked(counter: &CounterState, id: Uuid) -> Result<(WritePlan, CounterState), DeviceError> {
    parked(counter, id)?;
    let mut state = counter.clone();
    state.parked.retain(|c| c.id != id);
    let mut plan = WritePlan::new();
    plan.put(Record::Meta(MetaRecord::Counter(state.clone())));
    Ok((plan, state))
}
