//! Upgrading a device: the IndexedDB a version-4 workspace left (`tests/fixtures/device-v4/`,
//! written by that code, with what it showed the user) is opened by core's device over
//! IndexedDB and unlocked with the PIN. Nothing is lost and every figure is what the user saw:
//! the van, the balances, the outlet edit on top, the orders and their fates (the answer that
//! arrived while locked settled), the draft, the outbox, the document numbers and sequence.
#![cfg(target_arch = "wasm32")]

use std::collections::BTreeMap;
use std::rc::Rc;

use satchel::device_idb::IdbStore;
use satchel::idb::Db;
use satchel::BrowserRng;
use satchel_core::device::app::{Device, Ids};
use satchel_core::device::codec::{DeviceKeys, KeyRing};
use satchel_core::device::commit::CommitRequest;
use satchel_core::device::schema::{StoreId, DATA_FORMAT, STORES};
use satchel_core::device::store::{DeviceStore, Durability, RawKey, RawOp, RawValue, Read, Step, StoreError};
use satchel_core::device::views;
use satchel_core::vault::{self, hex};
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const DUMP: &str = include_str!("fixtures/device-v4/dump.json");

fn raw_key(v: &Value) -> RawKey {
    match (v.get("s"), v.get("n")) {
        (Some(s), _) => RawKey::Text(s.as_str().expect("text key").into()),
        (_, Some(n)) => RawKey::Seq(n.as_f64().expect("number key") as u64),
        _ => panic!("a key is text or a number: {v}"),
    }
}

fn raw_value(v: &Value) -> RawValue {
    match (v.get("b"), v.get("s"), v.get("n")) {
        (Some(b), _, _) => RawValue::Bytes(hex::decode(b.as_str().expect("hex")).expect("bytes")),
        (_, Some(s), _) => RawValue::Text(s.as_str().expect("text").into()),
        (_, _, Some(n)) => RawValue::Number(n.as_f64().expect("number")),
        _ => panic!("a value is bytes, text or a number: {v}"),
    }
}

/// The version-4 database, written byte for byte into a fresh IndexedDB of the same schema.
async fn restore(dump: &Value) -> IdbStore {
    assert_eq!(dump["schema_version"], 4);
    let name = format!("upgrade-v4-{}", js_sys::Date::now());
    Db::delete(&name).await.expect("delete");
    let store = IdbStore::open(&name).await.expect("open");
    let mut ops = Vec::new();
    for spec in STORES {
        for row in dump["stores"][spec.name].as_array().expect("rows") {
            ops.push(RawOp::Put { store: spec.id, key: raw_key(&row["key"]), value: raw_value(&row["value"]) });
        }
    }
    let scope: Vec<StoreId> = STORES.iter().map(|s| s.id).collect();
    store.update(&scope, Durability::Strict, Vec::new(), |_| Ok::<_, StoreError>(Step::Write(ops.clone(), ()))).await.expect("restore");
    store
}

/// Unlocks as the workspace does: the PIN's key (PBKDF2 in WebCrypto) unwraps the data key.
async fn unlock(store: IdbStore, pin: &str) -> Device<IdbStore> {
    let device = Device::open(store).await.expect("open device");
    let record = device.vault_record().await.expect("read vault").expect("a vault");
    let kek = satchel::vault::derive_kek(pin, &record.wrapped.kdf, &record.wrapped.salt).await.expect("kek");
    let dek = vault::unwrap(&record.wrapped, &kek).expect("the PIN opens the vault");
    let ring = KeyRing { current: Rc::new(dek), retired: None };
    let (index, secrets) = device.unlock_material(&ring).await.expect("unlock material");
    let keys = DeviceKeys::new(ring, index, secrets).expect("keys");
    device.unlock(keys, &mut BrowserRng).await.expect("unlock");
    device
}

