//! From an ERP's exported tax definitions to a validated [`RuleSet`] (issue 19).
//!
//! [`erpnext::from_erpnext`] reads a "Sales Taxes and Charges Template" as Frappe exports it;
//! [`odoo::from_odoo`] reads `account.tax` records as `search_read` returns them. Both map the
//! ERP's fields as `docs/tax-engine.md` §4 describes, produce one jurisdiction with one schedule,
//! and run [`validate_rules`] on the result, so what comes out can be loaded as is.
//!
//! A feature the rule model or the dialect cannot express (an Odoo Python tax, an ERPNext
//! "Deduct" row, a negative fixed amount, a tax on a row that is not the previous one …) is refused
//! with a [`ConvertError`] naming the JSON path of the offending field; nothing is approximated.
//! Fields the mapping does not use (accounts, cost centres, company, labels) are ignored.
//!
//! # Numbers
//!
//! Both ERPs export rates as JSON numbers, i.e. binary floats. A float is read through its
//! shortest decimal representation, the text the ERP itself printed (`5.0` → `5`, `12.5` →
//! `12.5`, `0.1` → `0.1`), which is exact for every rate a person typed. A number whose shortest
//! form has more than [`MAX_PLACES`] decimals (`0.30000000000000004`, the residue of float
//! arithmetic) is refused (`too_precise`) rather than rounded. Decimal strings are accepted too.

pub mod erpnext;
pub mod odoo;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::money::{parse_decimal, Dec};
use crate::tax::model::{
    Currency, Dialect, FrappeRounding, Jurisdiction, RuleSet, Schedule, Scope, TaxDef, TaxError,
};
use crate::tax::resolve::validate_rules;

pub use erpnext::from_erpnext;
pub use odoo::from_odoo;

/// Most decimals accepted in an exported rate (Frappe's largest float precision).
pub const MAX_PLACES: u32 = 9;

/// What the export does not say: the rule set's identity, currency, jurisdiction and dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Rule-set id, e.g. `"be"`.
    pub id: String,
    /// Rule-set version, e.g. `"2026-01-01"`.
    pub version: String,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Smallest currency step; default `0.01`.
    pub step: Dec,
    /// Code of the one jurisdiction; default `DEFAULT`.
    pub jurisdiction: String,
    /// First day the taxes are in force; default 2000-01-01.
    pub from: NaiveDate,
    /// ERPNext only: the site's rounding method; default banker's.
    pub rounding_method: FrappeRounding,
    /// Odoo only: "Round per line" (`Line`, the default) or "Round globally" (`Document`).
    pub scope: Scope,
    /// Odoo only: where the sale taxes apply; default [`OdooTaxes::PerLine`].
    pub odoo_taxes: OdooTaxes,
    /// Odoo only: the major version the export comes from; 16 and 17 compute as the `odoo16`
    /// dialect, 18 and later as `odoo` (the default, 18).
    pub odoo_version: u32,
}

/// Where converted Odoo sale taxes apply. Odoo picks taxes per product (`taxes_id`, copied to
/// each order line's `tax_ids`), so an export of a company's sale taxes holds alternatives
/// (21 % and 6 %) as well as taxes charged together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OdooTaxes {
    /// The schedule lists no tax; each line names its taxes in `extra_taxes` (the codes of its
    /// `tax_ids`), as Odoo's order lines do. A line that names none is not taxed.
    #[default]
    PerLine,
    /// The schedule lists every sale tax, so each applies to every line: for an export of
    /// taxes charged together (one VAT rate, a state and county pair).
    EveryLine,
}

impl ConvertOptions {
    /// The defaults, with the given identity and currency.
    pub fn new(
        id: impl Into<String>,
        version: impl Into<String>,
        currency: impl Into<String>,
    ) -> Self {
        ConvertOptions {
            id: id.into(),
            version: version.into(),
            currency: currency.into(),
            step: Dec(Decimal::new(1, 2)),
            jurisdiction: "DEFAULT".into(),
            from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default(),
            rounding_method: FrappeRounding::Bankers,
            scope: Scope::Line,
            odoo_taxes: OdooTaxes::PerLine,
            odoo_version: 18,
        }
    }
}

