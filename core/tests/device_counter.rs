//! The counter on the device, natively over the memory store: a shift from its float to its Z
//! report, with cash, card and split sales, a refused tender, a refund against a receipt, a
//! paid-out, a parked cart and a second tab, and the Z report recomputed the way the server
//! does from the receipts' documents alone.

use satchel_core::device::app::{Ids, NewVault};
use satchel_core::device::counter::Tendered;
use satchel_core::device::store::MemoryStore;
use satchel_core::device::testkit::{block_on, id, now, order, page, Fixture};
use satchel_core::device::Device;
use satchel_core::money::{parse_decimal, Dec};
use satchel_core::pos::{self, CashMovement, Denomination, ReturnLine, Tender};
use satchel_core::sales::{NumberRange, SalesDocument};
use satchel_core::sync::protocol::MutationBody;
use satchel_core::vault::{InsecureTestRng, LockState};

fn d(s: &str) -> Dec {
    Dec(parse_decimal(s).expect("a decimal literal"))
}

fn shop() -> serde_json::Value {
    let product = |sku: &str, name: &str, unit: &str, places: u32| {
        serde_json::json!({"sku": sku, "name": name, "unit": unit, "quantity_places": places, "barcodes": [format!("06280000{}", &sku[4..])]})
    };
    serde_json::json!([
        {"entity": "settings", "key": "sales", "data": {"settings": {"rule_set": "ca", "currency": "CAD",
            "policy": {"discount_caps": {"rep": "10"}},
            "counter": {"walk_in_outlet": "WALK-IN", "seller": ["Corner Shop", "GST/HST 123456789 RT0001"],
                "denominations": ["20", "10", "5", "1", "0.25", "0.10", "0.05"], "other_tenders": ["mobile_money"],
                "refund_to": "original_tenders", "no_receipt": "manager_approval", "quick_keys": ["SKU-00001"]}}, "role": "rep"}},
        {"entity": "price_list", "key": "PL-1", "data": {"id": "PL-1", "outlet_group": "retail", "valid_from": "2020-01-01",
            "prices": {"SKU-00001": "4.99", "SKU-00002": "12.00", "SKU-00003": "7.49"}}},
        {"entity": "product", "key": "SKU-00001", "data": product("SKU-00001", "Maple Basmati Rice", "each", 0)},
        {"entity": "product", "key": "SKU-00002", "data": product("SKU-00002", "Sunflower Oil 2L", "each", 0)},
        {"entity": "product", "key": "SKU-00003", "data": product("SKU-00003", "Cheddar", "kg", 3)},
        {"entity": "outlet", "key": "WALK-IN", "data": {"id": "WALK-IN", "name": "Walk-in customer", "route": "COUNTER",
            "address": "", "phone": "", "group": "retail", "place_of_supply": "CA-ON", "version": 1}},
    ])
}

async fn cashier(f: &Fixture) -> Device<MemoryStore> {
    let device = Device::open(MemoryStore::new()).await.expect("opens");
    let new = NewVault {
        device: f.device.clone(),
        vault: f.vault.clone(),
        lock: LockState { locked: false, ..LockState::default() },
        number_ranges: vec![
            NumberRange { prefix: "SO-".into(), first: 1000, last: 1999 },
            NumberRange { prefix: "R1-".into(), first: 1, last: 1000 },
        ],
    };
    device.create_vault(new, f.keys().expect("keys"), &mut InsecureTestRng::new(7)).await.expect("signs in");
    device.apply_pull_page(&page("v1", false, shop()).expect("a page"), &mut InsecureTestRng::new(8)).await.expect("pulls");
    device
}

fn ids(n: u64) -> Ids {
    Ids { record: id(n), mutation: id(n + 1000) }
}

fn cash(a: &str) -> Tender {
    Tender::Cash { amount: d(a) }
}

fn sale(lines: &[(&str, &str)], tenders: Vec<Tender>) -> Tendered {
    Tendered { order: order("WALK-IN", lines).expect("an order"), tenders, refund_of: None, approval: None, parked: None }
}

