//! The delivery day on the device: start the day, work the route, bill from a stop, collect,
//! prove delivery, end the day with a settlement. Each is a pure use case returning a
//! [`WritePlan`] like an order's commit; the rules themselves are core's
//! ([`crate::delivery`]), the same the server checks with.
//!
//! # Decisions
//!
//! - **The day is one sealed record** ([`DayState`] in `meta/day`), read in each change's own
//!   transaction, like the counter's shift: two tabs never record a stop in a day the other
//!   ended.
//! - **Every change of the day depends on its start**; a collection also depends on each
//!   invoice of this device it pays, so the server never applies it first and holds it when the
//!   invoice is refused; the end depends on the start and on every stop (a stop may wait on the
//!   server for its photos), and every other change of the day precedes it in sequence order.
//! - **A stop's outcome is its task's completion** (`task.complete` with a
//!   [`crate::delivery::DayStop`]): photos and the signature are sealed blobs uploaded like any
//!   photo, and the completion's fate is the task's.
//! - **The settlement is a pure function** of the day's records ([`records`] →
//!   [`crate::delivery::settle`]): the summary shown during the day and the one sealed at its
//!   end are the same computation the server repeats.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::changes::{self, Photo};
use super::error::DeviceError;
use super::plan::{MetaRecord, Record, WritePlan};
use super::records::{Counters, DeviceRecord, LocalTask, PendingUpload};
use super::state::DeviceState;
use crate::delivery::{
    self, Allocation, CollectionEntry, DayDocument, DayEnd, DayLink, DayRecords, DayStart, DayStop, DeliverySettings, Method,
    OpenInvoice, Settlement, Stop, StopOutcome,
};
use crate::money::Dec;
use crate::sales::OrderKind;
use crate::sync::lifecycle::Fate;
use crate::sync::protocol::{MutationBody, TaskStatus, TaskView};

/// How many ended days the device keeps to show.
pub const KEEP_ENDED: usize = 7;

/// The delivery day's record (`meta/day`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayState {
    /// The day being worked, if any.
    #[serde(default)]
    pub open: Option<OpenDay>,
    /// The last ended days, newest first.
    #[serde(default)]
    pub ended: Vec<EndedDay>,
}

/// A day being worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDay {
    /// The start as sent.
    pub start: DayStart,
    /// The `day.start` mutation every change of the day depends on.
    pub start_mutation: Uuid,
    /// The stops, in the crew's route order.
    pub stops: Vec<RouteStop>,
    /// The collections of the day.
    #[serde(default)]
    pub collections: Vec<DayCollection>,
}

/// A stop of the route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteStop {
    /// Its task.
    pub task_id: String,
    /// The outlet.
    pub outlet_id: String,
    /// Added on the road.
    #[serde(default)]
    pub unplanned: bool,
    /// What became of it, once recorded.
    #[serde(default)]
    pub outcome: Option<StopOutcome>,
    /// The `task.complete` that recorded it.
    #[serde(default)]
    pub mutation: Option<Uuid>,
}

/// A collection of the day, with the mutations it depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayCollection {
    /// Its `collection.record` mutation.
    pub mutation_id: Uuid,
    /// What was sent.
    pub entry: CollectionEntry,
    /// The invoices of this device it pays (their mutations).
    #[serde(default)]
    pub invoice_mutations: Vec<Uuid>,
}

/// An ended day, as the device keeps it to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndedDay {
    /// The day.
    pub day_id: Uuid,
    /// Site, route and truck.
    pub site: String,
    /// The route.
    pub route: String,
    /// The truck.
    pub truck: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: DateTime<Utc>,
    /// The settlement as sealed.
    pub settlement: Settlement,
    /// The `day.end` mutation.
    pub end_mutation: Uuid,
    /// Its collections (kept so the outlets' figures net them until the server's include them).
    #[serde(default)]
    pub collections: Vec<DayCollection>,
}

/// What the crew confirms to start the day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct StartRequest {
    /// The site.
    pub site: String,
    /// The route.
    pub route: String,
    /// The truck's id.
    pub truck: String,
    /// The load sheet as counted, by SKU; absent: accepted as sent (the van's stock).
    #[serde(default)]
    pub counted: Option<BTreeMap<String, Dec>>,
    /// The opening odometer.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub odometer: u64,
    /// The opening cash float.
    pub float: Dec,
}

