//! The ERPNext dialect: ERPNext's tax arithmetic, in binary floating point, on purpose.
//!
//! # Why floats here, and only here
//!
//! Everywhere else money is [`rust_decimal::Decimal`]. ERPNext (v14 and v15,
//! `erpnext/controllers/taxes_and_totals.py`, class `calculate_taxes_and_totals`) computes
//! taxes with Python floats and rounds them with Frappe's `flt(value, precision)`
//! (`frappe/utils/data.py`). A document that ERPNext and Satchel both total must show the same
//! tax to the cent, so this module repeats ERPNext's float operations in the same order, with
//! the same rounding, and converts to `Decimal` only at the end. `f64` appears nowhere else in
//! the crate. The Python oracle `tests/fixtures/erpnext/oracle.py` re-implements this algorithm
//! in plain CPython floats; `core/tests/erpnext_dialect.rs` checks that both agree.
//!
//! # What ERPNext does (and this module repeats)
//!
//! For every item, in order, and every tax row, in order, ERPNext computes the item's unrounded
//! `current_tax_amount`, adds it to the row's unrounded `tax_amount`, remembers it as
//! `tax_amount_for_current_item`, and keeps a running `grand_total_for_current_item`
//! (`net_amount + current` on the first row, previous row's value `+ current` after). After the
//! last item each row's `tax_amount` is rounded once: `flt(tax_amount, precision)` with the site's
//! rounding method ([`frappe_round`]). Per-item amounts stay unrounded ("item-wise tax detail").
//!
//! # From our plan to ERPNext's charge types
//!
//! `item.net_amount` is the `f64` of [`PlannedLine::net`](crate::tax::plan::PlannedLine::net),
//! read from its decimal text (what `float(text)` gives in Python). Line discounts have already
//! been applied by [`crate::tax::resolve`] (the discounted rate rounded first, as ERPNext does);
//! a document discount is left to this dialect ([`Plan::document_discount`]), which spreads it as
//! `apply_discount_amount` does (v15): the items' nets less `D × net / T`, each rounded, the
//! running rounding error going to the item that reaches a cent, and `calculate_taxes` again on
//! the reduced nets (see docs/tax-engine.md §4). Precision is [`Plan::places`] (ERPNext's
//! currency precision); the currency *step* (e.g. 0.05) is a cash-rounding matter ERPNext does
//! not apply to tax rows, so tax amounts are multiples of `10^-places`.
//!
//! | Our planned tax | ERPNext charge type | per-item `current` |
//! |---|---|---|
//! | `Percent`, base `Net` | On Net Total | `(rate / 100.0) * net_amount` |
//! | `Percent`, base `Net` after taxes marked `include_in_later_base` | (our extension, see below) | `(rate / 100.0) * (net_amount + t_a + t_b …)` |
//! | `Percent`, base `PreviousTax(j)` | On Previous Row Amount (`row_id = j + 1`) | `(rate / 100.0) * tax_amount_for_current_item[j]` |
//! | `Percent`, base `RunningTotal` | On Previous Row Total (`row_id = i`) | `(rate / 100.0) * grand_total_for_current_item[i − 1]` |
//! | `PerUnit` | On Item Quantity | `rate * qty` |
//! | `FixedPerDocument` | Actual | `net_amount * A / net_total`, `A = flt(rate, precision)`, leftover to the last item |
//! | `price_include` | Included in Print Rate | see below |
//!
//! ERPNext has no "include in later base" flag: it expresses compounding with On Previous Row
//! Total. A `Net` tax that follows taxes marked `include_in_later_base` is computed on
//! `net_amount` plus the current-item amounts of exactly those taxes, added one by one in row
//! order (when every earlier tax is so marked, these are the very float operations of On
//! Previous Row Total). A `RunningTotal` tax on the first row (which ERPNext forbids) is
//! computed on `net_amount`.
//!
//! **Actual** ([`TaxKind::FixedPerDocument`]): the row's amount is `A = flt(rate, precision)`;
//! ERPNext spreads it as `net_amount * A / net_total` (`0.0` when `net_total` is 0), subtracts
//! each share from `A` and adds what is left to the last item, so the row is exactly `A`. Here
//! `net_total` is `flt(Σ net_amount, precision)` over the lines the tax applies to and the
//! leftover goes to the last of those lines (the same as ERPNext when it applies to every line);
//! every line it applies to must carry the same rate.
//!
//! **Included in print rate** (`price_include`), ERPNext's `determine_exclusive_rate`: for
//! each item, each included tax has a fraction: On Net Total `rate / 100.0`; On Previous Row
//! Amount `rate / 100.0 * fraction[j]`; On Previous Row Total `rate / 100.0 *
//! grand_total_fraction[i − 1]` with `grand_total_fraction[0] = 1 + fraction[0]`, then
//! `grand_total_fraction[k − 1] + fraction[k]`; our compounding `Net`: `rate / 100.0 * (1 +
//! fractions of the earlier include_in_later_base taxes)`; On Item Quantity contributes
//! `rate * qty` to an amount taken out first (ERPNext v14+). When the item's quantity is not 0
//! and the fractions or per-quantity amounts are not 0, `net_amount = flt((amount −
//! per_qty_amounts) / (1 + Σ fractions), precision)`, and the taxes are then computed on that
//! exclusive net as above. ERPNext's validation is repeated: an Actual tax cannot be included; a
//! tax on a previous row's amount (or on the running total, or our compounding `Net`) can be
//! included only if the rows it is computed on are included too.
//!
//! `adjust_grand_total_for_inclusive_tax` (v14/v15): `diff = flt(total + non-included taxes −
//! last_row.total, precision)` and, when `diff != 0 and abs(diff) <= 5.0 / 10**precision`,
//! ERPNext keeps it as `grand_total_diff`, which changes `grand_total` only: **no tax row is
//! changed** (v13 kept it in `rounding_adjustment`, also outside the rows; only v12 and earlier
//! added it to the last row). So this module leaves every row as rounded; a line's `untaxed` is
//! ERPNext's own `net_amount` (the document's sum is its `net_total`), and what the shelf amount
//! has beyond it and the line's included taxes is the line's `difference`, which the result
//! reports as `rounding_difference` and adds to the total: the lines' differences add up to
//! `grand_total_diff`. When the difference is beyond 5 in the last place ERPNext keeps none and
//! its grand total is `net_total + rows`, off the shelf: then every `difference` is 0 and
//! [`Computed::keeps_shelf`] is false.
//!
//! # What comes out
//!
//! - `tax_totals[i]`: the row's final `f64`, through its shortest representation, as a
//!   `Decimal` with `places` decimals: the figure ERPNext shows.
//! - Line amounts: ERPNext has only unrounded per-item figures. Each tax's row total is split
//!   over the lines it applies to by [`apportion`] (largest remainder, ties to the earlier line)
//!   with the unrounded per-item amounts as weights, in steps of `10^-places`; so the line
//!   amounts always add up to the row. When the weights have mixed signs (sales and returns on
//!   one document) each is rounded half to even and the difference is apportioned by their
//!   magnitudes instead. Weights below `1e-9` in magnitude count as 0 (float noise).
//! - `base`: the amount the item's tax was computed on, `flt(base, precision)` with the site's
//!   method (ERPNext v15's item-wise `taxable_amount`): the exclusive `net_amount` for On Net
//!   Total and Actual, the previous row's item amount, the previous row's running total; for
//!   On Item Quantity, the quantity (unrounded).
//! - `untaxed`: ERPNext's `net_amount` on a line whose included taxes it took out, else the
//!   line's net; `difference` as above.
//!
//! # Not supported (an error, never a guess)
//!
//! - [`TaxKind::Division`] and [`TaxKind::FixedPerLine`]: ERPNext has no such charge type
//!   ([`TaxError::Unsupported`]).
//! - Included Actual taxes, and included taxes computed on rows that are not included.
//! - Precisions above 9 decimals (Frappe's maximum currency precision).
//! - Amounts, rates, quantities or intermediate results that are not finite or exceed `1e15` in
//!   magnitude ([`TaxError::Overflow`]): beyond that `f64` no longer holds cents.
//! - Not reproduced: "cash or non-trade" discounts (`is_cash_or_non_trade_discount`), "Deduct" rows and valuation
//!   categories (purchase side), `round_row_wise_tax` (v15's "Round Tax Amount Row-wise"),
//!   regional `round_off_applicable_accounts`, rates with more decimals than the rate field's
//!   float precision (ERPNext would round them first; rates are used as given).