#[test]
fn a_shift_from_float_to_z_report_recomputed_from_its_receipts() {
    block_on(async {
        let mut f = Fixture::new(31);
        f.device.register = Some("R1".into());
        let device = cashier(&f).await;
        let rng = &mut InsecureTestRng::new(9);
        let float = vec![Denomination { value: d("20"), count: 5 }, Denomination { value: d("1"), count: 10 }];
        let view = device.open_shift(float, now(), ids(1), rng).await.expect("opens");
        assert_eq!(view.register.as_deref(), Some("R1"));
        assert_eq!(view.receipts_left, 1000);
        assert_eq!(view.shift.as_ref().map(|s| s.x.opening_float), Some(d("110")));
        let again = device.open_shift(vec![], now(), ids(2), rng).await.expect_err("one shift at a time");
        assert!(again.to_string().contains("still open"), "{again}");

        // Cash with change: 2 x 4.99 + 13 % HST = 11.28, cash-rounded to 11.30; 20 given.
        let r1 = device.tender(sale(&[("SKU-00001", "2")], vec![cash("20")]), now(), ids(3), rng).await.expect("sold");
        assert_eq!((r1.number.as_str(), r1.total, r1.due, r1.rounding, r1.change), ("R1-0000001", d("11.28"), d("11.30"), d("0.02"), d("8.70")));

        // The same cart again a minute later: a paid sale, not a likely duplicate to review.
        let again = device.tender(sale(&[("SKU-00001", "2")], vec![cash("11.30")]), now() + chrono::TimeDelta::minutes(1), ids(20), rng).await.expect("sold again");
        assert_eq!(again.change, d("0"));
        let flagged = device.state().order(&again.order_id).map(|o| o.document.flagged);
        assert_eq!(flagged, Some(false), "the duplicate rule does not apply at the counter");

        // Not enough: refused, and no number used.
        let short = device.tender(sale(&[("SKU-00002", "1")], vec![cash("5")]), now(), ids(4), rng).await.expect_err("short");
        assert!(short.to_string().contains("still to pay"), "{short}");
        // A discount over the cashier's 10 % cap is refused too.
        let mut capped = sale(&[("SKU-00002", "1")], vec![cash("20")]);
        capped.order.lines[0].discount_percent = Some(d("15"));
        let over = device.tender(capped, now(), ids(5), rng).await.expect_err("over the cap");
        assert!(matches!(&over, satchel_core::device::DeviceError::Invalid { code, .. } if code == "discount_cap"), "{over:?}");

        // Card with its approval reference: never rounded.
        let card = Tender::Card { amount: d("13.56"), reference: Some("AUTH-7781".into()) };
        let r2 = device.tender(sale(&[("SKU-00002", "1")], vec![card]), now(), ids(6), rng).await.expect("sold by card");
        assert_eq!((r2.number.as_str(), r2.rounding, r2.change), ("R1-0000003", d("0"), d("0")));

        // Split: a weighed item (1.235 kg at 7.49 = 9.25, + HST 1.20 = 10.45), 5 by mobile money, the rest cash.
        let mm = Tender::Other { method: "mobile_money".into(), amount: d("5"), reference: "MM-1".into() };
        let r3 = device.tender(sale(&[("SKU-00003", "1.235")], vec![mm, cash("10")]), now(), ids(7), rng).await.expect("split");
        assert_eq!(r3.number, "R1-0000004");
        assert_eq!(r3.change.value(), r3.tendered.value() - r3.due.value());

        // Refund one of the two bags of rice from the first receipt: back in cash, as it was paid.
        let proposal = device.propose_refund(r1.order_id, &[ReturnLine { line: 0, quantity: d("1") }], now()).expect("proposed");
        assert_eq!(proposal.amount, d("5.64"));
        assert_eq!(proposal.tenders, vec![cash("5.65")], "cash back is cash-rounded like cash taken");
        let refund = Tendered { order: proposal.order.clone(), tenders: proposal.tenders.clone(), refund_of: Some(proposal.refund_of.clone()), approval: None, parked: None };
        let r4 = device.tender(refund, now(), ids(8), rng).await.expect("refunded");
        assert!(r4.refund);
        assert_eq!(r4.refund_of.as_deref(), Some("R1-0000001"));
        // The second bag can still go back, a third cannot.
        assert!(device.propose_refund(r1.order_id, &[ReturnLine { line: 0, quantity: d("2") }], now()).is_err());
        // The card receipt's refund goes back to the card.
        let back = device.propose_refund(r2.order_id, &[ReturnLine { line: 0, quantity: d("1") }], now()).expect("proposed");
        assert_eq!(back.tenders, vec![Tender::Card { amount: d("13.56"), reference: None }]);

        device.record_movement(CashMovement::PaidOut { amount: d("3.50"), reason: "milk for the shop".into() }, now(), id(9), rng).await.expect("paid out");
        assert!(device.record_movement(CashMovement::NoSale { reason: " ".into() }, now(), id(10), rng).await.is_err());

        // Receipts found by number, last digits, amount, date, date and amount.
        let numbers = |q: &str| device.find_receipts(q, 10).expect("found").into_iter().map(|h| h.number).collect::<Vec<_>>();
        assert_eq!(numbers("R1-0000004"), ["R1-0000004"]);
        assert_eq!(numbers("0004"), ["R1-0000004"]);
        assert_eq!(numbers("13.56"), ["R1-0000003"]);
        assert_eq!(numbers("2026-11-22").len(), 5, "every receipt of the day");
        assert_eq!(numbers("2026-11-22 13.56"), ["R1-0000003"]);
        assert!(numbers("2026-11-23").is_empty());

        // Park a cart, see it from a second tab, drop it.
        let parked = device.park(order("WALK-IN", &[("SKU-00001", "1")]).expect("order"), "red coat", now(), id(11), rng).await.expect("parked");
        assert_eq!(parked.parked.len(), 1);
        let tab = f.open_tab(device.store().clone()).await.expect("second tab");
        let seen = tab.counter_view().expect("view");
        assert_eq!(seen.parked.len(), 1, "the other tab sees the parked cart");
        assert_eq!(seen.shift.as_ref().map(|s| s.x.sales), Some(4));
        device.drop_parked(parked.parked[0].id, rng).await.expect("dropped");

        let x = device.counter_view().expect("view").shift.expect("open").x;
        let counted = vec![Denomination { value: d("20"), count: 5 }, Denomination { value: d("1"), count: 20 }, Denomination { value: d("0.05"), count: 3 }];
        let closed = device.close_shift(counted.clone(), now(), id(12), rng).await.expect("closed");
        let z = closed.report.clone();
        assert_eq!((z.sales, z.refunds), (4, 1));
        assert_eq!(z.expected_cash, x.expected_cash);
        assert_eq!(z.receipt_range, Some(("R1-0000001".into(), "R1-0000005".into())), "gap-free: the refused tenders used no number");
        assert_eq!(z.variance.map(|v| v.value()), Some(parse_decimal("120.15").expect("d") - z.expected_cash.value()));
        assert!(device.record_movement(CashMovement::NoSale { reason: "after".into() }, now(), id(13), rng).await.is_err(), "a closed shift takes nothing");

        // What the server receives: the outbox opened with the server's key.
        let batch = device.outbox_batch(None, 100).await.expect("outbox");
        let sent = f.sent(&device).await.expect("the server opens the outbox");
        assert_eq!(batch.receipts_left, Some(995));
        assert_eq!(batch.numbers_left, 1000, "receipts use no order numbers");

        // The server's recomputation: the receipts' documents alone, checked with core.
        let state = device.state();
        let rules = state.rules().expect("rules").clone();
        let settings = state.sales().and_then(|m| m.settings.clone()).and_then(|s| s.counter).expect("counter settings");
        let mut docs: Vec<SalesDocument> = state.orders().map(|o| o.document.clone()).filter(|d| d.counter.is_some()).collect();
        docs.sort_by(|a, b| a.document_number.cmp(&b.document_number));
        let mut figures = Vec::new();
        for doc in &docs {
            let taxes = satchel_core::device::commit::quote_at_counter(&state, &doc.order, doc.committed_at).expect("quoted").taxes.expect("taxed");
            figures.push(pos::check(doc, &taxes, &rules, &settings).expect("checks").figures);
        }
        let movements: Vec<CashMovement> = sent
            .iter()
            .filter_map(|m| match &m.body { MutationBody::CashMovement(e) => Some(e.movement.clone()), _ => None })
            .collect();
        let server = pos::shift::report(parse_decimal("110").expect("d"), &figures, &movements, Some(&counted));
        assert_eq!(pos::differences(&z, &server), vec![], "the server's Z equals the device's");

        // The close depends on the opening (sequence order puts it after every receipt).
        let close = sent.iter().find(|m| matches!(m.body, MutationBody::ShiftClose(_))).expect("queued");
        let opening = sent.iter().find(|m| matches!(m.body, MutationBody::ShiftOpen(_))).expect("queued");
        assert_eq!(close.depends_on, vec![opening.id]);
        assert!(sent.iter().all(|m| m.seq <= close.seq), "the close is the last of the shift");

        // What the server compares at the close: nothing when it holds what the device counted;
        // a receipt it refused shows as the count and the figures it changed.
        let MutationBody::ShiftClose(closing) = &close.body else { panic!("a close") };
        assert_eq!(pos::closing_differences(closing, figures.len(), movements.len(), &server), vec![]);
        let without_last = pos::shift::report(parse_decimal("110").expect("d"), &figures[..figures.len() - 1], &movements, Some(&counted));
        let missing = pos::closing_differences(closing, figures.len() - 1, movements.len(), &without_last);
        let fields: Vec<&str> = missing.iter().map(|d| d.field.as_str()).collect();
        assert!(fields.starts_with(&["receipts"]) && fields.contains(&"net_total"), "{fields:?}");
    })
    .expect("never waits");
}
