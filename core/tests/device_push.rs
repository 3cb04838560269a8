//! What the device puts in a push (issue 16), natively over the memory store: a day of large
//! orders goes in pushes the server's body limit takes (before, 100 of them made a body the
//! server refused whole, on every retry), the batch read while another is in flight starts
//! right after it, and numbers leased by an answer settled later count in that batch already.

use satchel_core::device::app::Ids;
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::store::MemoryStore;
use satchel_core::device::testkit::{block_on, id, now, outlet_json, page, van_json, Fixture};
use satchel_core::sales::{NumberRange, SalesOrder};
use satchel_core::sync::protocol::{PushRequest, BODY_LIMIT, MAX_BATCH};
use satchel_core::vault::InsecureTestRng;

const SKUS: usize = 60;

fn sku(i: usize) -> String {
    format!("SKU-{i:05}")
}

/// A wholesale rep's catalogue: 60 products on one price list, all in the van.
fn catalogue() -> satchel_core::sync::protocol::PullResponse {
    let mut changes = vec![
        serde_json::json!({"entity": "settings", "key": "sales", "data": {"settings": {"rule_set": "ca", "currency": "CAD"}, "role": "rep"}}),
        serde_json::json!({"entity": "outlet", "key": "OUT-0001", "data": outlet_json("OUT-0001", "Joy's Grocery", "+1 416 555 0101", "0.00", 3)}),
    ];
    let prices: serde_json::Map<String, serde_json::Value> = (0..SKUS).map(|i| (sku(i), serde_json::json!(format!("{}.25", 3 + i)))).collect();
    changes.push(serde_json::json!({"entity": "price_list", "key": "PL-1", "data": {"id": "PL-1", "outlet_group": "retail", "valid_from": "2020-01-01", "prices": prices}}));
    for i in 0..SKUS {
        changes.push(serde_json::json!({"entity": "product", "key": sku(i), "data": {"sku": sku(i), "name": format!("Wholesale carton of product number {i}"), "unit": "each", "quantity_places": 0}}));
        changes.push(serde_json::json!({"entity": "van_stock", "key": sku(i), "data": van_json("100000")}));
    }
    page("v1.9", false, serde_json::Value::Array(changes)).expect("a page")
}

/// A return of one of every product (a return needs no credit and no stock: 150 of them fit).
fn big_return() -> SalesOrder {
    serde_json::from_value(serde_json::json!({
        "outlet_id": "OUT-0001", "business_date": "2026-11-22", "kind": "return",
        "lines": (0..SKUS).map(|i| serde_json::json!({"sku": sku(i), "quantity": "2"})).collect::<Vec<_>>()
    }))
    .expect("an order")
}

#[test]
fn a_day_of_large_orders_goes_in_pushes_the_server_takes_and_in_order() {
    block_on(async {
        let f = Fixture::new(16);
        let rng = &mut InsecureTestRng::new(16);
        let device = f.sign_in(MemoryStore::new()).await.expect("signs in");
        device.apply_pull_page(&catalogue(), rng).await.expect("pulls");
        let orders = 150u64;
        for n in 1..=orders {
            let req = CommitRequest { order: big_return(), draft_id: None, task_id: None };
            device.commit_order(req, now(), Ids { record: id(n), mutation: id(10_000 + n) }, rng).await.expect("committed");
        }
        let body = |b: &satchel_core::device::app::Outbox| {
            let req = PushRequest { device_id: f.device.device_id, mutations: Vec::new(), sealed: b.sealed.clone(), numbers_left: Some(b.numbers_left), receipts_left: b.receipts_left, sent_at: Some(now()), marks: Some(b.marks.clone()) };
            serde_json::to_vec(&req).expect("encodes").len()
        };
        let mut after = None;
        let mut seqs = Vec::new();
        let mut pushes = Vec::new();
        loop {
            let batch = device.outbox_batch(after, MAX_BATCH as u32).await.expect("reads");
            let Some(last) = batch.last_seq() else { break };
            let size = body(&batch);
            assert!(size <= BODY_LIMIT, "a push of {} entries is {size} bytes, over the server's {BODY_LIMIT}", batch.sealed.len());
            seqs.extend(batch.sealed.iter().map(|e| e.seq));
            pushes.push((batch.sealed.len(), size));
            after = Some(last);
        }
        assert_eq!(seqs, (1..=orders).collect::<Vec<_>>(), "every entry once, in order, batch after batch");
        assert!(pushes.len() > orders as usize / MAX_BATCH + 1, "large orders make shorter batches: {pushes:?}");
        // The entries of 100 such orders together are over the limit: the cut is what saves them.
        let whole = device.outbox_batch(None, u32::MAX).await.expect("reads");
        assert!(whole.sealed.len() < MAX_BATCH, "a batch is cut by size before its count ({})", whole.sealed.len());
        let mut uncut = whole.clone();
        uncut.sealed = device.backup(now()).await.expect("reads").expect("a backup").entries.into_iter().take(MAX_BATCH).collect();
        assert!(body(&uncut) > BODY_LIMIT, "100 of these orders would be refused ({} bytes)", body(&uncut));

        // An answer settled after the next batch was read: its lease counts in that batch.
        let mut next = device.outbox_batch(Some(1), MAX_BATCH as u32).await.expect("reads");
        let (left, unused) = (next.numbers_left, next.marks.unused_ranges.len());
        let lease = NumberRange { prefix: whole.marks.unused_ranges[0].prefix.clone(), first: 50_000, last: 50_999 };
        device.count_leased(&mut next, std::slice::from_ref(&lease));
        assert_eq!(next.numbers_left, left + 1000);
        assert_eq!(next.marks.unused_ranges.len(), unused + 1);
        device.count_leased(&mut next, &[lease]);
        assert_eq!(next.numbers_left, left + 1000, "a range counted once");
    })
    .expect("runs");
}

/// The service worker's background push (no page open) cuts its batch by the same figures; it
/// is plain script and cannot call core, so this keeps its copy from drifting.
#[test]
fn the_service_workers_push_is_cut_by_the_same_figures() {
    use satchel_core::sync::protocol::{PUSH_ENTRY_OVERHEAD, PUSH_SEALED_BUDGET};
    let sw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../service-worker/sw.ts")).expect("the service worker's source");
    for line in [
        format!("const BATCH = {MAX_BATCH};"),
        format!("const SEALED_BUDGET = {} * 1024;", PUSH_SEALED_BUDGET / 1024),
        format!("const ENTRY_OVERHEAD = {PUSH_ENTRY_OVERHEAD};"),
    ] {
        assert!(sw.lines().any(|l| l.trim() == line), "service-worker/sw.ts should say `{line}`");
    }
}
