//! The local store in a real browser: IndexedDB in headless Chromium (wasm-bindgen-test), with
//! every record encrypted. Run with `./build.sh test`, or
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p satchel --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use chrono::{DateTime, Utc};
use satchel::idb::{Db, Durability, Mode};
use satchel::error::SatchelError;
use satchel::store::{Commit, DeviceRecord, KeyRing, Keys, LocalOrder, LocalStore, NewVault, OrderStatus, ReferenceInfo, SessionSecrets, VaultRecord};
use satchel::BrowserRng;
use satchel_core::sales::{self, Catalog, NumberRange, SalesContext, SalesOrder};
use satchel_core::sync::protocol::{MutationBody, MutationResult, Outcome, SalesReference};
use satchel_core::sync::sealing::{self, key_from_hex};
use satchel_core::vault::{self, hex, BoxSecret, DataKey, KdfParams, KeyEncryptionKey, LockState};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn id(n: u64) -> Uuid {
    satchel_core::ids::uuid_v7(1_700_000_000_000 + n, [n as u8; 10])
}

/// A device, its keys, and the server's secret key (to check what the outbox holds).
struct Fixture {
    device: DeviceRecord,
    keys: Keys,
    server: BoxSecret,
    record: VaultRecord,
}

fn fixture() -> Fixture {
    let mut rng = BrowserRng;
    let server = BoxSecret::generate(&mut rng);
    let device_box = BoxSecret::generate(&mut rng);
    let dek = DataKey::generate(&mut rng, 1);
    let kek = KeyEncryptionKey::from_bytes([7; 32]);
    let salt = vault::new_salt(&mut rng);
    let wrapped = vault::wrap(&dek, &kek, &mut rng, KdfParams::default(), salt).expect("wrap");
    let device = DeviceRecord {
        device_id: id(999),
        username: "rep1".into(),
        display_name: "Rep One".into(),
        push_token: "push".into(),
        server_key_id: 1,
        server_public_key: hex::encode(&server.public_key()),
        device_public_key: hex::encode(&device_box.public_key()),
        lock: Default::default(),
    };
    let secrets = SessionSecrets {
        token: "full-token-secret".into(),
        device_secret: hex::encode(&[9u8; 32]),
        device_box_secret: hex::encode(device_box.to_bytes().as_ref()),
    };
    let keys = Keys::new(KeyRing { current: Rc::new(dek), retired: None }, vault::new_index_key(&mut rng), secrets).expect("keys");
    Fixture { device, keys, server, record: VaultRecord { wrapped, retired: None } }
}

async fn fresh(name: &str) -> (String, LocalStore, Fixture) {
    let name = format!("{name}-{}", js_sys::Date::now());
    Db::delete(&name).await.expect("delete old db");
    let store = LocalStore::open(&name).await.expect("open store");
    let f = fixture();
    let lock = LockState { locked: false, ..LockState::default() };
    store.create_vault(NewVault { device: &f.device, vault: &f.record, lock: &lock, number_ranges: &ranges(1, 1000) }, &f.keys).await.expect("vault");
    (name, store, f)
}

fn ranges(first: u64, last: u64) -> Vec<NumberRange> {
    vec![NumberRange { prefix: "SO-".into(), first, last }]
}

/// The sales data of a small shop: `products` with a price each, one Ontario outlet.
fn sales_reference(products: Vec<(String, String, &str)>, outlet: (&str, &str)) -> SalesReference {
    let prices: serde_json::Map<String, serde_json::Value> = products.iter().map(|(sku, _, p)| (sku.clone(), serde_json::json!(p))).collect();
    serde_json::from_value(serde_json::json!({
        "settings": {"rule_set": "ca", "currency": "CAD"},
        "role": "rep",
        "products": products.iter().map(|(sku, name, _)| serde_json::json!({"sku": sku, "name": name, "unit": "each", "quantity_places": 0})).collect::<Vec<_>>(),
        "price_lists": [{"id": "PL-1", "outlet_group": "retail", "valid_from": "2020-01-01", "prices": prices}],
        "outlets": [{"id": outlet.0, "name": outlet.1, "route": "R9", "address": "14 Market Lane", "phone": "+254 700 123456",
                     "group": "retail", "place_of_supply": "CA-ON"}],
        "van_stock": {}
    }))
    .expect("sales reference")
}

fn shop() -> SalesReference {
    sales_reference(vec![("SKU-00001".into(), "Maple Basmati Rice".into(), "4.50")], ("OUT-0001", "Joy's Grocery"))
}

