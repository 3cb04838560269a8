//! What customers owe and what crews are told at a stop: the receivables (invoices on account)
//! with the collections paid against them, and the notes left at earlier visits.
//!
//! - **Which sale is a receivable.** A rep's sale (`sales_order.create` without a counter part)
//!   that is not paid cash on delivery: [`is_receivable`], the rule the device lists an outlet's
//!   open invoices by (`core::device::day::open_invoices`). A receipt of the counter is paid at
//!   the till; a return owes nothing.
//! - **Paying.** A collection raises `paid` of each invoice it is allocated to ([`pay`]); the
//!   invoice is `settled_at` once nothing is left to pay.
//! - **What devices get** ([`attach`], in `OutletInfo.invoices`): the outlet's open invoices and
//!   those settled within [`RECENTLY_PAID_DAYS`], each with the collections its figures include,
//!   so a device can tell which of its own collections the server's figures already count; and
//!   the last [`MAX_VISIT_NOTES`] visit notes, newest first.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use satchel_core::delivery::{InvoiceInfo, OpenInvoice, VisitNote};
use satchel_core::money::Dec;
use satchel_core::sales::{OrderKind, OutletInfo, SalesDocument};
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::api::reference::stored_dec;
use crate::db::{insert_vals, placeholders, timestamp, Backend, Val};
use crate::errors::AppError;

/// How long an invoice paid in full is still sent to devices.
pub const RECENTLY_PAID_DAYS: i64 = 30;
/// How many visit notes of an outlet devices get.
pub const MAX_VISIT_NOTES: usize = 5;
/// Outlets per query of [`attach`] (well under both backends' bind-parameter limits).
const IDS_PER_QUERY: usize = 500;

/// An invoice on account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receivable {
    /// The invoice (the order's id).
    pub order_id: Uuid,
    /// The customer.
    pub outlet_id: String,
    /// Its number.
    pub number: String,
    /// When it was issued.
    pub issued_on: NaiveDate,
    /// Its total.
    pub total: Dec,
    /// What collections paid of it.
    pub paid: Dec,
}

impl Receivable {
    /// What it still owes (never below zero).
    pub fn outstanding(&self) -> Decimal {
        (self.total.value() - self.paid.value()).max(Decimal::ZERO)
    }

    /// As core's collection rule sees it.
    pub fn open_invoice(&self) -> OpenInvoice {
        OpenInvoice { order_id: self.order_id, number: self.number.clone(), outstanding: Dec(self.outstanding()) }
    }
}

/// Whether an accepted document is owed by its customer: a rep's sale not paid cash on delivery.
pub fn is_receivable(doc: &SalesDocument) -> bool {
    doc.counter.is_none() && !doc.order.cash && doc.order.kind == OrderKind::Sale
}

