//! The device's state in memory: the server's snapshot (catalog, price lists, outlets, van,
//! tasks) and the device's own records (orders, drafts, edits, the outbox), decrypted while
//! unlocked, plus what is derived from them.
//!
//! The state is a mirror of the store: it changes only by applying the records a committed plan
//! wrote ([`DeviceState::apply`]) or records read back from the store ([`DeviceState::put`]),
//! so every tab that applies the same records holds the same state. What the user sees of the van
//! and of an outlet's credit is **derived**: the server's figure plus the effects of this device's
//! orders the server's figures do not include yet ([`LocalOrder::counts_on_top`]), kept up to
//! date incrementally: replacing an order first takes its old contribution out, so nothing is
//! ever counted twice. When a pull completes (the `pulls` meta record moves), the sum is taken
//! again over the orders in memory.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::codec::{Codec, DeviceKeys};
use super::plan::{MetaRecord, Record, RecordId, Write, WritePlan};
use super::records::{
    Counters, DeviceRecord, Draft, LegacyVan, LocalOrder, LocalTask, OutboxEntry, PendingOutletEdit, PendingUpload, PullState, PulledRules,
    ReferenceInfo, SalesMeta,
};
use super::schema::{MetaKey, StoreId};
use super::store::{RawKey, RawValue};
use crate::catalog::{SearchDoc, SearchIndex};
use crate::sales::{self, CatalogProduct, OrderKind, OutletInfo};
use crate::sync::edits;
use crate::tax::model::RuleSet;
use crate::validation::{RecentOrder, StockLevel};

/// What this device's orders add on top of the server's figures.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OnTop {
    /// Per outlet: what they add to its balance.
    pub balance: HashMap<String, Decimal>,
    /// Per SKU: how they move the van's stock.
    pub van: HashMap<String, Decimal>,
}

impl OnTop {
    fn add(&mut self, order: &LocalOrder, sign: Decimal, pulls_completed: u64) {
        if !order.counts_on_top(pulls_completed) {
            return;
        }
        *self.balance.entry(order.outlet_id().to_string()).or_default() += sign * sales::balance_effect(&order.document);
        for (sku, q) in sales::van_movements(&order.document.order) {
            *self.van.entry(sku.to_string()).or_default() += sign * q;
        }
    }
}

/// The catalog: the products, by SKU, and their search index.
///
/// After an unlock the products stay sealed (as read from the store) until something needs them
/// or the page opens them in slices after its first screen ([`DeviceState::open_products`]): a
/// cheap phone shows today's outlets without first decrypting and parsing 10,000 products. Every
/// read of a product opens whatever is still sealed first, and so does every change to the
/// catalog, so a sealed record can never overwrite a newer one and nothing reads a partial
/// catalog.
#[derive(Default)]
struct Products {
    list: Vec<CatalogProduct>,
    by_sku: HashMap<String, usize>,
    search: Option<SearchIndex>,
    sealed: Option<SealedProducts>,
    /// Sealed records that could not be opened.
    unreadable: usize,
}

/// Product records as the store holds them, with what opens them (dropped with the state when
/// the workspace locks).
struct SealedProducts {
    device: DeviceRecord,
    keys: Rc<DeviceKeys>,
    records: VecDeque<(RawKey, RawValue)>,
}

impl Products {
    fn put(&mut self, p: CatalogProduct) {
        self.open(usize::MAX);
        self.put_opened(p);
    }

    fn put_opened(&mut self, p: CatalogProduct) {
        match self.by_sku.get(&p.sku) {
            Some(&i) => self.list[i] = p,
            None => {
                self.by_sku.insert(p.sku.clone(), self.list.len());
                self.list.push(p);
            }
        }
        self.search = None;
    }

    fn delete(&mut self, sku: &str) {
        self.open(usize::MAX);
        if self.by_sku.remove(sku).is_some() {
            self.list.retain(|p| p.sku != sku);
            self.by_sku = self.list.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
            self.search = None;
        }
    }

    /// Opens up to `max` sealed records (in the store's order, as an unlock of everything at once
    /// would); builds the search index once the last is open. Answers how many are still sealed.
    fn open(&mut self, max: usize) -> usize {
        let Some(sealed) = &mut self.sealed else { return 0 };
        let codec = Codec { device: &sealed.device, keys: Some(&sealed.keys) };
        let n = max.min(sealed.records.len());
        let mut opened = Vec::with_capacity(n);
        let mut unreadable = 0;
        for (key, value) in sealed.records.drain(..n) {
            match codec.decode(StoreId::Products, &key, &value) {
                Ok(Record::Product(p)) => opened.push(p),
                _ => unreadable += 1,
            }
        }
        let left = sealed.records.len();
        if left == 0 {
            self.sealed = None;
        }
        self.unreadable += unreadable;
        opened.into_iter().for_each(|p| self.put_opened(p));
        if left == 0 {
            self.index();
        }
        left
    }

