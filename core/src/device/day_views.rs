//! What the crew's screens show of the day, derived from the device's state: the start screen's
//! choices and load sheet, the route with each stop's customer context, the collections and
//! what became of them, and the live summary (the settlement of the records so far, the same
//! computation the end of the day seals).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::day::{self, open_invoices, DayCollection, DayState, OpenDay, OpenInvoiceView};
use super::state::DeviceState;
use super::views::{self, CompletionView, CreditView};
use crate::delivery::{self, DeliverySettings, Method, Settlement, StopOutcome, VisitNote};
use crate::money::Dec;
use crate::sync::lifecycle::Status;

/// The day's screens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct DayView {
    /// Sites, trucks and reasons (absent until the deployment's settings are pulled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<DeliverySettings>,
    /// The routes of the user's outlets, with how many delivery tasks each plans.
    pub routes: Vec<RouteChoice>,
    /// The load sheet as sent: the van's stock.
    pub van: Vec<LoadLine>,
    /// The day being worked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<OpenDayView>,
    /// The last ended days, newest first.
    pub ended: Vec<EndedDayView>,
}

/// A route the day can work.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct RouteChoice {
    /// The route.
    pub route: String,
    /// Open delivery tasks on it.
    pub planned: u32,
}

/// A SKU on the van.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct LoadLine {
    /// The SKU.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// How many.
    pub quantity: Dec,
}

/// The day being worked.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct OpenDayView {
    /// The day.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub day_id: Uuid,
    /// The site.
    pub site: String,
    /// The route.
    pub route: String,
    /// The truck.
    pub truck: String,
    /// When it started.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub started_at: DateTime<Utc>,
    /// The opening odometer.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub odometer: u64,
    /// The load sheet was accepted as sent.
    pub accepted_as_sent: bool,
    /// The stops in route order.
    pub stops: Vec<StopView>,
    /// The collections of the day.
    pub collections: Vec<CollectionView>,
    /// The summary so far (nothing counted yet).
    pub summary: Settlement,
}

/// A stop with its customer's context.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct StopView {
    /// The task.
    pub task_id: String,
    /// Its title.
    pub title: String,
    /// Its instructions.
    pub details: String,
    /// The outlet.
    pub outlet_id: String,
    /// Its name.
    pub outlet_name: String,
    /// Its address.
    pub address: String,
    /// Who to ask for.
    pub contact_name: String,
    /// Its phone.
    pub phone: String,
    /// Added on the road.
    pub unplanned: bool,
    /// `todo`, `done`, `failed` or `skipped`.
    pub state: String,
    /// Why (failed or skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the task asks for.
    pub items: Vec<LoadLine>,
    /// The outlet's open invoices, oldest first.
    pub invoices: Vec<OpenInvoiceView>,
    /// Its credit as the device sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<CreditView>,
    /// Age of the oldest open invoice, in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_days: Option<i32>,
    /// Notes from earlier visits.
    pub notes: Vec<VisitNote>,
    /// Invoices billed at this stop today.
    pub billed: Vec<BilledView>,
    /// The recorded outcome's sync (photos and signature uploading, synced, refused…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<CompletionView>,
}

/// An invoice billed at a stop.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct BilledView {
    /// The order.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its total.
    pub total: Dec,
    /// What became of it.
    pub status: Status,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A collection and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct CollectionView {
    /// The collection.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub collection_id: Uuid,
    /// The customer.
    pub outlet_id: String,
    /// Its name.
    pub outlet_name: String,
    /// How.
    pub method: Method,
    /// How much.
    pub amount: Dec,
    /// The invoices it pays: number and amount.
    pub allocations: Vec<(String, Dec)>,
    /// `queued` (not sent yet), `sent`, or `held` (an invoice it pays was refused).
    pub state: String,
    /// Why it is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An ended day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct EndedDayView {
    /// The day.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub day_id: Uuid,
    /// The route.
    pub route: String,
    /// The truck.
    pub truck: String,
    /// When it ended.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub ended_at: DateTime<Utc>,
    /// The settlement as sealed.
    pub settlement: Settlement,
    /// Still in the outbox (not sent yet).
    pub queued: bool,
}

fn name_of(state: &DeviceState, sku: &str) -> String {
    state.product(sku).map(|p| p.name.clone()).unwrap_or_else(|| sku.to_string())
}

fn queued(state: &DeviceState, mutation_id: Uuid) -> bool {
    state.outbox().values().any(|e| e.id == mutation_id)
}

