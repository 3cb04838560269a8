//! # satchel: the WebAssembly module
//!
//! Thin bindings and browser adapters over [`satchel_core`]; no business rule is decided here.
//!
//! - [`idb`]: a small IndexedDB adapter over web-sys (transactions with `durability`).
//! - [`device_idb`]: IndexedDB as core's device store port: core's device
//!   ([`satchel_core::device::app::Device`]) runs over it.
//! - [`vault`]: the PIN, the data key in memory, the inactivity lock and key rotation.
//! - [`transport`]: `fetch` to the sync server, with typed failures.
//! - [`workspace`]: the `Workspace` class exported to JavaScript, a façade over core's device.
//! - [`sync_loop`]: core's sync engine driven with fetch, timers, Web Locks and BroadcastChannel.
//!
//! The tax engine's JavaScript API (`TaxEngine`) is not here: it ships in the embedding
//! package's own small module (`engine/`, `@satchel/engine`); the PWA taxes through core.
//! - [`error`]: every failure crosses into JavaScript as a real `Error` with a stable `code`.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]

pub mod device_idb;
pub mod error;
pub mod idb;
mod outbox_copy;
pub mod transport;
mod sync_loop;
mod telemetry;
mod ts_types;
pub mod vault;
pub mod workspace;

/// What a person typed into a quantity, discount or amount field, as the plain decimal text the
/// API takes: `,` or `.` is the decimal point (`"1,5"` → `"1.5"`), converted exactly. Refused
/// with code `validation` (detail `not_a_number`) when it is not one number.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = normalizeDecimal)]
pub fn normalize_decimal(text: &str) -> Result<String, error::SatchelError> {
    satchel_core::money::normalize_decimal_input(text).map_err(|e| error::SatchelError::Validation {
        field: String::new(),
        detail: "not_a_number".into(),
        message: format!("{e}: {text:?}"),
    })
}

/// Milliseconds since the Unix epoch, from the browser's clock.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Fills `buf` from the platform's cryptographic random source (`crypto.getRandomValues`).
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), error::SatchelError> {
    use wasm_bindgen::JsCast;
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .and_then(|c| c.dyn_into::<web_sys::Crypto>().ok())
        .ok_or_else(|| error::SatchelError::internal("no crypto.getRandomValues here"))?;
    crypto
        .get_random_values_with_u8_array(buf)
        .map_err(|_| error::SatchelError::internal("crypto.getRandomValues failed"))?;
    Ok(())
}

/// The browser's `crypto.getRandomValues` as core's randomness port.
///
/// `Workspace.open` checks that the source exists, so a failure here is an invariant broken:
/// it aborts rather than produce a predictable key or nonce.
pub struct BrowserRng;

impl satchel_core::vault::Rng for BrowserRng {
    fn fill(&mut self, buf: &mut [u8]) {
        // getRandomValues takes at most 65,536 bytes per call.
        for chunk in buf.chunks_mut(65_536) {
            if random_bytes(chunk).is_err() {
                panic!("crypto.getRandomValues failed");
            }
        }
    }
}

/// A fresh UUIDv7 from the browser clock and random source.
pub(crate) fn new_id() -> Result<uuid::Uuid, error::SatchelError> {
    let mut r = [0u8; 10];
    random_bytes(&mut r)?;
    Ok(satchel_core::ids::uuid_v7(now_ms() as u64, r))
}
