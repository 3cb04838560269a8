//! The `odoo16` dialect: the tax computation of Odoo 16.0 and 17.0 (stable), whose
//! `account.tax.compute_all` predates the batch engine of Odoo 18 (our `odoo` dialect). Many
//! deployments still run it, and it gives other cents on tax-included prices and on consecutive
//! division taxes. Exact decimals reproduce it: Odoo rounds half-up with a correction for binary
//! noise, which exact half-up is.
//!
//! Per line, with `B` the line's amount (rounded to the currency, made positive; the sign is put
//! back at the end):
//! 1. **Untaxed amount first.** The taxes are walked from the last to the first, collecting the
//!    price-included ones: percentages `P`, division rates `D` and a fixed amount `F` (Odoo
//!    *assigns* it, so of two included fixed taxes in one segment only the earlier counts). A tax
//!    that affects later bases closes a segment: `B ← (B − F) / (1 + P/100) × (100 − D)/100`, and
//!    the collections restart. The first included tax met in a segment with a non-zero rate
//!    (the segment's last in order) keeps a *checkpoint*: the segment's tax-included total. After
//!    the walk the same step gives the untaxed amount, **rounded to the currency** whatever the
//!    rounding method.
//! 2. **Taxes forward** from the untaxed amount. A checkpointed tax is the checkpoint minus the
//!    running base and the included taxes since the previous checkpoint: it absorbs the rounding.
//!    Every other tax, included or not, uses the price-excluded formula on the running base:
//!    `b × r`, division `b / (1 − r) − b`, fixed amounts as they are. Each is rounded to the
//!    currency (per line) or to five more places (globally). A tax that affects later bases adds
//!    its amount to the running base; an excluded one then disables later checkpoints.
//!
//! So 52.50 at 12 % included is 46.88 + 5.62 here (46.87 + 5.63 in Odoo 18), and consecutive
//! division taxes are each computed alone (44.15 on 32.33 with Brazil's five, where Odoo 18
//! gives 48.00).
//!
//! Refused with [`TaxError::Unsupported`]: bases on the running total or on a previous tax
//! (ERPNext's charge types, not expressible in Odoo); and, rounding per line, a line whose
//! included taxes Odoo 16 would not make add up to the shelf price (an excluded tax affecting
//! later bases before an included one, or a zero included rate last), where Odoo's own total
//! differs from the price.
//!
//! Round globally: line amounts keep five more places; each tax's document total is rounded once
//! and spread over the lines (`exact::spread_per_document`); a line's untaxed amount stays the shelf amount
//! minus its included taxes.

use rust_decimal::Decimal;

use crate::money::{round, Rounding};
use crate::tax::exact::{collect, company_side, spread_per_document, Global, Table};
use crate::tax::model::{Scope, TaxError, TaxKind};
use crate::tax::plan::{At, Computed, Plan, PlanBase};
use crate::tax::rounding::{apportion, Step};

/// Extra places Odoo keeps on line amounts when rounding globally.
const GLOBAL_EXTRA_DIGITS: u32 = 5;

fn overflow(field: String) -> TaxError {
    TaxError::Overflow { field }
}

fn unsupported(field: String) -> TaxError {
    TaxError::Unsupported { field, value: "odoo16".into() }
}

/// The price-included taxes collected over one segment of the reverse walk.
#[derive(Default)]
struct Included {
    percent: Decimal,
    division: Decimal,
    fixed: Decimal,
}

impl Included {
    /// `(B − F) / (1 + P/100) × (100 − D)/100`, and the collection restarts.
    fn collapse(&mut self, base: Decimal, field: &dyn Fn() -> String) -> Result<Decimal, TaxError> {
        let divisor = Decimal::ONE_HUNDRED.checked_add(self.percent).ok_or_else(|| overflow(field()))?;
        if divisor.is_zero() {
            return Err(TaxError::InvalidRule { field: field(), reason: "included taxes leave no base".into() });
        }
        let out = base
            .checked_sub(self.fixed)
            .and_then(|b| b.checked_mul(Decimal::ONE_HUNDRED))
            .and_then(|b| b.checked_div(divisor))
            .and_then(|b| b.checked_mul(Decimal::ONE_HUNDRED - self.division))
            .and_then(|b| b.checked_div(Decimal::ONE_HUNDRED))
            .ok_or_else(|| overflow(field()))?;
        *self = Included::default();
        Ok(out)
    }
}

