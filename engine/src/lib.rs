//! # satchel-engine: the pure engine as a small Wasm module
//!
//! What an ERP front-end (a Frappe desk page, an Odoo view, any web page) embeds: the tax engine
//! with rule sets passed as data, order quoting and validation against reference data the caller
//! passes in, money helpers, and typed errors. No storage, no session, no server; nothing here
//! decides anything: every rule is [`satchel_core`]'s, the same code the devices and the sync
//! server run.
//!
//! Values cross the boundary one way: JavaScript objects are read by `JSON.stringify` and
//! [`satchel_core::input::from_json_text`] (a failure names the field, e.g.
//! `order.lines[0].quantity`), results are written by serde_json and `JSON.parse`. Amounts are
//! decimal strings both ways; a JavaScript number where an amount is expected is refused.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

use satchel_core::input::{from_json_text, InputError};
use satchel_core::money::{self, AmountError, Rounding};
use satchel_core::sales::{self, QuoteRequest, SalesError};
use satchel_core::tax::{self, model::TaxError, RuleSet, TaxDocument};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &'static str = r#"
/** The codes of errors thrown by the engine (`err.name === "SatchelError"`). */
export type SatchelErrorCode =
  | "validation"  // the input is invalid: `field` names it, `detail` is the rule
  | "internal";   // a bug: please report it
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("generated/engine.ts");

/// A failure, before it becomes a JavaScript `Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The input is invalid.
    Validation {
        /// The field at fault (a path into the input).
        field: String,
        /// The specific rule.
        detail: String,
        /// What is wrong, for a person.
        message: String,
    },
    /// A bug.
    Internal(String),
}

impl EngineError {
    /// The stable code: `validation` or `internal`.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Validation { .. } => "validation",
            EngineError::Internal(_) => "internal",
        }
    }

    fn validation(field: impl Into<String>, detail: &str, message: impl Into<String>) -> Self {
        EngineError::Validation { field: field.into(), detail: detail.into(), message: message.into() }
    }

    /// The same error with its field inside `prefix` (`lines[0]` of a `document` argument).
    fn within(self, prefix: &str) -> Self {
        match self {
            EngineError::Validation { field, detail, message } if !prefix.is_empty() => EngineError::Validation {
                field: if field.is_empty() { prefix.to_owned() } else { format!("{prefix}.{field}") },
                detail,
                message,
            },
            other => other,
        }
    }
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Validation { field, message, .. } if field.is_empty() || message.starts_with(field.as_str()) => {
                f.write_str(message)
            }
            EngineError::Validation { field, message, .. } => write!(f, "{field}: {message}"),
            EngineError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl From<InputError> for EngineError {
    fn from(e: InputError) -> Self {
        EngineError::validation(e.field, e.code, e.message)
    }
}

impl From<TaxError> for EngineError {
    fn from(e: TaxError) -> Self {
        EngineError::validation(e.field(), e.code(), e.to_string())
    }
}

impl From<SalesError> for EngineError {
    fn from(e: SalesError) -> Self {
        EngineError::validation(e.field(), e.code(), e.to_string())
    }
}

impl From<AmountError> for EngineError {
    fn from(e: AmountError) -> Self {
        EngineError::validation(e.field, e.code, e.message)
    }
}

#[wasm_bindgen(module = "/js/error.js")]
extern "C" {
    /// `SatchelError` of engine/js/error.js: a real class, so `err instanceof SatchelError`.
    #[wasm_bindgen(js_name = SatchelError)]
    type JsSatchelError;
    #[wasm_bindgen(constructor, js_class = "SatchelError")]
    fn new(message: &str, code: &str, field: Option<String>, detail: Option<String>) -> JsSatchelError;
}

impl From<EngineError> for JsValue {
    fn from(e: EngineError) -> Self {
        let message = e.to_string();
        let err = match e {
            EngineError::Validation { field, detail, .. } => JsSatchelError::new(&message, "validation", Some(field), Some(detail)),
            EngineError::Internal(_) => JsSatchelError::new(&message, "internal", None, None),
        };
        err.into()
    }
}

/// The JSON text of a JavaScript value, for [`from_json_text`].
fn json_text(value: &JsValue, field: &str) -> Result<String, EngineError> {
    if value.is_undefined() {
        return Err(EngineError::validation(field, "missing_field", format!("{field} is required")));
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| EngineError::validation(field, "malformed", format!("{field} cannot be written as JSON")))
}

/// Reads a JavaScript value as a `T`; a failure names the field inside `arg`.
fn read<T: serde::de::DeserializeOwned>(value: &JsValue, arg: &str) -> Result<T, EngineError> {
    let text = json_text(value, arg)?;
    from_json_text(&text).map_err(|e| EngineError::from(e).within(arg))
}

/// Writes a result as a JavaScript value (through JSON: amounts stay strings).
fn write<T: Serialize>(value: &T) -> Result<JsValue, EngineError> {
    let text = serde_json::to_string(value).map_err(|e| EngineError::Internal(e.to_string()))?;
    js_sys::JSON::parse(&text).map_err(|_| EngineError::Internal("a result is not JSON".into()))
}