    fn index(&mut self) -> &SearchIndex {
        let list = &self.list;
        self.search.get_or_insert_with(|| {
            SearchIndex::build(list.iter().enumerate().map(|(i, p)| {
                SearchDoc::new(i as u32, p.sku.clone(), p.name.clone()).with_barcodes(p.barcodes.iter().cloned())
            }))
        })
    }
}

/// The device's state in memory.
#[derive(Default)]
pub struct DeviceState {
    pub(super) info: Option<ReferenceInfo>,
    pub(super) sales: Option<SalesMeta>,
    pulled_rules: PulledRules,
    pub(super) rules: Option<RuleSet>,
    products: RefCell<Products>,
    pub(super) outlets: BTreeMap<String, OutletInfo>,
    pub(super) van: BTreeMap<String, StockLevel>,
    legacy_van: LegacyVan,
    pub(super) tasks: BTreeMap<String, LocalTask>,
    pub(super) pull: PullState,
    /// Pulls completed ([`MetaKey::Pulls`]).
    pulls: u64,
    pub(super) orders: BTreeMap<Uuid, LocalOrder>,
    pub(super) drafts: BTreeMap<Uuid, Draft>,
    pub(super) outlet_edits: Vec<PendingOutletEdit>,
    pub(super) uploads: Vec<PendingUpload>,
    pub(super) counter: super::counter::CounterState,
    pub(super) day: super::day::DayState,
    pub(super) outbox: BTreeMap<u64, OutboxEntry>,
    pub(super) format: Option<u32>,
    pub(super) counters: Option<Counters>,
    on_top: OnTop,
    recent: HashMap<(String, OrderKind), Vec<RecentOrder>>,
    by_mutation: HashMap<Uuid, RecordId>,
    /// Moves whenever something from outside this tab's own use cases (a pull page, another
    /// tab's writes read back, a reload) changed what the user sees: the page re-reads its lists
    /// then. The tab's own changes are answered by the call that made them.
    pub generation: u64,
    /// Records other than products that could not be read when loaded.
    unreadable: usize,
    /// Of those, orders (the page names them apart: they are the rep's own work).
    pub unreadable_orders: usize,
}

/// The rule set the settings name: the one pulled from the server when it is valid, else the
/// built-in one of the same id.
fn resolve_rules(sales: Option<&SalesMeta>, pulled: &PulledRules) -> Option<RuleSet> {
    use serde::Deserialize as _;
    let id = &sales?.settings.as_ref()?.rule_set;
    pulled
        .get(id)
        .and_then(|v| RuleSet::deserialize(v).ok())
        .filter(|r| crate::tax::resolve::validate_rules(r).is_ok())
        .or_else(|| crate::tax::builtin::rule_set(id))
}

impl DeviceState {
    /// A state holding `records` (as loaded at unlock).
    pub fn from_records(records: impl IntoIterator<Item = Record>, unreadable: usize) -> Self {
        let mut state = DeviceState::default();
        for r in records {
            state.put(r);
        }
        state.unreadable = unreadable;
        state
    }

    /// Applies a plan the store committed.
    pub fn apply(&mut self, plan: &WritePlan) {
        for w in &plan.writes {
            match w {
                Write::Put(r) | Write::Add(r) => self.put(r.clone()),
                Write::Delete(id) => self.delete(id),
                Write::Clear(store) => self.clear(*store),
            }
        }
        if let Some(c) = &plan.counters {
            self.counters = Some(c.clone());
        }
    }

    /// Counts a record of `store` that could not be read (skipped, never hiding the others).
    pub fn note_unreadable(&mut self, store: StoreId) {
        self.unreadable += 1;
        self.unreadable_orders += usize::from(store == StoreId::Orders);
    }

