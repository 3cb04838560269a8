//! One shift at one register: opened by a cashier with a counted float, then receipts and cash
//! movements recorded, read at any time (X report), and closed once with the counted drawer
//! (Z report). A closed shift cannot be changed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::shift::{count_drawer, report, CashMovement, Denomination, ReceiptFigures, ReceiptKind, ShiftReport};
use super::tender::Settlement;
use crate::money::Dec;
use crate::tax::TaxResult;

/// Why a shift refused something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShiftError {
    /// The shift was closed: nothing more can be recorded.
    #[error("the shift is closed")]
    Closed,
    /// A receipt number recorded twice.
    #[error("receipt {0} is already in this shift")]
    DuplicateReceipt(String),
    /// A denomination of zero or less, or an amount of zero or less.
    #[error("{0} must be greater than zero")]
    NonPositive(&'static str),
    /// Paid-in, paid-out and no-sale need a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// Who or where is missing.
    #[error("{0} is required")]
    Missing(&'static str),
}

impl ShiftError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ShiftError::Closed => "shift_closed",
            ShiftError::DuplicateReceipt(_) => "duplicate_receipt",
            ShiftError::NonPositive(_) => "non_positive",
            ShiftError::ReasonRequired => "reason_required",
            ShiftError::Missing(_) => "missing",
        }
    }
}

/// How a shift ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    /// When (RFC 3339, device clock).
    pub closed_at: String,
    /// The drawer as counted.
    pub counted: Vec<Denomination>,
    /// The Z report.
    pub report: ShiftReport,
}

/// A shift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    /// Its id.
    pub shift_id: String,
    /// The register (till) it runs on.
    pub register: String,
    /// The cashier signed in on the device.
    pub cashier: String,
    /// When it opened (RFC 3339, device clock).
    pub opened_at: String,
    /// The opening float as counted.
    pub opening_float: Vec<Denomination>,
    /// Its receipts, in number order.
    pub receipts: Vec<ReceiptFigures>,
    /// Paid-in, paid-out and no-sale.
    pub movements: Vec<CashMovement>,
    /// Set once, at the close.
    pub closing: Option<Closing>,
}

fn check_count(denominations: &[Denomination]) -> Result<(), ShiftError> {
    if denominations.iter().any(|d| d.value.value() <= Decimal::ZERO) {
        return Err(ShiftError::NonPositive("a denomination"));
    }
    Ok(())
}

impl Shift {
    /// Opens a shift with the float counted by denomination.
    pub fn open(shift_id: &str, register: &str, cashier: &str, opened_at: &str, float: Vec<Denomination>) -> Result<Shift, ShiftError> {
        for (what, v) in [("the shift id", shift_id), ("the register", register), ("the cashier", cashier)] {
            if v.trim().is_empty() {
                return Err(ShiftError::Missing(what));
            }
        }
        check_count(&float)?;
        Ok(Shift {
            shift_id: shift_id.into(),
            register: register.into(),
            cashier: cashier.into(),
            opened_at: opened_at.into(),
            opening_float: float,
            receipts: Vec::new(),
            movements: Vec::new(),
            closing: None,
        })
    }

    fn open_or_refuse(&self) -> Result<(), ShiftError> {
        if self.closing.is_some() {
            return Err(ShiftError::Closed);
        }
        Ok(())
    }

    /// Records a completed receipt.
    pub fn record_receipt(&mut self, receipt: ReceiptFigures) -> Result<(), ShiftError> {
        self.open_or_refuse()?;
        if self.receipts.iter().any(|r| r.number == receipt.number) {
            return Err(ShiftError::DuplicateReceipt(receipt.number));
        }
        self.receipts.push(receipt);
        Ok(())
    }

    /// Records a paid-in, paid-out or no-sale.
    pub fn record_movement(&mut self, movement: CashMovement) -> Result<(), ShiftError> {
        self.open_or_refuse()?;
        let (amount, reason) = match &movement {
            CashMovement::PaidIn { amount, reason } | CashMovement::PaidOut { amount, reason } => (Some(amount.value()), reason),
            CashMovement::NoSale { reason } => (None, reason),
        };
        if amount.is_some_and(|a| a <= Decimal::ZERO) {
            return Err(ShiftError::NonPositive("the amount"));
        }
        if reason.trim().is_empty() {
            return Err(ShiftError::ReasonRequired);
        }
        self.movements.push(movement);
        Ok(())
    }

    /// The X report: the shift so far, read only.
    pub fn x_report(&self) -> ShiftReport {
        report(count_drawer(&self.opening_float), &self.receipts, &self.movements, None)
    }

