//! Orders: what a rep sells to an outlet, validated and totalled the same way on the device and
//! on the server.
//!
//! The walking skeleton's order has lines (product, quantity, unit price) and one percentage
//! tax. Each line's net is rounded half-up to the currency's cent, the tax is computed on the
//! rounded subtotal and rounded half-up, and the total is their sum. The richer tax engine will
//! replace [`compute_totals`]' single rate; the document shape and the verification stay.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::{round, Dec, Rounding};

/// Most lines one order may carry; more is certainly a mistake (or an attack on memory).
pub const MAX_LINES: usize = 500;
/// Decimal places allowed in a quantity (grams of a kilogram, millilitres of a litre).
pub const QUANTITY_PLACES: u32 = 3;
/// Decimal places of the currency (every demo currency has cents).
pub const CURRENCY_PLACES: u32 = 2;
/// Largest quantity or unit price accepted on a line: far above any real sale, far below overflow.
const MAX_MAGNITUDE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// An order as the rep composes it: the input to validation and totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The outlet (customer) the order is for.
    pub outlet_id: String,
    /// The tax rate in percent, e.g. `"13"` for 13 %.
    pub tax_rate: Dec,
    /// What is sold.
    pub lines: Vec<OrderLineRequest>,
}

/// One line of an [`OrderRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    /// The product's SKU.
    pub sku: String,
    /// How many units; strictly positive.
    pub quantity: Dec,
    /// Price of one unit before tax, in the currency's smallest step.
    pub unit_price: Dec,
}

/// The computed totals of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTotals {
    /// Each line's net amount (quantity × unit price, rounded), in line order.
    pub line_nets: Vec<Dec>,
    /// Sum of the line nets.
    pub subtotal: Dec,
    /// Tax on the subtotal.
    pub tax: Dec,
    /// Subtotal plus tax.
    pub total: Dec,
}

/// A committed order as it travels in an `order.create` mutation and is stored on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderDocument {
    /// The order's identity (UUIDv7), chosen on the device.
    pub order_id: Uuid,
    /// When the rep committed it (device clock; informative, never used for ordering).
    pub committed_at: DateTime<Utc>,
    /// What was ordered.
    pub order: OrderRequest,
    /// The totals the device computed and showed the rep.
    pub totals: OrderTotals,
}

/// Why an order was refused. Every variant names the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum OrderError {
    /// A required text field is empty.
    #[error("{field} is required")]
    Required {
        /// The field, e.g. `outlet_id` or `lines[2].sku`.
        field: String,
    },
    /// The order has no lines.
    #[error("an order needs at least one line")]
    NoLines {
        /// Always `lines`.
        field: String,
    },
    /// The order has more lines than [`MAX_LINES`].
    #[error("an order may have at most {max} lines")]
    TooManyLines {
        /// Always `lines`.
        field: String,
        /// The limit.
        max: usize,
    },
    /// A quantity is zero or negative (returns are a separate document kind).
    #[error("{field} must be greater than zero")]
    NonPositiveQuantity {
        /// The offending field.
        field: String,
    },
    /// A price or rate is negative.
    #[error("{field} must not be negative")]
    Negative {
        /// The offending field.
        field: String,
    },
    /// A value has more decimal places than its kind allows.
    #[error("{field} may have at most {max_places} decimal places")]
    TooPrecise {
        /// The offending field.
        field: String,
        /// The allowed number of places.
        max_places: u32,
    },
    /// A value is beyond any plausible sale (and near the limits of exact arithmetic).
    #[error("{field} is too large")]
    TooLarge {
        /// The offending field.
        field: String,
    },
    /// The tax rate is above 100 %.
    #[error("{field} must be between 0 and 100 percent")]
    RateOutOfRange {
        /// Always `tax_rate`.
        field: String,
    },
    /// The SKU is not in the catalog.
    #[error("{field}: unknown product {sku}")]
    UnknownProduct {
        /// The offending field.
        field: String,
        /// The SKU that was not found.
        sku: String,
    },
    /// The unit price differs from the catalog's.
    #[error("{field} is {got}, but the price list says {expected}")]
    PriceMismatch {
        /// The offending field.
        field: String,
        /// The catalog's price.
        expected: Dec,
        /// The price on the order.
        got: Dec,
    },
    /// The outlet is unknown or not on this user's routes.
    #[error("{field}: unknown outlet")]
    UnknownOutlet {
        /// Always `outlet_id`.
        field: String,
    },
    /// The tax rate differs from the outlet's.
    #[error("{field} is {got}, but the outlet's rate is {expected}")]
    RateMismatch {
        /// Always `tax_rate`.
        field: String,
        /// The outlet's rate.
        expected: Dec,
        /// The rate on the order.
        got: Dec,
    },
    /// A total the device sent differs from the recomputation.
    #[error("{field} is {got}, but recomputing gives {expected}")]
    TotalMismatch {
        /// The total that differs, e.g. `totals.tax` or `totals.line_nets[3]`.
        field: String,
        /// The recomputed value.
        expected: Dec,
        /// The value on the document.
        got: Dec,
    },
}

