//! The engine's answer: totals, per-line and per-tax amounts, cash rounding, and an explanation
//! of every amount (base, rate, rule).

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::{Dec, Rounding};
use crate::tax::model::{Certificate, Dialect, FrappeRounding, RuleSet, Scope, TaxDocument, TaxError, TaxKind};
use crate::tax::plan::{At, Computed, LineTax, Plan};
use crate::tax::resolve::applied_exemptions;
use crate::tax::rounding::to_step;

/// How a tax treated a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// Charged.
    Taxed,
    /// Zero-rated: charged at 0 (input tax still recoverable; distinct from exempt).
    ZeroRated,
    /// Exempt: outside the tax.
    Exempt,
    /// Relieved by the customer's exemption.
    Relieved,
}

/// One tax on one line, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct LineTaxView {
    /// Tax code.
    pub code: Arc<str>,
    /// Receipt name.
    pub name: Arc<str>,
    /// The group it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub group: Option<Arc<str>>,
    /// How it is computed.
    pub kind: TaxKind,
    /// Its treatment of this line.
    pub treatment: Treatment,
    /// The rate (percent, or amount for fixed kinds); absent when not charged.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub rate: Option<Dec>,
    /// The base it was computed on.
    pub base: Dec,
    /// The amount.
    pub amount: Dec,
    /// Whether the shelf price included it.
    pub included: bool,
    /// The rule that applied (or the exemption that relieved it).
    pub rule: Arc<str>,
    /// For a repartitioned tax: the tax as computed, before repartition (`amount` is what the
    /// customer is charged; 0 for a reverse charge).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub computed: Option<Dec>,
    /// For a repartitioned tax: each part's amount (they add up to `amount`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<PartView>>", optional))]
    pub parts: Vec<PartView>,
}

/// One part of a repartitioned tax.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct PartView {
    /// The part's label (e.g. its account).
    pub label: Arc<str>,
    /// Its amount.
    pub amount: Dec,
}

/// One line of the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct LineView {
    /// The caller's id.
    pub id: Arc<str>,
    /// Quantity × unit price.
    pub gross: Dec,
    /// Discounts on the line (its own and its share of the document's).
    pub discount: Dec,
    /// Net amount before tax (price-included taxes taken out).
    pub untaxed: Dec,
    /// Sum of this line's taxes.
    pub tax: Dec,
    /// ERPNext only, on a tax-included line whose untaxed amount and included taxes, each rounded
    /// on its own, miss the shelf amount: the cents that make it up (the line's share of
    /// ERPNext's `grand_total_diff`). Absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub rounding_difference: Option<Dec>,
    /// `untaxed + tax` (+ `rounding_difference`).
    pub total: Dec,
    /// Every tax considered for the line, in order of application.
    pub taxes: Vec<LineTaxView>,
}

/// One tax over the whole document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct TaxTotalView {
    /// Tax code.
    pub code: Arc<str>,
    /// Receipt name.
    pub name: Arc<str>,
    /// The group it belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub group: Option<Arc<str>>,
    /// Sum of the bases it was charged on.
    pub base: Dec,
    /// Its amount (equal to the sum of its line amounts).
    pub amount: Dec,
    /// Whether shelf prices included it.
    pub included: bool,
    /// For a repartitioned tax: the sum of the computed amounts, before repartition.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub computed: Option<Dec>,
    /// For a repartitioned tax: each part's total over the lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(as = "Option<Vec<PartView>>", optional))]
    pub parts: Vec<PartView>,
}

/// An exemption the document received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ExemptionView {
    /// The exemption's code.
    pub code: String,
    /// What it is.
    pub description: String,
    /// The taxes it relieved.
    pub relieved: Vec<String>,
    /// The certificate recorded on the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub certificate: Option<Certificate>,
}

/// Cash rounding of the total (a separate step; tax amounts are unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct CashRoundingView {
    /// The step, e.g. `0.05`.
    pub step: Dec,
    /// The total to pay in cash.
    pub total: Dec,
    /// `total − document total`.
    pub adjustment: Dec,
}

