//! Orders v2: an order priced from the outlet's price list, taxed by the tax engine
//! ([`crate::tax`]) with its full breakdown, and validated under the deployment's policy
//! ([`crate::validation`]), by the same pure code on the device at commit and on the server
//! on push.
//!
//! - [`model`]: what syncs down ([`CatalogProduct`], [`PriceList`], [`OutletInfo`],
//!   [`SalesSettings`]) and what the rep composes ([`SalesOrder`]), plus the facts around a
//!   commit ([`SalesContext`]).
//! - [`Catalog`]: products by SKU, price lists by group, and the choice of the price list for
//!   an outlet on a business date.
//! - [`quote()`]: prices, taxes and validates an order: a [`Quote`].
//! - [`quote_request()`]: the same from one [`QuoteRequest`] carrying all the reference data,
//!   for callers with no store (the embedding package).
//! - [`effects`]: what a committed order does to the van, the outlet's balance and the memory of
//!   recent orders, one function each for the server and the device.
//! - [`SalesDocument`]: the committed document in the outbox, built from a quote; [`verify()`]
//!   is the server's recomputation of it, giving a [`ServerVerdict`] or a typed
//!   [`SalesRejection`].
//!
//! # Decisions
//!
//! - **Prices never come from the client.** Unit prices are looked up in the price list on
//!   both sides; the document records them only so that a difference is named
//!   (`unit_prices[i]`) instead of surfacing as a tax difference.
//! - **Errors versus findings.** What makes an order impossible to price (another outlet, no
//!   price list for the group, an unknown SKU, a SKU the list does not price, a tax engine
//!   error) is a [`SalesError`]. What validation judges (quantities, discounts, minimums, packs,
//!   price validity, stock, credit, duplicates, required fields) is a finding of the quote's
//!   [`crate::validation::Verdict`]. Unknown products are errors here, not findings: a line
//!   without a product has no price.
//! - **The tax engine is not fed garbage.** Validation runs first; when it finds a structural
//!   error (zero, negative or too precise quantity, discount outside 0–100 %, no lines) the
//!   quote has no taxes and no total, only the blocking verdict. Otherwise validation runs
//!   again with the amount due, for the credit rule.
//! - **An expired price list still prices.** When no list of the outlet's group is in force,
//!   the most recent one is used and validation reports `price_list_expired` on each line
//!   (blocking under the default policy; a deployment may make it `warn_and_flag`).
//! - **The total is the amount due**: the tax result's total, cash-rounded when the order is
//!   paid cash and the rule set rounds cash (the document's `taxes.total` stays the unrounded
//!   one, as the tax engine computes it).
//! - **Line ids** in the tax document and the claimed taxes are the line indices (`"0"`,
//!   `"1"` …), so the breakdown lines up with `lines[i]`.
//! - **The server's data decides.** [`verify()`] validates as of the document's `committed_at`
//!   with the server's credit, stock and recent orders; its flag is the server's, whatever the
//!   device showed (kept on the document for the record).

pub mod catalog;
pub mod document;
pub mod effects;
pub mod error;
pub mod model;
pub mod quote;
pub mod request;

pub mod numbering;

pub use catalog::Catalog;
pub use numbering::NumberRange;
pub use document::{verify, SalesDocument, ServerVerdict};
pub use effects::{balance_effect, duplicate_window, recent_order, van_movements};
pub use error::{rule_code, SalesError, SalesRejection};
pub use model::{
    CatalogProduct, CreditInfo, OrderKind, OutletInfo, PriceList, SalesContext, SalesLine, SalesOrder,
    SalesSettings,
};
pub use quote::{quote, Quote, MAX_LINES};
pub use request::{quote_request, QuoteRequest};