pub mod frappe_round;

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::tax::model::{Discount, DiscountOn, FrappeRounding, TaxError, TaxKind};
use crate::tax::plan::{Computed, ComputedLine, ComputedTax, Plan, PlanBase};
use crate::tax::rounding::{apportion, checked_sum};

/// Largest magnitude accepted anywhere in the computation.
const LIMIT: f64 = 1e15;

/// Frappe's largest currency precision.
const MAX_PLACES: u32 = 9;

/// Per-item weights smaller than this are float noise.
const NOISE: f64 = 1e-9;

/// Computes the plan's taxes the way ERPNext does. See the module documentation.
pub fn compute(plan: &Plan, method: FrappeRounding) -> Result<Computed, TaxError> {
    let places = plan.places;
    if places > MAX_PLACES {
        return Err(unsupported("currency.step"));
    }
    validate_rows(plan)?;
    let flt = |x: f64, field: &dyn Fn() -> String| -> Result<f64, TaxError> {
        frappe_round::rounded(checked(x, field)?, places, method)
            .ok_or_else(|| TaxError::Overflow { field: field() })
    };

    let n_taxes = plan.taxes.len();
    let n_lines = plan.lines.len();

    // The plan's decimals, as Python's float() reads them.
    let mut nets = Vec::with_capacity(n_lines);
    let mut qtys = Vec::with_capacity(n_lines);
    let mut rates: Vec<Vec<Option<f64>>> = Vec::with_capacity(n_lines);
    for (k, line) in plan.lines.iter().enumerate() {
        if line.taxes.len() != n_taxes {
            return Err(TaxError::InvalidInput {
                field: format!("lines[{k}].taxes"),
                reason: format!("expected {n_taxes} entries, one per planned tax"),
            });
        }
        nets.push(to_f64(line.net, &|| format!("lines[{k}].net"))?);
        qtys.push(to_f64(line.quantity, &|| format!("lines[{k}].quantity"))?);
        let mut row = Vec::with_capacity(n_taxes);
        for (i, lt) in line.taxes.iter().enumerate() {
            row.push(match lt.rate() {
                Some(r) => Some(to_f64(r, &|| format!("lines[{k}].taxes[{i}]"))?),
                None => None,
            });
        }
        rates.push(row);
    }

    // Actual rows: one amount per document, A = flt(rate, precision).
    let mut actual = vec![0.0_f64; n_taxes];
    let mut last_line: Vec<Option<usize>> = vec![None; n_taxes];
    for (i, tax) in plan.taxes.iter().enumerate() {
        let mut first: Option<Decimal> = None;
        for (k, line) in plan.lines.iter().enumerate() {
            if let Some(r) = line.taxes[i].rate() {
                last_line[i] = Some(k);
                if tax.kind == TaxKind::FixedPerDocument {
                    match first {
                        None => first = Some(r),
                        Some(f) if f != r => {
                            return Err(unsupported(&format!("lines[{k}].taxes[{i}]")))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let (TaxKind::FixedPerDocument, Some(k)) = (tax.kind, last_line[i]) {
            let rate = rates[k][i].unwrap_or(0.0);
            actual[i] = flt(rate, &|| format!("taxes[{i}]"))?;
        }
    }

    // determine_exclusive_rate: take price-included taxes out of the line amounts.
    let mut item_net = nets.clone();
    // Lines whose net amount ERPNext derived (and rounded) from a tax-included amount.
    let mut derived = vec![false; n_lines];
    if plan.taxes.iter().any(|t| t.price_include) {
        for k in 0..n_lines {
            let mut fraction = vec![0.0_f64; n_taxes];
            let mut grand_fraction = vec![0.0_f64; n_taxes];
            let mut cumulated = 0.0_f64;
            let mut per_qty = 0.0_f64;
            for (i, tax) in plan.taxes.iter().enumerate() {
                let mut f = 0.0_f64;
                if let (true, Some(rate)) = (tax.price_include, rates[k][i]) {
                    match tax.kind {
                        TaxKind::PerUnit => per_qty += rate * qtys[k],
                        _ => {
                            let on = match tax.base {
                                PlanBase::Net if !tax.base_affected => 1.0_f64,
                                PlanBase::Net => {
                                    let mut g = 1.0_f64;
                                    for (earlier, f) in plan.taxes[..i].iter().zip(&fraction) {
                                        if earlier.include_in_later_base {
                                            g += *f;
                                        }
                                    }
                                    g
                                }
                                PlanBase::PreviousTax(j) => fraction[j],
                                PlanBase::RunningTotal => {
                                    if i == 0 {
                                        1.0
                                    } else {
                                        grand_fraction[i - 1]
                                    }
                                }
                            };
                            f = (rate / 100.0) * on;
                        }
                    }
                }
                fraction[i] = f;
                grand_fraction[i] = if i == 0 {
                    1.0 + f
                } else {
                    grand_fraction[i - 1] + f
                };
                cumulated += f;
            }
            checked(cumulated, &|| format!("lines[{k}].taxes"))?;
            checked(per_qty, &|| format!("lines[{k}].taxes"))?;
            if qtys[k] != 0.0 && (cumulated != 0.0 || per_qty != 0.0) {
                let amount = nets[k] - per_qty;
                item_net[k] = flt(amount / (1.0 + cumulated), &|| format!("lines[{k}].net"))?;
                derived[k] = true;
            }
        }
    }

    // calculate_taxes on the items' net amounts: run once, and again after a document discount
    // (ERPNext's second pass).
    let calculate_taxes = |item_net: &[f64]| -> Result<Pass, TaxError> {
        // calculate_net_total, restricted to the lines each Actual row applies to.
        let mut actual_net_total = vec![0.0_f64; n_taxes];
        for (i, tax) in plan.taxes.iter().enumerate() {
            if tax.kind == TaxKind::FixedPerDocument {
                let mut sum = 0.0_f64;
                for k in 0..n_lines {
                    if rates[k][i].is_some() {
                        sum += item_net[k];
                    }
                }
                actual_net_total[i] = flt(sum, &|| format!("taxes[{i}]"))?;
            }
        }

        // calculate_taxes.
        let mut row_sum = vec![0.0_f64; n_taxes];
        let mut actual_left = actual.clone();
        let mut current = vec![vec![0.0_f64; n_taxes]; n_lines];
        let mut bases = vec![vec![0.0_f64; n_taxes]; n_lines];
        for k in 0..n_lines {
            let mut grand = vec![0.0_f64; n_taxes];
            for (i, tax) in plan.taxes.iter().enumerate() {
                let mut c = 0.0_f64;
                if let Some(rate) = rates[k][i] {
                    match tax.kind {
                        TaxKind::PerUnit => {
                            bases[k][i] = qtys[k];
                            c = rate * qtys[k];
                        }
                        TaxKind::FixedPerDocument => {
                            bases[k][i] = item_net[k];
                            let total = actual_net_total[i];
                            c = if total != 0.0 {
                                item_net[k] * actual[i] / total
                            } else {
                                0.0
                            };
                            actual_left[i] -= c;
                            if last_line[i] == Some(k) {
                                c += actual_left[i];
                            }
                        }
                        _ => {
                            let base = match tax.base {
                                PlanBase::Net if !tax.base_affected => item_net[k],
                                PlanBase::Net => {
                                    let mut b = item_net[k];
                                    for (earlier, c) in plan.taxes[..i].iter().zip(&current[k]) {
                                        if earlier.include_in_later_base {
                                            b += *c;
                                        }
                                    }
                                    b
                                }
                                PlanBase::PreviousTax(j) => current[k][j],
                                PlanBase::RunningTotal => {
                                    if i == 0 {
                                        item_net[k]
                                    } else {
                                        grand[i - 1]
                                    }
                                }
                            };
                            bases[k][i] = base;
                            c = (rate / 100.0) * base;
                        }
                    }
                }
                checked(c, &|| format!("lines[{k}].taxes[{i}]"))?;
                current[k][i] = c;
                grand[i] = if i == 0 {
                    item_net[k] + c
                } else {
                    grand[i - 1] + c
                };
                checked(grand[i], &|| format!("lines[{k}].taxes[{i}]"))?;
                if tax.kind != TaxKind::FixedPerDocument {
                    row_sum[i] += c;
                }
            }
        }

        // round_off_totals: each row rounded once.
        let mut rows = vec![0.0_f64; n_taxes];
        for (i, tax) in plan.taxes.iter().enumerate() {
            rows[i] = if tax.kind == TaxKind::FixedPerDocument {
                actual[i]
            } else {
                flt(row_sum[i], &|| format!("taxes[{i}]"))?
            };
        }
        Ok(Pass { rows, current, bases, row_sum })
    };
    let mut pass = calculate_taxes(&item_net)?;
    let total = flt(nets.iter().sum(), &|| "lines".into())?;
    let any_included = plan.taxes.iter().any(|t| t.price_include);
    let totals = |item_net: &[f64], rows: &[f64], discount: f64| -> Result<Totals, TaxError> {
        // adjust_grand_total_for_inclusive_tax: the grand total is the last row's running total
        // (net total plus every row, each step rounded) plus `diff`, kept only when it is at
        // most 5 in the last place; otherwise the grand total gives up the shelf amounts.
        let net_total = flt(item_net.iter().sum(), &|| "lines".into())?;
        let mut running = net_total;
        for (i, row) in rows.iter().enumerate() {
            running = flt(running + row, &|| format!("taxes[{i}]"))?;
        }
        let mut t = Totals { net_total, running, grand_total: running, diff: 0.0, keeps_shelf: true };
        if any_included {
            let mut non_inclusive = 0.0_f64;
            for (i, tax) in plan.taxes.iter().enumerate() {
                if !tax.price_include {
                    non_inclusive += rows[i];
                }
            }
            let diff = flt(total + non_inclusive - running - discount, &|| "lines".into())?;
            t.keeps_shelf = diff == 0.0 || diff.abs() <= 5.0 / 10_f64.powi(places as i32);
            if t.keeps_shelf {
                t.diff = diff;
                t.grand_total = flt(running + diff, &|| "lines".into())?;
            }
        }
        Ok(t)
    };
    let mut final_totals = totals(&item_net, &pass.rows, 0.0)?;

    // A document discount: ERPNext's apply_discount_amount, then its taxes again on the reduced
    // net amounts (the inclusive back-calculation is not redone).
    let mut shares = vec![0.0_f64; n_lines];
    let mut discounted = false;
    if let Some((discount, on)) = &plan.document_discount {
        let first = final_totals;
        let grand_total_on = *on == DiscountOn::GrandTotal && n_taxes > 0;
        // grand_total_for_distributing_discount: the last row's running total from the unrounded
        // row sums (v15.110 adds the inclusive diff).
        let mut for_distributing = first.net_total;
        for (i, (tax, a)) in plan.taxes.iter().zip(&actual).enumerate() {
            let raw = if tax.kind == TaxKind::FixedPerDocument { *a } else { pass.row_sum[i] };
            for_distributing = flt(for_distributing + raw, &|| format!("taxes[{i}]"))?;
        }
        for_distributing += first.diff;
        let d = match discount {
            Discount::Amount(a) => to_f64(a.value(), &|| "document_discount".into())?,
            Discount::Percent(p) => {
                let of = if grand_total_on { first.grand_total } else { first.net_total };
                flt(flt(of, &|| "document_discount".into())? * to_f64(p.value(), &|| "document_discount".into())? / 100.0, &|| "document_discount".into())?
            }
        };
        // get_total_for_discount_amount: the net total, or the grand total less the fixed
        // charges (Actual and On Item Quantity rows, and rows computed on them).
        let base = if grand_total_on {
            let mut fixed: Vec<Option<f64>> = vec![None; n_taxes];
            for (i, tax) in plan.taxes.iter().enumerate() {
                fixed[i] = match (tax.kind, tax.base) {
                    (TaxKind::FixedPerDocument | TaxKind::PerUnit, _) => Some(pass.rows[i]),
                    (_, PlanBase::PreviousTax(j)) => fixed[j].map(|a| a * row_rate(&rates, i) / 100.0),
                    (_, PlanBase::RunningTotal) if i > 0 => fixed[i - 1].map(|a| a * row_rate(&rates, i) / 100.0),
                    _ => None,
                };
            }
            flt(for_distributing - fixed.iter().flatten().sum::<f64>(), &|| "document_discount".into())?
        } else {
            first.net_total
        };
        if base != 0.0 && d != 0.0 {
            let mut expected = 0.0_f64;
            let mut net_total = 0.0_f64;
            for k in 0..n_lines {
                let before = item_net[k];
                let adjusted = item_net[k] - d * item_net[k] / base;
                expected += adjusted;
                item_net[k] = flt(adjusted, &|| format!("lines[{k}]"))?;
                net_total += item_net[k];
                // Each cent of the running rounding error goes to the item that reaches it.
                let error = flt(expected - net_total, &|| format!("lines[{k}]"))?;
                if error != 0.0 {
                    item_net[k] = flt(item_net[k] + error, &|| format!("lines[{k}]"))?;
                    net_total += error;
                }
                shares[k] = before - item_net[k];
            }
            pass = calculate_taxes(&item_net)?;
            final_totals = totals(&item_net, &pass.rows, d)?;
            if grand_total_on && !any_included {
                // The grand total is what the discount leaves of the one it was taken from.
                let diff = flt(for_distributing - d - final_totals.running, &|| "document_discount".into())?;
                final_totals.grand_total = flt(final_totals.running + diff, &|| "document_discount".into())?;
            }
            discounted = true;
        }
    }
    let keeps_shelf = final_totals.keeps_shelf && !discounted;
    let grand_total = final_totals.grand_total;
    let Pass { rows, current, bases, .. } = pass;

    // Into decimals: row totals, then each row split over its lines.
    let unit = Decimal::new(1, places);
    let mut tax_totals = Vec::with_capacity(n_taxes);
    let mut amounts: Vec<Vec<Option<Decimal>>> = vec![vec![None; n_taxes]; n_lines];
    for i in 0..n_taxes {
        let field = || format!("taxes[{i}]");
        let total = to_decimal(rows[i], places, &field)?;
        tax_totals.push(total);
        let applying: Vec<usize> = (0..n_lines).filter(|&k| rates[k][i].is_some()).collect();
        let mut weights = Vec::with_capacity(applying.len());
        for &k in &applying {
            weights.push(weight(current[k][i], &|| format!("lines[{k}].taxes[{i}]"))?);
        }
        let shares = distribute(total, &weights, unit, places).ok_or_else(|| TaxError::Overflow { field: field() })?;
        for (&k, share) in applying.iter().zip(shares) {
            amounts[k][i] = Some(share);
        }
    }

    let mut lines = Vec::with_capacity(n_lines);
    for (k, line) in plan.lines.iter().enumerate() {
        let mut taxes = Vec::with_capacity(n_taxes);
        let mut included = Decimal::ZERO;
        for (i, tax) in plan.taxes.iter().enumerate() {
            let Some(amount) = amounts[k][i] else {
                taxes.push(None);
                continue;
            };
            if tax.price_include {
                included += amount;
            }
            let base = if tax.kind == TaxKind::PerUnit {
                line.quantity
            } else {
                let field = || format!("lines[{k}].taxes[{i}]");
                to_decimal(flt(bases[k][i], &field)?, places, &field)?
            };
            taxes.push(Some(ComputedTax { base, amount }));
        }
        // ERPNext's own net amount where it derived one; the shelf amount's rounding difference
        // goes to the line's total (ERPNext's grand_total_diff), never to a tax row. After a
        // document discount the nets are ERPNext's, and the difference between its grand total
        // and what the lines add up to is the last line's.
        let (untaxed, difference) = if discounted {
            (to_decimal(item_net[k], places, &|| format!("lines[{k}].net"))?, Decimal::ZERO)
        } else if derived[k] {
            let field = || format!("lines[{k}].net");
            let untaxed = to_decimal(item_net[k], places, &field)?;
            let difference = if keeps_shelf { fixed(line.net - untaxed - included, places) } else { Decimal::ZERO };
            (untaxed, difference)
        } else {
            (fixed(line.net - included, line.net.scale().max(places)), Decimal::ZERO)
        };
        let document_discount = if discounted { to_decimal(shares[k], places, &|| format!("lines[{k}]"))? } else { Decimal::ZERO };
        lines.push(ComputedLine { untaxed, document_discount, difference, taxes });
    }
    if discounted {
        let field = || "document_discount".to_string();
        let sum = lines.iter().map(|l| l.untaxed).chain(tax_totals.iter().copied()).try_fold(Decimal::ZERO, |a, b| a.checked_add(b)).ok_or_else(|| TaxError::Overflow { field: field() })?;
        if let Some(last) = lines.last_mut() {
            last.difference = fixed(to_decimal(grand_total, places, &field)? - sum, places);
        }
    }

    let company = match plan.company {
        Some(conv) => Some(company_side(plan, conv, method, &CompanyInputs { rows: &rows, item_net: &item_net, bases: &bases, current: &current, rates: &rates, grand_total })?),
        None => None,
    };
    Ok(Computed { lines, tax_totals, keeps_shelf, company })
}

/// One run of ERPNext's `calculate_taxes`: each row rounded (`rows`), its unrounded sum
/// (`row_sum`, Actual rows aside), and per item the unrounded amounts and bases.
struct Pass {
    rows: Vec<f64>,
    current: Vec<Vec<f64>>,
    bases: Vec<Vec<f64>>,
    row_sum: Vec<f64>,
}

/// ERPNext's document totals after a pass.
#[derive(Clone, Copy)]
struct Totals {
    net_total: f64,
    /// The last row's running total.
    running: f64,
    grand_total: f64,
    /// The inclusive-tax difference kept (`grand_total_diff`).
    diff: f64,
    keeps_shelf: bool,
}

/// A row's rate (ERPNext's rate is the row's; here the first line it applies to gives it).
fn row_rate(rates: &[Vec<Option<f64>>], i: usize) -> f64 {
    rates.iter().find_map(|r| r[i]).unwrap_or(0.0)
}

/// What [`company_side`] converts: ERPNext's own figures in the document's currency.
struct CompanyInputs<'a> {
    rows: &'a [f64],
    item_net: &'a [f64],
    bases: &'a [Vec<f64>],
    current: &'a [Vec<f64>],
    rates: &'a [Vec<Option<f64>>],
    grand_total: f64,
}

/// ERPNext's `base_*` fields (`_set_in_company_currency`): each figure converted on its own,
/// `flt(value * conversion_rate, precision)` in the company currency's places: every row
/// (`base_tax_amount`), every item's net amount (`base_net_amount`, whose sum is
/// `base_net_total`) and the grand total (`base_grand_total`, which need not be their sum).
/// Each converted row is split over its lines as the document's is. An `inverse_rate` is used
/// as `1 / inverse_rate`.
fn company_side(plan: &Plan, conv: crate::tax::plan::Conversion, method: FrappeRounding, x: &CompanyInputs<'_>) -> Result<crate::tax::plan::CompanyComputed, TaxError> {
    let places = conv.places;
    if places > MAX_PLACES {
        return Err(unsupported("company_currency.step"));
    }
    let field = || "company_currency".to_string();
    let rate = to_f64(conv.rate, &field)?;
    let rate = if conv.divide { 1.0 / rate } else { rate };
    let flt = |v: f64| frappe_round::rounded(checked(v * rate, &field)?, places, method).ok_or_else(|| TaxError::Overflow { field: field() });
    let unit = Decimal::new(1, places);
    let mut taxes: Vec<Vec<Option<ComputedTax>>> = vec![vec![None; plan.taxes.len()]; plan.lines.len()];
    for (i, row) in x.rows.iter().enumerate() {
        let total = to_decimal(flt(*row)?, places, &field)?;
        let applying: Vec<usize> = (0..plan.lines.len()).filter(|&k| x.rates[k][i].is_some()).collect();
        let mut weights = Vec::with_capacity(applying.len());
        for &k in &applying {
            weights.push(weight(x.current[k][i], &field)?);
        }
        let shares = distribute(total, &weights, unit, places).ok_or_else(|| TaxError::Overflow { field: field() })?;
        for (&k, amount) in applying.iter().zip(shares) {
            let base = if plan.taxes[i].kind == TaxKind::PerUnit { plan.lines[k].quantity } else { to_decimal(flt(x.bases[k][i])?, places, &field)? };
            taxes[k][i] = Some(ComputedTax { base, amount });
        }
    }
    let mut lines = Vec::with_capacity(plan.lines.len());
    for (k, taxes) in taxes.into_iter().enumerate() {
        lines.push(ComputedLine { untaxed: to_decimal(flt(x.item_net[k])?, places, &field)?, document_discount: Decimal::ZERO, difference: Decimal::ZERO, taxes });
    }
    Ok(crate::tax::plan::CompanyComputed { lines, total: Some(to_decimal(flt(x.grand_total)?, places, &field)?) })
}

/// An item's amount after a percentage discount, as ERPNext computes it: the rate is
/// `flt(price_list_rate * (1 - discount_percentage / 100.0), precision)`, the amount
/// `flt(rate * qty, precision)` (the rate rounded first: 5 × 5.75 less 18 % is 4.72 × 5 = 23.60).
/// Precision is the currency's places (ERPNext's default rate precision).
pub(crate) fn discounted_amount(price: Decimal, quantity: Decimal, percent: Decimal, places: u32, method: FrappeRounding, field: &dyn Fn() -> String) -> Result<Decimal, TaxError> {
    if places > MAX_PLACES {
        return Err(unsupported("currency.step"));
    }
    let flt = |x: f64| frappe_round::rounded(checked(x, field)?, places, method).ok_or_else(|| TaxError::Overflow { field: field() });
    let rate = flt(to_f64(price, field)? * (1.0 - to_f64(percent, field)? / 100.0))?;
    to_decimal(flt(rate * to_f64(quantity, field)?)?, places, field)
}

/// Rejects what ERPNext cannot express; repeats ERPNext's `validate_inclusive_tax`.
fn validate_rows(plan: &Plan) -> Result<(), TaxError> {
    for (i, tax) in plan.taxes.iter().enumerate() {
        let field = format!("taxes[{i}]");
        match tax.kind {
            TaxKind::Percent | TaxKind::PerUnit | TaxKind::FixedPerDocument => {}
            TaxKind::Division | TaxKind::FixedPerLine | TaxKind::Group => {
                return Err(unsupported(&field));
            }
        }
        if tax.kind == TaxKind::Percent {
            if let PlanBase::PreviousTax(j) = tax.base {
                if j >= i {
                    return Err(TaxError::InvalidRule {
                        field: format!("{field}.base"),
                        reason: format!("refers to tax {j}, which is not an earlier tax"),
                    });
                }
            }
        }
        if !tax.price_include {
            continue;
        }
        let earlier = &plan.taxes[..i];
        let fine = match (tax.kind, tax.base) {
            (TaxKind::FixedPerDocument, _) => false,
            (TaxKind::PerUnit, _) => true,
            (_, PlanBase::PreviousTax(j)) => plan.taxes[j].price_include,
            (_, PlanBase::RunningTotal) => earlier.iter().all(|t| t.price_include),
            (_, PlanBase::Net) => {
                !tax.base_affected
                    || earlier.iter().all(|t| !t.include_in_later_base || t.price_include)
            }
        };
        if !fine {
            return Err(unsupported(&field));
        }
    }
    Ok(())
}

fn unsupported(field: &str) -> TaxError {
    TaxError::Unsupported {
        field: field.into(),
        value: "erpnext".into(),
    }
}

/// `x` if finite and within ±1e15, else [`TaxError::Overflow`].
fn checked(x: f64, field: &dyn Fn() -> String) -> Result<f64, TaxError> {
    if x.is_finite() && x.abs() <= LIMIT {
        Ok(x)
    } else {
        Err(TaxError::Overflow { field: field() })
    }
}

/// Python's `float(str(d))`: the float nearest to the decimal (Rust's parser rounds correctly).
fn to_f64(d: Decimal, field: &dyn Fn() -> String) -> Result<f64, TaxError> {
    let x = d
        .to_string()
        .parse::<f64>()
        .map_err(|_| TaxError::Overflow { field: field() })?;
    checked(x, field)
}

/// The decimal of a float's shortest representation (`repr` in Python), or an error.
fn shortest(x: f64, field: &dyn Fn() -> String) -> Result<Decimal, TaxError> {
    if x == 0.0 {
        return Ok(Decimal::ZERO);
    }
    // Display never uses an exponent; |x| ≤ 1e15 keeps the digits within Decimal's range.
    Decimal::from_str(&format!("{}", checked(x, field)?))
        .map_err(|_| TaxError::Overflow { field: field() })
}

/// A rounded float as a decimal with exactly `places` decimals.
fn to_decimal(x: f64, places: u32, field: &dyn Fn() -> String) -> Result<Decimal, TaxError> {
    let d =
        shortest(x, field)?.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
    Ok(fixed(d, places))
}

/// An unrounded per-item amount as an apportioning weight (noise below 1e-9 counts as 0).
fn weight(x: f64, field: &dyn Fn() -> String) -> Result<Decimal, TaxError> {
    if x.abs() < NOISE {
        return Ok(Decimal::ZERO);
    }
    shortest(x, field)
}

/// `d` with exactly `places` decimals, zero without a sign.
fn fixed(mut d: Decimal, places: u32) -> Decimal {
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(places);
    d
}

/// Splits a row's total over its lines in proportion to the unrounded per-item amounts.
fn distribute(total: Decimal, weights: &[Decimal], unit: Decimal, places: u32) -> Option<Vec<Decimal>> {
    let positive = weights.iter().all(|w| !w.is_sign_negative() || w.is_zero());
    let negative = weights.iter().all(|w| w.is_sign_negative() || w.is_zero());
    let shares = if positive || negative {
        apportion(total, weights, unit)?
    } else {
        // Mixed signs: round each, then apportion what is left by magnitude.
        let rounded: Vec<Decimal> = weights
            .iter()
            .map(|w| w.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven))
            .collect();
        let left = total.checked_sub(checked_sum(rounded.iter().copied())?)?;
        let magnitudes: Vec<Decimal> = weights.iter().map(|w| w.abs()).collect();
        let extra = apportion(left, &magnitudes, unit)?;
        rounded.into_iter().zip(extra).map(|(r, e)| r.checked_add(e)).collect::<Option<Vec<_>>>()?
    };
    Some(shares.into_iter().map(|s| fixed(s, places)).collect())
}
