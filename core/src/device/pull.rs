//! A pull page merged into the device: applied with its checkpoint in one transaction, so an
//! interrupted pull resumes where it stopped and a page is never half applied.
//!
//! The server's records are stored exactly as the server sent them: outlets without this
//! device's edits on top, the van's stock without this device's takes. What the device shows is
//! derived ([`super::state`]), so a page never overwrites an unacknowledged change and nothing is
//! subtracted twice. A task keeps this device's completion; a task deleted on the server while
//! its completion waits for an answer stays until answered. A `mutation_result` settles the order
//! or completion it concerns, the same way a push answer does. The last page of a pull counts a
//! completed pull ([`MetaKey::Pulls`]): the orders a push's answer marked before it
//! no longer count on top of the server's figures, which now include them. No order is read or
//! rewritten for that.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use super::answers::{told_order, told_task, Target};
use super::plan::{MetaRecord, Record, RecordId, Write, WritePlan};
use super::records::{LocalOrder, LocalTask, PullState, PulledRules, ReferenceInfo, SalesMeta, VanRecord};
use super::schema::{MetaKey, StoreId};
use super::state::DeviceState;
use crate::sales::{CatalogProduct, OutletInfo, PriceList};
use crate::sync::protocol::{Change, Entity, MutationResult, PullResponse, SettingsView, TaskView};
use crate::validation::StockLevel;

/// What the merge needs besides the page, read in its transaction.
#[derive(Default)]
pub struct PageInputs {
    /// The stored tasks the page's task changes concern, by id.
    pub tasks: HashMap<String, LocalTask>,
    /// The stored sales meta.
    pub sales: Option<SalesMeta>,
    /// The stored rule sets.
    pub rules: Option<PulledRules>,
    /// The stored pull state.
    pub pull: PullState,
    /// The pulls completed ([`MetaKey::Pulls`]).
    pub pulls: u64,
    /// The stored reference info.
    pub reference: Option<ReferenceInfo>,
    /// The records the page's mutation results settle, by mutation id.
    pub targets: HashMap<uuid::Uuid, Target>,
}

/// What a merged page changed.
#[derive(Debug, Default)]
pub struct PageOutcome {
    /// Records that did not decode (skipped, counted: one bad record never blocks the pull).
    pub undecodable: usize,
    /// Orders whose fate the page settled.
    pub settled: Vec<LocalOrder>,
}

/// The ids of the records [`merge`] needs read: the page's tasks and the targets of its
/// mutation results this tab knows of. `true` when a result concerns a mutation this tab does
/// not know: then every order and task is read.
pub fn wanted(state: &DeviceState, page: &PullResponse) -> (Vec<RecordId>, bool) {
    let mut ids = Vec::new();
    let mut scan = false;
    for c in &page.changes {
        match c.entity {
            Entity::Task => ids.push(RecordId::Task(c.key.clone())),
            Entity::MutationResult => match c.decode::<MutationResult>().ok().flatten().and_then(|r| state.target_of(&r.id).cloned()) {
                Some(id) => ids.push(id),
                None => scan = true,
            },
            _ => {}
        }
    }
    ids.sort();
    ids.dedup();
    (ids, scan)
}

fn decode<T: DeserializeOwned>(change: &Change, undecodable: &mut usize) -> Option<Option<T>> {
    match change.decode::<T>() {
        Ok(v) => Some(v),
        Err(_) => {
            *undecodable += 1;
            None
        }
    }
}

