//! The supervisor's view of the crews' delivery days.
//!
//! - `GET /api/v1/days`: the days, newest started first (at most [`MAX_DAYS`]), each with its
//!   crew, route, truck, times, counts, and once ended the server's cash variance and van
//!   variances, the figures where the device's settlement differed (`flagged`) and whether a
//!   supervisor approved it.
//! - `GET /api/v1/days/{day_id}`: one day with its load sheet, stops, invoices, collections and
//!   both settlements (the device's as sent with the end; the server's as recomputed at the end,
//!   or, while the day runs, from what the server holds now, without counts); `404 not_found`
//!   for a day the server does not know.
//! - `POST /api/v1/days/{day_id}/approve`: the supervisor signs the day off; `200` with the day;
//!   `409 day_not_ended` while it runs, `409 already_resolved` when approved before.
//!
//! All need the full token of a supervisor's device: anyone else gets `403 forbidden`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use satchel_core::delivery::{settle, Allocation, Collection, Method, Settlement, SettlementDifference, StopOutcome};
use satchel_core::money::Dec;
use satchel_core::sales::SalesDocument;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::delivery::{day_row, from_json, outcome_of, server_records};
use crate::auth::AuthDevice;
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::AppState;

/// Most days one list answers with.
pub const MAX_DAYS: i64 = 500;

/// One figure where the device's settlement and the server's recomputation disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayDifference {
    /// The figure, e.g. `invoiced`, `collected.cash`, `van.SKU-00001.expected`, `stops`.
    pub field: String,
    /// What the device settled.
    pub device: String,
    /// What the server computed from the records it holds.
    pub server: String,
}

/// One day in the supervisor's list. Amounts are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayItem {
    /// The day's id.
    pub day_id: String,
    /// The crew member (the device's user).
    pub crew: String,
    /// The device it ran on.
    pub device_id: String,
    /// The site (depot) it started from.
    pub site: String,
    /// The route.
    pub route: String,
    /// The truck's id.
    pub truck: String,
    /// When it started (device clock).
    pub started_at: String,
    /// When it ended (device clock); `null` while it runs.
    pub ended_at: Option<String>,
    /// Stops planned at the start.
    pub planned: u32,
    /// Stops recorded (planned or not).
    pub stops: u32,
    /// Invoices and returns billed during it.
    pub invoices: u32,
    /// Collections recorded during it.
    pub collections: u32,
    /// Whether the end was flagged (the settlements differ).
    pub flagged: bool,
    /// Counted minus expected cash, by the server's settlement; `null` while it runs.
    pub cash_variance: Option<String>,
    /// SKUs whose count differs from what was expected, by the server's settlement.
    pub van_variances: Option<u32>,
    /// Where the device's settlement differs from the server's (empty when they agree).
    pub differences: Vec<DayDifference>,
    /// Whether a supervisor approved it.
    pub approved: bool,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When (server clock).
    pub approved_at: Option<String>,
}

/// A stop of a day: planned (with its outcome once recorded) or added on the road.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayStopItem {
    /// The task.
    pub task_id: String,
    /// The outlet; `null` for a planned stop whose task the server does not hold.
    pub outlet_id: Option<String>,
    /// Added on the road.
    pub unplanned: bool,
    /// What became of it; `null` while still to do.
    pub outcome: Option<StopOutcome>,
    /// Who received the goods (a delivered stop).
    pub recipient: String,
    /// The signature's blob (SHA-256), readable at `/api/v1/blobs/{sha256}/content`.
    pub signature: Option<String>,
    /// How many photos.
    pub photos: u32,
    /// Goods back on the van (a failed delivery).
    pub goods_back: BTreeMap<String, Dec>,
    /// When it was recorded (device clock).
    pub at: Option<String>,
}

/// An invoice or a return billed during a day.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayInvoiceItem {
    /// The order.
    pub order_id: String,
    /// Its document number.
    pub number: String,
    /// The outlet.
    pub outlet_id: String,
    /// The stop it was billed from.
    pub task_id: String,
    /// `sale` or `return`.
    pub kind: String,
    /// Its total (amount due; negative for a return).
    pub total: String,
}

/// A collection recorded during a day.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayCollectionItem {
    /// The collection's id.
    pub collection_id: String,
    /// The customer.
    pub outlet_id: String,
    /// How it was paid.
    pub method: Method,
    /// How much.
    pub amount: Dec,
    /// Kept beyond its invoices (an advance).
    pub advance: Dec,
    /// Which invoices it paid.
    pub allocations: Vec<Allocation>,
    /// When (device clock).
    pub collected_at: String,
}

/// One day with everything it counts and both settlements.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct DayDetail {
    /// The day as listed.
    pub day: DayItem,
    /// The van load sheet confirmed at the start, by SKU.
    pub loaded: BTreeMap<String, Dec>,
    /// The opening cash float.
    pub opening_float: Dec,
    /// The stops: the plan's in route order, then those added on the road.
    pub stops: Vec<DayStopItem>,
    /// The invoices and returns, by number.
    pub invoices: Vec<DayInvoiceItem>,
    /// The collections, in the order they were made.
    pub collections: Vec<DayCollectionItem>,
    /// The settlement the device sent with the end; `null` while the day runs.
    pub device_settlement: Option<Settlement>,
    /// The server's settlement: recomputed at the end, or while the day runs from what the
    /// server holds now (nothing counted yet).
    pub server_settlement: Option<Settlement>,
}

