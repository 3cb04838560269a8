//! The sales side of the workspace: the decrypted reference data (catalog, price lists, outlets,
//! settings, van stock), what the page sees of it, and quoting an order with core's
//! `sales::quote`, the same function the server runs in `sales::verify`.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use satchel_core::catalog::{SearchDoc, SearchIndex};
use satchel_core::money::Dec;
use satchel_core::sales::{self, Catalog, CatalogProduct, OutletInfo, Quote, SalesContext, SalesOrder};
use satchel_core::tax::model::RuleSet;
use satchel_core::validation::{Finding, RecentLine, RecentOrder, StockLevel};

use crate::error::{from_sales, SatchelError};
use crate::store::{LoadedReference, LocalOrder, LocalTask, OrderStatus, PageDelta, PullState, ReferenceInfo, SalesMeta};

/// How far back local orders count as "recent" for the duplicate rule.
const RECENT_WINDOW_HOURS: i64 = 24;

/// The in-memory reference data, for instant reads. Empty while locked.
#[derive(Default)]
pub struct Reference {
    pub(crate) info: Option<ReferenceInfo>,
    sales: Option<SalesMeta>,
    rules: Option<RuleSet>,
    products: Vec<CatalogProduct>,
    search: SearchIndex,
    by_sku: HashMap<String, usize>,
    outlets: Vec<OutletInfo>,
    by_outlet: HashMap<String, usize>,
    van_stock: BTreeMap<String, StockLevel>,
    /// This device's orders not yet acknowledged, summed per outlet (for credit).
    pending_by_outlet: HashMap<String, Dec>,
    /// What this device's unsynced orders took from the van, per SKU.
    pending_takes: BTreeMap<String, Dec>,
    /// Recent local orders (for the duplicate rule).
    recent: Vec<RecentOrder>,
    /// Rule sets pulled from the server, by id (JSON).
    pulled_rules: BTreeMap<String, serde_json::Value>,
    /// Tasks assigned to the user.
    tasks: Vec<LocalTask>,
    /// Where the pull stands.
    pub(crate) pull: PullState,
    /// Products changed since the search index was built.
    search_dirty: bool,
    /// Bumped whenever pulled data changed what the page shows.
    pub(crate) generation: u64,
}

/// The rule set the settings name: the one pulled from the server when it is valid, else the
/// built-in one of the same id.
fn resolve_rules(sales: Option<&SalesMeta>, pulled: &BTreeMap<String, serde_json::Value>) -> Option<RuleSet> {
    let id = &sales?.settings.as_ref()?.rule_set;
    pulled
        .get(id)
        .and_then(|v| RuleSet::deserialize(v).ok())
        .filter(|r| satchel_core::tax::resolve::validate_rules(r).is_ok())
        .or_else(|| satchel_core::tax::builtin::rule_set(id))
}

impl Reference {
    /// Builds the indexes over what the store loaded.
    pub fn new(loaded: LoadedReference) -> Self {
        let search = SearchIndex::build(loaded.products.iter().enumerate().map(|(i, p)| {
            SearchDoc::new(i as u32, p.sku.clone(), p.name.clone()).with_barcodes(p.barcodes.iter().cloned())
        }));
        let by_sku = loaded.products.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
        let by_outlet = loaded.outlets.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect();
        let rules = resolve_rules(loaded.sales.as_ref(), &loaded.rules);
        Reference {
            pulled_rules: loaded.rules,
            tasks: loaded.tasks,
            pull: loaded.pull,
            info: loaded.info,
            sales: loaded.sales,
            rules,
            products: loaded.products,
            search,
            by_sku,
            outlets: loaded.outlets,
            by_outlet,
            van_stock: loaded.van_stock,
            ..Reference::default()
        }
    }

    /// Takes this device's orders into account: pending totals per outlet, what they took from
    /// the van, and the recent ones for the duplicate rule.
    pub fn set_local_orders(&mut self, orders: &[LocalOrder], now: DateTime<Utc>) {
        self.pending_by_outlet.clear();
        self.pending_takes.clear();
        self.recent.clear();
        for o in orders {
            let doc = &o.document;
            if o.status == OrderStatus::Pending {
                let sign = if doc.order.kind.is_sale() { 1 } else { -1 };
                let entry = self.pending_by_outlet.entry(o.outlet_id.clone()).or_default();
                *entry = Dec(entry.value() + doc.total.value() * rust_decimal::Decimal::from(sign));
                if doc.order.kind.is_sale() {
                    for l in &doc.order.lines {
                        let t = self.pending_takes.entry(l.sku.clone()).or_default();
                        *t = Dec(t.value() + l.quantity.value());
                    }
                }
            }
            if now.signed_duration_since(doc.committed_at).num_hours() < RECENT_WINDOW_HOURS && doc.order.kind.is_sale() {
                self.recent.push(RecentOrder {
                    order_id: doc.order_id,
                    outlet_id: doc.order.outlet_id.clone(),
                    committed_at: doc.committed_at,
                    lines: doc.order.lines.iter().map(|l| RecentLine { sku: l.sku.clone(), quantity: l.quantity }).collect(),
                });
            }
        }
    }

