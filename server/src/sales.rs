//! The sales data of orders v2 as the server stores it, read into core's shapes
//! ([`CatalogProduct`], [`PriceList`], [`OutletInfo`], [`SalesSettings`], van stock), and the
//! leasing of document numbers.
//!
//! The same readers serve the reference data (`GET /api/v1/reference`, the device's copy) and
//! the push (`sales_order.create`, the server's authoritative recomputation), so both see one
//! truth.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use satchel_core::money::Dec;
use satchel_core::sales::{CatalogProduct, CreditInfo, NumberRange, OutletInfo, PriceList, SalesSettings};
use satchel_core::tax::builtin;
use satchel_core::tax::model::RuleSet;
use satchel_core::validation::StockLevel;
use sqlx::AnyConnection;

use crate::api::reference::stored_dec;
use crate::db::{placeholders, timestamp, Backend};
use crate::errors::AppError;

/// How many numbers one lease holds.
pub const LEASE_SIZE: u64 = 1000;

/// The lease size in force: [`LEASE_SIZE`], or `SATCHEL_NUMBER_LEASE_SIZE` (10 to 1,000,000;
/// benchmarks that queue many orders offline raise it). Read once.
pub fn lease_size() -> u64 {
    static SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        std::env::var("SATCHEL_NUMBER_LEASE_SIZE")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| (10..=1_000_000).contains(n))
            .unwrap_or(LEASE_SIZE)
    })
}
/// A device whose every range has fewer unused numbers than this gets a new lease on push.
pub const LOW_WATER: u64 = 200;

/// The deployment's sales settings and its document-number prefix.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What devices get in the reference data.
    pub sales: SalesSettings,
    /// The prefix of document numbers, e.g. `SO-`.
    pub number_prefix: String,
}

/// The settings row: rule set, currency, origin, policy, number prefix, counter and delivery
/// settings.
type SettingsRow = (String, String, Option<String>, String, String, Option<String>, Option<String>);

/// The settings row; `None` when the deployment has none (then no v2 orders and no leases).
pub async fn settings(conn: &mut AnyConnection) -> Result<Option<Settings>, AppError> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT rule_set, currency, origin, policy, number_prefix, counter, delivery FROM settings WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((rule_set, currency, origin, policy, number_prefix, counter, delivery)) = row else {
        return Ok(None);
    };
    let policy = serde_json::from_str(&policy)
        .map_err(|e| AppError::Internal(format!("stored validation policy: {e}")))?;
    let counter = counter.map(|c| json(&c, "counter settings")).transpose()?;
    let delivery = delivery.map(|d| json(&d, "delivery settings")).transpose()?;
    Ok(Some(Settings { sales: SalesSettings { rule_set, currency, origin, policy, counter, delivery }, number_prefix }))
}

/// The decimal places of the deployment's currency (2 for CAD): what amounts of a delivery day
/// may carry.
pub fn currency_places(settings: &Settings) -> Result<u32, AppError> {
    let rules = rule_set(&settings.sales.rule_set)?;
    Ok(satchel_core::tax::rounding::places(rules.currency.step.value()))
}

