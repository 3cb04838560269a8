//! Money and quantities: exact decimals, parsed only from strings.
//!
//! Amounts cross every boundary (JSON, the JavaScript API, the database) as decimal strings such
//! as `"12.50"`. A JSON *number* is refused on purpose: by the time JavaScript or a JSON parser
//! has turned `0.1` into a binary float, the exact value is already gone.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a value is rounded to its step. Always chosen explicitly, never by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Halves go away from zero (2.345 → 2.35, −2.345 → −2.35): the usual commercial rule.
    HalfUp,
    /// Halves go to the even neighbour (2.345 → 2.34, 2.355 → 2.36): banker's rounding.
    HalfEven,
    /// Halves go towards zero (2.345 → 2.34, −2.345 → −2.34).
    HalfDown,
    /// Away from zero, whatever the remainder (2.341 → 2.35, −2.341 → −2.35).
    Up,
    /// Towards zero, whatever the remainder (2.349 → 2.34, −2.349 → −2.34): truncation.
    Down,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::HalfDown => RoundingStrategy::MidpointTowardZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Rounds `value` to `decimal_places` with the given rule.
pub fn round(value: Decimal, decimal_places: u32, rounding: Rounding) -> Decimal {
    value.round_dp_with_strategy(decimal_places, rounding.strategy())
}

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is not a plain decimal number (digits, an optional sign and one point).
    #[error("not a decimal number")]
    Malformed,
    /// The number is too large (or has too many digits) to be represented exactly.
    #[error("number out of range")]
    OutOfRange,
}

/// Parses a plain decimal string: optional `-`, digits, optional `.` and digits.
///
/// Exponents, `NaN`, thousands separators, leading `+` and surrounding spaces are refused so that
/// every accepted text has one meaning.
pub fn parse_decimal(text: &str) -> Result<Decimal, DecimalError> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(int_part) || frac_part.is_some_and(|f| !digits_ok(f)) {
        return Err(DecimalError::Malformed);
    }
    if int_part.len() + frac_part.map_or(0, str::len) > 28 {
        return Err(DecimalError::OutOfRange);
    }
    Decimal::from_str(text).map_err(|_| DecimalError::OutOfRange)
}

/// Turns what a person typed into a number field into the plain decimal text the rest of the
/// system takes (`"1,5"` → `"1.5"`), exactly: no float is ever involved.
///
/// Phone keyboards in comma locales type `,` for the decimal point and others type `.`; either
/// is accepted as the decimal point, so the same rule serves every locale. Surrounding spaces
/// are ignored. Text with both separators, or one separator twice (`"1.000,50"`, `"1,000,000"`),
/// is refused rather than guessed at: grouping is never typed into a quantity or a percent.
pub fn normalize_decimal_input(text: &str) -> Result<String, DecimalError> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace());
    let separators = trimmed.chars().filter(|c| *c == ',' || *c == '.').count();
    if separators > 1 {
        return Err(DecimalError::Malformed);
    }
    let plain = trimmed.replace(',', ".");
    parse_decimal(&plain)?;
    Ok(plain)
}

/// Why a money helper ([`round_to_step`], [`format_to_step`], [`sum_amounts`]) refused its
/// input. `field` names the argument (`amount`, `step`, `amounts[3]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AmountError {
    /// The argument concerned.
    pub field: String,
    /// A stable code: `not_a_number`, `out_of_range`, `bad_step` or `too_precise`.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

fn amount_at(field: &str, text: &str) -> Result<Decimal, AmountError> {
    parse_decimal(text).map_err(|e| AmountError {
        field: field.into(),
        code: match e {
            DecimalError::Malformed => "not_a_number",
            DecimalError::OutOfRange => "out_of_range",
        },
        message: format!("{e}: {text:?} (a plain decimal string such as \"12.50\")"),
    })
}

fn step_at(text: &str) -> Result<Decimal, AmountError> {
    let step = amount_at("step", text)?;
    if step <= Decimal::ZERO {
        return Err(AmountError { field: "step".into(), code: "bad_step", message: format!("a step must be above zero: {text:?}") });
    }
    Ok(step)
}

fn out_of_range(field: &str) -> AmountError {
    AmountError { field: field.into(), code: "out_of_range", message: "the result is too large to represent exactly".into() }
}

