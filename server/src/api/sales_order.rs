//! `sales_order.create` in a push: the server's check of a v2 order document and what applying
//! it writes.
//!
//! The check, in order (the first failure rejects the mutation, naming the field):
//! 1. The deployment has sales settings (else `unsupported_kind`).
//! 2. The outlet exists, has v2 data and is on the user's routes (supervisor: any), else
//!    `unknown_outlet` (`outlet_id`). Its row is locked (PostgreSQL) for the balance update.
//! 3. The order id is new, else `duplicate_order` (`order_id`).
//! 4. The document number is the settings' prefix and a number in canonical form
//!    (`numbering::format_number`), inside one of this device's leased ranges, and claimed by no
//!    earlier mutation, applied or rejected, else `document_number` (`document_number`). A
//!    number inside the device's ranges is recorded with the mutation whatever the outcome (a
//!    number is never reused: the gap policy), and moves the range's `used_through`.
//! 5. `satchel_core::sales::verify` with the server's data: the catalog and the outlet group's
//!    price lists (restricted to the order's SKUs), the settings and their rule set, the outlet
//!    with its current balance, the user's role, the user's van stock (locked), and the outlet's
//!    orders of the same kind committed within the policy's duplicate window. Its rejection's
//!    code and field are core's (`price_mismatch` `unit_prices[0]`, `tax_mismatch`
//!    `taxes.lines[0].taxes.HST-ON-PROV.amount`, `total_mismatch` `total`, a blocking rule …).
//!
//! A receipt of the counter (the document has a `counter` part) is checked the same way, with
//! its register's receipt-number prefix instead of the deployment's, then its shift and its
//! tenders (and, for a refund, the receipt it returns) by [`super::counter`]; applying also
//! writes its `receipts` row. An invoice billed during a delivery day (a `delivery` link) needs
//! its day known, the user's and open ([`super::delivery::check_link`]: `unknown_day`,
//! `day_not_yours`, `day_closed`, field `delivery.day_id`); applying records the day on the
//! order (`orders.day_id`), which the day's settlement counts by.
//!
//! Applying writes the order (version 2, the document's figures, which the server has just
//! recomputed), a review-queue row when the server's verdict flags it, the outlet's new balance
//! (plus the order's total: a return's total is negative), the invoice owed when it is one (a
//! rep's sale not paid cash: [`crate::receivables::is_receivable`]) and the van's new stock (a
//! sale takes the goods out, a return puts them back), all in the push's transaction, with the
//! pull feed's rows of the outlet (scope its route) and of each van stock row it changed (scope
//! the user).

use std::collections::BTreeMap;

use chrono::Utc;
use rust_decimal::Decimal;
use satchel_core::money::Dec;
use satchel_core::pos::CheckedReceipt;
use satchel_core::sales::effects;
use satchel_core::sales::numbering::{format_number, parse_number};
use satchel_core::sales::{self, rule_code, Catalog, OutletInfo, SalesContext, SalesDocument, ServerVerdict};
use satchel_core::sync::protocol::rejection_codes::{DOCUMENT_NUMBER, DUPLICATE_ORDER};
use satchel_core::sync::protocol::{Entity, FlagReason, Mutation};
use satchel_core::validation::{RecentOrder, StockLevel};
use sqlx::AnyConnection;

use super::order_batch::{Batch, Table};
use super::recent::{remembered, stored_recent, Probe};
use super::{counter, delivery};
use super::push::Rejection;
use super::reference::role_name;
use crate::auth::AuthDevice;
use crate::db::{insert_vals, timestamp, Backend, Val};
use crate::errors::AppError;
use crate::feed::{self, Scope};
use crate::sales::{self as store, Settings};

/// What the check found acceptable, with the data applying it needs.
pub(super) struct Checked {
    /// The server's verdict: flagged or not, and why.
    pub verdict: ServerVerdict,
    /// The outlet as read (locked) before the order.
    pub outlet: OutletInfo,
    /// The van stock of the order's SKUs before the order.
    pub stock: BTreeMap<String, StockLevel>,
    /// A receipt of the counter, settled and counted by core.
    pub receipt: Option<CheckedReceipt>,
}

/// The outcome of the check: the number to record with the mutation (when it was inside the
/// device's leases), and the verdict or the rejection. The outer error is a server fault.
pub(super) type CheckResult = (Option<String>, Result<Checked, Rejection>);

fn reject(code: &str, field: &str, reason: String) -> Rejection {
    Rejection { code: code.into(), reason, field: Some(field.into()) }
}