/// A stop's outcome as the crew records it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct StopRequest {
    /// The task.
    pub task_id: String,
    /// `done`, `failed` or `skipped`.
    pub outcome: String,
    /// Why (failed or skipped).
    #[serde(default)]
    pub reason: String,
    /// Who received the goods (done).
    #[serde(default)]
    pub recipient: String,
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// What the crew counted at the end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct EndRequest {
    /// The van as counted, by SKU (a SKU not named counts 0).
    pub counted_van: BTreeMap<String, Dec>,
    /// The cash as counted.
    pub counted_cash: Dec,
    /// The closing odometer.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub odometer: u64,
}

fn settings_of(state: &DeviceState) -> Result<DeliverySettings, DeviceError> {
    state
        .sales()
        .and_then(|m| m.settings.as_ref())
        .and_then(|s| s.delivery.clone())
        .ok_or_else(|| DeviceError::invalid("", "no_delivery", "this deployment has no delivery settings; sync online once"))
}

fn places(state: &DeviceState) -> u32 {
    state.rules().map(|r| crate::tax::rounding::places(r.currency.step.value())).unwrap_or(2)
}

fn day_error(e: delivery::DayError) -> DeviceError {
    DeviceError::invalid(e.field(), e.code(), e.to_string())
}

/// The open day, or why there is none.
pub fn open_of(day: &DayState) -> Result<&OpenDay, DeviceError> {
    day.open.as_ref().ok_or_else(|| DeviceError::invalid("day", "no_open_day", "start the day first"))
}

fn queue(plan: &mut WritePlan, counters: &Counters, device_id: Uuid, id: Uuid, body: MutationBody, now: DateTime<Utc>, depends_on: Vec<Uuid>) -> Counters {
    let mut next = counters.clone();
    let seq = next.next_seq;
    next.next_seq += 1;
    let mutation = crate::sync::protocol::Mutation { device_id, seq, id, body, created_at: now, depends_on };
    plan.add(Record::NewOutbox { mutation, target: None, committed_ms: u64::try_from(now.timestamp_millis()).unwrap_or(0) });
    next
}

/// The tasks a day on `route` plans: the open delivery tasks at the route's outlets, by due
/// date then id.
pub fn planned_tasks<'a>(state: &'a DeviceState, route: &str) -> Vec<&'a LocalTask> {
    let mut tasks: Vec<&LocalTask> = state
        .tasks()
        .filter(|t| t.task.kind == "delivery" && t.shown_status() == TaskStatus::Open)
        .filter(|t| state.outlet(&t.task.outlet_id).is_some_and(|o| o.route == route))
        .collect();
    tasks.sort_by(|a, b| (a.task.due_date, &a.task.id).cmp(&(b.task.due_date, &b.task.id)));
    tasks
}

/// The van as sent: what the device holds of the van's stock, by SKU (positive only).
pub fn van_as_sent(state: &DeviceState) -> BTreeMap<String, Dec> {
    state
        .van_skus()
        .filter_map(|sku| state.van_available(sku).map(|l| (sku.clone(), l.available)))
        .filter(|(_, q)| q.value() > Decimal::ZERO)
        .collect()
}

