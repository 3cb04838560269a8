//! Multi-currency: the document in the company's currency, converted and rounded as each ERP
//! does (Odoo divides by its rate line by line, or rounds globally on each side; ERPNext
//! multiplies each figure by its conversion rate on its own). Figures from
//! docs/research/odoo18-global-fiscal-currency.md §4 and docs/research/erpnext-net-and-discount.md §3.

use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::{json, Value};

fn rules(dialect: Value) -> RuleSet {
    serde_json::from_value(json!({
        "id": "fx", "version": "1", "currency": {"code": "EUR", "step": "0.01"}, "dialect": dialect,
        "taxes": [{"code": "T15", "name": "15 %", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "15"}]},
                  {"code": "T10", "name": "10 %", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "10"}]}],
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": ["T15"]}]},
                          {"code": "Y", "name": "Y", "schedules": [{"from": "2000-01-01", "taxes": ["T10"]}]}]
    }))
    .expect("rule set")
}

fn doc(place: &str, prices: &[&str], company: Value) -> TaxDocument {
    let lines: Vec<Value> = prices.iter().enumerate().map(|(i, p)| json!({"id": format!("{i}"), "quantity": "1", "unit_price": p})).collect();
    serde_json::from_value(json!({"business_date": "2024-01-01", "place_of_supply": place, "lines": lines, "company_currency": company})).expect("document")
}

fn company(r: &TaxResult) -> (String, String, String) {
    let c = r.company.as_ref().expect("company view");
    (c.untaxed.to_string(), c.tax.to_string(), c.total.to_string())
}

/// 1 EUR = 0.9 USD: Odoo stores the rate as document units per company unit, 1/0.9.
fn usd() -> Value {
    json!({"code": "USD", "step": "0.01", "inverse_rate": "1.111111111111"})
}

#[test]
fn odoo_converts_each_rounded_line_per_line_and_rounds_each_side_globally() {
    let per_line = rules(json!({"kind": "odoo", "scope": "line"}));
    let globally = rules(json!({"kind": "odoo", "scope": "document"}));
    // 10.00 and 20.01 at 15 %: 30.01 + 4.50 in EUR; in USD 9.00 + 18.01 and 1.35 + 2.70.
    let r = compute(&per_line, &doc("X", &["10.00", "20.01"], usd())).expect("computes");
    assert_eq!((r.untaxed.to_string(), r.tax.to_string()), ("30.01".into(), "4.50".into()));
    assert_eq!(company(&r), ("27.01".into(), "4.05".into(), "31.06".into()));
    let c = r.company.as_ref().expect("company");
    assert_eq!((c.currency.as_str(), c.lines[1].untaxed.to_string(), c.lines[1].tax.to_string()), ("USD", "18.01".into(), "2.70".into()));
    // 3 × 1.00 at 15 %: per line each 0.15 converts to 0.135 → 0.14, 0.42 in all; rounding
    // globally the company's raw 0.405 is 0.41, the cent taken back from the first line.
    let r = compute(&per_line, &doc("X", &["1.00", "1.00", "1.00"], usd())).expect("computes");
    assert_eq!(company(&r), ("2.70".into(), "0.42".into(), "3.12".into()));
    let r = compute(&globally, &doc("X", &["1.00", "1.00", "1.00"], usd())).expect("computes");
    assert_eq!(r.tax.to_string(), "0.45");
    assert_eq!(company(&r), ("2.70".into(), "0.41".into(), "3.11".into()));
    let c = r.company.as_ref().expect("company");
    assert_eq!(c.lines.iter().map(|l| l.tax.to_string()).collect::<Vec<_>>(), ["0.13", "0.14", "0.14"]);
    assert_eq!(c.taxes[0].amount.to_string(), "0.41");
}

#[test]
fn erpnext_converts_every_figure_on_its_own() {
    // ERPNext, conversion rate 1.3333, items 10.01 and 20.03 at 10 %: base_net_amount 13.35 and
    // 26.71 (base_net_total 40.06, where the converted net total would be 40.05), the row 3.00
    // → 4.00, and base_grand_total = flt(33.04 × 1.3333) = 44.05, not 40.06 + 4.00.
    let r = compute(&rules(json!({"kind": "erpnext", "rounding_method": "bankers"})), &doc("Y", &["10.01", "20.03"], json!({"code": "XYZ", "step": "0.01", "rate": "1.3333"})))
        .expect("computes");
    assert_eq!((r.untaxed.to_string(), r.tax.to_string(), r.total.to_string()), ("30.04".into(), "3.00".into(), "33.04".into()));
    assert_eq!(company(&r), ("40.06".into(), "4.00".into(), "44.05".into()));
}

#[test]
fn the_exact_dialect_converts_line_amounts_and_rounds_documents_on_each_side() {
    let r = compute(&rules(json!({"kind": "exact", "rounding": "half_even", "scope": "line"})), &doc("X", &["10.00", "20.01"], json!({"code": "JPY", "step": "1", "rate": "161.27"})))
        .expect("computes");
    // 10.00 → 1,612.70 → 1,613 yen; 20.01 → 3,227.0127 → 3,227; taxes 1.50 → 241.905 → 242 and
    // 3.00 → 483.81 → 484.
    assert_eq!(company(&r), ("4840".into(), "726".into(), "5566".into()));
}

#[test]
fn a_company_currency_needs_one_positive_rate() {
    let r = rules(json!({"kind": "exact", "rounding": "half_up", "scope": "line"}));
    for (company, field) in [
        (json!({"code": "USD", "step": "0.01"}), "company_currency"),
        (json!({"code": "USD", "step": "0.01", "rate": "1", "inverse_rate": "1"}), "company_currency"),
        (json!({"code": "USD", "step": "0.01", "rate": "0"}), "company_currency.rate"),
        (json!({"code": "USD", "step": "0.01", "inverse_rate": "-2"}), "company_currency.inverse_rate"),
        (json!({"code": "USD", "step": "0", "rate": "2"}), "company_currency.step"),
    ] {
        let err = compute(&r, &doc("X", &["1.00"], company)).expect_err("refused");
        assert_eq!((err.code(), err.field()), ("invalid_input", field));
    }
    // A rate that takes the amounts beyond what a decimal holds is an overflow, not a panic.
    let err = compute(&r, &doc("X", &["999999999999"], json!({"code": "USD", "step": "0.000000000001", "rate": "999999999999"}))).expect_err("refused");
    assert_eq!(err.code(), "overflow");
}