/// The taxes of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct TaxResult {
    /// `id@version` of the rule set used.
    pub rule_set: String,
    /// The dialect used.
    pub dialect: String,
    /// Currency code.
    pub currency: String,
    /// Lines, in document order.
    pub lines: Vec<LineView>,
    /// Per tax, in order of application (taxes charged on no line are omitted).
    pub taxes: Vec<TaxTotalView>,
    /// Sum of line gross amounts.
    pub gross: Dec,
    /// Sum of discounts.
    pub discount: Dec,
    /// Sum of untaxed amounts.
    pub untaxed: Dec,
    /// Sum of taxes.
    pub tax: Dec,
    /// Sum of the lines' rounding differences (ERPNext's `grand_total_diff`), when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub rounding_difference: Option<Dec>,
    /// `untaxed + tax` (+ `rounding_difference`).
    pub total: Dec,
    /// Exemptions applied.
    pub exemptions: Vec<ExemptionView>,
    /// Present when the document is paid in cash and the rule set rounds cash totals.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub cash_rounding: Option<CashRoundingView>,
    /// The same document in the company's currency, when the document names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(not(target_arch = "wasm32"), ts(optional))]
    pub company: Option<CompanyView>,
}

/// One line in the company's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct CompanyLineView {
    /// The caller's id.
    pub id: Arc<str>,
    /// Net amount before tax.
    pub untaxed: Dec,
    /// Sum of this line's taxes (as charged).
    pub tax: Dec,
    /// `untaxed + tax`.
    pub total: Dec,
}

/// One tax in the company's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct CompanyTaxView {
    /// Tax code.
    pub code: Arc<str>,
    /// Taxable base.
    pub base: Dec,
    /// Amount charged.
    pub amount: Dec,
}

/// The document in the company's currency: every amount converted and rounded as the dialect's
/// ERP does (see docs/tax-engine.md §4, multi-currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct CompanyView {
    /// The company's currency code.
    pub currency: String,
    /// Lines, in document order.
    pub lines: Vec<CompanyLineView>,
    /// Per tax charged, in order of application.
    pub taxes: Vec<CompanyTaxView>,
    /// Sum of line untaxed amounts.
    pub untaxed: Dec,
    /// Sum of taxes.
    pub tax: Dec,
    /// The total: `untaxed + tax`, or the ERP's own conversion of the document's total
    /// (ERPNext's `base_grand_total`, which need not be their sum).
    pub total: Dec,
}

fn dialect_name(rules: &RuleSet) -> String {
    match rules.dialect {
        Dialect::Exact { rounding, scope } => format!("exact ({}, per {})", rounding_name(rounding), scope_name(scope)),
        Dialect::Odoo { scope } => format!("odoo (round {})", if scope == Scope::Line { "per line" } else { "globally" }),
        Dialect::Odoo16 { scope } => format!("odoo16 (round {})", if scope == Scope::Line { "per line" } else { "globally" }),
        Dialect::Erpnext { rounding_method } => format!(
            "erpnext ({})",
            match rounding_method {
                FrappeRounding::Bankers => "bankers",
                FrappeRounding::BankersLegacy => "bankers_legacy",
                FrappeRounding::Commercial => "commercial",
            }
        ),
    }
}

fn rounding_name(r: Rounding) -> &'static str {
    match r {
        Rounding::HalfUp => "half-up",
        Rounding::HalfEven => "half-even",
        Rounding::HalfDown => "half-down",
        Rounding::Up => "up",
        Rounding::Down => "down",
    }
}

fn scope_name(s: Scope) -> &'static str {
    match s {
        Scope::Line => "line",
        Scope::Document => "document",
    }
}

/// `value` written with at least `places` decimals: a tax nothing was charged for prints "0.00",
/// not "0" (the dialects' totals start from a bare zero).
#[inline(always)]
fn at_least_places(mut value: Decimal, places: u32) -> Decimal {
    if value.scale() >= places && !value.is_zero() {
        return value;
    }
    if value.is_zero() {
        // Never "-0.00".
        value = Decimal::ZERO;
    }
    if value.scale() < places {
        value.rescale(places);
    }
    value
}

