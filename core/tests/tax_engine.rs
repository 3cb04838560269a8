//! Hand-checked behaviours of the tax engine on small inline rule sets. The broad golden
//! fixtures (real rule sets, every feature) are in `tax_golden.rs`.

use satchel_core::tax::{compute, RuleSet, TaxDocument};
use serde_json::json;

fn rules(dialect: serde_json::Value, taxes: serde_json::Value, schedule: serde_json::Value) -> RuleSet {
    serde_json::from_value(json!({
        "id": "t", "version": "1", "currency": {"code": "CAD", "step": "0.01"},
        "dialect": dialect, "cash_rounding": "0.05",
        "taxes": taxes,
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": schedule}]}],
        "exemptions": []
    }))
    .expect("valid rule set")
}

fn doc(lines: serde_json::Value) -> TaxDocument {
    serde_json::from_value(json!({"business_date": "2024-05-01", "place_of_supply": "X", "lines": lines})).expect("valid document")
}

fn exact_line() -> serde_json::Value {
    json!({"kind": "exact", "rounding": "half_up", "scope": "line"})
}

fn gst_qst_compound() -> serde_json::Value {
    json!([
        {"code": "GST", "name": "GST", "kind": "percent", "sequence": 1, "include_in_later_base": true,
         "rates": [{"from": "2000-01-01", "rate": "5"}]},
        {"code": "QST", "name": "QST", "kind": "percent", "sequence": 2,
         "rates": [{"from": "2000-01-01", "rate": "9.5"}]}
    ])
}

#[test]
fn tax_on_tax_uses_the_earlier_tax_in_the_base() {
    // 100.00: GST 5.00; QST 9.5 % of 105.00 = 9.975 → 9.98; total 114.98.
    let r = rules(exact_line(), gst_qst_compound(), json!(["GST", "QST"]));
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "100.00"}]))).expect("computes");
    assert_eq!(res.lines[0].taxes[1].base.to_string(), "105.00");
    assert_eq!(res.taxes.iter().map(|t| t.amount.to_string()).collect::<Vec<_>>(), vec!["5.00", "9.98"]);
    assert_eq!(res.total.to_string(), "114.98");
}

#[test]
fn an_included_price_gives_back_the_shelf_price_exactly() {
    let taxes = json!([
        {"code": "GST", "name": "GST", "kind": "percent", "sequence": 1, "include_in_later_base": true, "price_include": true,
         "rates": [{"from": "2000-01-01", "rate": "5"}]},
        {"code": "QST", "name": "QST", "kind": "percent", "sequence": 2, "price_include": true,
         "rates": [{"from": "2000-01-01", "rate": "9.5"}]}
    ]);
    let r = rules(exact_line(), taxes, json!(["GST", "QST"]));
    for price in ["9.99", "114.98", "0.01", "1234.57"] {
        let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": price}]))).expect("computes");
        assert_eq!(res.total.to_string(), price, "{res:#?}");
        assert_eq!(res.untaxed.value() + res.tax.value(), res.total.value());
    }
    // 114.98 → untaxed 100.00 (114.98 / 1.14975 = 100.0065…): GST 5.00, QST 9.98.
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "114.98"}]))).expect("computes");
    assert_eq!(res.untaxed.to_string(), "100.00");
}

#[test]
fn a_return_mirrors_its_sale() {
    let r = rules(json!({"kind": "exact", "rounding": "half_even", "scope": "document"}), gst_qst_compound(), json!(["GST", "QST"]));
    let sale = compute(&r, &doc(json!([{"id": "1", "quantity": "3", "unit_price": "3.33"}, {"id": "2", "quantity": "1", "unit_price": "0.05"}]))).expect("sale");
    let ret = compute(&r, &doc(json!([{"id": "1", "quantity": "-3", "unit_price": "3.33"}, {"id": "2", "quantity": "-1", "unit_price": "0.05"}]))).expect("return");
    assert_eq!(ret.total.value(), -sale.total.value());
    for (s, r) in sale.lines.iter().zip(&ret.lines) {
        for (a, b) in s.taxes.iter().zip(&r.taxes) {
            assert_eq!(a.amount.value(), -b.amount.value());
        }
    }
}

