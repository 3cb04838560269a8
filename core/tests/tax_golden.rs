//! Golden documents: `tests/fixtures/tax/*.json`, each with hand-checked expected values
//! (see `tests/fixtures/tax/README.md`). Every fixture's full result is also snapshotted in
//! `tests/fixtures/tax/golden-results.json`; the Chromium tier (`tests/browser_tax.rs`)
//! recomputes every fixture in Wasm and compares with those same bytes, so native and browser
//! results are byte-identical.
//!
//! A fixture names a built-in rule set, or one in `tests/fixtures/tax/rules/`; the snapshot carries
//! the latter whole, so the Chromium tier needs no file access.
//!
//! After an intended change of results: `UPDATE_GOLDEN=1 cargo test -p satchel-core --test tax_golden`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use satchel_core::tax::{self, model::Dialect, RuleSet, TaxDocument};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Fixture {
    name: String,
    rules: String,
    #[serde(default)]
    dialect_override: Option<Dialect>,
    document: Value,
    expected: Value,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/tax")
}

fn load() -> Vec<(String, Fixture, Value)> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.file_name().is_some_and(|n| n != "golden-results.json"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("read fixture");
        let raw: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let fx: Fixture = serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        out.push((stem, fx, raw));
    }
    assert!(out.len() >= 25, "expected at least 25 golden fixtures, found {}", out.len());
    out
}

/// A built-in rule set, or one written for the fixtures (`tests/fixtures/tax/rules/<name>.json`):
/// Odoo's Brazilian division taxes, withholding … which no built-in set needs.
fn fixture_rule_set(name: &str) -> Option<RuleSet> {
    if tax::builtin::rule_set(name).is_some() {
        return None;
    }
    let text = std::fs::read_to_string(fixtures_dir().join("rules").join(format!("{name}.json"))).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture rule set {name}: {e}")))
}

fn rules_for(fx: &Fixture) -> RuleSet {
    let rules = tax::builtin::rule_set(&fx.rules).or_else(|| fixture_rule_set(&fx.rules));
    let mut rules = rules.unwrap_or_else(|| panic!("{}: no rule set {}", fx.name, fx.rules));
    if let Some(d) = fx.dialect_override {
        rules.dialect = d;
    }
    rules
}

/// The canonical text of an outcome: the result, or `{"error": {code, field}}`.
fn outcome(fx: &Fixture) -> String {
    let document: Result<TaxDocument, _> = serde_json::from_value(fx.document.clone());
    let value = match document {
        Err(e) => serde_json::json!({"error": {"code": "malformed", "field": "document", "message": e.to_string()}}),
        Ok(doc) => match tax::compute(&rules_for(fx), &doc) {
            Ok(r) => serde_json::to_value(r).expect("serializes"),
            Err(e) => serde_json::json!({"error": {"code": e.code(), "field": e.field()}}),
        },
    };
    serde_json::to_string(&value).expect("serializes")
}

fn s(v: &Value) -> String {
    v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())
}

fn check(name: &str, expected: &Value, got: &Value) {
    if let Some(err) = expected.get("error").filter(|e| !e.is_null()) {
        let g = got.get("error").unwrap_or_else(|| panic!("{name}: expected error {err}, got a result"));
        assert_eq!(g["code"], err["code"], "{name}: error code");
        assert_eq!(g["field"], err["field"], "{name}: error field");
        return;
    }
    assert!(got.get("error").is_none(), "{name}: unexpected error {}", got["error"]);
    for key in ["untaxed", "tax", "total", "discount", "gross"] {
        if let Some(v) = expected.get(key) {
            assert_eq!(s(&got[key]), s(v), "{name}: {key}");
        }
    }
    // The company's currency, when the fixture states it.
    if let Some(c) = expected.get("company") {
        for key in ["currency", "untaxed", "tax", "total"] {
            assert_eq!(s(&got["company"][key]), s(&c[key]), "{name}: company {key}");
        }
    }
    // Present exactly when the fixture states one (ERPNext's grand_total_diff).
    assert_eq!(got.get("rounding_difference"), expected.get("rounding_difference"), "{name}: rounding_difference");
    if let Some(v) = expected.get("cash_total").filter(|v| !v.is_null()) {
        assert_eq!(s(&got["cash_rounding"]["total"]), s(v), "{name}: cash_total");
    }
    for t in expected.get("taxes").and_then(Value::as_array).into_iter().flatten() {
        let code = &t["code"];
        let g = got["taxes"].as_array().and_then(|a| a.iter().find(|x| x["code"] == *code));
        let g = g.unwrap_or_else(|| panic!("{name}: no document tax {code}"));
        assert_eq!(s(&g["amount"]), s(&t["amount"]), "{name}: tax {code}");
    }
    for l in expected.get("lines").and_then(Value::as_array).into_iter().flatten() {
        let id = &l["id"];
        let g = got["lines"].as_array().and_then(|a| a.iter().find(|x| x["id"] == *id));
        let g = g.unwrap_or_else(|| panic!("{name}: no line {id}"));
        for key in ["untaxed", "tax", "total", "gross", "discount"] {
            if let Some(v) = l.get(key) {
                assert_eq!(s(&g[key]), s(v), "{name}: line {id} {key}");
            }
        }
        assert_eq!(g.get("rounding_difference"), l.get("rounding_difference"), "{name}: line {id} rounding_difference");
        for t in l.get("taxes").and_then(Value::as_array).into_iter().flatten() {
            let code = &t["code"];
            let gt = g["taxes"].as_array().and_then(|a| a.iter().find(|x| x["code"] == *code));
            let gt = gt.unwrap_or_else(|| panic!("{name}: line {id} has no tax {code}"));
            assert_eq!(s(&gt["amount"]), s(&t["amount"]), "{name}: line {id} tax {code}");
            if let Some(tr) = t.get("treatment") {
                assert_eq!(gt["treatment"], *tr, "{name}: line {id} tax {code} treatment");
            }
            if let Some(b) = t.get("base") {
                assert_eq!(s(&gt["base"]), s(b), "{name}: line {id} tax {code} base");
            }
        }
    }
}

#[test]
fn golden_documents_give_the_hand_checked_figures() {
    let mut bundle = BTreeMap::new();
    let mut failures = Vec::new();
    for (stem, fx, _) in load() {
        let text = outcome(&fx);
        let got: Value = serde_json::from_str(&text).expect("own output parses");
        if let Err(e) = std::panic::catch_unwind(|| check(&stem, &fx.expected, &got)) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            failures.push(msg.unwrap_or_else(|| stem.clone()));
        }
        bundle.insert(
            stem,
            serde_json::json!({
                "rules": fx.rules, "rule_set": fixture_rule_set(&fx.rules), "dialect_override": fx.dialect_override,
                "document": fx.document, "outcome": text
            }),
        );
    }
    assert!(failures.is_empty(), "{} golden documents differ:\n{}", failures.len(), failures.join("\n"));
    let path = fixtures_dir().join("golden-results.json");
    let text = serde_json::to_string_pretty(&bundle).expect("serializes") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("write golden results");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == text, "golden-results.json is stale: run UPDATE_GOLDEN=1 cargo test -p satchel-core --test tax_golden and review the diff");
}
