//! The `exact` dialect: decimal arithmetic with the rounding rule and scope the rule set names.
//! Also the engine behind [`crate::tax::odoo`], which differs only in its options.
//!
//! Price-included taxes are back-computed: every tax amount on a line is linear in the line's
//! untaxed amount `B` (`a = c·B + f`, fixed kinds having `c = 0`), so the chain is first run on
//! symbols to find `B = (T − Σf) / (1 + Σc)` over the included taxes, then the included amounts
//! are rounded and the untaxed amount is the shelf total minus them: the included total is
//! exactly the shelf price, whatever the rounding.

use rust_decimal::Decimal;

use crate::money::Rounding;
use crate::tax::model::{Scope, TaxError, TaxKind};
use crate::tax::plan::{At, CompanyComputed, Computed, ComputedLine, ComputedTax, Plan, PlanBase};
use crate::tax::rounding::{apportion, round_to_total, Step};

/// How the engine rounds and orders.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// The rounding rule.
    pub rounding: Rounding,
    /// Per line or per document.
    pub scope: Scope,
    /// In document scope, Odoo 18's "round globally": lines are taxed on their unrounded
    /// amounts ([`crate::tax::plan::PlannedLine::exact_net`]), and every amount is rounded and
    /// corrected as [`odoo18_round_globally`] does. Otherwise document scope rounds each tax's
    /// exact total once and spreads it ([`spread_per_document`]).
    pub odoo18_global: bool,
    /// Evaluate fixed-amount taxes before the others (Odoo's order).
    pub fixed_first: bool,
    /// Consecutive division taxes share one denominator (Odoo 18's batches): see
    /// [`division_factors`].
    pub division_batches: bool,
}

/// Computes the plan with exact decimals.
pub fn compute(plan: &Plan, rounding: Rounding, scope: Scope) -> Result<Computed, TaxError> {
    run(plan, Options { rounding, scope, odoo18_global: false, fixed_first: false, division_batches: false })
}

fn is_fixed(kind: TaxKind) -> bool {
    matches!(kind, TaxKind::PerUnit | TaxKind::FixedPerLine | TaxKind::FixedPerDocument)
}

/// A tax amount as an affine function of the line's untaxed amount: `coef·B + fixed`.
#[derive(Debug, Clone, Copy, Default)]
struct Affine {
    coef: Decimal,
    fixed: Decimal,
}

impl Affine {
    /// `None` when a coefficient no longer fits a `Decimal` (the caller reports an overflow).
    fn add(self, o: Affine) -> Option<Affine> {
        Some(Affine { coef: self.coef.checked_add(o.coef)?, fixed: self.fixed.checked_add(o.fixed)? })
    }
    fn scale(self, k: Decimal) -> Option<Affine> {
        Some(Affine { coef: self.coef.checked_mul(k)?, fixed: self.fixed.checked_mul(k)? })
    }
}

/// The multiplier of the base for proportional kinds: `rate / 100` (a scale shift, no division)
/// or, for division, `rate / (100 − rate)`; at exactly 100 %, Odoo 18 divides by 1 instead (the
/// tax is the whole excluded base). Resolution refuses 100 % in the other dialects.
fn factor(kind: TaxKind, rate: Decimal) -> Decimal {
    match kind {
        TaxKind::Division if rate == Decimal::ONE_HUNDRED => Decimal::ONE,
        TaxKind::Division => rate / (Decimal::ONE_HUNDRED - rate),
        _ => {
            let mut f = rate;
            if f.scale() + 2 <= 28 {
                f.set_scale(f.scale() + 2).unwrap_or(());
                f
            } else {
                rate / Decimal::ONE_HUNDRED
            }
        }
    }
}