fn shown(device: &Device<IdbStore>, expected: &Value) {
    let state = device.state();
    let van: BTreeMap<String, String> = expected["van"].as_object().expect("van").keys()
        .map(|sku| (sku.clone(), state.van_available(sku).map(|s| s.available.to_string()).unwrap_or_default()))
        .collect();
    let want: BTreeMap<String, String> = serde_json::from_value(expected["van"].clone()).expect("van");
    assert_eq!(van, want, "the van the user saw");
    for (id, o) in expected["outlets"].as_object().expect("outlets") {
        let view = views::outlet(&state, id).expect("the outlet is there");
        assert_eq!(view.phone, o["phone"].as_str().expect("phone"), "{id}: the unanswered edit stays on top");
        let credit = view.credit.expect("credit");
        assert_eq!(Some(credit.outstanding.to_string()), o["outstanding"].as_str().map(String::from), "{id}: the server's balance");
    }
    let mut orders: Vec<(String, u64, String, String)> = views::orders(&state)
        .iter()
        .map(|o| (o.document_number.clone(), o.seq, serde_json::to_value(o.status).expect("status").as_str().unwrap_or_default().to_string(), o.total.to_string()))
        .collect();
    orders.sort();
    let mut want: Vec<(String, u64, String, String)> = expected["orders"].as_array().expect("orders").iter()
        .map(|o| (o["number"].as_str().expect("n").into(), o["seq"].as_u64().expect("seq"), o["status"].as_str().expect("s").into(), o["total"].as_str().expect("t").into()))
        .collect();
    want.sort();
    assert_eq!(orders, want, "every order, with its fate");
    // Credit: the balances plus what the device's own orders add, from the same orders.
    for (id, _) in expected["outlets"].as_object().expect("outlets") {
        let pending: rust_decimal::Decimal = views::orders(&state).iter().filter(|o| &o.outlet_id == id).map(|o| o.total.value()).sum();
        let credit = views::outlet(&state, id).and_then(|v| v.credit).expect("credit");
        assert_eq!(credit.pending_on_device.value(), pending, "{id}: this device's orders count until a pull includes them");
    }
    let drafts: Vec<String> = state.drafts().map(|d| d.draft_id.to_string()).collect();
    assert_eq!(serde_json::json!(drafts), expected["drafts"], "the draft");
}

#[wasm_bindgen_test]
async fn a_version_4_device_opens_with_everything_its_user_saw() {
    let dump: Value = serde_json::from_str(DUMP).expect("dump");
    let expected = &dump["expected"];
    let pin = expected["pin"].as_str().expect("pin");
    let store = restore(&dump).await;
    let device = unlock(store.clone(), pin).await;
    shown(&device, expected);
    // The answer that arrived while locked settled, and left the acks store.
    let acks = store.read(vec![Read::Count { store: StoreId::Acks }]).await.expect("count");
    assert_eq!(acks[0].count(), 0);
    // The outbox still holds what waited, byte for byte as sealed for the server.
    let outbox = device.outbox_batch(None, 50).await.expect("outbox");
    assert_eq!(serde_json::json!(outbox.sealed.iter().map(|m| m.seq).collect::<Vec<_>>()), expected["pending_seqs"]);
    // Data format 5 is recorded, and a second unlock (another tab, a reload) converts nothing
    // twice: the same figures.
    assert_eq!(device.state().format(), Some(DATA_FORMAT));
    let again = unlock(store.clone(), pin).await;
    shown(&again, expected);
    // The next order continues the sequence and the leased numbers.
    let order = serde_json::from_value(serde_json::json!({"outlet_id": "OUT-0002", "business_date": "2026-11-22",
        "lines": [{"sku": "SKU-00003", "quantity": "1"}]})).expect("order");
    let ids = Ids { record: satchel_core::ids::uuid_v7(1_764_000_900_000, [1; 10]), mutation: satchel_core::ids::uuid_v7(1_764_000_900_001, [2; 10]) };
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:10:00Z").expect("t").to_utc();
    let (next, _) = again.commit_order(CommitRequest { order, draft_id: None, task_id: None }, now, ids, &mut BrowserRng).await.expect("commit");
    let last_seq = expected["pending_seqs"].as_array().and_then(|s| s.last()).and_then(Value::as_u64).expect("seq");
    assert_eq!(next.seq, last_seq + 1, "the sequence continues");
    let first = expected["number_ranges"][0]["first"].as_u64().expect("first");
    assert_eq!(next.document.document_number, format!("SO-{first:07}"), "the numbers continue from the lease");
    store.close();
}