#[test]
fn document_rounding_spreads_the_difference_so_lines_add_up() {
    // Three lines of 0.10 at 5 %: 0.005 each. Per line (half-up) 0.01 × 3 = 0.03; per document
    // 0.015 → 0.02, carried by two lines.
    let taxes = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "5"}]}]);
    let lines = json!([
        {"id": "a", "quantity": "1", "unit_price": "0.10"},
        {"id": "b", "quantity": "1", "unit_price": "0.10"},
        {"id": "c", "quantity": "1", "unit_price": "0.10"}
    ]);
    let per_line = compute(&rules(exact_line(), taxes.clone(), json!(["T"])), &doc(lines.clone())).expect("line");
    assert_eq!(per_line.tax.to_string(), "0.03");
    let per_doc = compute(&rules(json!({"kind": "exact", "rounding": "half_up", "scope": "document"}), taxes, json!(["T"])), &doc(lines)).expect("doc");
    assert_eq!(per_doc.tax.to_string(), "0.02");
    let line_sum: rust_decimal::Decimal = per_doc.lines.iter().map(|l| l.tax.value()).sum();
    assert_eq!(line_sum.to_string(), "0.02");
}

#[test]
fn per_unit_and_per_document_fixed_taxes() {
    let taxes = json!([
        {"code": "FUEL", "name": "Fuel charge", "kind": "per_unit", "rates": [{"from": "2000-01-01", "rate": "0.1431"}]},
        {"code": "ENV", "name": "Environmental fee", "kind": "fixed_per_document", "rates": [{"from": "2000-01-01", "rate": "1.00"}]}
    ]);
    let r = rules(exact_line(), taxes, json!(["FUEL", "ENV"]));
    let res = compute(&r, &doc(json!([
        {"id": "1", "quantity": "40", "unit_price": "1.50"},
        {"id": "2", "quantity": "20", "unit_price": "1.50"},
        {"id": "3", "quantity": "20", "unit_price": "1.50"}
    ]))).expect("computes");
    // 40 L × 0.1431 = 5.724 → 5.72; 20 L → 2.862 → 2.86.
    assert_eq!(res.lines[0].taxes[0].amount.to_string(), "5.72");
    assert_eq!(res.lines[1].taxes[0].amount.to_string(), "2.86");
    // 1.00 over nets 60/30/30: 0.50, 0.25, 0.25.
    let env: Vec<String> = res.lines.iter().map(|l| l.taxes[1].amount.to_string()).collect();
    assert_eq!(env, vec!["0.50", "0.25", "0.25"]);
}

#[test]
fn cash_rounding_changes_the_total_to_pay_but_not_the_tax() {
    let taxes = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "13"}]}]);
    let r = rules(exact_line(), taxes, json!(["T"]));
    let mut d = doc(json!([{"id": "1", "quantity": "1", "unit_price": "1.00"}]));
    d.cash = true;
    let res = compute(&r, &d).expect("computes");
    assert_eq!(res.total.to_string(), "1.13");
    let cash = res.cash_rounding.expect("cash rounding");
    assert_eq!((cash.total.to_string(), cash.adjustment.to_string()), ("1.15".into(), "0.02".into()));
    assert_eq!(res.tax.to_string(), "0.13");
}

#[test]
fn a_cycle_in_groups_is_a_typed_error() {
    let taxes = json!([
        {"code": "A", "name": "A", "kind": "group", "components": ["B"]},
        {"code": "B", "name": "B", "kind": "group", "components": ["A"]}
    ]);
    let r = rules(exact_line(), taxes, json!(["A"]));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1"}]))).expect_err("cycle");
    assert_eq!(err.code(), "cycle");
    assert!(satchel_core::tax::resolve::validate_rules(&r).is_err());
}

