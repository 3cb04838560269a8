//! What the page sees: views computed from the device state, every amount a decimal string. The
//! page renders them and does no arithmetic of its own.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::records::{Draft, LocalOrder, LocalTask};
use super::state::DeviceState;
use crate::money::Dec;
use crate::sales::{self, Catalog, OrderKind, Quote};
use crate::sync::lifecycle::Status;
use crate::sync::protocol::TaskStatus;
use crate::validation::{Finding, Severity};

/// An outlet as the page sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct OutletView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its route.
    pub route: String,
    /// Its address (with this device's unanswered edit).
    pub address: String,
    /// Its phone (with this device's unanswered edit).
    pub phone: String,
    /// Its contact (with this device's unanswered edit).
    pub contact_name: String,
    /// Its price-list group.
    pub group: String,
    /// Its place of supply.
    pub place_of_supply: String,
    /// Its credit as this device sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<CreditView>,
}

/// An outlet's credit: the server's balance (as of its time) plus this device's orders the
/// server's balance does not include yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct CreditView {
    /// The limit.
    pub limit: Dec,
    /// The server's outstanding balance.
    pub outstanding: Dec,
    /// What this device's orders add to it.
    pub pending_on_device: Dec,
    /// What is left: limit − outstanding − pending.
    pub available: Dec,
    /// Whether outstanding + pending exceeds the limit.
    pub over_limit: bool,
    /// When the server computed the balance.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub as_of: DateTime<Utc>,
}

/// Every outlet on the user's routes, with its credit.
pub fn outlets(state: &DeviceState) -> Vec<OutletView> {
    state.outlet_ids().filter_map(|id| outlet(state, id)).collect()
}

/// One outlet.
pub fn outlet(state: &DeviceState, id: &str) -> Option<OutletView> {
    let o = state.outlet(id)?;
    // The device's orders add to the balance; its collections of the day take off it, until
    // the server's figures include them.
    let pending = state.balance_on_top(&o.id) - super::day::collected_on_top(state, state.day(), &o.id);
    let credit = o.credit.map(|c| {
        let used = c.outstanding.value() + pending;
        CreditView {
            limit: c.limit,
            outstanding: c.outstanding,
            pending_on_device: Dec(pending),
            available: Dec(c.limit.value() - used),
            over_limit: used > c.limit.value(),
            as_of: c.as_of,
        }
    });
    Some(OutletView {
        id: o.id,
        name: o.name,
        route: o.route,
        address: o.address,
        phone: o.phone,
        contact_name: o.contact_name,
        group: o.group,
        place_of_supply: o.place_of_supply,
        credit,
    })
}

/// A product found by search.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct ProductHit {
    /// Its SKU.
    pub sku: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Decimal places of a quantity.
    pub quantity_places: u32,
    /// Units per pack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pack_size: Option<Dec>,
    /// The smallest quantity of a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_order_quantity: Option<Dec>,
    /// Its barcodes.
    pub barcodes: Vec<String>,
    /// The price of the outlet's list on the date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Dec>,
    /// What the van holds, as this device sees it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<Dec>,
}

/// Products matching `query`, priced for `outlet_id`'s list on `date`, with the van's stock.
pub fn search(state: &DeviceState, query: &str, limit: usize, outlet_id: Option<&str>, date: NaiveDate) -> Vec<ProductHit> {
    let products = state.search_products(query, limit);
    // The list by reference: a 10,000-price list is not copied per keystroke.
    let catalog = state.sales.as_ref().map(|s| Catalog::new(&[], &s.price_lists));
    let list = outlet_id.and_then(|id| state.outlets.get(id)).zip(catalog.as_ref()).and_then(|(o, c)| c.price_list_for(&o.group, date));
    products.iter().map(|p| product_hit(state, list, p)).collect()
}

fn product_hit(state: &DeviceState, list: Option<&crate::sales::PriceList>, p: &crate::sales::CatalogProduct) -> ProductHit {
    ProductHit {
        sku: p.sku.clone(),
        name: p.name.clone(),
        unit: p.unit.clone(),
        quantity_places: p.quantity_places,
        pack_size: p.pack_size,
        min_order_quantity: p.min_order_quantity,
        barcodes: p.barcodes.clone(),
        unit_price: list.and_then(|l| l.prices.get(&p.sku).copied()),
        stock: state.van_available(&p.sku).map(|s| s.available),
    }
}

/// The product whose barcode (or SKU) is exactly `code`, as a scanner reads it, with the price
/// of `outlet_id`'s list on `date`: no fuzzy search on the counter's hot path.
pub fn product_by_code(state: &DeviceState, code: &str, outlet_id: Option<&str>, date: NaiveDate) -> Option<ProductHit> {
    let code = code.trim();
    let p = state.product_by_code(code)?;
    let catalog = state.sales.as_ref().map(|s| Catalog::new(&[], &s.price_lists));
    let list = outlet_id.and_then(|id| state.outlets.get(id)).zip(catalog.as_ref()).and_then(|(o, c)| c.price_list_for(&o.group, date));
    Some(product_hit(state, list, &p))
}

/// A local order and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct OrderView {
    /// Its id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub order_id: Uuid,
    /// Its number.
    pub document_number: String,
    /// Its outlet.
    pub outlet_id: String,
    /// When it was committed (RFC 3339).
    pub committed_at: String,
    /// The amount due.
    pub total: Dec,
    /// Its sequence number.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub seq: u64,
    /// How many lines.
    pub line_count: usize,
    /// Sale or return.
    pub kind: OrderKind,
    /// What the user sees of its fate.
    pub status: Status,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The task it was billed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
}

