//! A pull's end on a device that holds orders (issue 16), natively over the memory store: an
//! order the server applied counts on top of the server's figures until a pull completes, and
//! the pull's last page settles that by moving one counter in the pull state. It reads and
//! rewrites no order, whichever tab answered the orders and whichever completes the pull.

use rust_decimal::Decimal;
use satchel_core::device::app::{Device, Ids};
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::plan::RecordId;
use satchel_core::device::records::LocalOrder;
use satchel_core::device::schema::{MetaKey, StoreId};
use satchel_core::device::store::{MemoryStore, RawKey, RawValue};
use satchel_core::device::testkit::{block_on, id, now, order, page, shop_page, van_json, Fixture};
use satchel_core::device::views;
use satchel_core::sync::protocol::{MutationResult, Outcome};
use satchel_core::vault::InsecureTestRng;

type Tab = Device<MemoryStore>;

fn van(tab: &Tab) -> Decimal {
    tab.state().van_available("SKU-00001").map(|s| s.available.value()).expect("the van holds rice")
}

fn pending_on_device(tab: &Tab) -> Decimal {
    views::outlet(&tab.state(), "OUT-0002").and_then(|o| o.credit).map(|c| c.pending_on_device.value()).expect("the outlet has credit")
}

/// A device signed in over `store`, with the shop's first pull.
async fn shop(f: &Fixture, store: MemoryStore, rng: &mut InsecureTestRng) -> Tab {
    let tab = f.sign_in(store).await.expect("signs in");
    tab.apply_pull_page(&shop_page().expect("a page"), rng).await.expect("pulls");
    tab
}

/// Commits order `k`: `qty` bags of rice for Corner Mart.
async fn sell(tab: &Tab, k: u64, qty: &str, rng: &mut InsecureTestRng) {
    let req = CommitRequest { order: order("OUT-0002", &[("SKU-00001", qty)]).expect("an order"), draft_id: None, task_id: None };
    tab.commit_order(req, now(), Ids { record: id(k), mutation: id(10_000 + k) }, rng).await.expect("committed");
}

/// Commits `n` orders of 2 bags of rice from `first`, pushes them and settles the server's
/// "applied" answers in `tab`.
async fn sell_and_push(tab: &Tab, first: u64, n: u64, rng: &mut InsecureTestRng) {
    for k in first..first + n {
        sell(tab, k, "2", rng).await;
    }
    let batch = tab.outbox_batch(None, 100).await.expect("the outbox");
    assert_eq!(batch.sealed.len() as u64, n, "every order is pushed");
    let results: Vec<MutationResult> = batch.sealed.iter().map(|m| MutationResult { seq: m.seq, id: m.id, outcome: Outcome::Applied }).collect();
    tab.acknowledge(&results, &[], 1_000, rng).await.expect("answers settled");
}

