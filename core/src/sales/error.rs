//! Why an order could not be priced ([`SalesError`]) and why the server refused a document
//! ([`SalesRejection`]). Every variant has a stable `code()` and names the `field()` concerned;
//! in JSON both are `{"code", "field", "message"}`.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use crate::money::Dec;
use crate::tax::model::TaxError;
use crate::validation::{Finding, Rule};

/// Why an order could not be priced and taxed (or committed). Things validation reports
/// (quantities, discounts, credit, stock …) are findings of the [`crate::validation::Verdict`],
/// not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SalesError {
    /// The order is for another outlet than the one given to price it with.
    #[error("{field}: the order is for outlet {got}, priced as outlet {expected}")]
    OutletMismatch {
        /// Always `outlet_id`.
        field: String,
        /// The outlet given.
        expected: String,
        /// The order's outlet.
        got: String,
    },
    /// The settings name another rule set or currency than the rule set given.
    #[error("{field}: the settings say {expected}, the rule set is {got}")]
    SettingsMismatch {
        /// `rule_set` or `currency`.
        field: String,
        /// What the settings say.
        expected: String,
        /// What the rule set is.
        got: String,
    },
    /// The order has more lines than [`crate::sales::MAX_LINES`].
    #[error("{field}: an order may have at most {max} lines")]
    TooManyLines {
        /// Always `lines`.
        field: String,
        /// The limit.
        max: usize,
    },
    /// The caller passed more reference items than [`crate::sales::request::MAX_REFERENCE_ITEMS`].
    #[error("{field}: at most {max} items")]
    TooManyItems {
        /// `products` or `price_lists`.
        field: String,
        /// The limit.
        max: usize,
    },
    /// The outlet's group has no price list at all.
    #[error("{field}: no price list for outlet group {group}")]
    NoPriceList {
        /// Always `outlet.group`.
        field: String,
        /// The group.
        group: String,
    },
    /// A line's SKU is not in the catalog (or is empty).
    #[error("{field}: unknown product {sku:?}")]
    UnknownProduct {
        /// `lines[i].sku`.
        field: String,
        /// The SKU given.
        sku: String,
    },
    /// The outlet's price list has no price for a line's product: it cannot be sold to the
    /// outlet.
    #[error("{field}: price list {price_list_id} has no price for {sku}")]
    NoPrice {
        /// `lines[i].sku`.
        field: String,
        /// The SKU.
        sku: String,
        /// The price list consulted.
        price_list_id: String,
    },
    /// The tax engine refused the document; the field is the engine's (`lines[i]` is the
    /// order's line `i`; `place_of_supply` and `customer.*` are the outlet's).
    #[error(transparent)]
    Tax(TaxError),
    /// A blocked quote cannot be committed. The code is the first blocking rule's.
    #[error("{field}: {message}")]
    Blocked {
        /// The first blocking finding's field.
        field: String,
        /// Its rule.
        rule: Rule,
        /// Its message.
        message: String,
    },
    /// The quote given to build a document is not a quote of the order given.
    #[error("{field}: {reason}")]
    QuoteMismatch {
        /// The field that does not fit.
        field: String,
        /// What does not fit.
        reason: String,
    },
}

impl From<TaxError> for SalesError {
    fn from(e: TaxError) -> Self {
        SalesError::Tax(e)
    }
}

impl SalesError {
    /// The stable code: the tax engine's code for [`SalesError::Tax`], the rule's (e.g.
    /// `price_list_expired`) for [`SalesError::Blocked`].
    pub fn code(&self) -> &'static str {
        match self {
            SalesError::OutletMismatch { .. } => "outlet_mismatch",
            SalesError::SettingsMismatch { .. } => "settings_mismatch",
            SalesError::TooManyLines { .. } => "too_many_lines",
            SalesError::TooManyItems { .. } => "too_many_items",
            SalesError::NoPriceList { .. } => "no_price_list",
            SalesError::UnknownProduct { .. } => "unknown_product",
            SalesError::NoPrice { .. } => "no_price",
            SalesError::Tax(e) => e.code(),
            SalesError::Blocked { rule, .. } => rule_code(*rule),
            SalesError::QuoteMismatch { .. } => "quote_mismatch",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            SalesError::Tax(e) => e.field(),
            SalesError::OutletMismatch { field, .. }
            | SalesError::SettingsMismatch { field, .. }
            | SalesError::TooManyLines { field, .. }
            | SalesError::TooManyItems { field, .. }
            | SalesError::NoPriceList { field, .. }
            | SalesError::UnknownProduct { field, .. }
            | SalesError::NoPrice { field, .. }
            | SalesError::Blocked { field, .. }
            | SalesError::QuoteMismatch { field, .. } => field,
        }
    }
}

