//! Quoting and committing an order on the device.
//!
//! The quote is core's [`sales::quote`] over the device's data: the outlet as shown, the van's
//! stock and the outlet's balance with this device's orders on top, and only this outlet's recent
//! orders within the policy's duplicate window (so a quote costs the same at 17:00 as at 09:00).
//! The commit is two steps: [`prepare`] quotes from memory and refuses what blocks; [`plan`] runs
//! inside the commit's transaction with the counters read there, takes the sequence number and
//! the document number, and writes the order, its sealed outbox entry and the counters, and
//! deletes the draft, all or nothing. The van is not written: its stock is derived.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::DeviceError;
use super::plan::{Record, RecordId, WritePlan};
use super::records::{Counters, DeviceRecord, LocalOrder};
use super::state::DeviceState;
use crate::sales::{self, Catalog, Quote, SalesContext, SalesDocument, SalesOrder};
use crate::sync::lifecycle::Fate;
use crate::sync::protocol::{Mutation, MutationBody};

fn no_sales_data() -> DeviceError {
    DeviceError::invalid("", "no_sales_data", "no sales data on this device yet; sync online once")
}

/// Quotes `order` with this device's data: prices, taxes with the breakdown, findings.
pub fn quote(state: &DeviceState, order: &SalesOrder, now: DateTime<Utc>) -> Result<Quote, DeviceError> {
    quote_with(state, order, now, true)
}

/// Quotes a sale or refund of the counter: as [`quote`], without the likely-duplicate rule
/// ([`sales::effects::duplicate_rule_applies`]) and without the credit rule (the tenders pay
/// it, [`sales::effects::paying_at_counter`]).
pub fn quote_at_counter(state: &DeviceState, order: &SalesOrder, now: DateTime<Utc>) -> Result<Quote, DeviceError> {
    quote_with(state, order, now, false)
}

fn quote_with(state: &DeviceState, order: &SalesOrder, now: DateTime<Utc>, field_order: bool) -> Result<Quote, DeviceError> {
    let (Some(meta), Some(rules)) = (state.sales(), state.rules()) else { return Err(no_sales_data()) };
    let settings = meta.settings.as_ref().ok_or_else(no_sales_data)?;
    let outlet = state
        .outlet(&order.outlet_id)
        .ok_or_else(|| DeviceError::invalid("outlet_id", "unknown_outlet", format!("outlet {} is not on your routes", order.outlet_id)))?;
    let outlet = if field_order { outlet } else { sales::effects::paying_at_counter(&outlet) };
    // Only the order's products and SKUs: the whole catalog or van on every keystroke is waste.
    let products: Vec<_> = order.lines.iter().filter_map(|l| state.product(&l.sku)).collect();
    let catalog = Catalog::new(&products, &meta.price_lists);
    let window = sales::duplicate_window(&settings.policy);
    let ctx = SalesContext {
        role: meta.role.clone(),
        now,
        stock: order.lines.iter().filter_map(|l| state.van_available(&l.sku).map(|s| (l.sku.clone(), s))).collect(),
        pending_on_device: crate::money::Dec(state.balance_on_top(&order.outlet_id)),
        recent_orders: if field_order { state.recent_orders(&order.outlet_id, order.kind, now, window) } else { Vec::new() },
    };
    Ok(sales::quote(settings, rules, &catalog, &outlet, order, &ctx)?)
}

/// What the page asks to commit.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    /// The order.
    pub order: SalesOrder,
    /// The draft it was composed in (deleted with the commit).
    pub draft_id: Option<Uuid>,
    /// The task it is billed from.
    pub task_id: Option<String>,
}

/// A commit quoted and checked, waiting for its transaction.
#[derive(Debug, Clone)]
pub struct Prepared {
    order: SalesOrder,
    /// The quote it commits.
    pub quote: Quote,
    depends_on: Vec<Uuid>,
    task_id: Option<String>,
    draft_id: Option<Uuid>,
    order_id: Uuid,
    mutation_id: Uuid,
    committed_at: DateTime<Utc>,
    delivery: Option<crate::delivery::DayLink>,
}

impl Prepared {
    /// The task it is billed from.
    pub fn task_id(&self) -> Option<&str> {
        self.task_id.as_deref()
    }

    /// Billed from a stop of the open delivery day: the document carries the day, and the
    /// order depends on the day's start.
    pub fn in_day(&self, link: crate::delivery::DayLink, start_mutation: Uuid) -> Prepared {
        let mut p = self.clone();
        p.delivery = Some(link);
        if !p.depends_on.contains(&start_mutation) {
            p.depends_on.insert(0, start_mutation);
        }
        p
    }
}

/// Quotes the order and checks what can be checked from memory: the task it is billed from must
/// be assigned to the user, and no finding may block. Billed from a completed task, the order
/// depends on the completion: the server never applies it first and holds it if the completion
/// is refused.
pub fn prepare(state: &DeviceState, req: CommitRequest, now: DateTime<Utc>, order_id: Uuid, mutation_id: Uuid) -> Result<Prepared, DeviceError> {
    let depends_on = match &req.task_id {
        Some(id) => {
            let task = state
                .task(id)
                .ok_or_else(|| DeviceError::invalid("task_id", "unknown_task", format!("task {id} is not assigned to you")))?;
            task.completion.as_ref().map(|c| vec![c.mutation_id]).unwrap_or_default()
        }
        None => Vec::new(),
    };
    let quote = quote(state, &req.order, now)?;
    if let Some(f) = quote.verdict.findings.iter().find(|f| f.severity == crate::validation::Severity::Block) {
        return Err(DeviceError::invalid(f.field.clone(), sales::rule_code(f.rule), f.message.clone()));
    }
    Ok(Prepared {
        order: req.order,
        quote,
        depends_on,
        task_id: req.task_id,
        draft_id: req.draft_id,
        order_id,
        mutation_id,
        committed_at: now,
        delivery: None,
    })
}

/// The commit's writes, with the counters read in its transaction.
pub fn plan(p: &Prepared, counters: &Counters, device: &DeviceRecord, now_ms: u64) -> Result<(WritePlan, LocalOrder), DeviceError> {
    let mut next = counters.clone();
    let seq = next.next_seq;
    // Receipt numbers of the device's register are not for orders.
    let number = sales::numbering::take_next_where(&mut next.number_ranges, |r| !device.is_receipt_range(r)).ok_or(DeviceError::NoDocumentNumbers)?;
    next.next_seq += 1;
    let mut document = SalesDocument::from_quote(p.order_id, number, p.committed_at, p.order.clone(), &p.quote)?;
    document.delivery = p.delivery.clone();
    let order = LocalOrder {
        document: document.clone(),
        seq,
        mutation_id: p.mutation_id,
        task_id: p.task_id.clone(),
        fate: Fate::Pending,
        awaiting_pull: None,
    };
    let mutation = Mutation {
        device_id: device.device_id,
        seq,
        id: p.mutation_id,
        body: MutationBody::SalesOrderCreate(Box::new(document)),
        created_at: p.committed_at,
        depends_on: p.depends_on.clone(),
    };
    let mut plan = WritePlan::new();
    plan.add(Record::Order(order.clone()));
    plan.add(Record::NewOutbox { mutation, target: Some(RecordId::Order(p.order_id)), committed_ms: now_ms });
    if let Some(d) = p.draft_id {
        plan.delete(RecordId::Draft(d));
    }
    plan.counters = Some(next);
    Ok((plan, order))
}
