//! The counter (point of sale) in a push: receipts (`sales_order.create` with a counter part),
//! `shift.open`, `cash.movement` and `shift.close`.
//!
//! Every decision is core's ([`satchel_core::pos`]): a receipt is settled and counted by
//! [`pos::check`] with the server's own tax result, a refund checked by [`pos::check_refund`]
//! against the stored receipt and its earlier refunds, movements and counts by [`pos::Shift`],
//! and the Z report recomputed by the same [`pos::Shift::close`] the device ran, then compared
//! with the device's by [`pos::differences`]. This module reads and writes the rows:
//!
//! - a receipt needs the deployment's counter settings (else `counter_unsupported`), the user's
//!   register (`wrong_register`, field `counter.register`), a number of that register's leased
//!   range (`document_number`, as any document number), and its shift known (`unknown_shift`),
//!   this device's (`shift_not_yours`) and open (`shift_closed`), all on `counter.shift_id`;
//! - `shift.open` needs the device's user as cashier (`wrong_cashier`) at the user's register
//!   (`wrong_register`); the same shift opened again by the same device is applied without a
//!   second row, by another device or elsewhere it is `duplicate_shift`;
//! - `cash.movement` and `shift.close` need the shift known, this device's and open;
//! - `shift.close` is compared with what the server holds: the receipt and movement counts the
//!   device claims and its Z report against the server's ([`pos::closing_differences`]). A
//!   receipt the server refused is missing from its count and figures; a shift whose figures
//!   differ is applied and `flagged` (rule `z_report_mismatch`, one reason per differing
//!   figure), never refused, so the supervisor sees it.

use satchel_core::pos::{self, CheckedReceipt, CounterSale, MovementEntry, ReceiptFigures, ReceiptKind, ShiftClosing, ShiftOpening};
use satchel_core::pos::shift::{CashMovement, Denomination, ReportDifference, ShiftReport};
use satchel_core::sales::{SalesDocument, ServerVerdict};
use satchel_core::sync::protocol::{FlagReason, Mutation, Outcome};
use satchel_core::tax::model::RuleSet;
use sqlx::AnyConnection;
use uuid::Uuid;

use super::push::{Rejection, Verdict};
use crate::auth::AuthDevice;
use crate::db::Backend;
use crate::errors::AppError;
use crate::sales::{register_of, Settings};

/// The rule a flagged shift close names in its reasons.
pub const Z_REPORT_MISMATCH: &str = "z_report_mismatch";

fn reject(code: &str, field: &str, reason: String) -> Rejection {
    Rejection { code: code.into(), reason, field: Some(field.into()) }
}

fn to_json<T: serde::Serialize>(v: &T, what: &str) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("serialize {what}: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored {what}: {e}")))
}

/// The counter settings, or the rejection of a deployment without a counter.
fn counter_settings(settings: Option<&Settings>) -> Result<&pos::CounterSettings, Rejection> {
    settings.and_then(|s| s.sales.counter.as_ref()).ok_or_else(|| {
        reject("counter_unsupported", "counter", "this deployment has no counter settings: it takes no receipts or shifts".into())
    })
}

/// The prefix a receipt's number must carry: its register's, which must be the user's.
pub(super) async fn receipt_prefix_for(
    conn: &mut AnyConnection,
    settings: &Settings,
    auth: &AuthDevice,
    sale: &CounterSale,
) -> Result<Result<String, Rejection>, AppError> {
    if let Err(rej) = counter_settings(Some(settings)) {
        return Ok(Err(rej));
    }
    let register = register_of(conn, &auth.username).await?;
    if register.as_deref() != Some(sale.register.as_str()) {
        return Ok(Err(reject(
            "wrong_register",
            "counter.register",
            format!("counter.register: {:?} is not the register of {}", sale.register, auth.username),
        )));
    }
    Ok(Ok(pos::receipt_prefix(&sale.register)))
}

/// A shift as stored.
struct ShiftRow {
    device_id: String,
    username: String,
    register: String,
    opened_at: String,
    opening_float: Vec<Denomination>,
    closed: bool,
}

