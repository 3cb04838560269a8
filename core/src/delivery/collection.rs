//! Collections: money a crew member takes from a customer against their open invoices.
//!
//! # Rules
//!
//! - **Against invoices.** A collection is allocated to one or more of the customer's open
//!   invoices, each part positive and at most what that invoice still owes (its outstanding
//!   amount less what earlier collections of the day already took). Partial payments are fine.
//! - **No more than owed**, unless the deployment allows an advance ([`AdvancePolicy::Allow`]):
//!   then what is collected beyond the allocations is kept as an advance on the customer's
//!   account. Without it, the allocations must add up to the amount exactly.
//! - **Methods.** Cash; a cheque with its number, bank and date; a mobile-money reference.
//!   Amounts are positive with at most the currency's decimal places.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Dec;

/// How the customer paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(rename = "CollectionMethod"))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// Notes and coins.
    Cash,
    /// A cheque.
    Cheque {
        /// Its number.
        number: String,
        /// The bank it is drawn on.
        bank: String,
        /// The date written on it.
        #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
        date: NaiveDate,
    },
    /// A mobile-money transfer.
    MobileMoney {
        /// The transfer's reference.
        reference: String,
    },
}

impl Method {
    /// The code reports group it under: `cash`, `cheque`, `mobile_money`.
    pub fn kind(&self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Cheque { .. } => "cheque",
            Method::MobileMoney { .. } => "mobile_money",
        }
    }
}

/// An invoice of the customer with something still to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenInvoice {
    /// The invoice (the order's id).
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// What it still owes, as the server last said (or its total, for an invoice of the day).
    pub outstanding: Dec,
}

/// One part of a collection: how much goes to which invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// The invoice.
    pub order_id: Uuid,
    /// How much.
    pub amount: Dec,
}

/// Whether a collection may exceed what its invoices owe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AdvancePolicy {
    /// No: the allocations add up to the amount (the default).
    #[default]
    Refuse,
    /// Yes: the rest is kept as an advance on the customer's account.
    Allow,
}

/// A collection as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// Its identity (UUIDv7, chosen on the device).
    pub collection_id: Uuid,
    /// The customer (outlet).
    pub outlet_id: String,
    /// How.
    pub method: Method,
    /// How much was handed over.
    pub amount: Dec,
    /// Which invoices it pays.
    pub allocations: Vec<Allocation>,
}

impl Collection {
    /// What is kept as an advance: the amount less its allocations.
    pub fn advance(&self) -> Decimal {
        self.amount.value() - self.allocations.iter().map(|a| a.amount.value()).sum::<Decimal>()
    }
}

/// Why a collection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionError {
    /// Zero, negative or too precise.
    #[error("{field}: the amount must be greater than zero with at most {places} decimal places")]
    BadAmount {
        /// Which amount.
        field: String,
        /// The currency's places.
        places: u32,
    },
    /// Nothing to pay.
    #[error("choose at least one invoice to pay")]
    NoInvoice,
    /// An invoice that is not open for this customer.
    #[error("{field}: invoice {order_id} is not open for this customer")]
    UnknownInvoice {
        /// The allocation.
        field: String,
        /// The invoice.
        order_id: Uuid,
    },
    /// The same invoice twice.
    #[error("{field}: invoice {number} is paid twice in one collection")]
    DuplicateInvoice {
        /// The allocation.
        field: String,
        /// The invoice.
        number: String,
    },
    /// More than the invoice still owes.
    #[error("{field}: {amount} is more than the {left} invoice {number} still owes")]
    MoreThanOwed {
        /// The allocation.
        field: String,
        /// The invoice.
        number: String,
        /// Asked.
        amount: Dec,
        /// Left to pay.
        left: Dec,
    },
    /// The allocations do not add up to the amount, and advances are not allowed.
    #[error("the invoices chosen add up to {allocated}, not the {amount} collected")]
    Unallocated {
        /// The amount.
        amount: Dec,
        /// The allocations' sum.
        allocated: Dec,
    },
    /// The allocations add up to more than the amount.
    #[error("the invoices chosen add up to {allocated}, more than the {amount} collected")]
    OverAllocated {
        /// The amount.
        amount: Dec,
        /// The allocations' sum.
        allocated: Dec,
    },
    /// A cheque or mobile-money payment without its reference.
    #[error("{0} is required")]
    Missing(&'static str),
}

