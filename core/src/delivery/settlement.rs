//! The end of a delivery day: the summary and the settlement, a pure function of the day's
//! records, so that the server's recomputation from the records it holds equals the device's to
//! the cent, or the difference is flagged.
//!
//! - **Van reconciliation**, per SKU: expected = loaded − delivered (the day's invoices) +
//!   returned (the day's return documents, goods back on the van), against what was counted.
//! - **Cash**: expected = the opening float + the cash collected, against the counted cash.
//! - **Summary**: stops done, failed, skipped and unplanned; invoices and their total; returns;
//!   collections by method; advances; photos and signatures still uploading.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::collection::Collection;
use crate::money::Dec;

/// What became of a stop of the route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum StopOutcome {
    /// Delivered (or the visit done).
    Done,
    /// Not delivered: closed, refused, no cash, …; any goods stay on (or come back to) the van.
    Failed {
        /// Why.
        reason: String,
    },
    /// Left out of the day.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// A stop of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stop {
    /// The task (or, for an unplanned stop, the id the device gave it).
    pub task_id: String,
    /// Not on the day's plan: added on the road.
    #[serde(default)]
    pub unplanned: bool,
    /// What became of it; `None` while still to do.
    #[serde(default)]
    pub outcome: Option<StopOutcome>,
}

/// An invoice (or a return) of the day, as the settlement counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayDocument {
    /// The order.
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// A return (goods back on the van) rather than an invoice.
    #[serde(default)]
    pub returned: bool,
    /// Its amount due (positive for both kinds).
    pub total: Dec,
    /// Quantities by SKU.
    pub lines: Vec<(String, Dec)>,
}

/// Everything a day's settlement is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayRecords {
    /// The cash float the day started with.
    pub opening_float: Dec,
    /// The van load sheet as confirmed at the start: quantity by SKU.
    pub loaded: BTreeMap<String, Dec>,
    /// The stops.
    pub stops: Vec<Stop>,
    /// The day's invoices and returns.
    pub documents: Vec<DayDocument>,
    /// The day's collections.
    pub collections: Vec<Collection>,
    /// Photos and signatures not uploaded whole yet.
    #[serde(default)]
    pub uploads_pending: u32,
}

/// One SKU of the van at the end of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct VanLine {
    /// The product.
    pub sku: String,
    /// Loaded at the start.
    pub loaded: Dec,
    /// Delivered on the day's invoices.
    pub delivered: Dec,
    /// Back on the van on the day's returns.
    pub returned: Dec,
    /// `loaded − delivered + returned`.
    pub expected: Dec,
    /// Counted at the end, when counted.
    pub counted: Option<Dec>,
    /// `counted − expected`.
    pub variance: Option<Dec>,
}

/// The end-of-day summary and settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(rename = "DaySettlement"))]
pub struct Settlement {
    /// Stops done.
    pub done: u32,
    /// Stops failed.
    pub failed: u32,
    /// Stops skipped.
    pub skipped: u32,
    /// Stops still to do.
    pub open: u32,
    /// Unplanned stops added on the road.
    pub unplanned: u32,
    /// How many invoices.
    pub invoices: u32,
    /// Their total.
    pub invoiced: Dec,
    /// How many returns.
    pub returns: u32,
    /// Their total.
    pub returned: Dec,
    /// Collected by method (`cash`, `cheque`, `mobile_money`).
    pub collected: BTreeMap<String, Dec>,
    /// Collected beyond what the invoices owed (advances).
    pub advances: Dec,
    /// The van, by SKU (every SKU loaded, delivered or returned).
    pub van: Vec<VanLine>,
    /// SKUs whose count differs from what was expected.
    pub van_variances: u32,
    /// The opening float.
    pub opening_float: Dec,
    /// `opening float + cash collected`.
    pub expected_cash: Dec,
    /// Counted at the end.
    pub counted_cash: Option<Dec>,
    /// `counted − expected`.
    pub cash_variance: Option<Dec>,
    /// Photos and signatures still uploading.
    pub uploads_pending: u32,
}

