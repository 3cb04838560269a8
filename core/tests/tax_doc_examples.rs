//! The worked examples of docs/tax-engine.md §4, produced by the code: the rule sets are read from
//! the document's own JSON blocks, each example is computed, and every figure the document states
//! is checked against the result (and found in the document's text, so neither can drift alone).

use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::{json, Value};

fn doc_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tax-engine.md")).expect("docs/tax-engine.md")
}

/// The first ```json block after `heading`.
fn rule_set_after(text: &str, heading: &str) -> RuleSet {
    let from = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &text[from..];
    let start = rest.find("```json\n").expect("a json block") + "```json\n".len();
    let end = rest[start..].find("```").expect("block end");
    serde_json::from_str(&rest[start..start + end]).unwrap_or_else(|e| panic!("the rule set under {heading}: {e}"))
}

fn doc(place: &str, lines: Value, cash: bool) -> TaxDocument {
    serde_json::from_value(json!({"business_date": "2024-06-01", "place_of_supply": place, "lines": lines, "cash": cash})).expect("document")
}

fn run(rules: &RuleSet, place: &str, lines: Value) -> TaxResult {
    compute(rules, &doc(place, lines, false)).unwrap_or_else(|e| panic!("{place}: {e}"))
}

fn amounts(res: &TaxResult) -> Vec<String> {
    res.taxes.iter().map(|t| t.amount.to_string()).collect()
}

fn line_tax(res: &TaxResult, code: &str) -> Vec<String> {
    res.lines.iter().flat_map(|l| &l.taxes).filter(|t| &*t.code == code).map(|t| t.amount.to_string()).collect()
}

/// Asserts the figure and that the document states it in `phrase`.
fn says(text: &str, phrase: &str, got: &str, want: &str) {
    assert_eq!(got, want, "{phrase}");
    assert!(text.contains(phrase), "docs/tax-engine.md no longer says {phrase:?}");
}

#[test]
fn the_odoo_mapping_examples_are_what_the_code_gives() {
    let text = doc_text();
    let line = rule_set_after(&text, "### Odoo\n");
    let mut global = line.clone();
    global.dialect = serde_json::from_value(json!({"kind": "odoo", "scope": "document"})).expect("dialect");
    let mut exact = line.clone();
    exact.dialect = serde_json::from_value(json!({"kind": "exact", "rounding": "half_up", "scope": "line"})).expect("dialect");
    let one = json!([{"id": "1", "quantity": "3", "unit_price": "3.33"}]);

    let r = run(&line, "PERCENT", one.clone());
    says(&text, "P15 1.4985 → 1.50, total 11.49", &format!("{} {}", amounts(&r)[0], r.total), "1.50 11.49");
    let r = run(&line, "FIXED", one.clone());
    says(&text, "so P15 is on 9.99 → 1.50; total 12.99", &format!("{} {}", amounts(&r).join(" "), r.total), "1.50 1.50 12.99");
    let r = run(&exact, "FIXED", one.clone());
    says(&text, "(the `exact` dialect gives the same)", &format!("{} {}", amounts(&r)[0], r.total), "1.50 12.99");
    let r = run(&line, "DIVISION", one.clone());
    says(&text, "9.99 × 10/90 = 1.11, total 11.10", &format!("{} {}", amounts(&r)[0], r.total), "1.11 11.10");
    let r = run(&line, "GROUP", one.clone());
    says(&text, "G5 0.50 + G8 0.80, each reported with `\"group\": \"GRP\"`, total 11.29", &format!("{} {}", amounts(&r).join(" "), r.total), "0.50 0.80 11.29");
    let r = run(&line, "INCLUDED", one.clone());
    says(&text, "untaxed 8.26, INC21 1.73, total 9.99", &format!("{} {} {}", r.untaxed, amounts(&r)[0], r.total), "8.26 1.73 9.99");
    let r = run(&line, "BASE", one.clone());
    says(&text, "AFF10 1.00; P5 on 10.99 = 0.55; total 11.54", &format!("{} {}", amounts(&r).join(" "), r.total), "1.00 0.55 11.54");

    let tenths = json!([{"id": "a", "quantity": "1", "unit_price": "0.10"}, {"id": "b", "quantity": "1", "unit_price": "0.10"}, {"id": "c", "quantity": "1", "unit_price": "0.10"}]);
    let r = run(&line, "PERCENT", tenths.clone());
    says(&text, "0.015 → 0.02 each, tax 0.06", &format!("{} {}", line_tax(&r, "P15").join(" "), r.tax), "0.02 0.02 0.02 0.06");
    let r = run(&global, "PERCENT", tenths);
    says(&text, "same lines: 0.015 → 0.02 each, the raw 0.045 → 0.05, the cent back from line a: 0.01, 0.02, 0.02", &format!("{} {}", r.tax, line_tax(&r, "P15").join(" ")), "0.05 0.01 0.02 0.02");

    let ones = json!([{"id": "a", "quantity": "1", "unit_price": "1.00"}, {"id": "b", "quantity": "1", "unit_price": "1.00"}, {"id": "c", "quantity": "1", "unit_price": "1.00"}]);
    let r = run(&line, "INCLUDED", ones.clone());
    says(&text, "1.00 − 1.00/1.21 = 0.17355… → 0.17, tax 0.51, untaxed 2.49", &format!("{} {}", r.tax, r.untaxed), "0.51 2.49");
    let r = run(&global, "INCLUDED", ones);
    let untaxed: Vec<String> = r.lines.iter().map(|l| l.untaxed.to_string()).collect();
    says(&text, "0.52 spread 0.18, 0.17, 0.17, untaxed 0.82,\n0.83, 0.83", &format!("{} {} {}", r.tax, line_tax(&r, "INC21").join(" "), untaxed.join(" ")), "0.52 0.18 0.17 0.17 0.82 0.83 0.83");
    let base_a = r.lines[0].taxes[0].base.to_string();
    says(&text, "reported `base` is the line's `untaxed` (0.82 on line a; document base 2.48)", &format!("{base_a} {}", r.taxes[0].base), "0.82 2.48");
}

