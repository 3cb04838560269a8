//! What a shift sends the server besides its receipts: its opening, its cash movements and its
//! closing, each a mutation of its own (see [`crate::sync::protocol::MutationBody`]).
//!
//! Every receipt and movement of a shift depends on the shift's opening, and the closing
//! depends on every receipt and movement of the shift: the server never applies a receipt of a
//! shift it does not know, and recomputes the Z report only when it holds all that the report
//! counts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::shift::{CashMovement, Denomination, ShiftReport};

/// `shift.open`: a cashier opens a shift at a register with a counted float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftOpening {
    /// The shift's identity (UUIDv7, chosen on the device).
    pub shift_id: Uuid,
    /// The register.
    pub register: String,
    /// The cashier (the signed-in user; the server checks it is the device's user).
    pub cashier: String,
    /// When it opened (device clock).
    pub opened_at: DateTime<Utc>,
    /// The opening float, by denomination.
    pub float: Vec<Denomination>,
}

/// `cash.movement`: money into or out of the drawer that is not a sale, or a no-sale opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovementEntry {
    /// The shift.
    pub shift_id: Uuid,
    /// When (device clock).
    pub at: DateTime<Utc>,
    /// What.
    pub movement: CashMovement,
}

/// `shift.close`: the shift closed with the counted drawer and the device's Z report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftClosing {
    /// The shift.
    pub shift_id: Uuid,
    /// When (device clock).
    pub closed_at: DateTime<Utc>,
    /// The closing count, by denomination.
    pub counted: Vec<Denomination>,
    /// How many receipts the shift had (the server checks it holds as many).
    pub receipts: u32,
    /// How many cash movements.
    pub movements: u32,
    /// The device's Z report, which the server recomputes from the receipts it holds.
    pub report: ShiftReport,
}
