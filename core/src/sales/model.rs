//! The sales data as it syncs down to devices (products, price lists, outlets, settings) and the
//! order as the rep composes it. Every shape is JSON with snake_case names; amounts, prices and
//! quantities are decimal strings; unknown fields are refused.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Dec;
use crate::tax::model::Customer;
use crate::validation::{RecentOrder, StockLevel, ValidationPolicy};

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct CatalogProduct {
    /// Stable code, unique in the catalog.
    pub sku: String,
    /// Name shown to the rep and printed on documents.
    pub name: String,
    /// The unit it is sold in (`"pcs"`, `"kg"`, `"bottle"`).
    pub unit: String,
    /// Decimal places a quantity may have in this unit (0 for pieces, 3 for kilograms).
    pub quantity_places: u32,
    /// Units per pack: a line must order a whole number of packs when this is above 1.
    #[serde(default)]
    pub pack_size: Option<Dec>,
    /// The smallest quantity one line may order.
    #[serde(default)]
    pub min_order_quantity: Option<Dec>,
    /// Barcodes (EAN/UPC) printed on the product, for scanning and search.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub barcodes: Vec<String>,
    /// Item tax class for the tax engine: `standard` (default), `reduced`, `zero_rated`,
    /// `exempt` or a class the rule set defines.
    #[serde(default = "standard")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub tax_class: String,
    /// Taxes charged on this product on top of the jurisdiction's (e.g. a fuel charge).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub extra_taxes: Vec<String>,
}

fn standard() -> String {
    "standard".into()
}

/// The prices of one group of outlets over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct PriceList {
    /// Stable id, recorded on every order priced from it.
    pub id: String,
    /// The outlet group it prices ([`OutletInfo::group`]).
    pub outlet_group: String,
    /// First business date in force.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub valid_from: NaiveDate,
    /// First business date no longer in force (exclusive); open-ended when absent.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub valid_until: Option<NaiveDate>,
    /// Whether the prices include tax (for taxes of the rule set that do not say).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub prices_include_tax: bool,
    /// Unit price by SKU, in the product's unit. A SKU that is not here cannot be sold to the
    /// group.
    pub prices: BTreeMap<String, Dec>,
}

impl PriceList {
    /// Whether the list is in force on `date`: `valid_from <= date < valid_until`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|u| date < u)
    }
}

/// An outlet's credit terms, as the server last computed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CreditInfo {
    /// The credit limit.
    pub limit: Dec,
    /// The outstanding balance (everything the server has received and not been paid).
    pub outstanding: Dec,
    /// The server time the balance was computed.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub as_of: DateTime<Utc>,
}

/// An outlet (customer) as it syncs down to the reps whose routes include it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct OutletInfo {
    /// Stable id.
    pub id: String,
    /// Trading name.
    pub name: String,
    /// The route it is on.
    pub route: String,
    /// Postal address, one string.
    pub address: String,
    /// Phone number.
    pub phone: String,
    /// The person to ask for.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub contact_name: String,
    /// The price-list group ([`PriceList::outlet_group`]).
    pub group: String,
    /// The place of supply for tax, a jurisdiction code of the rule set (e.g. `"CA-ON"`).
    pub place_of_supply: String,
    /// The customer as far as tax is concerned (category, exemption certificate).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub customer: Customer,
    /// Whether goods are delivered to a reserve (First Nations relief conditions).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub delivered_to_reserve: bool,
    /// Credit terms; absent: the outlet has none and the credit rule does not apply.
    #[serde(default)]
    pub credit: Option<CreditInfo>,
    /// The shared record's version (raised by each change the server merges): a device's edit
    /// names the version it was based on, see [`crate::sync::protocol::OutletPatch`].
    #[serde(default)]
    // A JSON number (serde_json writes a u64 as one; ts-rs would say `bigint`).
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<u32>"))]
    pub version: u64,
    /// Its invoices with something left to pay (and those paid lately, so a device can tell
    /// which of its collections the figures include), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub invoices: Vec<crate::delivery::InvoiceInfo>,
    /// Notes left at its last visits, newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub visit_notes: Vec<crate::delivery::VisitNote>,
}