    /// Closes the shift with the drawer as counted; returns the Z report. Once only.
    pub fn close(&mut self, closed_at: &str, counted: Vec<Denomination>) -> Result<&ShiftReport, ShiftError> {
        self.open_or_refuse()?;
        check_count(&counted)?;
        let z = report(count_drawer(&self.opening_float), &self.receipts, &self.movements, Some(&counted));
        let closing = self.closing.insert(Closing { closed_at: closed_at.into(), counted, report: z });
        Ok(&closing.report)
    }
}

impl ReceiptFigures {
    /// What a Z report keeps of a receipt: its taxes as the engine computed them (a refund's,
    /// negative in the engine, are kept positive with the kind saying which way) and how it was
    /// settled.
    pub fn of(number: &str, kind: ReceiptKind, taxes: &TaxResult, settlement: &Settlement) -> ReceiptFigures {
        let abs = |d: Dec| Dec(d.value().abs());
        let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in &taxes.taxes {
            *sums.entry(t.code.to_string()).or_default() += t.amount.value().abs();
        }
        let per_code = sums.into_iter().map(|(code, amount)| (code, Dec(amount))).collect();
        ReceiptFigures {
            number: number.into(),
            kind,
            discount: abs(taxes.discount),
            taxes: per_code,
            total: abs(taxes.total),
            rounding: settlement.rounding,
            tenders: settlement.by_kind.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;
    use crate::pos::tender::{settle, Tender};
    use crate::tax::{builtin, compute, TaxDocument};

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("literal"))
    }

    fn ontario(quantity: &str, price: &str) -> TaxResult {
        let rules = builtin::rule_set("ca").expect("the built-in Canadian rule set");
        let doc: TaxDocument = serde_json::from_value(serde_json::json!({
            "business_date": "2026-12-04", "place_of_supply": "CA-ON", "cash": true,
            "lines": [{"id": "0", "quantity": quantity, "unit_price": price}]
        }))
        .expect("a document");
        compute(&rules, &doc).expect("taxes")
    }

    #[test]
    fn a_shift_from_open_to_close_and_nothing_after() {
        let float = vec![Denomination { value: d("10"), count: 10 }];
        let mut shift = Shift::open("S1", "R1", "cashier1", "2026-12-04T08:00:00Z", float).expect("opens");
        let sale = ontario("2", "4.99");
        let settled = settle(sale.total.value(), 2, Some(d("0.05").value()), &[Tender::Cash { amount: d("20") }]).expect("settles");
        assert!(settled.complete);
        shift.record_receipt(ReceiptFigures::of("R1-000001", ReceiptKind::Sale, &sale, &settled)).expect("recorded");
        let refund = ontario("-1", "4.99");
        let paid_out = settle(refund.total.value().abs(), 2, Some(d("0.05").value()), &[Tender::Cash { amount: d("10") }]).expect("settles");
        let refund_figures = ReceiptFigures::of("R1-000002", ReceiptKind::Refund, &refund, &paid_out);
        assert_eq!(refund_figures.total.value(), -refund.total.value(), "kept positive, the kind says which way");
        shift.record_receipt(refund_figures).expect("recorded");
        assert_eq!(shift.record_receipt(ReceiptFigures::of("R1-000001", ReceiptKind::Sale, &sale, &settled)).expect_err("refused").code(), "duplicate_receipt");
        assert_eq!(shift.record_movement(CashMovement::PaidOut { amount: d("0"), reason: "x".into() }).expect_err("refused").code(), "non_positive");
        assert_eq!(shift.record_movement(CashMovement::NoSale { reason: " ".into() }).expect_err("refused").code(), "reason_required");
        shift.record_movement(CashMovement::PaidIn { amount: d("5"), reason: "coins from the bank".into() }).expect("recorded");

        let x = shift.x_report();
        // Net cash: the sale's cash due minus the refund's cash paid out, both cash-rounded.
        let net_cash = settled.by_kind[0].1.value() - paid_out.by_kind[0].1.value();
        assert_eq!(x.expected_cash.value(), d("100").value() + net_cash + d("5").value());
        assert_eq!(x.net_total.value(), sale.total.value() + refund.total.value());
        assert_eq!(x.variance, None);

        let expected = x.expected_cash;
        let z = shift.close("2026-12-04T17:00:00Z", vec![Denomination { value: d("0.05"), count: 1 }]).expect("closes").clone();
        assert_eq!(z.counted_cash, Some(d("0.05")));
        assert_eq!(z.variance.map(|v| v.value()), Some(d("0.05").value() - expected.value()));
        assert_eq!(shift.close("later", vec![]).expect_err("refused").code(), "shift_closed");
        assert_eq!(shift.record_movement(CashMovement::NoSale { reason: "after".into() }).expect_err("refused").code(), "shift_closed");
        assert_eq!(Shift::open("S2", " ", "c", "t", vec![]).expect_err("refused").code(), "missing");
    }
}
