//! Sync between a device and the server.
//!
//! - [`protocol`]: the messages on the wire (see `docs/sync-protocol.md`).
//! - [`sealing`]: outbox entries sealed to the server's key, so a locked device still syncs.
//! - [`sequencing`]: the server's rule that makes a device's mutations apply exactly once, in order.
//! - [`deps`]: when a mutation that names parents may be applied, held or deferred.
//! - [`engine`]: the device's sync loop as a state machine: events in, commands out; the browser
//!   shell performs the I/O the commands ask for.
//! - [`hlc`]: hybrid logical clocks, which order events from devices whose clocks are wrong.
//! - [`merge`]: the field-level three-way merge of shared records, with conflicts for review.
//! - [`lifecycle`]: what became of a mutation ([`lifecycle::Fate`]), one type for the server's
//!   answers, replays and pull, and for what the device shows.
//! - [`edits`] and [`tasks`]: what a device may change on an outlet and how a task is completed,
//!   checked by both sides with the same code.

pub mod backup;
pub mod blobs;
pub mod deps;
pub mod edits;
pub mod engine;
pub mod hlc;
pub mod lifecycle;
pub mod marks;
pub mod merge;
pub mod protocol;
pub mod sealing;
pub mod sequencing;
pub mod tasks;