    /// Takes in one record (written by this tab, or read back after another tab wrote it).
    pub fn put(&mut self, record: Record) {
        match record {
            Record::Meta(m) => self.put_meta(m),
            Record::Product(p) => self.products.get_mut().put(p),
            Record::Outlet(o) => {
                self.outlets.insert(o.id.clone(), o);
            }
            Record::Order(o) => self.put_order(o),
            Record::Outbox(e) => {
                self.outbox.insert(e.seq, e);
            }
            Record::NewOutbox { mutation, committed_ms, .. } => {
                let entry = OutboxEntry { seq: mutation.seq, id: mutation.id, order_key: String::new(), sealed: String::new(), committed_ms };
                self.outbox.insert(entry.seq, entry);
            }
            Record::Draft(d) => {
                self.drafts.insert(d.draft_id, d);
            }
            Record::Task(t) => {
                if let Some(c) = &t.completion {
                    self.by_mutation.insert(c.mutation_id, RecordId::Task(t.task.id.clone()));
                }
                self.tasks.insert(t.task.id.clone(), t);
            }
            Record::Van(v) => {
                self.van.insert(v.sku, v.level);
            }
            Record::Ack(..) | Record::Blob { .. } => {}
        }
    }

    fn put_meta(&mut self, m: MetaRecord) {
        match m {
            MetaRecord::Reference(i) => self.info = Some(i),
            MetaRecord::Sales(s) => {
                self.sales = Some(s);
                self.rules = resolve_rules(self.sales.as_ref(), &self.pulled_rules);
            }
            MetaRecord::Rules(r) => {
                self.pulled_rules = r;
                self.rules = resolve_rules(self.sales.as_ref(), &self.pulled_rules);
            }
            MetaRecord::OutletEdits(e) => self.outlet_edits = e,
            MetaRecord::Uploads(u) => self.uploads = u,
            MetaRecord::Counter(c) => self.counter = c,
            MetaRecord::Day(d) => self.day = d,
            MetaRecord::Pull(p) => self.pull = p,
            MetaRecord::Pulls(n) if n != self.pulls => {
                // A pull completed (here or in another tab): the orders it includes stop
                // counting on top. Summed again from the orders in memory, none read or written.
                self.pulls = n;
                self.on_top = OnTop::default();
                for o in self.orders.values() {
                    self.on_top.add(o, Decimal::ONE, n);
                }
            }
            MetaRecord::Format(f) => self.format = Some(f),
            MetaRecord::Counters(c) => self.counters = Some(c),
            MetaRecord::LegacyVanStock(v) => self.legacy_van = v,
            _ => {}
        }
    }

    fn put_order(&mut self, order: LocalOrder) {
        let id = order.order_id();
        if let Some(old) = self.orders.remove(&id) {
            self.on_top.add(&old, Decimal::NEGATIVE_ONE, self.pulls);
            let list = self.recent.entry((old.outlet_id().to_string(), old.document.order.kind)).or_default();
            list.retain(|r| r.order_id != id);
        }
        self.on_top.add(&order, Decimal::ONE, self.pulls);
        if order.is_real() && sales::effects::duplicate_rule_applies(&order.document) {
            let list = self.recent.entry((order.outlet_id().to_string(), order.document.order.kind)).or_default();
            let at = list.partition_point(|r| r.committed_at <= order.document.committed_at);
            list.insert(at, sales::recent_order(&order.document));
        }
        self.by_mutation.insert(order.mutation_id, RecordId::Order(id));
        self.orders.insert(id, order);
    }

    /// Forgets one record.
    pub fn delete(&mut self, id: &RecordId) {
        match id {
            RecordId::Meta(MetaKey::OutletEdits) => self.outlet_edits.clear(),
            RecordId::Meta(MetaKey::Uploads) => self.uploads.clear(),
            RecordId::Meta(MetaKey::Counter) => self.counter = Default::default(),
            RecordId::Meta(MetaKey::Day) => self.day = Default::default(),
            RecordId::Meta(MetaKey::Sales) => {
                self.sales = None;
                self.rules = None;
            }
            RecordId::Meta(MetaKey::Rules) => {
                self.pulled_rules.clear();
                self.rules = resolve_rules(self.sales.as_ref(), &self.pulled_rules);
            }
            RecordId::Meta(MetaKey::LegacyVanStock) => self.legacy_van.clear(),
            RecordId::Meta(_) => {}
            RecordId::Product(sku) => self.products.get_mut().delete(sku),
            RecordId::Outlet(o) => {
                self.outlets.remove(o);
            }
            RecordId::Order(o) => {
                if let Some(old) = self.orders.remove(o) {
                    self.on_top.add(&old, Decimal::NEGATIVE_ONE, self.pulls);
                    if let Some(list) = self.recent.get_mut(&(old.outlet_id().to_string(), old.document.order.kind)) {
                        list.retain(|r| r.order_id != *o);
                    }
                }
            }
            RecordId::Outbox(seq) => {
                self.outbox.remove(seq);
            }
            RecordId::Draft(d) => {
                self.drafts.remove(d);
            }
            RecordId::Task(t) => {
                self.tasks.remove(t);
            }
            RecordId::Van(sku) => {
                self.van.remove(sku);
            }
            RecordId::Ack(_) | RecordId::Blob(_) => {}
        }
    }

