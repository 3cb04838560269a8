//! Rounding to a currency step, and spreading a rounding difference over lines.

use rust_decimal::Decimal;

use crate::money::{round, Rounding};

/// Rounds `value` to a multiple of `step` (0.01, 0.05, 1, 0.000001 …) with the given rule.
pub fn to_step(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal {
    Step::new(step).round(value, rounding)
}

/// A currency step, analysed once so that rounding to it in a loop costs no division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    step: Decimal,
    places: u32,
    power_of_ten: bool,
}

impl Step {
    /// Analyses `step` (zero means "do not round").
    pub fn new(step: Decimal) -> Step {
        let normal = step.normalize();
        Step { step, places: normal.scale(), power_of_ten: normal.mantissa() == 1 }
    }

    /// Rounds `value` to a multiple of the step, written with the step's decimal places.
    pub fn round(&self, value: Decimal, rounding: Rounding) -> Decimal {
        if self.step.is_zero() {
            return value;
        }
        // Already a multiple of a power-of-ten step, written with its places: nothing to do
        // (bases and untaxed amounts usually are).
        if self.power_of_ten && value.scale() == self.places {
            return value;
        }
        // 1, 0.1, 0.01, …: rounding to decimal places needs no division.
        let mut r = if self.power_of_ten {
            round(value, self.places, rounding)
        } else {
            round(value / self.step, 0, rounding) * self.step
        };
        r.rescale(self.places);
        r
    }
}

/// Gives `value` the same number of decimal places as `step` (so `5` prints as `5.00`).
trait NormalizeTo {
    fn normalize_to(self, step: Decimal) -> Decimal;
}

impl NormalizeTo for Decimal {
    fn normalize_to(mut self, step: Decimal) -> Decimal {
        let places = step.normalize().scale();
        self.rescale(places);
        self
    }
}

/// Most decimal places a currency step may have (no currency has more than 8).
pub const MAX_PLACES: u32 = 12;

/// The largest magnitude of any amount, base or sum the engine computes for a currency with
/// `places` decimals: 10^(25 − places) (10^23 for cents). Written with its places such an
/// amount keeps three of `Decimal`'s 28 digits to spare, so sums stay exact and rounding sees
/// every digit it needs; anything larger is refused as an overflow, never wrapped or cut.
pub fn amount_limit(places: u32) -> Decimal {
    Decimal::from_i128_with_scale(10i128.pow(25 - places.min(MAX_PLACES)), 0)
}

/// Whether `|x| ≤ limit` (a whole number, as [`amount_limit`] gives). Fast path: `|x| ≤
/// |mantissa|` (the scale is never negative), so a mantissa within the limit settles it without
/// comparing decimals of different scales (a fifth of the engine's time otherwise).
#[inline(always)]
pub fn within_limit(x: Decimal, limit: Decimal) -> bool {
    x.mantissa().unsigned_abs() <= limit.mantissa().unsigned_abs() || x.abs() <= limit
}

/// Decimal places of a step: 2 for 0.01 and 0.05, 0 for 1, 6 for 0.000001.
pub fn places(step: Decimal) -> u32 {
    step.normalize().scale()
}

/// Splits `total` (a multiple of `step`) over lines in proportion to `weights`, each share a
/// multiple of `step`, the shares adding up to `total` exactly.
///
/// Largest remainder: every line first gets its share rounded toward zero; the steps left over
/// go one each to the lines with the largest remainders, ties to the earlier line. Zero total
/// weight puts everything on the last line. Deterministic, so the device and the server agree.
///
/// `None` when the amounts are too large to split exactly (the caller reports an overflow).
pub fn apportion(total: Decimal, weights: &[Decimal], step: Decimal) -> Option<Vec<Decimal>> {
    let n = weights.len();
    if n == 0 {
        return Some(Vec::new());
    }
    let weight_sum = checked_sum(weights.iter().copied())?;
    if weight_sum.is_zero() || step.is_zero() {
        let mut out = vec![Decimal::ZERO; n];
        out[n - 1] = total;
        return Some(out);
    }
    let sign = if total.is_sign_negative() { -Decimal::ONE } else { Decimal::ONE };
    let abs_total = total.abs();
    let mut shares = Vec::with_capacity(n);
    let mut remainders = Vec::with_capacity(n);
    for w in weights {
        // total × w / Σw, multiplied first (exact for ordinary amounts); when the product does
        // not fit, the proportion first.
        let scaled = match abs_total.checked_mul(*w) {
            Some(p) => p.checked_div(weight_sum)?,
            None => abs_total.checked_mul(w.checked_div(weight_sum)?)?,
        };
        let exact = scaled.checked_div(step)?;
        let floor = exact.trunc();
        shares.push(floor);
        remainders.push(exact.checked_sub(floor)?);
    }
    let assigned = checked_sum(shares.iter().copied())?;
    let mut left = abs_total.checked_div(step)?.round().checked_sub(assigned)?;
    // Each share is within one step of its exact value: anything else is lost precision.
    if left.abs() > Decimal::from(n + 1) {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| remainders[*b].cmp(&remainders[*a]).then(a.cmp(b)));
    let mut i = 0;
    while left > Decimal::ZERO {
        shares[order[i % n]] += Decimal::ONE;
        left -= Decimal::ONE;
        i += 1;
    }
    while left < Decimal::ZERO {
        // Only reachable with negative weights; take back from the last lines.
        let k = order[n - 1 - (i % n)];
        shares[k] -= Decimal::ONE;
        left += Decimal::ONE;
        i += 1;
    }
    shares.into_iter().map(|s| s.checked_mul(step)?.checked_mul(sign).map(|x| x.normalize_to(step))).collect()
}