/// Each tax's multiplier of its base on one line ([`factor`]), with Odoo 18's division batches
/// when `batches` is set: a run of consecutive division taxes on the line (in order of
/// application, other taxes of the line breaking the run), all price-included or all excluded,
/// none affecting later bases (or each not affected by the one before), is computed together. Excluded, each is `base × rᵢ / (1 − Σr)`;
/// included, `price × rᵢ`, which the same multiplier gives once the untaxed amount is solved
/// for. A run whose rates add up to exactly 100 % divides by 1, as Odoo does; above 100 % it
/// would leave a negative base and is refused.
///
/// `None` when no batch has two taxes: each tax's multiplier is then [`factor`] alone (no
/// allocation on the common path).
fn division_factors(plan: &Plan, line: &crate::tax::plan::PlannedLine, batches: bool, field: &dyn Fn() -> String) -> Result<Option<Vec<Decimal>>, TaxError> {
    if !batches {
        return Ok(None);
    }
    let divisions = plan.taxes.iter().zip(&line.taxes).filter(|(t, lt)| t.kind == TaxKind::Division && lt.rate().is_some()).count();
    if divisions < 2 {
        return Ok(None);
    }
    let mut factors = vec![Decimal::ZERO; plan.taxes.len()];
    let mut run: Vec<usize> = Vec::new();
    let close = |run: &mut Vec<usize>, factors: &mut Vec<Decimal>| -> Result<(), TaxError> {
        if run.len() > 1 {
            let mut sum = Decimal::ZERO;
            for &k in run.iter() {
                sum = sum.checked_add(line.taxes[k].rate().unwrap_or_default()).ok_or_else(|| overflow(field()))?;
            }
            let mut left = Decimal::ONE_HUNDRED - sum;
            if left < Decimal::ZERO {
                return Err(TaxError::InvalidRule {
                    field: format!("taxes.{}.rates", plan.taxes[run[0]].code),
                    reason: format!("consecutive division taxes add up to {sum} %, leaving less than no base"),
                });
            }
            if left.is_zero() {
                left = Decimal::ONE_HUNDRED;
            }
            for &k in run.iter() {
                factors[k] = line.taxes[k].rate().unwrap_or_default().checked_div(left).ok_or_else(|| overflow(field()))?;
            }
        }
        run.clear();
        Ok(())
    };
    for (k, tax) in plan.taxes.iter().enumerate() {
        let Some(rate) = line.taxes[k].rate() else { continue };
        factors[k] = factor(tax.kind, rate);
        // Odoo joins a tax to the batch of the one before it when both are division taxes on the
        // same side of the price and agree on affecting later bases; two that do affect them
        // stay together only when the later one is not affected by the earlier.
        let batchable = tax.kind == TaxKind::Division && tax.base == PlanBase::Net;
        let joins = batchable
            && run.last().is_some_and(|&j| {
                let before = &plan.taxes[j];
                before.price_include == tax.price_include
                    && before.include_in_later_base == tax.include_in_later_base
                    && (!before.include_in_later_base || !tax.base_affected)
            });
        if !joins {
            close(&mut run, &mut factors)?;
        }
        if batchable {
            run.push(k);
        }
    }
    close(&mut run, &mut factors)?;
    Ok(Some(factors))
}

/// Whether the line's price-included taxes are division taxes adding up to exactly 100 %, as
/// Odoo 18 accepts (its own test: 100.00 at 100 % included is a base of 0 and a tax of 100.00).
/// Then the untaxed amount is 0 and each is the price × its rate. Only as one batch and as the
/// line's only included taxes: anything else beside them is refused rather than guessed.
fn whole_price_division(plan: &Plan, line: &crate::tax::plan::PlannedLine, o: &Options) -> Result<bool, TaxError> {
    if !o.division_batches {
        return Ok(false);
    }
    let on_line: Vec<usize> = (0..plan.taxes.len()).filter(|&k| line.taxes[k].rate().is_some()).collect();
    let included: Vec<usize> = on_line.iter().copied().filter(|&k| plan.taxes[k].price_include).collect();
    let divisions: Vec<usize> = included.iter().copied().filter(|&k| plan.taxes[k].kind == TaxKind::Division).collect();
    let mut sum = Decimal::ZERO;
    for &k in &divisions {
        sum = sum.checked_add(line.taxes[k].rate().unwrap_or_default()).ok_or_else(|| overflow(format!("taxes.{}.rates", plan.taxes[k].code)))?;
    }
    if divisions.is_empty() || sum != Decimal::ONE_HUNDRED {
        return Ok(false);
    }
    // One batch: consecutive among the line's taxes, all on the untaxed amount, none affecting
    // later bases, and nothing else included.
    let first = on_line.iter().position(|&k| k == divisions[0]).unwrap_or(0);
    let consecutive = on_line.get(first..first + divisions.len()) == Some(&divisions[..]);
    let plain = divisions.iter().all(|&k| plan.taxes[k].base == PlanBase::Net && !plan.taxes[k].include_in_later_base);
    if included.len() != divisions.len() || !consecutive || !plain {
        return Err(TaxError::Unsupported { field: format!("taxes.{}.rates", plan.taxes[divisions[0]].code), value: "odoo".into() });
    }
    Ok(true)
}

/// A lines × taxes table in one allocation; `table[i]` is line `i`'s row.
#[derive(Clone)]
pub(crate) struct Table<T> {
    width: usize,
    rows: usize,
    cells: Vec<T>,
}

impl<T: Clone> Table<T> {
    pub(crate) fn with_rows(rows: usize, width: usize) -> Self {
        Table { width, rows: 0, cells: Vec::with_capacity(rows * width) }
    }