    /// What unsynced orders took from the van (kept when fresh stock figures arrive).
    pub fn pending_takes(&self) -> &BTreeMap<String, Dec> {
        &self.pending_takes
    }

    /// When the reference data was produced, if any.
    pub fn as_of(&self) -> Option<String> {
        self.info.as_ref().map(|i| i.as_of.clone())
    }

    /// The signed-in user's role (`rep`, `supervisor`), from the sales data.
    pub fn role(&self) -> Option<&str> {
        self.sales.as_ref().map(|s| s.role.as_str())
    }

    /// The outlet `id`, if it is on the user's routes.
    pub fn outlet(&self, id: &str) -> Option<&OutletInfo> {
        self.by_outlet.get(id).and_then(|&i| self.outlets.get(i))
    }

    /// Replaces an outlet in memory (after the device edited it).
    pub fn replace_outlet(&mut self, outlet: OutletInfo) {
        if let Some(&i) = self.by_outlet.get(&outlet.id) {
            self.outlets[i] = outlet;
        }
    }

    /// Whether `sku` is in the catalog.
    pub fn has_product(&self, sku: &str) -> bool {
        self.by_sku.contains_key(sku)
    }

    /// The outlets, with their credit position as this device sees it.
    pub fn outlet_views(&self) -> Vec<OutletView<'_>> {
        self.outlets
            .iter()
            .map(|o| {
                let pending = self.pending_by_outlet.get(&o.id).copied().unwrap_or_default();
                OutletView {
                    id: &o.id,
                    name: &o.name,
                    route: &o.route,
                    address: &o.address,
                    phone: &o.phone,
                    contact_name: &o.contact_name,
                    group: &o.group,
                    place_of_supply: &o.place_of_supply,
                    credit: o.credit.map(|c| {
                        let used = c.outstanding.value() + pending.value();
                        CreditView {
                            limit: c.limit,
                            outstanding: c.outstanding,
                            pending_on_device: pending,
                            available: Dec(c.limit.value() - used),
                            over_limit: used > c.limit.value(),
                            as_of: c.as_of,
                        }
                    }),
                }
            })
            .collect()
    }

    /// Products matching `query` (typo-tolerant), with the price of `outlet_id`'s list on `date`
    /// and what the van holds.
    pub fn search(&self, query: &str, limit: usize, outlet_id: Option<&str>, date: NaiveDate) -> Vec<ProductHit<'_>> {
        let list = outlet_id
            .and_then(|id| self.by_outlet.get(id))
            .and_then(|&i| self.outlets.get(i))
            .zip(self.sales.as_ref())
            .and_then(|(o, s)| Catalog::new(&[], &s.price_lists).price_list_for(&o.group, date).cloned());
        self.search
            .search(query, limit)
            .iter()
            .filter_map(|h| self.products.get(h.id as usize))
            .map(|p| ProductHit {
                sku: &p.sku,
                name: &p.name,
                unit: &p.unit,
                quantity_places: p.quantity_places,
                pack_size: p.pack_size,
                min_order_quantity: p.min_order_quantity,
                barcodes: &p.barcodes,
                unit_price: list.as_ref().and_then(|l| l.prices.get(&p.sku).copied()),
                stock: self.van_stock.get(&p.sku).map(|s| s.available),
            })
            .collect()
    }

    /// Quotes `order` with this device's data: prices, taxes with the breakdown, findings.
    pub fn quote(&self, order: &SalesOrder, now: DateTime<Utc>) -> Result<Quote, SatchelError> {
        let (Some(sales), Some(rules)) = (self.sales.as_ref(), self.rules.as_ref()) else {
            return Err(SatchelError::Validation {
                field: String::new(),
                detail: "no_sales_data".into(),
                message: "no sales data on this device yet; sync online once".into(),
            });
        };
        let outlet = self.by_outlet.get(&order.outlet_id).and_then(|&i| self.outlets.get(i)).ok_or_else(|| SatchelError::Validation {
            field: "outlet_id".into(),
            detail: "unknown_outlet".into(),
            message: format!("outlet {} is not on your routes", order.outlet_id),
        })?;
        // Index only the order's products: the whole catalog would be rebuilt on every keystroke.
        let products: Vec<CatalogProduct> =
            order.lines.iter().filter_map(|l| self.by_sku.get(&l.sku).and_then(|&i| self.products.get(i)).cloned()).collect();
        let catalog = Catalog::new(&products, &sales.price_lists);
        let ctx = SalesContext {
            role: sales.role.clone(),
            now,
            // Only the order's SKUs: copying a whole catalog's van on every keystroke is waste.
            stock: order.lines.iter().filter_map(|l| self.van_stock.get(&l.sku).map(|s| (l.sku.clone(), *s))).collect(),
            pending_on_device: self.pending_by_outlet.get(&order.outlet_id).copied().unwrap_or_default(),
            recent_orders: self.recent.clone(),
        };
        let settings = sales.settings.as_ref().ok_or_else(|| SatchelError::Validation {
            field: String::new(),
            detail: "no_sales_data".into(),
            message: "no sales settings on this device yet; sync online once".into(),
        })?;
        sales::quote(settings, rules, &catalog, outlet, order, &ctx).map_err(from_sales)
    }

    /// Orders the server answered are no longer this device's pending orders: their totals leave
    /// the outlets' pending credit and their quantities the van's pending takes (the inverse of
    /// [`committed`](Self::committed) for those two; recent orders stay recent).
    pub fn settled(&mut self, orders: &[LocalOrder]) {
        for order in orders {
            let doc = &order.document;
            let sale = doc.order.kind.is_sale();
            if let Some(p) = self.pending_by_outlet.get_mut(&order.outlet_id) {
                *p = Dec(if sale { p.value() - doc.total.value() } else { p.value() + doc.total.value() });
            }
            if sale {
                for l in &doc.order.lines {
                    if let Some(t) = self.pending_takes.get_mut(&l.sku) {
                        *t = Dec(t.value() - l.quantity.value());
                    }
                }
            }
        }
    }

    /// Applies what a pull page changed, without reading the store again. The search index is
    /// rebuilt when `last_page` (once per pull, not once per page).
    pub fn apply_delta(&mut self, delta: PageDelta, last_page: bool) {
        let changed = delta.changed();
        if delta.reset {
            self.products.clear();
            self.outlets.clear();
            self.sales = None;
            self.van_stock.clear();
            self.pulled_rules.clear();
            self.search_dirty = true;
        }
        if !delta.products.is_empty() {
            let mut by_sku: HashMap<String, usize> = self.products.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
            let mut gone = std::collections::HashSet::new();
            for (sku, p) in delta.products {
                match (p, by_sku.get(&sku)) {
                    (Some(p), Some(&i)) => self.products[i] = p,
                    (Some(p), None) => {
                        by_sku.insert(sku, self.products.len());
                        self.products.push(p);
                    }
                    (None, Some(_)) => {
                        gone.insert(sku);
                    }
                    (None, None) => {}
                }
            }
            self.search_dirty = true;
            if gone.is_empty() {
                self.by_sku = by_sku;
            } else {
                // Positions shift: the index must not point at the wrong products, even mid-pull.
                self.products.retain(|p| !gone.contains(&p.sku));
                self.rebuild_search();
                self.search_dirty = true;
            }
        }
        if !delta.outlets.is_empty() {
            for (id, o) in delta.outlets {
                let at = self.outlets.iter().position(|x| x.id == id);
                match (o, at) {
                    (Some(o), Some(i)) => self.outlets[i] = o,
                    (Some(o), None) => self.outlets.push(o),
                    (None, Some(i)) => {
                        self.outlets.remove(i);
                    }
                    (None, None) => {}
                }
            }
            self.by_outlet = self.outlets.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect();
        }
        for (id, t) in delta.tasks {
            let at = self.tasks.iter().position(|x| x.task.id == id);
            match (t, at) {
                (Some(t), Some(i)) => self.tasks[i] = t,
                (Some(t), None) => self.tasks.push(t),
                (None, Some(i)) => {
                    self.tasks.remove(i);
                }
                (None, None) => {}
            }
        }
        if let Some(s) = delta.sales {
            self.sales = Some(s);
        }
        if let Some(r) = delta.rules {
            self.pulled_rules = r;
        }
        for (sku, level) in delta.van_stock {
            match level {
                Some(l) => {
                    self.van_stock.insert(sku, l);
                }
                None => {
                    self.van_stock.remove(&sku);
                }
            }
        }
        self.rules = resolve_rules(self.sales.as_ref(), &self.pulled_rules);
        if let Some(c) = delta.state.pulled_at.clone().filter(|_| last_page) {
            let currency = self.sales.as_ref().and_then(|s| s.settings.as_ref()).map(|s| s.currency.clone());
            let currency = currency.or_else(|| self.info.as_ref().map(|i| i.currency.clone())).unwrap_or_default();
            self.info = Some(ReferenceInfo { as_of: c, currency });
        }
        self.pull = delta.state;
        if last_page && self.search_dirty {
            self.rebuild_search();
        }
        if changed {
            self.generation += 1;
        }
    }

    fn rebuild_search(&mut self) {
        self.search = SearchIndex::build(self.products.iter().enumerate().map(|(i, p)| {
            SearchDoc::new(i as u32, p.sku.clone(), p.name.clone()).with_barcodes(p.barcodes.iter().cloned())
        }));
        self.by_sku = self.products.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
        self.search_dirty = false;
    }

    /// The tasks assigned to the user.
    pub fn tasks(&self) -> &[LocalTask] {
        &self.tasks
    }

    /// Replaces (or adds) a task in memory.
    pub fn replace_task(&mut self, task: LocalTask) {
        match self.tasks.iter().position(|t| t.task.id == task.task.id) {
            Some(i) => self.tasks[i] = task,
            None => self.tasks.push(task),
        }
        self.generation += 1;
    }

    /// Records a commit in memory (pending total, van stock, recent orders) without reloading.
    pub fn committed(&mut self, order: &LocalOrder) {
        let doc = &order.document;
        let sale = doc.order.kind.is_sale();
        let entry = self.pending_by_outlet.entry(order.outlet_id.clone()).or_default();
        *entry = Dec(if sale { entry.value() + doc.total.value() } else { entry.value() - doc.total.value() });
        for l in &doc.order.lines {
            if let Some(level) = self.van_stock.get_mut(&l.sku) {
                level.available = Dec(if sale { level.available.value() - l.quantity.value() } else { level.available.value() + l.quantity.value() });
            }
            if sale {
                let t = self.pending_takes.entry(l.sku.clone()).or_default();
                *t = Dec(t.value() + l.quantity.value());
            }
        }
        if sale {
            self.recent.push(RecentOrder {
                order_id: doc.order_id,
                outlet_id: doc.order.outlet_id.clone(),
                committed_at: doc.committed_at,
                lines: doc.order.lines.iter().map(|l| RecentLine { sku: l.sku.clone(), quantity: l.quantity }).collect(),
            });
        }
    }
}

