//! Refunds at the counter: which lines of a receipt may still be returned, how much, and how
//! the money goes back.
//!
//! # Rules
//!
//! - **Never more than was sold.** Each line of a receipt can be returned up to its sold
//!   quantity minus what earlier refunds of that receipt already returned.
//! - **The refund is the sale's mirror.** Its lines are the chosen lines with their quantities;
//!   the tax engine taxes it as the mirror of the sale (a return order), to the cent, under
//!   every rounding mode (`core/tests/tax_engine.rs`).
//! - **Money goes back the way it came** ([`RefundTo::OriginalTenders`]): each non-cash kind
//!   (card, mobile money, …) up to what it paid less what earlier refunds already gave back to
//!   it, in the order the sale used them; the rest in cash. A deployment may refund everything
//!   in cash instead ([`RefundTo::Cash`]).
//! - **Without a receipt** a return is what the deployment's [`NoReceiptPolicy`] says: refused,
//!   allowed with a manager's approval, or allowed.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Dec;

/// A line of the receipt being refunded: what it sold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldLine {
    /// The product.
    pub sku: String,
    /// How many were sold.
    pub quantity: Dec,
    /// How many earlier refunds of this receipt already returned.
    pub refunded: Dec,
}

/// One line to return: the receipt's line index and how many.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnLine {
    /// Index of the line on the receipt.
    pub line: usize,
    /// How many to return.
    pub quantity: Dec,
}

/// Why a refund was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// Nothing chosen.
    #[error("choose at least one line to return")]
    Empty,
    /// A line the receipt does not have.
    #[error("the receipt has no line {line}")]
    UnknownLine {
        /// The index asked for.
        line: usize,
    },
    /// The same line twice.
    #[error("line {line} is chosen twice")]
    DuplicateLine {
        /// The index.
        line: usize,
    },
    /// Zero or less.
    #[error("line {line}: the quantity to return must be greater than zero")]
    NonPositive {
        /// The index.
        line: usize,
    },
    /// More than is left to return.
    #[error("line {line}: {asked} asked, but only {left} of the {sold} sold can still be returned")]
    MoreThanSold {
        /// The index.
        line: usize,
        /// Sold on the receipt.
        sold: Dec,
        /// Left after earlier refunds.
        left: Dec,
        /// Asked now.
        asked: Dec,
    },
    /// The deployment refuses returns without a receipt.
    #[error("returns without a receipt are not accepted here")]
    NoReceiptRefused,
    /// A return without a receipt needs a manager's approval.
    #[error("a return without a receipt needs a manager's approval")]
    ManagerApprovalRequired,
}

impl RefundError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            RefundError::Empty => "nothing_to_return",
            RefundError::UnknownLine { .. } => "unknown_line",
            RefundError::DuplicateLine { .. } => "duplicate_line",
            RefundError::NonPositive { .. } => "non_positive_quantity",
            RefundError::MoreThanSold { .. } => "more_than_sold",
            RefundError::NoReceiptRefused => "no_receipt_refused",
            RefundError::ManagerApprovalRequired => "manager_approval_required",
        }
    }
}

/// Checks the lines chosen for return against what the receipt sold and earlier refunds
/// returned; gives the (sku, quantity) lines of the return order.
pub fn plan_return(sold: &[SoldLine], chosen: &[ReturnLine]) -> Result<Vec<(String, Dec)>, RefundError> {
    if chosen.is_empty() {
        return Err(RefundError::Empty);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut lines = Vec::with_capacity(chosen.len());
    for c in chosen {
        let s = sold.get(c.line).ok_or(RefundError::UnknownLine { line: c.line })?;
        if !seen.insert(c.line) {
            return Err(RefundError::DuplicateLine { line: c.line });
        }
        if c.quantity.value() <= Decimal::ZERO {
            return Err(RefundError::NonPositive { line: c.line });
        }
        let left = s.quantity.value() - s.refunded.value();
        if c.quantity.value() > left {
            return Err(RefundError::MoreThanSold { line: c.line, sold: s.quantity, left: Dec(left.max(Decimal::ZERO)), asked: c.quantity });
        }
        lines.push((s.sku.clone(), c.quantity));
    }
    Ok(lines)
}

/// Where refunded money goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundTo {
    /// Back to the tenders the sale used (the default).
    #[default]
    OriginalTenders,
    /// All in cash.
    Cash,
}