    /// Appends a row filled with `value`; returns its index. Counted, not derived from the
    /// cells: a document with no tax has rows of width 0.
    pub(crate) fn push_row(&mut self, value: T) -> usize {
        self.cells.extend(std::iter::repeat_n(value, self.width));
        self.rows += 1;
        self.rows - 1
    }
}

impl<T> std::ops::Index<usize> for Table<T> {
    type Output = [T];
    fn index(&self, i: usize) -> &[T] {
        &self.cells[i * self.width..(i + 1) * self.width]
    }
}

impl<T> std::ops::IndexMut<usize> for Table<T> {
    fn index_mut(&mut self, i: usize) -> &mut [T] {
        &mut self.cells[i * self.width..(i + 1) * self.width]
    }
}

/// The base of planned tax `k` on a line whose untaxed amount is `untaxed`, from the amounts of
/// the taxes before it **in plan order** (`None` where nothing is charged or not yet computed).
/// Plan order, not evaluation order: Odoo computes fixed taxes first, but a tax affecting later
/// bases still reaches only the taxes after it in sequence.
fn base_of(plan: &Plan, k: usize, untaxed: Decimal, amounts: &[Option<Decimal>], at: At) -> Result<Decimal, TaxError> {
    let tax = &plan.taxes[k];
    let with_earlier = |only_marked: bool| -> Result<Decimal, TaxError> {
        let mut sum = untaxed;
        for (j, amount) in amounts[..k].iter().enumerate() {
            if let Some(a) = amount {
                if !only_marked || plan.taxes[j].include_in_later_base {
                    sum = plan.add(sum, *a, at)?;
                }
            }
        }
        Ok(sum)
    };
    match tax.base {
        PlanBase::Net if !tax.base_affected => Ok(untaxed),
        PlanBase::Net => with_earlier(true),
        PlanBase::RunningTotal => with_earlier(false),
        PlanBase::PreviousTax(j) => Ok(amounts[j].unwrap_or_default()),
    }
}

fn overflow(field: String) -> TaxError {
    TaxError::Overflow { field }
}

