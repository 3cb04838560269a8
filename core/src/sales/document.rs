//! The committed document the device sends in its outbox, and the server's check of it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::catalog::Catalog;
use super::error::{SalesError, SalesRejection};
use super::model::{OutletInfo, SalesContext, SalesOrder, SalesSettings};
use super::quote::{amount_due, price, taxable, Quote};
use crate::money::Dec;
use crate::tax::model::RuleSet;
use crate::tax::verify::{ClaimedTaxes, VerifyError};
use crate::validation::{validate, Finding, Severity};

/// A committed order, as it travels in the outbox and is stored on the server.
///
/// Everything the rep saw is recorded: the price list and unit prices, every tax amount per
/// line (the tax engine's [`ClaimedTaxes`]: lines with ids `"0"`, `"1"` … in order), the amount
/// due and the validation findings. The server recomputes all of it ([`verify`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesDocument {
    /// The order's identity (UUIDv7), chosen on the device.
    pub order_id: Uuid,
    /// The number printed on the document (e.g. `"R07-000123"`), chosen on the device.
    pub document_number: String,
    /// When the rep committed it (device clock). The server validates as of this moment.
    pub committed_at: DateTime<Utc>,
    /// What was ordered.
    pub order: SalesOrder,
    /// The price list the order was priced from.
    pub price_list_id: String,
    /// Each line's unit price, in line order.
    pub unit_prices: Vec<Dec>,
    /// The taxes per line and per tax, the document's tax and total before cash rounding.
    pub taxes: ClaimedTaxes,
    /// The amount due (cash-rounded when paid cash and the rule set says so).
    pub total: Dec,
    /// Every finding of the device's validation (shown or only recorded), for the record.
    pub findings: Vec<Finding>,
    /// Whether the device's validation flagged the order for review.
    pub flagged: bool,
    /// Sold at the counter: the shift, the register and the tenders (the document number is
    /// then the register's receipt number). Absent for a rep's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<crate::pos::CounterSale>,
    /// Billed from a stop of a delivery day. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<crate::delivery::DayLink>,
}

impl SalesDocument {
    /// The document for `order`, committed at `committed_at` from its `quote`.
    ///
    /// Pass the `now` the quote was computed with as `committed_at`: the server validates as of
    /// `committed_at`. Refused when the quote blocks ([`SalesError::Blocked`], with the first
    /// blocking finding's rule as its code and its field) or is not a quote of this order
    /// ([`SalesError::QuoteMismatch`]).
    pub fn from_quote(
        order_id: Uuid,
        document_number: String,
        committed_at: DateTime<Utc>,
        order: SalesOrder,
        quote: &Quote,
    ) -> Result<SalesDocument, SalesError> {
        if let Some(f) = quote.verdict.findings.iter().find(|f| f.severity == Severity::Block) {
            return Err(SalesError::Blocked { field: f.field.clone(), rule: f.rule, message: f.message.clone() });
        }
        let (Some(taxes), Some(total)) = (&quote.taxes, quote.total) else {
            return Err(SalesError::QuoteMismatch { field: "taxes".into(), reason: "the quote has no taxes".into() });
        };
        if quote.unit_prices.len() != order.lines.len() || taxes.lines.len() != order.lines.len() {
            return Err(SalesError::QuoteMismatch {
                field: "lines".into(),
                reason: format!(
                    "the order has {} lines, the quote {}",
                    order.lines.len(),
                    quote.unit_prices.len()
                ),
            });
        }
        Ok(SalesDocument {
            order_id,
            document_number,
            committed_at,
            order,
            price_list_id: quote.price_list_id.clone(),
            unit_prices: quote.unit_prices.clone(),
            taxes: ClaimedTaxes::from(taxes),
            total,
            findings: quote.verdict.findings.clone(),
            flagged: quote.verdict.flagged_for_review,
            counter: None,
            delivery: None,
        })
    }
}

/// The server's acceptance of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerVerdict {
    /// Whether the order goes to a supervisor's review: some finding is `warn_and_flag` under
    /// the server's data and policy.
    pub flagged: bool,
    /// Those findings, in the order validation gives them.
    pub reasons: Vec<Finding>,
    /// The server's own tax result for the order (what a receipt's figures are counted from);
    /// absent when validation found a structural error. Not part of the wire format.
    #[serde(skip)]
    pub taxes: Option<crate::tax::TaxResult>,
}