/// Starts the day: the load sheet (as counted or as sent), odometer, float and the route's
/// planned stops, queued as `day.start`.
#[allow(clippy::too_many_arguments)]
pub fn start_day(
    day: &DayState,
    counters: &Counters,
    state: &DeviceState,
    device: &DeviceRecord,
    req: &StartRequest,
    now: DateTime<Utc>,
    day_id: Uuid,
    mutation_id: Uuid,
) -> Result<(WritePlan, DayState), DeviceError> {
    if let Some(open) = &day.open {
        return Err(DeviceError::invalid("day", "day_open", format!("the day started {} is still open; end it first", open.start.started_at.format("%H:%M"))));
    }
    let settings = settings_of(state)?;
    let accepted_as_sent = req.counted.is_none();
    let loaded = req.counted.clone().unwrap_or_else(|| van_as_sent(state));
    let tasks = planned_tasks(state, req.route.trim());
    let start = DayStart {
        day_id,
        crew: device.username.clone(),
        site: req.site.trim().to_string(),
        route: req.route.trim().to_string(),
        truck: req.truck.trim().to_string(),
        started_at: now,
        loaded,
        accepted_as_sent,
        odometer: req.odometer,
        float: req.float,
        plan: tasks.iter().map(|t| t.task.id.clone()).collect(),
    };
    delivery::check_start(&start, &settings, places(state)).map_err(day_error)?;
    let stops = tasks
        .iter()
        .map(|t| RouteStop { task_id: t.task.id.clone(), outlet_id: t.task.outlet_id.clone(), unplanned: false, outcome: None, mutation: None })
        .collect();
    let mut plan = WritePlan::new();
    let next = queue(&mut plan, counters, device.device_id, mutation_id, MutationBody::DayStart(start.clone()), now, Vec::new());
    let mut out = day.clone();
    out.open = Some(OpenDay { start, start_mutation: mutation_id, stops, collections: Vec::new() });
    plan.put(Record::Meta(MetaRecord::Day(out.clone())));
    plan.counters = Some(next);
    Ok((plan, out))
}

/// Puts the stops in the crew's order: `order` names every stop once.
pub fn reorder(day: &DayState, order: &[String]) -> Result<(WritePlan, DayState), DeviceError> {
    let open = open_of(day)?;
    let mut given: Vec<&String> = order.iter().collect();
    given.sort();
    given.dedup();
    let mut have: Vec<&String> = open.stops.iter().map(|s| &s.task_id).collect();
    have.sort();
    if given.len() != order.len() || given != have {
        return Err(DeviceError::invalid("order", "not_the_stops", "the new order must name every stop of the day once"));
    }
    let mut out = day.clone();
    if let Some(o) = out.open.as_mut() {
        let mut stops = std::mem::take(&mut o.stops);
        for id in order {
            if let Some(i) = stops.iter().position(|s| &s.task_id == id) {
                o.stops.push(stops.remove(i));
            }
        }
    }
    let mut plan = WritePlan::new();
    plan.put(Record::Meta(MetaRecord::Day(out.clone())));
    Ok((plan, out))
}

/// Adds a stop the plan did not have, at an outlet on the device: a task of this device's
/// (the server creates it when the stop is recorded).
pub fn add_unplanned(day: &DayState, state: &DeviceState, outlet_id: &str, task_id: &str, title: &str) -> Result<(WritePlan, DayState), DeviceError> {
    open_of(day)?;
    let outlet = state.outlet(outlet_id).ok_or_else(|| DeviceError::invalid("outlet_id", "unknown_outlet", format!("outlet {outlet_id} is not on your routes")))?;
    let title = if title.trim().is_empty() { format!("Unplanned stop at {}", outlet.name) } else { title.trim().to_string() };
    let task = LocalTask {
        task: TaskView {
            id: task_id.to_string(),
            outlet_id: outlet.id.clone(),
            kind: "delivery".into(),
            title,
            details: String::new(),
            due_date: None,
            status: TaskStatus::Open,
            items: Vec::new(),
        },
        completion: None,
    };
    let mut out = day.clone();
    if let Some(o) = out.open.as_mut() {
        o.stops.push(RouteStop { task_id: task_id.to_string(), outlet_id: outlet.id, unplanned: true, outcome: None, mutation: None });
    }
    let mut plan = WritePlan::new();
    plan.put(Record::Task(task));
    plan.put(Record::Meta(MetaRecord::Day(out.clone())));
    Ok((plan, out))
}

fn stop_of<'a>(open: &'a OpenDay, task_id: &str) -> Result<&'a RouteStop, DeviceError> {
    open.stops.iter().find(|s| s.task_id == task_id).ok_or_else(|| DeviceError::invalid("task_id", "not_a_stop", format!("task {task_id} is not a stop of today's route")))
}

/// The link an invoice billed from `task_id` carries, and the start it depends on; refused for
/// a stop already failed or skipped.
pub fn bill_link(day: &DayState, task_id: &str) -> Result<(DayLink, Uuid), DeviceError> {
    let open = open_of(day)?;
    let stop = stop_of(open, task_id)?;
    if matches!(stop.outcome, Some(StopOutcome::Failed { .. } | StopOutcome::Skipped { .. })) {
        return Err(DeviceError::invalid("task_id", "stop_closed", "this stop was recorded as not delivered"));
    }
    Ok((DayLink { day_id: open.start.day_id, task_id: task_id.to_string() }, open.start_mutation))
}