/// An amount as stored: at least two decimals.
pub fn amount_text(v: Decimal) -> String {
    let mut v = v;
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

fn stored_uuid(text: &str, what: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

fn stored_date(text: &str, what: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

/// Records an accepted sale as a receivable when it is one ([`is_receivable`]); returns whether
/// it did.
pub async fn record_sale(conn: &mut AnyConnection, doc: &SalesDocument, at: &str) -> Result<bool, AppError> {
    let Some(row) = sale_row(doc, at) else { return Ok(false) };
    insert_vals(conn, COLUMNS, WIDTH, &[row]).await?;
    Ok(true)
}

/// The receivable row of an order when it is one ([`is_receivable`]); `at` is the time it is
/// written. For a batch of rows written by [`insert_vals`] with [`COLUMNS`].
pub fn sale_row(doc: &SalesDocument, at: &str) -> Option<Vec<Val>> {
    is_receivable(doc).then(|| {
        row(&doc.order_id, &doc.order.outlet_id, &doc.document_number, doc.order.business_date, doc.total.value(), at)
    })
}

/// The `receivables` table and the columns [`row`] fills, for [`insert_vals`].
pub const COLUMNS: &str = "receivables (order_id, outlet_id, number, issued_on, total, paid, settled_at, updated_at)";
/// How many values a [`row`] holds.
pub const WIDTH: usize = 8;

/// A receivable with nothing paid yet, as a row of [`COLUMNS`].
fn row(order_id: &Uuid, outlet_id: &str, number: &str, issued_on: NaiveDate, total: Decimal, at: &str) -> Vec<Val> {
    vec![
        order_id.to_string().into(),
        outlet_id.into(),
        number.into(),
        issued_on.format("%Y-%m-%d").to_string().into(),
        amount_text(total).into(),
        "0.00".into(),
        Val::Null,
        at.into(),
    ]
}

/// Inserts a receivable with nothing paid yet.
pub async fn insert(
    conn: &mut AnyConnection,
    order_id: &Uuid,
    outlet_id: &str,
    number: &str,
    issued_on: NaiveDate,
    total: Decimal,
    at: &str,
) -> Result<(), AppError> {
    insert_vals(conn, COLUMNS, WIDTH, &[row(order_id, outlet_id, number, issued_on, total, at)]).await?;
    Ok(())
}

type Row = (String, String, String, String, String, String);

fn receivable(r: Row) -> Result<Receivable, AppError> {
    let (order_id, outlet_id, number, issued_on, total, paid) = r;
    Ok(Receivable {
        order_id: stored_uuid(&order_id, "receivable")?,
        issued_on: stored_date(&issued_on, "issued_on")?,
        total: stored_dec(&total, "receivable total")?,
        paid: stored_dec(&paid, "receivable paid")?,
        outlet_id,
        number,
    })
}

/// The outlet's invoices with something left to pay, oldest first, locked for this transaction
/// on PostgreSQL (SQLite's push holds the write lock): a collection reads, checks and pays them.
pub async fn open_for_update(conn: &mut AnyConnection, backend: Backend, outlet_id: &str) -> Result<Vec<Receivable>, AppError> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT order_id, outlet_id, number, issued_on, total, paid FROM receivables \
         WHERE outlet_id = $1 AND settled_at IS NULL{lock}"
    ))
    .bind(outlet_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = rows.into_iter().map(receivable).collect::<Result<Vec<_>, _>>()?;
    // Sorted here, not by the database: PostgreSQL's collation may order text otherwise.
    out.sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
    out.retain(|r| r.outstanding() > Decimal::ZERO);
    Ok(out)
}

/// Pays `amount` of `invoice` (read by [`open_for_update`] in this transaction): `paid` grows,
/// and the invoice is settled when nothing is left.
pub async fn pay(conn: &mut AnyConnection, invoice: &Receivable, amount: Decimal, at: &str) -> Result<(), AppError> {
    let paid = invoice.paid.value() + amount;
    let settled = (paid >= invoice.total.value()).then_some(at);
    sqlx::query("UPDATE receivables SET paid = $1, settled_at = $2, updated_at = $3 WHERE order_id = $4")
        .bind(amount_text(paid))
        .bind(settled)
        .bind(at)
        .bind(invoice.order_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Adds a note to an outlet's visit notes.
pub async fn add_visit_note(conn: &mut AnyConnection, id: &str, outlet_id: &str, on: NaiveDate, by: &str, note: &str) -> Result<(), AppError> {
    sqlx::query("INSERT INTO visit_notes (id, outlet_id, noted_on, author, note) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(outlet_id)
        .bind(on.format("%Y-%m-%d").to_string())
        .bind(by)
        .bind(note)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Fills `invoices` and `visit_notes` of `outlets` (see the module's documentation), as of `now`.
pub async fn attach(conn: &mut AnyConnection, outlets: &mut [OutletInfo], now: DateTime<Utc>) -> Result<(), AppError> {
    if outlets.is_empty() {
        return Ok(());
    }
    let cutoff = timestamp(now - chrono::Duration::days(RECENTLY_PAID_DAYS));
    let ids: Vec<String> = outlets.iter().map(|o| o.id.clone()).collect();
    let mut invoices: BTreeMap<String, Vec<InvoiceInfo>> = BTreeMap::new();
    let mut collections: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
    let mut notes: BTreeMap<String, Vec<VisitNote>> = BTreeMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let n = chunk.len();
        let in_list = placeholders(1, n);
        let recent = format!("(settled_at IS NULL OR settled_at >= ${})", n + 1);
        let sql = format!(
            "SELECT order_id, outlet_id, number, issued_on, total, paid FROM receivables WHERE outlet_id IN ({in_list}) AND {recent}"
        );
        let mut q = sqlx::query_as(&sql);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        let rows: Vec<Row> = q.bind(cutoff.as_str()).fetch_all(&mut *conn).await?;
        for r in rows {
            let r = receivable(r)?;
            invoices.entry(r.outlet_id.clone()).or_default().push(InvoiceInfo {
                order_id: r.order_id,
                number: r.number.clone(),
                issued_on: r.issued_on,
                total: r.total,
                outstanding: Dec(r.outstanding()),
                collections: Vec::new(),
            });
        }
        let sql = format!(
            "SELECT a.order_id, a.collection_id FROM collection_allocations a JOIN receivables r ON r.order_id = a.order_id \
             WHERE r.outlet_id IN ({in_list}) AND (r.settled_at IS NULL OR r.settled_at >= ${})",
            n + 1
        );
        let mut q = sqlx::query_as(&sql);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        let rows: Vec<(String, String)> = q.bind(cutoff.as_str()).fetch_all(&mut *conn).await?;
        for (order_id, collection_id) in rows {
            collections.entry(order_id).or_default().push(stored_uuid(&collection_id, "collection id")?);
        }
        let sql = format!("SELECT outlet_id, noted_on, author, note FROM visit_notes WHERE outlet_id IN ({in_list})");
        let mut q = sqlx::query_as(&sql);
        for id in chunk {
            q = q.bind(id.as_str());
        }
        let rows: Vec<(String, String, String, String)> = q.fetch_all(&mut *conn).await?;
        for (outlet_id, on, by, note) in rows {
            notes.entry(outlet_id).or_default().push(VisitNote { on: stored_date(&on, "visit note date")?, by, note });
        }
    }
    for o in outlets.iter_mut() {
        let mut list = invoices.remove(&o.id).unwrap_or_default();
        for i in &mut list {
            let mut ids = collections.remove(&i.order_id.to_string()).unwrap_or_default();
            ids.sort();
            i.collections = ids;
        }
        list.sort_by(|a, b| (a.issued_on, &a.number).cmp(&(b.issued_on, &b.number)));
        o.invoices = list;
        let mut n = notes.remove(&o.id).unwrap_or_default();
        n.sort_by(|a, b| (b.on, &b.by, &b.note).cmp(&(a.on, &a.by, &a.note)));
        n.truncate(MAX_VISIT_NOTES);
        o.visit_notes = n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use satchel_core::money::parse_decimal;

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("decimal"))
    }

    #[test]
    fn outstanding_is_what_is_left_never_below_zero() {
        let r = Receivable {
            order_id: Uuid::nil(),
            outlet_id: "O".into(),
            number: "SO-0000101".into(),
            issued_on: NaiveDate::default(),
            total: d("100.00"),
            paid: d("40.50"),
        };
        assert_eq!(r.outstanding(), d("59.50").value());
        assert_eq!(Receivable { paid: d("120"), ..r.clone() }.outstanding(), Decimal::ZERO);
        assert_eq!(r.open_invoice().outstanding, d("59.50"));
        assert_eq!(amount_text(d("5").value()), "5.00");
        assert_eq!(amount_text(d("5.125").value()), "5.125");
    }
}