impl CollectionError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            CollectionError::BadAmount { .. } => "bad_amount",
            CollectionError::NoInvoice => "no_invoice",
            CollectionError::UnknownInvoice { .. } => "unknown_invoice",
            CollectionError::DuplicateInvoice { .. } => "duplicate_invoice",
            CollectionError::MoreThanOwed { .. } => "more_than_owed",
            CollectionError::Unallocated { .. } => "unallocated",
            CollectionError::OverAllocated { .. } => "over_allocated",
            CollectionError::Missing(_) => "missing",
        }
    }
}

fn amount_ok(amount: Decimal, places: u32) -> bool {
    amount > Decimal::ZERO && amount.normalize().scale() <= places
}

/// What each open invoice still owes after `earlier` collections of the day.
pub fn left_to_pay(open: &[OpenInvoice], earlier: &[Collection]) -> BTreeMap<Uuid, Decimal> {
    let mut left: BTreeMap<Uuid, Decimal> = open.iter().map(|i| (i.order_id, i.outstanding.value())).collect();
    for c in earlier {
        for a in &c.allocations {
            if let Some(l) = left.get_mut(&a.order_id) {
                *l -= a.amount.value();
            }
        }
    }
    left
}

/// Checks a collection against the customer's open invoices and the day's earlier collections,
/// in a currency of `places` decimal places.
pub fn check(c: &Collection, open: &[OpenInvoice], earlier: &[Collection], places: u32, advances: AdvancePolicy) -> Result<(), CollectionError> {
    if !amount_ok(c.amount.value(), places) {
        return Err(CollectionError::BadAmount { field: "amount".into(), places });
    }
    match &c.method {
        Method::Cheque { number, bank, .. } => {
            if number.trim().is_empty() {
                return Err(CollectionError::Missing("the cheque's number"));
            }
            if bank.trim().is_empty() {
                return Err(CollectionError::Missing("the cheque's bank"));
            }
        }
        Method::MobileMoney { reference } if reference.trim().is_empty() => return Err(CollectionError::Missing("the transfer's reference")),
        _ => {}
    }
    if c.allocations.is_empty() && advances == AdvancePolicy::Refuse {
        return Err(CollectionError::NoInvoice);
    }
    let left = left_to_pay(open, earlier);
    let mut seen = std::collections::BTreeSet::new();
    let mut allocated = Decimal::ZERO;
    for (i, a) in c.allocations.iter().enumerate() {
        let field = format!("allocations[{i}]");
        let invoice = open.iter().find(|o| o.order_id == a.order_id).ok_or_else(|| CollectionError::UnknownInvoice { field: field.clone(), order_id: a.order_id })?;
        if !seen.insert(a.order_id) {
            return Err(CollectionError::DuplicateInvoice { field, number: invoice.number.clone() });
        }
        if !amount_ok(a.amount.value(), places) {
            return Err(CollectionError::BadAmount { field: format!("{field}.amount"), places });
        }
        let l = left.get(&a.order_id).copied().unwrap_or_default().max(Decimal::ZERO);
        if a.amount.value() > l {
            return Err(CollectionError::MoreThanOwed { field, number: invoice.number.clone(), amount: a.amount, left: Dec(l) });
        }
        allocated += a.amount.value();
    }
    if allocated > c.amount.value() {
        return Err(CollectionError::OverAllocated { amount: c.amount, allocated: Dec(allocated) });
    }
    if allocated < c.amount.value() && advances == AdvancePolicy::Refuse {
        return Err(CollectionError::Unallocated { amount: c.amount, allocated: Dec(allocated) });
    }
    Ok(())
}

