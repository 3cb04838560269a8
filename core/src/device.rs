//! The device's application layer, pure: what a phone, a counter tablet or a van's device does
//! with its local data, tested natively and run in the browser through the Wasm module.
//!
//! - [`schema`]: the stores, declared once (what sign-in, sign-out, rotation and unlock touch).
//! - [`records`]: the records as stored; [`plan`]: a use case's writes as typed records.
//! - [`store`]: the storage port ([`store::DeviceStore`]: one atomic read-modify-write per
//!   change) and [`store::MemoryStore`]; [`conformance`]: the suite every store passes.
//! - [`codec`]: sealing, keyed record keys and sealed boxes, from typed records to raw ones.
//! - [`state`]: the server's snapshot plus this device's records in memory, and what is derived
//!   from them (the van's stock, an outlet's credit, recent orders); [`views`]: what the page sees.
//! - The use cases: [`commit`] (quote and commit an order), [`changes`] (outlet edits, task
//!   completions, held orders, drafts), [`answers`] (the server's answers), [`pull`] (pull
//!   pages), each a pure function returning a [`plan::WritePlan`].
//! - [`app`]: one tab's [`Device`]: runs a use case over the store and applies its plan to the
//!   state; the browser's shell and the native tests drive it alike.
//! - [`error`]: [`DeviceError`], with a stable code.
//!
//! # Decisions
//!
//! - **The server's records are stored as the server sent them.** The van's stock and an
//!   outlet's balance on the device are the server's figures plus the effects of this device's
//!   orders the figures do not include yet, derived in memory (see [`state`]). Storing a figure
//!   with local effects folded in made two tabs disagree and a pull subtract twice.
//! - **A change is one transaction that reads what it depends on.** The counters (sequence
//!   number, document numbers, clock, nonce budget) are one record read in the change's own
//!   transaction, so two tabs committing at once are serialized by the database and never share
//!   a number; everything else the decision needs comes from memory.
//! - **Memory follows the disk.** The plan the store committed is applied to the state; other
//!   tabs re-read the records it names ([`plan::WritePlan::touched`]).

pub mod answers;
pub mod app;
pub mod changes;
pub mod codec;
pub mod commit;
pub mod conformance;
pub mod counter;
pub mod counter_views;
pub mod day;
pub mod day_views;
pub mod error;
pub mod health;
pub mod plan;
pub mod pull;
pub mod records;
pub mod schema;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod testkit;
pub mod views;

pub use app::Device;
pub use error::DeviceError;
