//! The resolved plan: what every dialect computes from.
//!
//! [`crate::tax::resolve::plan`] turns a rule set and a document into this: the taxes in force,
//! ordered, with their rates for the business date; each line's amounts after discounts; and,
//! per line and tax, whether the tax applies and at which rate. Dialects only do arithmetic
//! on it and return a [`Computed`].

use rust_decimal::Decimal;
use serde::Serialize;

use crate::tax::model::{TaxError, TaxKind};

/// How one planned tax finds its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanBase {
    /// The line's net amount plus earlier taxes marked `include_in_later_base` (unless the tax
    /// is not `base_affected`).
    Net,
    /// The net amount plus every earlier tax.
    RunningTotal,
    /// The amount of the earlier planned tax at this index.
    PreviousTax(usize),
}

/// A tax in force on the document, in order of application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedTax {
    /// Tax code (a group's component keeps its own code).
    pub code: String,
    /// Receipt name.
    pub name: String,
    /// The group it came from, if any (for receipts that print groups as one line).
    pub group: Option<String>,
    /// How the amount is computed ([`TaxKind::Group`] never appears here: groups are expanded).
    pub kind: TaxKind,
    /// Its base.
    pub base: PlanBase,
    /// Whether its amount joins the base of later `Net`-based taxes.
    pub include_in_later_base: bool,
    /// Whether its `Net` base takes in earlier taxes marked `include_in_later_base`.
    pub base_affected: bool,
    /// Whether shelf prices include it.
    pub price_include: bool,
    /// Its repartition parts (label, percent); empty: the whole tax, charged.
    pub repartition: Vec<(String, Decimal)>,
    /// The rule that applied, for the explanation: e.g. `"GST 5 % in force from 2008-01-01"`.
    pub rule: String,
}

/// How one planned tax applies to one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "treatment", rename_all = "snake_case")]
pub enum LineTax {
    /// The tax applies at this rate (percent, or an amount for fixed kinds).
    Applies {
        /// The rate for this line's tax class.
        rate: Decimal,
    },
    /// The item is zero-rated: the tax applies at 0 (and says so).
    ZeroRated,
    /// The item is exempt: the tax does not apply (and says so).
    Exempt,
    /// The customer's exemption relieves this tax.
    Relieved {
        /// The exemption's code.
        exemption: String,
    },
    /// The tax does not cover this item's class.
    NotApplicable,
    /// The class had its own rate in another period of the tax but has none on the business date
    /// (resolution refuses the document; never reaches a dialect).
    NoRateForClass,
}

impl LineTax {
    /// The rate to compute with, or `None` when nothing is charged.
    pub fn rate(&self) -> Option<Decimal> {
        match self {
            LineTax::Applies { rate } => Some(*rate),
            _ => None,
        }
    }
}

/// A line, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedLine {
    /// The caller's line id (shared with the result, not copied per stage).
    pub id: std::sync::Arc<str>,
    /// Quantity (negative for returns).
    pub quantity: Decimal,
    /// Unit price as given.
    pub unit_price: Decimal,
    /// `quantity × unit_price`, rounded to the currency step (half-up).
    pub gross: Decimal,
    /// The line's discount plus its share of the document discount, rounded; same sign as gross.
    pub discount: Decimal,
    /// `gross − discount`. When taxes are price-included this amount includes them.
    pub net: Decimal,
    /// The same before any rounding: `quantity × unit_price`, less the line's own discount
    /// unrounded (a percentage of the unrounded amount) and its rounded share of the document
    /// discount. What Odoo 18 taxes when it rounds globally.
    pub exact_net: Decimal,
    /// One entry per planned tax, same index as [`Plan::taxes`].
    pub taxes: Vec<LineTax>,
}

/// Everything a dialect needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The currency's step (0.01, 0.05, 1, 0.000001 …).
    pub step: Decimal,
    /// Decimal places of the step (2 for 0.01 and 0.05, 0 for 1).
    pub places: u32,
    /// The largest magnitude any amount may reach ([`crate::tax::rounding::amount_limit`]).
    pub limit: Decimal,
    /// Taxes in order of application.
    pub taxes: Vec<PlannedTax>,
    /// Lines in document order.
    pub lines: Vec<PlannedLine>,
    /// The company's currency, when the document is in another.
    pub company: Option<Conversion>,
    /// A document discount left to the dialect (ERPNext spreads it its own way, before tax):
    /// the lines' amounts do not include it.
    pub document_discount: Option<(crate::tax::model::Discount, crate::tax::model::DiscountOn)>,
}

/// Document amounts into the company's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conversion {
    /// The company currency's step.
    pub step: Decimal,
    /// Its places.
    pub places: u32,
    /// The rate: company units per document unit, or document units per company unit when
    /// `divide`.
    pub rate: Decimal,
    /// Whether to divide by `rate` (Odoo's way) rather than multiply (ERPNext's).
    pub divide: bool,
}

impl Conversion {
    /// `x` in the company's currency, unrounded; `None` beyond the limit of the company
    /// currency's places ([`crate::tax::rounding::amount_limit`]).
    pub fn convert(&self, x: Decimal) -> Option<Decimal> {
        let c = if self.divide { x.checked_div(self.rate) } else { x.checked_mul(self.rate) }?;
        crate::tax::rounding::within_limit(c, crate::tax::rounding::amount_limit(self.places)).then_some(c)
    }

    /// `x` converted and rounded to the company's step.
    pub fn round(&self, x: Decimal, rounding: crate::money::Rounding) -> Option<Decimal> {
        let c = self.convert(x)?;
        Some(crate::tax::rounding::Step::new(self.step).round(c, rounding))
    }
}

