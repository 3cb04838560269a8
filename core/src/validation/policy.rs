//! The deployment's validation policy: how severe each rule is, and the rules' parameters.
//!
//! A policy travels as JSON (it syncs down with the rest of the deployment's settings). Every
//! field has a default, so `{}` is the default policy and a deployment writes only what it
//! changes:
//!
//! ```json
//! {
//!   "severity": { "credit_limit": "block", "stock_shortfall": "allow" },
//!   "duplicate_window_minutes": 15,
//!   "discount_caps": { "rep": "10", "supervisor": "30" },
//!   "required_fields": ["requested_delivery_date"]
//! }
//! ```
//!
//! Unknown fields, unknown severities and unknown required-field names are refused, so that a
//! typo in the configuration is a clear error instead of a rule silently not applied.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::finding::Rule;
use crate::money::Dec;

/// What happens when a rule finds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The order cannot be committed until the finding is resolved.
    Block,
    /// The order is allowed; the finding is shown as a warning and the order is flagged for a
    /// supervisor's review when it syncs.
    WarnAndFlag,
    /// The order is allowed; the finding is recorded with the order but nothing is shown.
    Allow,
}

/// One severity per configurable rule.
///
/// The structural rules ([`Rule::UnknownProduct`], [`Rule::NonPositiveQuantity`],
/// [`Rule::QuantityPrecision`], [`Rule::InvalidDiscount`]) have no entry: no policy can allow
/// them, they always [`Severity::Block`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct RuleSeverities {
    /// The outlet's exposure (outstanding + pending + this order) exceeds its credit limit.
    /// Default: `warn_and_flag` (the brief's default for credit).
    #[serde(default = "warn_and_flag")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub credit_limit: Severity,
    /// More of a product is ordered than is in stock. Default: `warn_and_flag`.
    #[serde(default = "warn_and_flag")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub stock_shortfall: Severity,
    /// The product's price is not valid on the order's business date. Default: `block`.
    #[serde(default = "block")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub price_list_expired: Severity,
    /// A line's quantity is below the product's minimum order quantity. Default: `block`.
    #[serde(default = "block")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub min_order_quantity: Severity,
    /// A line's quantity is not a whole number of packs. Default: `block`.
    #[serde(default = "block")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub pack_multiple: Severity,
    /// A discount is above the cap for the user's role. Default: `block`.
    #[serde(default = "block")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub discount_cap: Severity,
    /// A field the deployment requires is missing. Default: `block`.
    #[serde(default = "block")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub missing_required: Severity,
    /// The same outlet got an order with the same lines a few minutes ago. Default:
    /// `warn_and_flag`.
    #[serde(default = "warn_and_flag")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub likely_duplicate: Severity,
}

fn block() -> Severity {
    Severity::Block
}

fn warn_and_flag() -> Severity {
    Severity::WarnAndFlag
}

impl Default for RuleSeverities {
    fn default() -> Self {
        RuleSeverities {
            credit_limit: Severity::WarnAndFlag,
            stock_shortfall: Severity::WarnAndFlag,
            price_list_expired: Severity::Block,
            min_order_quantity: Severity::Block,
            pack_multiple: Severity::Block,
            discount_cap: Severity::Block,
            missing_required: Severity::Block,
            likely_duplicate: Severity::WarnAndFlag,
        }
    }
}

/// An optional order field a deployment can make mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OrderField {
    /// The date the outlet wants the delivery.
    RequestedDeliveryDate,
    /// The rep's free-text note.
    Note,
    /// The outlet's own reference (purchase order number).
    CustomerReference,
}

impl OrderField {
    /// The field's name in the order, as findings name it (e.g. `requested_delivery_date`).
    pub fn name(self) -> &'static str {
        match self {
            OrderField::RequestedDeliveryDate => "requested_delivery_date",
            OrderField::Note => "note",
            OrderField::CustomerReference => "customer_reference",
        }
    }

    /// The field's name for a person (e.g. "Requested delivery date").
    pub fn label(self) -> &'static str {
        match self {
            OrderField::RequestedDeliveryDate => "Requested delivery date",
            OrderField::Note => "Note",
            OrderField::CustomerReference => "Customer reference",
        }
    }
}

/// The validation policy a deployment configures. `{}` in JSON is [`ValidationPolicy::default`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct ValidationPolicy {
    /// How severe each configurable rule is; rules not listed keep their default.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub severity: RuleSeverities,
    /// How many minutes apart two orders for the same outlet with the same lines count as a
    /// likely duplicate (inclusive: exactly this far apart still counts). Default: 10.
    #[serde(default = "default_duplicate_window")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub duplicate_window_minutes: u32,
    /// The highest discount, in percent, each role may give on a line or on the order
    /// (e.g. `{"rep": "10", "supervisor": "30"}`, the default). A role not listed may give no
    /// discount at all (cap 0).
    #[serde(default = "default_discount_caps")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub discount_caps: BTreeMap<String, Dec>,
    /// Optional order fields this deployment makes mandatory. Default: none (the outlet and at
    /// least one line are always required, whatever the policy).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub required_fields: Vec<OrderField>,
}

/// The default likely-duplicate window, in minutes.
pub const DEFAULT_DUPLICATE_WINDOW_MINUTES: u32 = 10;

fn default_duplicate_window() -> u32 {
    DEFAULT_DUPLICATE_WINDOW_MINUTES
}

fn default_discount_caps() -> BTreeMap<String, Dec> {
    BTreeMap::from([
        ("rep".to_owned(), Dec(Decimal::TEN)),
        ("supervisor".to_owned(), Dec(Decimal::from(30))),
    ])
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        ValidationPolicy {
            severity: RuleSeverities::default(),
            duplicate_window_minutes: DEFAULT_DUPLICATE_WINDOW_MINUTES,
            discount_caps: default_discount_caps(),
            required_fields: Vec::new(),
        }
    }
}

impl ValidationPolicy {
    /// The severity of a rule under this policy. Structural rules are always
    /// [`Severity::Block`], whatever the policy says.
    pub fn severity_of(&self, rule: Rule) -> Severity {
        let s = &self.severity;
        match rule {
            Rule::CreditLimit => s.credit_limit,
            Rule::StockShortfall => s.stock_shortfall,
            Rule::PriceListExpired => s.price_list_expired,
            Rule::MinOrderQuantity => s.min_order_quantity,
            Rule::PackMultiple => s.pack_multiple,
            Rule::DiscountCap => s.discount_cap,
            Rule::MissingRequired => s.missing_required,
            Rule::LikelyDuplicate => s.likely_duplicate,
            Rule::UnknownProduct
            | Rule::QuantityPrecision
            | Rule::NonPositiveQuantity
            | Rule::InvalidDiscount => Severity::Block,
        }
    }

    /// The discount cap, in percent, for `role`; zero for a role the policy does not list.
    pub fn discount_cap(&self, role: &str) -> Decimal {
        self.discount_caps.get(role).map_or(Decimal::ZERO, |c| c.value())
    }

    /// A policy with every configurable rule at `severity` (tests and "audit only" deployments).
    pub fn all(severity: Severity) -> Self {
        ValidationPolicy {
            severity: RuleSeverities {
                credit_limit: severity,
                stock_shortfall: severity,
                price_list_expired: severity,
                min_order_quantity: severity,
                pack_multiple: severity,
                discount_cap: severity,
                missing_required: severity,
                likely_duplicate: severity,
            },
            ..ValidationPolicy::default()
        }
    }
}