    fn clear(&mut self, store: StoreId) {
        match store {
            // Only sign-in and sign-out clear `meta`, and they clear every store with it.
            StoreId::Meta => *self = DeviceState { generation: self.generation, ..DeviceState::default() },
            StoreId::Products => *self.products.get_mut() = Products::default(),
            StoreId::Outlets => self.outlets.clear(),
            StoreId::Orders => {
                self.orders.clear();
                self.reindex();
            }
            StoreId::Outbox => self.outbox.clear(),
            StoreId::Drafts => self.drafts.clear(),
            StoreId::Tasks => self.tasks.clear(),
            StoreId::Van => self.van.clear(),
            StoreId::Acks | StoreId::Blobs => {}
        }
    }

    /// Rebuilds every index from the records.
    fn reindex(&mut self) {
        let orders = std::mem::take(&mut self.orders);
        self.on_top = OnTop::default();
        self.recent.clear();
        self.by_mutation.clear();
        for t in self.tasks.values() {
            if let Some(c) = &t.completion {
                self.by_mutation.insert(c.mutation_id, RecordId::Task(t.task.id.clone()));
            }
        }
        for o in orders.into_values() {
            self.put_order(o);
        }
    }

    /// Holds the product records read at unlock sealed, opened when first needed or slice by
    /// slice with [`DeviceState::open_products`] (they replace any products held).
    pub fn seal_products(&mut self, device: DeviceRecord, keys: Rc<DeviceKeys>, records: Vec<(RawKey, RawValue)>) {
        let products = self.products.get_mut();
        *products = Products::default();
        if !records.is_empty() {
            products.sealed = Some(SealedProducts { device, keys, records: records.into() });
        }
    }

    /// Opens up to `max` of the products still sealed; answers how many are still sealed (the
    /// search index is built with the last).
    pub fn open_products(&mut self, max: usize) -> usize {
        self.products.get_mut().open(max)
    }

    /// How many products are still sealed.
    pub fn sealed_products(&self) -> usize {
        self.products.borrow().sealed.as_ref().map_or(0, |s| s.records.len())
    }

    /// The products matching `query`, best first.
    pub fn search_products(&self, query: &str, limit: usize) -> Vec<CatalogProduct> {
        let mut products = self.products.borrow_mut();
        products.open(usize::MAX);
        let ids: Vec<u32> = products.index().search(query, limit).iter().map(|h| h.id).collect();
        ids.iter().filter_map(|id| products.list.get(*id as usize)).cloned().collect()
    }

    /// Builds the search index now if the catalog changed (after a pull, not on the next
    /// keystroke); while products are still sealed, the last slice builds it.
    pub fn index_now(&mut self) {
        let products = self.products.get_mut();
        if products.sealed.is_none() {
            products.index();
        }
    }

    /// Records that could not be read. Products still sealed are not counted until they are
    /// opened (moments after an unlock): the page's storage report asks on every sync status,
    /// and it must not open the whole catalog before the first screen.
    pub fn unreadable(&self) -> usize {
        self.unreadable + self.products.borrow().unreadable
    }

    /// What this device's orders add on top of the server's figures.
    pub fn on_top(&self) -> &OnTop {
        &self.on_top
    }

    /// The van's stock of `sku` as the user should see it: the server's figure (or, before the
    /// first complete pull, format 3's map) moved by this device's orders on top of it. `None`
    /// for a SKU the van does not track.
    pub fn van_available(&self, sku: &str) -> Option<StockLevel> {
        let base = self.van.get(sku).or_else(|| self.legacy_van.get(sku))?;
        let moved = self.on_top.van.get(sku).copied().unwrap_or_default();
        Some(StockLevel { available: crate::money::Dec(base.available.value() + moved), as_of: base.as_of })
    }

    /// The server's figure of `sku`, as this device last received it.
    pub fn van_snapshot(&self, sku: &str) -> Option<&StockLevel> {
        self.van.get(sku).or_else(|| self.legacy_van.get(sku))
    }

    /// Every SKU the van tracks.
    pub fn van_skus(&self) -> impl Iterator<Item = &String> {
        self.van.keys().chain(self.legacy_van.keys().filter(|k| !self.van.contains_key(*k)))
    }