impl Plan {
    /// The field an [`At`] names.
    pub fn field_of(&self, at: At) -> String {
        match at {
            At::Line(i) => format!("lines[{i}]"),
            At::Tax(k) => format!("taxes.{}", self.taxes.get(k).map(|t| t.code.as_str()).unwrap_or("?")),
            At::Doc(name) => name.to_owned(),
        }
    }

    /// The overflow error at `at`: out of the hot path.
    #[cold]
    #[inline(never)]
    pub fn overflow(&self, at: At) -> TaxError {
        TaxError::Overflow { field: self.field_of(at) }
    }

    /// Whether `|x|` is within the plan's limit.
    #[inline(always)]
    fn within(&self, x: Decimal) -> bool {
        crate::tax::rounding::within_limit(x, self.limit)
    }

    // The checked operations, returning a small `Option`; the public wrappers below are inlined
    // and only turn `None` into the error, out of line. In the Wasm build each has one shared
    // body (the decimal arithmetic is large: inlining it at every call site cost the module
    // 46 KB); natively it is inlined (a third faster: 0.85M → 1.18M lines/s).
    #[cfg_attr(target_arch = "wasm32", inline(never))]
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn checked_add(&self, a: Decimal, b: Decimal) -> Option<Decimal> {
        a.checked_add(b).filter(|x| self.within(*x))
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn checked_sub(&self, a: Decimal, b: Decimal) -> Option<Decimal> {
        a.checked_sub(b).filter(|x| self.within(*x))
    }

    #[cfg_attr(target_arch = "wasm32", inline(never))]
    #[cfg_attr(not(target_arch = "wasm32"), inline(always))]
    fn checked_mul(&self, a: Decimal, b: Decimal) -> Option<Decimal> {
        a.checked_mul(b).filter(|x| self.within(*x))
    }

    /// `x`, or an overflow naming `at` when it is beyond the plan's limit.
    #[inline(always)]
    pub fn bounded(&self, x: Decimal, at: At) -> Result<Decimal, TaxError> {
        if self.within(x) {
            Ok(x)
        } else {
            Err(self.overflow(at))
        }
    }

    /// `a + b`, within the plan's limit.
    #[inline(always)]
    pub fn add(&self, a: Decimal, b: Decimal, at: At) -> Result<Decimal, TaxError> {
        match self.checked_add(a, b) {
            Some(x) => Ok(x),
            None => Err(self.overflow(at)),
        }
    }

    /// `a − b`, within the plan's limit.
    #[inline(always)]
    pub fn sub(&self, a: Decimal, b: Decimal, at: At) -> Result<Decimal, TaxError> {
        match self.checked_sub(a, b) {
            Some(x) => Ok(x),
            None => Err(self.overflow(at)),
        }
    }

    /// `a × b`, within the plan's limit.
    #[inline(always)]
    pub fn mul(&self, a: Decimal, b: Decimal, at: At) -> Result<Decimal, TaxError> {
        match self.checked_mul(a, b) {
            Some(x) => Ok(x),
            None => Err(self.overflow(at)),
        }
    }

    /// The sum of `values`, every partial sum within the plan's limit.
    #[inline]
    pub fn sum(&self, values: impl IntoIterator<Item = Decimal>, at: At) -> Result<Decimal, TaxError> {
        values.into_iter().try_fold(Decimal::ZERO, |acc, x| self.add(acc, x, at))
    }
}

/// Where an amount is, for an overflow error: a small copyable value, the field's text made only
/// when there is an error (a closure per call site cost both speed and module size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// `lines[i]`.
    Line(usize),
    /// `taxes.CODE` of the planned tax at this index.
    Tax(usize),
    /// A document total: `gross`, `tax`, `total` …
    Doc(&'static str),
}

/// One tax on one line, as a dialect computed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ComputedTax {
    /// The base it was computed on.
    pub base: Decimal,
    /// The amount, rounded to the currency step.
    pub amount: Decimal,
}

/// One line, as a dialect computed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComputedLine {
    /// The line's net amount before any tax (price-included taxes taken out).
    pub untaxed: Decimal,
    /// The line's share of a document discount the dialect spread itself (in the amounts before
    /// tax); zero when resolution spread it.
    pub document_discount: Decimal,
    /// ERPNext only: what the shelf amount has beyond the untaxed amount and the included taxes,
    /// each rounded on its own (the line's share of ERPNext's `grand_total_diff`); part of the
    /// line's total. Zero in every other dialect.
    pub difference: Decimal,
    /// Per planned tax (same index as [`Plan::taxes`]); `None` where nothing is charged.
    pub taxes: Vec<Option<ComputedTax>>,
}

/// A dialect's answer in the company's currency: each line's untaxed amount and taxes (as
/// computed, before repartition), and the total where the ERP converts it on its own (ERPNext's
/// `base_grand_total`); otherwise the total is what the amounts add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyComputed {
    /// Per line.
    pub lines: Vec<ComputedLine>,
    /// The converted total, when the ERP converts the total itself.
    pub total: Option<Decimal>,
}

/// A dialect's answer. Invariants (checked by [`crate::tax::result::assemble`]): for every tax,
/// the line amounts add up to `tax_totals`; when `keeps_shelf`, on every line with
/// price-included taxes `untaxed + included taxes + difference == net` (the shelf price is kept
/// exactly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Computed {
    /// Per line, in document order.
    pub lines: Vec<ComputedLine>,
    /// Per planned tax: the document's amount of that tax.
    pub tax_totals: Vec<Decimal>,
    /// The same in the company's currency, when the plan has one.
    pub company: Option<CompanyComputed>,
    /// Whether the totals keep the shelf amounts. Only ERPNext gives them up: when the rounding
    /// difference of a tax-included document exceeds 5 in the last place, its grand total is the
    /// net total plus the taxes, whatever the shelf said.
    pub keeps_shelf: bool,
}
