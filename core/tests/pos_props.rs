//! Properties of the counter's money rules (issue 13): tenders and change, cash rounding only
//! of the cash part, and a Z report that is exactly the sum of its receipts.

use proptest::prelude::*;
use rust_decimal::Decimal;

use satchel_core::money::Dec;
use satchel_core::pos::{report, settle, ReceiptFigures, ReceiptKind, Tender};

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Cards (each within what is left) then cash: once complete, change = tendered − due, the
    /// due is the total plus a rounding that exists only when cash paid and is at most half a
    /// step, and what the shop keeps per tender kind adds up to the due.
    #[test]
    fn change_is_tendered_minus_due_and_only_cash_is_rounded(
        total in 0i64..100_000,
        cards in proptest::collection::vec(1i64..50_000, 0..3),
        cash in proptest::option::of(1i64..200_000),
        rounds in any::<bool>(),
    ) {
        let total = cents(total);
        let step = rounds.then(|| cents(5));
        let mut tenders = Vec::new();
        let mut left = total;
        for c in cards {
            let c = cents(c);
            if c <= left && c > Decimal::ZERO {
                tenders.push(Tender::Card { amount: Dec(c), reference: None });
                left -= c;
            }
        }
        if let Some(c) = cash {
            if left > Decimal::ZERO {
                tenders.push(Tender::Cash { amount: Dec(cents(c)) });
            }
        }
        let s = settle(total, 2, step, &tenders).expect("valid tenders settle");
        let paid_cash = tenders.iter().any(|t| matches!(t, Tender::Cash { .. }));
        prop_assert_eq!(s.due.value(), total + s.rounding.value());
        if !paid_cash || step.is_none() {
            prop_assert_eq!(s.rounding.value(), Decimal::ZERO);
        }
        if let Some(step) = step {
            prop_assert!(s.rounding.value().abs() * Decimal::TWO <= step);
        }
        prop_assert!(s.change.value() >= Decimal::ZERO);
        if s.complete {
            prop_assert_eq!(s.change.value(), s.tendered.value() - s.due.value());
            prop_assert_eq!(s.remaining.value(), Decimal::ZERO);
            let kept: Decimal = s.by_kind.iter().map(|(_, v)| v.value()).sum();
            prop_assert_eq!(kept, s.due.value());
        } else {
            prop_assert_eq!(s.change.value(), Decimal::ZERO);
            prop_assert!(s.remaining.value() > Decimal::ZERO);
            prop_assert_eq!(s.tendered.value() + s.remaining.value(), s.due.value());
            // "Exact cash": tendering what the settlement says cash still needs completes the
            // sale with no change (unless the rest rounds away to nothing in cash).
            if s.cash_remaining.value() > Decimal::ZERO {
                let mut exact = tenders.clone();
                exact.push(Tender::Cash { amount: s.cash_remaining });
                let done = settle(total, 2, step, &exact).expect("exact cash settles");
                prop_assert!(done.complete);
                prop_assert_eq!(done.change.value(), Decimal::ZERO);
            }
        }
    }

    /// The Z report's totals are the sums of its receipts: net total, tax per code and tenders
    /// per kind, refunds counted against sales.
    #[test]
    fn the_z_report_is_the_sum_of_its_receipts(
        receipts in proptest::collection::vec((any::<bool>(), 1i64..50_000, 0i64..5_000, 0i64..3, any::<bool>()), 0..60),
        float in 0i64..50_000,
    ) {
        let figures: Vec<ReceiptFigures> = receipts
            .iter()
            .enumerate()
            .map(|(i, (refund, total, tax, code, by_card))| ReceiptFigures {
                number: format!("R1-{i:06}"),
                kind: if *refund { ReceiptKind::Refund } else { ReceiptKind::Sale },
                discount: Dec(Decimal::ZERO),
                taxes: [(format!("T{code}"), Dec(cents(*tax)))].into_iter().collect(),
                total: Dec(cents(*total)),
                rounding: Dec(Decimal::ZERO),
                tenders: vec![((if *by_card { "card" } else { "cash" }).to_string(), Dec(cents(*total)))],
            })
            .collect();
        let z = report(cents(float), &figures, &[], None);
        let signed = |r: &ReceiptFigures, v: Decimal| if r.kind == ReceiptKind::Refund { -v } else { v };
        let net: Decimal = figures.iter().map(|r| signed(r, r.total.value())).sum();
        prop_assert_eq!(z.net_total.value(), net);
        prop_assert_eq!(z.sales + z.refunds, figures.len() as u32);
        for code in ["T0", "T1", "T2"] {
            let sum: Decimal = figures.iter().filter_map(|r| r.taxes.get(code).map(|t| signed(r, t.value()))).sum();
            prop_assert_eq!(z.taxes.get(code).map(|d| d.value()).unwrap_or_default(), sum);
        }
        let tenders: Decimal = z.tenders.values().map(|d| d.value()).sum();
        prop_assert_eq!(tenders, net);
        let cash: Decimal = figures.iter().filter(|r| r.tenders[0].0 == "cash").map(|r| signed(r, r.total.value())).sum();
        prop_assert_eq!(z.expected_cash.value(), cents(float) + cash);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Refund after refund of one receipt: no line ever returns more than it sold, every refund
    /// is paid back in full, and no non-cash kind gets back more than it paid.
    #[test]
    fn refunds_never_exceed_the_sale(
        sold in proptest::collection::vec(1i64..20, 1..5),
        asks in proptest::collection::vec((0usize..5, 1i64..10, 1i64..10_000), 1..8),
        card in 0i64..100_000,
        cash in 0i64..100_000,
    ) {
        use satchel_core::pos::{plan_return, refund_tenders, RefundTo, ReturnLine, SoldLine};
        let mut lines: Vec<SoldLine> = sold.iter().enumerate().map(|(i, q)| SoldLine { sku: format!("S{i}"), quantity: Dec(Decimal::from(*q)), refunded: Dec(Decimal::ZERO) }).collect();
        let kept = vec![("card".to_string(), Dec(cents(card))), ("cash".to_string(), Dec(cents(cash)))];
        let mut given_back: Vec<(String, Dec)> = Vec::new();
        for (line, qty, amount) in asks {
            let ask = [ReturnLine { line, quantity: Dec(Decimal::from(qty)) }];
            match plan_return(&lines, &ask) {
                Ok(plan) => {
                    prop_assert_eq!(plan.len(), 1);
                    let l = &mut lines[line];
                    l.refunded = Dec(l.refunded.value() + Decimal::from(qty));
                    prop_assert!(l.refunded.value() <= l.quantity.value());
                    let paid = refund_tenders(cents(amount), &kept, &given_back, RefundTo::OriginalTenders);
                    let total: Decimal = paid.iter().map(|(_, v)| v.value()).sum();
                    prop_assert_eq!(total, cents(amount));
                    given_back.extend(paid);
                    let card_back: Decimal = given_back.iter().filter(|(k, _)| k == "card").map(|(_, v)| v.value()).sum();
                    prop_assert!(card_back <= cents(card));
                }
                Err(e) => {
                    let left = lines.get(line).map(|l| l.quantity.value() - l.refunded.value());
                    prop_assert!(left.is_none_or(|left| Decimal::from(qty) > left), "refused {e} with enough left");
                }
            }
        }
    }
}