fn collection_view(state: &DeviceState, c: &DayCollection) -> CollectionView {
    let col = &c.entry.collection;
    let number = |id: &Uuid| {
        state
            .order(id)
            .map(|o| o.document.document_number.clone())
            .or_else(|| state.outlet(&col.outlet_id).and_then(|o| o.invoices.iter().find(|i| &i.order_id == id).map(|i| i.number.clone())))
            .unwrap_or_else(|| id.to_string())
    };
    let held = day::held_reason(state, c);
    let st = if held.is_some() {
        "held"
    } else if queued(state, c.mutation_id) {
        "queued"
    } else {
        "sent"
    };
    CollectionView {
        collection_id: col.collection_id,
        outlet_id: col.outlet_id.clone(),
        outlet_name: state.outlet(&col.outlet_id).map(|o| o.name).unwrap_or_default(),
        method: col.method.clone(),
        amount: col.amount,
        allocations: col.allocations.iter().map(|a| (number(&a.order_id), a.amount)).collect(),
        state: st.into(),
        reason: held,
    }
}

fn stop_view(state: &DeviceState, day: &DayState, open: &OpenDay, s: &day::RouteStop, today: chrono::NaiveDate) -> StopView {
    let task = state.task(&s.task_id);
    let outlet = state.outlet(&s.outlet_id);
    let shown = views::outlet(state, &s.outlet_id);
    let invoices = open_invoices(state, day, &s.outlet_id, today);
    let (st, reason) = match &s.outcome {
        None => ("todo", None),
        Some(StopOutcome::Done) => ("done", None),
        Some(StopOutcome::Failed { reason }) => ("failed", Some(reason.clone())),
        Some(StopOutcome::Skipped { reason }) => ("skipped", Some(reason.clone())),
    };
    let billed = state
        .orders()
        .filter(|o| o.document.delivery.as_ref().is_some_and(|l| l.day_id == open.start.day_id && l.task_id == s.task_id))
        .map(|o| BilledView { order_id: o.document.order_id, number: o.document.document_number.clone(), total: o.document.total, status: o.fate.status(), reason: o.fate.reason() })
        .collect();
    let credit = shown.and_then(|o| o.credit);
    StopView {
        task_id: s.task_id.clone(),
        title: task.map(|t| t.task.title.clone()).unwrap_or_default(),
        details: task.map(|t| t.task.details.clone()).unwrap_or_default(),
        outlet_id: s.outlet_id.clone(),
        outlet_name: outlet.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
        address: outlet.as_ref().map(|o| o.address.clone()).unwrap_or_default(),
        contact_name: outlet.as_ref().map(|o| o.contact_name.clone()).unwrap_or_default(),
        phone: outlet.as_ref().map(|o| o.phone.clone()).unwrap_or_default(),
        unplanned: s.unplanned,
        state: st.into(),
        reason,
        items: task
            .map(|t| t.task.items.iter().map(|i| LoadLine { sku: i.sku.clone(), name: name_of(state, &i.sku), quantity: i.quantity }).collect())
            .unwrap_or_default(),
        oldest_days: invoices.first().map(|i| i.age_days),
        invoices,
        credit,
        notes: outlet.map(|o| o.visit_notes).unwrap_or_default(),
        billed,
        completion: task.and_then(|t| views::task(state, t).completion),
    }
}

/// The day's screens as of `now`.
pub fn day_view(state: &DeviceState, now: DateTime<Utc>) -> DayView {
    let day = state.day();
    let today = now.date_naive();
    // The user's routes that the deployment works as delivery days.
    let delivery_routes: Vec<String> = state.sales().and_then(|m| m.settings.as_ref()).and_then(|s| s.delivery.as_ref()).map(|d| d.routes.clone()).unwrap_or_default();
    let mut routes: BTreeMap<String, u32> = BTreeMap::new();
    for id in state.outlet_ids() {
        if let Some(o) = state.outlet(id) {
            if delivery_routes.contains(&o.route) {
                routes.entry(o.route).or_default();
            }
        }
    }
    for (route, n) in routes.iter_mut() {
        *n = u32::try_from(day::planned_tasks(state, route).len()).unwrap_or(u32::MAX);
    }
    let open = day.open.as_ref().map(|o| {
        let summary = delivery::settle(&day::records(state, o), None, None);
        OpenDayView {
            day_id: o.start.day_id,
            site: o.start.site.clone(),
            route: o.start.route.clone(),
            truck: o.start.truck.clone(),
            started_at: o.start.started_at,
            odometer: o.start.odometer,
            accepted_as_sent: o.start.accepted_as_sent,
            stops: o.stops.iter().map(|s| stop_view(state, day, o, s, today)).collect(),
            collections: o.collections.iter().map(|c| collection_view(state, c)).collect(),
            summary,
        }
    });
    DayView {
        settings: state.sales().and_then(|m| m.settings.as_ref()).and_then(|s| s.delivery.clone()),
        routes: routes.into_iter().map(|(route, planned)| RouteChoice { route, planned }).collect(),
        van: day::van_as_sent(state).into_iter().map(|(sku, quantity)| LoadLine { name: name_of(state, &sku), sku, quantity }).collect(),
        open,
        ended: day
            .ended
            .iter()
            .map(|d| EndedDayView { day_id: d.day_id, route: d.route.clone(), truck: d.truck.clone(), ended_at: d.ended_at, settlement: d.settlement.clone(), queued: queued(state, d.end_mutation) })
            .collect(),
    }
}