/// Every line's amounts, bases and untaxed amount before any document rounding: rounded as
/// computed per line, or unrounded in document scope.
fn per_line(plan: &Plan, o: &Options) -> Result<RawTables, TaxError> {
    let n_taxes = plan.taxes.len();
    let step = plan.step;
    let rounder = Step::new(step);
    let to_step = |x: Decimal, _step: Decimal, r: Rounding| rounder.round(x, r);
    // Evaluation order: plan order, or fixed kinds first (stable).
    let mut order: Vec<usize> = (0..n_taxes).collect();
    if o.fixed_first {
        order.sort_by_key(|&k| !is_fixed(plan.taxes[k].kind));
    }
    let mut position = vec![0; n_taxes];
    for (p, &k) in order.iter().enumerate() {
        position[k] = p;
    }
    for &k in &order {
        if let PlanBase::PreviousTax(j) = plan.taxes[k].base {
            if position[j] >= position[k] {
                return Err(TaxError::Unsupported { field: format!("taxes.{}.base", plan.taxes[k].code), value: "odoo".into() });
            }
        }
    }

    // Fixed amounts per document, spread over the lines they apply to, in proportion to net.
    let mut doc_shares: Vec<Option<Vec<Decimal>>> = vec![None; n_taxes];
    for (k, tax) in plan.taxes.iter().enumerate() {
        if tax.kind != TaxKind::FixedPerDocument {
            continue;
        }
        let rate = plan.lines.iter().find_map(|l| l.taxes[k].rate());
        let Some(rate) = rate else { continue };
        let weights: Vec<Decimal> =
            plan.lines.iter().map(|l| if l.taxes[k].rate().is_some() { l.net } else { Decimal::ZERO }).collect();
        let weight_sum: Decimal = weights.iter().copied().sum();
        let total = to_step(rate, step, o.rounding);
        let total = if weight_sum.is_sign_negative() { -total } else { total };
        let shares = apportion(total, &weights, step).ok_or_else(|| overflow(format!("taxes.{}", tax.code)))?;
        doc_shares[k] = Some(shares);
    }

    let line_round = |x: Decimal| match o.scope {
        Scope::Line => to_step(x, step, o.rounding),
        Scope::Document => x,
    };

    // Per line: exact (or intermediate) amounts and bases.
    let mut amounts: Table<Option<Decimal>> = Table::with_rows(plan.lines.len(), n_taxes);
    let mut bases: Table<Decimal> = Table::with_rows(plan.lines.len(), n_taxes);
    let mut untaxed: Vec<Decimal> = Vec::with_capacity(plan.lines.len());
    for (i, line) in plan.lines.iter().enumerate() {
        let field = || format!("lines[{i}]");
        let sign = if line.quantity.is_sign_negative() { -Decimal::ONE } else { Decimal::ONE };
        // What the line is taxed on: its rounded amount, or in document scope the unrounded one
        // (Odoo 18 rounding globally, Tryton's document rounding).
        let net = if o.scope == Scope::Document { plan.bounded(line.exact_net, At::Line(i))? } else { line.net };
        let fixed_amount = |k: usize, rate: Decimal| -> Result<Decimal, TaxError> {
            Ok(match plan.taxes[k].kind {
                TaxKind::PerUnit => plan.mul(line.quantity, rate, At::Line(i))?,
                TaxKind::FixedPerLine => rate * sign,
                TaxKind::FixedPerDocument => doc_shares[k].as_ref().map(|s| s[i]).unwrap_or_default(),
                _ => Decimal::ZERO,
            })
        };
        let batched = division_factors(plan, line, o.division_batches, &field)?;
        let factor_of = |k: usize, rate: Decimal| match &batched {
            Some(f) => f[k],
            None => factor(plan.taxes[k].kind, rate),
        };
        let any_included = order.iter().any(|&k| plan.taxes[k].price_include && line.taxes[k].rate().is_some());
        let whole_price = any_included && whole_price_division(plan, line, o)?;
        // Only a line with price-included taxes needs the symbolic pass: each tax as an affine
        // function of the untaxed amount B, to solve T = B + Σ included (c·B + f).
        let b = if whole_price {
            Decimal::ZERO
        } else if any_included {
            let mut affine: Vec<Option<Affine>> = vec![None; n_taxes];
            let mut included = Affine { coef: Decimal::ONE, fixed: Decimal::ZERO };
            for &k in &order {
                let tax = &plan.taxes[k];
                let Some(rate) = line.taxes[k].rate() else { continue };
                let unit = Affine { coef: Decimal::ONE, fixed: Decimal::ZERO };
                // As `base_of`, on symbols: the earlier taxes in plan order.
                let earlier = |only_marked: bool| {
                    affine[..k]
                        .iter()
                        .enumerate()
                        .filter(|(j, a)| a.is_some() && (!only_marked || plan.taxes[*j].include_in_later_base))
                        .try_fold(unit, |acc, (_, a)| acc.add(a.unwrap_or_default()))
                };
                let base = match tax.base {
                    PlanBase::Net if !tax.base_affected => Some(unit),
                    PlanBase::Net => earlier(true),
                    PlanBase::RunningTotal => earlier(false),
                    PlanBase::PreviousTax(j) => Some(affine[j].unwrap_or_default()),
                }
                .ok_or_else(|| overflow(field()))?;
                let a = match tax.kind {
                    TaxKind::Percent | TaxKind::Division => base.scale(factor_of(k, rate)).ok_or_else(|| overflow(field()))?,
                    TaxKind::Group => {
                        return Err(TaxError::Unsupported { field: format!("taxes.{}", tax.code), value: "group".into() })
                    }
                    _ => Affine { coef: Decimal::ZERO, fixed: fixed_amount(k, rate)? },
                };
                affine[k] = Some(a);
                if tax.price_include {
                    included = included.add(a).ok_or_else(|| overflow(field()))?;
                }
            }
            if included.coef.is_zero() {
                return Err(TaxError::InvalidRule { field: field(), reason: "included taxes leave no base".into() });
            }
            let b = net.checked_sub(included.fixed).and_then(|t| t.checked_div(included.coef)).ok_or_else(|| overflow(field()))?;
            plan.bounded(b, At::Line(i))?
        } else {
            net
        };
        // Evaluate for real, in order. Included amounts are rounded as computed and the
        // untaxed amount is then the shelf total minus them, so later bases use the amounts that
        // will be printed and the included total is exactly the shelf price.
        amounts.push_row(None);
        bases.push_row(Decimal::ZERO);
        let line_amounts = &mut amounts[i];
        let mut included_sum = Decimal::ZERO;
        let untaxed_for = |included_sum: Decimal| if any_included && o.scope == Scope::Line { line.net - included_sum } else { b };
        // Included amounts first (their bases use B), then everything in order.
        if any_included {
            // The exact amounts, for the bases of the taxes after them.
            let mut exacts: Vec<Option<Decimal>> = vec![None; n_taxes];
            for &k in &order {
                let tax = &plan.taxes[k];
                let Some(rate) = line.taxes[k].rate() else { continue };
                let base = base_of(plan, k, b, &exacts, At::Line(i))?;
                let exact = match tax.kind {
                    // Division taxes taking the whole price: each is the price × its rate.
                    TaxKind::Division if whole_price && tax.price_include => plan.mul(net, rate / Decimal::ONE_HUNDRED, At::Line(i))?,
                    TaxKind::Percent | TaxKind::Division => plan.mul(base, factor_of(k, rate), At::Line(i))?,
                    _ => fixed_amount(k, rate)?,
                };
                if tax.price_include {
                    let amt = line_round(exact);
                    included_sum = plan.add(included_sum, amt, At::Line(i))?;
                    line_amounts[k] = Some(amt);
                }
                exacts[k] = Some(exact);
            }
        }
        let line_untaxed = untaxed_for(included_sum);
        for &k in &order {
            let tax = &plan.taxes[k];
            let Some(rate) = line.taxes[k].rate() else { continue };
            let base = base_of(plan, k, line_untaxed, line_amounts, At::Line(i))?;
            let proportional = matches!(tax.kind, TaxKind::Percent | TaxKind::Division);
            if line_amounts[k].is_none() {
                let exact = if proportional { plan.mul(base, factor_of(k, rate), At::Line(i))? } else { fixed_amount(k, rate)? };
                line_amounts[k] = Some(line_round(exact));
            }
            bases[i][k] = if proportional { base } else { line_untaxed };
        }
        // A fixed tax reports the base a percentage in its place would have (the untaxed amount
        // plus the earlier taxes affecting it), as Odoo's and Tryton's tax reports do: known
        // once every amount is, fixed taxes being computed first in Odoo's order.
        for k in 0..n_taxes {
            let tax = &plan.taxes[k];
            if line_amounts[k].is_some() && !matches!(tax.kind, TaxKind::Percent | TaxKind::Division) && tax.base == PlanBase::Net {
                bases[i][k] = base_of(plan, k, line_untaxed, line_amounts, At::Line(i))?;
            }
        }
        untaxed.push(line_untaxed);
    }
    Ok((amounts, bases, untaxed))
}