/// The settlement of `day`, with the van as counted (by SKU; a SKU not counted is taken as 0
/// when `counted_van` is given) and the cash as counted.
pub fn settle(day: &DayRecords, counted_van: Option<&BTreeMap<String, Dec>>, counted_cash: Option<Dec>) -> Settlement {
    let (mut done, mut failed, mut skipped, mut open, mut unplanned) = (0u32, 0u32, 0u32, 0u32, 0u32);
    for s in &day.stops {
        unplanned += u32::from(s.unplanned);
        match s.outcome {
            Some(StopOutcome::Done) => done += 1,
            Some(StopOutcome::Failed { .. }) => failed += 1,
            Some(StopOutcome::Skipped { .. }) => skipped += 1,
            None => open += 1,
        }
    }
    let mut delivered: BTreeMap<&str, Decimal> = BTreeMap::new();
    let mut back: BTreeMap<&str, Decimal> = BTreeMap::new();
    let (mut invoices, mut returns, mut invoiced, mut returned) = (0u32, 0u32, Decimal::ZERO, Decimal::ZERO);
    for d in &day.documents {
        let into = if d.returned {
            returns += 1;
            returned += d.total.value();
            &mut back
        } else {
            invoices += 1;
            invoiced += d.total.value();
            &mut delivered
        };
        for (sku, q) in &d.lines {
            *into.entry(sku.as_str()).or_default() += q.value();
        }
    }
    let mut collected: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut advances = Decimal::ZERO;
    for c in &day.collections {
        *collected.entry(c.method.kind().to_string()).or_default() += c.amount.value();
        advances += c.advance().max(Decimal::ZERO);
    }
    let skus: std::collections::BTreeSet<&str> = day.loaded.keys().map(String::as_str).chain(delivered.keys().copied()).chain(back.keys().copied()).collect();
    let van: Vec<VanLine> = skus
        .into_iter()
        .map(|sku| {
            let loaded = day.loaded.get(sku).map(|d| d.value()).unwrap_or_default();
            let out = delivered.get(sku).copied().unwrap_or_default();
            let inn = back.get(sku).copied().unwrap_or_default();
            let expected = loaded - out + inn;
            let counted = counted_van.map(|c| c.get(sku).map(|d| d.value()).unwrap_or_default());
            VanLine {
                sku: sku.to_string(),
                loaded: Dec(loaded),
                delivered: Dec(out),
                returned: Dec(inn),
                expected: Dec(expected),
                counted: counted.map(Dec),
                variance: counted.map(|c| Dec(c - expected)),
            }
        })
        .collect();
    let van_variances = u32::try_from(van.iter().filter(|l| l.variance.is_some_and(|v| !v.value().is_zero())).count()).unwrap_or(u32::MAX);
    let cash = collected.get("cash").copied().unwrap_or_default();
    let expected_cash = day.opening_float.value() + cash;
    Settlement {
        done,
        failed,
        skipped,
        open,
        unplanned,
        invoices,
        invoiced: Dec(invoiced),
        returns,
        returned: Dec(returned),
        collected: collected.into_iter().map(|(k, v)| (k, Dec(v))).collect(),
        advances: Dec(advances),
        van,
        van_variances,
        opening_float: day.opening_float,
        expected_cash: Dec(expected_cash),
        counted_cash,
        cash_variance: counted_cash.map(|c| Dec(c.value() - expected_cash)),
        uploads_pending: day.uploads_pending,
    }
}

/// One figure where two settlements (the device's, the server's) disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct SettlementDifference {
    /// The figure, e.g. `invoiced`, `collected.cash`, `van.SKU-00001.expected`.
    pub field: String,
    /// The device's value.
    pub device: String,
    /// The server's value.
    pub server: String,
}

/// Every figure where `device` and `server` disagree (amounts compared by value; the uploads
/// still pending are the device's own and not compared).
pub fn differences(device: &Settlement, server: &Settlement) -> Vec<SettlementDifference> {
    let mut out = Vec::new();
    let mut cmp = |field: String, a: Option<Decimal>, b: Option<Decimal>| {
        if a != b {
            let show = |v: Option<Decimal>| v.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
            out.push(SettlementDifference { field, device: show(a), server: show(b) });
        }
    };
    let n = |x: u32| Some(Decimal::from(x));
    for (f, a, b) in [
        ("done", device.done, server.done),
        ("failed", device.failed, server.failed),
        ("skipped", device.skipped, server.skipped),
        ("unplanned", device.unplanned, server.unplanned),
        ("invoices", device.invoices, server.invoices),
        ("returns", device.returns, server.returns),
    ] {
        cmp(f.into(), n(a), n(b));
    }
    for (f, a, b) in [
        ("invoiced", device.invoiced, server.invoiced),
        ("returned", device.returned, server.returned),
        ("advances", device.advances, server.advances),
        ("opening_float", device.opening_float, server.opening_float),
        ("expected_cash", device.expected_cash, server.expected_cash),
    ] {
        cmp(f.into(), Some(a.value()), Some(b.value()));
    }
    cmp("counted_cash".into(), device.counted_cash.map(|d| d.value()), server.counted_cash.map(|d| d.value()));
    let keys: std::collections::BTreeSet<&String> = device.collected.keys().chain(server.collected.keys()).collect();
    for k in keys {
        cmp(format!("collected.{k}"), device.collected.get(k).map(|d| d.value()), server.collected.get(k).map(|d| d.value()));
    }
    let van = |s: &Settlement| s.van.iter().map(|l| (l.sku.clone(), l.clone())).collect::<BTreeMap<_, _>>();
    let (dv, sv) = (van(device), van(server));
    let skus: std::collections::BTreeSet<&String> = dv.keys().chain(sv.keys()).collect();
    for sku in skus {
        let (a, b) = (dv.get(sku), sv.get(sku));
        cmp(format!("van.{sku}.expected"), a.map(|l| l.expected.value()), b.map(|l| l.expected.value()));
        cmp(format!("van.{sku}.counted"), a.and_then(|l| l.counted.map(|c| c.value())), b.and_then(|l| l.counted.map(|c| c.value())));
    }
    out
}