fn one_tax(rate: &str, kind: &str) -> serde_json::Value {
    json!([{"code": "T", "name": "T", "kind": kind, "rates": [{"from": "2000-01-01", "rate": rate}]}])
}

#[test]
fn negative_or_absurd_rates_are_refused_naming_the_rate() {
    use satchel_core::tax::resolve::validate_rules;
    for (rate, kind) in [("-100.01", "percent"), ("-1", "division"), ("-1", "per_unit"), ("1000.01", "percent"), ("100", "division"), ("100.01", "division")] {
        let r = rules(exact_line(), one_tax(rate, kind), json!(["T"]));
        let err = validate_rules(&r).expect_err(rate);
        assert_eq!((err.code(), err.field()), ("invalid_rule", "taxes[0].rates[0].rate"), "{rate} {kind}");
        let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1"}]))).expect_err(rate);
        assert_eq!(err.code(), "invalid_rule");
    }
}

#[test]
fn overlapping_or_inverted_periods_are_refused() {
    use satchel_core::tax::resolve::validate_rules;
    let overlapping = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [
        {"from": "2000-01-01", "until": "2010-01-01", "rate": "5"},
        {"from": "2009-06-01", "rate": "6"}
    ]}]);
    let err = validate_rules(&rules(exact_line(), overlapping, json!(["T"]))).expect_err("overlap");
    assert_eq!((err.code(), err.field()), ("invalid_rule", "taxes[0].rates"));
    let inverted = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [{"from": "2010-01-01", "until": "2000-01-01", "rate": "5"}]}]);
    assert!(validate_rules(&rules(exact_line(), inverted, json!(["T"]))).is_err());
}

#[test]
fn amounts_beyond_exact_arithmetic_are_an_overflow_error_not_a_panic() {
    let r = rules(exact_line(), gst_qst_compound(), json!(["GST", "QST"]));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "10000000000000", "unit_price": "1"}]))).expect_err("huge");
    assert_eq!((err.code(), err.field()), ("overflow", "lines[0].quantity"));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "99999999999999999999"}]))).expect_err("huge price");
    assert_eq!((err.code(), err.field()), ("overflow", "lines[0].unit_price"));
}

#[test]
fn malformed_amounts_never_reach_the_engine() {
    for bad in [json!(1.5), json!("1e3"), json!("1,50"), json!(""), json!("NaN")] {
        let v = json!({"business_date": "2024-05-01", "place_of_supply": "X", "lines": [{"id": "1", "quantity": "1", "unit_price": bad}]});
        let err = serde_json::from_value::<TaxDocument>(v).expect_err("refused");
        assert!(err.to_string().contains("decimal"), "{err}");
    }
}

#[test]
fn discounts_out_of_range_name_the_field() {
    let r = rules(exact_line(), gst_qst_compound(), json!(["GST", "QST"]));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "10", "discount": {"percent": "101"}}]))).expect_err("pct");
    assert_eq!((err.code(), err.field()), ("invalid_input", "lines[0].discount"));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "10", "discount": {"amount": "10.01"}}]))).expect_err("amt");
    assert_eq!((err.code(), err.field()), ("invalid_input", "lines[0].discount"));
}

#[test]
fn a_class_whose_rate_was_abolished_is_refused_not_charged_the_default() {
    // India's 12 % slab ends on 2025-09-22: an item still classed gst_12 must be reclassified.
    let rules = satchel_core::tax::builtin::rule_set("in").expect("in");
    let line = json!([{"id": "1", "quantity": "1", "unit_price": "100.00", "tax_class": "gst_12"}]);
    let before: TaxDocument = serde_json::from_value(json!({"business_date": "2025-09-21", "place_of_supply": "IN-KA", "lines": line})).expect("doc");
    assert_eq!(compute(&rules, &before).expect("in force").tax.to_string(), "12.00");
    let after: TaxDocument = serde_json::from_value(json!({"business_date": "2025-09-22", "place_of_supply": "IN-KA", "lines": line})).expect("doc");
    let err = compute(&rules, &after).expect_err("no 12 % slab any more");
    assert_eq!((err.code(), err.field()), ("invalid_input", "lines[0].tax_class"));
}