/// Checks a v2 order document against the server's data (see the module's documentation).
/// With `batch` (a plain order of a push: [`super::order_batch`]), the data is read from the
/// batch, which the push loaded for all its plain orders, instead of from the database.
pub(super) async fn check(
    conn: &mut AnyConnection,
    backend: Backend,
    settings: Option<&Settings>,
    routes: Option<&[String]>,
    auth: &AuthDevice,
    doc: &SalesDocument,
    mut batch: Option<&mut Batch>,
) -> Result<CheckResult, AppError> {
    let Some(settings) = settings else {
        return Ok((
            None,
            Err(reject("unsupported_kind", "kind", "this server has no sales settings: it takes no sales_order.create".into())),
        ));
    };
    // The feed's lock before the outlet's and the van's rows (see `feed::lock`): applying the
    // order records them in the feed. (A batch took it, and its rows, when it loaded.)
    let outlet = match batch.as_deref_mut() {
        Some(b) => b.outlet(&doc.order.outlet_id),
        None => {
            crate::feed::lock(conn, backend).await?;
            store::outlet_for_update(conn, backend, &doc.order.outlet_id).await?
        }
    };
    let outlet = outlet.filter(|o| routes.is_none_or(|rs| rs.contains(&o.route)));
    let Some(outlet) = outlet else {
        return Ok((
            None,
            Err(reject(
                "unknown_outlet",
                "outlet_id",
                format!("outlet_id: outlet {:?} does not exist or is not on your routes", doc.order.outlet_id),
            )),
        ));
    };
    let exists = match batch.as_deref_mut() {
        Some(b) => b.order_exists(&doc.order_id.to_string()),
        None => sqlx::query_as::<_, (String,)>("SELECT order_id FROM orders WHERE order_id = $1")
            .bind(doc.order_id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    };
    if exists {
        return Ok((
            None,
            Err(reject(DUPLICATE_ORDER, "order_id", format!("order {} was already received", doc.order_id))),
        ));
    }

    // The document number: a receipt's is of its register (the user's), an order's of the
    // deployment.
    let prefix = match &doc.counter {
        None => settings.number_prefix.clone(),
        Some(sale) => match counter::receipt_prefix_for(conn, settings, auth, sale).await? {
            Ok(p) => p,
            Err(rej) => return Ok((None, Err(rej))),
        },
    };
    let prefix = prefix.as_str();
    let number = parse_number(prefix, &doc.document_number).filter(|n| format_number(prefix, *n) == doc.document_number);
    let Some(n) = number else {
        return Ok((
            None,
            Err(reject(
                DOCUMENT_NUMBER,
                "document_number",
                format!(
                    "document_number: {:?} is not a document number of this deployment ({} and at least 7 digits, e.g. {})",
                    doc.document_number,
                    prefix,
                    format_number(prefix, 1000)
                ),
            )),
        ));
    };
    let device = auth.device_id.to_string();
    let leased = |leases: &[store::Lease]| leases.iter().any(|l| l.range.prefix == prefix && l.range.contains(n));
    let leased = match batch.as_deref_mut() {
        Some(b) => leased(b.leases()),
        None => leased(&store::leases(conn, &device).await?),
    };
    if !leased {
        return Ok((
            None,
            Err(reject(
                DOCUMENT_NUMBER,
                "document_number",
                format!("document_number: {} is not in a range leased to this device", doc.document_number),
            )),
        ));
    }
    let canonical = format_number(prefix, n);
    let claimed = match batch.as_deref_mut() {
        Some(b) => {
            b.mark_used(prefix, n);
            b.number_claimed(&canonical)
        }
        None => {
            store::mark_used(conn, &device, prefix, n).await?;
            sqlx::query_as::<_, (String,)>("SELECT device_id FROM mutations WHERE document_number = $1")
                .bind(&canonical)
                .fetch_optional(&mut *conn)
                .await?
                .is_some()
        }
    };
    if claimed {
        // Not recorded again: the number belongs to the first document that claimed it.
        return Ok((
            None,
            Err(reject(
                DOCUMENT_NUMBER,
                "document_number",
                format!("document_number: {canonical} was already used by another document"),
            )),
        ));
    }

    if let Some(sale) = &doc.counter {
        if let Err(rej) = counter::check_shift(conn, backend, auth, sale).await? {
            return Ok((Some(canonical), Err(rej)));
        }
    }
    if let Some(link) = &doc.delivery {
        if let Err(rej) = delivery::check_link(conn, backend, auth, link).await? {
            return Ok((Some(canonical), Err(rej)));
        }
    }

    // The server's recomputation.
    let skus = store::distinct(doc.order.lines.iter().map(|l| l.sku.as_str()));
    let (products, lists, stock, recent_orders) = match batch {
        Some(b) => (b.products(&skus), b.price_lists(&outlet.group, &skus), b.stock(&skus), b.recent_orders(settings, doc)),
        None => (
            store::products(conn, Some(&skus)).await?,
            store::price_lists(conn, Some(std::slice::from_ref(&outlet.group)), Some(&skus)).await?,
            store::van_stock(conn, backend, &auth.username, Some(&skus), true).await?,
            recent_orders(conn, settings, doc).await?,
        ),
    };
    let rules = store::rule_set(&settings.sales.rule_set)?;
    let ctx = SalesContext {
        role: role_name(auth.role).into(),
        now: Utc::now(),
        stock: stock.clone(),
        pending_on_device: Dec::default(),
        recent_orders,
    };
    let catalog = Catalog::new(&products, &lists);
    let verdict = match sales::verify(&settings.sales, &rules, &catalog, &outlet, doc, &ctx) {
        Ok(v) => v,
        Err(e) => {
            return Ok((Some(canonical), Err(Rejection { code: e.code().into(), reason: e.to_string(), field: Some(e.field().into()) })))
        }
    };
    let receipt = match &doc.counter {
        None => None,
        Some(_) => match counter::check_receipt(conn, settings, &rules, doc, &verdict).await? {
            Ok(r) => Some(r),
            Err(rej) => return Ok((Some(canonical), Err(rej))),
        },
    };
    Ok((Some(canonical), Ok(Checked { verdict, outlet, stock, receipt })))
}

/// The outlet's orders the likely-duplicate rule could name for `doc` (see [`Probe`]).
async fn recent_orders(
    conn: &mut AnyConnection,
    settings: &Settings,
    doc: &SalesDocument,
) -> Result<Vec<RecentOrder>, AppError> {
    let Some(probe) = Probe::of(settings, doc) else {
        return Ok(Vec::new());
    };
    let rows = stored_recent(conn, std::slice::from_ref(&probe)).await?;
    Ok(rows.into_iter().filter(|r| probe.could_name(r)).filter_map(|r| r.order).collect())
}

/// `sale` or `return`, as `orders.kind` stores it.
pub(super) fn kind_of(doc: &SalesDocument) -> &'static str {
    if doc.order.kind.is_sale() {
        "sale"
    } else {
        "return"
    }
}