#[test]
fn a_complete_pull_counts_the_answered_orders_in_without_reading_them() {
    block_on(async {
        let f = Fixture::new(21);
        let rng = &mut InsecureTestRng::new(21);
        let store = MemoryStore::new();
        let a = shop(&f, store.clone(), rng).await;
        let b = f.open_tab(store.clone()).await.expect("a second tab");
        assert_eq!(a.state().pulls_completed(), 1, "the first pull completed");

        // Ten orders of 2, applied by the server: the van the server last sent (40) less 20.
        sell_and_push(&a, 1, 10, rng).await;
        assert_eq!(van(&a), Decimal::from(20), "applied orders count on top until a pull completes");
        assert!(a.state().orders().all(|o| o.awaiting_pull == Some(1)), "each awaits the pull after the first");
        let owed = pending_on_device(&a);
        assert!(owed > Decimal::ZERO, "the orders' amount counts on the outlet's balance");
        b.refresh(None).await.expect("b reloads");
        assert_eq!(van(&b), Decimal::from(20), "the other tab derives the same");

        // The server's figures now include the orders. A first page alone changes nothing:
        // the pull is not complete.
        let first = page("v2.1", true, serde_json::json!([{"entity": "van_stock", "key": "SKU-00001", "data": van_json("20")}])).expect("a page");
        b.apply_pull_page(&first, rng).await.expect("first page");
        assert_eq!(van(&b), Decimal::ZERO, "an incomplete pull keeps them on top");

        // The last page: the pull completes in one record, no order read or written.
        let orders_before = store.touched(StoreId::Orders);
        let last = page("v2.2", false, serde_json::json!([])).expect("a page");
        b.apply_pull_page(&last, rng).await.expect("last page");
        assert_eq!(store.touched(StoreId::Orders), orders_before, "the last page reads and writes no order");
        assert_eq!(b.state().pulls_completed(), 2);
        assert_eq!(van(&b), Decimal::from(20), "the server's figure, which includes them");
        assert_eq!(pending_on_device(&b), Decimal::ZERO, "nothing pending on the outlet");

        // The tab that answered them learns of the pull from the pull state alone.
        a.refresh(Some(&[RecordId::Meta(MetaKey::Pulls), RecordId::Van("SKU-00001".into())])).await.expect("a refreshes");
        assert_eq!(van(&a), Decimal::from(20), "a counts them in from the pull counter");
        assert_eq!(pending_on_device(&a), Decimal::ZERO);

        // Another pull completes in b while a has not heard of it; a then sells and is answered.
        // The answer reads the pull counter in its own transaction: the order awaits the pull
        // after b's, not the one a remembers.
        b.apply_pull_page(&page("v2.3", false, serde_json::json!([])).expect("a page"), rng).await.expect("b pulls");
        assert_eq!(a.state().pulls_completed(), 2, "a has not refreshed");
        sell_and_push(&a, 11, 1, rng).await;
        a.refresh(Some(&[RecordId::Meta(MetaKey::Pulls)])).await.expect("a refreshes");
        assert_eq!(a.state().pulls_completed(), 3);
        assert_eq!(van(&a), Decimal::from(18), "the new order still counts on top of the last figure");
        b.refresh(Some(&[RecordId::Order(id(11))])).await.expect("b reads the new order");
        assert_eq!(van(&b), Decimal::from(18), "and in the other tab");

        // A tab still running the version before the counter rewrites the pull state whole,
        // without it: the count, a record of its own, stands.
        let old = r#"{"checkpoint":"v2.4","complete":true,"remaining":0,"pulled_at":"2026-11-22T10:00:00+00:00"}"#;
        store.put_raw(StoreId::Meta, RawKey::Text("pull".into()), RawValue::Text(old.into()));
        b.refresh(None).await.expect("b reloads");
        assert_eq!(b.state().pull().checkpoint.as_deref(), Some("v2.4"), "the older tab's pull state is read");
        assert_eq!(b.state().pulls_completed(), 3, "and the count is not reset by it");
        assert_eq!(van(&b), Decimal::from(18), "so the orders a pull included stay counted in");
    })
    .expect("the memory store never waits");
}

#[test]
fn an_order_stored_with_the_flag_awaits_the_next_complete_pull() {
    block_on(async {
        let f = Fixture::new(22);
        let rng = &mut InsecureTestRng::new(22);
        let device = shop(&f, MemoryStore::new(), rng).await;
        sell_and_push(&device, 1, 1, rng).await;
        let stored = device.state().orders().next().cloned().expect("an order");
        let mut json = serde_json::to_value(&stored).expect("encodes");
        assert_eq!(json["awaiting_pull_after"], serde_json::json!(1), "the watermark is stored");

        // As the orders of before the watermark were stored: a flag, and no pull counter.
        let object = json.as_object_mut().expect("an object");
        object.remove("awaiting_pull_after");
        object.insert("awaiting_pull".into(), serde_json::json!(true));
        let legacy: LocalOrder = serde_json::from_value(json.clone()).expect("decodes");
        assert_eq!(legacy.awaiting_pull, Some(0));
        assert!(legacy.counts_on_top(0), "on top until a pull completes");
        assert!(!legacy.counts_on_top(1), "in the figures of the next complete pull");
        json.as_object_mut().expect("an object").remove("awaiting_pull");
        let settled: LocalOrder = serde_json::from_value(json).expect("decodes");
        assert_eq!(settled.awaiting_pull, None);
        assert!(!settled.counts_on_top(0), "an applied order awaiting nothing is in the figures");
    })
    .expect("the memory store never waits");
}