#[test]
fn a_discount_after_tax_leaves_the_tax_on_the_full_price() {
    // 100.00 with 10 % off. Before tax (the default): tax 13 % of 90.00 = 11.70, total 101.70.
    // After tax: tax 13 % of 100.00 = 13.00, then 10.00 off: untaxed 90.00, total 103.00.
    let taxes = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "13"}]}]);
    let line = json!([{"id": "1", "quantity": "1", "unit_price": "100.00", "discount": {"percent": "10"}}]);
    let before = compute(&rules(exact_line(), taxes.clone(), json!(["T"])), &doc(line.clone())).expect("before");
    assert_eq!((before.tax.to_string(), before.total.to_string()), ("11.70".into(), "101.70".into()));
    let mut after_rules = rules(exact_line(), taxes, json!(["T"]));
    after_rules.discounts_before_tax = false;
    let after = compute(&after_rules, &doc(line)).expect("after");
    assert_eq!(after.tax.to_string(), "13.00");
    assert_eq!(after.lines[0].taxes[0].base.to_string(), "100.00");
    assert_eq!((after.untaxed.to_string(), after.total.to_string()), ("90.00".into(), "103.00".into()));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// A refund (the sale's lines with negative quantities) mirrors its sale to the cent under
    /// every rounding mode and scope, with or without line discounts and cash rounding: total,
    /// untaxed, each tax per code and each line's taxes (the counter's refunds rely on it).
    #[test]
    fn a_refund_mirrors_its_sale_under_every_rounding_mode(
        lines in proptest::collection::vec((1u32..20, 1i64..100_000, proptest::option::of(0u32..60)), 1..6),
        half_even in proptest::prelude::any::<bool>(),
        per_document in proptest::prelude::any::<bool>(),
        cash in proptest::prelude::any::<bool>(),
    ) {
        let dialect = json!({"kind": "exact", "rounding": if half_even { "half_even" } else { "half_up" }, "scope": if per_document { "document" } else { "line" }});
        let r = rules(dialect, gst_qst_compound(), json!(["GST", "QST"]));
        let doc_of = |sign: i64| -> TaxDocument {
            let ls: Vec<serde_json::Value> = lines
                .iter()
                .enumerate()
                .map(|(i, (q, cents, disc))| {
                    let mut l = json!({"id": i.to_string(), "quantity": (sign * i64::from(*q)).to_string(), "unit_price": rust_decimal::Decimal::new(*cents, 2).to_string()});
                    if let Some(p) = disc {
                        l["discount"] = json!({"percent": p.to_string()});
                    }
                    l
                })
                .collect();
            serde_json::from_value(json!({"business_date": "2024-05-01", "place_of_supply": "X", "lines": ls, "cash": cash})).expect("valid document")
        };
        let sale = compute(&r, &doc_of(1)).expect("sale");
        let refund = compute(&r, &doc_of(-1)).expect("refund");
        proptest::prop_assert_eq!(refund.total.value(), -sale.total.value());
        proptest::prop_assert_eq!(refund.untaxed.value(), -sale.untaxed.value());
        proptest::prop_assert_eq!(refund.tax.value(), -sale.tax.value());
        for (s, f) in sale.taxes.iter().zip(&refund.taxes) {
            proptest::prop_assert_eq!(&s.code, &f.code);
            proptest::prop_assert_eq!(f.amount.value(), -s.amount.value());
        }
        for (s, f) in sale.lines.iter().zip(&refund.lines) {
            for (a, b) in s.taxes.iter().zip(&f.taxes) {
                proptest::prop_assert_eq!(b.amount.value(), -a.amount.value());
            }
        }
        proptest::prop_assert_eq!(
            refund.cash_rounding.as_ref().map(|c| c.total.value()),
            sale.cash_rounding.as_ref().map(|c| -c.total.value())
        );
    }
}