/// Splits a computed tax amount over its repartition parts: each part is `amount × factor / 100`
/// rounded half-up to the step; what the customer is charged is `amount × Σ factors / 100`
/// rounded once, and the parts' rounding difference goes a step at a time to the first parts
/// (Odoo's spreading), so the parts always add up to the charge.
fn repartition(plan: &Plan, unit: Decimal, amount: Decimal, parts: &[(String, Decimal)], at: At) -> Result<(Decimal, Vec<Decimal>), TaxError> {
    let step = crate::tax::rounding::Step::new(unit);
    let hundred = Decimal::ONE_HUNDRED;
    let factor_sum = parts.iter().try_fold(Decimal::ZERO, |acc, (_, f)| acc.checked_add(*f)).ok_or_else(|| plan.overflow(at))?;
    let charged = step.round(plan.mul(amount, factor_sum / hundred, at)?, Rounding::HalfUp);
    let mut amounts = Vec::with_capacity(parts.len());
    for (_, f) in parts {
        amounts.push(step.round(plan.mul(amount, *f / hundred, at)?, Rounding::HalfUp));
    }
    let mut left = plan.sub(charged, plan.sum(amounts.iter().copied(), at)?, at)?;
    let one = if left.is_sign_negative() { -unit } else { unit };
    let mut i = 0;
    // At most one step per part: each part is within half a step of its share.
    while !left.is_zero() && !unit.is_zero() && i < amounts.len() * 2 {
        let k = i % amounts.len();
        amounts[k] += one;
        left -= one;
        i += 1;
    }
    if !left.is_zero() {
        return Err(inconsistent(plan.field_of(at), "repartition parts do not add up to the charge".into()));
    }
    Ok((charged, amounts))
}

fn inconsistent(field: String, reason: String) -> TaxError {
    TaxError::InvalidRule { field, reason: format!("internal inconsistency: {reason}") }
}

