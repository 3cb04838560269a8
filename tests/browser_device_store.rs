//! The device store's conformance suite over IndexedDB in headless Chromium: the same tests
//! `core/tests/device_store.rs` runs over the memory store, each on a fresh database.
#![cfg(target_arch = "wasm32")]

use satchel::device_idb::IdbStore;
use satchel::idb::Db;
use satchel_core::device::conformance;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! over_indexeddb {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                let db_name = concat!("conformance-", stringify!($name));
                Db::delete(db_name).await.expect("delete the previous run's database");
                let store = IdbStore::open(db_name).await.expect("open IndexedDB");
                let outcome = conformance::$name(store.clone()).await;
                store.close();
                if let Err(what) = outcome {
                    panic!("{}: {what}", stringify!($name));
                }
            }
        )*
    };
}

satchel_core::conformance_tests!(over_indexeddb);