/// An amount as stored: at least two decimals.
fn amount(d: Dec) -> String {
    let mut v = d.value();
    if v.scale() < 2 {
        v.rescale(2);
    }
    v.to_string()
}

/// The document's tax per tax code, summed over its lines.
pub fn tax_breakdown(doc: &SalesDocument) -> BTreeMap<String, String> {
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for line in &doc.taxes.lines {
        for t in &line.taxes {
            *sums.entry(t.code.clone()).or_default() += t.amount.value();
        }
    }
    sums.into_iter().map(|(code, sum)| (code, amount(Dec(sum)))).collect()
}

/// Writes an accepted v2 order and its effects; returns the flag reasons when the server
/// flagged it. With `batch`, the balance, the van stock and their feed rows go to the batch
/// (written once per row when it flushes) instead of to the database now.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    m: &Mutation,
    doc: &SalesDocument,
    checked: &Checked,
    seq: i64,
    received_at: &str,
    mut batch: Option<&mut Batch>,
) -> Result<Option<Vec<FlagReason>>, AppError> {
    let order_id = doc.order_id.to_string();
    let document = serde_json::to_string(doc).map_err(|e| AppError::Internal(format!("serialize order: {e}")))?;
    let breakdown = serde_json::to_string(&tax_breakdown(doc))
        .map_err(|e| AppError::Internal(format!("serialize tax breakdown: {e}")))?;
    let line_count = i64::try_from(doc.order.lines.len()).map_err(|_| AppError::Internal("line count".into()))?;
    let subtotal = Dec(doc.taxes.total.value() - doc.taxes.tax.value());
    let kind = kind_of(doc);
    let flagged = checked.verdict.flagged;
    let row: Vec<Val> = vec![
        order_id.clone().into(),
        auth.device_id.to_string().into(),
        seq.into(),
        m.id.to_string().into(),
        auth.username.as_str().into(),
        doc.order.outlet_id.as_str().into(),
        timestamp(doc.committed_at).into(),
        amount(subtotal).into(),
        amount(doc.taxes.tax).into(),
        amount(doc.total).into(),
        line_count.into(),
        document.into(),
        received_at.into(),
        2i64.into(),
        doc.document_number.as_str().into(),
        kind.into(),
        i64::from(flagged).into(),
        doc.price_list_id.as_str().into(),
        breakdown.into(),
        doc.delivery.as_ref().map(|l| l.day_id.to_string()).into(),
    ];
    match batch.as_deref_mut() {
        Some(b) => b.rows(Table::Orders).push(row),
        None => insert_vals(conn, Table::Orders.columns(), Table::Orders.width(), &[row]).await?,
    }
    // What the likely-duplicate rule will compare of it (`recent::stored_recent`), and the key
    // of its lines, by which a push reads back only what could match.
    let order = effects::duplicate_rule_applies(doc).then(|| effects::recent_order(doc));
    let (recent, lines_key) =
        remembered(order.as_ref()).map_err(|e| AppError::Internal(format!("serialize recent order: {e}")))?;
    let row: Vec<Val> = vec![
        order_id.clone().into(),
        doc.order.outlet_id.as_str().into(),
        kind.into(),
        timestamp(doc.committed_at).into(),
        recent.into(),
        lines_key.into(),
    ];
    match batch.as_deref_mut() {
        Some(b) => b.rows(Table::Recent).push(row),
        None => insert_vals(conn, Table::Recent.columns(), Table::Recent.width(), &[row]).await?,
    }

    // The outlet's balance: the demo's stand-in for the ERP's accounts receivable; and the
    // invoice owed, which crews collect against.
    let receivable = match batch.as_deref_mut() {
        Some(b) => match crate::receivables::sale_row(doc, received_at) {
            Some(row) => {
                b.rows(Table::Receivables).push(row);
                true
            }
            None => false,
        },
        None => crate::receivables::record_sale(conn, doc, received_at).await?,
    };
    let route = &checked.outlet.route;
    if let Some(credit) = checked.outlet.credit {
        let outstanding = amount(Dec(credit.outstanding.value() + effects::balance_effect(doc)));
        match batch.as_deref_mut() {
            Some(b) => b.set_outstanding(&doc.order.outlet_id, route, outstanding, received_at)?,
            None => {
                sqlx::query("UPDATE outlets SET outstanding = $1, credit_as_of = $2 WHERE id = $3")
                    .bind(outstanding)
                    .bind(received_at)
                    .bind(&doc.order.outlet_id)
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    if checked.outlet.credit.is_some() || receivable {
        match batch.as_deref_mut() {
            Some(b) => b.outlet_changed(&doc.order.outlet_id, route),
            None => {
                feed::record(conn, Entity::Outlet, &doc.order.outlet_id, Scope::Route(route), false).await?;
            }
        }
    }

    // The van: a sale takes the goods out, a return puts them back (core's rule, which the
    // device uses to derive its own van).
    for (sku, moved) in effects::van_movements(&doc.order) {
        let Some(level) = checked.stock.get(sku) else { continue };
        let available = Dec(level.available.value() + moved);
        if let Some(b) = batch.as_deref_mut() {
            b.set_stock(sku, available, received_at)?;
            continue;
        }
        sqlx::query("UPDATE van_stock SET available = $1, as_of = $2 WHERE username = $3 AND sku = $4")
            .bind(available.to_string())
            .bind(received_at)
            .bind(&auth.username)
            .bind(sku)
            .execute(&mut *conn)
            .await?;
        let key = format!("{}/{sku}", auth.username);
        feed::record(conn, Entity::VanStock, &key, Scope::User(&auth.username), false).await?;
    }
    if let Some(b) = batch.as_deref_mut() {
        b.order_stored(doc);
    }

    if let Some(receipt) = &checked.receipt {
        counter::store_receipt(conn, doc, receipt, received_at).await?;
    }

    if !flagged {
        return Ok(None);
    }
    let reasons = serde_json::to_string(&checked.verdict.reasons)
        .map_err(|e| AppError::Internal(format!("serialize reasons: {e}")))?;
    let row: Vec<Val> = vec![
        order_id.into(),
        auth.device_id.to_string().into(),
        auth.username.as_str().into(),
        reasons.into(),
        "open".into(),
        received_at.into(),
    ];
    match batch {
        Some(b) => b.rows(Table::Review).push(row),
        None => insert_vals(conn, Table::Review.columns(), Table::Review.width(), &[row]).await?,
    }
    Ok(Some(
        checked
            .verdict
            .reasons
            .iter()
            .map(|f| FlagReason { rule: rule_code(f.rule).into(), message: f.message.clone() })
            .collect(),
    ))
}