/// Rounds the decimal text `amount` to a multiple of `step` (`"0.01"`, `"0.05"`, `"1"`) with
/// `rounding`, written with the step's places: `("2.345", "0.01", HalfUp)` → `"2.35"`,
/// `("2.32", "0.05", HalfUp)` → `"2.30"`, `("0", "0.01", _)` → `"0.00"`.
pub fn round_to_step(amount: &str, step: &str, rounding: Rounding) -> Result<String, AmountError> {
    let value = amount_at("amount", amount)?;
    let step = step_at(step)?;
    let places = step.normalize().scale();
    let mut rounded = value
        .checked_div(step)
        .map(|q| round(q, 0, rounding))
        .and_then(|q| q.checked_mul(step))
        .ok_or_else(|| out_of_range("amount"))?;
    rounded.rescale(places);
    Ok(rounded.to_string())
}

/// Writes `amount` with the places of `step` (`("5", "0.01")` → `"5.00"`) without changing its
/// value: an amount that is not a multiple of the step is refused (`too_precise`), never
/// silently rounded. Round first with [`round_to_step`].
pub fn format_to_step(amount: &str, step: &str) -> Result<String, AmountError> {
    let value = amount_at("amount", amount)?;
    let step = step_at(step)?;
    let multiple = value.checked_rem(step).ok_or_else(|| out_of_range("amount"))?;
    if !multiple.is_zero() {
        return Err(AmountError {
            field: "amount".into(),
            code: "too_precise",
            message: format!("{amount} is not a multiple of {step}: round it first"),
        });
    }
    let mut shown = value;
    shown.rescale(step.normalize().scale());
    if shown != value {
        return Err(out_of_range("amount"));
    }
    Ok(shown.to_string())
}

/// The exact sum of decimal texts (`["0.10", "0.20"]` → `"0.30"`), with as many places as the
/// most precise of them; `[]` → `"0"`.
pub fn sum_amounts<S: AsRef<str>>(amounts: &[S]) -> Result<String, AmountError> {
    let mut total = Decimal::ZERO;
    for (i, text) in amounts.iter().enumerate() {
        let field = format!("amounts[{i}]");
        let value = amount_at(&field, text.as_ref())?;
        total = total.checked_add(value).ok_or_else(|| out_of_range(&field))?;
    }
    Ok(total.to_string())
}

/// A decimal value that serializes as a string and deserializes only from a string.
///
/// Used for every amount, price, quantity and rate in documents and on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct Dec(#[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))] pub Decimal);

