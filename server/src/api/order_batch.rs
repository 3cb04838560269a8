//! What a push's plain orders read, read once per push instead of once per order, and what they
//! change, written once per row at the end (issue 16).
//!
//! A rep's push is mostly `sales_order.create` mutations with no parents and no counter or
//! delivery part: the server re-prices, re-taxes and re-checks each with the outlet's balance,
//! the van's stock and the outlet's recent orders. Read per order, that was some twenty
//! statements each, and on SQLite every statement is a round trip to sqlx's worker thread.
//!
//! A [`Batch`] loads, in a handful of statements, everything the push's plain orders will read:
//! which of their mutation ids, order ids and document numbers are taken, the device's leases,
//! their outlets (locked on PostgreSQL, in id order, after the feed's lock, as every writer
//! takes them), the catalog and price lists of their SKUs and groups, the user's van stock of
//! those SKUs (locked), and the stored orders the duplicate rule could name (`Probe`). The check
//! ([`super::sales_order::check`]) then reads from it, and applying an order updates it: the
//! balance, the stock, the numbers used, the ids and numbers now taken, the recent orders. So
//! the second order of an outlet sees the first one's balance exactly as it would have read it
//! from the database.
//!
//! The new rows (orders, invoices owed, review items, entry-to-server rows, the mutations' fates)
//! gather in the batch, and the balance and stock rows, the leases' `used_through`, the device's
//! telemetry totals and the feed rows are written once per row: [`Batch::flush`] writes it all
//! with one statement per table, in the push's transaction. Whatever else could read those
//! rows flushes first and forgets the batch ([`Batch::forget`]): a mutation of another kind, an
//! order with parents or a counter or delivery part, the settling of mutations that waited on
//! one of the push's, and the end of the push (the lease top-up). The next plain order loads a
//! fresh batch. Nothing outside the transaction ever sees the difference: it commits whole or
//! not at all.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use satchel_core::money::Dec;
use satchel_core::sales::{effects, CatalogProduct, OutletInfo, PriceList, SalesDocument};
use satchel_core::sync::protocol::{Entity, Mutation, MutationBody};
use satchel_core::validation::{RecentOrder, StockLevel};
use sqlx::AnyConnection;

use super::recent::{stored_recent, Probe, StoredRecent};
use super::sales_order::kind_of;
use crate::db::{insert_vals, placeholders, timestamp, update_rows, Backend, Val};
use crate::errors::AppError;
use crate::feed::{self, Scope};
use crate::metrics::telemetry::{add, Increment};
use crate::sales::{self as store, Lease, Settings};

/// A `sales_order.create` the batch serves: no parents, no counter or delivery part, and no NUL
/// in what the batch looks up (PostgreSQL refuses NUL in a bound text; the general path refuses
/// such a mutation by name before it reads anything).
pub(super) fn plain_order(m: &Mutation) -> Option<&SalesDocument> {
    match &m.body {
        MutationBody::SalesOrderCreate(doc) if m.depends_on.is_empty() && doc.counter.is_none() && doc.delivery.is_none() => {
            let nul = |t: &str| t.contains('\0');
            let clean = !nul(&doc.document_number) && !nul(&doc.order.outlet_id) && !doc.order.lines.iter().any(|l| nul(&l.sku));
            clean.then_some(&**doc)
        }
        _ => None,
    }
}

/// The tables whose new rows a batch gathers and inserts with one statement each
/// ([`insert_vals`]), in this order, when it flushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Table {
    /// The orders (`sales_order::apply`).
    Orders,
    /// What the likely-duplicate rule compares of each (`recent::stored_recent`).
    Recent,
    /// The invoices owed ([`crate::receivables::sale_row`]).
    Receivables,
    /// The supervisor's review queue (a flagged order).
    Review,
    /// Entry to server ([`super::entry_latency::measure`]).
    Latency,
    /// The mutations' fates (`push::write_fate`).
    Mutations,
}

