//! The counter (point of sale, issue 13): the rules a cashier's sales, tenders and shift follow,
//! pure and shared by the device and the server.
//!
//! - [`tender`]: how a sale is paid ([`Tender`]), the change, cash rounding of the cash part
//!   only, and when a sale is complete ([`settle`]).
//! - [`refund`]: returns against a receipt (never more than was sold, less earlier refunds),
//!   money back the way it came (or in cash, by policy), and returns without a receipt under
//!   the deployment's policy.
//! - [`register`]: one [`Shift`] at one register: opened with a counted float, receipts and
//!   cash movements recorded, an X report at any time, closed once with the counted drawer.
//! - [`shift`]: the opening float counted by denomination, cash movements, and the X / Z
//!   report computed from the shift's receipts ([`report`]), so that the server's recomputed Z
//!   report equals the device's to the cent.
//!
//! - [`receipt`]: a receipt is a sales document with its shift and tenders
//!   ([`CounterSale`]); [`receipt::check`] settles it and gives its report figures, on the device
//!   before it commits and on the server on receipt; refunds are checked against their receipt.
//! - [`approval`]: a manager's approval given offline with their PIN, proved to the server.
//! - [`events`]: the shift's opening, cash movements and closing as they travel to the server.
//!
//! Receipts are priced and taxed by [`crate::sales`] and the tax engine like any order; this
//! module adds what happens at the counter after the total is known.

pub mod approval;
pub mod events;
pub mod receipt;
pub mod refund;
pub mod register;
pub mod shift;
pub mod tender;

pub use approval::{ApprovalError, ManagerApproval, ManagerKey};
pub use events::{MovementEntry, ShiftClosing, ShiftOpening};
pub use receipt::{check, check_refund, receipt_prefix, CheckedReceipt, CounterSale, CounterSettings, ReceiptError, RefundOf};
pub use refund::{check_no_receipt, plan_return, refund_tenders, NoReceiptPolicy, RefundError, RefundTo, ReturnLine, SoldLine};
pub use register::{Closing, Shift, ShiftError};
pub use shift::{closing_differences, count_drawer, differences, report, CashMovement, ReportDifference, Denomination, ReceiptFigures, ReceiptKind, ShiftReport};
pub use tender::{settle, Settlement, Tender, TenderError};