/// Why an export was refused. `field` is the JSON path in the export (`taxes[2].charge_type`,
/// `[3].amount_type`), or `options.<name>` for an option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// Not the ERP's documented shape: a missing or mistyped field, a reference to a row or tax
    /// that is not in the export, a value the ERP itself would not save.
    #[error("{field}: {reason}")]
    Malformed {
        /// The JSON path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A real feature of the ERP that the rule model or the dialect cannot express.
    #[error("{field}: not supported: {reason}")]
    Unsupported {
        /// The JSON path.
        field: String,
        /// Which feature and why.
        reason: String,
    },
    /// A number whose shortest decimal form has more than [`MAX_PLACES`] decimals.
    #[error("{field}: {value} has more than {MAX_PLACES} decimals")]
    TooPrecise {
        /// The JSON path.
        field: String,
        /// The number as read.
        value: String,
    },
    /// An option is out of range (e.g. a step that is not above zero).
    #[error("{field}: {reason}")]
    InvalidOption {
        /// `options.<name>`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The converted rule set failed [`validate_rules`] (e.g. a percentage above 1000); the
    /// field is the rule set's (`taxes[0].rates[0].rate`).
    #[error("the converted rule set is invalid: {0}")]
    InvalidRuleSet(TaxError),
}

impl ConvertError {
    /// The stable code: `malformed`, `unsupported`, `too_precise`, `invalid_option` or
    /// `invalid_rule_set`.
    pub fn code(&self) -> &'static str {
        match self {
            ConvertError::Malformed { .. } => "malformed",
            ConvertError::Unsupported { .. } => "unsupported",
            ConvertError::TooPrecise { .. } => "too_precise",
            ConvertError::InvalidOption { .. } => "invalid_option",
            ConvertError::InvalidRuleSet(_) => "invalid_rule_set",
        }
    }

    /// What is wrong, without the field (the `Display` text starts with the field).
    pub fn reason(&self) -> String {
        match self {
            ConvertError::Malformed { reason, .. } | ConvertError::InvalidOption { reason, .. } => {
                reason.clone()
            }
            ConvertError::Unsupported { reason, .. } => format!("not supported: {reason}"),
            ConvertError::TooPrecise { value, .. } => {
                format!("{value} has more than {MAX_PLACES} decimals")
            }
            ConvertError::InvalidRuleSet(e) => format!("the converted rule set is invalid: {e}"),
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            ConvertError::Malformed { field, .. }
            | ConvertError::Unsupported { field, .. }
            | ConvertError::TooPrecise { field, .. }
            | ConvertError::InvalidOption { field, .. } => field,
            ConvertError::InvalidRuleSet(e) => e.field(),
        }
    }
}

pub(crate) fn malformed(field: &str, reason: impl Into<String>) -> ConvertError {
    ConvertError::Malformed {
        field: field.into(),
        reason: reason.into(),
    }
}

pub(crate) fn unsupported(field: &str, reason: impl Into<String>) -> ConvertError {
    ConvertError::Unsupported {
        field: field.into(),
        reason: reason.into(),
    }
}

/// `path.key`, or `key` at the root.
pub(crate) fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.into()
    } else {
        format!("{path}.{key}")
    }
}

/// The object at `path`.
pub(crate) fn object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, ConvertError> {
    value
        .as_object()
        .ok_or_else(|| malformed(path, "expected an object"))
}

/// An optional string field (`null` counts as absent).
pub(crate) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<&'a str>, ConvertError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(malformed(&at(path, key), "expected a string")),
    }
}

/// An optional flag: JSON booleans, or Frappe's `0`/`1` check fields.
pub(crate) fn opt_bool(
    obj: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<bool>, ConvertError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_u64() == Some(1) => Ok(Some(true)),
        Some(_) => Err(malformed(&at(path, key), "expected true/false or 0/1")),
    }
}

/// A whole number (Frappe's `idx`, Odoo's `id` and `sequence`; also `"3"` as Frappe's `row_id`).
pub(crate) fn integer(value: &Value, field: &str) -> Result<i64, ConvertError> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| malformed(field, "expected a whole number"))
}

/// An exported number, exactly as its shortest decimal form (see the module documentation).
pub(crate) fn decimal(value: &Value, field: &str) -> Result<Dec, ConvertError> {
    let text = match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            // `f64`'s Display is the shortest text that reads back as the same float, never
            // with an exponent.
            (_, _, Some(f)) => format!("{f}"),
            _ => return Err(malformed(field, "not a number")),
        },
        Value::String(s) => s.clone(),
        _ => return Err(malformed(field, "expected a number")),
    };
    let d = parse_decimal(&text)
        .map_err(|e| malformed(field, format!("{e}: {text}")))?
        .normalize();
    if d.scale() > MAX_PLACES {
        return Err(ConvertError::TooPrecise {
            field: field.into(),
            value: text,
        });
    }
    Ok(Dec(d))
}

