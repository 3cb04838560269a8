//! Pricing, taxing and validating an order: [`quote`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::catalog::Catalog;
use super::error::SalesError;
use super::model::{OutletInfo, PriceList, SalesContext, SalesOrder, SalesSettings};
use crate::money::Dec;
use crate::tax::model::{Discount, RuleSet, TaxDocument, TaxLine};
use crate::tax::TaxResult;
use crate::validation::{
    validate, CreditPosition, LineUnderValidation, OrderUnderValidation, PriceValidity, ProductFacts,
    ValidationInput, Verdict,
};

/// Most lines one order may carry; more is certainly a mistake (or an attack on memory).
pub const MAX_LINES: usize = 500;

/// An order priced, taxed and validated: what the rep sees before committing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct Quote {
    /// The price list the unit prices come from.
    pub price_list_id: String,
    /// The unit price of each line, in line order, from the price list.
    pub unit_prices: Vec<Dec>,
    /// The tax engine's result, with its breakdown per line and per tax. Absent when
    /// validation found a structural error (a zero, negative or too precise quantity, a discount
    /// outside 0–100 %, no lines): such an order cannot be committed, and the tax engine is not
    /// fed with it. Line `i` of the result has the id `"i"`.
    pub taxes: Option<TaxResult>,
    /// The amount due: the tax result's total, or its cash-rounded total when the order is paid
    /// cash and the rule set rounds cash. Absent exactly when `taxes` is.
    pub total: Option<Dec>,
    /// Validation under the deployment's policy, with `total` as the order's total (zero when
    /// absent: credit is then judged on the outlet's balance alone).
    pub verdict: Verdict,
}

/// Prices `order` from the outlet's price list, taxes it under `rules` and validates it under
/// `settings.policy`. The same pure function runs on the device (with its local data) and, in
/// [`crate::sales::verify`], on the server (with its authoritative data).
///
/// 1. The order must be for `outlet`, the settings must name `rules` and its currency, and
///    the order may have at most [`MAX_LINES`] lines.
/// 2. The price list is [`Catalog::price_list_for`] the outlet's group on the business date;
///    a list not in force on that date still prices the order, and validation reports
///    [`crate::validation::Rule::PriceListExpired`] for every line (blocking under the default
///    policy).
/// 3. Every line's product must be in the catalog and priced by the list
///    ([`SalesError::UnknownProduct`], [`SalesError::NoPrice`], both naming `lines[i].sku`).
/// 4. Validation runs. If it finds a structural error, the quote stops there without taxes.
/// 5. Otherwise the tax engine computes the document (place of supply, customer and
///    delivery from the outlet, `origin` from the settings, `prices_include_tax` from the list,
///    tax class and extra taxes from each product, line and order discounts as percentages,
///    cash), and validation runs again with the amount due as the order's total (credit).
pub fn quote(
    settings: &SalesSettings,
    rules: &RuleSet,
    catalog: &Catalog<'_>,
    outlet: &OutletInfo,
    order: &SalesOrder,
    ctx: &SalesContext,
) -> Result<Quote, SalesError> {
    let priced = price(settings, rules, catalog, outlet, order)?;
    let mut input = priced.validation_input(outlet, order, ctx, ctx.now);
    let first = validate(&settings.policy, &input);
    if !taxable(order, &first) {
        return Ok(priced.into_quote(None, None, first));
    }
    let taxes = crate::tax::compute(rules, &priced.tax_document)?;
    let total = amount_due(&taxes);
    input.order.total = total;
    let verdict = validate(&settings.policy, &input);
    Ok(priced.into_quote(Some(taxes), Some(total), verdict))
}

/// An order's prices and the tax document built from them, before any tax is computed.
pub(super) struct Priced<'a> {
    pub(super) list: &'a PriceList,
    pub(super) unit_prices: Vec<Dec>,
    pub(super) tax_document: TaxDocument,
    facts: BTreeMap<String, ProductFacts>,
}

