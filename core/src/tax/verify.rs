//! Re-checking a device's figures: the server recomputes a document with the same engine and
//! compares, amount by amount, with what the device claims; the first difference names the
//! line and the tax.

use serde::{Deserialize, Serialize};

use crate::money::Dec;
use crate::tax::model::{RuleSet, TaxDocument, TaxError};
use crate::tax::{compute, TaxResult};

/// The figures a device claims for a document: per line, per tax, and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimedTaxes {
    /// Per line, in document order.
    pub lines: Vec<ClaimedLine>,
    /// The document's tax.
    pub tax: Dec,
    /// The document's total.
    pub total: Dec,
}

/// One line's claimed figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimedLine {
    /// The line's id.
    pub id: String,
    /// Each charged tax's amount on the line.
    pub taxes: Vec<ClaimedTax>,
}

/// One tax's claimed amount on a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ClaimedTax {
    /// The tax code.
    pub code: String,
    /// The amount.
    pub amount: Dec,
}

impl From<&TaxResult> for ClaimedTaxes {
    fn from(r: &TaxResult) -> Self {
        ClaimedTaxes {
            lines: r
                .lines
                .iter()
                .map(|l| ClaimedLine {
                    id: l.id.to_string(),
                    taxes: l.taxes.iter().map(|t| ClaimedTax { code: t.code.to_string(), amount: t.amount }).collect(),
                })
                .collect(),
            tax: r.tax,
            total: r.total,
        }
    }
}

/// Why a claim was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum VerifyError {
    /// The document itself cannot be taxed.
    #[error(transparent)]
    Tax(#[from] TaxError),
    /// A claimed figure differs from the recomputation.
    #[error("{field}: the device says {got}, the server computes {expected}")]
    TaxMismatch {
        /// E.g. `lines[1].taxes.GST.amount` (line id in `line_id`).
        field: String,
        /// The line's id, when the difference is on a line.
        line_id: Option<String>,
        /// The tax code, when the difference is in a tax.
        tax: Option<String>,
        /// The server's figure.
        expected: String,
        /// The device's figure.
        got: String,
    },
}

impl VerifyError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Tax(e) => e.code(),
            VerifyError::TaxMismatch { .. } => "tax_mismatch",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            VerifyError::Tax(e) => e.field(),
            VerifyError::TaxMismatch { field, .. } => field,
        }
    }
}

/// Recomputes `document` under `rules` and checks every claimed figure. Returns the server's
/// result when everything matches to the cent.
pub fn verify(rules: &RuleSet, document: &TaxDocument, claimed: &ClaimedTaxes) -> Result<TaxResult, VerifyError> {
    let result = compute(rules, document)?;
    let mismatch = |field: String, line: Option<&str>, tax: Option<&str>, expected: String, got: String| VerifyError::TaxMismatch {
        field,
        line_id: line.map(str::to_owned),
        tax: tax.map(str::to_owned),
        expected,
        got,
    };
    if claimed.lines.len() != result.lines.len() {
        return Err(mismatch("lines".into(), None, None, result.lines.len().to_string(), claimed.lines.len().to_string()));
    }
    for (i, (ours, theirs)) in result.lines.iter().zip(&claimed.lines).enumerate() {
        if *ours.id != *theirs.id {
            return Err(mismatch(format!("lines[{i}].id"), Some(&ours.id), None, ours.id.to_string(), theirs.id.clone()));
        }
        for t in &ours.taxes {
            let claimed_amount = theirs.taxes.iter().find(|c| *c.code == *t.code).map(|c| c.amount);
            let field = format!("lines[{i}].taxes.{}.amount", t.code);
            match claimed_amount {
                Some(a) if a.value() == t.amount.value() => {}
                Some(a) => return Err(mismatch(field, Some(&ours.id), Some(&t.code), t.amount.to_string(), a.to_string())),
                None if t.amount.value().is_zero() => {}
                None => return Err(mismatch(field, Some(&ours.id), Some(&t.code), t.amount.to_string(), "nothing".into())),
            }
        }
        if let Some(extra) = theirs.taxes.iter().find(|c| !c.amount.value().is_zero() && !ours.taxes.iter().any(|t| *t.code == c.code)) {
            return Err(mismatch(
                format!("lines[{i}].taxes.{}.amount", extra.code),
                Some(&ours.id),
                Some(&extra.code),
                "nothing".into(),
                extra.amount.to_string(),
            ));
        }
    }
    if claimed.tax.value() != result.tax.value() {
        return Err(mismatch("tax".into(), None, None, result.tax.to_string(), claimed.tax.to_string()));
    }
    if claimed.total.value() != result.total.value() {
        return Err(mismatch("total".into(), None, None, result.total.to_string(), claimed.total.to_string()));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ontario() -> (RuleSet, TaxDocument) {
        let rules = crate::tax::builtin::rule_set("ca").expect("ca");
        let doc: TaxDocument = serde_json::from_value(serde_json::json!({
            "business_date": "2024-06-01", "place_of_supply": "CA-ON",
            "lines": [{"id": "a", "quantity": "1", "unit_price": "10.00"}, {"id": "b", "quantity": "3", "unit_price": "2.50"}]
        }))
        .expect("doc");
        (rules, doc)
    }

    #[test]
    fn honest_figures_pass_and_a_changed_tax_is_named_by_line_and_code() {
        let (rules, doc) = ontario();
        let honest = ClaimedTaxes::from(&compute(&rules, &doc).expect("computes"));
        assert!(verify(&rules, &doc, &honest).is_ok());
        let mut tampered = honest.clone();
        tampered.lines[1].taxes[1].amount = Dec(tampered.lines[1].taxes[1].amount.value() + rust_decimal::Decimal::new(1, 2));
        let err = verify(&rules, &doc, &tampered).expect_err("tampered");
        assert_eq!(err.code(), "tax_mismatch");
        assert_eq!(err.field(), "lines[1].taxes.HST-ON-PROV.amount");
        match err {
            VerifyError::TaxMismatch { line_id, tax, expected, got, .. } => {
                assert_eq!((line_id.as_deref(), tax.as_deref()), (Some("b"), Some("HST-ON-PROV")));
                assert_eq!((expected.as_str(), got.as_str()), ("0.60", "0.61"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let mut total = honest;
        total.total = Dec(rust_decimal::Decimal::new(1, 0));
        assert_eq!(verify(&rules, &doc, &total).expect_err("total").field(), "total");
    }
}
