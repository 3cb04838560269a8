//! The local store in a real browser: IndexedDB in headless Chromium (wasm-bindgen-test).
//! Run with `./build.sh test`, or `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p satchel --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use chrono::{DateTime, Utc};
use satchel::idb::{Db, Durability, Mode};
use satchel::store::{LocalStore, OrderStatus, Session};
use satchel_core::money::parse_decimal;
use satchel_core::order::{compute_totals, OrderDocument, OrderLineRequest, OrderRequest};
use satchel_core::sync::protocol::{MutationBody, MutationResult, Outcome};
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn id(n: u64) -> Uuid {
    satchel_core::ids::uuid_v7(1_700_000_000_000 + n, [n as u8; 10])
}

async fn fresh_store(name: &str) -> LocalStore {
    let name = format!("{name}-{}", js_sys::Date::now());
    Db::delete(&name).await.expect("delete old db");
    LocalStore::open(&name).await.expect("open store")
}

fn session() -> Session {
    Session { device_id: id(999), token: "t".into(), username: "rep1".into(), display_name: "Rep".into() }
}

fn document(n: u64, qty: &str) -> OrderDocument {
    let order = OrderRequest {
        outlet_id: "OUT-0001".into(),
        tax_rate: parse_decimal("13").expect("lit").into(),
        lines: vec![OrderLineRequest {
            sku: "SKU-00001".into(),
            quantity: parse_decimal(qty).expect("lit").into(),
            unit_price: parse_decimal("4.50").expect("lit").into(),
        }],
    };
    let totals = compute_totals(&order).expect("valid");
    OrderDocument { order_id: id(n), committed_at: DateTime::<Utc>::UNIX_EPOCH, order, totals }
}