#[test]
fn the_erpnext_mapping_examples_are_what_the_code_gives() {
    let text = doc_text();
    let erp = rule_set_after(&text, "### ERPNext\n");
    let mut exact = erp.clone();
    exact.dialect = serde_json::from_value(json!({"kind": "exact", "rounding": "half_up", "scope": "line"})).expect("dialect");
    let three = json!([
        {"id": "1", "quantity": "3", "unit_price": "33.33"},
        {"id": "2", "quantity": "1", "unit_price": "10.05", "tax_class": "gst_5"},
        {"id": "3", "quantity": "7", "unit_price": "1.15"}
    ]);
    let r = run(&erp, "NET", three.clone());
    says(&text, "row **19.95** (lines 18.00, 0.50, 1.45)", &format!("{} {}", amounts(&r)[0], line_tax(&r, "NET18").join(" ")), "19.95 18.00 0.50 1.45");
    let r = run(&erp, "PREV-AMT", three.clone());
    says(&text, "row **1.99** (lines 1.80, 0.05, 0.14)", &format!("{} {}", amounts(&r)[1], line_tax(&r, "CESS").join(" ")), "1.99 1.80 0.05 0.14");
    let r = run(&exact, "PREV-AMT", three.clone());
    says(&text, "1.80 + 0.05 + 0.15 = 2.00", &format!("{} {}", line_tax(&r, "CESS").join(" "), amounts(&r)[1]), "1.80 0.05 0.15 2.00");
    let r = run(&erp, "PREV-TOT", three.clone());
    says(&text, "GST5 5.90; PST 9.5 % of the unrounded running totals: 9.9740025 + 1.0024875 + 0.8029875 = 11.7794775 → row **11.78**", &amounts(&r).join(" "), "5.90 11.78");
    let r = run(&exact, "PREV-TOT", three.clone());
    says(&text, "9.97 + 1.00 + 0.80 = 11.77", &format!("{} {}", line_tax(&r, "PST").join(" "), amounts(&r)[1]), "9.97 1.00 0.80 11.77");
    let r = run(&erp, "ACTUAL", three.clone());
    says(&text, "`ACTUAL`: 10.00 → lines 8.47, 0.85, 0.68", &line_tax(&r, "FREIGHT").join(" "), "8.47 0.85 0.68");
    let r = run(&erp, "QTY", three.clone());
    let bases: Vec<String> = r.lines.iter().map(|l| l.taxes[0].base.to_string()).collect();
    says(&text, "0.25 × 3, 1, 7 = 0.75, 0.25, 1.75, row 2.75; `base` reported is the quantity (3, 1, 7)", &format!("{} {} {}", line_tax(&r, "QTY").join(" "), amounts(&r)[0], bases.join(" ")), "0.75 0.25 1.75 2.75 3 1 7");
    let ones = json!([{"id": "a", "quantity": "1", "unit_price": "1.00"}, {"id": "b", "quantity": "1", "unit_price": "1.00"}, {"id": "c", "quantity": "1", "unit_price": "1.00"}]);
    let r = run(&erp, "INCLUDED", ones.clone());
    let untaxed: Vec<String> = r.lines.iter().map(|l| l.untaxed.to_string()).collect();
    let differences: Vec<String> = r.lines.iter().map(|l| l.rounding_difference.map(|d| d.to_string()).unwrap_or_else(|| "-".into())).collect();
    says(
        &text,
        "row 0.459 → **0.46** (lines 0.16, 0.15, 0.15); untaxed 0.85 each (ERPNext's `net_total` 2.55), and the −0.01 `grand_total_diff` is line a's `rounding_difference`; line totals 1.00",
        &format!("{} {} {} {} {} {}", amounts(&r)[0], line_tax(&r, "INC18").join(" "), untaxed.join(" "), r.untaxed, differences.join(" "), r.lines.iter().map(|l| l.total.to_string()).collect::<Vec<_>>().join(" ")),
        "0.46 0.16 0.15 0.15 0.85 0.85 0.85 2.55 -0.01 - - 1.00 1.00 1.00",
    );
    let r = run(&exact, "INCLUDED", ones);
    says(&text, "0.15 each, 0.45, untaxed 2.55", &format!("{} {} {}", line_tax(&r, "INC18").join(" "), r.tax, r.untaxed), "0.15 0.15 0.15 0.45 2.55");
    let r = compute(&erp, &doc("NET", three.clone(), true)).expect("cash");
    let cash = r.cash_rounding.as_ref().expect("cash rounding");
    says(&text, "total 138.04, `cash_rounding` `{\"step\":\"1\",\"total\":\"138.00\",\"adjustment\":\"-0.04\"}`", &format!("{} {} {}", r.total, cash.total, cash.adjustment), "138.04 138.00 -0.04");
    let err = compute(&erp, &doc("PER-LINE", three.clone(), false)).expect_err("refused");
    says(&text, "**refused**, `{\"code\": \"unsupported\", \"field\": \"taxes[0]\"}`", &format!("{} {}", err.code(), err.field()), "unsupported taxes[0]");
    let r = run(&exact, "PER-LINE", three);
    says(&text, "1.00 per line, 3.00", &amounts(&r)[0], "3.00");
}