/// The list answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct DayList {
    /// Days, newest started first.
    pub days: Vec<DayItem>,
}

const SELECT: &str = "SELECT d.day_id, d.username, d.device_id, d.site, d.route, d.truck, d.started_at, d.ended_at, d.plan, \
     (SELECT COUNT(*) FROM day_stops s WHERE s.day_id = d.day_id) AS stop_count, \
     (SELECT COUNT(*) FROM orders o WHERE o.day_id = d.day_id) AS invoice_count, \
     (SELECT COUNT(*) FROM collections c WHERE c.day_id = d.day_id) AS collection_count, \
     d.flagged, d.cash_variance, d.van_variances, d.differences, d.approved_by, d.approved_at FROM delivery_days d";

fn count(n: i64, what: &str) -> Result<u32, AppError> {
    u32::try_from(n).map_err(|_| AppError::Internal(format!("stored {what} {n}")))
}

/// A row of [`SELECT`] as the list shows it.
fn item(r: &AnyRow) -> Result<DayItem, AppError> {
    let plan: Vec<String> = from_json(&r.try_get::<String, _>("plan")?, "day plan")?;
    let differences: Vec<SettlementDifference> =
        r.try_get::<Option<String>, _>("differences")?.map(|d| from_json(&d, "settlement differences")).transpose()?.unwrap_or_default();
    let approved_by: Option<String> = r.try_get("approved_by")?;
    Ok(DayItem {
        day_id: r.try_get("day_id")?,
        crew: r.try_get("username")?,
        device_id: r.try_get("device_id")?,
        site: r.try_get("site")?,
        route: r.try_get("route")?,
        truck: r.try_get("truck")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
        planned: count(i64::try_from(plan.len()).unwrap_or(i64::MAX), "plan")?,
        stops: count(r.try_get("stop_count")?, "stop count")?,
        invoices: count(r.try_get("invoice_count")?, "invoice count")?,
        collections: count(r.try_get("collection_count")?, "collection count")?,
        flagged: r.try_get::<i64, _>("flagged")? != 0,
        cash_variance: r.try_get("cash_variance")?,
        van_variances: r.try_get::<Option<i64>, _>("van_variances")?.map(|n| count(n, "van variances")).transpose()?,
        differences: differences.into_iter().map(|d| DayDifference { field: d.field, device: d.device, server: d.server }).collect(),
        approved: approved_by.is_some(),
        approved_by,
        approved_at: r.try_get("approved_at")?,
    })
}

fn supervisor(auth: &AuthDevice) -> Result<(), AppError> {
    super::require_supervisor(auth, "the delivery days")
}

async fn one(conn: &mut AnyConnection, day_id: &str) -> Result<DayItem, AppError> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.day_id = $1")).bind(day_id).fetch_optional(&mut *conn).await?;
    match row {
        Some(r) => item(&r),
        None => Err(AppError::NoSuchItem(format!("day {day_id:?} is not known"))),
    }
}

/// `GET /api/v1/days`.
pub async fn list(State(state): State<AppState>, auth: AuthDevice) -> Result<Json<DayList>, AppError> {
    supervisor(&auth)?;
    let rows = sqlx::query(&format!("{SELECT} ORDER BY d.started_at DESC, d.day_id DESC LIMIT {MAX_DAYS}")).fetch_all(&state.db.pool).await?;
    let days = rows.iter().map(item).collect::<Result<_, _>>()?;
    Ok(Json(DayList { days }))
}

