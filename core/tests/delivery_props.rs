//! Properties of the delivery day's money and stock rules (issue 14): the settlement is a pure
//! function of the day's records whose expected van stock and expected cash are exactly the sums
//! of their movements, and collections never take more than is owed unless the deployment allows
//! an advance.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use satchel_core::delivery::{check_collection, differences, settle, AdvancePolicy, Allocation, Collection, DayDocument, DayRecords, Method, OpenInvoice};
use satchel_core::money::Dec;

fn cents(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

fn sku(i: u8) -> String {
    format!("SKU-{:05}", i % 6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Expected van stock per SKU = loaded − delivered + returned, expected cash = float + cash
    /// collected, variances = counted − expected; a settlement equals itself, and loses a
    /// document visibly.
    #[test]
    fn the_settlement_is_the_sum_of_the_days_movements(
        loaded in proptest::collection::vec((any::<u8>(), 0i64..500), 0..8),
        docs in proptest::collection::vec((any::<bool>(), 1i64..50_000, proptest::collection::vec((any::<u8>(), 1i64..40), 1..4)), 0..12),
        cash in proptest::collection::vec((any::<bool>(), 1i64..20_000), 0..8),
        float in 0i64..20_000,
        counts in proptest::collection::vec(0i64..500, 6),
        counted_cash in 0i64..100_000,
    ) {
        let mut day = DayRecords { opening_float: Dec(cents(float)), ..DayRecords::default() };
        for (s, q) in &loaded {
            *day.loaded.entry(sku(*s)).or_insert(Dec(Decimal::ZERO)) = Dec(Decimal::from(*q));
        }
        for (i, (returned, total, lines)) in docs.iter().enumerate() {
            day.documents.push(DayDocument {
                order_id: Uuid::from_u128(i as u128 + 1),
                number: format!("SO-{i:07}"),
                returned: *returned,
                total: Dec(cents(*total)),
                lines: lines.iter().map(|(s, q)| (sku(*s), Dec(Decimal::from(*q)))).collect(),
            });
        }
        for (i, (is_cash, amount)) in cash.iter().enumerate() {
            let method = if *is_cash { Method::Cash } else { Method::MobileMoney { reference: format!("MM-{i}") } };
            day.collections.push(Collection { collection_id: Uuid::from_u128(1000 + i as u128), outlet_id: "OUT".into(), method, amount: Dec(cents(*amount)), allocations: Vec::new() });
        }
        let counted: BTreeMap<String, Dec> = counts.iter().enumerate().map(|(i, q)| (sku(i as u8), Dec(Decimal::from(*q)))).collect();
        let s = settle(&day, Some(&counted), Some(Dec(cents(counted_cash))));

        for line in &s.van {
            let loaded = day.loaded.get(&line.sku).map(|d| d.value()).unwrap_or_default();
            let moved = |ret: bool| -> Decimal {
                day.documents.iter().filter(|d| d.returned == ret).flat_map(|d| d.lines.iter()).filter(|(k, _)| *k == line.sku).map(|(_, q)| q.value()).sum()
            };
            prop_assert_eq!(line.expected.value(), loaded - moved(false) + moved(true));
            let c = counted.get(&line.sku).map(|d| d.value()).unwrap_or_default();
            prop_assert_eq!(line.variance.map(|v| v.value()), Some(c - line.expected.value()));
        }
        let cash_in: Decimal = day.collections.iter().filter(|c| c.method == Method::Cash).map(|c| c.amount.value()).sum();
        prop_assert_eq!(s.expected_cash.value(), cents(float) + cash_in);
        prop_assert_eq!(s.cash_variance.map(|v| v.value()), Some(cents(counted_cash) - cents(float) - cash_in));
        let collected: Decimal = s.collected.values().map(|d| d.value()).sum();
        prop_assert_eq!(collected, day.collections.iter().map(|c| c.amount.value()).sum::<Decimal>());
        prop_assert_eq!(s.invoices + s.returns, u32::try_from(day.documents.len()).unwrap_or(u32::MAX));

        prop_assert!(differences(&s, &s).is_empty());
        if !day.documents.is_empty() {
            let mut fewer = day.clone();
            fewer.documents.pop();
            let other = settle(&fewer, Some(&counted), Some(Dec(cents(counted_cash))));
            prop_assert!(!differences(&s, &other).is_empty(), "a missing document shows");
        }
    }

    /// Collections accepted one after the other never take more from an invoice than it owes,
    /// and without advances they are allocated in full.
    #[test]
    fn collections_never_exceed_what_is_owed_without_an_advance(
        owed in proptest::collection::vec(1i64..50_000, 1..5),
        attempts in proptest::collection::vec((proptest::collection::vec((0usize..5, 1i64..30_000), 1..3), 0i64..5_000), 1..10),
        allow in any::<bool>(),
    ) {
        let policy = if allow { AdvancePolicy::Allow } else { AdvancePolicy::Refuse };
        let open: Vec<OpenInvoice> = owed.iter().enumerate().map(|(i, o)| OpenInvoice { order_id: Uuid::from_u128(i as u128 + 1), number: format!("SO-{i}"), outstanding: Dec(cents(*o)) }).collect();
        let mut accepted: Vec<Collection> = Vec::new();
        for (n, (parts, extra)) in attempts.iter().enumerate() {
            let allocations: Vec<Allocation> = parts.iter().map(|(i, a)| Allocation { order_id: Uuid::from_u128((*i % open.len()) as u128 + 1), amount: Dec(cents(*a)) }).collect();
            let sum: Decimal = allocations.iter().map(|a| a.amount.value()).sum();
            let c = Collection { collection_id: Uuid::from_u128(500 + n as u128), outlet_id: "OUT".into(), method: Method::Cash, amount: Dec(sum + cents(*extra)), allocations };
            if check_collection(&c, &open, &accepted, 2, policy).is_ok() {
                if !allow {
                    prop_assert_eq!(c.advance(), Decimal::ZERO);
                }
                prop_assert!(c.advance() >= Decimal::ZERO);
                accepted.push(c);
            }
        }
        for inv in &open {
            let taken: Decimal = accepted.iter().flat_map(|c| c.allocations.iter()).filter(|a| a.order_id == inv.order_id).map(|a| a.amount.value()).sum();
            prop_assert!(taken <= inv.outstanding.value(), "{} took {} of {}", inv.number, taken, inv.outstanding);
        }
    }
}
