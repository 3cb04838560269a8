//! # satchel-core: the pure domain of Satchel
//!
//! Everything that decides something lives here, so that the phone (through the Wasm module)
//! and the reference server compute with the same code:
//!
//! - [`catalog`]: instant, typo-tolerant product search by name, SKU or barcode prefix.
//! - [`device`]: the device's application layer: its state, use cases and storage port.
//! - [`money`]: decimal amounts that cross every boundary as strings, with explicit rounding.
//! - [`order`]: orders, their validation and their totals.
//! - [`sales`]: orders v2: priced from price lists, taxed, validated, re-checked by the server.
//! - [`tax`]: the tax engine: rules as data, dated rates, exemptions, ERP rounding dialects.
//! - [`sync`]: the wire protocol between device and server, the device's sync loop as a state
//!   machine (events in, commands out) and the server's sequencing rule (exactly once).
//! - [`vault`]: encryption at rest (AES-256-GCM envelopes, PIN-wrapped data key), inactivity lock.
//! - [`validation`]: order rules whose severity each deployment sets (block, warn and flag, allow).
//!
//! The crate performs no I/O and reads no clock: time and randomness come in as arguments.
//! It has no wasm-bindgen, js-sys or web-sys in its dependency tree (checked by `build.sh test`),
//! so it builds and is tested natively and for `wasm32-unknown-unknown` alike.
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used)]
#![warn(missing_docs)]

pub mod catalog;
pub mod delivery;
pub mod device;
pub mod ids;
pub mod input;
pub mod money;
pub mod order;
pub mod pos;
pub mod sales;
pub mod sync;
pub mod tax;
pub mod telemetry;
#[cfg(not(target_arch = "wasm32"))]
pub mod ts_export;
pub mod vault;
pub mod validation;
