//! The tax engine compiled to Wasm, in headless Chromium, on every golden document: the
//! outcome must be byte-identical to the native one committed in
//! `tests/fixtures/tax/golden-results.json` (written and checked by core's `tax_golden` test).
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use satchel_core::tax::{self, model::Dialect, TaxDocument};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("fixtures/tax/golden-results.json");

#[derive(Deserialize)]
struct Entry {
    rules: String,
    dialect_override: Option<Dialect>,
    document: Value,
    outcome: String,
}

fn outcome(e: &Entry) -> String {
    let mut rules = tax::builtin::rule_set(&e.rules).expect("built-in rule set");
    if let Some(d) = e.dialect_override {
        rules.dialect = d;
    }
    let value = match serde_json::from_value::<TaxDocument>(e.document.clone()) {
        Err(err) => serde_json::json!({"error": {"code": "malformed", "field": "document", "message": err.to_string()}}),
        Ok(doc) => match tax::compute(&rules, &doc) {
            Ok(r) => serde_json::to_value(r).expect("serializes"),
            Err(err) => serde_json::json!({"error": {"code": err.code(), "field": err.field()}}),
        },
    };
    serde_json::to_string(&value).expect("serializes")
}

#[wasm_bindgen_test]
fn every_golden_document_computes_byte_identically_in_chromium() {
    let golden: BTreeMap<String, Entry> = serde_json::from_str(GOLDEN).expect("golden bundle parses");
    assert!(golden.len() >= 25, "only {} golden documents", golden.len());
    let mut differing = Vec::new();
    for (name, entry) in &golden {
        if outcome(entry) != entry.outcome {
            differing.push(name.clone());
        }
    }
    assert!(differing.is_empty(), "Wasm differs from native on: {differing:?}");
}

#[wasm_bindgen_test]
fn the_javascript_api_reports_tax_errors_with_code_and_field() {
    let err = satchel::tax::compute_taxes_json("ca", r#"{"business_date":"2024-01-01","place_of_supply":"CA-XX","lines":[]}"#)
        .expect_err("unknown jurisdiction");
    assert_eq!(err.code(), "validation");
    match err {
        satchel::error::SatchelError::Validation { field, detail, .. } => {
            assert_eq!((field.as_str(), detail.as_str()), ("place_of_supply", "unknown_jurisdiction"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let ok = satchel::tax::compute_taxes_json(
        "ca",
        r#"{"business_date":"2024-06-01","place_of_supply":"CA-ON","lines":[{"id":"1","quantity":"2","unit_price":"10.00"}]}"#,
    )
    .expect("computes");
    let v: Value = serde_json::from_str(&ok).expect("json");
    assert_eq!(v["total"], "22.60");
}

#[wasm_bindgen_test]
fn the_tax_engine_class_takes_and_returns_plain_objects() {
    use wasm_bindgen::JsValue;
    let engine = satchel::tax::TaxEngine::new(JsValue::from_str("ca")).expect("built-in rules");
    assert!(engine.version().starts_with("ca@"));
    let doc = js_sys::JSON::parse(
        r#"{"business_date":"2012-06-01","place_of_supply":"CA-QC","lines":[{"id":"1","quantity":"1","unit_price":"100.00"}]}"#,
    )
    .expect("object");
    let result = engine.compute(doc).expect("computes");
    let total = js_sys::Reflect::get(&result, &"total".into()).expect("total");
    assert_eq!(total.as_string().as_deref(), Some("114.98"), "GST 5.00 + QST 9.5 % of 105.00 = 9.98");
    let bad = js_sys::JSON::parse(r#"{"business_date":"2012-06-01","place_of_supply":"CA-QC","lines":[{"id":"1","quantity":1,"unit_price":"1"}]}"#)
        .expect("object");
    let err = engine.compute(bad).expect_err("a number for a quantity is refused");
    assert_eq!(err.code(), "validation");
}