/// The options the engine computes a fiscal position's price adaptation with: unrounded, and
/// in Odoo's order when `odoo`.
fn unrounded(odoo: bool) -> Options {
    Options { rounding: Rounding::HalfUp, scope: Scope::Document, odoo18_global: true, fixed_first: odoo, division_batches: odoo }
}

/// Each line's untaxed amount, unrounded, from its `exact_net` (price-included taxes taken
/// out as Odoo does when `odoo`).
pub(crate) fn unrounded_untaxed(plan: &Plan, odoo: bool) -> Result<Vec<Decimal>, TaxError> {
    Ok(per_line(plan, &unrounded(odoo))?.2)
}

/// Each line's tax amounts, unrounded (`None` where nothing is charged).
pub(crate) fn unrounded_amounts(plan: &Plan, odoo: bool) -> Result<Vec<Vec<Option<Decimal>>>, TaxError> {
    let (amounts, _, untaxed) = per_line(plan, &unrounded(odoo))?;
    Ok((0..untaxed.len()).map(|i| amounts[i].to_vec()).collect())
}

pub(crate) fn run(plan: &Plan, o: Options) -> Result<Computed, TaxError> {
    let raw_lines = o.scope == Scope::Document && o.odoo18_global;
    let (mut amounts, mut bases, mut untaxed) = per_line(plan, &o)?;

    // The unrounded tables, for the company's currency in document scope.
    let raw = (plan.company.is_some() && o.scope == Scope::Document).then(|| (amounts.clone(), bases.clone(), untaxed.clone()));
    let global = if raw_lines { Global::Odoo18 } else { Global::Spread(o.rounding) };
    if raw_lines {
        odoo18_round_globally(plan, plan.step, &mut amounts, &mut bases, &mut untaxed)?;
        let mut computed = collect(plan, plan.step, &amounts, &bases, &untaxed, o.rounding)?;
        // Odoo gives the document's differences back in proportion to the lines: on a document
        // mixing included and excluded taxes a tax-included line may end a cent off its shelf
        // amount, and Odoo's total is then what the amounts add up to.
        computed.keeps_shelf = plan.lines.iter().zip(&computed.lines).all(|(line, cl)| {
            let included: Vec<Decimal> =
                plan.taxes.iter().zip(&cl.taxes).filter(|(t, _)| t.price_include).filter_map(|(_, c)| c.map(|c| c.amount)).collect();
            included.is_empty() || cl.untaxed + included.iter().copied().sum::<Decimal>() == line.net
        });
        computed.company = company_side(plan, o.scope, o.rounding, global, raw.as_ref(), &computed)?;
        return Ok(computed);
    }

    // Document scope: round each tax once, then give the lines amounts that add up to it.
    if o.scope == Scope::Document {
        let nets: Vec<Decimal> = plan.lines.iter().map(|l| l.net).collect();
        settle_document(plan, plan.step, o.rounding, &mut amounts, &mut bases, &mut untaxed, &nets)?;
    }

    let mut computed = collect(plan, plan.step, &amounts, &bases, &untaxed, o.rounding)?;
    computed.company = company_side(plan, o.scope, o.rounding, global, raw.as_ref(), &computed)?;
    Ok(computed)
}

