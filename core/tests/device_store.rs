//! The device store's conformance suite over the memory store (natively). The same suite runs
//! over IndexedDB in Chromium: `tests/browser_device_store.rs`.

use satchel_core::device::conformance;
use satchel_core::device::store::MemoryStore;
use satchel_core::device::testkit::block_on;

macro_rules! over_memory {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let outcome = block_on(conformance::$name(MemoryStore::new())).expect("the memory store never waits");
                if let Err(what) = outcome {
                    panic!("{}: {what}", stringify!($name));
                }
            }
        )*
    };
}

satchel_core::conformance_tests!(over_memory);
