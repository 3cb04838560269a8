//! Order validation under the deployment's policy: the same pure function runs on the device at
//! commit and again on the server with its authoritative data.
//!
//! The business decides, the code obeys: each rule's severity comes from a
//! [`ValidationPolicy`] (JSON, configured per deployment): [`Severity::Block`] (the order cannot be
//! committed), [`Severity::WarnAndFlag`] (allowed, shown as a warning, flagged for a supervisor's
//! review on sync) or [`Severity::Allow`] (recorded, nothing shown).
//!
//! The rules, in the order they run:
//! 1. **Required fields** ([`Rule::MissingRequired`]): the outlet and at least one line always
//!    (structural), and whatever optional fields the policy lists.
//! 2. **Order discount**: between 0 and 100 % (structural, [`Rule::InvalidDiscount`]), then within
//!    the cap for the user's role ([`Rule::DiscountCap`]; a role the policy does not list has a
//!    cap of 0). Exactly at the cap is within it.
//! 3. **Each line**, in order: the product exists ([`Rule::UnknownProduct`]); the quantity is
//!    positive ([`Rule::NonPositiveQuantity`]) and has no more decimal places than its unit
//!    allows ([`Rule::QuantityPrecision`]); the line discount (as the order discount); the price
//!    is valid on the business date, `[valid_from, valid_until)` ([`Rule::PriceListExpired`]);
//!    the quantity is at least the minimum order quantity ([`Rule::MinOrderQuantity`]) and a
//!    whole number of packs when the pack size is above 1 ([`Rule::PackMultiple`]).
//! 4. **Stock** ([`Rule::StockShortfall`]): the quantity of each SKU summed over its lines
//!    against what is available; the finding names the SKU's first line. Exactly the available
//!    quantity is within stock.
//! 5. **Credit** ([`Rule::CreditLimit`]): outstanding balance (as of) + this device's pending
//!    orders for the outlet + this order's total, against the limit. Exactly at the limit is
//!    within it; the finding carries the excess and the balance's age.
//! 6. **Likely duplicate** ([`Rule::LikelyDuplicate`]): a recent order for the same outlet, at
//!    most the policy's window apart, with the same multiset of (SKU, quantity).
//!
//! **Structural findings always block**, whatever the policy: an unknown product, a zero or
//! negative quantity, a quantity too precise for its unit, a discount outside 0–100 %, a missing
//! outlet or an order without lines. No policy can make such an order meaningful. A line with a
//! structural error skips the rules that would only add noise about it (minimum, packs, stock).
//!
//! Not checked here: whether a line's unit price equals the list price. That is a price mismatch,
//! which the server checks against its catalog ([`crate::order::check_catalog`]).
//!
//! Determinism: the verdict depends only on the inputs (time comes in as `now`). Reordering the
//! lines changes only which line indices findings name; reordering the catalog, stock or recent
//! orders changes nothing. Arithmetic is exact decimal and saturates instead of overflowing.

mod finding;
mod input;
mod policy;
mod rules;

/// The likely-duplicate rule's comparison of lines, as a short key (see
/// [`duplicate_key`]).
pub use rules::duplicate_key;
pub use finding::{Details, Finding, Rule, Verdict};
pub use input::{
    CreditPosition, LineUnderValidation, OrderUnderValidation, PriceValidity, ProductFacts,
    RecentLine, RecentOrder, StockLevel, ValidationInput,
};
pub use policy::{
    OrderField, RuleSeverities, Severity, ValidationPolicy, DEFAULT_DUPLICATE_WINDOW_MINUTES,
};

/// Validates an order under a policy. Never fails: everything wrong is a finding.
pub fn validate(policy: &ValidationPolicy, input: &ValidationInput) -> Verdict {
    let mut findings = rules::Findings::new(policy);
    rules::required(input, &mut findings);
    rules::order_discount(input, &mut findings);
    for (i, line) in input.order.lines.iter().enumerate() {
        rules::line(input, i, line, &mut findings);
    }
    rules::stock(input, &mut findings);
    rules::credit(input, &mut findings);
    rules::duplicate(input, &mut findings);
    Verdict::from_findings(findings.list)
}
