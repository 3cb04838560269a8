//! The delivery day in a push: `day.start`, invoices linked to a day (`sales_order.create` with
//! a `delivery` link), `collection.record` and `day.end`; a stop's outcome rides on its task's
//! `task.complete` ([`super::day_stop`]).
//!
//! Every rule is core's ([`satchel_core::delivery`]): the start by [`check_start`] against the
//! deployment's delivery settings, a collection by [`collection::check`] against the outlet's
//! receivables as the server holds them, the end by [`check_end`], and the settlement recomputed
//! by the same [`settle`] the device ran, from the server's own records ([`server_records`]),
//! then compared with the device's by [`differences`]. This module reads and writes the rows:
//!
//! - every day mutation needs the deployment's delivery settings (else `delivery_unsupported`);
//! - `day.start` needs the device's user as crew (`wrong_crew`, field `crew`), a route of the
//!   user's (a rep's; `unknown`, field `route`) and no other open day of the user (`day_open`);
//!   the same start sent again by the same device is applied without a second row, by another
//!   device it is `duplicate_day`;
//! - an invoice, a stop, a collection and the end name a day that is known (`unknown_day`), the
//!   user's (`day_not_yours`) and open (`day_closed`);
//! - a collection is for an outlet on the user's routes (`unknown_outlet`) and checked against
//!   its open receivables (core's codes: `more_than_owed`, `unknown_invoice`, `unallocated` …,
//!   field under `collection.`); applied, it pays them, lowers the outlet's balance and bumps the
//!   outlet's feed row so devices pull the new figures;
//! - `day.end` is checked (`bad_quantity`, `bad_odometer`), waits for its signature's blob like
//!   a photo, and is compared with what the server holds: a settlement that differs (or a count
//!   of stops that differs) is applied and `flagged` (rule [`SETTLEMENT_MISMATCH`], one reason
//!   per figure), never refused, so the supervisor sees it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use satchel_core::delivery::{
    self as core_delivery, check_end, check_start, collection, differences, settle, Collection, CollectionEntry, DayDocument, DayEnd,
    DayError, DayLink, DayRecords, DayStart, DeliverySettings, SettlementDifference, Stop, StopOutcome,
};
use satchel_core::money::Dec;
use satchel_core::sales::{OrderKind, SalesDocument};
use satchel_core::sync::protocol::rejection_codes::TASK_CLOSED;
use satchel_core::sync::protocol::{Entity, FlagReason, Mutation, Outcome};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::push::{Rejection, Verdict};
use super::reference::stored_dec;
use crate::auth::AuthDevice;
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::feed::{self, Scope};
use crate::receivables::{self, amount_text};
use crate::sales::{currency_places, Settings};

/// The rule a flagged day end names in its reasons.
pub const SETTLEMENT_MISMATCH: &str = "settlement_mismatch";

pub(super) fn reject(code: &str, field: impl Into<String>, reason: String) -> Rejection {
    Rejection { code: code.into(), reason, field: Some(field.into()) }
}

/// Core's refusal of a day's record, its field under `prefix` (e.g. `day.` for a stop).
pub(super) fn day_rejection(e: &DayError, prefix: &str) -> Rejection {
    Rejection { code: e.code().into(), reason: format!("{prefix}{e}"), field: Some(format!("{prefix}{}", e.field())) }
}

pub(super) fn to_json<T: serde::Serialize>(v: &T, what: &str) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("serialize {what}: {e}")))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored {what}: {e}")))
}

/// The delivery settings, or the rejection of a deployment without crews.
fn delivery_settings(settings: Option<&Settings>) -> Result<(&Settings, &DeliverySettings), Rejection> {
    settings.and_then(|s| s.sales.delivery.as_ref().map(|d| (s, d))).ok_or_else(|| Rejection {
        code: "delivery_unsupported".into(),
        reason: "this deployment has no delivery settings: it takes no delivery days".into(),
        field: None,
    })
}

/// A day as stored, with what its end and the settlement need.
#[derive(Debug, Clone)]
pub(crate) struct DayRow {
    pub(crate) day_id: Uuid,
    pub(crate) device_id: String,
    pub(crate) username: String,
    pub(crate) started_at: String,
    pub(crate) plan: Vec<String>,
    pub(crate) loaded: BTreeMap<String, Dec>,
    pub(crate) opening_float: Dec,
    pub(crate) odometer: u64,
    pub(crate) ended: bool,
}

