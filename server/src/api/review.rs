//! The supervisor's review queue: v2 orders the server applied and flagged (a `warn_and_flag`
//! finding under its own data, e.g. over the credit limit).
//!
//! - `GET /api/v1/review?status=open|approved|rejected|all` (default `open`): the items, oldest
//!   first, each with the order's lines as the stored document holds them (so the supervisor
//!   decides on what was ordered, not on a total alone).
//! - `POST /api/v1/review/{order_id}/resolve` with `{"decision": "approve"|"reject",
//!   "note": "…"}`: `200` with the updated item; `404 not_found` for an order that is not in the
//!   queue; `409 already_resolved` when it was resolved before.
//!
//! Both need the full token of a supervisor's device: a rep gets `403 forbidden`. Resolving
//! records the decision; the order stands either way (what a rejection means for delivery and
//! invoicing is the ERP's business).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::Utc;
use satchel_core::money::Dec;
use satchel_core::sales::{rule_code, SalesDocument};
use satchel_core::sync::protocol::FlagReason;
use satchel_core::tax::verify::ClaimedTax;
use satchel_core::validation::Finding;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use super::JsonBody;
use crate::auth::AuthDevice;
use crate::db::timestamp;
use crate::errors::AppError;
use crate::AppState;

/// Longest note kept (longer notes are cut).
pub const MAX_NOTE_CHARS: usize = 1000;

/// One flagged order in the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ReviewItem {
    /// The order.
    pub order_id: String,
    /// Its document number.
    pub document_number: Option<String>,
    /// `sale` or `return`.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "OrderKind"))]
    pub kind: String,
    /// The outlet.
    pub outlet_id: String,
    /// The outlet's name.
    pub outlet_name: String,
    /// The rep (from the device's registration).
    pub username: String,
    /// The device that pushed it.
    pub device_id: String,
    /// The order's total (amount due), as the server recomputed it.
    pub total: String,
    /// What was ordered, in document order.
    pub lines: Vec<ReviewLine>,
    /// When the rep committed it (device clock).
    pub committed_at: String,
    /// Why it was flagged: one per finding, `rule` as in the push's `flagged` outcome.
    pub reasons: Vec<FlagReason>,
    /// The findings in full (field, details, the age of the data relied on).
    pub findings: Vec<Finding>,
    /// `open`, `approved` or `rejected`.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "\"open\" | \"approved\" | \"rejected\""))]
    pub status: String,
    /// When the server flagged it.
    pub created_at: String,
    /// The supervisor who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<String>,
    /// The supervisor's note.
    pub note: Option<String>,
}

/// One line of a flagged order, from the stored document. The line's untaxed amount is not
/// stored (only the order's subtotal is), so it is not given: the page shows quantity × unit
/// price and the discount rather than a figure computed outside the tax engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
pub struct ReviewLine {
    /// The product's SKU.
    pub sku: String,
    /// The product's name in today's catalog (absent when the product is no longer in it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many units, in the product's unit.
    pub quantity: Dec,
    /// The unit price the order was priced at.
    pub unit_price: Dec,
    /// The line's discount, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Dec>,
    /// Each tax charged on the line (code and amount).
    pub taxes: Vec<ClaimedTax>,
}

/// The list answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewList {
    /// Items, oldest flagged first.
    pub items: Vec<ReviewItem>,
}

/// The body of a resolution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// `approve` or `reject`.
    pub decision: Decision,
    /// Why, for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// A supervisor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The order goes ahead.
    Approve,
    /// The order is refused (for the ERP to act on).
    Reject,
}

fn supervisor(auth: &AuthDevice) -> Result<(), AppError> {
    super::require_supervisor(auth, "the review queue")
}

const SELECT: &str = "SELECT r.order_id, o.document_number, o.kind, o.outlet_id, t.name, r.username, r.device_id, \
     o.total, o.committed_at, r.reasons, r.status, r.created_at, r.resolved_by, r.resolved_at, r.note, o.document \
     FROM review_queue r JOIN orders o ON o.order_id = r.order_id JOIN outlets t ON t.id = o.outlet_id";

type Row = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

/// A stored order's document (only v2 orders are flagged, so it is a [`SalesDocument`]).
fn document(r: &Row) -> Result<SalesDocument, AppError> {
    serde_json::from_str(&r.15).map_err(|e| AppError::Internal(format!("stored sales document of {}: {e}", r.0)))
}

/// Most SKUs one name query binds (SQLite's older builds allow 999 parameters).
const NAMES_PER_QUERY: usize = 500;