#[test]
fn a_tax_nothing_was_charged_for_prints_with_the_currency_places() {
    // Zero-rated goods in Ontario: HST applies and charges nothing.
    let rules = satchel_core::tax::builtin::rule_set("ca").expect("built-in");
    let doc: TaxDocument = serde_json::from_value(json!({
        "business_date": "2026-03-02", "place_of_supply": "CA-ON",
        "lines": [{"id": "z", "quantity": "3", "unit_price": "4.00", "tax_class": "zero_rated"}]
    }))
    .expect("document");
    let result = serde_json::to_value(compute(&rules, &doc).expect("computes")).expect("json");
    let amounts: Vec<&str> = result["taxes"].as_array().expect("taxes").iter().map(|t| t["amount"].as_str().expect("amount")).collect();
    assert!(!amounts.is_empty(), "{result}");
    assert!(amounts.iter().all(|a| *a == "0.00"), "{amounts:?}");
    assert_eq!(result["tax"], "0.00");
    assert_eq!(result["total"], "12.00");
}

#[test]
fn a_document_no_tax_applies_to_is_computed_in_every_dialect() {
    // A schedule that lists no tax and lines that name none (an Odoo rule set converted per
    // line, a tax-free jurisdiction): zero tax, not a panic. The exact engine's table once
    // underflowed on zero-width rows: a panic with overflow checks (debug builds, the tests),
    // silent wrap-around without them (the release module).
    for dialect in [
        exact_line(),
        json!({"kind": "exact", "rounding": "half_even", "scope": "document"}),
        json!({"kind": "odoo", "scope": "line"}),
        json!({"kind": "odoo", "scope": "document"}),
        json!({"kind": "erpnext", "rounding_method": "bankers"}),
    ] {
        let r = rules(dialect.clone(), gst_qst_compound(), json!([]));
        let lines = json!([{"id": "1", "quantity": "2", "unit_price": "5.55"}, {"id": "2", "quantity": "1", "unit_price": "0.10"}]);
        let result = serde_json::to_value(compute(&r, &doc(lines)).expect("computes")).expect("json");
        assert_eq!((result["tax"].as_str(), result["untaxed"].as_str()), (Some("0.00"), Some("11.20")), "{dialect}: {result}");
        assert_eq!(result["taxes"], json!([]), "{dialect}");
    }
}

fn rules_with_step(dialect: serde_json::Value, step: &str, taxes: serde_json::Value, schedule: serde_json::Value) -> RuleSet {
    let mut r = rules(dialect, taxes, schedule);
    r.currency.step = step.parse().expect("step");
    r.cash_rounding = None;
    r
}

fn compounding_1000_percent(n: usize) -> serde_json::Value {
    json!((0..n)
        .map(|i| json!({"code": format!("T{i}"), "name": format!("T{i}"), "kind": "percent", "sequence": i,
                        "include_in_later_base": true, "rates": [{"from": "2000-01-01", "rate": "1000"}]}))
        .collect::<Vec<_>>())
}

