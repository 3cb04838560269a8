//! Python's `round()` and Frappe's three rounding methods, reproduced on binary floats.
//!
//! Frappe (`frappe/utils/data.py`, `flt(value, precision)` → `rounded(num, precision,
//! rounding_method)`) rounds Python floats with one of three methods chosen in System Settings.
//! Each is built on CPython's `round(float, ndigits)`, `round(float)`, `math.floor` and
//! `math.log`; this module reproduces those to the last bit, so that a tax row rounds to the
//! same cent as on an ERPNext server:
//!
//! - **"Banker's Rounding (legacy)"** ([`FrappeRounding::BankersLegacy`]): scale by `10^p`
//!   (only when `p > 0`), cut float noise with `round(v, 8)`, then: an exact `.5` goes to even
//!   when `p == 0` but **up** (toward +∞, even for negatives) when `p > 0` (Frappe's known
//!   quirk); anything else `round(v)` (half to even on the float); divide by `10^p`.
//! - **"Banker's Rounding"** ([`FrappeRounding::Bankers`], the default of new sites since v15):
//!   `v = round(num·10^p, 12)`; `0` stays `0.0`; with `ε = 2^(log2|v| − 52)` (one ulp of `v`,
//!   computed as `math.log(|v|, 2)` = `ln|v| / ln 2`), a fractional part within `ε` of `.5` goes
//!   to even, anything else `round(v)`; divide by `10^p`.
//! - **"Commercial Rounding"** ([`FrappeRounding::Commercial`]): `0` stays `0.0`; with
//!   `ε = 2^(log2|num| − 52)`, `round(num + copysign(ε, num), p)`: halves away from zero.
//!
//! [`python_round`] is CPython's `round(x, ndigits)`: the float nearest to the exact binary value
//! of `x` rounded to `ndigits` decimals, exact ties to even. It is computed here with integer
//! arithmetic on the float's mantissa (no decimal library, no formatting shortcuts), and the
//! result is read back with Rust's correctly rounded `str::parse::<f64>`, exactly as CPython
//! reads its `dtoa` string back with `strtod`.
//!
//! `ln` and `powf` come from the platform's libm, like CPython's `math.log` and `**`; they only
//! size ε, whose last bit cannot change a result outside contrived inputs.
//!
//! The reference table `tests/fixtures/erpnext/rounding.json` (written by real CPython through
//! `tests/fixtures/erpnext/rounding_table.py`) is checked bit for bit by
//! `core/tests/erpnext_dialect.rs`.

use crate::tax::model::FrappeRounding;

/// The largest `ndigits` [`python_round`] handles (`10^22` is the largest exact power of ten in
/// an `f64`, and `2^53 · 10^22` still fits in a `u128`).
pub const MAX_NDIGITS: u32 = 22;

/// `10^n` as an exact float (`n ≤ 22`).
fn pow10(n: u32) -> f64 {
    // Every power of ten up to 10^22 is exactly representable, and so is each product on the way.
    let mut v = 1.0_f64;
    for _ in 0..n {
        v *= 10.0;
    }
    v
}

/// CPython's `round(x, ndigits)` for `0 ≤ ndigits ≤ 22`: half to even on the exact binary value.
///
/// NaN and infinities come back unchanged (CPython raises only for `round(x)` without digits).
/// Returns `None` when `ndigits > 22` (never needed by Frappe's methods at currency precisions).
pub fn python_round(x: f64, ndigits: u32) -> Option<f64> {
    if ndigits > MAX_NDIGITS {
        return None;
    }
    if !x.is_finite() || x == 0.0 {
        return Some(x);
    }
    let negative = x.is_sign_negative();
    let raw = x.abs().to_bits();
    let exp_bits = ((raw >> 52) & 0x7ff) as i32;
    let frac_bits = raw & ((1u64 << 52) - 1);
    // |x| = mantissa · 2^exponent, exactly.
    let (mantissa, exponent) = if exp_bits == 0 {
        (frac_bits, -1074)
    } else {
        (frac_bits | (1u64 << 52), exp_bits - 1075)
    };
    if exponent >= 0 {
        // An integer already: rounding to a number of decimals leaves it as it is.
        return Some(x);
    }
    let shift = exponent.unsigned_abs();
    // |x| · 10^n = mantissa · 10^n / 2^shift; round that quotient to an integer, half to even.
    let scaled = u128::from(mantissa) * 10u128.pow(ndigits);
    let units: u128 = if shift >= 128 {
        // scaled < 2^127 ≤ 2^shift / 2: below one half, rounds to zero.
        0
    } else {
        let quotient = scaled >> shift;
        let remainder = scaled - (quotient << shift);
        let half = 1u128 << (shift - 1);
        if remainder > half || (remainder == half && quotient % 2 == 1) {
            quotient + 1
        } else {
            quotient
        }
    };
    // Read "units e-ndigits" back, correctly rounded, as CPython does with strtod.
    let text = format!("{}{}e-{}", if negative { "-" } else { "" }, units, ndigits);
    text.parse::<f64>().ok()
}

