//! **For tests.** A signed-in device over any store, a small shop's reference data as the pull
//! sends it, and orders: shared by the native tests, the conformance suite and the browser tests.
//! Keys come from [`InsecureTestRng`]: never use this outside tests.

use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::app::{Device, NewVault};
use super::codec::{public_hex, DeviceKeys, KeyRing};
use super::error::DeviceError;
use super::records::{DeviceRecord, SessionSecrets, VaultRecord};
use super::store::DeviceStore;
use crate::sales::{NumberRange, SalesOrder};
use crate::sync::protocol::PullResponse;
use crate::vault::{self, hex, BoxSecret, DataKey, InsecureTestRng, KdfParams, KeyEncryptionKey, LockState, Zeroizing};

/// Runs a future that never waits (the memory store's), for native tests. `None` if it waits.
pub fn block_on<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

/// A device's secrets, with the server's key to open what it sealed.
pub struct Fixture {
    /// The device as registered.
    pub device: DeviceRecord,
    /// Its vault record.
    pub vault: VaultRecord,
    /// The server's secret key (its public half seals the outbox).
    pub server: BoxSecret,
    /// The device secret shared with the server.
    pub device_secret: [u8; 32],
    seed: u64,
}

/// The test PIN's key-encryption key (no PBKDF2 here: tests only).
pub fn kek() -> KeyEncryptionKey {
    KeyEncryptionKey::from_bytes([7; 32])
}

impl Fixture {
    /// A device of its own (`seed` makes every key).
    pub fn new(seed: u64) -> Self {
        let mut rng = InsecureTestRng::new(seed);
        let server = BoxSecret::generate(&mut rng);
        let device_box = BoxSecret::generate(&mut rng);
        let dek = DataKey::generate(&mut rng, 1);
        let salt = vault::new_salt(&mut rng);
        let wrapped = vault::wrap(&dek, &kek(), &mut rng, KdfParams::default(), salt).ok();
        let device = DeviceRecord {
            device_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(seed)),
            username: "rep1".into(),
            display_name: "Rep One".into(),
            push_token: "push-only".into(),
            server_key_id: 1,
            server_public_key: hex::encode(&server.public_key()),
            device_public_key: public_hex(&device_box),
            lock: Default::default(),
            register: None,
        };
        #[allow(clippy::expect_used)]
        let wrapped = wrapped.expect("wrapping a fresh key");
        Fixture { device, vault: VaultRecord { wrapped, retired: None }, server, device_secret: [9; 32], seed }
    }

    /// The device's keys, unwrapped as an unlock would (fresh copies each call).
    pub fn keys(&self) -> Result<DeviceKeys, DeviceError> {
        let mut rng = InsecureTestRng::new(self.seed);
        let _server = BoxSecret::generate(&mut rng);
        let device_box = BoxSecret::generate(&mut rng);
        let dek = vault::unwrap(&self.vault.wrapped, &kek())?;
        let secrets = SessionSecrets {
            token: "full-token".into(),
            device_secret: hex::encode(&self.device_secret),
            device_box_secret: hex::encode(device_box.to_bytes().as_ref()),
        };
        let index = Zeroizing::new([3u8; 32]);
        DeviceKeys::new(KeyRing { current: Rc::new(dek), retired: None }, index, secrets)
    }

    /// Signs in over `store`: a fresh vault and numbers `SO-0001000`… leased.
    pub async fn sign_in<S: DeviceStore>(&self, store: S) -> Result<Device<S>, DeviceError> {
        let device = Device::open(store).await?;
        let new = NewVault {
            device: self.device.clone(),
            vault: self.vault.clone(),
            lock: LockState { locked: false, ..LockState::default() },
            number_ranges: vec![NumberRange { prefix: "SO-".into(), first: 1000, last: 1999 }],
        };
        device.create_vault(new, self.keys()?, &mut InsecureTestRng::new(self.seed + 1)).await?;
        Ok(device)
    }

    /// What the server receives from `device`: its outbox (up to a push's worth) opened with the
    /// server's key, as the server opens it.
    pub async fn sent<S: DeviceStore>(&self, device: &Device<S>) -> Result<Vec<crate::sync::protocol::Mutation>, String> {
        let batch = device.outbox_batch(None, crate::sync::protocol::MAX_BATCH as u32).await.map_err(|e| e.to_string())?;
        batch
            .sealed
            .iter()
            .map(|s| crate::sync::sealing::open_mutation(&self.server, 1, self.device.device_id, &self.device_secret, s).map_err(|e| e.to_string()))
            .collect()
    }

    /// Another tab of the same device over the same store, unlocked.
    pub async fn open_tab<S: DeviceStore>(&self, store: S) -> Result<Device<S>, DeviceError> {
        let device = Device::open(store).await?;
        device.unlock(self.keys()?, &mut InsecureTestRng::new(self.seed + 2)).await?;
        Ok(device)
    }
}