/// An outlet as the page sees it.
#[derive(Serialize)]
pub struct OutletView<'a> {
    id: &'a str,
    name: &'a str,
    route: &'a str,
    address: &'a str,
    phone: &'a str,
    contact_name: &'a str,
    group: &'a str,
    place_of_supply: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit: Option<CreditView>,
}

/// An outlet's credit as this device sees it: the server's balance (as of) plus this device's
/// unsynced orders.
#[derive(Serialize)]
pub struct CreditView {
    limit: Dec,
    outstanding: Dec,
    pending_on_device: Dec,
    available: Dec,
    over_limit: bool,
    as_of: DateTime<Utc>,
}

/// A product found by search.
#[derive(Serialize)]
pub struct ProductHit<'a> {
    sku: &'a str,
    name: &'a str,
    unit: &'a str,
    quantity_places: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pack_size: Option<Dec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_order_quantity: Option<Dec>,
    barcodes: &'a [String],
    /// The price for the outlet asked about (its group's list on the date).
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_price: Option<Dec>,
    /// What the van holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    stock: Option<Dec>,
}

/// A quote as the page sees it: strings for every amount, the breakdown, the findings.
#[derive(Serialize)]
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
    /// The amount due (cash-rounded where that applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<Dec>,
    blocked: bool,
    flagged: bool,
    findings: Vec<FindingView>,
}

#[derive(Serialize)]
struct QuoteLineView {
    unit_price: Dec,
    #[serde(skip_serializing_if = "Option::is_none")]
    net: Option<Dec>,
    taxes: Vec<LineTax>,
}

#[derive(Serialize)]
struct LineTax {
    code: String,
    amount: Dec,
}

#[derive(Serialize)]
struct TaxView {
    code: String,
    name: String,
    base: Dec,
    amount: Dec,
    included: bool,
}

/// A finding as the page shows it.
#[derive(Serialize)]
pub struct FindingView {
    rule: String,
    severity: satchel_core::validation::Severity,
    field: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
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