/// A string argument; anything else (a number for an amount …) is refused naming `field`.
fn text_arg(value: &JsValue, field: &str) -> Result<String, EngineError> {
    value.as_string().ok_or_else(|| {
        let got = if value.as_f64().is_some() { "a number" } else { "not a string" };
        EngineError::validation(
            field,
            "wrong_type",
            format!("{field} must be a decimal string such as \"12.50\", got {got}"),
        )
    })
}

fn load_rules(rules: &JsValue) -> Result<RuleSet, EngineError> {
    let parsed: RuleSet = match rules.as_string() {
        Some(id) => tax::builtin::rule_set(&id)
            .ok_or_else(|| EngineError::from(TaxError::UnknownRuleSet { field: "rules".into(), value: id }))?,
        None => read(rules, "rules")?,
    };
    tax::resolve::validate_rules(&parsed).map_err(|e| EngineError::from(e.within("rules")))?;
    Ok(parsed)
}

/// This package's version (the Cargo version of the engine, e.g. `"0.1.0"`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A tax engine loaded with one rule set, parsed and validated once, for computing many
/// documents.
#[wasm_bindgen]
pub struct TaxEngine {
    rules: RuleSet,
}

#[wasm_bindgen]
impl TaxEngine {
    /// Loads a rule set: the id of a built-in one (`"ca"`, `"pk"`, `"in"`, `"vat"`) or a rule
    /// set object (docs/tax-engine.md §1). Throws a `SatchelError` naming the field
    /// (`rules.taxes[0].rates[0].rate`) when the rule set is invalid.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "string | RuleSet")] rules: JsValue) -> Result<TaxEngine, EngineError> {
        Ok(TaxEngine { rules: load_rules(&rules)? })
    }

    /// `id@version` of the loaded rule set, e.g. `"ca@2026-11-22"`.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        format!("{}@{}", self.rules.id, self.rules.version)
    }

    /// The loaded rule set's currency: its ISO code and step (`{code: "CAD", step: "0.01"}`).
    #[wasm_bindgen(getter, unchecked_return_type = "Currency")]
    pub fn currency(&self) -> Result<JsValue, EngineError> {
        write(&self.rules.currency)
    }

    /// Computes a document's taxes: every line's taxes explained, the totals per tax, the
    /// document's totals, all as decimal strings with the currency's places. Throws a
    /// `SatchelError` naming the field (`lines[1].quantity`, `place_of_supply`).
    #[wasm_bindgen(unchecked_return_type = "TaxResult")]
    pub fn compute(&self, #[wasm_bindgen(unchecked_param_type = "TaxDocument")] document: JsValue) -> Result<JsValue, EngineError> {
        let document: TaxDocument = read(&document, "")?;
        write(&tax::compute(&self.rules, &document)?)
    }

    /// The same as `compute`, JSON text in and out, for callers that hold JSON strings.
    #[wasm_bindgen(js_name = computeJson)]
    pub fn compute_json(&self, document: &str) -> Result<String, EngineError> {
        let document: TaxDocument = from_json_text(document)?;
        serde_json::to_string(&tax::compute(&self.rules, &document)?).map_err(|e| EngineError::Internal(e.to_string()))
    }
}

/// One-shot: computes `document` (JSON text) under `rules` (a built-in id, or rule-set JSON
/// text), returning the result as JSON text.
#[wasm_bindgen(js_name = computeTaxesJson)]
pub fn compute_taxes_json(rules: &str, document: &str) -> Result<String, EngineError> {
    let rules = if rules.trim_start().starts_with('{') {
        let parsed: RuleSet = from_json_text(rules).map_err(|e| EngineError::from(e).within("rules"))?;
        tax::resolve::validate_rules(&parsed).map_err(|e| EngineError::from(e.within("rules")))?;
        parsed
    } else {
        load_rules(&JsValue::from_str(rules))?
    };
    TaxEngine { rules }.compute_json(document)
}

/// The ids of the built-in rule sets.
#[wasm_bindgen(js_name = builtinRuleSets)]
pub fn builtin_rule_sets() -> Vec<String> {
    tax::builtin::IDS.iter().map(|s| (*s).to_owned()).collect()
}

/// A built-in rule set as data, to read or to start a deployment's own from.
#[wasm_bindgen(js_name = builtinRuleSet, unchecked_return_type = "RuleSet")]
pub fn builtin_rule_set(id: &str) -> Result<JsValue, EngineError> {
    // The embedded JSON text itself: serializing a parsed RuleSet would add its serializer.
    let text = tax::builtin::source(id)
        .ok_or_else(|| EngineError::from(TaxError::UnknownRuleSet { field: "id".into(), value: id.to_owned() }))?;
    js_sys::JSON::parse(text).map_err(|_| EngineError::Internal("a built-in rule set is not JSON".into()))
}