/// Steps 1–3 of [`quote`], and the tax document.
pub(super) fn price<'a>(
    settings: &SalesSettings,
    rules: &RuleSet,
    catalog: &Catalog<'a>,
    outlet: &OutletInfo,
    order: &SalesOrder,
) -> Result<Priced<'a>, SalesError> {
    if order.outlet_id != outlet.id {
        return Err(SalesError::OutletMismatch {
            field: "outlet_id".into(),
            expected: outlet.id.clone(),
            got: order.outlet_id.clone(),
        });
    }
    if settings.rule_set != rules.id {
        return Err(SalesError::SettingsMismatch {
            field: "rule_set".into(),
            expected: settings.rule_set.clone(),
            got: rules.id.clone(),
        });
    }
    if settings.currency != rules.currency.code {
        return Err(SalesError::SettingsMismatch {
            field: "currency".into(),
            expected: settings.currency.clone(),
            got: rules.currency.code.clone(),
        });
    }
    if order.lines.len() > MAX_LINES {
        return Err(SalesError::TooManyLines { field: "lines".into(), max: MAX_LINES });
    }
    let list = catalog
        .price_list_for(&outlet.group, order.business_date)
        .ok_or_else(|| SalesError::NoPriceList { field: "outlet.group".into(), group: outlet.group.clone() })?;
    let validity = PriceValidity { valid_from: list.valid_from, valid_until: list.valid_until };
    let mut unit_prices = Vec::with_capacity(order.lines.len());
    let mut lines = Vec::with_capacity(order.lines.len());
    let mut facts = BTreeMap::new();
    for (i, line) in order.lines.iter().enumerate() {
        let field = || format!("lines[{i}].sku");
        let product = catalog
            .product(&line.sku)
            .ok_or_else(|| SalesError::UnknownProduct { field: field(), sku: line.sku.clone() })?;
        let unit_price = list.prices.get(&line.sku).copied().ok_or_else(|| SalesError::NoPrice {
            field: field(),
            sku: line.sku.clone(),
            price_list_id: list.id.clone(),
        })?;
        unit_prices.push(unit_price);
        // A return is taxed as the mirror of the sale.
        let quantity = if order.kind.is_sale() { line.quantity } else { Dec(-line.quantity.value()) };
        lines.push(TaxLine {
            id: i.to_string(),
            quantity,
            unit_price,
            tax_class: product.tax_class.clone(),
            discount: line.discount_percent.map(Discount::Percent),
            extra_taxes: product.extra_taxes.clone(),
        });
        let sale = order.kind.is_sale();
        facts.entry(product.sku.clone()).or_insert_with(|| ProductFacts {
            unit: product.unit.clone(),
            quantity_places: product.quantity_places,
            min_order_quantity: if sale { product.min_order_quantity } else { None },
            pack_size: if sale { product.pack_size } else { None },
            price_validity: validity,
        });
    }
    let tax_document = TaxDocument {
        business_date: order.business_date,
        place_of_supply: outlet.place_of_supply.clone(),
        origin: settings.origin.clone(),
        customer: outlet.customer.clone(),
        delivered_to_reserve: outlet.delivered_to_reserve,
        prices_include_tax: list.prices_include_tax,
        lines,
        document_discount: order.order_discount_percent.map(Discount::Percent),
        document_discount_on: None,
        cash: order.cash,
        fiscal_position: None,
        company_currency: None,
    };
    Ok(Priced { list, unit_prices, tax_document, facts })
}

impl Priced<'_> {
    /// What validation looks at, with a zero total (set it once the taxes are known).
    pub(super) fn validation_input(
        &self,
        outlet: &OutletInfo,
        order: &SalesOrder,
        ctx: &SalesContext,
        now: DateTime<Utc>,
    ) -> ValidationInput {
        ValidationInput {
            order: OrderUnderValidation {
                outlet_id: order.outlet_id.clone(),
                business_date: order.business_date,
                lines: order
                    .lines
                    .iter()
                    .map(|l| LineUnderValidation {
                        sku: l.sku.clone(),
                        quantity: l.quantity,
                        discount_percent: l.discount_percent,
                    })
                    .collect(),
                order_discount_percent: order.order_discount_percent,
                total: Dec(Decimal::ZERO),
                requested_delivery_date: order.requested_delivery_date,
                note: order.note.clone(),
                customer_reference: order.customer_reference.clone(),
            },
            role: ctx.role.clone(),
            catalog: self.facts.clone(),
            // A return consumes no stock and uses no credit.
            stock: if order.kind.is_sale() { ctx.stock.clone() } else { BTreeMap::new() },
            credit: outlet.credit.filter(|_| order.kind.is_sale()).map(|c| CreditPosition {
                limit: c.limit,
                outstanding: c.outstanding,
                as_of: c.as_of,
                pending_on_device: ctx.pending_on_device,
            }),
            recent_orders: ctx.recent_orders.clone(),
            now,
        }
    }

    pub(super) fn into_quote(self, taxes: Option<TaxResult>, total: Option<Dec>, verdict: Verdict) -> Quote {
        Quote { price_list_id: self.list.id.clone(), unit_prices: self.unit_prices, taxes, total, verdict }
    }
}

/// Whether the tax engine may be fed the order: it has lines and validation found nothing
/// structural about them.
pub(super) fn taxable(order: &SalesOrder, verdict: &Verdict) -> bool {
    !order.lines.is_empty() && !verdict.findings.iter().any(|f| f.rule.is_structural())
}

/// The amount due: the cash-rounded total when there is one, else the total.
pub(super) fn amount_due(taxes: &TaxResult) -> Dec {
    taxes.cash_rounding.as_ref().map_or(taxes.total, |c| c.total)
}