/// Builds the result from a plan and a dialect's computation, checking the invariants.
pub fn assemble(
    rules: &RuleSet,
    document: &TaxDocument,
    plan: &Plan,
    computed: &Computed,
) -> Result<TaxResult, TaxError> {
    if computed.lines.len() != plan.lines.len() || computed.tax_totals.len() != plan.taxes.len() {
        return Err(inconsistent("lines".into(), "dialect returned another shape than the plan".into()));
    }
    let after_tax_discount = !rules.discounts_before_tax;
    // Nothing charged still prints with the currency's places ("0.00", not "0").
    let zero = {
        let mut z = Decimal::ZERO;
        z.rescale(plan.places);
        z
    };
    let mut lines = Vec::with_capacity(plan.lines.len());
    let mut sums = vec![zero; plan.taxes.len()];
    // What each tax charges over the document: its lines' charged amounts.
    let mut charged_totals = vec![zero; plan.taxes.len()];
    // Per repartitioned tax: the computed (pre-repartition) sum and each part's sum.
    let mut computed_sums = vec![zero; plan.taxes.len()];
    let mut part_sums: Vec<Vec<Decimal>> = plan.taxes.iter().map(|t| vec![zero; t.repartition.len()]).collect();
    let part_labels: Vec<Vec<Arc<str>>> = plan.taxes.iter().map(|t| t.repartition.iter().map(|(l, _)| Arc::from(l.as_str())).collect()).collect();
    let mut bases = vec![zero; plan.taxes.len()];
    let mut charged = vec![false; plan.taxes.len()];
    // Shared once per document: every line's explanation points at the same strings.
    let codes: Vec<Arc<str>> = plan.taxes.iter().map(|t| Arc::from(t.code.as_str())).collect();
    let names: Vec<Arc<str>> = plan.taxes.iter().map(|t| Arc::from(t.name.as_str())).collect();
    let groups: Vec<Option<Arc<str>>> = plan.taxes.iter().map(|t| t.group.as_deref().map(Arc::from)).collect();
    let rules_text: Vec<Arc<str>> = plan.taxes.iter().map(|t| Arc::from(t.rule.as_str())).collect();
    for (i, (pl, cl)) in plan.lines.iter().zip(&computed.lines).enumerate() {
        let mut taxes = Vec::new();
        let mut line_tax = zero;
        for (k, (tax, how)) in plan.taxes.iter().zip(&pl.taxes).enumerate() {
            let computed_tax = cl.taxes.get(k).copied().flatten();
            let (treatment, rate, base, amount, rule) = match how {
                LineTax::NotApplicable | LineTax::NoRateForClass => continue,
                LineTax::Applies { rate } => {
                    let ct = computed_tax.ok_or_else(|| inconsistent(format!("lines[{i}]"), format!("{} not computed", tax.code)))?;
                    charged[k] = true;
                    (Treatment::Taxed, Some(Dec(*rate)), ct.base, ct.amount, rules_text[k].clone())
                }
                LineTax::ZeroRated => {
                    charged[k] = true;
                    (Treatment::ZeroRated, None, cl.untaxed, zero, Arc::from(format!("{}: zero-rated item", tax.name)))
                }
                LineTax::Exempt => (Treatment::Exempt, None, cl.untaxed, zero, Arc::from(format!("{}: exempt item", tax.name))),
                LineTax::Relieved { exemption } => {
                    let why = rules.exemptions.iter().find(|e| e.code == *exemption).map(|e| e.description.as_str()).unwrap_or("");
                    (Treatment::Relieved, None, cl.untaxed, zero, Arc::from(format!("{}: relieved by {exemption} ({why})", tax.name)))
                }
            };
            // The dialect's amount is the tax as computed; the dialect's totals are of those.
            sums[k] = plan.add(sums[k], amount, At::Tax(k))?;
            let (charged_amount, parts) = if tax.repartition.is_empty() {
                (amount, Vec::new())
            } else {
                computed_sums[k] = plan.add(computed_sums[k], amount, At::Tax(k))?;
                let (charged_amount, parts) = repartition(plan, plan.step, amount, &tax.repartition, At::Tax(k))?;
                for (sum, part) in part_sums[k].iter_mut().zip(&parts) {
                    *sum = plan.add(*sum, *part, At::Tax(k))?;
                }
                (charged_amount, parts)
            };
            let amount = charged_amount;
            if !tax.repartition.is_empty() {
                charged_totals[k] = plan.add(charged_totals[k], amount, At::Tax(k))?;
            }
            if treatment == Treatment::Taxed {
                bases[k] = plan.add(bases[k], base, At::Tax(k))?;
            }
            line_tax = plan.add(line_tax, amount, At::Line(i))?;
            taxes.push(LineTaxView {
                code: codes[k].clone(),
                name: names[k].clone(),
                group: groups[k].clone(),
                kind: tax.kind,
                treatment,
                rate,
                // A per-unit tax's base may be a quantity (ERPNext's On Item Quantity): as computed.
                base: Dec(if tax.kind == TaxKind::PerUnit { base } else { at_least_places(base, plan.places) }),
                amount: Dec(at_least_places(amount, plan.places)),
                included: tax.price_include,
                rule,
                computed: (!tax.repartition.is_empty()).then(|| Dec(at_least_places(computed_tax.map(|c| c.amount).unwrap_or(zero), plan.places))),
                parts: part_labels[k]
                    .iter()
                    .zip(parts)
                    .map(|(label, amount)| PartView { label: label.clone(), amount: Dec(at_least_places(amount, plan.places)) })
                    .collect(),
            });
        }
        let included: Vec<Decimal> = plan
            .taxes
            .iter()
            .zip(&cl.taxes)
            .filter(|(t, _)| t.price_include)
            .filter_map(|(_, c)| c.map(|c| c.amount))
            .collect();
        let included_sum = plan.sum(included.iter().copied(), At::Line(i))?;
        let difference = if cl.difference.is_zero() { Decimal::ZERO } else { plan.bounded(cl.difference, At::Line(i))? };
        if included.is_empty() && !difference.is_zero() && computed.keeps_shelf {
            return Err(inconsistent(format!("lines[{i}]"), "a rounding difference on a line without included taxes".into()));
        }
        if computed.keeps_shelf && !included.is_empty() && plan.add(cl.untaxed, included_sum, At::Line(i))? + difference != pl.net {
            return Err(inconsistent(format!("lines[{i}]"), "untaxed plus included taxes is not the shelf amount".into()));
        }
        let discount_after = if after_tax_discount { pl.discount } else { Decimal::ZERO };
        let untaxed = if discount_after.is_zero() { cl.untaxed } else { plan.sub(cl.untaxed, discount_after, At::Line(i))? };
        lines.push(LineView {
            id: pl.id.clone(),
            gross: Dec(at_least_places(pl.gross, plan.places)),
            discount: Dec(at_least_places(
                if cl.document_discount.is_zero() { pl.discount } else { plan.add(pl.discount, cl.document_discount, At::Line(i))? },
                plan.places,
            )),
            untaxed: Dec(at_least_places(untaxed, plan.places)),
            tax: Dec(at_least_places(line_tax, plan.places)),
            rounding_difference: (!difference.is_zero()).then(|| Dec(at_least_places(difference, plan.places))),
            total: Dec(at_least_places(
                if difference.is_zero() {
                    plan.add(untaxed, line_tax, At::Line(i))?
                } else {
                    plan.add(plan.add(untaxed, line_tax, At::Line(i))?, difference, At::Line(i))?
                },
                plan.places,
            )),
            taxes,
        });
    }
    for (k, tax) in plan.taxes.iter().enumerate() {
        if sums[k] != computed.tax_totals[k] {
            return Err(inconsistent(
                format!("taxes.{}", tax.code),
                format!("lines add up to {} but the document tax is {}", sums[k], computed.tax_totals[k]),
            ));
        }
    }
    let taxes: Vec<TaxTotalView> = plan
        .taxes
        .iter()
        .enumerate()
        .filter(|(k, _)| charged[*k])
        .map(|(k, t)| TaxTotalView {
            code: codes[k].clone(),
            name: names[k].clone(),
            group: groups[k].clone(),
            base: Dec(at_least_places(bases[k], plan.places)),
            // Without a repartition, what is charged is what was computed.
            amount: Dec(at_least_places(if t.repartition.is_empty() { sums[k] } else { charged_totals[k] }, plan.places)),
            included: t.price_include,
            computed: (!t.repartition.is_empty()).then(|| Dec(at_least_places(computed_sums[k], plan.places))),
            parts: part_labels[k]
                .iter()
                .zip(&part_sums[k])
                .map(|(label, amount)| PartView { label: label.clone(), amount: Dec(at_least_places(*amount, plan.places)) })
                .collect(),
        })
        .collect();
    let sum = |f: fn(&LineView) -> Dec, name: &'static str| plan.sum(lines.iter().map(|l| f(l).value()), At::Doc(name));
    let gross = sum(|l| l.gross, "gross")?;
    let discount = sum(|l| l.discount, "discount")?;
    let untaxed = sum(|l| l.untaxed, "untaxed")?;
    let tax = sum(|l| l.tax, "tax")?;
    let any_difference = lines.iter().any(|l| l.rounding_difference.is_some());
    let difference = if any_difference {
        plan.sum(lines.iter().filter_map(|l| l.rounding_difference.map(|d| d.value())), At::Doc("rounding_difference"))?
    } else {
        Decimal::ZERO
    };
    let total = plan.add(plan.add(untaxed, tax, At::Doc("total"))?, difference, At::Doc("total"))?;
    let cash_rounding = match (document.cash, rules.cash_rounding) {
        (true, Some(step)) if step.value() > Decimal::ZERO => {
            let cash = to_step(total, step.value(), Rounding::HalfUp);
            let cash = if cash.scale() < plan.places { to_step(cash, plan.step, Rounding::HalfUp) } else { cash };
            Some(CashRoundingView { step, total: Dec(cash), adjustment: Dec(cash - total) })
        }
        _ => None,
    };
    // Per exemption, the taxes it relieved on this document, in order of application.
    let mut relieved_by: std::collections::HashMap<&str, Vec<String>> = std::collections::HashMap::new();
    for pl in &plan.lines {
        for (tax, how) in plan.taxes.iter().zip(&pl.taxes) {
            if let LineTax::Relieved { exemption } = how {
                let list = relieved_by.entry(exemption.as_str()).or_default();
                if !list.contains(&tax.code) {
                    list.push(tax.code.clone());
                }
            }
        }
    }
    let exemptions = applied_exemptions(rules, document)?
        .into_iter()
        .map(|e| ExemptionView {
            code: e.code.clone(),
            description: e.description.clone(),
            relieved: relieved_by.get(e.code.as_str()).cloned().unwrap_or_default(),
            certificate: e.requires_certificate.then(|| document.customer.certificate.clone()).flatten(),
        })
        .collect();
    let company = match (&computed.company, &document.company_currency, plan.company) {
        (Some(cc), Some(currency), Some(conv)) => Some(company_view(plan, cc, &currency.code, conv, after_tax_discount)?),
        _ => None,
    };
    Ok(TaxResult {
        rule_set: format!("{}@{}", rules.id, rules.version),
        dialect: dialect_name(rules),
        currency: rules.currency.code.clone(),
        lines,
        taxes,
        gross: Dec(at_least_places(gross, plan.places)),
        discount: Dec(at_least_places(discount, plan.places)),
        untaxed: Dec(at_least_places(untaxed, plan.places)),
        tax: Dec(at_least_places(tax, plan.places)),
        rounding_difference: any_difference.then(|| Dec(at_least_places(difference, plan.places))),
        total: Dec(at_least_places(total, plan.places)),
        exemptions,
        cash_rounding,
        company,
    })
}