/// CPython's `round(x)` without digits: the nearest integer, ties to even.
///
/// CPython returns an `int`, which has no negative zero: so neither does this.
pub fn python_round_int(x: f64) -> f64 {
    int_zero(x.round_ties_even())
}

/// A Python `int` turned back into a float: `-0.0` becomes `0.0` (Frappe's banker's methods
/// compute with `math.floor` and `round`, which return ints).
fn int_zero(v: f64) -> f64 {
    if v == 0.0 {
        0.0
    } else {
        v
    }
}

/// CPython's `math.log(x, 2)`, which is `log(x) / log(2)` (not `log2`).
fn python_log2(x: f64) -> f64 {
    x.ln() / 2.0_f64.ln()
}

/// Frappe's ε: `2.0 ** (math.log(abs(v), 2) - 52.0)`, one unit in the last place of `v`.
fn epsilon(v: f64) -> f64 {
    2.0_f64.powf(python_log2(v.abs()) - 52.0)
}

/// Frappe's `flt(num, precision)` / `rounded(num, precision, method)`.
///
/// Returns `None` only when `num` is not finite or `precision` is above [`MAX_NDIGITS`] minus
/// the 12 guard digits Frappe's banker's rounding uses (i.e. `precision > 10`); callers turn that
/// into an error instead of panicking.
pub fn rounded(num: f64, precision: u32, method: FrappeRounding) -> Option<f64> {
    if !num.is_finite() || precision > 10 {
        return None;
    }
    match method {
        FrappeRounding::BankersLegacy => bankers_legacy(num, precision),
        FrappeRounding::Bankers => bankers(num, precision),
        FrappeRounding::Commercial => commercial(num, precision),
    }
}

/// Python's `x % 2 == 0` for an integral float (Python's modulo is never negative here).
fn is_even(integral: f64) -> bool {
    integral.rem_euclid(2.0) == 0.0
}

fn bankers_legacy(num: f64, precision: u32) -> Option<f64> {
    let multiplier = pow10(precision);
    let v = python_round(if precision > 0 { num * multiplier } else { num }, 8)?;
    let floor = int_zero(v.floor());
    let fraction = v - floor;
    let v = if fraction == 0.5 {
        if precision == 0 && is_even(floor) {
            floor
        } else {
            floor + 1.0
        }
    } else {
        python_round_int(v)
    };
    Some(if precision > 0 { v / multiplier } else { v })
}

fn bankers(num: f64, precision: u32) -> Option<f64> {
    let multiplier = pow10(precision);
    let v = python_round(num * multiplier, 12)?;
    if v == 0.0 {
        return Some(0.0);
    }
    let floor = int_zero(v.floor());
    let fraction = v - floor;
    let v = if (fraction - 0.5).abs() < epsilon(v) {
        if is_even(floor) {
            floor
        } else {
            floor + 1.0
        }
    } else {
        python_round_int(v)
    };
    Some(v / multiplier)
}

fn commercial(num: f64, precision: u32) -> Option<f64> {
    if num == 0.0 {
        return Some(0.0);
    }
    python_round(num + epsilon(num).copysign(num), precision)
}
