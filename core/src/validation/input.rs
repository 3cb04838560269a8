//! What validation looks at: the order and the facts the caller gathered for it.
//!
//! Everything is a plain value, dated where its age matters (credit and stock carry the server
//! time they were computed). The device gathers them from its local store at commit; the server
//! gathers the same shapes from its authoritative data. Amounts and quantities are decimal
//! strings in JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Dec;

/// Everything one validation needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationInput {
    /// The order being committed.
    pub order: OrderUnderValidation,
    /// The role of the user committing it (e.g. `"rep"`), for the discount caps.
    pub role: String,
    /// Catalog facts for the order's products, by SKU. A SKU of the order that is not here is
    /// an unknown product.
    pub catalog: BTreeMap<String, ProductFacts>,
    /// Stock by SKU. A SKU that is not here is not stock-tracked (a service, or goods shipped
    /// from a warehouse the device knows nothing about): no shortfall is reported for it.
    #[serde(default)]
    pub stock: BTreeMap<String, StockLevel>,
    /// The outlet's credit position; absent when the outlet has no credit terms (then the
    /// credit rule does not apply).
    #[serde(default)]
    pub credit: Option<CreditPosition>,
    /// Orders recently committed (on this device, or on the server: already received), for the
    /// likely-duplicate rule. Orders of other outlets are ignored. The caller leaves out the
    /// order being validated itself.
    #[serde(default)]
    pub recent_orders: Vec<RecentOrder>,
    /// The moment of the commit. On the device, the clock at commit; on the server, the
    /// document's `committed_at`, so that re-validation looks at the same moment.
    pub now: DateTime<Utc>,
}

/// The order as validation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderUnderValidation {
    /// The outlet (customer). Always required.
    pub outlet_id: String,
    /// The order's business date (the deployment's local date of the order): the date whose
    /// prices apply.
    pub business_date: NaiveDate,
    /// What is sold; at least one line is always required. Quantities are strictly positive
    /// (returns are a separate document kind).
    pub lines: Vec<LineUnderValidation>,
    /// A discount on the whole order, in percent.
    #[serde(default)]
    pub order_discount_percent: Option<Dec>,
    /// The order's total as the rep sees it (after discounts, with tax), from the tax engine.
    /// It joins the outlet's exposure for the credit rule.
    pub total: Dec,
    /// The date the outlet wants the delivery.
    #[serde(default)]
    pub requested_delivery_date: Option<NaiveDate>,
    /// The rep's free-text note.
    #[serde(default)]
    pub note: Option<String>,
    /// The outlet's own reference (purchase order number).
    #[serde(default)]
    pub customer_reference: Option<String>,
}

/// One line of an [`OrderUnderValidation`].
///
/// There is no unit price: whether the price equals the list price is a price mismatch, which
/// the server checks against its catalog ([`crate::order::check_catalog`]); no rule here uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineUnderValidation {
    /// The product's SKU.
    pub sku: String,
    /// How many units (in the product's unit).
    pub quantity: Dec,
    /// The line's discount, in percent.
    #[serde(default)]
    pub discount_percent: Option<Dec>,
}

/// What the catalog says about one product, for the outlet's price list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductFacts {
    /// The unit it is sold in (e.g. `"pcs"`, `"kg"`), for messages.
    pub unit: String,
    /// Decimal places a quantity may have in this unit (0 for pieces, 3 for kilograms).
    pub quantity_places: u32,
    /// The smallest quantity one line may order; absent: no minimum.
    #[serde(default)]
    pub min_order_quantity: Option<Dec>,
    /// Units per pack; a line's quantity must be a whole number of packs when this is above 1.
    /// Absent (or at most 1): any quantity.
    #[serde(default)]
    pub pack_size: Option<Dec>,
    /// When the outlet's price for the product is valid.
    pub price_validity: PriceValidity,
}

/// The validity period of a price: `[valid_from, valid_until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceValidity {
    /// First business date the price is valid.
    pub valid_from: NaiveDate,
    /// First business date the price is no longer valid (exclusive); absent: open-ended.
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// Stock of one product where the order is served from (the van, the shop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct StockLevel {
    /// Quantity available, in the product's unit.
    pub available: Dec,
    /// When that figure was computed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub as_of: DateTime<Utc>,
}

/// The outlet's credit position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditPosition {
    /// The credit limit.
    pub limit: Dec,
    /// The outstanding balance (server-computed; on the device, the last one received).
    pub outstanding: Dec,
    /// The server time the outstanding balance was computed.
    pub as_of: DateTime<Utc>,
    /// Totals of this device's orders for the outlet that have not synced yet (and so are not in
    /// `outstanding`). Zero on the server, whose balance already includes what it received.
    #[serde(default)]
    pub pending_on_device: Dec,
}

/// An order recently committed, for the likely-duplicate rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RecentOrder {
    /// Its identity.
    pub order_id: Uuid,
    /// Its outlet.
    pub outlet_id: String,
    /// When it was committed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub committed_at: DateTime<Utc>,
    /// What it ordered.
    pub lines: Vec<RecentLine>,
}

/// One line of a [`RecentOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RecentLine {
    /// The product's SKU.
    pub sku: String,
    /// How many units.
    pub quantity: Dec,
}