/// Allocates `amount` over the open invoices, oldest first (the order given), each up to what it
/// still owes: what a crew member gets when they do not pick the invoices themselves. Anything
/// beyond what is owed is left unallocated (an advance, where the policy allows one).
pub fn allocate_oldest_first(amount: Decimal, open: &[OpenInvoice], earlier: &[Collection]) -> Vec<Allocation> {
    let left = left_to_pay(open, earlier);
    let mut rest = amount.max(Decimal::ZERO);
    let mut out = Vec::new();
    for inv in open {
        if rest <= Decimal::ZERO {
            break;
        }
        let l = left.get(&inv.order_id).copied().unwrap_or_default();
        let part = l.min(rest);
        if part > Decimal::ZERO {
            out.push(Allocation { order_id: inv.order_id, amount: Dec(part) });
            rest -= part;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("a decimal literal"))
    }

    fn inv(n: u128, number: &str, outstanding: &str) -> OpenInvoice {
        OpenInvoice { order_id: Uuid::from_u128(n), number: number.into(), outstanding: d(outstanding) }
    }

    fn collection(amount: &str, parts: &[(u128, &str)], method: Method) -> Collection {
        Collection {
            collection_id: Uuid::from_u128(99),
            outlet_id: "OUT-1".into(),
            method,
            amount: d(amount),
            allocations: parts.iter().map(|(n, a)| Allocation { order_id: Uuid::from_u128(*n), amount: d(a) }).collect(),
        }
    }

    #[test]
    fn partial_payments_add_up_and_never_exceed_what_is_owed() {
        let open = [inv(1, "SO-0001000", "120.00"), inv(2, "SO-0001001", "30.50")];
        let first = collection("100", &[(1, "100")], Method::Cash);
        assert_eq!(check(&first, &open, &[], 2, AdvancePolicy::Refuse), Ok(()));
        // 20.00 left on the first invoice after the partial payment.
        let second = collection("50.50", &[(1, "20"), (2, "30.50")], Method::Cheque { number: "004512".into(), bank: "TD".into(), date: NaiveDate::default() });
        assert_eq!(check(&second, &open, std::slice::from_ref(&first), 2, AdvancePolicy::Refuse), Ok(()));
        let too_much = collection("25", &[(1, "25")], Method::Cash);
        assert_eq!(check(&too_much, &open, std::slice::from_ref(&first), 2, AdvancePolicy::Refuse).expect_err("over").code(), "more_than_owed");
        let unallocated = collection("40", &[(2, "30.50")], Method::Cash);
        assert_eq!(check(&unallocated, &open, &[], 2, AdvancePolicy::Refuse).expect_err("rest").code(), "unallocated");
        assert_eq!(check(&unallocated, &open, &[], 2, AdvancePolicy::Allow), Ok(()), "an advance where allowed");
        assert_eq!(unallocated.advance(), d("9.50").value());
        let twice = collection("20", &[(2, "10"), (2, "10")], Method::Cash);
        assert_eq!(check(&twice, &open, &[], 2, AdvancePolicy::Refuse).expect_err("twice").code(), "duplicate_invoice");
        let unknown = collection("10", &[(3, "10")], Method::Cash);
        assert_eq!(check(&unknown, &open, &[], 2, AdvancePolicy::Refuse).expect_err("unknown").code(), "unknown_invoice");
        let cheque = collection("10", &[(2, "10")], Method::Cheque { number: " ".into(), bank: "TD".into(), date: NaiveDate::default() });
        assert_eq!(check(&cheque, &open, &[], 2, AdvancePolicy::Refuse).expect_err("no number").code(), "missing");
        let precise = collection("10.001", &[(2, "10.001")], Method::Cash);
        assert_eq!(check(&precise, &open, &[], 2, AdvancePolicy::Refuse).expect_err("precise").code(), "bad_amount");
    }

    #[test]
    fn oldest_first_allocation_fills_invoices_in_order() {
        let open = [inv(1, "A", "10"), inv(2, "B", "5"), inv(3, "C", "7")];
        let parts = allocate_oldest_first(d("12").value(), &open, &[]);
        assert_eq!(parts, vec![Allocation { order_id: Uuid::from_u128(1), amount: d("10") }, Allocation { order_id: Uuid::from_u128(2), amount: d("2") }]);
        assert_eq!(allocate_oldest_first(d("30").value(), &open, &[]).iter().map(|a| a.amount.value()).sum::<Decimal>(), d("22").value());
    }
}