#[wasm_bindgen_test]
async fn committed_orders_get_gap_free_sequence_numbers_in_the_outbox() {
    let store = fresh_store("seq").await;
    store.start_session(&session()).await.expect("session");
    for n in 1..=3 {
        let o = store.commit_order(session().device_id, id(100 + n), document(n, "2")).await.expect("commit");
        assert_eq!(o.seq, n);
        assert_eq!(o.status, OrderStatus::Pending);
    }
    let pending = store.pending(10).await.expect("pending");
    assert_eq!(pending.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(pending.iter().all(|m| m.device_id == session().device_id));
    let MutationBody::OrderCreate(doc) = &pending[1].body;
    assert_eq!(doc.order_id, id(2));
    assert_eq!(doc.totals.total.to_string(), "10.17");
    assert_eq!(store.orders().await.expect("orders").0.len(), 3);
}

#[wasm_bindgen_test]
async fn concurrent_commits_never_share_a_sequence_number() {
    let store = fresh_store("concurrent").await;
    let dev = session().device_id;
    let (a, b, c) = futures::join!(
        store.commit_order(dev, id(201), document(21, "1")),
        store.commit_order(dev, id(202), document(22, "1")),
        store.commit_order(dev, id(203), document(23, "1")),
    );
    let mut seqs = vec![a.expect("a").seq, b.expect("b").seq, c.expect("c").seq];
    seqs.sort();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[wasm_bindgen_test]
async fn a_failed_commit_writes_nothing_not_even_the_order() {
    let store = fresh_store("atomic").await;
    let dev = session().device_id;
    store.commit_order(dev, id(301), document(31, "1")).await.expect("first");
    // Same order id again: the `orders` add fails, so the outbox entry and counter roll back.
    let err = store.commit_order(dev, id(302), document(31, "1")).await.expect_err("duplicate order id");
    assert_eq!(err.code(), "storage");
    assert_eq!(store.pending_count().await.expect("count"), 1);
    let next = store.commit_order(dev, id(303), document(33, "1")).await.expect("next");
    assert_eq!(next.seq, 2, "the failed commit did not consume a sequence number");
}

#[wasm_bindgen_test]
async fn acknowledged_mutations_leave_the_outbox_and_mark_their_orders() {
    let store = fresh_store("ack").await;
    let dev = session().device_id;
    for n in 1..=3 {
        store.commit_order(dev, id(400 + n), document(40 + n, "1")).await.expect("commit");
    }
    let results = vec![
        MutationResult { seq: 1, id: id(401), outcome: Outcome::Applied },
        MutationResult {
            seq: 2,
            id: id(402),
            outcome: Outcome::Rejected { code: "price_mismatch".into(), reason: "price changed".into(), field: None },
        },
        // A result naming a mutation id we did not send under that number is ignored.
        MutationResult { seq: 3, id: id(999), outcome: Outcome::Applied },
    ];
    store.acknowledge(&results).await.expect("ack");
    let pending = store.pending(10).await.expect("pending");
    assert_eq!(pending.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![3]);
    let (orders, _) = store.orders().await.expect("orders");
    let by_id = |n: u64| orders.iter().find(|o| o.order_id == id(n)).expect("order present");
    assert_eq!(by_id(41).status, OrderStatus::Synced);
    assert_eq!(by_id(42).status, OrderStatus::Rejected);
    assert_eq!(by_id(42).reason.as_deref(), Some("price changed"));
    assert_eq!(by_id(43).status, OrderStatus::Pending);
}

#[wasm_bindgen_test]
async fn the_outbox_survives_closing_and_reopening_the_database() {
    let name = format!("reopen-{}", js_sys::Date::now());
    let store = LocalStore::open(&name).await.expect("open");
    store.start_session(&session()).await.expect("session");
    store.commit_order(session().device_id, id(501), document(51, "1")).await.expect("commit");
    store.close();
    let again = LocalStore::open(&name).await.expect("reopen");
    assert_eq!(again.session().await.expect("session"), Some(session()));
    assert_eq!(again.pending_count().await.expect("count"), 1);
}

#[wasm_bindgen_test]
async fn a_new_session_is_refused_while_work_is_pending() {
    let store = fresh_store("signin").await;
    store.start_session(&session()).await.expect("session");
    store.commit_order(session().device_id, id(601), document(61, "1")).await.expect("commit");
    let err = store.start_session(&session()).await.expect_err("pending work");
    assert_eq!(err.code(), "pending_work");
    assert_eq!(store.pending_count().await.expect("count"), 1, "nothing was lost");
}

#[wasm_bindgen_test]
async fn sale_transactions_ask_chromium_for_strict_durability() {
    let name = format!("durability-{}", js_sys::Date::now());
    let store = LocalStore::open(&name).await.expect("open");
    store.close();
    let db = Db::open(&name, &[]).await;
    // Version 0 is not a schema: opening without migrations is refused, not silently empty.
    assert!(db.is_err());
    let raw = Db::open_existing(&name).await.expect("open existing");
    let tx = raw.transaction(&["outbox"], Mode::ReadWrite, Durability::Strict).expect("tx");
    assert_eq!(tx.durability().as_deref(), Some("strict"));
    tx.done().await.expect("empty transaction commits");
}

#[wasm_bindgen_test]
async fn a_corrupt_order_record_is_reported_and_skipped_never_hiding_the_others() {
    let name = format!("corrupt-{}", js_sys::Date::now());
    let store = LocalStore::open(&name).await.expect("open");
    let dev = session().device_id;
    store.commit_order(dev, id(701), document(71, "1")).await.expect("first");
    store.commit_order(dev, id(702), document(72, "2")).await.expect("second");
    // Something (a bug, a disk error, a meddling extension) leaves garbage in two records.
    let raw = Db::open_existing(&name).await.expect("raw");
    let tx = raw.transaction(&["orders"], Mode::ReadWrite, Durability::Default).expect("tx");
    let orders = tx.store("orders").expect("store");
    orders.put(&"garbage-1".into(), &"{not json".into()).await.expect("put");
    orders.put(&"garbage-2".into(), &wasm_bindgen::JsValue::from_f64(42.0)).await.expect("put");
    tx.done().await.expect("committed");
    let (readable, unreadable) = store.orders().await.expect("orders still load");
    assert_eq!(readable.len(), 2, "the good orders are all there");
    assert_eq!(unreadable, 2, "the bad records are counted");
    // And the workspace keeps working: the next commit succeeds with the next number.
    let next = store.commit_order(dev, id(703), document(73, "1")).await.expect("commit after corruption");
    assert_eq!(next.seq, 3);
}