/// Each case the issue found panicking ("division overflowed", "addition overflowed") or
/// printing wrong: now a typed overflow naming where, in every dialect, or a correct result.
#[test]
fn amounts_at_the_documented_maxima_are_refused_as_overflow_never_a_panic() {
    let max_line = json!([{"id": "1", "quantity": "1000000000000", "unit_price": "1000000000000"}]);
    for dialect in [
        json!({"kind": "exact", "rounding": "half_up", "scope": "document"}),
        json!({"kind": "exact", "rounding": "half_up", "scope": "line"}),
        json!({"kind": "odoo", "scope": "document"}),
        json!({"kind": "odoo", "scope": "line"}),
    ] {
        // A 6-decimal currency in document scope at the maximum quantity and price: 10^24 does
        // not fit with six places.
        let r = rules_with_step(dialect.clone(), "0.000001", gst_qst_compound(), json!(["GST", "QST"]));
        let err = compute(&r, &doc(max_line.clone())).expect_err("10^24 at 6 places");
        assert_eq!((err.code(), err.field()), ("overflow", "lines[0]"), "{dialect}");
        // Three compounding 1000 % taxes multiply a large amount by 1,331.
        let r = rules_with_step(dialect.clone(), "0.01", compounding_1000_percent(3), json!(["T0", "T1", "T2"]));
        let big = json!([{"id": "1", "quantity": "1000000000000", "unit_price": "1000000000"}]);
        let err = compute(&r, &doc(big)).expect_err("1331 × 10^21");
        assert_eq!(err.code(), "overflow", "{dialect}: {err}");
        // The same taxes on an ordinary amount compute, and add up.
        let ok = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1.00"}]))).expect("ordinary");
        assert_eq!(ok.total.to_string(), "1331.00", "{dialect}");
    }
}

#[test]
fn eighty_thousand_lines_at_the_maximum_are_an_overflow_of_the_document() {
    let r = rules(exact_line(), gst_qst_compound(), json!(["GST", "QST"]));
    // Each line fits (10^19); their sum, 8 × 10^23, is beyond what a cent currency can total.
    let lines: Vec<_> = (0..80_000).map(|i| json!({"id": format!("{i}"), "quantity": "10000000", "unit_price": "1000000000000"})).collect();
    let err = compute(&r, &doc(json!(lines))).expect_err("8 × 10^23");
    assert_eq!((err.code(), err.field()), ("overflow", "lines"));
    // A tenth of each fits, and the taxes add up to the cent.
    let lines: Vec<_> = (0..80_000).map(|i| json!({"id": format!("{i}"), "quantity": "1000000", "unit_price": "1000000000000"})).collect();
    let res = compute(&r, &doc(json!(lines))).expect("8 × 10^22");
    assert_eq!(res.untaxed.to_string(), "80000000000000000000000.00");
    assert_eq!(res.tax.to_string(), "11980000000000000000000.00"); // 14.975 %
}

#[test]
fn large_amounts_print_with_every_place_of_the_currency() {
    // 10^23 at six places needs 29 digits: refused, not printed as "100000000000000000000000".
    let r = rules_with_step(exact_line(), "0.000001", gst_qst_compound(), json!(["GST", "QST"]));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "100000000000", "unit_price": "1000000000000"}]))).expect_err("10^23");
    assert_eq!((err.code(), err.field()), ("overflow", "lines[0]"));
    // The largest that fits prints its six places.
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1000000", "unit_price": "1000000000000"}]))).expect("10^18");
    assert_eq!(res.untaxed.to_string(), "1000000000000000000.000000");
    assert_eq!(res.tax.to_string(), "149750000000000000.000000");
    assert_eq!(res.total.to_string(), "1149750000000000000.000000");
}