/// Exact document scope in a currency of step `step`: each tax rounded once and spread
/// ([`spread_per_document`]); a line with included taxes keeps its shelf amount (`nets`), its
/// untaxed amount being what the spread included taxes leave, and its bases follow.
fn settle_document(
    plan: &Plan,
    step: Decimal,
    rounding: Rounding,
    amounts: &mut Table<Option<Decimal>>,
    bases: &mut Table<Decimal>,
    untaxed: &mut [Decimal],
    nets: &[Decimal],
) -> Result<(), TaxError> {
    let n_taxes = plan.taxes.len();
    spread_per_document(plan, step, amounts, rounding)?;
    for (i, net) in nets.iter().enumerate() {
        let has_included = (0..n_taxes).any(|k| plan.taxes[k].price_include && amounts[i][k].is_some());
        if !has_included {
            untaxed[i] = *net;
            continue;
        }
        let included = plan.sum((0..n_taxes).filter(|&k| plan.taxes[k].price_include).filter_map(|k| amounts[i][k]), At::Line(i))?;
        untaxed[i] = plan.sub(*net, included, At::Line(i))?;
        // The bases shown are those of the final, spread amounts and untaxed amount.
        for k in 0..n_taxes {
            if amounts[i][k].is_none() {
                continue;
            }
            let tax = &plan.taxes[k];
            bases[i][k] = if matches!(tax.kind, TaxKind::Percent | TaxKind::Division) || tax.base == PlanBase::Net {
                base_of(plan, k, untaxed[i], &amounts[i], At::Line(i))?
            } else {
                untaxed[i]
            };
        }
    }
    Ok(())
}

/// A dialect's unrounded tables (amounts, bases, untaxed amounts), kept for the company side.
pub(crate) type RawTables = (Table<Option<Decimal>>, Table<Decimal>, Vec<Decimal>);

/// How a dialect rounds in document scope, for its company-currency side.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Global {
    /// Each tax's exact total rounded once and spread ([`settle_document`]).
    Spread(Rounding),
    /// Odoo 18's ([`odoo18_round_globally`]).
    Odoo18,
}

/// The answer in the company's currency, when the plan has one. Rounding per line, each rounded
/// document amount is converted and rounded again (Odoo: `round(round(x) / rate)` line by
/// line; the company totals are the sums). In document scope the unrounded amounts (`raw`) are
/// converted and rounded in the company's currency the way the document's were (Odoo rounds
/// globally on each side on its own).
pub(crate) fn company_side(
    plan: &Plan,
    scope: Scope,
    rounding: Rounding,
    global: Global,
    raw: Option<&RawTables>,
    computed: &Computed,
) -> Result<Option<CompanyComputed>, TaxError> {
    let Some(conv) = plan.company else { return Ok(None) };
    let overflow = || TaxError::Overflow { field: "company_currency".into() };
    let round = |x: Decimal| conv.round(x, rounding).ok_or_else(overflow);
    let convert = |x: Decimal| conv.convert(x).ok_or_else(overflow);
    let lines = match (scope, raw) {
        (Scope::Document, Some((amounts, bases, untaxed))) => {
            let (mut amounts, mut bases, mut untaxed) = (amounts.clone(), bases.clone(), untaxed.clone());
            for i in 0..untaxed.len() {
                untaxed[i] = convert(untaxed[i])?;
                for k in 0..plan.taxes.len() {
                    if let Some(a) = amounts[i][k] {
                        amounts[i][k] = Some(convert(a)?);
                        bases[i][k] = convert(bases[i][k])?;
                    }
                }
            }
            match global {
                Global::Odoo18 => odoo18_round_globally(plan, conv.step, &mut amounts, &mut bases, &mut untaxed)?,
                Global::Spread(r) => {
                    let nets = plan.lines.iter().map(|l| round(l.net)).collect::<Result<Vec<_>, _>>()?;
                    settle_document(plan, conv.step, r, &mut amounts, &mut bases, &mut untaxed, &nets)?;
                }
            }
            collect(plan, conv.step, &amounts, &bases, &untaxed, rounding)?.lines
        }
        _ => {
            let mut lines = Vec::with_capacity(computed.lines.len());
            for cl in &computed.lines {
                let mut taxes = Vec::with_capacity(cl.taxes.len());
                for t in &cl.taxes {
                    taxes.push(match t {
                        Some(t) => Some(ComputedTax { base: round(t.base)?, amount: round(t.amount)? }),
                        None => None,
                    });
                }
                lines.push(ComputedLine { untaxed: round(cl.untaxed)?, document_discount: Decimal::ZERO, difference: Decimal::ZERO, taxes });
            }
            lines
        }
    };
    Ok(Some(CompanyComputed { lines, total: None }))
}

