//! The tax engine's inputs: rule sets and documents, as they travel in JSON.
//!
//! Amounts, rates and quantities are decimal strings. A percentage rate is written in percent
//! (`"13"` is 13 %); a fixed rate is an amount of the currency.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::{Dec, Rounding};

/// A versioned set of tax rules: what syncs down to devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// `?: T | null` for options throughout the rule set: it also goes out to JavaScript (the
// engine's `builtinRuleSet`), where serde writes an absent option as `null`.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Stable id, e.g. `"ca"`.
    pub id: String,
    /// Version of the data, e.g. `"2026-11-01"`; results name it.
    pub version: String,
    /// The currency and its smallest step.
    pub currency: Currency,
    /// Which ERP's arithmetic and rounding to reproduce.
    pub dialect: Dialect,
    /// Whether discounts reduce the taxable base (the default) or apply after tax.
    #[serde(default = "yes")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub discounts_before_tax: bool,
    /// Step to which a cash total is rounded (e.g. `"0.05"` in Canada); tax amounts are not changed.
    #[serde(default)]
    pub cash_rounding: Option<Dec>,
    /// Every tax the rule set knows.
    pub taxes: Vec<TaxDef>,
    /// Places of supply and the taxes in force there, by period.
    pub jurisdictions: Vec<Jurisdiction>,
    /// Conditional reliefs for customer categories.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub exemptions: Vec<ExemptionRule>,
    /// Fiscal positions (Odoo's): tax mappings a document may name, e.g. for an export or a
    /// business customer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub fiscal_positions: Vec<FiscalPosition>,
}

/// A fiscal position: which taxes replace which on the documents that name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct FiscalPosition {
    /// Stable code, e.g. `"EXPORT"`.
    pub code: String,
    /// Name.
    pub name: String,
    /// The mappings; a tax not mapped is kept.
    pub map: Vec<TaxMapping>,
    /// Whether a tax-included unit price is re-adapted to the new taxes (Odoo's
    /// `_adapt_price_unit_to_another_taxes`; the default). `false` when the document's prices
    /// were already adapted (an order exported from Odoo).
    #[serde(default = "yes")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub adapt_prices: bool,
}

/// One line of a fiscal position: a tax (or group) code, and what replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct TaxMapping {
    /// The tax replaced, as the schedule or a line names it.
    pub from: String,
    /// Its replacements, in order; empty: the tax is removed.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub to: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A currency and the step its amounts are rounded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Currency {
    /// ISO 4217 code.
    pub code: String,
    /// Smallest step: `"0.01"`, `"0.05"`, `"1"`, `"0.000001"`, …
    pub step: Dec,
}

/// Whether rounding happens per line or once per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Each line's tax is rounded; the document's tax is the sum.
    Line,
    /// Each tax's document total is rounded once; the difference is spread over the lines
    /// deterministically so that line taxes add up to the document's tax.
    Document,
}

/// Frappe's rounding methods (System Settings → Rounding Method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub enum FrappeRounding {
    /// "Banker's Rounding": half to even with an epsilon for float noise (Frappe's default).
    #[serde(rename = "bankers")]
    Bankers,
    /// "Banker's Rounding (legacy)": rounds x.5 up at any precision above 0.
    #[serde(rename = "bankers_legacy")]
    BankersLegacy,
    /// "Commercial Rounding": half away from zero, with an epsilon.
    #[serde(rename = "commercial")]
    Commercial,
}

/// Which ERP's arithmetic to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Dialect {
    /// Our own rules: exact decimals, the rounding and scope given.
    Exact {
        /// Half-up or half-even.
        rounding: Rounding,
        /// Per line or per document.
        scope: Scope,
    },
    /// Odoo 18 (and the 17.x online releases): fixed, then price-included, then excluded taxes;
    /// consecutive division taxes computed together; each tax rounded half-up as computed (per
    /// line), or unrounded and then rounded per document as Odoo 18 does (globally).
    Odoo {
        /// `round_per_line` or `round_globally`.
        scope: Scope,
    },
    /// Odoo 16.0 and 17.0: the untaxed amount is derived and rounded first, the included taxes
    /// are what is left; division taxes each alone. See [`crate::tax::odoo16`].
    Odoo16 {
        /// `round_per_line` or `round_globally`.
        scope: Scope,
    },
    /// ERPNext: binary floating point, unrounded per-item tax summed and rounded once per tax
    /// row, with Frappe's rounding method. See [`crate::tax::erpnext`].
    Erpnext {
        /// Frappe's rounding method.
        rounding_method: FrappeRounding,
    },
}