/// Quotes `quantity` of the shop's rice for its outlet and commits it as order `n`.
async fn commit_in(store: &LocalStore, f: &Fixture, data: &SalesReference, m: u64, n: u64, quantity: &str, draft_id: Option<Uuid>) -> Result<LocalOrder, SatchelError> {
    let order: SalesOrder = serde_json::from_value(serde_json::json!({
        "outlet_id": data.outlets[0].id, "business_date": "2026-11-22",
        "lines": [{"sku": data.products[0].sku, "quantity": quantity}]
    }))
    .expect("order");
    let rules = satchel_core::tax::builtin::rule_set("ca").expect("rules");
    let catalog = Catalog::new(&data.products, &data.price_lists);
    let ctx = SalesContext { role: "rep".into(), now: DateTime::<Utc>::UNIX_EPOCH, stock: Default::default(), pending_on_device: Default::default(), recent_orders: vec![] };
    let quote = sales::quote(&data.settings, &rules, &catalog, &data.outlets[0], &order, &ctx).expect("quote");
    store
        .commit_order(&f.keys, &f.device, Commit { order_id: id(n), mutation_id: id(m), committed_at: DateTime::<Utc>::UNIX_EPOCH, order, quote: &quote, draft_id, depends_on: Vec::new(), task_id: None })
        .await
}

async fn commit(store: &LocalStore, f: &Fixture, m: u64, n: u64, quantity: &str, draft_id: Option<Uuid>) -> Result<LocalOrder, SatchelError> {
    commit_in(store, f, &shop(), m, n, quantity, draft_id).await
}