/// The order a stop starts with: its outlet and what its task asks for.
pub fn stop_order(state: &DeviceState, task_id: &str, today: chrono::NaiveDate) -> Result<crate::sales::SalesOrder, DeviceError> {
    let task = state.task(task_id).ok_or_else(|| DeviceError::invalid("task_id", "unknown_task", format!("task {task_id} is not assigned to you")))?;
    Ok(crate::sales::SalesOrder {
        outlet_id: task.task.outlet_id.clone(),
        business_date: today,
        lines: task.task.items.iter().map(|i| crate::sales::SalesLine { sku: i.sku.clone(), quantity: i.quantity, discount_percent: None }).collect(),
        order_discount_percent: None,
        note: None,
        requested_delivery_date: None,
        customer_reference: None,
        cash: false,
        kind: OrderKind::Sale,
    })
}

/// This device's invoices (and returns) of the day that stand (not refused, held or discarded).
pub fn day_orders(state: &DeviceState, day_id: Uuid) -> impl Iterator<Item = &super::records::LocalOrder> {
    state.orders().filter(move |o| o.is_real() && o.document.delivery.as_ref().is_some_and(|l| l.day_id == day_id))
}

/// Records a stop's outcome: done with the recipient, a signature and photos; failed with a
/// reason (the goods it asked for stay on the van); skipped with a reason. One transaction: the
/// task's completion with its blobs, and the day's record.
#[allow(clippy::too_many_arguments)]
pub fn record_stop(
    day: &DayState,
    state: &DeviceState,
    counters: &Counters,
    uploads: Vec<PendingUpload>,
    device_id: Uuid,
    req: &StopRequest,
    signature: Option<Photo>,
    photos: Vec<Photo>,
    now: DateTime<Utc>,
    mutation_id: Uuid,
) -> Result<(WritePlan, DayState), DeviceError> {
    let open = open_of(day)?;
    let stop = stop_of(open, &req.task_id)?;
    if stop.outcome.is_some() {
        return Err(DeviceError::invalid("task_id", "stop_recorded", "this stop is already recorded"));
    }
    let outcome = match req.outcome.as_str() {
        "done" => StopOutcome::Done,
        "failed" => StopOutcome::Failed { reason: req.reason.trim().to_string() },
        "skipped" => StopOutcome::Skipped { reason: req.reason.trim().to_string() },
        other => return Err(DeviceError::invalid("outcome", "bad_outcome", format!("{other} is not done, failed or skipped"))),
    };
    let invoiced: Vec<&str> = day_orders(state, open.start.day_id)
        .filter(|o| o.document.delivery.as_ref().is_some_and(|l| l.task_id == req.task_id))
        .map(|o| o.document.document_number.as_str())
        .collect();
    let goods_back = match &outcome {
        StopOutcome::Failed { .. } | StopOutcome::Skipped { .. } if !invoiced.is_empty() => {
            return Err(DeviceError::invalid(
                "outcome",
                "stop_invoiced",
                format!("invoice {} was billed at this stop; a stop not delivered has no invoice", invoiced.join(", ")),
            ))
        }
        StopOutcome::Failed { .. } => state.task(&req.task_id).map(|t| t.task.items.iter().map(|i| (i.sku.clone(), i.quantity)).collect()).unwrap_or_default(),
        _ => BTreeMap::new(),
    };
    let stop_record = DayStop {
        day_id: open.start.day_id,
        outcome: outcome.clone(),
        unplanned_at: stop.unplanned.then(|| stop.outlet_id.clone()),
        recipient: req.recipient.trim().to_string(),
        signature: signature.as_ref().map(|p| p.blob.clone()),
        goods_back,
    };
    delivery::check_stop(&stop_record).map_err(day_error)?;
    let mut blobs = photos;
    blobs.extend(signature);
    let (plan, _task) = changes::complete_with(
        state,
        &req.task_id,
        req.note.clone(),
        blobs,
        Some(stop_record),
        vec![open.start_mutation],
        counters,
        uploads,
        device_id,
        mutation_id,
        now,
    )?;
    let mut plan = plan;
    let mut out = day.clone();
    if let Some(o) = out.open.as_mut() {
        if let Some(s) = o.stops.iter_mut().find(|s| s.task_id == req.task_id) {
            s.outcome = Some(outcome);
            s.mutation = Some(mutation_id);
        }
    }
    plan.put(Record::Meta(MetaRecord::Day(out.clone())));
    Ok((plan, out))
}