/// The stops of a day: the plan's, then the others recorded.
async fn stops(conn: &mut AnyConnection, day_id: &str, plan: &[String]) -> Result<Vec<DayStopItem>, AppError> {
    type StopRow = (String, String, String, Option<String>, String, Option<String>, String, String, i64, String);
    let rows: Vec<StopRow> = sqlx::query_as(
        "SELECT task_id, outlet_id, outcome, reason, recipient, signature, photos, goods_back, unplanned, at FROM day_stops WHERE day_id = $1",
    )
    .bind(day_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut recorded: BTreeMap<String, DayStopItem> = BTreeMap::new();
    for (task_id, outlet_id, outcome, reason, recipient, signature, photos, goods_back, unplanned, at) in rows {
        let photos: Vec<serde_json::Value> = from_json(&photos, "stop photos")?;
        let item = DayStopItem {
            task_id: task_id.clone(),
            outlet_id: Some(outlet_id),
            unplanned: unplanned != 0,
            outcome: Some(outcome_of(&outcome, reason)?),
            recipient,
            signature,
            photos: count(i64::try_from(photos.len()).unwrap_or(i64::MAX), "photos")?,
            goods_back: from_json(&goods_back, "goods back")?,
            at: Some(at),
        };
        recorded.insert(task_id, item);
    }
    let mut out = Vec::new();
    for t in plan {
        match recorded.remove(t) {
            Some(s) => out.push(s),
            None => {
                let outlet: Option<(String,)> = sqlx::query_as("SELECT outlet_id FROM tasks WHERE id = $1").bind(t).fetch_optional(&mut *conn).await?;
                out.push(DayStopItem {
                    task_id: t.clone(),
                    outlet_id: outlet.map(|(o,)| o),
                    unplanned: false,
                    outcome: None,
                    recipient: String::new(),
                    signature: None,
                    photos: 0,
                    goods_back: BTreeMap::new(),
                    at: None,
                })
            }
        }
    }
    let mut rest: Vec<DayStopItem> = recorded.into_values().collect();
    rest.sort_by(|a, b| (&a.at, &a.task_id).cmp(&(&b.at, &b.task_id)));
    out.extend(rest);
    Ok(out)
}

/// `GET /api/v1/days/{day_id}`.
pub async fn detail(State(state): State<AppState>, auth: AuthDevice, Path(day_id): Path<String>) -> Result<Json<DayDetail>, AppError> {
    supervisor(&auth)?;
    let mut conn = state.db.pool.acquire().await?;
    let day = one(&mut conn, &day_id).await?;
    let id = Uuid::parse_str(&day_id).map_err(|_| AppError::NoSuchItem(format!("day {day_id:?} is not known")))?;
    let row = day_row(&mut conn, state.db.backend, &id, false).await?.ok_or_else(|| AppError::NoSuchItem(format!("day {day_id:?} is not known")))?;
    let stops = stops(&mut conn, &day_id, &row.plan).await?;
    let docs: Vec<(String,)> = sqlx::query_as("SELECT document FROM orders WHERE day_id = $1").bind(&day_id).fetch_all(&mut *conn).await?;
    let mut invoices = Vec::new();
    for (d,) in &docs {
        let doc: SalesDocument = from_json(d, "sales document")?;
        invoices.push(DayInvoiceItem {
            order_id: doc.order_id.to_string(),
            number: doc.document_number.clone(),
            outlet_id: doc.order.outlet_id.clone(),
            task_id: doc.delivery.as_ref().map(|l| l.task_id.clone()).unwrap_or_default(),
            kind: if doc.order.kind.is_sale() { "sale" } else { "return" }.into(),
            total: doc.total.value().to_string(),
        });
    }
    invoices.sort_by(|a, b| a.number.cmp(&b.number));
    let cols: Vec<(String, String)> =
        sqlx::query_as("SELECT collected_at, collection FROM collections WHERE day_id = $1").bind(&day_id).fetch_all(&mut *conn).await?;
    let mut cols = cols;
    cols.sort();
    let collections = cols
        .iter()
        .map(|(at, text)| {
            let c: Collection = from_json(text, "collection")?;
            Ok(DayCollectionItem {
                collection_id: c.collection_id.to_string(),
                advance: Dec(c.advance().max(rust_decimal::Decimal::ZERO)),
                outlet_id: c.outlet_id,
                method: c.method,
                amount: c.amount,
                allocations: c.allocations,
                collected_at: at.clone(),
            })
        })
        .collect::<Result<_, AppError>>()?;
    let stored: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT device_settlement, server_settlement FROM delivery_days WHERE day_id = $1").bind(&day_id).fetch_one(&mut *conn).await?;
    let device_settlement = stored.0.map(|s| from_json(&s, "device settlement")).transpose()?;
    let server_settlement = match stored.1 {
        Some(s) => Some(from_json(&s, "server settlement")?),
        None => Some(settle(&server_records(&mut conn, &row).await?, None, None)),
    };
    Ok(Json(DayDetail { day, loaded: row.loaded, opening_float: row.opening_float, stops, invoices, collections, device_settlement, server_settlement }))
}

/// `POST /api/v1/days/{day_id}/approve`.
pub async fn approve(State(state): State<AppState>, auth: AuthDevice, Path(day_id): Path<String>) -> Result<Json<DayItem>, AppError> {
    supervisor(&auth)?;
    let db = &state.db;
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT day_id FROM delivery_days WHERE day_id = $1 FOR UPDATE").bind(&day_id).execute(&mut *tx).await?;
    }
    let day = one(&mut tx, &day_id).await?;
    if day.ended_at.is_none() {
        return Err(AppError::DayNotEnded(format!("day {day_id} is still being worked: approve it once it has ended")));
    }
    if let Some(by) = &day.approved_by {
        return Err(AppError::AlreadyResolved(format!("day {day_id} was already approved by {by}")));
    }
    sqlx::query("UPDATE delivery_days SET approved_by = $1, approved_at = $2 WHERE day_id = $3")
        .bind(&auth.username)
        .bind(timestamp(Utc::now()))
        .bind(&day_id)
        .execute(&mut *tx)
        .await?;
    let after = one(&mut tx, &day_id).await?;
    tx.commit().await?;
    tracing::info!(day = %day_id, by = %auth.username, flagged = after.flagged, "day approved");
    Ok(Json(after))
}
