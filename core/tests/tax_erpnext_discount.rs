//! ERPNext's document discount (`apply_discount_amount`): on the net total or the grand total,
//! spread over the items with its running rounding error, then the taxes computed again on the
//! reduced net amounts. Figures from docs/research/erpnext-net-and-discount.md §2.

use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::{json, Value};

fn rules(dialect: Value, included: bool) -> RuleSet {
    serde_json::from_value(json!({
        "id": "d", "version": "1", "currency": {"code": "INR", "step": "0.01"}, "dialect": dialect,
        "taxes": [{"code": "T10", "name": "10 %", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "10"}]},
                  {"code": "I5", "name": "5 % included", "kind": "percent", "price_include": included, "rates": [{"from": "2000-01-01", "rate": "5"}]}],
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": ["T10"]}]},
                          {"code": "Y", "name": "Y", "schedules": [{"from": "2000-01-01", "taxes": ["I5"]}]}]
    }))
    .expect("rule set")
}

fn erpnext() -> Value {
    json!({"kind": "erpnext", "rounding_method": "bankers"})
}

fn doc(place: &str, prices: &[&str], discount: Value, on: &str) -> TaxDocument {
    let lines: Vec<Value> = prices.iter().enumerate().map(|(i, p)| json!({"id": format!("{i}"), "quantity": "1", "unit_price": p})).collect();
    serde_json::from_value(json!({"business_date": "2024-01-01", "place_of_supply": place, "lines": lines,
        "document_discount": discount, "document_discount_on": on}))
    .expect("document")
}

fn figures(r: &TaxResult) -> (Vec<String>, String, String, String) {
    (r.lines.iter().map(|l| l.untaxed.to_string()).collect(), r.untaxed.to_string(), r.tax.to_string(), r.total.to_string())
}

#[test]
fn a_discount_on_the_grand_total_reduces_the_nets_so_the_grand_total_falls_by_it() {
    // 100.00 and 50.00 at 10 %: grand total 165.00; 11.00 off it is taken from the nets in
    // proportion (6.6667 and 3.3333): 93.33 and 46.67, tax 14.00, grand total 154.00.
    let r = compute(&rules(erpnext(), false), &doc("X", &["100.00", "50.00"], json!({"amount": "11.00"}), "grand_total")).expect("computes");
    assert_eq!(figures(&r), (vec!["93.33".into(), "46.67".into()], "140.00".into(), "14.00".into(), "154.00".into()));
    assert_eq!(r.discount.to_string(), "10.00");
    // The same 11.00 on the net total: 92.67 and 46.33, tax 13.90, total 152.90.
    let r = compute(&rules(erpnext(), false), &doc("X", &["100.00", "50.00"], json!({"amount": "11.00"}), "net_total")).expect("computes");
    assert_eq!(figures(&r), (vec!["92.67".into(), "46.33".into()], "139.00".into(), "13.90".into(), "152.90".into()));
    assert_eq!(r.lines.iter().map(|l| l.discount.to_string()).collect::<Vec<_>>(), ["7.33", "3.67"]);
    // 10 % of the grand total is 16.50 off it: 148.50.
    let r = compute(&rules(erpnext(), false), &doc("X", &["100.00", "50.00"], json!({"percent": "10"}), "grand_total")).expect("computes");
    assert_eq!(r.total.to_string(), "148.50");
}

#[test]
fn the_running_rounding_error_goes_to_the_item_that_reaches_it_and_included_taxes_keep_their_diff() {
    // 10.00, 10.00 and 10.01 with 5 % included (net total 28.57, tax 1.43, grand total 30.01
    // with ERPNext's 0.01 difference); 1.00 off the grand total of 30.01: each net less
    // 1.00 × net / 30.01 is 9.2028, 9.2028, 9.2124; the second item's running error reaches a
    // cent: 9.20, 9.21, 9.21 (27.62). Tax 1.381 → 1.38; rows 29.00, and the difference
    // 30.01 − 29.00 − 1.00 = 0.01: grand total 29.01.
    let r = compute(&rules(erpnext(), true), &doc("Y", &["10.00", "10.00", "10.01"], json!({"amount": "1.00"}), "grand_total")).expect("computes");
    assert_eq!(figures(&r), (vec!["9.20".into(), "9.21".into(), "9.21".into()], "27.62".into(), "1.38".into(), "29.01".into()));
    assert_eq!(r.rounding_difference.map(|d| d.to_string()), Some("0.01".into()));
}

#[test]
fn only_erpnext_takes_a_discount_from_the_grand_total() {
    let exact = rules(json!({"kind": "exact", "rounding": "half_up", "scope": "line"}), false);
    let err = compute(&exact, &doc("X", &["100.00"], json!({"amount": "1.00"}), "grand_total")).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("unsupported", "document_discount_on"));
    // A discount ERPNext cannot take is refused as any other.
    let err = compute(&rules(erpnext(), false), &doc("X", &["1.00"], json!({"amount": "5.00"}), "grand_total")).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("invalid_input", "document_discount"));
}