/// The page's writes, with its checkpoint.
pub fn merge(state: &DeviceState, page: &PullResponse, mut inputs: PageInputs) -> (WritePlan, PageOutcome) {
    let mut plan = WritePlan::new();
    let mut out = PageOutcome::default();
    if page.reset {
        for store in [StoreId::Products, StoreId::Outlets, StoreId::Van] {
            plan.writes.push(Write::Clear(store));
        }
        for key in [MetaKey::Sales, MetaKey::Rules, MetaKey::LegacyVanStock] {
            plan.delete(RecordId::Meta(key));
        }
        inputs.sales = None;
        inputs.rules = None;
    }
    let mut sales: Option<SalesMeta> = None;
    let mut rules: Option<PulledRules> = None;
    let mut orders: HashMap<uuid::Uuid, LocalOrder> = HashMap::new();
    let mut told: Vec<uuid::Uuid> = Vec::new();
    let u = &mut out.undecodable;
    for change in &page.changes {
        let key = &change.key;
        match change.entity {
            Entity::Product => match decode::<CatalogProduct>(change, u) {
                Some(Some(p)) => plan.put(Record::Product(p)),
                Some(None) => plan.delete(RecordId::Product(key.clone())),
                None => &mut plan,
            },
            Entity::Outlet => match decode::<OutletInfo>(change, u) {
                Some(Some(o)) => plan.put(Record::Outlet(o)),
                Some(None) => plan.delete(RecordId::Outlet(key.clone())),
                None => &mut plan,
            },
            Entity::VanStock => match decode::<StockLevel>(change, u) {
                Some(Some(level)) => plan.put(Record::Van(VanRecord { sku: key.clone(), level })),
                Some(None) => plan.delete(RecordId::Van(key.clone())),
                None => &mut plan,
            },
            Entity::Task => {
                let existing = inputs.tasks.remove(key);
                match decode::<TaskView>(change, u) {
                    Some(Some(task)) => {
                        let local = LocalTask { task, completion: existing.and_then(|t| t.completion) };
                        inputs.tasks.insert(key.clone(), local.clone());
                        plan.put(Record::Task(local))
                    }
                    Some(None) => {
                        // A completion the server has not answered yet stands until answered.
                        let waiting = existing.as_ref().and_then(|t| t.completion.as_ref()).is_some_and(|c| c.fate.is_pending());
                        if let Some(t) = existing.filter(|_| waiting) {
                            inputs.tasks.insert(key.clone(), t);
                            &mut plan
                        } else {
                            plan.delete(RecordId::Task(key.clone()))
                        }
                    }
                    None => &mut plan,
                }
            }
            Entity::Settings | Entity::PriceList => {
                let s = sales.get_or_insert_with(|| inputs.sales.take().unwrap_or_default());
                if change.entity == Entity::Settings {
                    if let Some(Some(view)) = decode::<SettingsView>(change, u) {
                        s.settings = Some(view.settings);
                        s.role = view.role;
                    }
                } else {
                    s.price_lists.retain(|p| &p.id != key);
                    if let Some(Some(list)) = decode::<PriceList>(change, u) {
                        s.price_lists.push(list);
                    }
                }
                &mut plan
            }
            Entity::RuleSet => {
                let r = rules.get_or_insert_with(|| inputs.rules.take().unwrap_or_default());
                match change.decode::<serde_json::Value>() {
                    Ok(Some(v)) => {
                        r.insert(key.clone(), v);
                    }
                    // A rule set that is not even JSON is kept out, like one that does not
                    // validate (the built-in rule set of the same id stands in).
                    Ok(None) | Err(_) => {
                        r.remove(key);
                    }
                }
                &mut plan
            }
            Entity::MutationResult => {
                if let Some(Some(r)) = decode::<MutationResult>(change, u) {
                    match inputs.targets.get(&r.id) {
                        Some(Target::Order(o)) => {
                            let base = orders.get(&r.id).unwrap_or(o);
                            let mut next = told_order(base, &r.outcome, inputs.pulls);
                            // The page that tells the outcome brings the figures that include it.
                            next.awaiting_pull = None;
                            orders.insert(r.id, next);
                            told.push(r.id);
                        }
                        Some(Target::Task(t)) => {
                            let base = inputs.tasks.get(&t.task.id).unwrap_or(t).clone();
                            let next = told_task(&base, &r.outcome);
                            inputs.tasks.insert(t.task.id.clone(), next.clone());
                            plan.put(Record::Task(next));
                        }
                        None => {}
                    }
                }
                &mut plan
            }
        };
    }
    if let Some(s) = sales {
        plan.put(Record::Meta(MetaRecord::Sales(s)));
    }
    if let Some(r) = rules {
        plan.put(Record::Meta(MetaRecord::Rules(r)));
    }
    let state_after = PullState {
        checkpoint: Some(page.checkpoint.clone()),
        complete: (inputs.pull.complete && !page.reset) || !page.has_more,
        remaining: page.remaining,
        pulled_at: Some(page.server_time.to_rfc3339()),
    };
    plan.put(Record::Meta(MetaRecord::Pull(state_after)));
    if !page.has_more {
        // Counted in the page's transaction, after whatever another tab counted.
        plan.put(Record::Meta(MetaRecord::Pulls(inputs.pulls.saturating_add(1))));
        plan.delete(RecordId::Meta(MetaKey::LegacyVanStock));
        let currency = plan_sales_currency(&plan)
            .or_else(|| state.sales().and_then(|s| s.settings.as_ref()).map(|s| s.currency.clone()))
            .or(inputs.reference.map(|r| r.currency))
            .unwrap_or_default();
        plan.put(Record::Meta(MetaRecord::Reference(ReferenceInfo { as_of: page.server_time.to_rfc3339(), currency })));
    }
    for (id, o) in orders {
        if told.contains(&id) {
            out.settled.push(o.clone());
        }
        plan.put(Record::Order(o));
    }
    (plan, out)
}

fn plan_sales_currency(plan: &WritePlan) -> Option<String> {
    plan.writes.iter().rev().find_map(|w| match w {
        Write::Put(Record::Meta(MetaRecord::Sales(s))) => s.settings.as_ref().map(|s| s.currency.clone()),
        _ => None,
    })
}
