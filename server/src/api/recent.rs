//! What the likely-duplicate rule reads back of the orders already stored (issue 16).
//!
//! The rule (core's `validation::rules::duplicate`) names, for an order, the order of the same
//! outlet and kind with the same lines closest to it in time, at most the policy's window away
//! on either side. Each v2 order has a `recent_orders` row (migration 0013): what the rule
//! compares (core's `RecentOrder`, as JSON) and the key of its lines (core's `duplicate_key`,
//! migration 0015). A push reads, per order, the nearest row with its key on each side
//! ([`Probe`], [`stored_recent`]): two rows, however many orders the outlet took with the
//! same lines.
//!
//! Orders stored before those migrations get their row and key when the server opens the
//! database ([`backfill`]), so a push never reads documents or keyless rows.

use std::collections::HashSet;

use satchel_core::sales::{effects, SalesDocument};
use satchel_core::validation::RecentOrder;
use sqlx::AnyConnection;

use super::order_batch::Table;
use super::sales_order::kind_of;
use crate::db::{insert_vals_once, timestamp, update_rows, Val};
use crate::errors::AppError;
use crate::sales::Settings;

/// A v2 order as the likely-duplicate rule reads it back.
#[derive(Debug, Clone)]
pub(super) struct StoredRecent {
    pub outlet_id: String,
    /// `sale` or `return`.
    pub kind: &'static str,
    /// `committed_at` as stored (text order is time order).
    pub committed_at: String,
    /// Its lines' key ([`effects::duplicate_key`]); `''` for an order the rule does not count.
    pub lines_key: String,
    /// What the rule compares; `None` for an order it does not count (a receipt).
    pub order: Option<RecentOrder>,
}

/// One order the likely-duplicate rule is about to check, as the stored orders it could name
/// are looked up. The rule names the order of the same outlet with the same lines closest in
/// time, at most the window away on either side (ties: the earlier commit, then the smaller id).
/// Only two stored orders can be that one: the nearest with the order's lines key at or before
/// its commit time and the nearest at or after it. So those two are all that is read, however
/// many orders the outlet took with the same lines (reading every one of them grew a push's time
/// along a busy day).
#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub outlet_id: String,
    /// `sale` or `return`: the rule compares orders of the same kind.
    pub kind: &'static str,
    /// [`effects::duplicate_key`] of its lines.
    pub key: String,
    /// Its `committed_at`, and the window's ends, as stored.
    pub at: String,
    pub from: String,
    pub until: String,
}

impl Probe {
    /// `None` for a document the rule does not check (a receipt of the counter).
    pub(super) fn of(settings: &Settings, doc: &SalesDocument) -> Option<Probe> {
        if !effects::duplicate_rule_applies(doc) {
            return None;
        }
        let window = effects::duplicate_window(&settings.sales.policy);
        let at = doc.committed_at;
        Some(Probe {
            outlet_id: doc.order.outlet_id.clone(),
            kind: kind_of(doc),
            key: effects::duplicate_key(&effects::recent_order(doc)),
            at: timestamp(at),
            from: timestamp(at.checked_sub_signed(window).unwrap_or(at)),
            until: timestamp(at.checked_add_signed(window).unwrap_or(at)),
        })
    }

    /// Whether the rule could name `r` for this order: same outlet and kind, inside the window,
    /// and the same lines key (the rule still compares the lines themselves).
    pub(super) fn could_name(&self, r: &StoredRecent) -> bool {
        r.outlet_id == self.outlet_id
            && r.kind == self.kind
            && r.committed_at >= self.from
            && r.committed_at <= self.until
            && r.lines_key == self.key
    }
}

/// The probes' fields, as [`nearest_sql`] reads them from its one bound value.
const FIELDS: [&str; 6] = ["outlet_id", "lines_key", "kind", "window_from", "committed_at", "window_until"];