/// A pull page as the server sends it.
pub fn page(checkpoint: &str, has_more: bool, changes: serde_json::Value) -> Result<PullResponse, serde_json::Error> {
    // Through the text, as the device receives it (a record's data stays text until decoded).
    serde_json::from_str(&serde_json::json!({
        "checkpoint": checkpoint, "has_more": has_more, "reset": false, "remaining": 0,
        "server_time": "2026-11-22T10:00:00Z", "changes": changes
    })
    .to_string())
}

/// An outlet as the pull sends it, with credit.
pub fn outlet_json(id: &str, name: &str, phone: &str, outstanding: &str, version: u64) -> serde_json::Value {
    serde_json::json!({"id": id, "name": name, "route": "R1", "address": "14 Market Lane", "phone": phone, "group": "retail",
        "place_of_supply": "CA-ON", "version": version,
        "credit": {"limit": "500.00", "outstanding": outstanding, "as_of": "2026-11-22T09:30:00Z"}})
}

/// A van figure as the pull sends it.
pub fn van_json(available: &str) -> serde_json::Value {
    serde_json::json!({"available": available, "as_of": "2026-11-22T09:30:00Z"})
}

/// A small shop's first (complete) pull: settings, a price list, three products, two outlets
/// with credit, the van, two tasks.
pub fn shop_page() -> Result<PullResponse, serde_json::Error> {
    let product = |sku: &str, name: &str| serde_json::json!({"sku": sku, "name": name, "unit": "each", "quantity_places": 0});
    page("v1.9", false, serde_json::json!([
        {"entity": "settings", "key": "sales", "data": {"settings": {"rule_set": "ca", "currency": "CAD"}, "role": "rep"}},
        {"entity": "price_list", "key": "PL-1", "data": {"id": "PL-1", "outlet_group": "retail", "valid_from": "2020-01-01",
            "prices": {"SKU-00001": "4.50", "SKU-00002": "12.00", "SKU-00003": "2.25"}}},
        {"entity": "product", "key": "SKU-00001", "data": product("SKU-00001", "Maple Basmati Rice")},
        {"entity": "product", "key": "SKU-00002", "data": product("SKU-00002", "Sunflower Oil 2L")},
        {"entity": "product", "key": "SKU-00003", "data": product("SKU-00003", "Sea Salt 1kg")},
        {"entity": "outlet", "key": "OUT-0001", "data": outlet_json("OUT-0001", "Joy's Grocery", "+1 416 555 0101", "120.00", 3)},
        {"entity": "outlet", "key": "OUT-0002", "data": outlet_json("OUT-0002", "Corner Mart", "+1 416 555 0102", "0.00", 3)},
        {"entity": "van_stock", "key": "SKU-00001", "data": van_json("40")},
        {"entity": "van_stock", "key": "SKU-00002", "data": van_json("12")},
        {"entity": "van_stock", "key": "SKU-00003", "data": van_json("30")},
        {"entity": "task", "key": "TASK-0001", "data": {"id": "TASK-0001", "outlet_id": "OUT-0001", "kind": "visit", "title": "Shelf check", "details": "", "status": "open"}},
    ]))
}

/// An order of `lines` (SKU, quantity) for `outlet_id` on the shop's business date.
pub fn order(outlet_id: &str, lines: &[(&str, &str)]) -> Result<SalesOrder, serde_json::Error> {
    serde_json::from_value(serde_json::json!({
        "outlet_id": outlet_id, "business_date": "2026-11-22",
        "lines": lines.iter().map(|(s, q)| serde_json::json!({"sku": s, "quantity": q})).collect::<Vec<_>>()
    }))
}

/// A UUIDv7 for test record `n`.
pub fn id(n: u64) -> Uuid {
    crate::ids::uuid_v7(1_764_000_000_000 + n, [(n % 251) as u8; 10])
}

/// The moment the shop's orders are committed.
pub fn now() -> DateTime<Utc> {
    "2026-11-22T10:05:00Z".parse().unwrap_or_default()
}