/// Odoo 18's "round globally" (`account.tax._round_base_lines_tax_details` and the
/// `_round_tax_details_*` methods it calls, 18.0 as maintained in odoo/odoo; see
/// docs/research/odoo18-global-fiscal-currency.md). Every raw amount of every line is first
/// rounded on its own (half-up): the untaxed amount, each tax and each tax's base. Then:
/// 1. per tax, the rounding of the raw sum less the sum of the rounded amounts is given back
///    over its lines in proportion to their raw amounts ([`distribute_smoothly`]); its bases
///    likewise, a price-included tax's bases so that base + tax reaches the rounding of the raw
///    base + tax;
/// 2. the document's untaxed difference, over the lines in proportion to their raw untaxed
///    amounts; or, when no excluded tax charges anything, so that untaxed + taxes reaches the
///    rounding of the raw tax-included total, in proportion to the lines' raw totals. So a
///    tax-included shelf price is kept (100.00 with two 10 % included taxes: 83.34 + 8.33 +
///    8.33), and the line's untaxed amount is Odoo's balance (`price_subtotal` plus the delta).
fn odoo18_round_globally(plan: &Plan, step: Decimal, amounts: &mut Table<Option<Decimal>>, bases: &mut Table<Decimal>, untaxed: &mut [Decimal]) -> Result<(), TaxError> {
    let rounder = Step::new(step);
    let round = |x: Decimal| rounder.round(x, Rounding::HalfUp);
    let n = untaxed.len();
    let width = plan.taxes.len();
    let raw_untaxed: Vec<Decimal> = untaxed.to_vec();
    let mut raw_taxes = Decimal::ZERO;
    let mut raw_totals = Vec::with_capacity(n);
    for (i, u) in raw_untaxed.iter().enumerate() {
        let taxes = plan.sum(amounts[i].iter().flatten().copied(), At::Line(i))?;
        raw_taxes = plan.add(raw_taxes, taxes, At::Doc("tax"))?;
        raw_totals.push(plan.add(*u, taxes, At::Line(i))?);
    }
    for u in untaxed.iter_mut() {
        *u = round(*u);
    }
    // 1. Per tax: its amounts, then its bases.
    for k in 0..width {
        let lines: Vec<usize> = (0..n).filter(|&i| amounts[i][k].is_some()).collect();
        if lines.is_empty() {
            continue;
        }
        let raw_amounts: Vec<Decimal> = lines.iter().map(|&i| amounts[i][k].unwrap_or_default()).collect();
        let raw_bases: Vec<Decimal> = lines.iter().map(|&i| bases[i][k]).collect();
        let raw_tax = plan.sum(raw_amounts.iter().copied(), At::Tax(k))?;
        let raw_base = plan.sum(raw_bases.iter().copied(), At::Tax(k))?;
        let mut tax_sum = Decimal::ZERO;
        let mut base_sum = Decimal::ZERO;
        for &i in &lines {
            let a = round(amounts[i][k].unwrap_or_default());
            amounts[i][k] = Some(a);
            tax_sum += a;
            bases[i][k] = round(bases[i][k]);
            base_sum += bases[i][k];
        }
        let tax_delta = round(raw_tax) - tax_sum;
        for (&i, d) in lines.iter().zip(distribute_smoothly(tax_delta, &raw_amounts, step)) {
            amounts[i][k] = amounts[i][k].map(|a| a + d);
        }
        let base_delta = if plan.taxes[k].price_include {
            round(plan.add(raw_base, raw_tax, At::Tax(k))?) - (base_sum + tax_sum + tax_delta)
        } else {
            round(raw_base) - base_sum
        };
        for (&i, d) in lines.iter().zip(distribute_smoothly(base_delta, &raw_bases, step)) {
            bases[i][k] += d;
        }
    }
    // 2. The document's untaxed amount.
    let excluded_charged = (0..n).any(|i| (0..width).any(|k| !plan.taxes[k].price_include && amounts[i][k].is_some_and(|a| !a.is_zero())));
    let untaxed_sum: Decimal = untaxed.iter().copied().sum();
    let (raw, rounded, weights) = if excluded_charged {
        (plan.sum(raw_untaxed.iter().copied(), At::Doc("untaxed"))?, untaxed_sum, &raw_untaxed)
    } else {
        let taxes: Decimal = (0..n).flat_map(|i| amounts[i].iter().flatten().copied().collect::<Vec<_>>()).sum();
        (plan.add(plan.sum(raw_untaxed.iter().copied(), At::Doc("untaxed"))?, raw_taxes, At::Doc("total"))?, untaxed_sum + taxes, &raw_totals)
    };
    if !raw.is_zero() {
        for (i, d) in distribute_smoothly(round(raw) - rounded, weights, step).into_iter().enumerate() {
            untaxed[i] = plan.add(untaxed[i], d, At::Line(i))?;
        }
    }
    Ok(())
}

