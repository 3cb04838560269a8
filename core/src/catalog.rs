//! The product catalog as the device searches it.
//!
//! - [`search`]: an in-memory, typo-tolerant index over products' names, SKUs and barcodes,
//!   built once when the catalog changes and queried on every keystroke (target: at most 5 ms
//!   per keystroke for 10,000 products in Wasm; `cargo bench -p satchel-core --bench search`
//!   prints the native figures).
//!
//! The index is pure data: no I/O, no clock, no hashing with random seeds, so the same catalog
//! and the same query give the same hits, in the same order, on every device and on the server.

pub mod search;
pub mod synthetic;

pub use search::{Hit, MatchKind, SearchDoc, SearchIndex};