/// The sum, or `None` when it does not fit a `Decimal`.
pub fn checked_sum(values: impl IntoIterator<Item = Decimal>) -> Option<Decimal> {
    values.into_iter().try_fold(Decimal::ZERO, |acc, x| acc.checked_add(x))
}

/// Rounds each of `exact` to `step` so that the results add up to `total` (itself a multiple of
/// `step`, normally the rounded sum of `exact`): each value is first truncated toward zero, then
/// the steps still missing go one each to the values with the largest remainders (ties to the
/// earlier value), in the direction of the difference. Used to spread a document-level
/// rounding over lines deterministically.
///
/// `None` when the amounts are too large to count in steps exactly, or when `total` is not
/// within a step per value of the values' sum.
pub fn round_to_total(exact: &[Decimal], total: Decimal, step: Decimal) -> Option<Vec<Decimal>> {
    if step.is_zero() || exact.is_empty() {
        return Some(exact.to_vec());
    }
    let mut units = Vec::with_capacity(exact.len());
    let mut remainders = Vec::with_capacity(exact.len());
    for x in exact {
        let in_steps = x.checked_div(step)?;
        let unit = in_steps.trunc();
        units.push(unit);
        remainders.push(in_steps.checked_sub(unit)?);
    }
    let mut missing = total.checked_div(step)?.round().checked_sub(checked_sum(units.iter().copied())?)?;
    if missing.abs() > Decimal::from(exact.len() + 1) {
        return None;
    }
    let up = missing > Decimal::ZERO;
    let mut order: Vec<usize> = (0..exact.len()).collect();
    // Going up, the largest positive remainders first; going down, the most negative.
    order.sort_by(|a, b| {
        let (ra, rb) = (remainders[*a], remainders[*b]);
        let key = if up { rb.cmp(&ra) } else { ra.cmp(&rb) };
        key.then(a.cmp(b))
    });
    let mut i = 0;
    while !missing.is_zero() {
        let k = order[i % order.len()];
        if up {
            units[k] += Decimal::ONE;
            missing -= Decimal::ONE;
        } else {
            units[k] -= Decimal::ONE;
            missing += Decimal::ONE;
        }
        i += 1;
    }
    units.into_iter().map(|u| u.checked_mul(step).map(|x| x.normalize_to(step))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).expect("literal")
    }

    #[test]
    fn rounds_to_any_step() {
        assert_eq!(to_step(d("1.025"), d("0.01"), Rounding::HalfUp).to_string(), "1.03");
        assert_eq!(to_step(d("1.025"), d("0.01"), Rounding::HalfEven).to_string(), "1.02");
        assert_eq!(to_step(d("1.025"), d("0.05"), Rounding::HalfUp).to_string(), "1.05");
        assert_eq!(to_step(d("1.024"), d("0.05"), Rounding::HalfUp).to_string(), "1.00");
        assert_eq!(to_step(d("1234.5"), d("1"), Rounding::HalfEven).to_string(), "1234");
        assert_eq!(to_step(d("0.0000005"), d("0.000001"), Rounding::HalfUp).to_string(), "0.000001");
        assert_eq!(to_step(d("-1.025"), d("0.01"), Rounding::HalfUp).to_string(), "-1.03");
        assert_eq!(to_step(d("5"), d("0.01"), Rounding::HalfUp).to_string(), "5.00");
    }

    #[test]
    fn apportioned_shares_add_up_and_favour_the_largest_remainders() {
        let shares = apportion(d("10.00"), &[d("1"), d("1"), d("1")], d("0.01")).expect("fits");
        assert_eq!(shares, vec![d("3.34"), d("3.33"), d("3.33")]);
        let shares = apportion(d("-0.05"), &[d("2"), d("1")], d("0.01")).expect("fits");
        assert_eq!(shares.iter().copied().sum::<Decimal>(), d("-0.05"));
        assert_eq!(shares, vec![d("-0.03"), d("-0.02")]);
        assert_eq!(apportion(d("1.00"), &[d("0"), d("0")], d("0.01")).expect("fits"), vec![d("0"), d("1.00")]);
    }

    #[test]
    fn rounding_to_a_total_keeps_the_sum_and_mirrors_negatives() {
        let exact = [d("0.333"), d("0.333"), d("0.334")];
        assert_eq!(round_to_total(&exact, d("1.00"), d("0.01")).expect("fits"), vec![d("0.33"), d("0.33"), d("0.34")]);
        let neg: Vec<Decimal> = exact.iter().map(|x| -*x).collect();
        assert_eq!(round_to_total(&neg, d("-1.00"), d("0.01")).expect("fits"), vec![d("-0.33"), d("-0.33"), d("-0.34")]);
        // 3 × 0.005 = 0.015 → 0.02 at document level: one line carries the extra cent.
        let halves = [d("0.005"), d("0.005"), d("0.005")];
        assert_eq!(round_to_total(&halves, d("0.02"), d("0.01")).expect("fits"), vec![d("0.01"), d("0.01"), d("0.00")]);
    }
}