/// Computes the plan the way Odoo 16.0 and 17.0 do. See the module documentation.
pub fn compute(plan: &Plan, scope: Scope) -> Result<Computed, TaxError> {
    let n_taxes = plan.taxes.len();
    let step = plan.step;
    let rounder = Step::new(step);
    for tax in &plan.taxes {
        if tax.base != PlanBase::Net {
            return Err(unsupported(format!("taxes.{}.base", tax.code)));
        }
    }
    let tax_round = |x: Decimal| match scope {
        Scope::Line => rounder.round(x, Rounding::HalfUp),
        Scope::Document => round(x, plan.places + GLOBAL_EXTRA_DIGITS, Rounding::HalfUp),
    };

    // Fixed amounts per document, spread over the lines they apply to, in proportion to net.
    let mut doc_shares: Vec<Option<Vec<Decimal>>> = vec![None; n_taxes];
    for (k, tax) in plan.taxes.iter().enumerate() {
        if tax.kind != TaxKind::FixedPerDocument {
            continue;
        }
        let Some(rate) = plan.lines.iter().find_map(|l| l.taxes[k].rate()) else { continue };
        let weights: Vec<Decimal> =
            plan.lines.iter().map(|l| if l.taxes[k].rate().is_some() { l.net.abs() } else { Decimal::ZERO }).collect();
        let total = rounder.round(rate, Rounding::HalfUp);
        doc_shares[k] = Some(apportion(total, &weights, step).ok_or_else(|| overflow(format!("taxes.{}", tax.code)))?);
    }

    let mut amounts: Table<Option<Decimal>> = Table::with_rows(plan.lines.len(), n_taxes);
    let mut bases: Table<Decimal> = Table::with_rows(plan.lines.len(), n_taxes);
    let mut untaxed: Vec<Decimal> = Vec::with_capacity(plan.lines.len());
    for (i, line) in plan.lines.iter().enumerate() {
        let field = || format!("lines[{i}]");
        let negative = line.net.is_sign_negative() && !line.net.is_zero()
            || line.net.is_zero() && line.quantity.is_sign_negative();
        let sign = if negative { -Decimal::ONE } else { Decimal::ONE };
        let on_line: Vec<usize> = (0..n_taxes).filter(|&k| line.taxes[k].rate().is_some()).collect();
        // A fixed tax's amount on this line, positive (the sign is the line's).
        let fixed_amount = |k: usize, rate: Decimal| -> Result<Decimal, TaxError> {
            Ok(match plan.taxes[k].kind {
                TaxKind::PerUnit => plan.mul(line.quantity.abs(), rate, At::Line(i))?,
                TaxKind::FixedPerLine => rate,
                TaxKind::FixedPerDocument => doc_shares[k].as_ref().map(|s| s[i].abs()).unwrap_or_default(),
                _ => Decimal::ZERO,
            })
        };

        // 1. The untaxed amount, walking back.
        let mut base = line.net.abs();
        let mut collected = Included::default();
        let mut checkpoints: Vec<Option<Decimal>> = vec![None; n_taxes];
        let mut store_checkpoint = true;
        // Whether the tax after this one (met just before, walking back) takes in this one's
        // amount: only then does this tax close a segment.
        let mut next_affected = true;
        for &k in on_line.iter().rev() {
            let tax = &plan.taxes[k];
            let rate = line.taxes[k].rate().unwrap_or_default();
            if tax.include_in_later_base && next_affected {
                base = collected.collapse(base, &field)?;
                store_checkpoint = true;
            }
            if tax.price_include {
                match tax.kind {
                    TaxKind::Percent => collected.percent = plan.add(collected.percent, rate, At::Line(i))?,
                    TaxKind::Division => collected.division = plan.add(collected.division, rate, At::Line(i))?,
                    // Assigned, not added: Odoo's own behaviour.
                    _ => collected.fixed = fixed_amount(k, rate)?,
                }
                if store_checkpoint && !rate.is_zero() {
                    checkpoints[k] = Some(base);
                    store_checkpoint = false;
                }
            }
            next_affected = tax.base_affected;
        }
        let total_excluded = plan.bounded(rounder.round(collected.collapse(base, &field)?, Rounding::HalfUp), At::Line(i))?;

        // 2. The taxes, walking forward.
        let mut line_amounts = vec![None; n_taxes];
        let mut line_bases = vec![Decimal::ZERO; n_taxes];
        let mut base = total_excluded;
        let mut since_checkpoint = Decimal::ZERO;
        let mut skip_checkpoints = false;
        for &k in &on_line {
            let tax = &plan.taxes[k];
            let rate = line.taxes[k].rate().unwrap_or_default();
            // A tax not affected by earlier ones is computed on the untaxed amount.
            let tax_base = if tax.price_include || tax.base_affected { base } else { total_excluded };
            let checkpoint = checkpoints[k].filter(|_| !skip_checkpoints && tax.price_include);
            let exact = match checkpoint {
                Some(total) => {
                    let amount = plan.sub(total, plan.add(base, since_checkpoint, At::Line(i))?, At::Line(i))?;
                    since_checkpoint = Decimal::ZERO;
                    amount
                }
                None => match tax.kind {
                    TaxKind::Percent => plan.mul(tax_base, rate / Decimal::ONE_HUNDRED, At::Line(i))?,
                    TaxKind::Division => {
                        let keep = Decimal::ONE - rate / Decimal::ONE_HUNDRED;
                        if keep.is_zero() {
                            Decimal::ZERO
                        } else {
                            let gross = tax_base.checked_div(keep).ok_or_else(|| overflow(field()))?;
                            plan.sub(plan.bounded(gross, At::Line(i))?, tax_base, At::Line(i))?
                        }
                    }
                    _ => fixed_amount(k, rate)?,
                },
            };
            let amount = tax_round(exact);
            if tax.price_include && checkpoints[k].is_none() {
                since_checkpoint = plan.add(since_checkpoint, amount, At::Line(i))?;
            }
            line_bases[k] = tax_base;
            line_amounts[k] = Some(amount);
            if tax.include_in_later_base {
                base = plan.add(base, amount, At::Line(i))?;
                if !tax.price_include {
                    skip_checkpoints = true;
                }
            }
        }
        // Odoo 16 keeps the shelf price only when the last included tax of each segment can take
        // up the rounding; an excluded tax affecting the base before an included one (or an
        // included zero rate last) leaves Odoo's own total off the price. Refused, not
        // silently made to differ from Odoo.
        if scope == Scope::Line && on_line.iter().any(|&k| plan.taxes[k].price_include) {
            let included = plan.sum(on_line.iter().filter(|&&k| plan.taxes[k].price_include).filter_map(|&k| line_amounts[k]), At::Line(i))?;
            if plan.add(total_excluded, included, At::Line(i))? != line.net.abs() {
                return Err(unsupported(field()));
            }
        }
        let row = amounts.push_row(None);
        bases.push_row(Decimal::ZERO);
        for k in 0..n_taxes {
            amounts[row][k] = line_amounts[k].map(|x| x * sign);
            bases[row][k] = line_bases[k] * sign;
        }
        untaxed.push(total_excluded * sign);
    }

    // The unrounded tables, for the company's currency in document scope.
    let raw = (plan.company.is_some() && scope == Scope::Document).then(|| (amounts.clone(), bases.clone(), untaxed.clone()));
    // Round globally: each tax's document total once, spread over its lines.
    if scope == Scope::Document {
        spread_per_document(plan, plan.step, &mut amounts, Rounding::HalfUp)?;
        // The shelf amount is kept exactly: untaxed = net − the included taxes as spread.
        for (i, line) in plan.lines.iter().enumerate() {
            let included: Vec<Decimal> = (0..n_taxes).filter(|&k| plan.taxes[k].price_include).filter_map(|k| amounts[i][k]).collect();
            if !included.is_empty() {
                untaxed[i] = plan.sub(line.net, plan.sum(included, At::Line(i))?, At::Line(i))?;
            }
        }
    }

    let mut computed = collect(plan, plan.step, &amounts, &bases, &untaxed, Rounding::HalfUp)?;
    computed.company = company_side(plan, scope, Rounding::HalfUp, Global::Spread(Rounding::HalfUp), raw.as_ref(), &computed)?;
    Ok(computed)
}