/// Splits a refund of `amount` over the tenders to pay it back with: per kind, in the sale's
/// order. `kept` is what the sale kept per kind (cash net of change), `given_back` what earlier
/// refunds of the same receipt already paid back per kind.
pub fn refund_tenders(amount: Decimal, kept: &[(String, Dec)], given_back: &[(String, Dec)], to: RefundTo) -> Vec<(String, Dec)> {
    let mut out: Vec<(String, Dec)> = Vec::new();
    let mut left = amount.max(Decimal::ZERO);
    if to == RefundTo::OriginalTenders {
        for (kind, paid) in kept.iter().filter(|(k, _)| k != "cash") {
            let back: Decimal = given_back.iter().filter(|(k, _)| k == kind).map(|(_, v)| v.value()).sum();
            let room = (paid.value() - back).max(Decimal::ZERO);
            let part = room.min(left);
            if part > Decimal::ZERO {
                out.push((kind.clone(), Dec(part)));
                left -= part;
            }
        }
    }
    if left > Decimal::ZERO {
        out.push(("cash".into(), Dec(left)));
    }
    out
}

/// What the deployment does with a return that has no receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoReceiptPolicy {
    /// Refused.
    #[default]
    Block,
    /// Allowed with a manager's approval (their PIN on the device).
    ManagerApproval,
    /// Allowed.
    Allow,
}

/// Whether a return without a receipt may go ahead.
pub fn check_no_receipt(policy: NoReceiptPolicy, manager_approved: bool) -> Result<(), RefundError> {
    match policy {
        NoReceiptPolicy::Block => Err(RefundError::NoReceiptRefused),
        NoReceiptPolicy::ManagerApproval if !manager_approved => Err(RefundError::ManagerApprovalRequired),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("literal"))
    }
    fn sold(sku: &str, q: &str, refunded: &str) -> SoldLine {
        SoldLine { sku: sku.into(), quantity: d(q), refunded: d(refunded) }
    }
    fn ret(line: usize, q: &str) -> ReturnLine {
        ReturnLine { line, quantity: d(q) }
    }

    #[test]
    fn returns_up_to_what_is_left() {
        let receipt = [sold("A", "3", "1"), sold("B", "1.250", "0")];
        assert_eq!(plan_return(&receipt, &[ret(0, "2"), ret(1, "0.5")]).expect("returns"), vec![("A".into(), d("2")), ("B".into(), d("0.5"))]);
        let err = plan_return(&receipt, &[ret(0, "3")]).expect_err("more than sold");
        assert_eq!(err.code(), "more_than_sold");
        assert_eq!(err.to_string(), "line 0: 3 asked, but only 2 of the 3 sold can still be returned");
        assert_eq!(plan_return(&receipt, &[]).expect_err("refused").code(), "nothing_to_return");
        assert_eq!(plan_return(&receipt, &[ret(5, "1")]).expect_err("refused").code(), "unknown_line");
        assert_eq!(plan_return(&receipt, &[ret(1, "0")]).expect_err("refused").code(), "non_positive_quantity");
        assert_eq!(plan_return(&receipt, &[ret(0, "1"), ret(0, "1")]).expect_err("refused").code(), "duplicate_line");
    }

    #[test]
    fn money_goes_back_the_way_it_came() {
        let kept = vec![("card".to_string(), d("20")), ("cash".to_string(), d("2.60"))];
        // 15 back: all on the card.
        assert_eq!(refund_tenders(d("15").value(), &kept, &[], RefundTo::OriginalTenders), vec![("card".into(), d("15"))]);
        // After that, 7: the card has 5 left, the rest in cash.
        let back = vec![("card".to_string(), d("15"))];
        assert_eq!(refund_tenders(d("7").value(), &kept, &back, RefundTo::OriginalTenders), vec![("card".into(), d("5")), ("cash".into(), d("2"))]);
        // By policy, all in cash.
        assert_eq!(refund_tenders(d("15").value(), &kept, &[], RefundTo::Cash), vec![("cash".into(), d("15"))]);
    }

    #[test]
    fn returns_without_a_receipt_follow_the_policy() {
        assert_eq!(check_no_receipt(NoReceiptPolicy::Block, true).expect_err("refused").code(), "no_receipt_refused");
        assert_eq!(check_no_receipt(NoReceiptPolicy::ManagerApproval, false).expect_err("refused").code(), "manager_approval_required");
        assert!(check_no_receipt(NoReceiptPolicy::ManagerApproval, true).is_ok());
        assert!(check_no_receipt(NoReceiptPolicy::Allow, false).is_ok());
    }
}
