//! The tax engine compiled to Wasm, in headless Chromium, on every golden document: the
//! outcome must be byte-identical to the native one committed in
//! `tests/fixtures/tax/golden-results.json` (written and checked by core's `tax_golden` test).
//! The engine module (`engine/`) compiles the same core code with the same profile.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;

use satchel_core::tax::{self, model::Dialect, RuleSet, TaxDocument};
use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("fixtures/tax/golden-results.json");

#[derive(Deserialize)]
struct Entry {
    rules: String,
    /// The rule set itself when it is one written for the fixtures, not a built-in.
    #[serde(default)]
    rule_set: Option<RuleSet>,
    dialect_override: Option<Dialect>,
    document: Value,
    outcome: String,
}

fn outcome(e: &Entry) -> String {
    let mut rules = match &e.rule_set {
        Some(r) => r.clone(),
        None => tax::builtin::rule_set(&e.rules).expect("built-in rule set"),
    };
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

// The JavaScript API over the engine (`TaxEngine`, `quoteOrder`, errors naming fields) is the
// embedding package's: tests/e2e/embedding.test.mjs runs it in Chromium from dist/npm.
