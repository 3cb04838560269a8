use super::*;
use crate::money::parse_decimal;
use proptest::prelude::*;

fn d(s: &str) -> Dec {
    Dec(parse_decimal(s).expect("test literal"))
}

fn line(sku: &str, q: &str, p: &str) -> OrderLineRequest {
    OrderLineRequest { sku: sku.into(), quantity: d(q), unit_price: d(p) }
}

fn order(rate: &str, lines: Vec<OrderLineRequest>) -> OrderRequest {
    OrderRequest { outlet_id: "OUT-001".into(), tax_rate: d(rate), lines }
}

#[test]
fn a_counter_sale_totals_to_the_cent() {
    // 3 × 1.99 = 5.97; 0.333 kg × 12.49 = 4.15917 → 4.16; subtotal 10.13; 13 % = 1.3169 → 1.32.
    let o = order("13", vec![line("SKU-1", "3", "1.99"), line("SKU-2", "0.333", "12.49")]);
    let t = compute_totals(&o).expect("valid order");
    assert_eq!(t.line_nets, vec![d("5.97"), d("4.16")]);
    assert_eq!(t.subtotal, d("10.13"));
    assert_eq!(t.tax, d("1.32"));
    assert_eq!(t.total, d("11.45"));
}

#[test]
fn half_cents_round_up_on_lines_and_tax() {
    // 1 × 0.125 is refused (price has 3 places), so make the half-cent through quantity:
    // 0.5 × 0.05 = 0.025 → 0.03; tax 10 % of 0.03 = 0.003 → 0.00.
    let t = compute_totals(&order("10", vec![line("A", "0.5", "0.05")])).expect("valid");
    assert_eq!(t.line_nets, vec![d("0.03")]);
    assert_eq!(t.tax, d("0.00"));
    // 5 % of 0.30 = 0.015 → 0.02 (half-up, not banker's 0.02 either way; 0.25 × 10 % = 0.025 → 0.03)
    let t = compute_totals(&order("10", vec![line("A", "1", "0.25")])).expect("valid");
    assert_eq!(t.tax, d("0.03"));
}

#[test]
fn bad_orders_name_the_field() {
    let cases: Vec<(OrderRequest, &str, &str)> = vec![
        (order("13", vec![]), "no_lines", "lines"),
        (order("13", vec![line("A", "0", "1")]), "non_positive_quantity", "lines[0].quantity"),
        (order("13", vec![line("A", "1", "1"), line("B", "-2", "1")]), "non_positive_quantity", "lines[1].quantity"),
        (order("13", vec![line("A", "1.0001", "1")]), "too_precise", "lines[0].quantity"),
        (order("13", vec![line("A", "1", "1.001")]), "too_precise", "lines[0].unit_price"),
        (order("13", vec![line("A", "1", "-1")]), "negative", "lines[0].unit_price"),
        (order("13", vec![line("", "1", "1")]), "required", "lines[0].sku"),
        (order("100.5", vec![line("A", "1", "1")]), "rate_out_of_range", "tax_rate"),
        (order("-1", vec![line("A", "1", "1")]), "negative", "tax_rate"),
        (order("13", vec![line("A", "1000000001", "1")]), "too_large", "lines[0].quantity"),
    ];
    for (o, code, field) in cases {
        let e = compute_totals(&o).expect_err(code);
        assert_eq!((e.code(), e.field()), (code, field), "{e}");
    }
    let mut o = order("13", vec![line("A", "1", "1")]);
    o.outlet_id = " ".into();
    assert_eq!(compute_totals(&o).expect_err("blank outlet").field(), "outlet_id");
    let o = order("13", vec![line("A", "1", "1"); MAX_LINES + 1]);
    assert_eq!(compute_totals(&o).expect_err("too many").code(), "too_many_lines");
}

#[test]
fn trailing_zeros_are_not_extra_precision() {
    let t = compute_totals(&order("13", vec![line("A", "2.5000", "1.1000")])).expect("valid");
    assert_eq!(t.subtotal, d("2.75"));
}