/// The company-currency view of a dialect's company side: taxes charged after repartition (in
/// the company's step), lines and totals summed.
fn company_view(
    plan: &Plan,
    cc: &crate::tax::plan::CompanyComputed,
    currency: &str,
    conv: crate::tax::plan::Conversion,
    after_tax_discount: bool,
) -> Result<CompanyView, TaxError> {
    if cc.lines.len() != plan.lines.len() {
        return Err(inconsistent("company_currency".into(), "dialect returned another shape than the plan".into()));
    }
    let places = conv.places;
    let zero = at_least_places(Decimal::ZERO, places);
    let mut bases = vec![zero; plan.taxes.len()];
    let mut amounts = vec![zero; plan.taxes.len()];
    let mut charged = vec![false; plan.taxes.len()];
    let mut lines = Vec::with_capacity(plan.lines.len());
    for (i, (pl, cl)) in plan.lines.iter().zip(&cc.lines).enumerate() {
        let mut line_tax = zero;
        for (k, (tax, how)) in plan.taxes.iter().zip(&pl.taxes).enumerate() {
            if !matches!(how, LineTax::Applies { .. }) {
                continue;
            }
            let ct = cl.taxes.get(k).copied().flatten().ok_or_else(|| inconsistent(format!("lines[{i}]"), format!("{} not converted", tax.code)))?;
            let amount = if tax.repartition.is_empty() { ct.amount } else { repartition(plan, conv.step, ct.amount, &tax.repartition, At::Tax(k))?.0 };
            charged[k] = true;
            bases[k] = plan.add(bases[k], ct.base, At::Tax(k))?;
            amounts[k] = plan.add(amounts[k], amount, At::Tax(k))?;
            line_tax = plan.add(line_tax, amount, At::Line(i))?;
        }
        let mut untaxed = cl.untaxed;
        if after_tax_discount && !pl.discount.is_zero() {
            let discount = conv.round(pl.discount, Rounding::HalfUp).ok_or_else(|| TaxError::Overflow { field: "company_currency".into() })?;
            untaxed = plan.sub(untaxed, discount, At::Line(i))?;
        }
        lines.push(CompanyLineView {
            id: pl.id.clone(),
            untaxed: Dec(at_least_places(untaxed, places)),
            tax: Dec(at_least_places(line_tax, places)),
            total: Dec(at_least_places(plan.add(untaxed, line_tax, At::Line(i))?, places)),
        });
    }
    let untaxed = plan.sum(lines.iter().map(|l| l.untaxed.value()), At::Doc("company_currency"))?;
    let tax = plan.sum(lines.iter().map(|l| l.tax.value()), At::Doc("company_currency"))?;
    let total = match cc.total {
        Some(t) => t,
        None => plan.add(untaxed, tax, At::Doc("company_currency"))?,
    };
    let taxes = plan
        .taxes
        .iter()
        .enumerate()
        .filter(|(k, _)| charged[*k])
        .map(|(k, t)| CompanyTaxView { code: Arc::from(t.code.as_str()), base: Dec(at_least_places(bases[k], places)), amount: Dec(at_least_places(amounts[k], places)) })
        .collect();
    Ok(CompanyView {
        currency: currency.to_owned(),
        lines,
        taxes,
        untaxed: Dec(at_least_places(untaxed, places)),
        tax: Dec(at_least_places(tax, places)),
        total: Dec(at_least_places(total, places)),
    })
}