/// A built-in rule set by id, parsed once per process.
pub fn rule_set(id: &str) -> Result<Arc<RuleSet>, AppError> {
    static CACHE: OnceLock<Mutex<BTreeMap<String, Arc<RuleSet>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = map.get(id) {
        return Ok(r.clone());
    }
    let rules = Arc::new(
        builtin::rule_set(id).ok_or_else(|| AppError::Internal(format!("the settings name rule set {id:?}, which this server does not have")))?,
    );
    map.insert(id.to_string(), rules.clone());
    Ok(rules)
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

pub(crate) fn stored_time(text: &str, what: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

fn stored_date(text: &str, what: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

fn opt_dec(text: Option<String>, what: &str) -> Result<Option<Dec>, AppError> {
    text.map(|t| stored_dec(&t, what)).transpose()
}

type ProductRow = (String, String, String, i64, Option<String>, Option<String>, String, String, String);

/// The catalog, by SKU; only `skus` when given.
pub async fn products(conn: &mut AnyConnection, skus: Option<&[&str]>) -> Result<Vec<CatalogProduct>, AppError> {
    const COLUMNS: &str = "SELECT sku, name, unit, quantity_places, pack_size, min_order_quantity, barcodes, \
                           tax_class, extra_taxes FROM products";
    let rows: Vec<ProductRow> = match skus {
        None => sqlx::query_as(&format!("{COLUMNS} ORDER BY sku")).fetch_all(&mut *conn).await?,
        Some([]) => Vec::new(),
        Some(skus) => {
            let sql = format!("{COLUMNS} WHERE sku IN ({}) ORDER BY sku", placeholders(1, skus.len()));
            let mut q = sqlx::query_as(&sql);
            for s in skus {
                q = q.bind(*s);
            }
            q.fetch_all(&mut *conn).await?
        }
    };
    rows.into_iter()
        .map(|(sku, name, unit, places, pack, moq, barcodes, tax_class, extra)| {
            Ok(CatalogProduct {
                quantity_places: u32::try_from(places)
                    .map_err(|_| AppError::Internal(format!("stored quantity_places {places}")))?,
                pack_size: opt_dec(pack, "pack_size")?,
                min_order_quantity: opt_dec(moq, "min_order_quantity")?,
                barcodes: json(&barcodes, "barcodes")?,
                tax_class,
                extra_taxes: json(&extra, "extra_taxes")?,
                sku,
                name,
                unit,
            })
        })
        .collect()
}

/// The price lists of `groups` (every list when `None`), by id, with the prices of `skus` only
/// when given.
pub async fn price_lists(
    conn: &mut AnyConnection,
    groups: Option<&[String]>,
    skus: Option<&[&str]>,
) -> Result<Vec<PriceList>, AppError> {
    const COLUMNS: &str = "SELECT id, outlet_group, valid_from, valid_until, prices_include_tax FROM price_lists";
    let rows: Vec<ListRow> = match groups {
        None => sqlx::query_as(&format!("{COLUMNS} ORDER BY id")).fetch_all(&mut *conn).await?,
        Some([]) => Vec::new(),
        Some(groups) => {
            let sql = format!("{COLUMNS} WHERE outlet_group IN ({}) ORDER BY id", placeholders(1, groups.len()));
            let mut q = sqlx::query_as(&sql);
            for g in groups {
                q = q.bind(g.as_str());
            }
            q.fetch_all(&mut *conn).await?
        }
    };
    if rows.is_empty() || skus.is_some_and(|s| s.is_empty()) {
        return rows
            .into_iter()
            .map(|r| list_of(r, BTreeMap::new()))
            .collect();
    }
    with_prices(conn, rows, skus).await
}

/// A price list's row: id, outlet group, valid from, valid until, prices include tax.
type ListRow = (String, String, String, Option<String>, i64);

/// Completes price-list rows with their prices (of `skus` only when given), in one query.
async fn with_prices(conn: &mut AnyConnection, rows: Vec<ListRow>, skus: Option<&[&str]>) -> Result<Vec<PriceList>, AppError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let mut sql = format!(
        "SELECT price_list_id, sku, price FROM price_list_items WHERE price_list_id IN ({})",
        placeholders(1, ids.len())
    );
    if let Some(skus) = skus {
        sql.push_str(&format!(" AND sku IN ({})", placeholders(ids.len() + 1, skus.len())));
    }
    let mut q = sqlx::query_as(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    for s in skus.unwrap_or_default() {
        q = q.bind(*s);
    }
    let items: Vec<(String, String, String)> = q.fetch_all(&mut *conn).await?;
    let mut prices: BTreeMap<String, BTreeMap<String, Dec>> = BTreeMap::new();
    for (list, sku, price) in items {
        let price = stored_dec(&price, "price")?;
        prices.entry(list).or_default().insert(sku, price);
    }
    rows.into_iter()
        .map(|r| {
            let p = prices.remove(&r.0).unwrap_or_default();
            list_of(r, p)
        })
        .collect()
}

/// The price lists with the ids `ids` (those that exist), by id, with all their prices (the
/// pull's batch load).
pub async fn price_lists_by_id(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<PriceList>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let in_list = placeholders(1, ids.len());
    let sql = format!(
        "SELECT id, outlet_group, valid_from, valid_until, prices_include_tax FROM price_lists \
         WHERE id IN ({in_list}) ORDER BY id"
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows: Vec<ListRow> = q.fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    with_prices(conn, rows, None).await
}

fn list_of(
    (id, outlet_group, from, until, incl): ListRow,
    prices: BTreeMap<String, Dec>,
) -> Result<PriceList, AppError> {
    Ok(PriceList {
        valid_from: stored_date(&from, "valid_from")?,
        valid_until: until.map(|u| stored_date(&u, "valid_until")).transpose()?,
        prices_include_tax: incl != 0,
        id,
        outlet_group,
        prices,
    })
}

const OUTLET_COLUMNS: &str = "SELECT id, name, route, address, phone, contact_name, outlet_group, place_of_supply, \
     customer, delivered_to_reserve, credit_limit, outstanding, credit_as_of, version FROM outlets";

type OutletRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

/// An outlet row as core's [`OutletInfo`]; `None` when it has no v2 data (no group or place
/// of supply).
fn outlet_of(row: OutletRow) -> Result<Option<OutletInfo>, AppError> {
    let (id, name, route, address, phone, contact_name, group, place, customer, reserve, limit, outstanding, as_of, version) =
        row;
    let (Some(group), Some(place_of_supply)) = (group, place) else {
        return Ok(None);
    };
    let credit = match (limit, outstanding, as_of) {
        (Some(limit), outstanding, as_of) => Some(CreditInfo {
            limit: stored_dec(&limit, "credit_limit")?,
            outstanding: opt_dec(outstanding, "outstanding")?.unwrap_or_default(),
            as_of: match as_of {
                Some(t) => stored_time(&t, "credit_as_of")?,
                None => DateTime::<Utc>::UNIX_EPOCH,
            },
        }),
        (None, _, _) => None,
    };
    Ok(Some(OutletInfo {
        customer: json(&customer, "customer")?,
        delivered_to_reserve: reserve != 0,
        id,
        name,
        route,
        address,
        phone,
        contact_name,
        group,
        place_of_supply,
        credit,
        version: u64_of(version, "outlet version")?,
        invoices: Vec::new(),
        visit_notes: Vec::new(),
    }))
}

/// The outlets with v2 data on `routes` (every route when `None`), by id, with their invoices
/// and visit notes ([`crate::receivables::attach`]).
pub async fn outlets(conn: &mut AnyConnection, routes: Option<&[String]>) -> Result<Vec<OutletInfo>, AppError> {
    let rows: Vec<OutletRow> = sqlx::query_as(&format!("{OUTLET_COLUMNS} ORDER BY id")).fetch_all(&mut *conn).await?;
    let mut out = Vec::new();
    for row in rows {
        if routes.is_some_and(|rs| !rs.contains(&row.2)) {
            continue;
        }
        if let Some(o) = outlet_of(row)? {
            out.push(o);
        }
    }
    crate::receivables::attach(conn, &mut out, Utc::now()).await?;
    Ok(out)
}

/// The outlets with the ids `ids`, by id: `Some` with its v2 data (and its invoices and visit
/// notes), `None` for one that exists without v2 data; absent ids are left out (the pull's batch
/// load).
pub async fn outlets_by_id(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> Result<BTreeMap<String, Option<OutletInfo>>, AppError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let sql = format!("{OUTLET_COLUMNS} WHERE id IN ({})", placeholders(1, ids.len()));
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows: Vec<OutletRow> = q.fetch_all(&mut *conn).await?;
    let mut found: BTreeMap<String, Option<OutletInfo>> = rows
        .into_iter()
        .map(|row| {
            let id = row.0.clone();
            outlet_of(row).map(|o| (id, o))
        })
        .collect::<Result<_, AppError>>()?;
    let mut v2: Vec<OutletInfo> = found.values_mut().filter_map(Option::take).collect();
    crate::receivables::attach(conn, &mut v2, Utc::now()).await?;
    for o in v2 {
        found.insert(o.id.clone(), Some(o));
    }
    Ok(found)
}

/// One outlet with its v2 data, locked for this transaction on PostgreSQL (SQLite's push already
/// holds the write lock): its balance is read, checked and updated by the push. `None` when
/// there is no such outlet or it has no v2 data.
pub async fn outlet_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
) -> Result<Option<OutletInfo>, AppError> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<OutletRow> = sqlx::query_as(&format!("{OUTLET_COLUMNS} WHERE id = $1{lock}"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(outlet_of).transpose().map(Option::flatten)
}

/// A user's van stock, by SKU; only `skus` when given (locked on PostgreSQL when `lock`).
pub async fn van_stock(
    conn: &mut AnyConnection,
    backend: Backend,
    username: &str,
    skus: Option<&[&str]>,
    lock: bool,
) -> Result<BTreeMap<String, StockLevel>, AppError> {
    let mut sql = "SELECT sku, available, as_of FROM van_stock WHERE username = $1".to_string();
    if let Some(skus) = skus {
        if skus.is_empty() {
            return Ok(BTreeMap::new());
        }
        sql.push_str(&format!(" AND sku IN ({})", placeholders(2, skus.len())));
    }
    sql.push_str(" ORDER BY sku");
    if lock && backend == Backend::Postgres {
        sql.push_str(" FOR UPDATE");
    }
    let mut q = sqlx::query_as(&sql).bind(username);
    for s in skus.unwrap_or_default() {
        q = q.bind(*s);
    }
    let rows: Vec<(String, String, String)> = q.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|(sku, available, as_of)| {
            Ok((
                sku,
                StockLevel { available: stored_dec(&available, "available")?, as_of: stored_time(&as_of, "as_of")? },
            ))
        })
        .collect()
}

/// The outlets with the ids `ids` (sorted), locked for this transaction on PostgreSQL in id
/// order, as [`outlet_for_update`] reads one: `Some` with its v2 data, `None` for one without;
/// absent ids are left out. No invoices or visit notes (the push's check needs none).
pub async fn outlets_for_update(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[&str],
) -> Result<BTreeMap<String, Option<OutletInfo>>, AppError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let sql = format!("{OUTLET_COLUMNS} WHERE id IN ({}) ORDER BY id{lock}", placeholders(1, ids.len()));
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows: Vec<OutletRow> = q.fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|row| {
            let id = row.0.clone();
            outlet_of(row).map(|o| (id, o))
        })
        .collect()
}

/// A leased range as stored, with what the device has used of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The range.
    pub range: NumberRange,
    /// The highest number of it the device has sent, if any.
    pub used_through: Option<u64>,
}

