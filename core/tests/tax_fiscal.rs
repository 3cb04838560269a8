//! Fiscal positions: Odoo's tax mapping (`map_tax`) and its re-adaptation of a tax-included
//! price (`_adapt_price_unit_to_another_taxes`), with the figures of
//! docs/research/odoo18-global-fiscal-currency.md §3.

use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::{json, Value};

fn tax(code: &str, rate: &str, included: bool, sequence: i32) -> Value {
    json!({"code": code, "name": code, "kind": "percent", "sequence": sequence, "price_include": included,
           "rates": [{"from": "2000-01-01", "rate": rate}]})
}

fn rules(dialect: &str, scheduled: &str, positions: Value) -> RuleSet {
    serde_json::from_value(json!({
        "id": "fp", "version": "1", "currency": {"code": "EUR", "step": "0.01"},
        "dialect": if dialect == "exact" { json!({"kind": "exact", "rounding": "half_up", "scope": "line"}) } else { json!({"kind": dialect, "scope": "line"}) },
        "taxes": [tax("VAT21", "21", true, 1), tax("EXP0", "0", false, 1), tax("VAT10", "10", true, 1),
                  tax("VAT6", "6", true, 1), tax("EXCL15", "15", false, 2), tax("VAT21X", "21", false, 1)],
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": [scheduled]}]}],
        "fiscal_positions": positions
    }))
    .expect("rule set")
}

fn positions() -> Value {
    json!([
        {"code": "EXPORT", "name": "Export", "map": [{"from": "VAT21", "to": ["EXP0"]}]},
        {"code": "REDUCED", "name": "Reduced", "map": [{"from": "VAT21", "to": ["VAT10"]}]},
        {"code": "NONE", "name": "No tax", "map": [{"from": "VAT21", "to": []}]},
        {"code": "TWO", "name": "Two", "map": [{"from": "VAT21", "to": ["VAT6", "EXCL15"]}, {"from": "VAT21X", "to": ["VAT6"]}]},
        {"code": "AS-IS", "name": "Prices already adapted", "map": [{"from": "VAT21", "to": ["EXP0"]}], "adapt_prices": false}
    ])
}

fn doc(price: &str, position: Option<&str>) -> TaxDocument {
    serde_json::from_value(json!({"business_date": "2024-01-01", "place_of_supply": "X", "fiscal_position": position,
        "lines": [{"id": "1", "quantity": "2", "unit_price": price}]}))
    .expect("document")
}

fn figures(r: &TaxResult) -> (String, String, String, Vec<String>) {
    (r.untaxed.to_string(), r.tax.to_string(), r.total.to_string(), r.taxes.iter().map(|t| t.code.to_string()).collect())
}

#[test]
fn a_position_maps_the_taxes_and_re_adapts_a_tax_included_price() {
    for dialect in ["odoo", "odoo16", "exact"] {
        let dialect_rules = |scheduled: &str| rules(dialect, scheduled, positions());
        let r = dialect_rules("VAT21");
        // Without a position: 2 × 121.00 with 21 % included.
        assert_eq!(figures(&compute(&r, &doc("121.00", None)).expect("computes")), ("200.00".into(), "42.00".into(), "242.00".into(), vec!["VAT21".into()]), "{dialect}");
        // Export (0 % excluded): the price without the 21 %, 100.00 a unit.
        assert_eq!(figures(&compute(&r, &doc("121.00", Some("EXPORT"))).expect("computes")), ("200.00".into(), "0.00".into(), "200.00".into(), vec!["EXP0".into()]), "{dialect}");
        // 10 % included: 100.00 + 10 % = 110.00 a unit, base 100.00 + tax 10.00.
        let res = compute(&r, &doc("121.00", Some("REDUCED"))).expect("computes");
        assert_eq!(figures(&res), ("200.00".into(), "20.00".into(), "220.00".into(), vec!["VAT10".into()]), "{dialect}");
        assert_eq!(res.gross.to_string(), "220.00");
        // Mapped to nothing: 100.00.
        assert_eq!(figures(&compute(&r, &doc("121.00", Some("NONE"))).expect("computes")), ("200.00".into(), "0.00".into(), "200.00".into(), vec![]), "{dialect}");
        // Mapped to 6 % included and 15 % excluded: 106.00 a unit (the excluded tax adds nothing
        // to the price and is charged on top: 15 % of 200.00).
        let res = compute(&r, &doc("121.00", Some("TWO"))).expect("computes");
        assert_eq!(res.gross.to_string(), "212.00", "{dialect}");
        assert_eq!(figures(&res), ("200.00".into(), "42.00".into(), "242.00".into(), vec!["VAT6".into(), "EXCL15".into()]), "{dialect}");
        // Prices already adapted: the taxes change, the price does not.
        assert_eq!(figures(&compute(&r, &doc("121.00", Some("AS-IS"))).expect("computes")), ("242.00".into(), "0.00".into(), "242.00".into(), vec!["EXP0".into()]), "{dialect}");
        // An excluded original tax: the price never moves (Odoo's docstring: 15 % excluded to
        // 6 % included keeps 100). 2 × 100.00 with 6 % included: 188.68 + 11.32.
        let r = dialect_rules("VAT21X");
        let res = compute(&r, &doc("100.00", Some("TWO"))).expect("computes");
        assert_eq!(res.gross.to_string(), "200.00", "{dialect}");
        assert_eq!(figures(&res), ("188.68".into(), "11.32".into(), "200.00".into(), vec!["VAT6".into()]), "{dialect}");
    }
}

#[test]
fn an_unknown_or_ill_formed_position_is_refused_by_name() {
    let r = rules("odoo", "VAT21", positions());
    let err = compute(&r, &doc("1.00", Some("NOPE"))).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("invalid_input", "fiscal_position"));
    let bad = rules("odoo", "VAT21", json!([{"code": "A", "name": "A", "map": [{"from": "VAT21", "to": ["MISSING"]}]}]));
    let err = satchel_core::tax::resolve::validate_rules(&bad).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("unknown_tax", "fiscal_positions[0].map[0].to[0]"));
    let twice = rules("odoo", "VAT21", json!([{"code": "A", "name": "A", "map": [{"from": "VAT21", "to": []}, {"from": "VAT21", "to": ["EXP0"]}]}]));
    let err = satchel_core::tax::resolve::validate_rules(&twice).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("invalid_rule", "fiscal_positions[0].map[1].from"));
}