    /// What this device's orders add to `outlet_id`'s balance on top of the server's.
    pub fn balance_on_top(&self, outlet_id: &str) -> Decimal {
        self.on_top.balance.get(outlet_id).copied().unwrap_or_default()
    }

    /// The outlet as the device shows it: the server's values with this device's unanswered
    /// edits on top.
    pub fn outlet(&self, id: &str) -> Option<OutletInfo> {
        let mut o = self.outlets.get(id)?.clone();
        for e in self.outlet_edits.iter().filter(|e| e.patch.outlet_id == id) {
            edits::apply_patch(&mut o, &e.patch);
        }
        Some(o)
    }

    /// Every outlet, as the device shows it.
    pub fn outlet_ids(&self) -> impl Iterator<Item = &String> {
        self.outlets.keys()
    }

    /// The outlet's recent real orders of `kind` committed within `window` of `now` (either side),
    /// for the likely-duplicate rule: only this outlet's, so a quote costs the same all day.
    pub fn recent_orders(&self, outlet_id: &str, kind: OrderKind, now: DateTime<Utc>, window: chrono::TimeDelta) -> Vec<RecentOrder> {
        let Some(list) = self.recent.get(&(outlet_id.to_string(), kind)) else { return Vec::new() };
        let from = now.checked_sub_signed(window).unwrap_or(now);
        let until = now.checked_add_signed(window).unwrap_or(now);
        let start = list.partition_point(|r| r.committed_at < from);
        list[start..].iter().take_while(|r| r.committed_at <= until).cloned().collect()
    }

    /// The record a mutation's answer settles.
    pub fn target_of(&self, mutation_id: &Uuid) -> Option<&RecordId> {
        self.by_mutation.get(mutation_id)
    }

    /// An order.
    pub fn order(&self, id: &Uuid) -> Option<&LocalOrder> {
        self.orders.get(id)
    }

    /// Every order.
    pub fn orders(&self) -> impl Iterator<Item = &LocalOrder> {
        self.orders.values()
    }

    /// A task.
    pub fn task(&self, id: &str) -> Option<&LocalTask> {
        self.tasks.get(id)
    }

    /// Every task.
    pub fn tasks(&self) -> impl Iterator<Item = &LocalTask> {
        self.tasks.values()
    }

    /// Every draft.
    pub fn drafts(&self) -> impl Iterator<Item = &Draft> {
        self.drafts.values()
    }

    /// A draft.
    pub fn draft(&self, id: &Uuid) -> Option<&Draft> {
        self.drafts.get(id)
    }

    /// The photos waiting for upload.
    pub fn uploads(&self) -> &[PendingUpload] {
        &self.uploads
    }

    /// Where the pull stands.
    pub fn pull(&self) -> &PullState {
        &self.pull
    }

    /// How many pulls completed on this device ([`MetaKey::Pulls`]).
    pub fn pulls_completed(&self) -> u64 {
        self.pulls
    }

    /// The delivery day's record: the open day, ended days.
    pub fn day(&self) -> &super::day::DayState {
        &self.day
    }

    /// The counter's record: the open shift, closed shifts, parked carts.
    pub fn counter(&self) -> &super::counter::CounterState {
        &self.counter
    }

    /// The settings, role and price lists, once pulled.
    pub fn sales(&self) -> Option<&SalesMeta> {
        self.sales.as_ref()
    }

    /// The rule set orders are taxed with.
    pub fn rules(&self) -> Option<&RuleSet> {
        self.rules.as_ref()
    }

    /// A product.
    pub fn product(&self, sku: &str) -> Option<CatalogProduct> {
        let mut products = self.products.borrow_mut();
        products.open(usize::MAX);
        products.by_sku.get(sku).and_then(|&i| products.list.get(i)).cloned()
    }

    /// The product whose SKU or one of whose barcodes is exactly `code`.
    pub fn product_by_code(&self, code: &str) -> Option<CatalogProduct> {
        self.product(code).or_else(|| self.products.borrow().list.iter().find(|p| p.barcodes.iter().any(|b| b == code)).cloned())
    }

    /// The reference data's age and currency.
    pub fn info(&self) -> Option<&ReferenceInfo> {
        self.info.as_ref()
    }

    /// The data format of the stored records (`None`: written by format 4 or earlier).
    pub fn format(&self) -> Option<u32> {
        self.format
    }

    /// The outbox entries this tab knows of.
    pub fn outbox(&self) -> &BTreeMap<u64, OutboxEntry> {
        &self.outbox
    }
}