/// How a tax's amount is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TaxKind {
    /// `base × rate / 100`.
    Percent,
    /// `quantity × rate`: a fixed amount per unit (a fuel charge per litre).
    PerUnit,
    /// `rate` on every line it applies to.
    FixedPerLine,
    /// `rate` once per document, spread over the lines in proportion to their net amounts (largest
    /// remainder, ties to the earlier line; the ERPNext dialect puts ERPNext's leftover on the
    /// last line instead).
    FixedPerDocument,
    /// `base × r / (1 − r)` with `r = rate / 100` (Odoo's "division"): the tax is `rate` % of
    /// the tax-included total.
    Division,
    /// A named group of other taxes (`components`); each component is applied at its own
    /// `sequence` (the group's own sequence is not used).
    Group,
}

/// What a tax is computed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Base {
    /// The line's net amount, plus the amounts of earlier taxes marked
    /// `include_in_later_base` (Odoo's "affect base of subsequent taxes").
    Net,
    /// The net amount plus every earlier tax (ERPNext's "On Previous Row Total", a tax on the
    /// running total).
    RunningTotal,
    /// The amount of one earlier tax (ERPNext's "On Previous Row Amount").
    PreviousTax(String),
}

/// A rate valid over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct RatePeriod {
    /// First day in force.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub from: NaiveDate,
    /// First day no longer in force (exclusive); open-ended when absent.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub until: Option<NaiveDate>,
    /// Percent for `percent`/`division`, an amount for fixed kinds.
    pub rate: Dec,
    /// Different rates for item tax classes (e.g. `"reduced": "5"`).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub by_class: BTreeMap<String, Dec>,
}

/// One tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct TaxDef {
    /// Stable code, e.g. `"GST"`, `"HST-ON-PROV"`.
    pub code: String,
    /// Name printed on receipts.
    pub name: String,
    /// How the amount is computed.
    pub kind: TaxKind,
    /// Order of application; lower first. Ties keep the listed order.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub sequence: i32,
    /// Dated rates (not for groups).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub rates: Vec<RatePeriod>,
    /// For groups: the member taxes.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub components: Vec<String>,
    /// What the tax is computed on.
    #[serde(default = "net_base")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub base: Base,
    /// Whether this tax's amount joins the base of later `net`-based taxes.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub include_in_later_base: bool,
    /// Whether a `net` base takes in earlier taxes marked `include_in_later_base` (the default);
    /// `false` computes it on the untaxed amount alone (Odoo's `is_base_affected = false`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub base_affected: bool,
    /// Whether shelf prices include this tax; absent: the document's `prices_include_tax`.
    #[serde(default)]
    pub price_include: Option<bool>,
    /// Item tax classes the tax applies to; absent: every class but `exempt`.
    #[serde(default)]
    pub applies_to: Option<Vec<String>>,
    /// How the computed tax is split (Odoo's repartition lines); absent: one part of 100 %. The
    /// customer is charged the computed tax × Σ factors: parts of +100 % and −100 % are a
    /// reverse charge (computed and reported, nothing charged); 50 % charges half.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub repartition: Vec<RepartitionPart>,
}

/// One part of a tax's repartition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RepartitionPart {
    /// What the part is, e.g. the account: `"VAT payable"`, `"VAT receivable (reverse charge)"`.
    pub label: String,
    /// Percent of the computed tax (may be negative), e.g. `"100"`, `"-100"`, `"50"`.
    pub factor: Dec,
}

fn is_true(b: &bool) -> bool {
    *b
}

fn net_base() -> Base {
    Base::Net
}

/// The taxes in force in a jurisdiction over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// First day in force.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub from: NaiveDate,
    /// First day no longer in force (exclusive).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub until: Option<NaiveDate>,
    /// Taxes for supplies within the jurisdiction (or when the origin is unknown or irrelevant).
    pub taxes: Vec<String>,
    /// Taxes for supplies from another jurisdiction (India's IGST); absent: same as `taxes`.
    #[serde(default)]
    pub interstate_taxes: Option<Vec<String>>,
}

/// A place of supply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    /// Code, e.g. `"CA-ON"`, `"IN-MH"`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Dated schedules; at most one in force on any day.
    pub schedules: Vec<Schedule>,
}

