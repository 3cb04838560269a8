//! The delivery day (issue 14, under way): the rules a crew's day follows, pure and shared by
//! the device and the server.
//!
//! - [`collection`]: money taken against a customer's open invoices, partial payments allowed,
//!   never more than owed unless the deployment allows an advance; cash, cheque (number, bank,
//!   date) or a mobile-money reference.
//! - [`settlement`]: the end of the day as a pure function of its records: stops done, failed,
//!   skipped and unplanned, invoices and returns, collections by method, the van reconciled
//!   (loaded − delivered + returned, against counted) and the cash (float + cash collected,
//!   against counted); and the differences between two settlements, so that the server's
//!   recomputation equals the device's to the cent or is flagged.
//!
//! Still to build on these: the day as a device record with its mutations, the server's
//! recomputation, the crew's screens (start, route, bill, collect, proof of delivery, end).

pub mod collection;
pub mod day;
pub mod settlement;

pub use collection::{allocate_oldest_first, check as check_collection, AdvancePolicy, Allocation, Collection, CollectionError, Method, OpenInvoice};
pub use day::{check_end, check_start, check_stop, CollectionEntry, DayEnd, DayError, DayLink, DayStart, DayStop, DeliverySettings, InvoiceInfo, Truck, VisitNote};
pub use settlement::{differences, settle, DayDocument, DayRecords, Settlement, SettlementDifference, Stop, StopOutcome, VanLine};