/// The server's check of a device's document: recomputes the quote from the server's
/// authoritative data and compares.
///
/// In order, the first difference refuses the document:
/// 1. The order must price with the server's data ([`SalesRejection::Invalid`], e.g. a product
///    the server does not know, naming `lines[i].sku`).
/// 2. `price_list_id`, then the number of `unit_prices` and each `unit_prices[i]`.
/// 3. When validation finds a structural error, the order is refused as blocked (step 5).
/// 4. Every tax figure through [`crate::tax::verify::verify`], fields prefixed with `taxes.`
///    (e.g. `taxes.lines[1].taxes.HST-ON-PROV.amount`, `taxes.tax`, `taxes.total`), then the
///    amount due, `total`.
/// 5. The server's verdict: when it blocks, [`SalesRejection::Blocked`] with the first blocking
///    rule as its code and its field.
///
/// Validation runs as of the document's `committed_at` (`server_ctx.now` is not used), with the
/// server's credit, stock and recent orders (which must leave out this order). The device's
/// own findings and flag stay on the document for the record; the result's flag is the
/// server's alone, since its data is authoritative.
pub fn verify(
    settings: &SalesSettings,
    rules: &RuleSet,
    catalog: &Catalog<'_>,
    outlet: &OutletInfo,
    doc: &SalesDocument,
    server_ctx: &SalesContext,
) -> Result<ServerVerdict, SalesRejection> {
    let order = &doc.order;
    let counter_outlet;
    let outlet = if doc.counter.is_some() {
        counter_outlet = super::effects::paying_at_counter(outlet);
        &counter_outlet
    } else {
        outlet
    };
    let priced = price(settings, rules, catalog, outlet, order)?;
    if priced.list.id != doc.price_list_id {
        return Err(SalesRejection::PriceListMismatch {
            field: "price_list_id".into(),
            expected: priced.list.id.clone(),
            got: doc.price_list_id.clone(),
        });
    }
    if priced.unit_prices.len() != doc.unit_prices.len() {
        return Err(SalesRejection::PriceMismatch {
            field: "unit_prices".into(),
            expected: priced.unit_prices.len().to_string(),
            got: doc.unit_prices.len().to_string(),
        });
    }
    for (i, (ours, theirs)) in priced.unit_prices.iter().zip(&doc.unit_prices).enumerate() {
        if ours.value() != theirs.value() {
            return Err(SalesRejection::PriceMismatch {
                field: format!("unit_prices[{i}]"),
                expected: ours.to_string(),
                got: theirs.to_string(),
            });
        }
    }
    let mut input = priced.validation_input(outlet, order, server_ctx, doc.committed_at);
    let first = validate(&settings.policy, &input);
    let mut computed = None;
    let verdict = if taxable(order, &first) {
        let taxes = crate::tax::verify::verify(rules, &priced.tax_document, &doc.taxes).map_err(|e| match e {
            VerifyError::Tax(e) => SalesRejection::Invalid(SalesError::Tax(e)),
            VerifyError::TaxMismatch { field, line_id, tax, expected, got } => {
                SalesRejection::TaxMismatch { field: format!("taxes.{field}"), line_id, tax, expected, got }
            }
        })?;
        let total = amount_due(&taxes);
        if total.value() != doc.total.value() {
            return Err(SalesRejection::TotalMismatch { field: "total".into(), expected: total, got: doc.total });
        }
        input.order.total = total;
        computed = Some(taxes);
        validate(&settings.policy, &input)
    } else {
        first
    };
    if let Some(f) = verdict.findings.iter().find(|f| f.severity == Severity::Block) {
        return Err(SalesRejection::Blocked { field: f.field.clone(), finding: Box::new(f.clone()) });
    }
    Ok(ServerVerdict {
        flagged: verdict.flagged_for_review,
        reasons: verdict.findings.into_iter().filter(|f| f.severity == Severity::WarnAndFlag).collect(),
        taxes: computed,
    })
}