impl Lease {
    /// How many numbers the device has left in it (it takes them in order).
    pub fn unused(&self) -> u64 {
        match self.used_through {
            Some(u) => self.range.last.saturating_sub(u),
            None => self.range.len(),
        }
    }
}

fn u64_of(n: i64, what: &str) -> Result<u64, AppError> {
    u64::try_from(n).map_err(|_| AppError::Internal(format!("stored {what} {n}")))
}

fn i64_of(n: u64) -> Result<i64, AppError> {
    i64::try_from(n).map_err(|_| AppError::Internal(format!("number {n} out of range")))
}

/// The ranges leased to a device, oldest first.
pub async fn leases(conn: &mut AnyConnection, device_id: &str) -> Result<Vec<Lease>, AppError> {
    let rows: Vec<(String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT prefix, first_number, last_number, used_through FROM number_ranges \
         WHERE device_id = $1 ORDER BY first_number",
    )
    .bind(device_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(prefix, first, last, used)| {
            Ok(Lease {
                range: NumberRange { prefix, first: u64_of(first, "first_number")?, last: u64_of(last, "last_number")? },
                used_through: used.map(|u| u64_of(u, "used_through")).transpose()?,
            })
        })
        .collect()
}

/// Which counter a lease takes its numbers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter<'a> {
    /// The deployment-wide counter of document numbers (`number_counter`).
    Documents,
    /// The receipt counter of one register (`receipt_counters`, created at first use), so one
    /// register's leases are contiguous.
    Receipts(&'a str),
}

