//! The `Workspace` class (the module's JavaScript API) over core's device on real IndexedDB in
//! headless Chromium: the lock, wrong PINs across reopens, unlocking with a PBKDF2 PIN, key
//! rotation, a corrupt record reported, and strict durability. The device's rules themselves are
//! tested natively (`core/tests/device_*.rs`) and by the conformance suite on IndexedDB
//! (`browser_device_store.rs`); the flows end to end in `tests/e2e/`.
#![cfg(target_arch = "wasm32")]

use satchel::device_idb::IdbStore;
use satchel::idb::{Db, Durability, Mode};
use satchel::workspace::Workspace;
use satchel::BrowserRng;
use satchel_core::device::app::{Device, Ids};
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::records::VaultRecord;
use satchel_core::device::testkit::{self, Fixture};
use satchel_core::vault::{self, KdfParams};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const PIN: &str = "482916";

fn options(name: &str) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"db_name".into(), &name.into()).expect("set");
    js_sys::Reflect::set(&o, &"base_url".into(), &"http://127.0.0.1:9".into()).expect("set");
    o.into()
}

fn code(e: JsValue) -> String {
    js_sys::Reflect::get(&e, &"code".into()).expect("code").as_string().unwrap_or_default()
}

fn field(v: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(v, &name.into()).expect(name)
}

/// A signed-in device with the small shop pulled and one order committed, its data key wrapped
/// under the PBKDF2 key of [`PIN`]; closed, as after a reload.
async fn shop_with_an_order(prefix: &str) -> String {
    let name = format!("{prefix}-{}", js_sys::Date::now());
    Db::delete(&name).await.expect("delete");
    let store = IdbStore::open(&name).await.expect("open");
    let f = Fixture::new(31);
    let device: Device<IdbStore> = f.sign_in(store.clone()).await.expect("sign in");
    device.apply_pull_page(&testkit::shop_page().expect("page"), &mut BrowserRng).await.expect("pull");
    let req = CommitRequest { order: testkit::order("OUT-0001", &[("SKU-00001", "2")]).expect("order"), draft_id: None, task_id: None };
    device.commit_order(req, testkit::now(), Ids { record: testkit::id(1), mutation: testkit::id(2) }, &mut BrowserRng).await.expect("commit");
    // The PIN as the workspace derives it (PBKDF2 in WebCrypto).
    let salt = vault::new_salt(&mut BrowserRng);
    let kek = satchel::vault::derive_kek(PIN, &KdfParams::default(), &salt).await.expect("kdf");
    let wrapped = vault::rewrap(&f.vault.wrapped, &testkit::kek(), &kek, &mut BrowserRng, KdfParams::default(), salt).expect("rewrap");
    device.save_vault(&VaultRecord { wrapped, retired: None }).await.expect("save vault");
    store.close();
    name
}