/// The stored orders nearest each probe on either side (`$1`: the probes as a JSON array of
/// objects with [`FIELDS`]). One statement whatever the number of probes, with one bound value:
/// its text never changes, so each connection prepares it once. (A statement with a subquery
/// pair and six `$N` values per probe cost more to prepare and bind on SQLite than it saved.)
fn nearest_sql(backend: &str) -> String {
    let probes = if backend.eq_ignore_ascii_case("sqlite") {
        let fields: Vec<String> = FIELDS.iter().map(|f| format!("json_extract(value, '$.{f}') AS {f}")).collect();
        format!("SELECT {} FROM json_each($1)", fields.join(", "))
    } else {
        let fields: Vec<String> = FIELDS.iter().map(|f| format!("{f} text")).collect();
        format!("SELECT * FROM jsonb_to_recordset($1::jsonb) AS t({})", fields.join(", "))
    };
    let nearest = |range: &str, order: &str| {
        format!(
            "SELECT (SELECT x.order_id FROM recent_orders x WHERE x.outlet_id = p.outlet_id AND x.lines_key = p.lines_key \
             AND x.kind = p.kind AND {range} ORDER BY {order}, x.order_id LIMIT 1) FROM p"
        )
    };
    format!(
        "WITH p AS ({probes}) \
         SELECT r.outlet_id, r.kind, r.committed_at, r.lines_key, r.recent FROM recent_orders r \
         WHERE r.order_id IN ({} UNION ALL {})",
        nearest("x.committed_at >= p.window_from AND x.committed_at <= p.committed_at", "x.committed_at DESC"),
        nearest("x.committed_at >= p.committed_at AND x.committed_at <= p.window_until", "x.committed_at")
    )
}

/// What the likely-duplicate rule could name for each of `probes` ([`Probe`]), in
/// `committed_at` order: of the stored orders with its outlet, kind and lines key, the nearest
/// at or before and the nearest at or after its time, inside its window. One statement.
pub(super) async fn stored_recent(conn: &mut AnyConnection, probes: &[Probe]) -> Result<Vec<StoredRecent>, AppError> {
    if probes.is_empty() {
        return Ok(Vec::new());
    }
    let listed: Vec<serde_json::Value> = probes
        .iter()
        .map(|p| {
            let values = [&p.outlet_id, &p.key, p.kind, &p.from, &p.at, &p.until];
            FIELDS.iter().zip(values).map(|(f, v)| ((*f).to_string(), serde_json::Value::from(v))).collect()
        })
        .collect();
    let listed = serde_json::to_string(&listed).map_err(|e| AppError::Internal(format!("serialize probes: {e}")))?;
    let rows = sqlx::query_as::<_, (String, String, String, Option<String>, Option<String>)>(&nearest_sql(conn.backend_name()))
        .bind(listed)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (outlet_id, kind, committed_at, lines_key, text) in rows {
        let order = text
            .map(|t| serde_json::from_str::<RecentOrder>(&t))
            .transpose()
            .map_err(|e| AppError::Internal(format!("stored recent order: {e}")))?;
        out.push(StoredRecent { outlet_id, kind: stored_kind(&kind), committed_at, lines_key: lines_key.unwrap_or_default(), order });
    }
    out.sort_by(|a, b| a.committed_at.cmp(&b.committed_at));
    Ok(out)
}

/// What an order's `recent_orders` row holds of it: core's `RecentOrder` as JSON and its lines
/// key, or NULL and `''` for an order the rule does not count (`order` `None`: a receipt).
/// Written with each order (`sales_order::apply`) and by [`backfill`].
pub(super) fn remembered(order: Option<&RecentOrder>) -> Result<(Option<String>, String), serde_json::Error> {
    match order {
        Some(o) => Ok((Some(serde_json::to_string(o)?), effects::duplicate_key(o))),
        None => Ok((None, String::new())),
    }
}

/// `orders.kind` / `recent_orders.kind` as stored.
fn stored_kind(kind: &str) -> &'static str {
    if kind == "sale" {
        "sale"
    } else {
        "return"
    }
}

/// Rows read and written per statement by [`backfill`].
const BACKFILL_PAGE: i64 = 500;

/// What [`backfill`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Backfilled {
    /// Orders given their `recent_orders` row.
    pub rows: usize,
    /// Rows given their lines key.
    pub keys: usize,
    /// Documents that could not be read (left without a row; logged).
    pub unreadable: usize,
}