/// Every collection this device holds (the open day's and the ended days'), with the day.
fn all_collections(day: &DayState) -> impl Iterator<Item = &DayCollection> {
    day.open.iter().flat_map(|o| o.collections.iter()).chain(day.ended.iter().flat_map(|d| d.collections.iter()))
}

/// Why a collection will be held, if it will: an invoice of this device it pays was refused
/// (or is held or discarded) — the server holds a mutation whose parent it refused.
pub fn held_reason(state: &DeviceState, c: &DayCollection) -> Option<String> {
    c.entry.collection.allocations.iter().find_map(|a| {
        let o = state.order(&a.order_id)?;
        match &o.fate {
            Fate::Rejected { reason, .. } => Some(format!("invoice {} was refused: {reason}", o.document.document_number)),
            Fate::Held { reason, .. } => Some(format!("invoice {} is held: {reason}", o.document.document_number)),
            Fate::Discarded { .. } => Some(format!("invoice {} was discarded", o.document.document_number)),
            _ => None,
        }
    })
}

/// Whether the server's figures this device holds include `c`: one of the invoices it pays
/// lists it.
fn included(state: &DeviceState, c: &DayCollection) -> bool {
    state.outlet(&c.entry.collection.outlet_id).is_some_and(|o| o.invoices.iter().any(|i| i.collections.contains(&c.entry.collection.collection_id)))
}

/// The collections whose effects the server's figures on this device do not include yet (not
/// held), for an outlet.
pub fn collections_on_top<'a>(state: &'a DeviceState, day: &'a DayState, outlet_id: &'a str) -> impl Iterator<Item = &'a DayCollection> {
    all_collections(day).filter(move |c| c.entry.collection.outlet_id == outlet_id && held_reason(state, c).is_none() && !included(state, c))
}

/// What this device's collections take off an outlet's balance that the server's does not
/// show yet.
pub fn collected_on_top(state: &DeviceState, day: &DayState, outlet_id: &str) -> Decimal {
    collections_on_top(state, day, outlet_id).map(|c| c.entry.collection.amount.value()).sum()
}

/// An open invoice as the device shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct OpenInvoiceView {
    /// The invoice.
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// When it was issued.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub issued_on: chrono::NaiveDate,
    /// Days since.
    pub age_days: i32,
    /// Its total.
    pub total: Dec,
    /// What it still owes: the server's figure less this device's collections it does not
    /// include, or the total less them for an invoice of this device the server has not
    /// counted yet.
    pub outstanding: Dec,
    /// Billed on this device and not in the server's figures yet.
    pub on_device: bool,
}

/// The outlet's invoices with something left to pay, oldest first.
pub fn open_invoices(state: &DeviceState, day: &DayState, outlet_id: &str, today: chrono::NaiveDate) -> Vec<OpenInvoiceView> {
    let mut taken: BTreeMap<Uuid, Decimal> = BTreeMap::new();
    for c in collections_on_top(state, day, outlet_id) {
        for a in &c.entry.collection.allocations {
            *taken.entry(a.order_id).or_default() += a.amount.value();
        }
    }
    let server = state.outlet(outlet_id).map(|o| o.invoices).unwrap_or_default();
    let mut out: Vec<OpenInvoiceView> = server
        .iter()
        .map(|i| OpenInvoiceView {
            order_id: i.order_id,
            number: i.number.clone(),
            issued_on: i.issued_on,
            age_days: i32::try_from((today - i.issued_on).num_days()).unwrap_or(i32::MAX),
            total: i.total,
            outstanding: Dec(i.outstanding.value() - taken.get(&i.order_id).copied().unwrap_or_default()),
            on_device: false,
        })
        .collect();
    for o in state.orders() {
        let d = &o.document;
        let receivable = d.order.outlet_id == outlet_id && d.counter.is_none() && !d.order.cash && d.order.kind == OrderKind::Sale;
        if !receivable || !o.counts_on_top(state.pulls_completed()) || server.iter().any(|i| i.order_id == d.order_id) {
            continue;
        }
        let issued_on = d.order.business_date;
        out.push(OpenInvoiceView {
            order_id: d.order_id,
            number: d.document_number.clone(),
            issued_on,
            age_days: i32::try_from((today - issued_on).num_days()).unwrap_or(i32::MAX),
            total: d.total,
            outstanding: Dec(d.total.value() - taken.get(&d.order_id).copied().unwrap_or_default()),
            on_device: true,
        });
    }
    out.retain(|i| i.outstanding.value() > Decimal::ZERO);
    out.sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
    out
}

