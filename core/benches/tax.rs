//! Taxed lines per second for a typical three-tax line: gasoline in Ontario on 2024-06-01
//! (federal fuel charge per litre, then HST's federal and provincial parts on price + charge).
//! Run with `./build.sh bench` (or `cargo bench -p satchel-core --bench tax`). Prints figures;
//! never fails on timing.

use std::hint::black_box;
use std::time::Instant;

use satchel_core::tax::{self, TaxDocument};

/// The shared workload (`tests/fixtures/bench/fuel-on-100.json`, also used by the Wasm bench),
/// cut to its first `lines` lines.
fn document(lines: usize) -> TaxDocument {
    let mut doc: TaxDocument =
        serde_json::from_str(include_str!("../../tests/fixtures/bench/fuel-on-100.json")).expect("bench document");
    doc.lines.truncate(lines);
    doc
}

fn main() {
    let rules = tax::builtin::rule_set("ca").expect("built-in rule set");
    for (label, lines_per_doc) in [("100-line documents", 100usize), ("10-line documents", 10), ("1-line documents", 1)] {
        let doc = document(lines_per_doc);
        let check = tax::compute(&rules, &doc).expect("computes");
        assert_eq!(check.lines[0].taxes.len(), 3, "three taxes per line");
        // Warm up, then measure for about a second.
        for _ in 0..200 {
            black_box(tax::compute(&rules, black_box(&doc)).ok());
        }
        // SATCHEL_BENCH_SECS shortens the run (e.g. under a profiler).
        let budget: f64 = std::env::var("SATCHEL_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
        let start = Instant::now();
        let mut docs = 0usize;
        while start.elapsed().as_secs_f64() < budget {
            for _ in 0..50 {
                black_box(tax::compute(&rules, black_box(&doc)).ok());
            }
            docs += 50;
        }
        let secs = start.elapsed().as_secs_f64();
        let lines = (docs * lines_per_doc) as f64;
        let phase = |f: &dyn Fn()| {
            let t = Instant::now();
            for _ in 0..docs.min(2_000) {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / (docs.min(2_000) * lines_per_doc) as f64
        };
        let plan = tax::resolve::plan(&rules, &doc).expect("plan");
        let resolve_us = phase(&|| drop(black_box(tax::resolve::plan(&rules, black_box(&doc)))));
        let exact_us = phase(&|| {
            drop(black_box(tax::exact::compute(black_box(&plan), satchel_core::money::Rounding::HalfUp, tax::model::Scope::Line)))
        });
        let computed = tax::exact::compute(&plan, satchel_core::money::Rounding::HalfUp, tax::model::Scope::Line).expect("c");
        let assemble_us = phase(&|| drop(black_box(tax::result::assemble(&rules, &doc, &plan, black_box(&computed)))));
        println!("  per line: resolve {resolve_us:.2} µs, arithmetic {exact_us:.2} µs, result {assemble_us:.2} µs");
        println!(
            "tax native, {label}: {:.0} lines/s ({:.2} µs per line, {docs} documents in {secs:.2} s)",
            lines / secs,
            secs * 1e6 / lines
        );
    }
}