#[wasm_bindgen_test]
async fn committed_orders_get_gap_free_numbers_and_the_outbox_opens_only_at_the_server() {
    let (_, store, f) = fresh("seq").await;
    for n in 1..=3 {
        let o = commit(&store, &f, 100 + n, n, "2", None).await.expect("commit");
        assert_eq!(o.seq, n);
        assert_eq!(o.status, OrderStatus::Pending);
    }
    let pending = store.pending(10).await.expect("pending");
    assert_eq!(pending.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    // The server opens each entry with its key and the device secret.
    let secret = key_from_hex(&hex::encode(&[9u8; 32])).expect("secret");
    let m = sealing::open_mutation(&f.server, 1, f.device.device_id, &secret, &pending[1]).expect("server opens");
    let MutationBody::SalesOrderCreate(doc) = &m.body else { panic!("a v2 order") };
    assert_eq!(doc.order_id, id(2));
    // 2 × 4.50 = 9.00 and HST 13 % (0.45 + 0.72): 10.17, numbered from the lease.
    assert_eq!(doc.total.to_string(), "10.17");
    assert_eq!(doc.document_number, "SO-0000002");
    assert_eq!(doc.taxes.tax.to_string(), "1.17");
    // Nobody else does: another key, or another device's secret.
    let stranger = BoxSecret::generate(&mut BrowserRng);
    assert!(sealing::open_mutation(&stranger, 1, f.device.device_id, &secret, &pending[1]).is_err());
    assert!(sealing::open_mutation(&f.server, 1, f.device.device_id, &[8; 32], &pending[1]).is_err());
    assert_eq!(store.orders(&f.keys).await.expect("orders").0.len(), 3);
}

#[wasm_bindgen_test]
async fn concurrent_commits_never_share_a_sequence_number() {
    let (_, store, f) = fresh("concurrent").await;
    let (a, b, c) = futures::join!(
        commit(&store, &f, 201, 21, "1", None),
        commit(&store, &f, 202, 22, "1", None),
        commit(&store, &f, 203, 23, "1", None),
    );
    let mut seqs = vec![a.expect("a").seq, b.expect("b").seq, c.expect("c").seq];
    seqs.sort();
    assert_eq!(seqs, vec![1, 2, 3]);
}

#[wasm_bindgen_test]
async fn a_failed_commit_writes_nothing_not_even_the_order() {
    let (_, store, f) = fresh("atomic").await;
    commit(&store, &f, 301, 31, "1", None).await.expect("first");
    // Same order id again: the `orders` add fails, so the outbox entry and counter roll back.
    let err = commit(&store, &f, 302, 31, "1", None).await.expect_err("duplicate order id");
    assert_eq!(err.code(), "storage");
    assert_eq!(store.pending_count().await.expect("count"), 1);
    let next = commit(&store, &f, 303, 33, "1", None).await.expect("next");
    assert_eq!(next.seq, 2, "the failed commit did not consume a sequence number");
}

#[wasm_bindgen_test]
async fn answers_received_while_locked_are_kept_sealed_and_applied_at_unlock() {
    let (_, store, f) = fresh("ack").await;
    for n in 1..=3 {
        commit(&store, &f, 400 + n, 40 + n, "1", None).await.expect("commit");
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
    // No data key needed: this is what happens while the workspace is locked.
    store.acknowledge(&f.device, &results, &[]).await.expect("ack");
    let pending = store.pending(10).await.expect("pending");
    assert_eq!(pending.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![3]);
    let (orders, _) = store.orders(&f.keys).await.expect("orders");
    assert!(orders.iter().all(|o| o.status == OrderStatus::Pending), "not applied until unlock");
    // Unlock: the answers move onto the orders.
    let done = store.apply_acks(&f.keys).await.expect("apply");
    assert_eq!(done.applied, 2);
    let mut settled: Vec<Uuid> = done.settled.iter().map(|o| o.order_id).collect();
    settled.sort();
    assert_eq!(settled, vec![id(41), id(42)], "the two answered orders left pending");
    let (orders, _) = store.orders(&f.keys).await.expect("orders");
    let by_id = |n: u64| orders.iter().find(|o| o.order_id == id(n)).expect("order present");
    assert_eq!(by_id(41).status, OrderStatus::Synced);
    assert_eq!(by_id(42).status, OrderStatus::Rejected);
    assert_eq!(by_id(42).reason.as_deref(), Some("price changed"));
    assert_eq!(by_id(43).status, OrderStatus::Pending);
    assert_eq!(store.apply_acks(&f.keys).await.expect("apply again").applied, 0);
    // In memory, settling those orders is the same as recounting from the store.
    let orders_before = vec![by_id(41).clone(), by_id(42).clone(), by_id(43).clone()];
    let mut pending_view = satchel::sales::Reference::new(store.load_reference(&f.keys).await.expect("load"));
    let mut as_pending = orders_before.clone();
    for o in &mut as_pending {
        o.status = OrderStatus::Pending;
    }
    pending_view.set_local_orders(&as_pending, DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(pending_view.pending_takes()["SKU-00001"].to_string(), "3");
    pending_view.settled(&done.settled);
    let mut recounted = satchel::sales::Reference::new(store.load_reference(&f.keys).await.expect("load"));
    recounted.set_local_orders(&orders_before, DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(pending_view.pending_takes()["SKU-00001"].to_string(), "1");
    assert_eq!(recounted.pending_takes()["SKU-00001"].to_string(), "1");
}

#[wasm_bindgen_test]
async fn the_outbox_and_the_vault_survive_closing_and_reopening_the_database() {
    let (name, store, f) = fresh("reopen").await;
    commit(&store, &f, 501, 51, "1", None).await.expect("commit");
    store.close();
    let again = LocalStore::open(&name).await.expect("reopen");
    assert_eq!(again.device().await.expect("device"), Some(f.device.clone()));
    assert!(again.vault().await.expect("vault").is_some());
    assert_eq!(again.pending_count().await.expect("count"), 1);
    let (_, secrets) = again.open_unlock_material(&f.keys.ring).await.expect("opens with the key");
    assert_eq!(secrets.token, "full-token-secret");
}

#[wasm_bindgen_test]
async fn a_new_vault_is_refused_while_work_is_pending() {
    let (_, store, f) = fresh("signin").await;
    commit(&store, &f, 601, 61, "1", None).await.expect("commit");
    let lock = LockState::default();
    let err = store.create_vault(NewVault { device: &f.device, vault: &f.record, lock: &lock, number_ranges: &ranges(1, 9) }, &f.keys).await.expect_err("pending work");
    assert_eq!(err.code(), "pending_work");
    assert_eq!(store.pending_count().await.expect("count"), 1, "nothing was lost");
    let err = store.forget_device(true, Vec::new()).await.expect_err("sign-out refused");
    assert_eq!(err.code(), "pending_work");
}

#[wasm_bindgen_test]
async fn sign_out_asks_before_deleting_drafts_then_clears_every_store() {
    let (name, store, f) = fresh("signout-drafts").await;
    let draft = satchel::store::Draft { draft_id: id(71), updated_at: "2026-11-22T10:06:00Z".into(), content: serde_json::json!({"outlet_id": "OUT-0001", "lines": [{"sku": "SKU-00001", "quantity": "2"}]}) };
    store.save_draft(&f.keys, &draft).await.expect("draft");
    // Without consent: refused, naming what the page passed, and nothing is cleared.
    let named = vec![satchel_core::device::error::DraftSummary { draft_id: id(71).to_string(), outlet: "Joy's Grocery".into(), lines: 1, updated_at: String::new() }];
    let err = store.forget_device(false, named).await.expect_err("asks first");
    assert_eq!(err.code(), "drafts_would_be_lost");
    assert!(err.to_string().contains("Joy's Grocery (1 line(s))"), "{err}");
    assert_eq!(store.drafts(&f.keys).await.expect("drafts").0.len(), 1, "the draft is still there");
    // A draft the page could not name (saved by another tab meanwhile) is still counted.
    let err = store.forget_device(false, Vec::new()).await.expect_err("asks first");
    let satchel::error::SatchelError::DraftsWouldBeLost(listed) = err else { panic!("{err}") };
    assert_eq!(listed.len(), 1);
    // With consent: every store of the schema is empty.
    store.forget_device(true, Vec::new()).await.expect("signed out");
    let db = satchel::idb::Db::open_existing(&name).await.expect("db");
    for spec in satchel_core::device::schema::STORES {
        let tx = db.transaction(&[spec.name], Mode::ReadOnly, Durability::Default).expect("tx");
        assert_eq!(tx.store(spec.name).expect("store").count().await.expect("count"), 0, "{} is empty", spec.name);
    }
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
async fn a_corrupt_or_moved_record_is_reported_and_skipped_never_hiding_the_others() {
    let (name, store, f) = fresh("corrupt").await;
    commit(&store, &f, 701, 71, "1", None).await.expect("first");
    commit(&store, &f, 702, 72, "2", None).await.expect("second");
    let raw = Db::open_existing(&name).await.expect("raw");
    let tx = raw.transaction(&["orders"], Mode::ReadWrite, Durability::Default).expect("tx");
    let orders = tx.store("orders").expect("store");
    // Garbage, and a genuine envelope copied under another record key (it must not open there).
    let keys = orders.get_all_keys().await.expect("keys");
    let genuine = orders.get(&keys[0]).await.expect("get").expect("present");
    orders.put(&"garbage-1".into(), &"{not json".into()).await.expect("put");
    orders.put(&"moved".into(), &genuine).await.expect("put");
    // A flipped bit in a real record.
    let bytes = genuine.dyn_ref::<js_sys::Uint8Array>().expect("bytes").to_vec();
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    orders.put(&keys[1], &js_sys::Uint8Array::from(flipped.as_slice()).into()).await.expect("put");
    tx.done().await.expect("committed");
    let (readable, unreadable) = store.orders(&f.keys).await.expect("orders still load");
    assert_eq!(readable.len(), 1, "the good order is there");
    assert_eq!(unreadable, 3, "the bad records are counted");
    // And the workspace keeps working: the next commit succeeds with the next number.
    let next = commit(&store, &f, 703, 73, "1", None).await.expect("commit after corruption");
    assert_eq!(next.seq, 3);
}

#[wasm_bindgen_test]
async fn nothing_readable_lands_in_indexeddb() {
    let (name, store, f) = fresh("plaintext").await;
    let data = sales_reference(vec![("SKU-77777".into(), "Zanzibar Clove Tea".into(), "12.34")], ("OUT-4242", "Mama Ngozi Provisions"));
    let info = ReferenceInfo { as_of: "2026-11-22T08:00:00Z".into(), currency: "KES".into() };
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("reference");
    let o = commit_in(&store, &f, &data, 802, 801, "3", None).await.expect("commit");
    // 3 × 12.34 = 37.02, HST 13 % = 4.81 (1.85 + 2.96): 41.83.
    assert_eq!(o.total.to_string(), "41.83");
    // Everything every store holds, keys and values, as text.
    let raw = Db::open_existing(&name).await.expect("raw");
    let names = ["meta", "products", "outlets", "orders", "outbox", "acks"];
    let tx = raw.transaction(&names, Mode::ReadOnly, Durability::Default).expect("tx");
    let mut dump = String::new();
    for n in names {
        let s = tx.store(n).expect("store");
        for k in s.get_all_keys().await.expect("keys") {
            dump.push_str(&k.as_string().unwrap_or_default());
            dump.push('\n');
        }
        for v in s.get_all(None).await.expect("values") {
            match v.dyn_ref::<js_sys::Uint8Array>() {
                Some(b) => dump.push_str(&String::from_utf8_lossy(&b.to_vec())),
                None => dump.push_str(&v.as_string().unwrap_or_default()),
            }
            dump.push('\n');
        }
    }
    assert!(dump.len() > 500, "the dump holds the records");
    for secret in ["SKU-77777", "Zanzibar", "OUT-4242", "Mama Ngozi", "Market Lane", "700 123456", "12.34", "37.02", "41.83", "full-token-secret", "KES", "SO-0000001"] {
        assert!(!dump.contains(secret), "{secret:?} appears in clear in IndexedDB");
    }
    // The records still read back.
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!((loaded.products, loaded.outlets, loaded.unreadable), (data.products, data.outlets, 0));
}

#[wasm_bindgen_test]
async fn rotation_reencrypts_every_record_under_the_new_key() {
    let (_, store, f) = fresh("rotate").await;
    let data = sales_reference((0..450).map(|i| (format!("SKU-{i:05}"), format!("Product {i}"), "1.00")).collect(), ("OUT-0001", "Joy's Grocery"));
    let info = ReferenceInfo { as_of: "2026-11-22T08:00:00Z".into(), currency: "EUR".into() };
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("reference");
    commit(&store, &f, 901, 91, "1", None).await.expect("commit");
    // Rotate: generation 2 current, generation 1 retired.
    let new = Rc::new(DataKey::generate(&mut BrowserRng, 2));
    let ring = KeyRing { current: new.clone(), retired: Some(f.keys.ring.current.clone()) };
    let mut moved = 0;
    for s in satchel::store::SEALED_STORES {
        loop {
            let n = store.reencrypt_batch(&ring, s, 200).await.expect("batch");
            moved += n;
            if n < 200 {
                break;
            }
        }
    }
    assert_eq!(moved, 450 + 1 + 1 + 4, "products, the outlet, the order, and session, index key, reference info, sales data (this van is empty)");
    assert_eq!(store.reencrypt_batch(&ring, "products", 200).await.expect("nothing left"), 0);
    // Everything opens with the new key alone.
    let only_new = Keys::new(KeyRing { current: new, retired: None }, f.keys.index_key.clone(), f.keys.secrets.clone()).expect("keys");
    let loaded = store.load_reference(&only_new).await.expect("load");
    assert_eq!((loaded.products.len(), loaded.unreadable), (450, 0));
    assert!(loaded.sales.is_some());
    let (orders, unreadable) = store.orders(&only_new).await.expect("orders");
    assert_eq!((orders.len(), unreadable), (1, 0));
    store.open_unlock_material(&only_new.ring).await.expect("session and index key re-encrypted");
    // And no longer with the old one.
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!((loaded.products.len(), loaded.unreadable), (0, 450 + 1 + 1));
}

#[wasm_bindgen_test]
async fn a_locked_workspace_refuses_business_calls_and_counts_wrong_pins_across_reopens() {
    use satchel::workspace::Workspace;
    let (name, store, f) = fresh("locked-ws").await;
    commit(&store, &f, 1001, 101, "1", None).await.expect("commit");
    store.close();
    let options = || {
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &"db_name".into(), &name.as_str().into()).expect("set");
        js_sys::Reflect::set(&o, &"base_url".into(), &"http://127.0.0.1:9".into()).expect("set");
        o.into()
    };
    let code = |e: wasm_bindgen::JsValue| js_sys::Reflect::get(&e, &"code".into()).expect("code").as_string().unwrap_or_default();
    let ws = Workspace::open(options()).await.map_err(wasm_bindgen::JsValue::from).expect("opens");
    // Opened after a "reload": locked, and every business call says so.
    assert_eq!(ws.outlets().map_err(wasm_bindgen::JsValue::from).err().map(code).as_deref(), Some("locked"));
    assert_eq!(ws.search_products("a", 5, None).map_err(wasm_bindgen::JsValue::from).err().map(code).as_deref(), Some("locked"));
    assert_eq!(ws.orders().await.map_err(wasm_bindgen::JsValue::from).err().map(code).as_deref(), Some("locked"));
    let order = serde_wasm_bindgen::to_value(&serde_json::json!({"outlet_id": "OUT-0001", "business_date": "2026-11-22", "lines": []})).expect("js");
    assert_eq!(ws.commit_order(order, None, None).await.map_err(wasm_bindgen::JsValue::from).err().map(code).as_deref(), Some("locked"));
    // But what sync needs works: the outbox is readable without the key.
    assert_eq!(ws.pending_count().await.map_err(wasm_bindgen::JsValue::from).expect("count"), 1);
    // A wrong PIN is counted, and the count survives closing and reopening.
    let e = ws.unlock("123456".into()).await.map_err(wasm_bindgen::JsValue::from).expect_err("wrong pin");
    assert_eq!(code(e.clone()), "wrong_pin");
    assert_eq!(js_sys::Reflect::get(&e, &"failed_attempts".into()).expect("n").as_f64(), Some(1.0));
    drop(ws);
    let again = Workspace::open(options()).await.map_err(wasm_bindgen::JsValue::from).expect("reopens");
    let status = again.vault_status().map_err(wasm_bindgen::JsValue::from).expect("status");
    assert_eq!(js_sys::Reflect::get(&status, &"state".into()).expect("state").as_string().as_deref(), Some("locked"));
    assert_eq!(js_sys::Reflect::get(&status, &"failed_attempts".into()).expect("n").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn drafts_are_sealed_and_a_commit_takes_its_draft_with_it() {
    use satchel::store::Draft;
    let (name, store, f) = fresh("drafts").await;
    let d1 = Draft { draft_id: id(1101), updated_at: "2026-11-22T10:00:00Z".into(), content: serde_json::json!({"outlet_id": "OUT-9191", "lines": [{"sku": "SKU-31337", "quantity": "2"}]}) };
    let d2 = Draft { draft_id: id(1102), updated_at: "2026-11-22T10:05:00Z".into(), content: serde_json::json!({"outlet_id": "OUT-9292"}) };
    store.save_draft(&f.keys, &d1).await.expect("save");
    store.save_draft(&f.keys, &d2).await.expect("save");
    // Editing replaces, never duplicates.
    let d1b = Draft { updated_at: "2026-11-22T10:06:00Z".into(), content: serde_json::json!({"outlet_id": "OUT-9191", "lines": [{"sku": "SKU-31337", "quantity": "3"}]}), ..d1.clone() };
    store.save_draft(&f.keys, &d1b).await.expect("save again");
    let (drafts, unreadable) = store.drafts(&f.keys).await.expect("drafts");
    assert_eq!((drafts.len(), unreadable), (2, 0));
    assert_eq!(drafts[0], d1b, "most recently edited first, content intact");
    // Nothing of it in clear.
    let raw = Db::open_existing(&name).await.expect("raw");
    let tx = raw.transaction(&["drafts"], Mode::ReadOnly, Durability::Default).expect("tx");
    for v in tx.store("drafts").expect("store").get_all(None).await.expect("values") {
        let text = String::from_utf8_lossy(&v.dyn_ref::<js_sys::Uint8Array>().expect("sealed bytes").to_vec()).to_string();
        assert!(!text.contains("OUT-9191") && !text.contains("SKU-31337"));
    }
    // A failed commit keeps the draft; a successful one removes it in the same transaction.
    commit(&store, &f, 1103, 1104, "1", Some(d1.draft_id)).await.expect("commit");
    let err = commit(&store, &f, 1105, 1104, "1", Some(d2.draft_id)).await.expect_err("duplicate order id");
    assert_eq!(err.code(), "storage");
    let (drafts, _) = store.drafts(&f.keys).await.expect("drafts");
    assert_eq!(drafts.iter().map(|d| d.draft_id).collect::<Vec<_>>(), vec![d2.draft_id]);
    store.delete_draft(&f.keys, d2.draft_id).await.expect("discard");
    store.delete_draft(&f.keys, d2.draft_id).await.expect("discarding twice is fine");
    assert!(store.drafts(&f.keys).await.expect("drafts").0.is_empty());
}

#[wasm_bindgen_test]
async fn the_workspace_unlocks_with_the_pin_rotates_its_key_and_reopens() {
    use satchel::workspace::Workspace;
    // A vault whose data key is wrapped under a real PIN-derived key.
    let name = format!("rotate-ws-{}", js_sys::Date::now());
    let store = LocalStore::open(&name).await.expect("open");
    let mut f = fixture();
    let salt = vault::new_salt(&mut BrowserRng);
    let kek = satchel::vault::derive_kek("482916", &KdfParams::default(), &salt).await.expect("kdf");
    f.record.wrapped = vault::wrap(&f.keys.ring.current, &kek, &mut BrowserRng, KdfParams::default(), salt).expect("wrap");
    let lock = LockState::default();
    store.create_vault(NewVault { device: &f.device, vault: &f.record, lock: &lock, number_ranges: &ranges(1, 1000) }, &f.keys).await.expect("vault");
    let data = sales_reference((0..300).map(|i| (format!("SKU-{i:05}"), format!("Item {i}"), "2.00")).collect(), ("OUT-0001", "Joy's Grocery"));
    let info = ReferenceInfo { as_of: "2026-11-22T08:00:00Z".into(), currency: "EUR".into() };
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("reference");
    commit_in(&store, &f, &data, 1201, 1202, "1", None).await.expect("commit");
    store.close();

    let options = || {
        let o = js_sys::Object::new();
        js_sys::Reflect::set(&o, &"db_name".into(), &name.as_str().into()).expect("set");
        js_sys::Reflect::set(&o, &"base_url".into(), &"http://127.0.0.1:9".into()).expect("set");
        o.into()
    };
    let ws = Workspace::open(options()).await.map_err(wasm_bindgen::JsValue::from).expect("opens");
    ws.unlock("482916".into()).await.map_err(wasm_bindgen::JsValue::from).expect("the right PIN unlocks");
    let found = ws.search_products("Item 42", 3, None).map_err(wasm_bindgen::JsValue::from).expect("search");
    assert!(js_sys::Array::from(&found).length() >= 1, "reference data decrypted at unlock");
    ws.rotate_key().await.map_err(wasm_bindgen::JsValue::from).expect("rotation completes");
    let record = LocalStore::open(&name).await.expect("peek").vault().await.expect("vault").expect("present");
    assert_eq!(record.wrapped.key_id, 2, "generation 2 is current");
    assert!(record.retired.is_none(), "the retired key is dropped once every record moved");
    ws.lock();
    drop(ws);
    // Reopen: the same PIN opens generation 2, and every record reads.
    let again = Workspace::open(options()).await.map_err(wasm_bindgen::JsValue::from).expect("reopens");
    again.unlock("482916".into()).await.map_err(wasm_bindgen::JsValue::from).expect("unlocks after rotation");
    let orders = again.orders().await.map_err(wasm_bindgen::JsValue::from).expect("orders");
    assert_eq!(js_sys::Array::from(&orders).length(), 1);
    let report = again.storage_report().await.map_err(wasm_bindgen::JsValue::from).expect("report");
    assert_eq!(js_sys::Reflect::get(&report, &"unreadable_orders".into()).expect("n").as_f64(), Some(0.0));
    assert_eq!(js_sys::Reflect::get(&report, &"unreadable_reference".into()).expect("n").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
async fn numbers_come_from_the_lease_and_running_out_writes_nothing() {
    let name = format!("numbers-{}", js_sys::Date::now());
    let store = LocalStore::open(&name).await.expect("open");
    let f = fixture();
    let lock = LockState { locked: false, ..LockState::default() };
    store.create_vault(NewVault { device: &f.device, vault: &f.record, lock: &lock, number_ranges: &ranges(500, 501) }, &f.keys).await.expect("vault");
    let a = commit(&store, &f, 1301, 1302, "1", None).await.expect("first");
    let b = commit(&store, &f, 1303, 1304, "1", None).await.expect("second");
    assert_eq!((a.document_number.as_str(), b.document_number.as_str()), ("SO-0000500", "SO-0000501"));
    let err = commit(&store, &f, 1305, 1306, "1", None).await.expect_err("no numbers left");
    assert_eq!(err.code(), "no_document_numbers");
    assert_eq!(store.pending_count().await.expect("count"), 2, "nothing written");
    // The server leases more with a push answer: they are used next.
    store.acknowledge(&f.device, &[], &[NumberRange { prefix: "SO-".into(), first: 9000, last: 9999 }]).await.expect("ack");
    let c = commit(&store, &f, 1307, 1308, "1", None).await.expect("with the new lease");
    assert_eq!(c.document_number, "SO-0009000");
    assert_eq!(c.seq, 3, "the refused commit consumed no sequence number");
}

#[wasm_bindgen_test]
async fn an_outlet_edit_survives_fresh_reference_data_until_the_server_answers() {
    use satchel_core::sync::merge::FieldChange;
    let (_, store, f) = fresh("outlet-edit").await;
    let data = shop();
    let info = ReferenceInfo { as_of: "2026-11-22T08:00:00Z".into(), currency: "CAD".into() };
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("reference");
    let outlet = data.outlets[0].clone();
    let mut changes = std::collections::BTreeMap::new();
    changes.insert("phone".to_string(), FieldChange { from: outlet.phone.clone(), to: "+1 555 0199".into() });
    let (updated, seq) = store.commit_outlet_edit(&f.keys, &f.device, id(1401), &outlet, changes).await.expect("edit");
    assert_eq!(updated.phone, "+1 555 0199");
    assert_eq!(seq, 1, "the edit takes the next sequence number, like an order");
    // The server opens it as an outlet.update based on the version the device saw.
    let pending = store.pending(10).await.expect("pending");
    let secret = key_from_hex(&hex::encode(&[9u8; 32])).expect("secret");
    let m = sealing::open_mutation(&f.server, 1, f.device.device_id, &secret, &pending[0]).expect("opens");
    let MutationBody::OutletUpdate(patch) = &m.body else { panic!("an outlet.update") };
    assert_eq!((patch.outlet_id.as_str(), patch.base_version), ("OUT-0001", 0));
    assert_eq!(patch.changes["phone"].to, "+1 555 0199");
    // Fresh reference data (the server's old phone) does not overwrite the unanswered edit…
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("refresh");
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!(loaded.outlets[0].phone, "+1 555 0199");
    // …until the server answered it: then the server's values are the truth again.
    store.acknowledge(&f.device, &[MutationResult { seq: 1, id: id(1401), outcome: Outcome::Applied }], &[]).await.expect("ack");
    store.apply_acks(&f.keys).await.expect("apply");
    store.save_reference(&f.keys, &info, &data, &Default::default()).await.expect("refresh again");
    assert_eq!(store.load_reference(&f.keys).await.expect("load").outlets[0].phone, outlet.phone);
}

/// A pull page as the server sends it.
fn page(checkpoint: &str, has_more: bool, reset: bool, changes: serde_json::Value) -> satchel_core::sync::protocol::PullResponse {
    serde_json::from_value(serde_json::json!({
        "checkpoint": checkpoint, "has_more": has_more, "reset": reset, "remaining": 0,
        "server_time": "2026-11-22T10:00:00Z", "changes": changes
    }))
    .expect("page")
}

fn outlet_json(id: &str, phone: &str, version: u64) -> serde_json::Value {
    serde_json::json!({"id": id, "name": "Joy's Grocery", "route": "R9", "address": "14 Market Lane", "phone": phone,
                       "group": "retail", "place_of_supply": "CA-ON", "version": version})
}

#[wasm_bindgen_test]
async fn pull_pages_apply_with_their_checkpoint_resume_and_delete() {
    let (name, store, f) = fresh("pull-pages").await;
    assert_eq!(store.pull_state().await.expect("state").checkpoint, None, "a new device starts from the beginning");
    let first = page("v1.2", true, false, serde_json::json!([
        {"entity": "settings", "key": "sales", "data": {"settings": {"rule_set": "ca", "currency": "CAD"}, "role": "rep"}},
        {"entity": "product", "key": "SKU-1", "data": {"sku": "SKU-1", "name": "Rice", "unit": "each", "quantity_places": 0}},
    ]));
    let delta = store.apply_pull_page(&f.keys, &first, &Default::default()).await.expect("page 1");
    assert_eq!(delta.products.len(), 1);
    let state = store.pull_state().await.expect("state");
    assert_eq!(state.checkpoint.as_deref(), Some("v1.2"), "the checkpoint is stored with the page");
    assert!(!state.complete, "more pages wait: the initial sync is not complete");
    // The database is closed mid-sync (a killed tab) and opened again: the checkpoint is there.
    store.close();
    let store = LocalStore::open(&name).await.expect("reopen");
    assert_eq!(store.pull_state().await.expect("state").checkpoint.as_deref(), Some("v1.2"), "an interrupted pull resumes where it stopped");
    let second = page("v1.4", false, false, serde_json::json!([
        {"entity": "product", "key": "SKU-2", "data": {"sku": "SKU-2", "name": "Flour", "unit": "each", "quantity_places": 0}},
        {"entity": "product", "key": "SKU-1"},
        {"entity": "product", "key": "SKU-9", "data": {"not": "a product"}},
    ]));
    let delta = store.apply_pull_page(&f.keys, &second, &Default::default()).await.expect("page 2");
    assert_eq!(delta.undecodable, 1, "a record that does not decode is counted and skipped, never blocking the page");
    let state = store.pull_state().await.expect("state");
    assert!(state.complete);
    let loaded = store.load_reference(&f.keys).await.expect("load");
    let skus: Vec<&str> = loaded.products.iter().map(|p| p.sku.as_str()).collect();
    assert_eq!(skus, vec!["SKU-2"], "the deletion propagated");
    assert_eq!(loaded.sales.and_then(|s| s.settings).map(|s| s.rule_set).as_deref(), Some("ca"));
    // A reset drops the reference data and starts over from the page.
    let reset = page("v1.1", false, true, serde_json::json!([
        {"entity": "product", "key": "SKU-3", "data": {"sku": "SKU-3", "name": "Salt", "unit": "each", "quantity_places": 0}},
    ]));
    store.apply_pull_page(&f.keys, &reset, &Default::default()).await.expect("reset page");
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!(loaded.products.iter().map(|p| p.sku.as_str()).collect::<Vec<_>>(), vec!["SKU-3"]);
}

#[wasm_bindgen_test]
async fn a_pull_never_overwrites_an_unacknowledged_local_change() {
    let (_, store, f) = fresh("pull-local").await;
    let data = shop();
    store.save_reference(&f.keys, &ReferenceInfo { as_of: "2026-11-22T09:00:00Z".into(), currency: "CAD".into() }, &data, &Default::default()).await.expect("reference");
    let outlet = data.outlets[0].clone();
    let mut changes = std::collections::BTreeMap::new();
    changes.insert("phone".to_string(), satchel_core::sync::merge::FieldChange { from: outlet.phone.clone(), to: "+1 555 0100".into() });
    store.commit_outlet_edit(&f.keys, &f.device, id(1501), &outlet, changes).await.expect("edit");
    // The server's version of the outlet (another change, the old phone) and of the van.
    let mut takes = std::collections::BTreeMap::new();
    takes.insert("SKU-00001".to_string(), satchel_core::money::Dec(rust_decimal::Decimal::from(3)));
    let p = page("v1.9", false, false, serde_json::json!([
        {"entity": "outlet", "key": "OUT-0001", "data": outlet_json("OUT-0001", "+254 700 123456", 4)},
        {"entity": "van_stock", "key": "SKU-00001", "data": {"available": "10", "as_of": "2026-11-22T10:00:00Z"}},
    ]));
    let delta = store.apply_pull_page(&f.keys, &p, &takes).await.expect("page");
    let (_, pulled) = &delta.outlets[0];
    let pulled = pulled.as_ref().expect("upsert");
    assert_eq!(pulled.phone, "+1 555 0100", "the device's unanswered edit stays on top");
    assert_eq!(pulled.version, 4, "the server's version is taken (the edit names its own base)");
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!(loaded.outlets[0].phone, "+1 555 0100");
    assert_eq!(loaded.van_stock["SKU-00001"].available.to_string(), "7", "what unsynced orders took stays taken");
    // A commit takes its lines out of the van (one record per SKU, rewritten in the commit's transaction).
    commit_in(&store, &f, &data, 1502, 1503, "2", None).await.expect("commit");
    let loaded = store.load_reference(&f.keys).await.expect("load");
    assert_eq!(loaded.van_stock["SKU-00001"].available.to_string(), "5");
}

#[wasm_bindgen_test]
async fn answers_received_while_unlocked_go_straight_onto_the_orders_in_one_transaction() {
    let (_, store, f) = fresh("ack-unlocked").await;
    for n in 1..=3 {
        commit(&store, &f, 1600 + n, 160 + n, "1", None).await.expect("commit");
    }
    let results = vec![
        MutationResult { seq: 1, id: id(1601), outcome: Outcome::Applied },
        MutationResult {
            seq: 2,
            id: id(1602),
            outcome: Outcome::Held { parent: id(1), code: "task_closed".into(), reason: "the task was cancelled".into() },
        },
        MutationResult { seq: 3, id: id(999), outcome: Outcome::Applied },
    ];
    let done = store.acknowledge_unlocked(&f.keys, &results, &ranges(5000, 5999)).await.expect("ack");
    assert_eq!(done.applied, 2);
    assert_eq!(done.settled.len(), 2);
    assert_eq!(store.pending(10).await.expect("pending").iter().map(|m| m.seq).collect::<Vec<_>>(), vec![3], "the foreign id stays queued");
    assert_eq!(store.apply_acks(&f.keys).await.expect("apply").applied, 0, "nothing was parked in acks");
    let (orders, _) = store.orders(&f.keys).await.expect("orders");
    let by_id = |n: u64| orders.iter().find(|o| o.order_id == id(n)).expect("order present");
    assert_eq!(by_id(161).status, OrderStatus::Synced);
    assert_eq!(by_id(162).status, OrderStatus::Held);
    assert_eq!(by_id(162).reason.as_deref(), Some("the task was cancelled"));
    assert_eq!(by_id(163).status, OrderStatus::Pending);
    assert!(store.number_ranges().await.expect("ranges").iter().any(|r| r.first == 5000), "the new lease is kept");
}