impl Dec {
    /// The inner decimal.
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Dec {
    fn from(d: Decimal) -> Self {
        Dec(d)
    }
}

impl FromStr for Dec {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s).map(Dec)
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Dec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number written as a string, such as \"12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dec, E> {
                parse_decimal(v)
                    .map(Dec)
                    .map_err(|e| E::custom(format!("{e}: {v:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    /// Tiny local helper instead of a macro crate: parses a literal known to be valid.
    mod rust_decimal_macros_free {
        pub fn dec(s: &str) -> rust_decimal::Decimal {
            super::parse_decimal(s).expect("test literal")
        }
    }

    #[test]
    fn normalizes_either_decimal_separator_exactly() {
        assert_eq!(normalize_decimal_input("1,5").as_deref(), Ok("1.5"));
        assert_eq!(normalize_decimal_input(" 1.5 ").as_deref(), Ok("1.5"));
        assert_eq!(normalize_decimal_input("0,001").as_deref(), Ok("0.001"));
        assert_eq!(normalize_decimal_input("12").as_deref(), Ok("12"));
        assert_eq!(normalize_decimal_input("-2,25").as_deref(), Ok("-2.25"));
        for bad in ["", ",", "1,", ",5", "1.000,50", "1,000,000", "1 000", "1e3", "abc", "+1"] {
            assert_eq!(normalize_decimal_input(bad), Err(DecimalError::Malformed), "{bad:?}");
        }
        assert_eq!(normalize_decimal_input("1234567890123456789012345678,9"), Err(DecimalError::OutOfRange));
    }

    #[test]
    fn parses_plain_decimals_only() {
        assert_eq!(parse_decimal("12.50"), Ok(dec("12.5")));
        assert_eq!(parse_decimal("-0.01"), Ok(dec("-0.01")));
        for bad in ["", "-", ".5", "5.", "1e3", "+1", " 1", "1,000.00", "NaN", "0x10", "1.2.3"] {
            assert_eq!(parse_decimal(bad), Err(DecimalError::Malformed), "{bad:?}");
        }
        assert_eq!(parse_decimal(&"9".repeat(40)), Err(DecimalError::OutOfRange));
    }

    #[test]
    fn rounding_is_the_rule_asked_for() {
        assert_eq!(round(dec("2.345"), 2, Rounding::HalfUp), dec("2.35"));
        assert_eq!(round(dec("2.345"), 2, Rounding::HalfEven), dec("2.34"));
        assert_eq!(round(dec("-2.345"), 2, Rounding::HalfUp), dec("-2.35"));
        assert_eq!(round(dec("2.345"), 2, Rounding::HalfDown), dec("2.34"));
        assert_eq!(round(dec("2.3451"), 2, Rounding::HalfDown), dec("2.35"));
        assert_eq!(round(dec("-2.345"), 2, Rounding::HalfDown), dec("-2.34"));
        assert_eq!(round(dec("2.341"), 2, Rounding::Up), dec("2.35"));
        assert_eq!(round(dec("-2.341"), 2, Rounding::Up), dec("-2.35"));
        assert_eq!(round(dec("2.340"), 2, Rounding::Up), dec("2.34"));
        assert_eq!(round(dec("2.349"), 2, Rounding::Down), dec("2.34"));
        assert_eq!(round(dec("-2.349"), 2, Rounding::Down), dec("-2.34"));
    }

    #[test]
    fn money_helpers_round_format_and_sum_exactly() {
        assert_eq!(round_to_step("2.345", "0.01", Rounding::HalfUp).as_deref(), Ok("2.35"));
        assert_eq!(round_to_step("2.345", "0.01", Rounding::HalfEven).as_deref(), Ok("2.34"));
        assert_eq!(round_to_step("2.325", "0.05", Rounding::HalfUp).as_deref(), Ok("2.35"));
        assert_eq!(round_to_step("2.32", "0.05", Rounding::HalfUp).as_deref(), Ok("2.30"));
        assert_eq!(round_to_step("0", "0.01", Rounding::HalfUp).as_deref(), Ok("0.00"));
        assert_eq!(round_to_step("-1.5", "1", Rounding::HalfUp).as_deref(), Ok("-2"));
        assert_eq!(format_to_step("5", "0.01").as_deref(), Ok("5.00"));
        assert_eq!(format_to_step("0", "0.001").as_deref(), Ok("0.000"));
        assert_eq!(format_to_step("1.10", "0.05").as_deref(), Ok("1.10"));
        assert_eq!(format_to_step("1.12", "0.05").map_err(|e| e.code), Err("too_precise"));
        assert_eq!(sum_amounts(&["0.10", "0.20"]).as_deref(), Ok("0.30"));
        assert_eq!(sum_amounts::<&str>(&[]).as_deref(), Ok("0"));
        let e = sum_amounts(&["1", "x"]).expect_err("not a number");
        assert_eq!((e.field.as_str(), e.code), ("amounts[1]", "not_a_number"));
        let e = round_to_step("1", "0", Rounding::HalfUp).expect_err("zero step");
        assert_eq!((e.field.as_str(), e.code), ("step", "bad_step"));
        let huge = "79228162514264337593543950335";
        assert_eq!(round_to_step(huge, "0.05", Rounding::HalfUp).map_err(|e| e.code), Err("out_of_range"));
        assert_eq!(sum_amounts(&[huge, huge]).map_err(|e| e.code), Err("out_of_range"));
        assert_eq!(format_to_step(huge, "0.01").map_err(|e| e.code), Err("out_of_range"));
    }

    #[test]
    fn json_numbers_are_refused_for_money() {
        let err = serde_json::from_str::<Dec>("0.1").expect_err("numbers must be refused");
        assert!(err.to_string().contains("decimal number written as a string"));
        let ok: Dec = serde_json::from_str("\"0.10\"").expect("string accepted");
        assert_eq!(serde_json::to_string(&ok).expect("serializes"), "\"0.10\"");
    }
}