/// When an exemption applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Required value of the document's `delivered_to_reserve`.
    #[serde(default)]
    pub delivered_to_reserve: Option<bool>,
    /// Places of supply where it applies; absent: everywhere.
    #[serde(default)]
    pub places: Option<Vec<String>>,
    /// First day in force.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub from: Option<NaiveDate>,
    /// First day no longer in force.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<String>"))]
    pub until: Option<NaiveDate>,
}

/// A conditional relief from some taxes (or tax components).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct ExemptionRule {
    /// Code, e.g. `"FN-ON-OFF-RESERVE"`.
    pub code: String,
    /// What it is, for the explanation.
    pub description: String,
    /// The customer category it is for, e.g. `"first_nations"`.
    pub customer_category: String,
    /// Whether the document must carry the customer's certificate.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub requires_certificate: bool,
    /// When it applies.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>", optional))]
    pub when: Conditions,
    /// The tax codes (or group components) it relieves.
    pub relieves: Vec<String>,
}

/// A discount on a line or on the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Discount {
    /// A percentage of the amount.
    Percent(Dec),
    /// A fixed amount.
    Amount(Dec),
}

/// ERPNext's `apply_discount_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DiscountOn {
    /// "Net Total": the discount is of the amounts before tax.
    NetTotal,
    /// "Grand Total": the discount is of the total with tax; the net amounts are reduced so that
    /// the grand total falls by it.
    GrandTotal,
}

/// The customer's exemption certificate, recorded on the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Certificate (registry) number.
    pub number: String,
    /// Name of the holder.
    pub holder: String,
    /// Issuer (e.g. the band or the registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_by: Option<String>,
}

/// The customer, as far as tax is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Category, e.g. `"first_nations"`, `"diplomat"`.
    #[serde(default)]
    pub category: Option<String>,
    /// Certificate, where the category's relief needs one.
    #[serde(default)]
    pub certificate: Option<Certificate>,
}

/// A line to tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct TaxLine {
    /// The caller's id for the line (echoed in the result).
    pub id: String,
    /// Quantity; negative for a return.
    pub quantity: Dec,
    /// Unit price (tax included when the price includes tax).
    pub unit_price: Dec,
    /// Item tax class: `standard` (default), `reduced`, `zero_rated`, `exempt` or a class the
    /// rule set defines rates for.
    #[serde(default = "standard")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub tax_class: String,
    /// Line discount.
    #[serde(default)]
    pub discount: Option<Discount>,
    /// Taxes that apply to this item on top of the jurisdiction's (e.g. a fuel charge).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub extra_taxes: Vec<String>,
}

fn standard() -> String {
    "standard".into()
}

/// A document to tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct TaxDocument {
    /// The date whose rules apply (never the sync date).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub business_date: NaiveDate,
    /// The place of supply, e.g. `"CA-QC"`.
    pub place_of_supply: String,
    /// Where the supply comes from, for interstate rules (India).
    #[serde(default)]
    pub origin: Option<String>,
    /// The customer.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub customer: Customer,
    /// Whether delivery is to a reserve (First Nations relief conditions).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub delivered_to_reserve: bool,
    /// Whether unit prices include tax (for taxes that do not say).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub prices_include_tax: bool,
    /// The lines.
    pub lines: Vec<TaxLine>,
    /// A discount on the whole document, spread over lines in proportion to their amounts.
    #[serde(default)]
    pub document_discount: Option<Discount>,
    /// What the document discount is taken from: the net total (the default) or, in the ERPNext
    /// dialect only, the grand total (ERPNext's `apply_discount_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_discount_on: Option<DiscountOn>,
    /// Whether the customer pays cash (then the total is cash-rounded, if the rule set says so).
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<_>"))]
    pub cash: bool,
    /// A fiscal position of the rule set (its code): its tax mappings apply to every line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_position: Option<String>,
    /// The company's own currency, when the document is in another: the result then also gives
    /// the amounts in it, converted and rounded as the dialect's ERP does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_currency: Option<CompanyCurrency>,
}

/// The company's currency and the rate to it from the document's (the rule set's) currency.
/// Exactly one of `rate` and `inverse_rate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct CompanyCurrency {
    /// ISO 4217 code.
    pub code: String,
    /// Its smallest step, e.g. `"0.01"`.
    pub step: Dec,
    /// Company units for one document unit (ERPNext's `conversion_rate`): company = document × rate.
    #[serde(default)]
    pub rate: Option<Dec>,
    /// Document units for one company unit (Odoo's currency rate): company = document / inverse_rate.
    #[serde(default)]
    pub inverse_rate: Option<Dec>,
}