impl OrderError {
    /// The stable machine-readable code (the same string as the serialized `code`).
    pub fn code(&self) -> &'static str {
        match self {
            OrderError::Required { .. } => "required",
            OrderError::NoLines { .. } => "no_lines",
            OrderError::TooManyLines { .. } => "too_many_lines",
            OrderError::NonPositiveQuantity { .. } => "non_positive_quantity",
            OrderError::Negative { .. } => "negative",
            OrderError::TooPrecise { .. } => "too_precise",
            OrderError::TooLarge { .. } => "too_large",
            OrderError::RateOutOfRange { .. } => "rate_out_of_range",
            OrderError::UnknownProduct { .. } => "unknown_product",
            OrderError::PriceMismatch { .. } => "price_mismatch",
            OrderError::UnknownOutlet { .. } => "unknown_outlet",
            OrderError::RateMismatch { .. } => "rate_mismatch",
            OrderError::TotalMismatch { .. } => "total_mismatch",
        }
    }

    /// The field the error is about.
    pub fn field(&self) -> &str {
        match self {
            OrderError::Required { field }
            | OrderError::NoLines { field }
            | OrderError::TooManyLines { field, .. }
            | OrderError::NonPositiveQuantity { field }
            | OrderError::Negative { field }
            | OrderError::TooPrecise { field, .. }
            | OrderError::TooLarge { field }
            | OrderError::RateOutOfRange { field }
            | OrderError::UnknownProduct { field, .. }
            | OrderError::PriceMismatch { field, .. }
            | OrderError::UnknownOutlet { field }
            | OrderError::RateMismatch { field, .. }
            | OrderError::TotalMismatch { field, .. } => field,
        }
    }
}

fn check_places(field: &str, v: Decimal, max_places: u32) -> Result<(), OrderError> {
    if v.normalize().scale() > max_places {
        return Err(OrderError::TooPrecise { field: field.into(), max_places });
    }
    Ok(())
}

/// Checks the shape of an order: required fields, signs, precision and magnitudes.
pub fn validate(order: &OrderRequest) -> Result<(), OrderError> {
    if order.outlet_id.trim().is_empty() {
        return Err(OrderError::Required { field: "outlet_id".into() });
    }
    let rate = order.tax_rate.value();
    if rate.is_sign_negative() && !rate.is_zero() {
        return Err(OrderError::Negative { field: "tax_rate".into() });
    }
    if rate > Decimal::ONE_HUNDRED {
        return Err(OrderError::RateOutOfRange { field: "tax_rate".into() });
    }
    check_places("tax_rate", rate, 4)?;
    if order.lines.is_empty() {
        return Err(OrderError::NoLines { field: "lines".into() });
    }
    if order.lines.len() > MAX_LINES {
        return Err(OrderError::TooManyLines { field: "lines".into(), max: MAX_LINES });
    }
    for (i, line) in order.lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        if line.sku.trim().is_empty() {
            return Err(OrderError::Required { field: f("sku") });
        }
        let q = line.quantity.value();
        if q <= Decimal::ZERO {
            return Err(OrderError::NonPositiveQuantity { field: f("quantity") });
        }
        check_places(&f("quantity"), q, QUANTITY_PLACES)?;
        if q > MAX_MAGNITUDE {
            return Err(OrderError::TooLarge { field: f("quantity") });
        }
        let p = line.unit_price.value();
        if p.is_sign_negative() && !p.is_zero() {
            return Err(OrderError::Negative { field: f("unit_price") });
        }
        check_places(&f("unit_price"), p, CURRENCY_PLACES)?;
        if p > MAX_MAGNITUDE {
            return Err(OrderError::TooLarge { field: f("unit_price") });
        }
    }
    Ok(())
}