/// A code from free text: upper-case letters and digits, other runs become one `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Assembles the rule set around the converted taxes and validates it.
pub(crate) fn assemble(
    opts: &ConvertOptions,
    dialect: Dialect,
    name: String,
    taxes: Vec<TaxDef>,
    schedule: Vec<String>,
) -> Result<RuleSet, ConvertError> {
    if opts.step.value() <= Decimal::ZERO {
        return Err(ConvertError::InvalidOption {
            field: "options.step".into(),
            reason: "must be above zero".into(),
        });
    }
    for (value, key) in [
        (&opts.id, "id"),
        (&opts.version, "version"),
        (&opts.currency, "currency"),
        (&opts.jurisdiction, "jurisdiction"),
    ] {
        if value.trim().is_empty() {
            return Err(ConvertError::InvalidOption {
                field: format!("options.{key}"),
                reason: "must not be empty".into(),
            });
        }
    }
    let rules = RuleSet {
        id: opts.id.clone(),
        version: opts.version.clone(),
        currency: Currency {
            code: opts.currency.clone(),
            step: opts.step,
        },
        dialect,
        discounts_before_tax: true,
        cash_rounding: None,
        taxes,
        jurisdictions: vec![Jurisdiction {
            code: opts.jurisdiction.clone(),
            name,
            schedules: vec![Schedule {
                from: opts.from,
                until: None,
                taxes: schedule,
                interstate_taxes: None,
            }],
        }],
        exemptions: Vec::new(),
        fiscal_positions: Vec::new(),
    };
    validate_rules(&rules).map_err(ConvertError::InvalidRuleSet)?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_are_read_through_their_shortest_decimal_form() {
        let read = |v: Value| decimal(&v, "rate").map(|d| d.to_string());
        assert_eq!(read(json!(5.0)), Ok("5".into()));
        assert_eq!(read(json!(12.5)), Ok("12.5".into()));
        assert_eq!(read(json!(0.1)), Ok("0.1".into()));
        assert_eq!(read(json!(9.975)), Ok("9.975".into()));
        assert_eq!(read(json!(18)), Ok("18".into()));
        assert_eq!(read(json!("7.50")), Ok("7.5".into()));
        assert_eq!(read(json!(0.000000001)), Ok("0.000000001".into()));
    }

    #[test]
    fn float_residue_is_refused_not_rounded() {
        let e = decimal(&json!(0.1 + 0.2), "taxes[0].rate").expect_err("refused");
        assert_eq!((e.code(), e.field()), ("too_precise", "taxes[0].rate"));
        assert_eq!(
            decimal(&json!(1e-10), "r").expect_err("refused").code(),
            "too_precise"
        );
        assert_eq!(
            decimal(&json!(true), "r").expect_err("refused").code(),
            "malformed"
        );
        assert_eq!(
            decimal(&json!("1e3"), "r").expect_err("refused").code(),
            "malformed"
        );
    }

    #[test]
    fn slugs_are_upper_case_alphanumeric_runs() {
        assert_eq!(slug("VAT - C"), "VAT-C");
        assert_eq!(slug("Output Tax CGST - _TC"), "OUTPUT-TAX-CGST-TC");
        assert_eq!(slug("21% S"), "21-S");
        assert_eq!(slug("--"), "");
    }
}

/// Shared by the converters' tests: the fixtures of `tests/fixtures/erp-exports/` and small
/// documents to compute with the converted rules.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{json, Value};

    use crate::tax::{self, RuleSet, TaxDocument, TaxResult};

    /// A fixture file, parsed.
    pub fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../tests/fixtures/erp-exports/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Computes a document of `(quantity, unit_price)` lines, dated 2024-06-01, in `DEFAULT`.
    pub fn compute(rules: &RuleSet, lines: &[(&str, &str)]) -> TaxResult {
        let lines: Vec<(&str, &str, &[&str])> = lines.iter().map(|&(q, p)| (q, p, &[][..])).collect();
        compute_with(rules, &lines)
    }

    /// The same, each line with its `extra_taxes` (Odoo's `tax_ids`).
    pub fn compute_with(rules: &RuleSet, lines: &[(&str, &str, &[&str])]) -> TaxResult {
        let lines: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(i, (q, p, extra))| {
                json!({"id": format!("{}", i + 1), "quantity": q, "unit_price": p, "extra_taxes": extra})
            })
            .collect();
        let doc: TaxDocument = serde_json::from_value(
            json!({"business_date": "2024-06-01", "place_of_supply": "DEFAULT", "lines": lines}),
        )
        .expect("document");
        tax::compute(rules, &doc).expect("computes")
    }

    /// `(code, amount)` of each document tax.
    pub fn taxes(result: &TaxResult) -> Vec<(String, String)> {
        result
            .taxes
            .iter()
            .map(|t| (t.code.to_string(), t.amount.to_string()))
            .collect()
    }
}