#[test]
fn a_withholding_tax_reduces_the_total_and_every_rounding_mode_is_available() {
    // Spain: IVA 21 % and IRPF withholding −15 % on a professional's invoice of 1,000.00.
    let taxes = json!([
        {"code": "IVA", "name": "IVA 21%", "kind": "percent", "sequence": 1, "rates": [{"from": "2000-01-01", "rate": "21"}]},
        {"code": "IRPF", "name": "IRPF -15%", "kind": "percent", "sequence": 2, "rates": [{"from": "2000-01-01", "rate": "-15"}]}
    ]);
    let r = rules(exact_line(), taxes.clone(), json!(["IVA", "IRPF"]));
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1000.00"}]))).expect("computes");
    assert_eq!(res.taxes.iter().map(|t| t.amount.to_string()).collect::<Vec<_>>(), vec!["210.00", "-150.00"]);
    assert_eq!(res.total.to_string(), "1060.00");
    // 0.35 × 21 % = 0.0735 and × −15 % = −0.0525 under each rounding mode.
    for (mode, iva, irpf) in [
        ("half_up", "0.07", "-0.05"),
        ("half_even", "0.07", "-0.05"),
        ("half_down", "0.07", "-0.05"),
        ("up", "0.08", "-0.06"),
        ("down", "0.07", "-0.05"),
    ] {
        let r = rules(json!({"kind": "exact", "rounding": mode, "scope": "line"}), taxes.clone(), json!(["IVA", "IRPF"]));
        let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "0.35"}]))).expect("computes");
        let got: Vec<String> = res.taxes.iter().map(|t| t.amount.to_string()).collect();
        assert_eq!(got, vec![iva, irpf], "{mode}");
        assert!(res.dialect.contains(&mode.replace('_', "-")), "{}", res.dialect);
    }
    // Halves: 0.50 × 21 % = 0.105 and × −15 % = −0.075.
    for (mode, iva, irpf) in [
        ("half_up", "0.11", "-0.08"),
        ("half_even", "0.10", "-0.08"),
        ("half_down", "0.10", "-0.07"),
    ] {
        let r = rules(json!({"kind": "exact", "rounding": mode, "scope": "line"}), taxes.clone(), json!(["IVA", "IRPF"]));
        let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "0.50"}]))).expect("computes");
        let got: Vec<String> = res.taxes.iter().map(|t| t.amount.to_string()).collect();
        assert_eq!(got, vec![iva, irpf], "{mode}");
    }
}

fn repartitioned(parts: serde_json::Value) -> serde_json::Value {
    json!([{"code": "VAT", "name": "VAT 21 %", "kind": "percent", "sequence": 1, "repartition": parts,
            "rates": [{"from": "2000-01-01", "rate": "21"}]}])
}

#[test]
fn a_reverse_charge_is_computed_and_reported_but_not_charged() {
    // An EU business buying a service: VAT 21 % is due, self-assessed by the buyer: +100 % and
    // −100 % repartition, as Odoo's reverse-charge taxes are set up.
    let parts = json!([{"label": "VAT payable", "factor": "100"}, {"label": "VAT deductible", "factor": "-100"}]);
    for dialect in [exact_line(), json!({"kind": "odoo", "scope": "document"}), json!({"kind": "odoo16", "scope": "line"}), json!({"kind": "erpnext", "rounding_method": "bankers"})] {
        let r = rules(dialect.clone(), repartitioned(parts.clone()), json!(["VAT"]));
        let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1000.00"}]))).expect("computes");
        let v = serde_json::to_value(&res).expect("json");
        assert_eq!((v["tax"].as_str(), v["total"].as_str()), (Some("0.00"), Some("1000.00")), "{dialect}");
        assert_eq!(v["taxes"][0]["computed"], "210.00", "{dialect}");
        assert_eq!(v["taxes"][0]["amount"], "0.00", "{dialect}");
        assert_eq!(v["taxes"][0]["parts"], json!([{"label": "VAT payable", "amount": "210.00"}, {"label": "VAT deductible", "amount": "-210.00"}]), "{dialect}");
        assert_eq!(v["lines"][0]["taxes"][0]["computed"], "210.00", "{dialect}");
    }
}