#[test]
fn catalog_check_names_unknown_products_and_wrong_prices() {
    let o = order("13", vec![line("A", "1", "2.00"), line("B", "1", "3.00")]);
    let lookup = |sku: &str| match sku {
        "A" => Some(CatalogPrice { unit_price: parse_decimal("2").expect("lit") }),
        "B" => Some(CatalogPrice { unit_price: parse_decimal("3.50").expect("lit") }),
        _ => None,
    };
    let e = check_catalog(&o, lookup).expect_err("B is mispriced");
    assert_eq!((e.code(), e.field()), ("price_mismatch", "lines[1].unit_price"));
    let o = order("13", vec![line("Z", "1", "2.00")]);
    let e = check_catalog(&o, lookup).expect_err("Z unknown");
    assert_eq!((e.code(), e.field()), ("unknown_product", "lines[0].sku"));
}

#[test]
fn the_server_finds_the_line_a_tampered_document_changed() {
    let o = order("13", vec![line("A", "1", "2.00"), line("B", "3", "1.00")]);
    let totals = compute_totals(&o).expect("valid");
    let mut doc = OrderDocument {
        order_id: crate::ids::uuid_v7(1, [0; 10]),
        committed_at: DateTime::<Utc>::UNIX_EPOCH,
        order: o,
        totals,
    };
    assert!(verify_document(&doc).is_ok());
    doc.totals.line_nets[1] = d("2.00");
    let e = verify_document(&doc).expect_err("tampered line");
    assert_eq!(e.field(), "totals.line_nets[1]");
    doc.totals = compute_totals(&doc.order).expect("valid");
    doc.totals.tax = d("0.64");
    let e = verify_document(&doc).expect_err("tampered tax");
    assert_eq!((e.code(), e.field()), ("total_mismatch", "totals.tax"));
    assert!(e.to_string().contains("0.65"), "{e}");
}

#[test]
fn documents_refuse_unknown_fields_and_float_amounts() {
    let bad = r#"{"outlet_id":"O","tax_rate":13,"lines":[]}"#;
    assert!(serde_json::from_str::<OrderRequest>(bad).is_err());
    let bad = r#"{"outlet_id":"O","tax_rate":"13","lines":[],"total":"1.00"}"#;
    assert!(serde_json::from_str::<OrderRequest>(bad).is_err());
}

fn cents() -> impl Strategy<Value = Dec> {
    (0i64..1_000_000).prop_map(|c| Dec(Decimal::new(c, 2)))
}
fn qty() -> impl Strategy<Value = Dec> {
    (1i64..100_000).prop_map(|m| Dec(Decimal::new(m, 3)))
}

proptest! {
    #[test]
    fn totals_add_up_and_do_not_depend_on_line_order(
        lines in proptest::collection::vec((qty(), cents()), 1..30),
        rate in (0i64..=10_000).prop_map(|r| Dec(Decimal::new(r, 2))),
    ) {
        let ls: Vec<_> = lines.iter().enumerate()
            .map(|(i, (q, p))| OrderLineRequest { sku: format!("S{i}"), quantity: *q, unit_price: *p })
            .collect();
        let o = OrderRequest { outlet_id: "O".into(), tax_rate: rate, lines: ls.clone() };
        let t = compute_totals(&o).expect("generated orders are valid");
        let sum: Decimal = t.line_nets.iter().map(|n| n.value()).sum();
        prop_assert_eq!(sum, t.subtotal.value());
        prop_assert_eq!(t.subtotal.value() + t.tax.value(), t.total.value());
        prop_assert!(t.tax.value().scale() <= CURRENCY_PLACES);
        let mut rev = ls;
        rev.reverse();
        let t2 = compute_totals(&OrderRequest { outlet_id: "O".into(), tax_rate: rate, lines: rev }).expect("valid");
        prop_assert_eq!(t.total, t2.total);
        prop_assert_eq!(t.tax, t2.tax);
    }
}