/// The shift `shift_id`, locked for this transaction on PostgreSQL (SQLite's push holds the
/// write lock): a receipt and the close of one shift serialize.
async fn shift_for_update(conn: &mut AnyConnection, backend: Backend, shift_id: &Uuid) -> Result<Option<ShiftRow>, AppError> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String, String, String, String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT device_id, username, register, opened_at, opening_float, closed_at FROM shifts WHERE shift_id = $1{lock}"
    ))
    .bind(shift_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(device_id, username, register, opened_at, float, closed_at)| {
        Ok(ShiftRow { device_id, username, register, opened_at, opening_float: from_json(&float, "opening float")?, closed: closed_at.is_some() })
    })
    .transpose()
}

/// The shift, if it is known and this device's; `open` also requires it open.
async fn own_shift(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    shift_id: &Uuid,
    field: &str,
) -> Result<Result<ShiftRow, Rejection>, AppError> {
    let Some(shift) = shift_for_update(conn, backend, shift_id).await? else {
        return Ok(Err(reject("unknown_shift", field, format!("{field}: shift {shift_id} was never opened on this server"))));
    };
    if shift.device_id != auth.device_id.to_string() {
        return Ok(Err(reject("shift_not_yours", field, format!("{field}: shift {shift_id} runs on another device"))));
    }
    if shift.closed {
        let e = pos::ShiftError::Closed;
        return Ok(Err(reject(e.code(), field, format!("{field}: shift {shift_id}: {e}"))));
    }
    Ok(Ok(shift))
}

/// Checks that a receipt's shift takes it: known, this device's, open.
pub(super) async fn check_shift(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    sale: &CounterSale,
) -> Result<Result<(), Rejection>, AppError> {
    Ok(own_shift(conn, backend, auth, &sale.shift_id, "counter.shift_id").await?.map(|_| ()))
}

/// Checks a receipt the server has verified (prices, taxes, total): core's [`pos::check`] with
/// the server's tax result and, for a refund of a receipt, [`pos::check_refund`] against the
/// stored receipt and its earlier refunds.
pub(super) async fn check_receipt(
    conn: &mut AnyConnection,
    settings: &Settings,
    rules: &RuleSet,
    doc: &SalesDocument,
    verdict: &ServerVerdict,
) -> Result<Result<CheckedReceipt, Rejection>, AppError> {
    let counter = match counter_settings(Some(settings)) {
        Ok(c) => c,
        Err(rej) => return Ok(Err(rej)),
    };
    let Some(taxes) = &verdict.taxes else {
        return Ok(Err(reject("not_taxable", "order", "the receipt could not be taxed, so it cannot be settled".into())));
    };
    let receipt_error = |e: pos::ReceiptError| Rejection { code: e.code().into(), reason: e.to_string(), field: Some(e.field()) };
    let checked = match pos::check(doc, taxes, rules, counter) {
        Ok(c) => c,
        Err(e) => return Ok(Err(receipt_error(e))),
    };
    // A manager's approval is checked with the manager's key, which only the server holds.
    if let Some(approval) = doc.counter.as_ref().and_then(|c| c.approval.as_ref()) {
        let key = manager_key(conn, &approval.manager).await?;
        let verdict = match key {
            Some(key) => pos::approval::verify(&key, doc.order_id, approval),
            None => Err(pos::ApprovalError::UnknownManager(approval.manager.clone())),
        };
        if let Err(e) = verdict {
            return Ok(Err(reject(e.code(), "counter.approval", format!("counter.approval: {e}"))));
        }
    }
    let Some(of) = doc.counter.as_ref().and_then(|c| c.refund_of.as_ref()) else {
        return Ok(Ok(checked));
    };
    let original: Option<(String, String)> = sqlx::query_as(
        "SELECT r.number, o.document FROM receipts r JOIN orders o ON o.order_id = r.order_id WHERE r.order_id = $1",
    )
    .bind(of.order_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let original = match original {
        Some((number, document)) if number == of.receipt_number => from_json::<SalesDocument>(&document, "receipt document")?,
        _ => {
            return Ok(Err(reject(
                "unknown_receipt",
                "counter.refund_of",
                format!("counter.refund_of: no receipt {} with order id {}", of.receipt_number, of.order_id),
            )))
        }
    };
    let earlier: Vec<(String,)> = sqlx::query_as(
        "SELECT o.document FROM receipts r JOIN orders o ON o.order_id = r.order_id WHERE r.refund_of = $1 ORDER BY r.number",
    )
    .bind(of.order_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let earlier = earlier.iter().map(|(d,)| from_json::<SalesDocument>(d, "refund document")).collect::<Result<Vec<_>, _>>()?;
    let earlier: Vec<&SalesDocument> = earlier.iter().collect();
    match pos::check_refund(doc, &checked.settlement, &original, &earlier, rules, counter) {
        Ok(()) => Ok(Ok(checked)),
        Err(e) => Ok(Err(receipt_error(e))),
    }
}

/// The key of a manager who may approve at the till (`manager_keys`), if any.
async fn manager_key(conn: &mut AnyConnection, username: &str) -> Result<Option<[u8; 32]>, AppError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT key_hex FROM manager_keys WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *conn)
        .await?;
    let Some((hex,)) = row else { return Ok(None) };
    let bytes = satchel_core::vault::hex::decode(&hex).ok_or_else(|| AppError::Internal("stored manager key".into()))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map(Some).map_err(|_| AppError::Internal("stored manager key".into()))
}