/// Checks a rule set without computing anything; throws a `SatchelError` naming the field when
/// it is invalid (`rules.jurisdictions[0].schedules[1].from`).
#[wasm_bindgen(js_name = validateRuleSet)]
pub fn validate_rule_set(#[wasm_bindgen(unchecked_param_type = "RuleSet")] rules: JsValue) -> Result<(), EngineError> {
    if rules.is_string() {
        return Err(EngineError::validation("rules", "wrong_type", "validateRuleSet takes a rule set object"));
    }
    load_rules(&rules).map(|_| ())
}

/// Prices, taxes and validates an order exactly as a Satchel device does at commit and the
/// sync server does on receipt: unit prices from the outlet's price list on the business date,
/// taxes from the rule set (`request.rules`, or the built-in one `settings.rule_set` names),
/// findings under `settings.policy` with the stock, credit and recent orders the request
/// carries. A finding (over the credit limit, below the minimum quantity …) is in the quote's
/// `verdict`; what makes the order impossible to price (an unknown SKU, no price, an unknown
/// jurisdiction) throws a `SatchelError` naming the field (`order.lines[2].sku`).
#[wasm_bindgen(js_name = quoteOrder, unchecked_return_type = "Quote")]
pub fn quote_order(#[wasm_bindgen(unchecked_param_type = "QuoteRequest")] request: JsValue) -> Result<JsValue, EngineError> {
    let request: QuoteRequest = read(&request, "")?;
    let quote = sales::quote_request(&request).map_err(|e| match e {
        // The sales rules name fields of the order (`lines[0].sku`) and the outlet; the
        // request nests them.
        SalesError::Tax(t) if t.field().starts_with("rules") || t.field().starts_with("settings") => EngineError::from(t),
        other => EngineError::from(other).within("order"),
    })?;
    write(&quote)
}

/// What a person typed into an amount or quantity field, as the plain decimal text the engine
/// takes: `,` or `.` is the decimal point (`"1,5"` → `"1.5"`); anything else is refused
/// (`detail: "not_a_number"`), never guessed.
#[wasm_bindgen(js_name = normalizeDecimal)]
pub fn normalize_decimal(text: &JsValue) -> Result<String, EngineError> {
    let text = text_arg(text, "text")?;
    money::normalize_decimal_input(&text)
        .map_err(|e| EngineError::validation("text", "not_a_number", format!("{e}: {text:?}")))
}

/// Rounds a decimal string to a multiple of `step` (`"0.01"`, `"0.05"`, `"1"`), written with
/// the step's places: `roundAmount("2.345", "0.01")` → `"2.35"`; `rounding` is `"half_up"`
/// (default), `"half_even"`, `"half_down"`, `"up"` (away from zero) or `"down"` (towards zero).
#[wasm_bindgen(js_name = roundAmount)]
pub fn round_amount(
    #[wasm_bindgen(unchecked_param_type = "string")] amount: &JsValue,
    step: &str,
    #[wasm_bindgen(unchecked_param_type = "Rounding | undefined")] rounding: &JsValue,
) -> Result<String, EngineError> {
    let amount = text_arg(amount, "amount")?;
    let rounding = match rounding.as_string().as_deref() {
        None if rounding.is_undefined() => Rounding::HalfUp,
        Some("half_up") => Rounding::HalfUp,
        Some("half_even") => Rounding::HalfEven,
        Some("half_down") => Rounding::HalfDown,
        Some("up") => Rounding::Up,
        Some("down") => Rounding::Down,
        _ => {
            return Err(EngineError::validation(
                "rounding",
                "bad_value",
                "rounding is \"half_up\", \"half_even\", \"half_down\", \"up\" or \"down\"",
            ))
        }
    };
    Ok(money::round_to_step(&amount, step, rounding)?)
}

/// Writes an amount with the places of `step` without changing it: `formatAmount("5", "0.01")`
/// → `"5.00"`. An amount that is not a multiple of the step is refused (`too_precise`): round
/// it first.
#[wasm_bindgen(js_name = formatAmount)]
pub fn format_amount(#[wasm_bindgen(unchecked_param_type = "string")] amount: &JsValue, step: &str) -> Result<String, EngineError> {
    let amount = text_arg(amount, "amount")?;
    Ok(money::format_to_step(&amount, step)?)
}

/// The exact sum of decimal strings: `sumAmounts(["0.10", "0.20"])` → `"0.30"` (never
/// `0.30000000000000004`).
#[wasm_bindgen(js_name = sumAmounts)]
pub fn sum_amounts(#[wasm_bindgen(unchecked_param_type = "string[]")] amounts: &JsValue) -> Result<String, EngineError> {
    let list: js_sys::Array = amounts
        .clone()
        .dyn_into()
        .map_err(|_| EngineError::validation("amounts", "wrong_type", "amounts must be an array of decimal strings"))?;
    let mut texts = Vec::with_capacity(list.length() as usize);
    for (i, item) in list.iter().enumerate() {
        texts.push(text_arg(&item, &format!("amounts[{i}]"))?);
    }
    Ok(money::sum_amounts(&texts)?)
}
