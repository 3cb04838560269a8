//! What validation says: findings, each with its rule, severity, field, message, the age of the
//! data it relied on and machine-readable details; and the verdict over all of them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::policy::Severity;
use crate::money::Dec;

/// The rule a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Outstanding balance + this device's pending orders + this order exceed the credit limit.
    CreditLimit,
    /// More of a product is ordered (summed over its lines) than is available.
    StockShortfall,
    /// The product's price is not valid on the order's business date.
    PriceListExpired,
    /// A line's quantity is below the product's minimum order quantity.
    MinOrderQuantity,
    /// A line's quantity is not a whole number of packs.
    PackMultiple,
    /// A line or order discount is above the cap for the user's role.
    DiscountCap,
    /// A required field is missing. The outlet and at least one line are always required
    /// (structural: always block); other fields as the policy lists them.
    MissingRequired,
    /// The same outlet got an order with the same lines within the policy's window.
    LikelyDuplicate,
    /// Structural, always block: the SKU is not in the catalog.
    UnknownProduct,
    /// Structural, always block: the quantity has more decimal places than the unit allows.
    QuantityPrecision,
    /// Structural, always block: the quantity is zero or negative (returns are another
    /// document kind).
    NonPositiveQuantity,
    /// Structural, always block: a discount is negative or above 100 %.
    InvalidDiscount,
}

impl Rule {
    /// Whether the rule is structural: no policy can allow it, it always blocks.
    pub fn is_structural(self) -> bool {
        matches!(
            self,
            Rule::UnknownProduct
                | Rule::QuantityPrecision
                | Rule::NonPositiveQuantity
                | Rule::InvalidDiscount
        )
    }
}

/// Machine-readable details of a finding; the variant matches the finding's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Details {
    /// See [`Rule::CreditLimit`].
    CreditLimit {
        /// The outlet's credit limit.
        limit: Dec,
        /// The outstanding balance relied on.
        outstanding: Dec,
        /// This device's unsynced orders for the outlet.
        pending_on_device: Dec,
        /// This order's total.
        order_total: Dec,
        /// `outstanding + pending_on_device + order_total`.
        exposure: Dec,
        /// `exposure - limit`: by how much the limit is exceeded.
        excess: Dec,
    },
    /// See [`Rule::StockShortfall`].
    StockShortfall {
        /// The product.
        sku: String,
        /// Quantity ordered, summed over the order's lines of this SKU.
        ordered: Dec,
        /// Quantity available.
        available: Dec,
        /// `ordered - available`.
        shortfall: Dec,
    },
    /// See [`Rule::PriceListExpired`].
    PriceListExpired {
        /// The product.
        sku: String,
        /// The order's business date.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
        business_date: NaiveDate,
        /// First date the price is valid.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
        valid_from: NaiveDate,
        /// First date the price is no longer valid, if any.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string | null"))]
        valid_until: Option<NaiveDate>,
    },
    /// See [`Rule::MinOrderQuantity`].
    MinOrderQuantity {
        /// The product.
        sku: String,
        /// The line's quantity.
        quantity: Dec,
        /// The minimum order quantity.
        minimum: Dec,
    },
    /// See [`Rule::PackMultiple`].
    PackMultiple {
        /// The product.
        sku: String,
        /// The line's quantity.
        quantity: Dec,
        /// Units per pack.
        pack_size: Dec,
        /// The nearest whole number of packs below the quantity (may be zero).
        lower: Dec,
        /// The nearest whole number of packs above the quantity.
        upper: Dec,
    },
    /// See [`Rule::DiscountCap`].
    DiscountCap {
        /// The user's role.
        role: String,
        /// The discount given, in percent.
        discount_percent: Dec,
        /// The role's cap, in percent (zero for a role the policy does not list).
        cap_percent: Dec,
    },
    /// See [`Rule::MissingRequired`]; the finding's `field` names what is missing.
    MissingRequired,
    /// See [`Rule::LikelyDuplicate`].
    LikelyDuplicate {
        /// The earlier order with the same lines.
        duplicate_of: Uuid,
        /// When that order was committed.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
        committed_at: DateTime<Utc>,
    },
    /// See [`Rule::UnknownProduct`].
    UnknownProduct {
        /// The SKU not found.
        sku: String,
    },
    /// See [`Rule::QuantityPrecision`].
    QuantityPrecision {
        /// The product.
        sku: String,
        /// The line's quantity.
        quantity: Dec,
        /// Decimal places the unit allows.
        max_places: u32,
    },
    /// See [`Rule::NonPositiveQuantity`].
    NonPositiveQuantity {
        /// The product.
        sku: String,
        /// The line's quantity.
        quantity: Dec,
    },
    /// See [`Rule::InvalidDiscount`].
    InvalidDiscount {
        /// The discount given, in percent.
        discount_percent: Dec,
    },
}

impl Details {
    /// The rule these details belong to.
    pub fn rule(&self) -> Rule {
        match self {
            Details::CreditLimit { .. } => Rule::CreditLimit,
            Details::StockShortfall { .. } => Rule::StockShortfall,
            Details::PriceListExpired { .. } => Rule::PriceListExpired,
            Details::MinOrderQuantity { .. } => Rule::MinOrderQuantity,
            Details::PackMultiple { .. } => Rule::PackMultiple,
            Details::DiscountCap { .. } => Rule::DiscountCap,
            Details::MissingRequired => Rule::MissingRequired,
            Details::LikelyDuplicate { .. } => Rule::LikelyDuplicate,
            Details::UnknownProduct { .. } => Rule::UnknownProduct,
            Details::QuantityPrecision { .. } => Rule::QuantityPrecision,
            Details::NonPositiveQuantity { .. } => Rule::NonPositiveQuantity,
            Details::InvalidDiscount { .. } => Rule::InvalidDiscount,
        }
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// How severe it is under the policy (always `block` for structural rules).
    pub severity: Severity,
    /// The field concerned, e.g. `lines[2].quantity`, `outlet.credit`, `requested_delivery_date`.
    pub field: String,
    /// What is wrong, for a person, with the age of the data relied on where it matters
    /// (e.g. "Over the credit limit by 120.50 (credit as of 2026-11-21 18:00 UTC)").
    pub message: String,
    /// When the data the finding relied on was computed: always set for credit and stock.
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub data_as_of: Option<DateTime<Utc>>,
    /// Machine-readable details.
    pub details: Details,
}

/// The outcome of validating an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Whether any finding blocks the order: it cannot be committed as it is.
    pub blocked: bool,
    /// Whether any finding is `warn_and_flag`: the order goes to a supervisor's review on sync.
    pub flagged_for_review: bool,
    /// Every finding, blocking ones first, then warnings, then those only recorded; within a
    /// severity, in the order the rules run (see [`crate::validation`]).
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Builds the verdict from findings (sorted by severity, stably).
    pub fn from_findings(mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|f| f.severity);
        Verdict {
            blocked: findings.iter().any(|f| f.severity == Severity::Block),
            flagged_for_review: findings.iter().any(|f| f.severity == Severity::WarnAndFlag),
            findings,
        }
    }

    /// The findings to show the user: everything but `allow`.
    pub fn shown(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity != Severity::Allow)
    }

    /// The findings of one rule.
    pub fn of_rule(&self, rule: Rule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}
