//! Benchmarks of the module in headless Chromium. Compiled with `SATCHEL_BENCH=1` (as
//! `./build.sh bench` does, in release mode) they measure and print figures; in the ordinary
//! test run they do one small pass that checks the benchmark's inputs still compute, so the
//! benchmark cannot rot. Timing never decides whether a test passes.
#![cfg(target_arch = "wasm32")]

use satchel_core::tax::{self, TaxDocument};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MEASURE: bool = option_env!("SATCHEL_BENCH").is_some();

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Gasoline in Ontario on 2024-06-01: fuel charge per litre, then both parts of HST; the same
/// 100 lines as the native benchmark (`core/benches/tax.rs`).
fn fuel_document() -> TaxDocument {
    serde_json::from_str(include_str!("fixtures/bench/fuel-on-100.json")).expect("bench document")
}

#[wasm_bindgen_test]
fn tax_lines_per_second_in_wasm() {
    let rules = tax::builtin::rule_set("ca").expect("rule set");
    let doc = fuel_document();
    let first = tax::compute(&rules, &doc).expect("computes");
    assert_eq!(first.lines[0].taxes.len(), 3, "a three-tax line");
    if !MEASURE {
        return;
    }
    for _ in 0..100 {
        let _ = tax::compute(&rules, &doc);
    }
    let start = now_ms();
    let mut docs = 0usize;
    while now_ms() - start < 2_000.0 {
        for _ in 0..20 {
            let _ = tax::compute(&rules, &doc);
        }
        docs += 20;
    }
    let secs = (now_ms() - start) / 1_000.0;
    let lines = (docs * 100) as f64;
    web_sys::console::log_1(
        &format!("BENCH tax wasm, 100-line documents: {:.0} lines/s ({:.2} µs per line)", lines / secs, secs * 1e6 / lines).into(),
    );
}