/// Odoo's `_distribute_delta_amount_smoothly`: `delta` (a multiple of `step`) as `steps` steps
/// over the weights' magnitudes, largest first (ties in order): each takes
/// `round_half_even(|w| × steps / Σ|w|)` while steps are left, and what is left goes a step
/// each to the largest. Equal weights are shared as `1/len` each. (Odoo divides first in binary
/// floating point; here the product is divided exactly, which agrees but for a float landing
/// on the other side of a half.)
fn distribute_smoothly(delta: Decimal, weights: &[Decimal], step: Decimal) -> Vec<Decimal> {
    let mut out = vec![Decimal::ZERO; weights.len()];
    if delta.is_zero() || step.is_zero() || weights.is_empty() {
        return out;
    }
    let steps = (delta.abs() / step).round();
    let one = if delta.is_sign_negative() { -step } else { step };
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| weights[b].abs().cmp(&weights[a].abs()));
    let sum: Decimal = weights.iter().map(|w| w.abs()).sum();
    let len = Decimal::from(weights.len());
    let mut left = steps;
    for &i in &order {
        if left.is_zero() {
            break;
        }
        let share = if sum.is_zero() { steps / len } else { weights[i].abs() * steps / sum };
        let take = share.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointNearestEven).min(left);
        left -= take;
        out[i] += one * take;
    }
    let mut j = 0;
    while left > Decimal::ZERO {
        out[order[j % order.len()]] += one;
        left -= Decimal::ONE;
        j += 1;
    }
    out
}

/// Document scope: each tax's line amounts summed and rounded once with `rounding`, then spread
/// back over its lines so that they add up to it ([`round_to_total`]).
pub(crate) fn spread_per_document(plan: &Plan, step: Decimal, amounts: &mut Table<Option<Decimal>>, rounding: Rounding) -> Result<(), TaxError> {
    let rounder = Step::new(step);
    for k in 0..amounts.width {
        let rows: Vec<usize> = (0..amounts.rows).filter(|&i| amounts[i][k].is_some()).collect();
        if rows.is_empty() {
            continue;
        }
        let exact: Vec<Decimal> = rows.iter().map(|&i| amounts[i][k].unwrap_or_default()).collect();
        let total = rounder.round(plan.sum(exact.iter().copied(), At::Tax(k))?, rounding);
        let spread = round_to_total(&exact, total, step).ok_or_else(|| plan.overflow(At::Tax(k)))?;
        for (&i, amount) in rows.iter().zip(spread) {
            amounts[i][k] = Some(amount);
        }
    }
    Ok(())
}

/// A dialect's answer from its per-line tables: each tax's document amount is the sum of its
/// lines'; bases and untaxed amounts rounded to the step with `rounding`.
pub(crate) fn collect(
    plan: &Plan,
    step: Decimal,
    amounts: &Table<Option<Decimal>>,
    bases: &Table<Decimal>,
    untaxed: &[Decimal],
    rounding: Rounding,
) -> Result<Computed, TaxError> {
    let rounder = Step::new(step);
    let mut tax_totals = vec![Decimal::ZERO; amounts.width];
    let mut lines = Vec::with_capacity(untaxed.len());
    for (i, line_untaxed) in untaxed.iter().enumerate() {
        let mut taxes = Vec::with_capacity(amounts.width);
        for (k, total) in tax_totals.iter_mut().enumerate() {
            taxes.push(match amounts[i][k] {
                Some(amount) => {
                    *total = plan.add(*total, amount, At::Tax(k))?;
                    Some(ComputedTax { base: rounder.round(bases[i][k], rounding), amount })
                }
                None => None,
            });
        }
        lines.push(ComputedLine { untaxed: rounder.round(*line_untaxed, rounding), document_discount: Decimal::ZERO, difference: Decimal::ZERO, taxes });
    }
    Ok(Computed { lines, tax_totals, keeps_shelf: true, company: None })
}