impl Table {
    const ALL: [Table; 6] =
        [Table::Orders, Table::Recent, Table::Receivables, Table::Review, Table::Latency, Table::Mutations];

    /// The table and its columns, as `INSERT INTO` names them.
    pub(super) fn columns(self) -> &'static str {
        match self {
            Table::Orders => {
                "orders (order_id, device_id, seq, mutation_id, username, outlet_id, committed_at, subtotal, tax, total, \
                 line_count, document, received_at, version, document_number, kind, flagged, price_list_id, \
                 tax_breakdown, day_id)"
            }
            Table::Recent => "recent_orders (order_id, outlet_id, kind, committed_at, recent, lines_key)",
            Table::Receivables => crate::receivables::COLUMNS,
            Table::Review => "review_queue (order_id, device_id, username, reasons, status, created_at)",
            Table::Latency => super::entry_latency::COLUMNS,
            Table::Mutations => {
                "mutations (device_id, seq, mutation_id, kind, status, code, reason, field, received_at, \
                 document_number, depends_on, body, parent, settled_at, clock_offset_ms, payload_hash)"
            }
        }
    }

    /// How many values a row holds.
    pub(super) fn width(self) -> usize {
        match self {
            Table::Orders => 20,
            Table::Recent => 6,
            Table::Receivables => crate::receivables::WIDTH,
            Table::Review => 6,
            Table::Latency => super::entry_latency::WIDTH,
            Table::Mutations => 16,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The data of a push's plain orders (see the module's documentation).
#[derive(Default)]
pub(super) struct Batch {
    loaded: bool,
    /// Mutation ids recorded already (before the push, or by it).
    mutation_ids: HashSet<String>,
    /// Order ids stored already.
    order_ids: HashSet<String>,
    /// Document numbers claimed already.
    numbers: HashSet<String>,
    /// This device's leases.
    leases: Vec<Lease>,
    /// Numbers used, by lease (prefix, first number): the highest, written by `flush`.
    used: BTreeMap<(String, u64), u64>,
    /// The outlets, by id: `None` for one without v2 data; absent: no such outlet.
    outlets: HashMap<String, Option<OutletInfo>>,
    products: HashMap<String, CatalogProduct>,
    /// The outlets' groups' price lists, by id, with the prices of the batch's SKUs.
    lists: Vec<PriceList>,
    /// The user's van stock of the batch's SKUs (rows that exist).
    stock: HashMap<String, StockLevel>,
    /// Orders the duplicate rule could name (`Probe`), by outlet, in `committed_at` order: as
    /// read, and the batch's own.
    recent: HashMap<String, Vec<StoredRecent>>,
    /// Balances changed: outlet id → (outstanding as stored, as of, route).
    dirty_outlets: BTreeMap<String, (String, String, String)>,
    /// Outlets whose feed row is due (scope: their route).
    feed_outlets: BTreeMap<String, String>,
    /// Van stock changed: sku → (available as stored, as of).
    dirty_stock: BTreeMap<String, (String, String)>,
    /// New rows, by [`Table`].
    rows: [Vec<Vec<Val>>; 6],
    /// Increments of the device's telemetry totals ([`super::entry_latency::measure`]).
    increments: Vec<(&'static str, String, usize, u64)>,
    /// The pushing device (its leases, its totals).
    device: String,
    /// Whose van `stock` is.
    username: String,
}

impl Batch {
    /// Whether it holds the data of the orders it was loaded for.
    pub(super) fn loaded(&self) -> bool {
        self.loaded
    }

    /// Loads what the plain orders among `mutations` read. `device` and `username` are the
    /// pushing device's and its user's.
    pub(super) async fn load(
        &mut self,
        conn: &mut AnyConnection,
        backend: Backend,
        settings: &Settings,
        device: &str,
        username: &str,
        mutations: &[Mutation],
    ) -> Result<(), AppError> {
        *self = Batch::default();
        let docs: Vec<&SalesDocument> = mutations.iter().filter_map(plain_order).collect();
        self.loaded = true;
        self.device = device.to_string();
        self.username = username.to_string();
        if docs.is_empty() {
            return Ok(());
        }
        // The feed's lock before the outlets' and the van's rows (see `feed::lock`): shared, so
        // pushes of plain orders run side by side (a push that took it exclusively keeps that).
        feed::lock_shared(conn, backend).await?;

        let ids: Vec<String> = mutations.iter().map(|m| m.id.to_string()).collect();
        self.mutation_ids = taken(conn, "SELECT mutation_id FROM mutations WHERE mutation_id IN", &ids).await?;
        let order_ids: Vec<String> = docs.iter().map(|d| d.order_id.to_string()).collect();
        self.order_ids = taken(conn, "SELECT order_id FROM orders WHERE order_id IN", &order_ids).await?;
        let numbers: Vec<String> = docs.iter().map(|d| d.document_number.clone()).collect();
        self.numbers = taken(conn, "SELECT document_number FROM mutations WHERE document_number IN", &numbers).await?;
        self.leases = store::leases(conn, device).await?;

        let outlet_ids: Vec<&str> = store::distinct(docs.iter().map(|d| d.order.outlet_id.as_str()));
        self.outlets = store::outlets_for_update(conn, backend, &outlet_ids).await?.into_iter().collect();
        let skus = store::distinct(docs.iter().flat_map(|d| d.order.lines.iter().map(|l| l.sku.as_str())));
        self.products = store::products(conn, Some(&skus)).await?.into_iter().map(|p| (p.sku.clone(), p)).collect();
        let groups: Vec<String> = self
            .outlets
            .values()
            .flatten()
            .map(|o| o.group.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        self.lists = store::price_lists(conn, Some(&groups), Some(&skus)).await?;
        self.stock = store::van_stock(conn, backend, username, Some(&skus), true).await?.into_iter().collect();

        // What the duplicate rule could name for any of the batch's orders (`Probe`).
        let probes: Vec<Probe> = docs.iter().filter_map(|d| Probe::of(settings, d)).collect();
        for r in stored_recent(conn, &probes).await? {
            self.recent.entry(r.outlet_id.clone()).or_default().push(r);
        }
        Ok(())
    }

    /// Whether `m`'s id was recorded already (it then takes the general path, which answers it
    /// as a duplicate).
    pub(super) fn mutation_seen(&self, m: &Mutation) -> bool {
        self.mutation_ids.contains(&m.id.to_string())
    }

    /// The outlet as the check reads it (its balance as this push left it).
    pub(super) fn outlet(&self, id: &str) -> Option<OutletInfo> {
        self.outlets.get(id).cloned().flatten()
    }

    pub(super) fn order_exists(&self, order_id: &str) -> bool {
        self.order_ids.contains(order_id)
    }

    pub(super) fn leases(&self) -> &[Lease] {
        &self.leases
    }

    /// Marks `n` of `prefix` used (written by [`Batch::flush`]).
    pub(super) fn mark_used(&mut self, prefix: &str, n: u64) {
        for l in &self.leases {
            if l.range.prefix == prefix && l.range.contains(n) {
                let used = self.used.entry((prefix.to_string(), l.range.first)).or_insert(n);
                *used = (*used).max(n);
            }
        }
    }

    pub(super) fn number_claimed(&self, number: &str) -> bool {
        self.numbers.contains(number)
    }

    /// The catalog entries of `skus` (sorted), as [`store::products`] reads them.
    pub(super) fn products(&self, skus: &[&str]) -> Vec<CatalogProduct> {
        skus.iter().filter_map(|s| self.products.get(*s).cloned()).collect()
    }

    /// The price lists of `group` with the prices of `skus`, as [`store::price_lists`] reads them.
    pub(super) fn price_lists(&self, group: &str, skus: &[&str]) -> Vec<PriceList> {
        self.lists
            .iter()
            .filter(|l| l.outlet_group == group)
            // Built field by field: cloning the list whole would copy every price it has, for
            // each order, only to drop them (and the filter looked each price up in `skus`).
            .map(|l| PriceList {
                id: l.id.clone(),
                outlet_group: l.outlet_group.clone(),
                valid_from: l.valid_from,
                valid_until: l.valid_until,
                prices_include_tax: l.prices_include_tax,
                prices: skus.iter().filter_map(|s| l.prices.get_key_value(*s)).map(|(s, p)| (s.clone(), *p)).collect(),
            })
            .collect()
    }

    /// The van stock of `skus`, as [`store::van_stock`] reads it.
    pub(super) fn stock(&self, skus: &[&str]) -> BTreeMap<String, StockLevel> {
        skus.iter().filter_map(|s| self.stock.get(*s).map(|l| (s.to_string(), *l))).collect()
    }

    /// What the duplicate rule could name for `doc`, as the check reads it from the database
    /// ([`Probe`]), and the batch's orders before it.
    pub(super) fn recent_orders(&self, settings: &Settings, doc: &SalesDocument) -> Vec<RecentOrder> {
        let Some(probe) = Probe::of(settings, doc) else {
            return Vec::new();
        };
        self.recent
            .get(&doc.order.outlet_id)
            .into_iter()
            .flatten()
            .filter(|r| probe.could_name(r))
            .filter_map(|r| r.order.clone())
            .collect()
    }

    /// The outlet's new balance after an order (`outstanding` and `at` as stored).
    pub(super) fn set_outstanding(&mut self, outlet: &str, route: &str, outstanding: String, at: &str) -> Result<(), AppError> {
        if let Some(Some(o)) = self.outlets.get_mut(outlet) {
            if let Some(credit) = &mut o.credit {
                credit.outstanding = crate::api::reference::stored_dec(&outstanding, "outstanding")?;
                credit.as_of = store::stored_time(at, "credit_as_of")?;
            }
        }
        self.dirty_outlets.insert(outlet.to_string(), (outstanding, at.to_string(), route.to_string()));
        Ok(())
    }

    /// The outlet's feed row is due.
    pub(super) fn outlet_changed(&mut self, outlet: &str, route: &str) {
        self.feed_outlets.insert(outlet.to_string(), route.to_string());
    }

    /// The van's new level of `sku` after an order (as stored).
    pub(super) fn set_stock(&mut self, sku: &str, available: Dec, at: &str) -> Result<(), AppError> {
        let stored = available.to_string();
        self.stock.insert(
            sku.to_string(),
            StockLevel {
                available: crate::api::reference::stored_dec(&stored, "available")?,
                as_of: store::stored_time(at, "as_of")?,
            },
        );
        self.dirty_stock.insert(sku.to_string(), (stored, at.to_string()));
        Ok(())
    }

    /// An order was stored: its id is taken, and it counts for the duplicate rule.
    pub(super) fn order_stored(&mut self, doc: &SalesDocument) {
        self.order_ids.insert(doc.order_id.to_string());
        let committed_at = timestamp(doc.committed_at);
        let order = effects::duplicate_rule_applies(doc).then(|| effects::recent_order(doc));
        let lines_key = order.as_ref().map(effects::duplicate_key).unwrap_or_default();
        let list = self.recent.entry(doc.order.outlet_id.clone()).or_default();
        // After every order committed at the same time or before (the database's order).
        let at = list.partition_point(|r| r.committed_at <= committed_at);
        let stored = StoredRecent { outlet_id: doc.order.outlet_id.clone(), kind: kind_of(doc), committed_at, lines_key, order };
        list.insert(at, stored);
    }

    /// A mutation was recorded, with the document number it claimed, if any.
    pub(super) fn mutation_recorded(&mut self, m: &Mutation, number: Option<&str>) {
        self.mutation_ids.insert(m.id.to_string());
        if let Some(n) = number {
            self.numbers.insert(n.to_string());
        }
    }

    /// Where new rows of `table` gather until the flush.
    pub(super) fn rows(&mut self, table: Table) -> &mut Vec<Vec<Val>> {
        &mut self.rows[table.index()]
    }

    /// An applied order's entry-to-server row and totals.
    pub(super) fn measured(&mut self, (row, increments): (Vec<Val>, [Increment<'_>; 4])) {
        self.rows(Table::Latency).push(row);
        self.increments.extend(increments.iter().map(|(s, route, bucket, by)| (*s, route.to_string(), *bucket, *by)));
    }

    /// Writes what the batch gathered: the new rows of each [`Table`] (one statement each), each
    /// balance and stock row once, the leases' numbers used, the device's totals, and the feed
    /// rows of the outlets and van stock it changed. Keeps what it read.
    pub(super) async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), AppError> {
        for table in Table::ALL {
            let rows = std::mem::take(&mut self.rows[table.index()]);
            insert_vals(conn, table.columns(), table.width(), &rows).await?;
        }
        let increments = std::mem::take(&mut self.increments);
        if !increments.is_empty() {
            let borrowed: Vec<Increment<'_>> =
                increments.iter().map(|(s, route, bucket, by)| (*s, route.as_str(), *bucket, *by)).collect();
            add(conn, &self.device, &borrowed).await?;
        }
        let outlets: Vec<Vec<Val>> = std::mem::take(&mut self.dirty_outlets)
            .into_iter()
            .map(|(id, (outstanding, at, _route))| vec![id.into(), outstanding.into(), at.into()])
            .collect();
        if !outlets.is_empty() {
            update_rows(conn, "outlets", &["id"], &["outstanding", "credit_as_of"], &outlets).await?;
        }
        let feed_outlets = std::mem::take(&mut self.feed_outlets);
        if !feed_outlets.is_empty() {
            let items: Vec<(String, Scope<'_>)> =
                feed_outlets.iter().map(|(id, route)| (id.clone(), Scope::Route(route.as_str()))).collect();
            feed::record_many(conn, Entity::Outlet, &items).await?;
        }
        let dirty_stock = std::mem::take(&mut self.dirty_stock);
        let stock: Vec<Vec<Val>> = dirty_stock
            .iter()
            .map(|(sku, (available, at))| {
                vec![self.username.as_str().into(), sku.as_str().into(), available.as_str().into(), at.as_str().into()]
            })
            .collect();
        if !stock.is_empty() {
            update_rows(conn, "van_stock", &["username", "sku"], &["available", "as_of"], &stock).await?;
        }
        if !dirty_stock.is_empty() {
            let items: Vec<(String, Scope<'_>)> = dirty_stock
                .keys()
                .map(|sku| (format!("{}/{sku}", self.username), Scope::User(self.username.as_str())))
                .collect();
            feed::record_many(conn, Entity::VanStock, &items).await?;
        }
        // The highest number used of each lease (the statement raises `used_through` only).
        for ((prefix, _first), n) in std::mem::take(&mut self.used) {
            store::mark_used(conn, &self.device, &prefix, n).await?;
        }
        Ok(())
    }

    /// Flushes, then drops everything read: the next plain order loads afresh.
    pub(super) async fn forget(&mut self, conn: &mut AnyConnection) -> Result<(), AppError> {
        if self.loaded {
            self.flush(conn).await?;
        }
        *self = Batch::default();
        Ok(())
    }
}

/// Which of `values` the query `sql … IN (…)` finds (its one column).
async fn taken(conn: &mut AnyConnection, sql: &str, values: &[String]) -> Result<HashSet<String>, AppError> {
    if values.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!("{sql} ({})", placeholders(1, values.len()));
    let mut q = sqlx::query_as(&sql);
    for v in values {
        q = q.bind(v.as_str());
    }
    let rows: Vec<(String,)> = q.fetch_all(&mut *conn).await?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}