/// The day `day_id`, locked for this transaction on PostgreSQL when `lock` (SQLite's push holds
/// the write lock): a stop, a collection and the end of one day serialize.
pub(crate) async fn day_row(conn: &mut AnyConnection, backend: Backend, day_id: &Uuid, lock: bool) -> Result<Option<DayRow>, AppError> {
    let lock = if lock && backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    type Row = (String, String, String, String, String, String, i64, Option<String>);
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT device_id, username, started_at, plan, loaded, opening_float, start_odometer, ended_at \
         FROM delivery_days WHERE day_id = $1{lock}"
    ))
    .bind(day_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(device_id, username, started_at, plan, loaded, float, odometer, ended_at)| {
        Ok(DayRow {
            day_id: *day_id,
            device_id,
            username,
            started_at,
            plan: from_json(&plan, "day plan")?,
            loaded: from_json(&loaded, "day load sheet")?,
            opening_float: stored_dec(&float, "opening float")?,
            odometer: u64::try_from(odometer).map_err(|_| AppError::Internal("stored odometer".into()))?,
            ended: ended_at.is_some(),
        })
    })
    .transpose()
}

/// The day `day_id` if it is known, the user's and open (named `field` in a refusal). Takes the
/// feed's lock first (see `feed::lock`): the day's row is locked before the rows a stop or a
/// collection records in the feed.
pub(super) async fn own_open_day(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    day_id: &Uuid,
    field: &str,
) -> Result<Result<DayRow, Rejection>, AppError> {
    feed::lock(conn, backend).await?;
    let Some(day) = day_row(conn, backend, day_id, true).await? else {
        return Ok(Err(reject("unknown_day", field, format!("{field}: day {day_id} was never started on this server"))));
    };
    if day.username != auth.username {
        return Ok(Err(reject("day_not_yours", field, format!("{field}: day {day_id} is another crew member's"))));
    }
    if day.ended {
        return Ok(Err(reject("day_closed", field, format!("{field}: day {day_id} has ended"))));
    }
    Ok(Ok(day))
}