/// Leases the next [`lease_size()`] numbers of `counter` to a device under `prefix`, in the
/// caller's transaction: the counter's row is updated first (on PostgreSQL its lock serializes
/// leases until the transaction ends), then the range is recorded.
pub async fn lease(
    conn: &mut AnyConnection,
    device_id: &str,
    counter: Counter<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<NumberRange, AppError> {
    let size = i64_of(lease_size())?;
    let (next,): (i64,) = match counter {
        Counter::Documents => {
            sqlx::query_as("UPDATE number_counter SET next_number = next_number + $1 WHERE id = 1 RETURNING next_number")
                .bind(size)
                .fetch_one(&mut *conn)
                .await?
        }
        Counter::Receipts(register) => {
            // A register's receipts are numbered from 1.
            sqlx::query("INSERT INTO receipt_counters (register, next_number) VALUES ($1, 1) ON CONFLICT (register) DO NOTHING")
                .bind(register)
                .execute(&mut *conn)
                .await?;
            sqlx::query_as("UPDATE receipt_counters SET next_number = next_number + $1 WHERE register = $2 RETURNING next_number")
                .bind(size)
                .bind(register)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    let last = u64_of(next, "next_number")?
        .checked_sub(1)
        .ok_or_else(|| AppError::Internal("number counter underflow".into()))?;
    let range = NumberRange { prefix: prefix.to_string(), first: last + 1 - lease_size(), last };
    sqlx::query(
        "INSERT INTO number_ranges (device_id, prefix, first_number, last_number, used_through, leased_at) \
         VALUES ($1, $2, $3, $4, NULL, $5)",
    )
    .bind(device_id)
    .bind(prefix)
    .bind(i64_of(range.first)?)
    .bind(i64_of(range.last)?)
    .bind(timestamp(now))
    .execute(&mut *conn)
    .await?;
    Ok(range)
}

/// Leases a new range of `prefix` when no range of the device with that prefix has
/// [`LOW_WATER`] numbers left (by what it has sent so far), or when the device itself says it
/// has fewer than that left (`numbers_left`): an answer carrying a lease can be lost, and the
/// server cannot tell. A retried push of a device that did get its lease finds enough numbers
/// and leases nothing; one that did not gets another range (the lost one is abandoned: a gap
/// the numbering policy allows for document numbers; a register's receipt numbers skip it too,
/// since the device never saw it).
pub async fn top_up(
    conn: &mut AnyConnection,
    device_id: &str,
    counter: Counter<'_>,
    prefix: &str,
    numbers_left: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Option<NumberRange>, AppError> {
    let held = leases(conn, device_id).await?;
    // A fifth of the lease at most: a small configured lease must not be re-leased on every push.
    let low_water = LOW_WATER.min(lease_size() / 5);
    let device_is_low = numbers_left.is_some_and(|n| n < low_water);
    let server_sees_enough = held.iter().any(|l| l.range.prefix == prefix && l.unused() >= low_water);
    if server_sees_enough && !device_is_low {
        return Ok(None);
    }
    if server_sees_enough {
        // The device says it is low although the server leased it numbers it never used: an
        // answer was lost, or a client asks again and again. Believed up to
        // [`MAX_UNTOUCHED_LEASES`] untouched ranges a day, so repeated claims cannot burn the
        // numbering (50 pushes saying `numbers_left: 0` once took 50 ranges).
        let since = timestamp(now - chrono::Duration::hours(24));
        let (untouched,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM number_ranges WHERE device_id = $1 AND prefix = $2 AND used_through IS NULL AND leased_at > $3",
        )
        .bind(device_id)
        .bind(prefix)
        .bind(&since)
        .fetch_one(&mut *conn)
        .await?;
        if untouched >= MAX_UNTOUCHED_LEASES {
            tracing::warn!(device = device_id, prefix, untouched, "a new lease refused: the device's recent ranges are untouched");
            return Ok(None);
        }
    }
    lease(conn, device_id, counter, prefix, now).await.map(Some)
}

/// Untouched ranges (not one number used) a device may hold from the last 24 hours before a
/// claim of running low stops getting it another.
pub const MAX_UNTOUCHED_LEASES: i64 = 3;

/// Records that a device sent number `n` of one of its ranges of `prefix` (keeps the highest).
pub async fn mark_used(conn: &mut AnyConnection, device_id: &str, prefix: &str, n: u64) -> Result<(), AppError> {
    let n = i64_of(n)?;
    sqlx::query(
        "UPDATE number_ranges SET used_through = $1 WHERE device_id = $2 AND prefix = $3 AND first_number <= $1 \
         AND last_number >= $1 AND (used_through IS NULL OR used_through < $1)",
    )
    .bind(n)
    .bind(device_id)
    .bind(prefix)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The register a user sells at, if any (`user_registers`).
pub async fn register_of(conn: &mut AnyConnection, username: &str) -> Result<Option<String>, AppError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT register FROM user_registers WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(r,)| r))
}

/// The distinct SKUs of some lines, sorted.
pub fn distinct<'a>(skus: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    skus.collect::<BTreeSet<_>>().into_iter().collect()
}