/// Writes an applied receipt's row (the order itself is written by `sales_order::apply`).
pub(super) async fn store_receipt(conn: &mut AnyConnection, doc: &SalesDocument, receipt: &CheckedReceipt, at: &str) -> Result<(), AppError> {
    let Some(counter) = &doc.counter else { return Ok(()) };
    let kind = match receipt.figures.kind {
        ReceiptKind::Sale => "sale",
        ReceiptKind::Refund => "refund",
    };
    sqlx::query(
        "INSERT INTO receipts (order_id, shift_id, register, number, kind, refund_of, figures, total, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(doc.order_id.to_string())
    .bind(counter.shift_id.to_string())
    .bind(&counter.register)
    .bind(&doc.document_number)
    .bind(kind)
    .bind(counter.refund_of.as_ref().map(|r| r.order_id.to_string()))
    .bind(to_json(&receipt.figures, "receipt figures")?)
    .bind(receipt.figures.total.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `shift.open`.
pub(super) async fn open(
    conn: &mut AnyConnection,
    settings: Option<&Settings>,
    auth: &AuthDevice,
    m: &Mutation,
    o: &ShiftOpening,
    at: &str,
) -> Result<Verdict, AppError> {
    if let Err(rej) = counter_settings(settings) {
        return Ok(Verdict::Rejected(rej));
    }
    if o.cashier != auth.username {
        return Ok(Verdict::Rejected(reject("wrong_cashier", "cashier", format!("cashier: {:?} is not this device's user", o.cashier))));
    }
    if register_of(conn, &auth.username).await?.as_deref() != Some(o.register.as_str()) {
        return Ok(Verdict::Rejected(reject(
            "wrong_register",
            "register",
            format!("register: {:?} is not the register of {}", o.register, auth.username),
        )));
    }
    let opened_at = o.opened_at.to_rfc3339();
    if let Err(e) = pos::Shift::open(&o.shift_id.to_string(), &o.register, &o.cashier, &opened_at, o.float.clone()) {
        return Ok(Verdict::Rejected(reject(e.code(), "float", e.to_string())));
    }
    let shift_id = o.shift_id.to_string();
    let existing: Option<(String, String, String)> =
        sqlx::query_as("SELECT device_id, register, opened_at FROM shifts WHERE shift_id = $1")
            .bind(&shift_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((device, register, stored_at)) = existing {
        // The same opening sent again under another mutation id: nothing to add.
        if device == auth.device_id.to_string() && register == o.register && stored_at == opened_at {
            return Ok(Verdict::Applied(Outcome::Applied));
        }
        return Ok(Verdict::Rejected(reject("duplicate_shift", "shift_id", format!("shift_id: shift {shift_id} was opened elsewhere"))));
    }
    sqlx::query(
        "INSERT INTO shifts (shift_id, device_id, username, register, opened_at, opening_float, opening_mutation, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&shift_id)
    .bind(auth.device_id.to_string())
    .bind(&auth.username)
    .bind(&o.register)
    .bind(&opened_at)
    .bind(to_json(&o.float, "opening float")?)
    .bind(m.id.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(Verdict::Applied(Outcome::Applied))
}

/// A shift as core's [`pos::Shift`], from its row, with neither receipts nor movements.
fn core_shift(shift_id: &Uuid, row: &ShiftRow) -> Result<pos::Shift, AppError> {
    pos::Shift::open(&shift_id.to_string(), &row.register, &row.username, &row.opened_at, row.opening_float.clone())
        .map_err(|e| AppError::Internal(format!("stored shift {shift_id}: {e}")))
}

fn movement_field(e: &pos::ShiftError) -> &'static str {
    match e {
        pos::ShiftError::ReasonRequired => "movement.reason",
        pos::ShiftError::NonPositive(_) => "movement.amount",
        _ => "movement",
    }
}

/// `cash.movement`.
pub(super) async fn movement(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    auth: &AuthDevice,
    m: &Mutation,
    e: &MovementEntry,
    at: &str,
) -> Result<Verdict, AppError> {
    if let Err(rej) = counter_settings(settings) {
        return Ok(Verdict::Rejected(rej));
    }
    let row = match own_shift(conn, backend, auth, &e.shift_id, "shift_id").await? {
        Ok(row) => row,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    // Core decides what a movement needs (a positive amount, a reason).
    if let Err(err) = core_shift(&e.shift_id, &row)?.record_movement(e.movement.clone()) {
        return Ok(Verdict::Rejected(reject(err.code(), movement_field(&err), err.to_string())));
    }
    let (kind, amount, reason) = match &e.movement {
        CashMovement::PaidIn { amount, reason } => ("paid_in", Some(amount.to_string()), reason),
        CashMovement::PaidOut { amount, reason } => ("paid_out", Some(amount.to_string()), reason),
        CashMovement::NoSale { reason } => ("no_sale", None, reason),
    };
    sqlx::query(
        "INSERT INTO cash_movements (mutation_id, shift_id, moved_at, kind, amount, reason, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.id.to_string())
    .bind(e.shift_id.to_string())
    .bind(e.at.to_rfc3339())
    .bind(kind)
    .bind(amount)
    .bind(reason)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(Verdict::Applied(Outcome::Applied))
}

/// The receipts' figures of a shift, in number order (numbers of one register have one width).
async fn shift_receipts(conn: &mut AnyConnection, shift_id: &str) -> Result<Vec<ReceiptFigures>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT number, figures FROM receipts WHERE shift_id = $1")
        .bind(shift_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut rows = rows;
    // Sorted here, not by the database: PostgreSQL's collation may order text otherwise.
    rows.sort();
    rows.iter().map(|(_, f)| from_json(f, "receipt figures")).collect()
}

/// The cash movements of a shift, in the order they were made.
async fn shift_movements(conn: &mut AnyConnection, shift_id: &str) -> Result<Vec<CashMovement>, AppError> {
    let mut rows: Vec<(String, String, String, Option<String>, String)> =
        sqlx::query_as("SELECT moved_at, mutation_id, kind, amount, reason FROM cash_movements WHERE shift_id = $1")
            .bind(shift_id)
            .fetch_all(&mut *conn)
            .await?;
    rows.sort();
    rows.into_iter()
        .map(|(_, id, kind, amount, reason)| {
            let amount = || {
                amount
                    .as_deref()
                    .map(|a| super::reference::stored_dec(a, "movement amount"))
                    .transpose()?
                    .ok_or_else(|| AppError::Internal(format!("stored movement {id} has no amount")))
            };
            Ok(match kind.as_str() {
                "paid_in" => CashMovement::PaidIn { amount: amount()?, reason },
                "paid_out" => CashMovement::PaidOut { amount: amount()?, reason },
                "no_sale" => CashMovement::NoSale { reason },
                other => return Err(AppError::Internal(format!("stored movement kind {other:?}"))),
            })
        })
        .collect()
}

/// The flag reasons of a closed shift whose reports differ: one per figure.
pub fn mismatch_reasons(differences: &[ReportDifference]) -> Vec<FlagReason> {
    differences
        .iter()
        .map(|d| FlagReason {
            rule: Z_REPORT_MISMATCH.into(),
            message: format!("{}: the device reported {}, the server's receipts give {}", d.field, d.device, d.server),
        })
        .collect()
}

/// `shift.close`.
pub(super) async fn close(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    auth: &AuthDevice,
    m: &Mutation,
    c: &ShiftClosing,
) -> Result<Verdict, AppError> {
    if let Err(rej) = counter_settings(settings) {
        return Ok(Verdict::Rejected(rej));
    }
    let row = match own_shift(conn, backend, auth, &c.shift_id, "shift_id").await? {
        Ok(row) => row,
        Err(rej) => return Ok(Verdict::Rejected(rej)),
    };
    let shift_id = c.shift_id.to_string();
    let receipts = shift_receipts(conn, &shift_id).await?;
    let movements = shift_movements(conn, &shift_id).await?;
    let (held_receipts, held_movements) = (receipts.len(), movements.len());
    // The server's Z report: the same shift, rebuilt from what the server holds, closed by core.
    let mut shift = core_shift(&c.shift_id, &row)?;
    for r in receipts {
        if let Err(e) = shift.record_receipt(r) {
            return Err(AppError::Internal(format!("stored receipts of shift {shift_id}: {e}")));
        }
    }
    for mv in movements {
        if let Err(e) = shift.record_movement(mv) {
            return Err(AppError::Internal(format!("stored movements of shift {shift_id}: {e}")));
        }
    }
    let server: ShiftReport = match shift.close(&c.closed_at.to_rfc3339(), c.counted.clone()) {
        Ok(z) => z.clone(),
        Err(e) => return Ok(Verdict::Rejected(reject(e.code(), "counted", e.to_string()))),
    };
    // A receipt or movement the server refused is missing here: a difference for the
    // supervisor, not a refused close.
    let differences = pos::closing_differences(c, held_receipts, held_movements, &server);
    let flagged = !differences.is_empty();
    sqlx::query(
        "UPDATE shifts SET closed_at = $1, closing_mutation = $2, counted = $3, device_report = $4, server_report = $5, \
         differences = $6, variance = $7, flagged = $8 WHERE shift_id = $9",
    )
    .bind(c.closed_at.to_rfc3339())
    .bind(m.id.to_string())
    .bind(to_json(&c.counted, "counted drawer")?)
    .bind(to_json(&c.report, "device report")?)
    .bind(to_json(&server, "server report")?)
    .bind(to_json(&differences, "report differences")?)
    .bind(server.variance.map(|v| v.to_string()))
    .bind(i64::from(flagged))
    .bind(&shift_id)
    .execute(&mut *conn)
    .await?;
    if flagged {
        tracing::info!(%shift_id, differences = differences.len(), "shift closed with a Z report that differs from the server's");
        return Ok(Verdict::Applied(Outcome::Flagged { reasons: mismatch_reasons(&differences) }));
    }
    Ok(Verdict::Applied(Outcome::Applied))
}

/// The flag reasons of an applied `shift.close` the server flagged (mutation `mutation_id`), or
/// `None`: a replay answers `flagged` again.
pub async fn close_flag_reasons(conn: &mut AnyConnection, mutation_id: &str) -> Result<Option<Vec<FlagReason>>, AppError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT differences FROM shifts WHERE closing_mutation = $1 AND flagged = 1")
            .bind(mutation_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((differences,)) = row else { return Ok(None) };
    let differences: Vec<ReportDifference> = from_json(&differences, "report differences")?;
    Ok(Some(mismatch_reasons(&differences)))
}