/// Validates the order and computes its totals.
///
/// With the magnitude limits of [`validate`] (at most 500 lines of at most 10⁹ × 10⁹) every
/// intermediate stays far inside `Decimal`'s 28 digits, so the arithmetic cannot overflow.
pub fn compute_totals(order: &OrderRequest) -> Result<OrderTotals, OrderError> {
    validate(order)?;
    let line_nets: Vec<Decimal> = order
        .lines
        .iter()
        .map(|l| round(l.quantity.value() * l.unit_price.value(), CURRENCY_PLACES, Rounding::HalfUp))
        .collect();
    let subtotal: Decimal = line_nets.iter().copied().sum();
    let tax = round(
        subtotal * order.tax_rate.value() / Decimal::ONE_HUNDRED,
        CURRENCY_PLACES,
        Rounding::HalfUp,
    );
    Ok(OrderTotals {
        line_nets: line_nets.into_iter().map(Dec).collect(),
        subtotal: Dec(subtotal),
        tax: Dec(tax),
        total: Dec(subtotal + tax),
    })
}

/// What the catalog says about a product, for [`check_catalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogPrice {
    /// The product's current unit price.
    pub unit_price: Decimal,
}

/// Checks every line against the catalog: the product exists and the price is the list price.
pub fn check_catalog(
    order: &OrderRequest,
    lookup: impl Fn(&str) -> Option<CatalogPrice>,
) -> Result<(), OrderError> {
    for (i, line) in order.lines.iter().enumerate() {
        let Some(product) = lookup(&line.sku) else {
            return Err(OrderError::UnknownProduct {
                field: format!("lines[{i}].sku"),
                sku: line.sku.clone(),
            });
        };
        if product.unit_price != line.unit_price.value() {
            return Err(OrderError::PriceMismatch {
                field: format!("lines[{i}].unit_price"),
                expected: Dec(product.unit_price),
                got: line.unit_price,
            });
        }
    }
    Ok(())
}

/// Recomputes a document's totals and compares them, value by value, with what the device sent.
///
/// Returns the recomputed totals when everything matches to the cent.
pub fn verify_document(doc: &OrderDocument) -> Result<OrderTotals, OrderError> {
    let expected = compute_totals(&doc.order)?;
    let got = &doc.totals;
    let mismatch = |field: String, e: Dec, g: Dec| OrderError::TotalMismatch { field, expected: e, got: g };
    if got.line_nets.len() != expected.line_nets.len() {
        return Err(OrderError::TotalMismatch {
            field: "totals.line_nets".into(),
            expected: Dec(Decimal::from(expected.line_nets.len())),
            got: Dec(Decimal::from(got.line_nets.len())),
        });
    }
    for (i, (e, g)) in expected.line_nets.iter().zip(&got.line_nets).enumerate() {
        if e.value() != g.value() {
            return Err(mismatch(format!("totals.line_nets[{i}]"), *e, *g));
        }
    }
    for (field, e, g) in [
        ("totals.subtotal", expected.subtotal, got.subtotal),
        ("totals.tax", expected.tax, got.tax),
        ("totals.total", expected.total, got.total),
    ] {
        if e.value() != g.value() {
            return Err(mismatch(field.into(), e, g));
        }
    }
    Ok(expected)
}

#[cfg(test)]
mod tests;