/// `day.start`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn start(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    routes: Option<&[String]>,
    auth: &AuthDevice,
    m: &Mutation,
    s: &DayStart,
    at: &str,
) -> Result<Verdict, AppError> {
    let (settings, delivery) = match delivery_settings(settings) {
        Ok(d) => d,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    if s.crew != auth.username {
        return Ok(Verdict::Rejected(reject("wrong_crew", "crew", format!("crew: {:?} is not this device's user", s.crew))));
    }
    if let Err(e) = check_start(s, delivery, currency_places(settings)?) {
        return Ok(Verdict::Rejected(day_rejection(&e, "")));
    }
    if routes.is_some_and(|rs| !rs.contains(&s.route)) {
        let e = DayError::Unknown { field: "route", value: s.route.clone() };
        return Ok(Verdict::Rejected(Rejection { code: e.code().into(), reason: format!("route: {} is not one of your routes", s.route), field: Some("route".into()) }));
    }
    let device = auth.device_id.to_string();
    let started_at = timestamp(s.started_at);
    if let Some(existing) = day_row(conn, backend, &s.day_id, true).await? {
        // The same start sent again under another mutation id: nothing to add.
        if existing.device_id == device && existing.started_at == started_at {
            return Ok(Verdict::Applied(Outcome::Applied));
        }
        return Ok(Verdict::Rejected(reject("duplicate_day", "day_id", format!("day_id: day {} was started elsewhere", s.day_id))));
    }
    let open: Option<(String, String)> =
        sqlx::query_as("SELECT day_id, started_at FROM delivery_days WHERE username = $1 AND ended_at IS NULL")
            .bind(&auth.username)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((other, since)) = open {
        return Ok(Verdict::Rejected(reject(
            "day_open",
            "day_id",
            format!("day_id: {}'s day {other} started {since} is still open; end it first", auth.username),
        )));
    }
    sqlx::query(
        "INSERT INTO delivery_days (day_id, device_id, username, site, route, truck, started_at, plan, loaded, \
         accepted_as_sent, opening_float, start_odometer, start_mutation, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(s.day_id.to_string())
    .bind(&device)
    .bind(&auth.username)
    .bind(s.site.trim())
    .bind(s.route.trim())
    .bind(s.truck.trim())
    .bind(&started_at)
    .bind(to_json(&s.plan, "day plan")?)
    .bind(to_json(&s.loaded, "day load sheet")?)
    .bind(i64::from(s.accepted_as_sent))
    // As sent, to the digit: the settlement shows it, and the device's shows it as typed.
    .bind(s.float.value().to_string())
    .bind(i64::try_from(s.odometer).map_err(|_| AppError::Internal("odometer range".into()))?)
    .bind(m.id.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    tracing::info!(day = %s.day_id, crew = %auth.username, route = %s.route, truck = %s.truck, stops = s.plan.len(), "day started");
    Ok(Verdict::Applied(Outcome::Applied))
}

/// Checks an invoice's link to its day: the day known, the user's and open; the stop named.
pub(super) async fn check_link(conn: &mut AnyConnection, backend: Backend, auth: &AuthDevice, link: &DayLink) -> Result<Result<(), Rejection>, AppError> {
    if let Err(rej) = own_open_day(conn, backend, auth, &link.day_id, "delivery.day_id").await? {
        return Ok(Err(rej));
    }
    let n = link.task_id.trim().chars().count();
    if n == 0 || n > core_delivery::day::MAX_TEXT {
        let e = DayError::Text("task_id");
        return Ok(Err(day_rejection(&e, "delivery.")));
    }
    // A delivery the office withdrew is not billed (an unplanned stop's task is not known yet:
    // its completion creates it).
    let task: Option<(String, String)> = sqlx::query_as("SELECT status, updated_at FROM tasks WHERE id = $1")
        .bind(link.task_id.trim())
        .fetch_optional(&mut *conn)
        .await?;
    if let Some((status, updated_at)) = task {
        if status == "cancelled" {
            return Ok(Err(Rejection {
                code: TASK_CLOSED.into(),
                reason: format!("delivery.task_id: task {} was cancelled by the office on {}", link.task_id.trim(), super::task_complete::shown(&updated_at)),
                field: Some("delivery.task_id".into()),
            }));
        }
    }
    Ok(Ok(()))
}

/// The field of a collection's refusal, under `collection.`.
fn collection_field(e: &collection::CollectionError) -> String {
    use collection::CollectionError as E;
    let field = match e {
        E::BadAmount { field, .. } | E::UnknownInvoice { field, .. } | E::DuplicateInvoice { field, .. } | E::MoreThanOwed { field, .. } => field.clone(),
        E::NoInvoice | E::Unallocated { .. } | E::OverAllocated { .. } => "allocations".into(),
        E::Missing(_) => "method".into(),
    };
    format!("collection.{field}")
}

/// `collection.record`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn collect(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    routes: Option<&[String]>,
    auth: &AuthDevice,
    m: &Mutation,
    e: &CollectionEntry,
    at: &str,
) -> Result<Verdict, AppError> {
    let (settings, delivery) = match delivery_settings(settings) {
        Ok(d) => d,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    let places = currency_places(settings)?;
    if let Err(rej) = own_open_day(conn, backend, auth, &e.day_id, "day_id").await? {
        return Ok(Verdict::Rejected(rej));
    }
    let c = &e.collection;
    let outlet = crate::sales::outlet_for_update(conn, backend, &c.outlet_id).await?.filter(|o| routes.is_none_or(|rs| rs.contains(&o.route)));
    let Some(outlet) = outlet else {
        return Ok(Verdict::Rejected(reject(
            "unknown_outlet",
            "collection.outlet_id",
            format!("collection.outlet_id: outlet {:?} does not exist or is not on your routes", c.outlet_id),
        )));
    };
    let seen: Option<(String,)> = sqlx::query_as("SELECT mutation_id FROM collections WHERE collection_id = $1")
        .bind(c.collection_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if seen.is_some() {
        return Ok(Verdict::Rejected(reject(
            "duplicate_collection",
            "collection.collection_id",
            format!("collection.collection_id: collection {} was already recorded", c.collection_id),
        )));
    }
    // The outlet's invoices as the server holds them: what earlier collections paid is already
    // off their outstanding amounts, so core is given no earlier collections.
    let open = receivables::open_for_update(conn, backend, &c.outlet_id).await?;
    let invoices: Vec<_> = open.iter().map(receivables::Receivable::open_invoice).collect();
    if let Err(err) = collection::check(c, &invoices, &[], places, delivery.advances) {
        let field = collection_field(&err);
        return Ok(Verdict::Rejected(Rejection { code: err.code().into(), reason: format!("{field}: {err}"), field: Some(field) }));
    }
    sqlx::query(
        "INSERT INTO collections (collection_id, day_id, mutation_id, username, outlet_id, method, amount, advance, collection, \
         collected_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(c.collection_id.to_string())
    .bind(e.day_id.to_string())
    .bind(m.id.to_string())
    .bind(&auth.username)
    .bind(&c.outlet_id)
    .bind(c.method.kind())
    .bind(amount_text(c.amount.value()))
    .bind(amount_text(c.advance().max(Decimal::ZERO)))
    .bind(to_json(c, "collection")?)
    .bind(timestamp(e.at))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    for a in &c.allocations {
        sqlx::query("INSERT INTO collection_allocations (collection_id, order_id, amount) VALUES ($1, $2, $3)")
            .bind(c.collection_id.to_string())
            .bind(a.order_id.to_string())
            .bind(amount_text(a.amount.value()))
            .execute(&mut *conn)
            .await?;
        let invoice = open.iter().find(|i| i.order_id == a.order_id).ok_or_else(|| AppError::Internal("a checked allocation's invoice".into()))?;
        receivables::pay(conn, invoice, a.amount.value(), at).await?;
    }
    // The outlet's balance: the whole amount, an advance included, is off what it owes.
    if let Some(credit) = outlet.credit {
        sqlx::query("UPDATE outlets SET outstanding = $1, credit_as_of = $2 WHERE id = $3")
            .bind(amount_text(credit.outstanding.value() - c.amount.value()))
            .bind(at)
            .bind(&c.outlet_id)
            .execute(&mut *conn)
            .await?;
    }
    feed::record(conn, Entity::Outlet, &c.outlet_id, Scope::Route(&outlet.route), false).await?;
    tracing::info!(day = %e.day_id, collection = %c.collection_id, outlet = %c.outlet_id, method = c.method.kind(), "collection recorded");
    Ok(Verdict::Applied(Outcome::Applied))
}

/// A stop's outcome as stored (`outcome`, `reason`).
pub(crate) fn outcome_of(outcome: &str, reason: Option<String>) -> Result<StopOutcome, AppError> {
    let reason = reason.unwrap_or_default();
    Ok(match outcome {
        "done" => StopOutcome::Done,
        "failed" => StopOutcome::Failed { reason },
        "skipped" => StopOutcome::Skipped { reason },
        other => return Err(AppError::Internal(format!("stored stop outcome {other:?}"))),
    })
}

/// A document of the day as the settlement counts it: the device's rule (`records` in core's
/// `device::day`): a return is flagged `returned`, the total is positive, the lines are summed
/// per SKU.
pub(crate) fn day_document(doc: &SalesDocument) -> DayDocument {
    let mut lines: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in &doc.order.lines {
        *lines.entry(l.sku.clone()).or_default() += l.quantity.value();
    }
    DayDocument {
        order_id: doc.order_id,
        number: doc.document_number.clone(),
        returned: doc.order.kind == OrderKind::Return,
        total: Dec(doc.total.value().abs()),
        lines: lines.into_iter().map(|(k, v)| (k, Dec(v))).collect(),
    }
}

/// The day's records as the server holds them: the start's load sheet and float, the planned
/// stops (each with its recorded outcome, if any) and the unplanned ones recorded, the accepted
/// invoices and returns linked to the day, and its collections. The server has no uploads
/// pending of its own.
pub(crate) async fn server_records(conn: &mut AnyConnection, day: &DayRow) -> Result<DayRecords, AppError> {
    let id = day.day_id.to_string();
    let rows: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("SELECT task_id, outcome, reason, unplanned FROM day_stops WHERE day_id = $1")
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
    let mut recorded: BTreeMap<String, (StopOutcome, bool)> = BTreeMap::new();
    for (task_id, outcome, reason, unplanned) in rows {
        recorded.insert(task_id, (outcome_of(&outcome, reason)?, unplanned != 0));
    }
    let mut stops: Vec<Stop> = day
        .plan
        .iter()
        .map(|t| Stop { task_id: t.clone(), unplanned: false, outcome: recorded.remove(t).map(|(o, _)| o) })
        .collect();
    stops.extend(recorded.into_iter().map(|(task_id, (o, unplanned))| Stop { task_id, unplanned, outcome: Some(o) }));
    let docs: Vec<(String,)> = sqlx::query_as("SELECT document FROM orders WHERE day_id = $1 ORDER BY order_id")
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
    let documents = docs.iter().map(|(d,)| from_json::<SalesDocument>(d, "sales document").map(|d| day_document(&d))).collect::<Result<_, _>>()?;
    let cols: Vec<(String,)> = sqlx::query_as("SELECT collection FROM collections WHERE day_id = $1 ORDER BY collection_id")
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
    let collections = cols.iter().map(|(c,)| from_json::<Collection>(c, "collection")).collect::<Result<_, _>>()?;
    Ok(DayRecords { opening_float: day.opening_float, loaded: day.loaded.clone(), stops, documents, collections, uploads_pending: 0 })
}

/// How many stops the server holds for a day.
async fn stops_held(conn: &mut AnyConnection, day_id: &Uuid) -> Result<u32, AppError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM day_stops WHERE day_id = $1")
        .bind(day_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    u32::try_from(n).map_err(|_| AppError::Internal("stop count".into()))
}

/// The flag reasons of an ended day whose settlements differ: one per figure.
pub fn mismatch_reasons(differences: &[SettlementDifference]) -> Vec<FlagReason> {
    differences
        .iter()
        .map(|d| FlagReason {
            rule: SETTLEMENT_MISMATCH.into(),
            message: format!("{}: the device settled {}, the server's records give {}", d.field, d.device, d.server),
        })
        .collect()
}

/// `day.end`.
pub(super) async fn end(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    auth: &AuthDevice,
    m: &Mutation,
    e: &DayEnd,
) -> Result<Verdict, AppError> {
    let (settings, _) = match delivery_settings(settings) {
        Ok(d) => d,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    if let Err(err) = check_end(e, currency_places(settings)?) {
        return Ok(Verdict::Rejected(day_rejection(&err, "")));
    }
    let signature: Vec<(String, &satchel_core::sync::protocol::BlobRef)> = e.signature.iter().map(|s| ("signature".to_string(), s)).collect();
    if let Err(rej) = super::task_complete::check_blob_refs(&signature) {
        return Ok(Verdict::Rejected(rej));
    }
    let day = match own_open_day(conn, backend, auth, &e.day_id, "day_id").await? {
        Ok(d) => d,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    if e.odometer < day.odometer {
        return Ok(Verdict::Rejected(reject("bad_odometer", "odometer", format!("odometer: {} is less than the {} read at the start", e.odometer, day.odometer))));
    }
    match super::task_complete::blobs_ready(conn, backend, &signature).await? {
        Err(rej) => return Ok(Verdict::Rejected(rej)),
        Ok(missing) if !missing.is_empty() => return Ok(Verdict::WaitBlobs(missing)),
        Ok(_) => {}
    }
    // The server's settlement: the same day, from what the server holds, settled by core with
    // the counts the crew made.
    let records = server_records(conn, &day).await?;
    let server = settle(&records, Some(&e.counted_van), Some(e.counted_cash));
    let mut diffs = Vec::new();
    let held = stops_held(conn, &e.day_id).await?;
    if held != e.stops {
        diffs.push(SettlementDifference { field: "stops".into(), device: e.stops.to_string(), server: held.to_string() });
    }
    diffs.extend(differences(&e.settlement, &server));
    let flagged = !diffs.is_empty();
    sqlx::query(
        "UPDATE delivery_days SET ended_at = $1, end_mutation = $2, end_odometer = $3, counted_van = $4, counted_cash = $5, \
         signature = $6, device_stops = $7, device_settlement = $8, server_settlement = $9, differences = $10, \
         cash_variance = $11, van_variances = $12, flagged = $13 WHERE day_id = $14",
    )
    .bind(timestamp(e.ended_at))
    .bind(m.id.to_string())
    .bind(i64::try_from(e.odometer).map_err(|_| AppError::Internal("odometer range".into()))?)
    .bind(to_json(&e.counted_van, "counted van")?)
    .bind(amount_text(e.counted_cash.value()))
    .bind(e.signature.as_ref().map(|s| s.sha256.clone()))
    .bind(i64::from(e.stops))
    .bind(to_json(&e.settlement, "device settlement")?)
    .bind(to_json(&server, "server settlement")?)
    .bind(to_json(&diffs, "settlement differences")?)
    .bind(server.cash_variance.map(|v| v.value().to_string()))
    .bind(i64::from(server.van_variances))
    .bind(i64::from(flagged))
    .bind(e.day_id.to_string())
    .execute(&mut *conn)
    .await?;
    if flagged {
        tracing::info!(day = %e.day_id, differences = diffs.len(), "day ended with a settlement that differs from the server's");
        return Ok(Verdict::Applied(Outcome::Flagged { reasons: mismatch_reasons(&diffs) }));
    }
    tracing::info!(day = %e.day_id, crew = %auth.username, "day ended");
    Ok(Verdict::Applied(Outcome::Applied))
}

/// The flag reasons of an applied `day.end` the server flagged (mutation `mutation_id`), or
/// `None`: a replay answers `flagged` again.
pub async fn end_flag_reasons(conn: &mut AnyConnection, mutation_id: &str) -> Result<Option<Vec<FlagReason>>, AppError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT differences FROM delivery_days WHERE end_mutation = $1 AND flagged = 1")
        .bind(mutation_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((differences,)) = row else { return Ok(None) };
    let differences: Vec<SettlementDifference> = from_json(&differences, "settlement differences")?;
    Ok(Some(mismatch_reasons(&differences)))
}