/// What the server sends devices about the deployment's sales.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct SalesSettings {
    /// The id of the rule set orders are taxed with (a built-in id such as `"ca"`, see
    /// [`crate::tax::builtin`]). The rule set given to [`crate::sales::quote()`] must have it.
    pub rule_set: String,
    /// ISO 4217 code of the currency; the rule set's currency must be the same.
    pub currency: String,
    /// Where supplies come from, for interstate rules (India); absent elsewhere.
    #[serde(default)]
    pub origin: Option<String>,
    /// The validation policy (`{}` is the default policy).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub policy: ValidationPolicy,
    /// The counter's settings, where the deployment has shops (see [`crate::pos`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<crate::pos::CounterSettings>,
    /// The delivery day's settings, where the deployment has crews (see [`crate::delivery`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<crate::delivery::DeliverySettings>,
}

/// An order as the rep composes it. There are no prices in it: unit prices come from the
/// outlet's price list, on the device and on the server alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct SalesOrder {
    /// The outlet the order is for.
    pub outlet_id: String,
    /// The deployment's local date of the order: the date whose prices and tax rules apply.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub business_date: NaiveDate,
    /// What is sold.
    pub lines: Vec<SalesLine>,
    /// A discount on the whole order, in percent.
    #[serde(default)]
    pub order_discount_percent: Option<Dec>,
    /// The rep's free-text note.
    #[serde(default)]
    pub note: Option<String>,
    /// The date the outlet wants the delivery.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub requested_delivery_date: Option<NaiveDate>,
    /// The outlet's own reference (purchase order number).
    #[serde(default)]
    pub customer_reference: Option<String>,
    /// Whether the outlet pays cash on delivery (the total is then cash-rounded where the rule
    /// set says so).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<bool>"))]
    pub cash: bool,
    /// A sale (default) or a return. A return's quantities are entered positive; it is taxed
    /// as the mirror of a sale (negative amounts), puts goods back into the van, and is not
    /// checked against stock, credit, minimum quantities or pack sizes.
    #[serde(default, skip_serializing_if = "OrderKind::is_sale")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<OrderKind>"))]
    pub kind: OrderKind,
}

/// Whether an order sells or takes back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// Goods go to the outlet.
    #[default]
    Sale,
    /// Goods come back from the outlet.
    Return,
}

impl OrderKind {
    /// Whether this is a sale.
    pub fn is_sale(&self) -> bool {
        *self == OrderKind::Sale
    }
}

/// One line of a [`SalesOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct SalesLine {
    /// The product's SKU.
    pub sku: String,
    /// How many units, in the product's unit.
    pub quantity: Dec,
    /// The line's discount, in percent.
    #[serde(default)]
    pub discount_percent: Option<Dec>,
}

/// The facts around an order that are not in the catalog: who commits it, when, and what the
/// caller knows about stock, unsynced orders and recent orders.
///
/// The device fills it from its local store at commit; the server from its authoritative data
/// (with `pending_on_device` zero: its balance already includes what it received).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct SalesContext {
    /// The role of the user committing the order (e.g. `"rep"`), for the discount caps.
    pub role: String,
    /// The moment of the commit (the device's clock at commit). [`crate::sales::verify`]
    /// uses the document's `committed_at` instead.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub now: DateTime<Utc>,
    /// Stock by SKU; a SKU not here is not stock-tracked.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub stock: BTreeMap<String, StockLevel>,
    /// Totals of the outlet's other orders waiting to sync on this device.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub pending_on_device: Dec,
    /// Orders recently committed, for the likely-duplicate rule (leave out this order).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub recent_orders: Vec<RecentOrder>,
}