impl From<&LocalOrder> for OrderView {
    fn from(o: &LocalOrder) -> Self {
        let d = &o.document;
        OrderView {
            order_id: d.order_id,
            document_number: d.document_number.clone(),
            outlet_id: d.order.outlet_id.clone(),
            committed_at: d.committed_at.to_rfc3339(),
            total: d.total,
            seq: o.seq,
            line_count: d.order.lines.len(),
            kind: d.order.kind,
            status: o.fate.status(),
            reason: o.fate.reason(),
            task_id: o.task_id.clone(),
        }
    }
}

/// Every order, newest first.
pub fn orders(state: &DeviceState) -> Vec<OrderView> {
    let mut v: Vec<OrderView> = state.orders().map(OrderView::from).collect();
    v.sort_by_key(|o| std::cmp::Reverse(o.seq));
    v
}

/// Every draft, most recently edited first.
pub fn drafts(state: &DeviceState) -> Vec<&Draft> {
    let mut v: Vec<&Draft> = state.drafts().collect();
    v.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    v
}

/// A task with this device's completion.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct TaskItemView {
    /// Its id.
    pub id: String,
    /// Its outlet.
    pub outlet_id: String,
    /// The outlet's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet_name: Option<String>,
    /// What to do.
    pub kind: String,
    /// A short title.
    pub title: String,
    /// Instructions.
    pub details: String,
    /// When it is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub due_date: Option<NaiveDate>,
    /// Where it stands, as the user sees it.
    pub status: TaskStatus,
    /// This device's completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<CompletionView>,
}

/// A completion and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct CompletionView {
    /// The mutation.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub mutation_id: Uuid,
    /// When.
    pub completed_at: String,
    /// The note.
    pub note: String,
    /// How many photos.
    pub photos: usize,
    /// Its fate as the user sees it.
    pub status: Status,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A task's view.
pub fn task(state: &DeviceState, t: &LocalTask) -> TaskItemView {
    TaskItemView {
        id: t.task.id.clone(),
        outlet_id: t.task.outlet_id.clone(),
        outlet_name: state.outlets.get(&t.task.outlet_id).map(|o| o.name.clone()),
        kind: t.task.kind.clone(),
        title: t.task.title.clone(),
        details: t.task.details.clone(),
        due_date: t.task.due_date,
        status: t.shown_status(),
        completion: t.completion.as_ref().map(|c| CompletionView {
            mutation_id: c.mutation_id,
            completed_at: c.completed_at.clone(),
            note: c.note.clone(),
            photos: c.photos.len(),
            status: c.fate.status(),
            reason: c.fate.reason(),
        }),
    }
}

/// The tasks: open first, then by due date and title.
pub fn tasks(state: &DeviceState) -> Vec<TaskItemView> {
    let mut v: Vec<TaskItemView> = state.tasks().map(|t| task(state, t)).collect();
    v.sort_by(|a, b| (a.status != TaskStatus::Open, a.due_date, &a.title).cmp(&(b.status != TaskStatus::Open, b.due_date, &b.title)));
    v
}

/// A quote as the page sees it: strings for every amount, the breakdown, the findings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct QuoteView {
    price_list_id: String,
    lines: Vec<QuoteLineView>,
    taxes: Vec<TaxView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    untaxed: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tax: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<Dec>,
    blocked: bool,
    flagged: bool,
    findings: Vec<FindingView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
/// Part of a [`QuoteView`].
pub struct QuoteLineView {
    unit_price: Dec,
    #[serde(skip_serializing_if = "Option::is_none")]
    net: Option<Dec>,
    taxes: Vec<LineTax>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
/// Part of a [`QuoteView`].
pub struct LineTax {
    code: String,
    amount: Dec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
/// Part of a [`QuoteView`].
pub struct TaxView {
    code: String,
    name: String,
    base: Dec,
    amount: Dec,
    included: bool,
}

/// A finding as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct FindingView {
    rule: String,
    severity: Severity,
    field: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    data_as_of: Option<DateTime<Utc>>,
}

impl From<&Finding> for FindingView {
    fn from(f: &Finding) -> Self {
        FindingView {
            rule: sales::rule_code(f.rule).to_string(),
            severity: f.severity,
            field: f.field.clone(),
            message: f.message.clone(),
            data_as_of: f.data_as_of,
        }
    }
}

impl From<&Quote> for QuoteView {
    fn from(q: &Quote) -> Self {
        let lines = q
            .unit_prices
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let line = q.taxes.as_ref().and_then(|t| t.lines.get(i));
                QuoteLineView {
                    unit_price: *p,
                    net: line.map(|l| l.untaxed),
                    taxes: line
                        .map(|l| l.taxes.iter().map(|t| LineTax { code: t.code.to_string(), amount: t.amount }).collect())
                        .unwrap_or_default(),
                }
            })
            .collect();
        let taxes = q
            .taxes
            .as_ref()
            .map(|t| {
                t.taxes
                    .iter()
                    .map(|x| TaxView { code: x.code.to_string(), name: x.name.to_string(), base: x.base, amount: x.amount, included: x.included })
                    .collect()
            })
            .unwrap_or_default();
        QuoteView {
            price_list_id: q.price_list_id.clone(),
            lines,
            taxes,
            untaxed: q.taxes.as_ref().map(|t| t.untaxed),
            discount: q.taxes.as_ref().map(|t| t.discount),
            tax: q.taxes.as_ref().map(|t| t.tax),
            total: q.total,
            blocked: q.verdict.blocked,
            flagged: q.verdict.flagged_for_review,
            findings: q.verdict.shown().map(FindingView::from).collect(),
        }
    }
}