/// The name [`backfill`] records in `backfills` (migration 0016) once every order has its row.
const BACKFILL: &str = "recent_orders";

/// Run when the server opens the database, after the migrations:
/// - once per database (then recorded in `backfills`), gives every v2 order stored before
///   migration 0013 its `recent_orders` row, from its document through core's
///   `effects::stored_recent_order`;
/// - every time, gives every row without a lines key its key: rows written before 0015, or by
///   such a version while instances were upgraded one by one (found through the partial index
///   `recent_orders_unkeyed`, so this costs nothing once they have it).
///
/// Instances starting together may both run it: every write is idempotent. A document or row
/// that cannot be read is left as it is and logged (ids only): the rule then cannot name that
/// order, and nothing else changes.
pub async fn backfill(conn: &mut AnyConnection) -> Result<Backfilled, sqlx::Error> {
    let (done,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM backfills WHERE name = $1").bind(BACKFILL).fetch_one(&mut *conn).await?;
    let mut did = Backfilled::default();
    let mut unreadable: HashSet<String> = HashSet::new();
    if done == 0 {
        let mut after = String::new();
        loop {
            let page: Vec<(String, String, String, String, String)> = sqlx::query_as(
                "SELECT o.order_id, o.outlet_id, o.kind, o.committed_at, o.document FROM orders o \
                 WHERE o.version = 2 AND o.order_id > $1 \
                 AND NOT EXISTS (SELECT 1 FROM recent_orders r WHERE r.order_id = o.order_id) \
                 ORDER BY o.order_id LIMIT $2",
            )
            .bind(after.as_str())
            .bind(BACKFILL_PAGE)
            .fetch_all(&mut *conn)
            .await?;
            let Some(last) = page.last() else { break };
            after = last.0.clone();
            let mut rows: Vec<Vec<Val>> = Vec::with_capacity(page.len());
            for (order_id, outlet_id, kind, committed_at, document) in page {
                let Ok((recent, key)) = effects::stored_recent_order(&document).and_then(|o| remembered(o.as_ref())) else {
                    unreadable.insert(order_id);
                    continue;
                };
                rows.push(vec![
                    order_id.into(),
                    outlet_id.into(),
                    kind.into(),
                    committed_at.into(),
                    recent.into(),
                    key.into(),
                ]);
            }
            did.rows += rows.len();
            insert_vals_once(conn, Table::Recent.columns(), "order_id", Table::Recent.width(), &rows).await?;
        }
    }
    let mut after = String::new();
    loop {
        let page: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT order_id, recent FROM recent_orders WHERE lines_key IS NULL AND order_id > $1 ORDER BY order_id LIMIT $2",
        )
        .bind(after.as_str())
        .bind(BACKFILL_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        let mut rows: Vec<Vec<Val>> = Vec::with_capacity(page.len());
        for (order_id, recent) in page {
            let key = match recent.map(|t| serde_json::from_str::<RecentOrder>(&t)).transpose() {
                Ok(order) => order.as_ref().map(effects::duplicate_key).unwrap_or_default(),
                Err(_) => {
                    unreadable.insert(order_id);
                    continue;
                }
            };
            rows.push(vec![order_id.into(), key.into()]);
        }
        did.keys += rows.len();
        update_rows(conn, "recent_orders", &["order_id"], &["lines_key"], &rows).await?;
    }
    did.unreadable = unreadable.len();
    if did.unreadable > 0 {
        // Their ids only: a document's content is the customer's.
        let ids: Vec<&str> = unreadable.iter().map(String::as_str).take(10).collect();
        tracing::warn!(count = did.unreadable, first = ?ids, "orders whose stored document could not be read for the likely-duplicate rule; the rule will not name them");
    }
    if did.rows > 0 || did.keys > 0 {
        tracing::info!(rows = did.rows, keys = did.keys, "remembered earlier orders for the likely-duplicate rule");
    }
    if done == 0 {
        sqlx::query("INSERT INTO backfills (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(BACKFILL)
            .bind(timestamp(chrono::Utc::now()))
            .execute(&mut *conn)
            .await?;
    }
    Ok(did)
}