/// The catalog's names of `skus` (a SKU no longer in the catalog is left out).
async fn product_names(pool: &AnyPool, skus: &BTreeSet<&str>) -> Result<BTreeMap<String, String>, AppError> {
    let skus: Vec<&str> = skus.iter().copied().collect();
    let mut names = BTreeMap::new();
    for chunk in skus.chunks(NAMES_PER_QUERY) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT sku, name FROM products WHERE sku IN ({})", marks.join(", "));
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for sku in chunk {
            query = query.bind(*sku);
        }
        names.extend(query.fetch_all(pool).await?);
    }
    Ok(names)
}

/// The items of `rows`, each with its lines and their products' names.
async fn items(pool: &AnyPool, rows: Vec<Row>) -> Result<Vec<ReviewItem>, AppError> {
    let docs = rows.iter().map(document).collect::<Result<Vec<_>, _>>()?;
    let skus: BTreeSet<&str> = docs.iter().flat_map(|d| d.order.lines.iter().map(|l| l.sku.as_str())).collect();
    let names = product_names(pool, &skus).await?;
    rows.into_iter().zip(&docs).map(|(r, d)| item(r, lines(d, &names)?)).collect()
}

/// The document's lines, with their unit prices and taxes (matched by position, as stored).
fn lines(doc: &SalesDocument, names: &BTreeMap<String, String>) -> Result<Vec<ReviewLine>, AppError> {
    doc.order
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let unit_price = *doc.unit_prices.get(i).ok_or_else(|| {
                AppError::Internal(format!("stored sales document of {}: no unit price for line {i}", doc.order_id))
            })?;
            Ok(ReviewLine {
                sku: line.sku.clone(),
                name: names.get(&line.sku).cloned(),
                quantity: line.quantity,
                unit_price,
                discount_percent: line.discount_percent,
                taxes: doc.taxes.lines.get(i).map(|t| t.taxes.clone()).unwrap_or_default(),
            })
        })
        .collect()
}

fn item(r: Row, lines: Vec<ReviewLine>) -> Result<ReviewItem, AppError> {
    let findings: Vec<Finding> =
        serde_json::from_str(&r.9).map_err(|e| AppError::Internal(format!("stored review reasons: {e}")))?;
    Ok(ReviewItem {
        lines,
        reasons: findings
            .iter()
            .map(|f| FlagReason { rule: rule_code(f.rule).into(), message: f.message.clone() })
            .collect(),
        findings,
        order_id: r.0,
        document_number: r.1,
        kind: r.2,
        outlet_id: r.3,
        outlet_name: r.4,
        username: r.5,
        device_id: r.6,
        total: r.7,
        committed_at: r.8,
        status: r.10,
        created_at: r.11,
        resolved_by: r.12,
        resolved_at: r.13,
        note: r.14,
    })
}

/// `GET /api/v1/review`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
    RawQuery(query): RawQuery,
) -> Result<Json<ReviewList>, AppError> {
    supervisor(&auth)?;
    let status = super::status_filter(query.as_deref(), &["open", "approved", "rejected", "all"])?;
    let order = " ORDER BY r.created_at, r.order_id";
    let rows: Vec<Row> = if status == "all" {
        sqlx::query_as(&format!("{SELECT}{order}")).fetch_all(&state.db.pool).await?
    } else {
        sqlx::query_as(&format!("{SELECT} WHERE r.status = $1{order}"))
            .bind(&status)
            .fetch_all(&state.db.pool)
            .await?
    };
    let items = items(&state.db.pool, rows).await?;
    Ok(Json(ReviewList { items }))
}

/// `POST /api/v1/review/{order_id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(order_id): Path<String>,
    body: Result<JsonBody<ResolveRequest>, AppError>,
) -> Result<Json<ReviewItem>, AppError> {
    supervisor(&auth)?;
    let JsonBody(req) = body?;
    let status = match req.decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
    };
    let note = req.note.map(|n| n.trim().chars().take(MAX_NOTE_CHARS).collect::<String>());
    // Only an open item changes: two supervisors resolving at once, one wins, one gets 409.
    let done = sqlx::query(
        "UPDATE review_queue SET status = $1, resolved_by = $2, resolved_at = $3, note = $4 \
         WHERE order_id = $5 AND status = 'open'",
    )
    .bind(status)
    .bind(&auth.username)
    .bind(timestamp(Utc::now()))
    .bind(&note)
    .bind(&order_id)
    .execute(&state.db.pool)
    .await?;
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE r.order_id = $1"))
        .bind(&order_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Err(AppError::NoSuchItem(format!("order {order_id:?} is not in the review queue")));
    };
    if done.rows_affected() == 0 {
        return Err(AppError::AlreadyResolved(format!("order {order_id} was already resolved ({})", row.10)));
    }
    state.metrics.review_resolved();
    tracing::info!(%order_id, decision = status, by = %auth.username, "review resolved");
    let mut answer = items(&state.db.pool, vec![row]).await?;
    answer.pop().map(Json).ok_or_else(|| AppError::Internal(format!("review item {order_id} vanished")))
}