/// What the crew collects.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct CollectRequest {
    /// The customer.
    pub outlet_id: String,
    /// How.
    pub method: Method,
    /// How much.
    pub amount: Dec,
    /// Which invoices it pays; absent: the oldest first.
    #[serde(default)]
    pub allocations: Option<Vec<Allocation>>,
}

/// Records a collection against the outlet's open invoices (checked with core's rule, the
/// server's), queued depending on the day's start and on each invoice of this device it pays.
#[allow(clippy::too_many_arguments)]
pub fn collect(
    day: &DayState,
    state: &DeviceState,
    counters: &Counters,
    device_id: Uuid,
    req: &CollectRequest,
    now: DateTime<Utc>,
    collection_id: Uuid,
    mutation_id: Uuid,
) -> Result<(WritePlan, DayState), DeviceError> {
    let open = open_of(day)?;
    let settings = settings_of(state)?;
    let shown = open_invoices(state, day, &req.outlet_id, now.date_naive());
    let invoices: Vec<OpenInvoice> = shown.iter().map(|i| OpenInvoice { order_id: i.order_id, number: i.number.clone(), outstanding: i.outstanding }).collect();
    let allocations = match &req.allocations {
        Some(a) => a.clone(),
        None => delivery::allocate_oldest_first(req.amount.value(), &invoices, &[]),
    };
    let collection = delivery::Collection { collection_id, outlet_id: req.outlet_id.clone(), method: req.method.clone(), amount: req.amount, allocations };
    delivery::check_collection(&collection, &invoices, &[], places(state), settings.advances)
        .map_err(|e| DeviceError::invalid(collection_field(&e), e.code(), e.to_string()))?;
    let invoice_mutations: Vec<Uuid> = collection.allocations.iter().filter_map(|a| state.order(&a.order_id)).map(|o| o.mutation_id).filter(|m| !m.is_nil()).collect();
    let mut depends_on = vec![open.start_mutation];
    depends_on.extend(invoice_mutations.iter().copied());
    let entry = CollectionEntry { day_id: open.start.day_id, at: now, collection };
    let mut plan = WritePlan::new();
    let next = queue(&mut plan, counters, device_id, mutation_id, MutationBody::CollectionRecord(entry.clone()), now, depends_on);
    let mut out = day.clone();
    if let Some(o) = out.open.as_mut() {
        o.collections.push(DayCollection { mutation_id, entry, invoice_mutations });
    }
    plan.put(Record::Meta(MetaRecord::Day(out.clone())));
    plan.counters = Some(next);
    Ok((plan, out))
}

fn collection_field(e: &delivery::CollectionError) -> String {
    use delivery::CollectionError as E;
    match e {
        E::BadAmount { field, .. } | E::UnknownInvoice { field, .. } | E::DuplicateInvoice { field, .. } | E::MoreThanOwed { field, .. } => field.clone(),
        E::NoInvoice | E::Unallocated { .. } | E::OverAllocated { .. } => "allocations".into(),
        E::Missing(f) => (*f).into(),
    }
}