impl Serialize for SalesError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        problem(s, self.code(), self.field(), &self.to_string())
    }
}

/// Why the server refused a device's document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SalesRejection {
    /// The order cannot be priced with the server's data (unknown product, no price …).
    #[error(transparent)]
    Invalid(SalesError),
    /// The device priced the order from another price list.
    #[error("{field}: the device used {got}, the server uses {expected}")]
    PriceListMismatch {
        /// Always `price_list_id`.
        field: String,
        /// The server's price list.
        expected: String,
        /// The device's.
        got: String,
    },
    /// A unit price (or their number) differs from the server's price list.
    #[error("{field}: the device says {got}, the price list says {expected}")]
    PriceMismatch {
        /// `unit_prices[i]` (or `unit_prices` when their number differs).
        field: String,
        /// The server's figure.
        expected: String,
        /// The device's.
        got: String,
    },
    /// A tax figure differs from the server's recomputation.
    #[error("{field}: the device says {got}, the server computes {expected}")]
    TaxMismatch {
        /// E.g. `taxes.lines[0].taxes.HST-ON-PROV.amount`, `taxes.tax`, `taxes.total`.
        field: String,
        /// The line's id (its index in the order), when the difference is on a line.
        line_id: Option<String>,
        /// The tax code, when the difference is in a tax.
        tax: Option<String>,
        /// The server's figure.
        expected: String,
        /// The device's.
        got: String,
    },
    /// The document's total (the amount due) differs from the server's.
    #[error("{field}: the device says {got}, the server computes {expected}")]
    TotalMismatch {
        /// Always `total`.
        field: String,
        /// The server's total.
        expected: Dec,
        /// The device's.
        got: Dec,
    },
    /// The server's validation blocks the order. The code is the first blocking rule's.
    #[error("{field}: {}", finding.message)]
    Blocked {
        /// The first blocking finding's field.
        field: String,
        /// That finding.
        finding: Box<Finding>,
    },
}

impl SalesRejection {
    /// The stable code: [`SalesError::code`] for [`SalesRejection::Invalid`], the first blocking
    /// rule's (e.g. `credit_limit`) for [`SalesRejection::Blocked`].
    pub fn code(&self) -> &'static str {
        match self {
            SalesRejection::Invalid(e) => e.code(),
            SalesRejection::PriceListMismatch { .. } => "price_list_mismatch",
            SalesRejection::PriceMismatch { .. } => "price_mismatch",
            SalesRejection::TaxMismatch { .. } => "tax_mismatch",
            SalesRejection::TotalMismatch { .. } => "total_mismatch",
            SalesRejection::Blocked { finding, .. } => rule_code(finding.rule),
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            SalesRejection::Invalid(e) => e.field(),
            SalesRejection::PriceListMismatch { field, .. }
            | SalesRejection::PriceMismatch { field, .. }
            | SalesRejection::TaxMismatch { field, .. }
            | SalesRejection::TotalMismatch { field, .. }
            | SalesRejection::Blocked { field, .. } => field,
        }
    }
}

impl From<SalesError> for SalesRejection {
    fn from(e: SalesError) -> Self {
        SalesRejection::Invalid(e)
    }
}

impl Serialize for SalesRejection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        problem(s, self.code(), self.field(), &self.to_string())
    }
}

fn problem<S: Serializer>(s: S, code: &str, field: &str, message: &str) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("Problem", 3)?;
    st.serialize_field("code", code)?;
    st.serialize_field("field", field)?;
    st.serialize_field("message", message)?;
    st.end()
}

/// A rule's stable code: its JSON name (`credit_limit`, `price_list_expired` …).
pub fn rule_code(rule: Rule) -> &'static str {
    match rule {
        Rule::CreditLimit => "credit_limit",
        Rule::StockShortfall => "stock_shortfall",
        Rule::PriceListExpired => "price_list_expired",
        Rule::MinOrderQuantity => "min_order_quantity",
        Rule::PackMultiple => "pack_multiple",
        Rule::DiscountCap => "discount_cap",
        Rule::MissingRequired => "missing_required",
        Rule::LikelyDuplicate => "likely_duplicate",
        Rule::UnknownProduct => "unknown_product",
        Rule::QuantityPrecision => "quantity_precision",
        Rule::NonPositiveQuantity => "non_positive_quantity",
        Rule::InvalidDiscount => "invalid_discount",
    }
}
