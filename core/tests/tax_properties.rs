//! Properties of the tax engine over generated documents, for every dialect that is exact
//! decimal (the float dialect has its own tests).

use proptest::prelude::*;
use rust_decimal::Decimal;
use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::json;

fn rules(dialect: &serde_json::Value, included: bool, compound: bool) -> RuleSet {
    serde_json::from_value(json!({
        "id": "p", "version": "1", "currency": {"code": "CAD", "step": "0.01"}, "dialect": dialect,
        "taxes": [
            {"code": "A", "name": "A", "kind": "percent", "sequence": 1, "include_in_later_base": compound,
             "price_include": included, "rates": [{"from": "2000-01-01", "rate": "5"}]},
            {"code": "B", "name": "B", "kind": "percent", "sequence": 2, "price_include": included,
             "rates": [{"from": "2000-01-01", "rate": "9.975", "by_class": {"reduced": "2.5"}}]},
            {"code": "U", "name": "U", "kind": "per_unit", "sequence": 0, "applies_to": ["fuel"],
             "rates": [{"from": "2000-01-01", "rate": "0.1431"}]}
        ],
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": ["U", "A", "B"]}]}]
    }))
    .expect("valid rules")
}

fn dialects() -> Vec<serde_json::Value> {
    vec![
        json!({"kind": "exact", "rounding": "half_up", "scope": "line"}),
        json!({"kind": "exact", "rounding": "half_even", "scope": "line"}),
        json!({"kind": "exact", "rounding": "half_up", "scope": "document"}),
        json!({"kind": "exact", "rounding": "half_even", "scope": "document"}),
        json!({"kind": "odoo", "scope": "line"}),
        json!({"kind": "odoo", "scope": "document"}),
    ]
}

#[derive(Debug, Clone)]
struct GenLine {
    qty: Decimal,
    price: Decimal,
    class: &'static str,
    discount: Option<Decimal>,
}

fn gen_line() -> impl Strategy<Value = GenLine> {
    (1i64..5_000, 1i64..100_000, prop_oneof![Just("standard"), Just("reduced"), Just("zero_rated"), Just("exempt"), Just("fuel")], proptest::option::of(0i64..=100))
        .prop_map(|(q, p, class, d)| GenLine {
            qty: Decimal::new(q, 2),
            price: Decimal::new(p, 2),
            class,
            discount: d.map(Decimal::from),
        })
}

fn document(lines: &[GenLine], negate: bool) -> TaxDocument {
    let lines: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let q = if negate { -l.qty } else { l.qty };
            let mut v = json!({"id": format!("{i}"), "quantity": q.to_string(), "unit_price": l.price.to_string(), "tax_class": l.class});
            if let Some(d) = l.discount {
                v["discount"] = json!({"percent": d.to_string()});
            }
            if l.class == "fuel" {
                v["extra_taxes"] = json!([]);
            }
            v
        })
        .collect();
    serde_json::from_value(json!({"business_date": "2024-01-01", "place_of_supply": "X", "lines": lines})).expect("valid doc")
}

fn tax_of(r: &TaxResult, code: &str) -> Decimal {
    r.taxes.iter().find(|t| *t.code == *code).map(|t| t.amount.value()).unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn line_taxes_add_up_to_the_document_tax_in_every_mode(lines in proptest::collection::vec(gen_line(), 1..12), compound in any::<bool>()) {
        for d in dialects() {
            let r = compute(&rules(&d, false, compound), &document(&lines, false)).expect("computes");
            for t in &r.taxes {
                let per_line: Decimal = r.lines.iter().flat_map(|l| &l.taxes).filter(|x| x.code == t.code).map(|x| x.amount.value()).sum();
                prop_assert_eq!(per_line, t.amount.value(), "{} {}", d, t.code);
            }
            prop_assert_eq!(r.untaxed.value() + r.tax.value(), r.total.value());
            prop_assert!(r.tax.value().scale() <= 2);
        }
    }

    #[test]
    fn a_tax_included_price_gives_back_exactly_the_shelf_price(lines in proptest::collection::vec(gen_line(), 1..8), compound in any::<bool>()) {
        let lines: Vec<GenLine> = lines.into_iter().map(|l| GenLine { class: if l.class == "fuel" { "standard" } else { l.class }, ..l }).collect();
        for d in dialects() {
            let r = compute(&rules(&d, true, compound), &document(&lines, false)).expect("computes");
            let shelf: Decimal = r.lines.iter().map(|l| l.gross.value() - l.discount.value()).sum();
            if d["kind"] == "odoo" && d["scope"] == "document" {
                // Odoo 18 rounding globally: the total is the rounding of the unrounded line
                // amounts' sum (8,119.50 where the lines, each rounded, add up to 8,119.51).
                prop_assert!((r.total.value() - shelf).abs() <= Decimal::new(r.lines.len() as i64, 2), "{}", d);
            } else {
                // The document's total is the shelf total, to the cent.
                prop_assert_eq!(r.total.value(), shelf, "{}", d);
            }
            for l in &r.lines {
                let line_shelf = l.gross.value() - l.discount.value();
                if d["kind"] == "odoo" && d["scope"] == "document" {
                    // Odoo 18 rounding globally gives the document's cents back in proportion to
                    // the lines' raw totals, not line by line: a line's balance may be cents off
                    // its shelf amount (Odoo's `price_total` is not; the balance is reported).
                    prop_assert!((l.total.value() - line_shelf).abs() <= Decimal::new(r.lines.len() as i64 + 2, 2), "{} line {}", d, l.id);
                } else {
                    // Shelf total of the line after discounts = its total, to the cent.
                    prop_assert_eq!(l.total.value(), line_shelf, "{} line {}", d, l.id);
                }
            }
        }
    }

    #[test]
    fn a_return_negates_its_sale(lines in proptest::collection::vec(gen_line(), 1..10), compound in any::<bool>(), included in any::<bool>()) {
        for d in dialects() {
            let r = rules(&d, included, compound);
            let sale = compute(&r, &document(&lines, false)).expect("sale");
            let ret = compute(&r, &document(&lines, true)).expect("return");
            prop_assert_eq!(ret.total.value(), -sale.total.value(), "{}", d);
            for code in ["A", "B", "U"] {
                prop_assert_eq!(tax_of(&ret, code), -tax_of(&sale, code));
            }
        }
    }

    #[test]
    fn document_totals_do_not_depend_on_line_order(lines in proptest::collection::vec(gen_line(), 2..10), compound in any::<bool>()) {
        let mut reversed = lines.clone();
        reversed.reverse();
        for d in dialects() {
            let r = rules(&d, false, compound);
            let a = compute(&r, &document(&lines, false)).expect("a");
            let b = compute(&r, &document(&reversed, false)).expect("b");
            prop_assert_eq!(a.total.value(), b.total.value());
            for code in ["A", "B", "U"] {
                prop_assert_eq!(tax_of(&a, code), tax_of(&b, code));
            }
        }
    }
}