/// The day's records as the device holds them: the start, the stops, this device's invoices
/// and returns of the day that stand, the collections that will not be held, and the photos
/// still uploading.
pub fn records(state: &DeviceState, open: &OpenDay) -> DayRecords {
    let documents = day_orders(state, open.start.day_id)
        .map(|o| {
            let mut lines: BTreeMap<String, Decimal> = BTreeMap::new();
            for l in &o.document.order.lines {
                *lines.entry(l.sku.clone()).or_default() += l.quantity.value();
            }
            DayDocument {
                order_id: o.document.order_id,
                number: o.document.document_number.clone(),
                returned: o.document.order.kind == OrderKind::Return,
                total: Dec(o.document.total.value().abs()),
                lines: lines.into_iter().map(|(k, v)| (k, Dec(v))).collect(),
            }
        })
        .collect();
    DayRecords {
        opening_float: open.start.float,
        loaded: open.start.loaded.clone(),
        // An unplanned stop added but never worked was never sent: the server cannot count it,
        // so neither does the settlement.
        stops: open.stops.iter().filter(|s| !s.unplanned || s.outcome.is_some()).map(|s| Stop { task_id: s.task_id.clone(), unplanned: s.unplanned, outcome: s.outcome.clone() }).collect(),
        documents,
        collections: open.collections.iter().filter(|c| held_reason(state, c).is_none()).map(|c| c.entry.collection.clone()).collect(),
        uploads_pending: u32::try_from(state.uploads().len()).unwrap_or(u32::MAX),
    }
}

/// The settlement the end would seal with these counts (the end screen's figures as the crew
/// types them).
pub fn preview_end(day: &DayState, state: &DeviceState, req: &EndRequest) -> Result<Settlement, DeviceError> {
    let open = open_of(day)?;
    Ok(delivery::settle(&records(state, open), Some(&req.counted_van), Some(req.counted_cash)))
}

/// Ends the day: the settlement of its records with the van and cash as counted, the crew's
/// signature, queued as `day.end` after everything it counts.
#[allow(clippy::too_many_arguments)]
pub fn end_day(
    day: &DayState,
    state: &DeviceState,
    counters: &Counters,
    mut uploads: Vec<PendingUpload>,
    device_id: Uuid,
    req: &EndRequest,
    signature: Option<Photo>,
    now: DateTime<Utc>,
    mutation_id: Uuid,
) -> Result<(WritePlan, EndedDay), DeviceError> {
    let open = open_of(day)?;
    let signature = signature.ok_or_else(|| DeviceError::invalid("signature", "proof_required", "sign to end the day"))?;
    let mut records = records(state, open);
    let mut plan = WritePlan::new();
    if !uploads.iter().any(|u| u.blob.sha256 == signature.blob.sha256) {
        uploads.push(PendingUpload { blob: signature.blob.clone() });
    }
    records.uploads_pending = u32::try_from(uploads.len()).unwrap_or(u32::MAX);
    let settlement = delivery::settle(&records, Some(&req.counted_van), Some(req.counted_cash));
    let end = DayEnd {
        day_id: open.start.day_id,
        ended_at: now,
        counted_van: req.counted_van.clone(),
        counted_cash: req.counted_cash,
        odometer: req.odometer,
        signature: Some(signature.blob.clone()),
        stops: u32::try_from(open.stops.iter().filter(|s| s.outcome.is_some()).count()).unwrap_or(u32::MAX),
        settlement: settlement.clone(),
    };
    delivery::check_end(&end, places(state)).map_err(day_error)?;
    if req.odometer < open.start.odometer {
        return Err(DeviceError::invalid("odometer", "bad_odometer", format!("the odometer read {} this morning", open.start.odometer)));
    }
    plan.put(Record::Blob { sha256: signature.blob.sha256.clone(), bytes: signature.bytes });
    plan.put(Record::Meta(MetaRecord::Uploads(uploads)));
    let mut depends_on = vec![open.start_mutation];
    depends_on.extend(open.stops.iter().filter_map(|s| s.mutation));
    let next = queue(&mut plan, counters, device_id, mutation_id, MutationBody::DayEnd(Box::new(end)), now, depends_on);
    let ended = EndedDay {
        day_id: open.start.day_id,
        site: open.start.site.clone(),
        route: open.start.route.clone(),
        truck: open.start.truck.clone(),
        started_at: open.start.started_at,
        ended_at: now,
        settlement,
        end_mutation: mutation_id,
        collections: open.collections.clone(),
    };
    let mut out = day.clone();
    out.open = None;
    out.ended.insert(0, ended.clone());
    out.ended.truncate(KEEP_ENDED);
    plan.put(Record::Meta(MetaRecord::Day(out)));
    plan.counters = Some(next);
    Ok((plan, ended))
}
