//! The tax engine for JavaScript: rule sets and documents in, results out, as JSON-shaped
//! objects or JSON strings. Amounts are decimal strings; failures are `SatchelError`s with
//! code `validation`, the engine's own code in `detail` and the `field` concerned.

use wasm_bindgen::prelude::*;

use satchel_core::tax::{self, model::TaxError, RuleSet, TaxDocument};

use crate::error::{bad_input, SatchelError};

#[wasm_bindgen(typescript_custom_section)]
const TS_TAX: &'static str = r#"
/** A tax rule set (see docs/tax-engine.md); amounts and rates are decimal strings. */
export type TaxRuleSet = Record<string, unknown>;
/** A document to tax: business_date, place_of_supply, lines, … (see docs/tax-engine.md). */
export interface TaxDocument {
  business_date: string;
  place_of_supply: string;
  origin?: string;
  customer?: { category?: string; certificate?: { number: string; holder: string; issued_by?: string } };
  delivered_to_reserve?: boolean;
  prices_include_tax?: boolean;
  lines: Array<{ id: string; quantity: string; unit_price: string; tax_class?: string;
                 discount?: { percent: string } | { amount: string }; extra_taxes?: string[] }>;
  document_discount?: { percent: string } | { amount: string };
  cash?: boolean;
}
/** One tax on one line, explained. */
export interface LineTaxView {
  code: string; name: string; group?: string; kind: string;
  treatment: "taxed" | "zero_rated" | "exempt" | "relieved";
  rate?: string; base: string; amount: string; included: boolean; rule: string;
}
/** The computed taxes of a document. */
export interface TaxResult {
  rule_set: string; dialect: string; currency: string;
  lines: Array<{ id: string; gross: string; discount: string; untaxed: string; tax: string; total: string; taxes: LineTaxView[] }>;
  taxes: Array<{ code: string; name: string; group?: string; base: string; amount: string; included: boolean }>;
  gross: string; discount: string; untaxed: string; tax: string; total: string;
  exemptions: Array<{ code: string; description: string; relieved: string[]; certificate?: { number: string; holder: string; issued_by?: string } }>;
  cash_rounding?: { step: string; total: string; adjustment: string };
}
"#;

impl From<TaxError> for SatchelError {
    fn from(e: TaxError) -> Self {
        SatchelError::Validation { field: e.field().to_owned(), detail: e.code().to_owned(), message: e.to_string() }
    }
}

/// Objects cross as JSON text: one serde_json decoder per type instead of a second,
/// serde-wasm-bindgen one, which keeps the download smaller (the tax model has many types).
fn json_text(value: &JsValue) -> Result<String, SatchelError> {
    js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()).ok_or_else(|| bad_input("not JSON-serialisable"))
}

fn load_rules(rules: JsValue) -> Result<RuleSet, SatchelError> {
    let parsed: RuleSet = if let Some(id) = rules.as_string() {
        tax::builtin::rule_set(&id).ok_or_else(|| SatchelError::Validation {
            field: "rules".into(),
            detail: "unknown_rule_set".into(),
            message: format!("no built-in rule set named {id:?}"),
        })?
    } else {
        serde_json::from_str(&json_text(&rules)?).map_err(bad_input)?
    };
    tax::resolve::validate_rules(&parsed)?;
    Ok(parsed)
}

/// A tax engine loaded with one rule set, parsed and validated once.
#[wasm_bindgen]
pub struct TaxEngine {
    rules: RuleSet,
}

#[wasm_bindgen]
impl TaxEngine {
    /// Loads a rule set: a built-in id (`"ca"`, `"pk"`, `"in"`, `"vat"`) or a rule-set object.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "string | TaxRuleSet")] rules: JsValue) -> Result<TaxEngine, SatchelError> {
        Ok(TaxEngine { rules: load_rules(rules)? })
    }

    /// `id@version` of the loaded rule set.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        format!("{}@{}", self.rules.id, self.rules.version)
    }

    /// Computes a document's taxes.
    #[wasm_bindgen(unchecked_return_type = "TaxResult")]
    pub fn compute(&self, #[wasm_bindgen(unchecked_param_type = "TaxDocument")] document: JsValue) -> Result<JsValue, SatchelError> {
        let text = self.compute_json(&json_text(&document)?)?;
        js_sys::JSON::parse(&text).map_err(|_| SatchelError::internal("result is not JSON"))
    }

    /// Computes a document given as a JSON string; returns the result as a JSON string.
    #[wasm_bindgen(js_name = computeJson)]
    pub fn compute_json(&self, document: &str) -> Result<String, SatchelError> {
        let document: TaxDocument = serde_json::from_str(document).map_err(bad_input)?;
        serde_json::to_string(&tax::compute(&self.rules, &document)?).map_err(|e| SatchelError::internal(e.to_string()))
    }
}

/// One-shot: computes `document` (JSON) under `rules` (a built-in id or rule-set JSON), returning
/// the result as JSON. For integrators that speak JSON strings only.
#[wasm_bindgen(js_name = computeTaxesJson)]
pub fn compute_taxes_json(rules: &str, document: &str) -> Result<String, SatchelError> {
    let rules = if rules.trim_start().starts_with('{') {
        let parsed: RuleSet = serde_json::from_str(rules).map_err(bad_input)?;
        tax::resolve::validate_rules(&parsed)?;
        parsed
    } else {
        load_rules(JsValue::from_str(rules))?
    };
    TaxEngine { rules }.compute_json(document)
}

/// The ids of the built-in rule sets.
#[wasm_bindgen(js_name = builtinRuleSets)]
pub fn builtin_rule_sets() -> Vec<String> {
    tax::builtin::IDS.iter().map(|s| (*s).to_owned()).collect()
}