#[wasm_bindgen_test]
async fn a_locked_workspace_refuses_business_calls_and_counts_wrong_pins_across_reopens() {
    let name = shop_with_an_order("locked-ws").await;
    let ws = Workspace::open(options(&name)).await.map_err(JsValue::from).expect("opens");
    // Opened after a "reload": locked, and every business call says so.
    assert_eq!(ws.outlets().map_err(JsValue::from).err().map(code).as_deref(), Some("locked"));
    assert_eq!(ws.search_products("a", 5, None).map_err(JsValue::from).err().map(code).as_deref(), Some("locked"));
    assert_eq!(ws.orders().await.map_err(JsValue::from).err().map(code).as_deref(), Some("locked"));
    let order = serde_wasm_bindgen::to_value(&serde_json::json!({"outlet_id": "OUT-0001", "business_date": "2026-11-22", "lines": []})).expect("js");
    assert_eq!(ws.commit_order(order, None, None).await.map_err(JsValue::from).err().map(code).as_deref(), Some("locked"));
    // But what sync needs works: the outbox is readable without the key.
    assert_eq!(ws.pending_count().await.map_err(JsValue::from).expect("count"), 1);
    // A wrong PIN is counted, and the count survives closing and reopening.
    let e = ws.unlock("123456".into()).await.map_err(JsValue::from).expect_err("wrong pin");
    assert_eq!(code(e.clone()), "wrong_pin");
    assert_eq!(field(&e, "failed_attempts").as_f64(), Some(1.0));
    drop(ws);
    let again = Workspace::open(options(&name)).await.map_err(JsValue::from).expect("reopens");
    let status = again.vault_status().map_err(JsValue::from).expect("status");
    assert_eq!(field(&status, "state").as_string().as_deref(), Some("locked"));
    assert_eq!(field(&status, "failed_attempts").as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn the_workspace_unlocks_with_the_pin_rotates_its_key_and_reopens() {
    let name = shop_with_an_order("rotate-ws").await;
    let ws = Workspace::open(options(&name)).await.map_err(JsValue::from).expect("opens");
    ws.unlock(PIN.into()).await.map_err(JsValue::from).expect("the right PIN unlocks");
    let found = ws.search_products("basmati", 3, Some("OUT-0001".into())).map_err(JsValue::from).expect("search");
    let found = js_sys::Array::from(&found);
    assert_eq!(found.length(), 1, "reference data decrypted at unlock");
    // The van as the server sent it (40) minus this device's unsynced order (2).
    assert_eq!(field(&found.get(0), "stock").as_string().as_deref(), Some("38"));
    ws.rotate_key().await.map_err(JsValue::from).expect("rotation completes");
    let peek = Device::open(IdbStore::open(&name).await.expect("peek")).await.expect("device");
    let record = peek.vault_record().await.expect("vault").expect("present");
    assert_eq!(record.wrapped.key_id, 2, "generation 2 is current");
    assert!(record.retired.is_none(), "the retired key is dropped once every record moved");
    ws.lock();
    drop(ws);
    // Reopen: the same PIN opens generation 2, and every record reads.
    let again = Workspace::open(options(&name)).await.map_err(JsValue::from).expect("reopens");
    again.unlock(PIN.into()).await.map_err(JsValue::from).expect("unlocks after rotation");
    let orders = js_sys::Array::from(&again.orders().await.map_err(JsValue::from).expect("orders"));
    assert_eq!(orders.length(), 1);
    assert_eq!(field(&orders.get(0), "status").as_string().as_deref(), Some("pending"));
    let report = again.storage_report().await.map_err(JsValue::from).expect("report");
    assert_eq!(field(&report, "unreadable_orders").as_f64(), Some(0.0));
    assert_eq!(field(&report, "unreadable_reference").as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
async fn a_corrupt_order_is_reported_and_skipped_never_hiding_the_others() {
    let name = shop_with_an_order("corrupt-ws").await;
    // Damage the one order's envelope, and plant a record moved from another key.
    let raw = Db::open_existing(&name).await.expect("raw");
    let tx = raw.transaction(&["orders"], Mode::ReadWrite, Durability::Strict).expect("tx");
    let orders = tx.store("orders").expect("store");
    let keys = orders.get_keys(&JsValue::UNDEFINED, None).await.expect("keys");
    assert_eq!(keys.len(), 1);
    let damaged = js_sys::Uint8Array::from(&[1u8, 2, 3, 4][..]);
    orders.put(&keys[0], &damaged).await.expect("damage");
    tx.done().await.expect("commit");
    raw.close();
    let ws = Workspace::open(options(&name)).await.map_err(JsValue::from).expect("opens");
    ws.unlock(PIN.into()).await.map_err(JsValue::from).expect("unlocks all the same");
    let report = ws.storage_report().await.map_err(JsValue::from).expect("report");
    assert_eq!(field(&report, "unreadable_orders").as_f64(), Some(1.0), "the damaged order is counted");
    let outlets = js_sys::Array::from(&ws.outlets().map_err(JsValue::from).expect("outlets"));
    assert_eq!(outlets.length(), 2, "the rest of the workspace reads");
    // The outbox entry is sealed to the server, not under the data key: it still waits to sync.
    assert_eq!(ws.pending_count().await.map_err(JsValue::from).expect("count"), 1);
}

#[wasm_bindgen_test]
async fn sale_transactions_ask_chromium_for_strict_durability() {
    let name = format!("durability-{}", js_sys::Date::now());
    IdbStore::open(&name).await.expect("open").close();
    // Version 0 is not a schema: opening without migrations is refused, not silently empty.
    assert!(Db::open(&name, &[]).await.is_err());
    let raw = Db::open_existing(&name).await.expect("open existing");
    let tx = raw.transaction(&["outbox"], Mode::ReadWrite, Durability::Strict).expect("tx");
    assert_eq!(tx.durability().as_deref(), Some("strict"));
    tx.done().await.expect("empty transaction commits");
}