#[test]
fn a_repartition_that_is_not_a_hundred_percent_charges_its_share_and_its_parts_add_up() {
    // 60 % + 30 % of 21.00: 18.90 charged, parts 12.60 and 6.30.
    let r = rules(exact_line(), repartitioned(json!([{"label": "A", "factor": "60"}, {"label": "B", "factor": "30"}])), json!(["VAT"]));
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "100.00"}]))).expect("computes");
    let v = serde_json::to_value(&res).expect("json");
    assert_eq!((v["taxes"][0]["computed"].as_str(), v["tax"].as_str(), v["total"].as_str()), (Some("21.00"), Some("18.90"), Some("118.90")));
    assert_eq!(v["taxes"][0]["parts"], json!([{"label": "A", "amount": "12.60"}, {"label": "B", "amount": "6.30"}]));
    // 50 % + 50 % of 0.05: each part 0.025 → 0.03 would make 0.06; the charge is 0.05, and the
    // first part gives back the cent (Odoo spreads the same way): 0.02 + 0.03.
    let r = rules(exact_line(), repartitioned(json!([{"label": "A", "factor": "50"}, {"label": "B", "factor": "50"}])), json!(["VAT"]));
    let res = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "0.24"}]))).expect("computes");
    let v = serde_json::to_value(&res).expect("json");
    assert_eq!((v["taxes"][0]["computed"].as_str(), v["tax"].as_str()), (Some("0.05"), Some("0.05")));
    assert_eq!(v["lines"][0]["taxes"][0]["parts"], json!([{"label": "A", "amount": "0.02"}, {"label": "B", "amount": "0.03"}]));
    // In the shelf price or in later bases the whole tax counts: refused, naming the field.
    let mut taxes = repartitioned(json!([{"label": "A", "factor": "50"}]));
    taxes[0]["price_include"] = json!(true);
    let err = compute(&rules(exact_line(), taxes, json!(["VAT"])), &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1"}]))).expect_err("refused");
    assert_eq!((err.code(), err.field()), ("invalid_rule", "taxes.VAT.repartition"));
}

#[test]
fn the_same_tax_twice_on_a_line_is_refused_by_name() {
    let r = rules(exact_line(), gst_qst_compound(), json!([]));
    let err = compute(&r, &doc(json!([{"id": "1", "quantity": "1", "unit_price": "1", "extra_taxes": ["GST", "QST", "GST"]}]))).expect_err("twice");
    assert_eq!((err.code(), err.field()), ("invalid_input", "lines[0].extra_taxes[2]"));
    let twice = rules(exact_line(), gst_qst_compound(), json!(["GST", "GST"]));
    let err = satchel_core::tax::resolve::validate_rules(&twice).expect_err("listed twice");
    assert_eq!((err.code(), err.field()), ("invalid_rule", "jurisdictions[0].schedules[0].taxes[1]"));
}

#[test]
fn document_scope_taxes_the_unrounded_line_amounts_as_tryton_and_odoo_do() {
    // Three lines of 0.5 × 0.99 = 0.495 (each shown as 0.50) at 21 %. Per line the tax is on
    // 0.50: 0.105 → 0.11 each. Per document on the rounded lines it would be 0.315 → 0.32; on
    // the unrounded amounts (Tryton's document rounding, Odoo's round globally) 3 × 0.10395 =
    // 0.31185 → 0.31.
    let taxes = json!([{"code": "T", "name": "T", "kind": "percent", "rates": [{"from": "2000-01-01", "rate": "21"}]}]);
    let lines = json!([
        {"id": "a", "quantity": "0.5", "unit_price": "0.99"},
        {"id": "b", "quantity": "0.5", "unit_price": "0.99"},
        {"id": "c", "quantity": "0.5", "unit_price": "0.99"}
    ]);
    let per_line = compute(&rules(exact_line(), taxes.clone(), json!(["T"])), &doc(lines.clone())).expect("computes");
    assert_eq!((per_line.untaxed.to_string(), per_line.tax.to_string()), ("1.50".into(), "0.33".into()));
    let per_doc = compute(&rules(json!({"kind": "exact", "rounding": "half_up", "scope": "document"}), taxes, json!(["T"])), &doc(lines)).expect("computes");
    assert_eq!((per_doc.untaxed.to_string(), per_doc.tax.to_string(), per_doc.total.to_string()), ("1.50".into(), "0.31".into(), "1.81".into()));
}