#[test]
fn answers_kept_while_locked_await_the_pull_after_the_ones_completed() {
    block_on(async {
        let f = Fixture::new(23);
        let rng = &mut InsecureTestRng::new(23);
        let device = shop(&f, MemoryStore::new(), rng).await;
        device.apply_pull_page(&page("v2.1", false, serde_json::json!([])).expect("a page"), rng).await.expect("pulls again");
        assert_eq!(device.state().pulls_completed(), 2);

        // An order is pushed and the workspace locks before the answer comes: it is kept sealed.
        sell(&device, 1, "3", rng).await;
        let batch = device.outbox_batch(None, 10).await.expect("the outbox");
        device.lock();
        let results: Vec<MutationResult> = batch.sealed.iter().map(|m| MutationResult { seq: m.seq, id: m.id, outcome: Outcome::Applied }).collect();
        assert!(device.acknowledge(&results, &[], 1_000, rng).await.expect("kept").is_none(), "kept while locked");

        // At unlock it is settled with the count of pulls read then: it awaits the third.
        device.unlock(f.keys().expect("keys"), rng).await.expect("unlocks");
        let o = device.state().orders().next().cloned().expect("the order");
        assert_eq!(o.awaiting_pull, Some(2));
        assert_eq!(van(&device), Decimal::from(37), "the server's 40 less the 3 its figure does not include yet");
        device.apply_pull_page(&page("v2.2", false, serde_json::json!([{"entity": "van_stock", "key": "SKU-00001", "data": van_json("37")}])).expect("a page"), rng).await.expect("pulls");
        assert_eq!(van(&device), Decimal::from(37), "the next complete pull includes it, once");
    })
    .expect("the memory store never waits");
}

#[test]
fn an_outcome_told_by_the_last_page_is_in_its_figures_at_once() {
    block_on(async {
        let f = Fixture::new(24);
        let rng = &mut InsecureTestRng::new(24);
        let device = shop(&f, MemoryStore::new(), rng).await;

        // The server keeps the order waiting (deferred): it still counts on top.
        sell(&device, 1, "5", rng).await;
        let batch = device.outbox_batch(None, 10).await.expect("the outbox");
        let m = batch.sealed.first().expect("one entry");
        let deferred = Outcome::Deferred { waiting_for: vec!["mutation:x".into()], reason: "waits".into() };
        device.acknowledge(&[MutationResult { seq: m.seq, id: m.id, outcome: deferred }], &[], 1_000, rng).await.expect("settled");
        assert_eq!(van(&device), Decimal::from(35), "a deferred order still takes from the van");

        // The pull that ends tells it applied, with the van figure that includes it.
        let told = serde_json::to_value(MutationResult { seq: m.seq, id: m.id, outcome: Outcome::Applied }).expect("encodes");
        let last = page("v2.1", false, serde_json::json!([
            {"entity": "van_stock", "key": "SKU-00001", "data": van_json("35")},
            {"entity": "mutation_result", "key": m.id.to_string(), "data": told},
        ]))
        .expect("a page");
        device.apply_pull_page(&last, rng).await.expect("pulls");
        let o = device.state().orders().next().cloned().expect("the order");
        assert!(o.fate.is_applied(), "the page settled it");
        assert_eq!(o.awaiting_pull, None, "it awaits no pull: the page brought the figures that include it");
        assert_eq!(van(&device), Decimal::from(35), "counted once");
    })
    .expect("the memory store never waits");
}