/// Why a document could not be taxed. Every variant names the field concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TaxError {
    /// The place of supply (or origin) is not in the rule set.
    #[error("{field}: unknown jurisdiction {value}")]
    UnknownJurisdiction {
        /// The field.
        field: String,
        /// The code given.
        value: String,
    },
    /// A tax code is not defined.
    #[error("{field}: unknown tax {value}")]
    UnknownTax {
        /// The field.
        field: String,
        /// The code given.
        value: String,
    },
    /// No schedule or rate is in force on the business date.
    #[error("{field}: nothing in force on {date}")]
    NotInForce {
        /// The field.
        field: String,
        /// The business date.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
        date: NaiveDate,
    },
    /// A rate is negative, absurd (above 1000 %), or a period is inverted or overlapping.
    #[error("{field}: {reason}")]
    InvalidRule {
        /// The field, e.g. `taxes[3].rates[0].rate`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Groups or previous-tax references form a cycle.
    #[error("{field}: taxes refer to each other in a cycle ({value})")]
    Cycle {
        /// The field.
        field: String,
        /// The codes in the cycle.
        value: String,
    },
    /// An amount is out of range for exact arithmetic.
    #[error("{field}: amount too large")]
    Overflow {
        /// The field.
        field: String,
    },
    /// An input value is invalid (zero quantity, negative price, discount above the amount …).
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The exemption the customer claims needs a certificate the document does not carry.
    #[error("{field}: exemption {value} requires the customer's certificate")]
    CertificateRequired {
        /// Always `customer.certificate`.
        field: String,
        /// The exemption code.
        value: String,
    },
    /// The dialect cannot express this rule (e.g. a fixed amount per line in ERPNext).
    #[error("{field}: the {value} dialect cannot compute this tax")]
    Unsupported {
        /// The field.
        field: String,
        /// The dialect.
        value: String,
    },
    /// No built-in rule set has this id.
    #[error("{field}: no built-in rule set named {value:?}")]
    UnknownRuleSet {
        /// The field that names it.
        field: String,
        /// The id given.
        value: String,
    },
}

impl TaxError {
    /// The stable code (the serialized `code`).
    pub fn code(&self) -> &'static str {
        match self {
            TaxError::UnknownJurisdiction { .. } => "unknown_jurisdiction",
            TaxError::UnknownTax { .. } => "unknown_tax",
            TaxError::NotInForce { .. } => "not_in_force",
            TaxError::InvalidRule { .. } => "invalid_rule",
            TaxError::Cycle { .. } => "cycle",
            TaxError::Overflow { .. } => "overflow",
            TaxError::InvalidInput { .. } => "invalid_input",
            TaxError::CertificateRequired { .. } => "certificate_required",
            TaxError::Unsupported { .. } => "unsupported",
            TaxError::UnknownRuleSet { .. } => "unknown_rule_set",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            TaxError::UnknownJurisdiction { field, .. }
            | TaxError::UnknownTax { field, .. }
            | TaxError::NotInForce { field, .. }
            | TaxError::InvalidRule { field, .. }
            | TaxError::Cycle { field, .. }
            | TaxError::Overflow { field }
            | TaxError::InvalidInput { field, .. }
            | TaxError::CertificateRequired { field, .. }
            | TaxError::Unsupported { field, .. }
            | TaxError::UnknownRuleSet { field, .. } => field,
        }
    }

    /// The same error with its field inside `prefix` (`taxes[0].rate` in `rules` is
    /// `rules.taxes[0].rate`), for a rule set or document nested in a larger request.
    pub fn within(mut self, prefix: &str) -> Self {
        let field = match &mut self {
            TaxError::UnknownJurisdiction { field, .. }
            | TaxError::UnknownTax { field, .. }
            | TaxError::NotInForce { field, .. }
            | TaxError::InvalidRule { field, .. }
            | TaxError::Cycle { field, .. }
            | TaxError::Overflow { field }
            | TaxError::InvalidInput { field, .. }
            | TaxError::CertificateRequired { field, .. }
            | TaxError::Unsupported { field, .. }
            | TaxError::UnknownRuleSet { field, .. } => field,
        };
        *field = if field.is_empty() { prefix.to_owned() } else { format!("{prefix}.{field}") };
        self
    }
}
