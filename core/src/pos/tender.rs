//! Tenders: how a sale (or a refund) is paid, what change is due, and when it is complete.
//!
//! # Rules
//!
//! - **Only cash gives change.** A card, mobile-money or voucher tender may not exceed what is
//!   left to pay when it is applied ([`TenderError::OverTender`]); non-cash tenders are applied
//!   first, in the order given, then the cash.
//! - **Cash rounding touches only the cash part.** Where the jurisdiction rounds cash (a rule
//!   set's `cash_rounding` step, e.g. `0.05` in Canada), what is left for cash after the other
//!   tenders is rounded half up to that step; the difference is the sale's rounding adjustment.
//!   Taxes and the receipt's total are never changed by it. A sale paid without cash is never
//!   rounded.
//! - **Complete when covered.** A sale is complete when the tenders cover the amount due (the
//!   total plus the rounding adjustment); the change is `tendered − due`, never negative.
//! - Amounts are positive decimals with at most the currency's decimal places. A refund is
//!   settled the same way, with the amounts paid out.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Dec, Rounding};
use crate::tax::rounding::to_step;

/// One payment towards a sale (or one payout of a refund).
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Tender {
    /// Notes and coins handed over.
    Cash {
        /// How much.
        amount: Dec,
    },
    /// A card, on the shop's own terminal (Satchel never sees the card).
    Card {
        /// How much.
        amount: Dec,
        /// The terminal's approval reference; `None` while the terminal is offline ("card
        /// pending", to be completed from the terminal's own record).
        #[serde(default)]
        reference: Option<String>,
    },
    /// Another method the deployment configures (mobile money, voucher, …), with its reference.
    Other {
        /// The method's code, e.g. `mobile_money`.
        method: String,
        /// How much.
        amount: Dec,
        /// The reference the method gave (transaction id, voucher number).
        reference: String,
    },
}

impl Tender {
    /// Its amount.
    pub fn amount(&self) -> Decimal {
        match self {
            Tender::Cash { amount } | Tender::Card { amount, .. } | Tender::Other { amount, .. } => amount.value(),
        }
    }

    /// The code reports group it under: `cash`, `card`, or the other method's code.
    pub fn kind(&self) -> &str {
        match self {
            Tender::Cash { .. } => "cash",
            Tender::Card { .. } => "card",
            Tender::Other { method, .. } => method,
        }
    }

    fn is_cash(&self) -> bool {
        matches!(self, Tender::Cash { .. })
    }
}

/// Why tenders were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    /// The amount due is negative (a refund is settled with its positive amount).
    #[error("the amount to settle must not be negative")]
    NegativeTotal,
    /// A tender of zero or less.
    #[error("tender {index}: the amount must be greater than zero")]
    NonPositive {
        /// Its position in the list.
        index: usize,
    },
    /// A tender with more decimal places than the currency has.
    #[error("tender {index}: at most {places} decimal places")]
    TooPrecise {
        /// Its position in the list.
        index: usize,
        /// The currency's places.
        places: u32,
    },
    /// A non-cash tender larger than what was left to pay: only cash gives change.
    #[error("tender {index}: {amount} is more than the {left} left to pay, and only cash gives change")]
    OverTender {
        /// Its position in the list.
        index: usize,
        /// The tender's amount.
        amount: Dec,
        /// What was left when it was applied.
        left: Dec,
    },
    /// Cash tendered although the other tenders already paid everything.
    #[error("tender {index}: nothing is left to pay in cash")]
    CashNotNeeded {
        /// Its position in the list.
        index: usize,
    },
}

impl TenderError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TenderError::NegativeTotal => "negative_total",
            TenderError::NonPositive { .. } => "non_positive_tender",
            TenderError::TooPrecise { .. } => "tender_too_precise",
            TenderError::OverTender { .. } => "over_tender",
            TenderError::CashNotNeeded { .. } => "cash_not_needed",
        }
    }
}

/// What the tenders of a sale come to.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// The total to settle, as the tax engine computed it (never rounded here).
    pub total: Dec,
    /// The cash rounding adjustment (`0` unless cash paid a part that was rounded).
    pub rounding: Dec,
    /// What must be paid: `total + rounding`.
    pub due: Dec,
    /// The sum of the tenders.
    pub tendered: Dec,
    /// Cash given back: `tendered − due` once complete, else `0`.
    pub change: Dec,
    /// What is still to pay (`0` once complete).
    pub remaining: Dec,
    /// What cash would settle what is still to pay: `remaining`, rounded to the cash step when
    /// no cash was tendered yet (the "exact cash" a cashier takes).
    pub cash_remaining: Dec,
    /// Whether the tenders cover the amount due.
    pub complete: bool,
    /// What was kept per tender kind (cash net of change), in first-use order.
    pub by_kind: Vec<(String, Dec)>,
}

/// Settles `total` with `tenders` in a currency of `places` decimal places, rounding the cash
/// part to `cash_step` where the jurisdiction rounds cash.
pub fn settle(total: Decimal, places: u32, cash_step: Option<Decimal>, tenders: &[Tender]) -> Result<Settlement, TenderError> {
    if total < Decimal::ZERO {
        return Err(TenderError::NegativeTotal);
    }
    for (index, t) in tenders.iter().enumerate() {
        let a = t.amount();
        if a <= Decimal::ZERO {
            return Err(TenderError::NonPositive { index });
        }
        if a.normalize().scale() > places {
            return Err(TenderError::TooPrecise { index, places });
        }
    }
    let mut left = total;
    let mut by_kind: Vec<(String, Decimal)> = Vec::new();
    let mut keep = |kind: &str, amount: Decimal| match by_kind.iter_mut().find(|(k, _)| k == kind) {
        Some((_, sum)) => *sum += amount,
        None => by_kind.push((kind.to_owned(), amount)),
    };
    for (index, t) in tenders.iter().enumerate().filter(|(_, t)| !t.is_cash()) {
        if t.amount() > left {
            return Err(TenderError::OverTender { index, amount: Dec(t.amount()), left: Dec(left) });
        }
        left -= t.amount();
        keep(t.kind(), t.amount());
    }
    let cash: Decimal = tenders.iter().filter(|t| t.is_cash()).map(Tender::amount).sum();
    let round_cash = |amount: Decimal| match cash_step {
        Some(step) if step > Decimal::ZERO => to_step(amount, step, Rounding::HalfUp),
        _ => amount,
    };
    let mut rounding = Decimal::ZERO;
    let mut change = Decimal::ZERO;
    if cash > Decimal::ZERO {
        if left == Decimal::ZERO {
            let index = tenders.iter().position(Tender::is_cash).unwrap_or_default();
            return Err(TenderError::CashNotNeeded { index });
        }
        let cash_due = round_cash(left);
        rounding = cash_due - left;
        if cash >= cash_due {
            change = cash - cash_due;
            keep("cash", cash_due);
            left = Decimal::ZERO;
        } else {
            keep("cash", cash);
            left = cash_due - cash;
        }
    }
    let tendered: Decimal = tenders.iter().map(Tender::amount).sum();
    // Before any cash, the cash that would settle the rest is rounded; after some, the rest is
    // already of the rounded amount.
    let cash_remaining = if cash > Decimal::ZERO { left } else { round_cash(left) };
    Ok(Settlement {
        total: Dec(total),
        rounding: Dec(rounding),
        due: Dec(total + rounding),
        tendered: Dec(tendered),
        change: Dec(change),
        remaining: Dec(left),
        cash_remaining: Dec(cash_remaining),
        complete: left == Decimal::ZERO,
        by_kind: by_kind.into_iter().map(|(k, v)| (k, Dec(v))).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Decimal {
        parse_decimal(s).expect("literal")
    }
    fn cash(s: &str) -> Tender {
        Tender::Cash { amount: Dec(d(s)) }
    }
    fn card(s: &str) -> Tender {
        Tender::Card { amount: Dec(d(s)), reference: Some("A1".into()) }
    }

    #[test]
    fn cash_gives_change_and_rounds_only_the_cash_part() {
        let s = settle(d("12.32"), 2, Some(d("0.05")), &[cash("20")]).expect("accepted");
        assert_eq!((s.rounding.0, s.due.0, s.change.0, s.complete), (d("-0.02"), d("12.30"), d("7.70"), true));
        // The same total by card: no rounding.
        let s = settle(d("12.32"), 2, Some(d("0.05")), &[card("12.32")]).expect("accepted");
        assert_eq!((s.rounding.0, s.change.0, s.complete), (d("0"), d("0"), true));
        // Split: the card pays 10, the cash part 2.32 rounds to 2.30.
        let s = settle(d("12.32"), 2, Some(d("0.05")), &[cash("5"), card("10")]).expect("accepted");
        assert_eq!((s.rounding.0, s.due.0, s.change.0), (d("-0.02"), d("12.30"), d("2.70")));
        assert_eq!(s.by_kind, vec![("card".into(), Dec(d("10"))), ("cash".into(), Dec(d("2.30")))]);
    }

    #[test]
    fn incomplete_until_covered_and_no_change_from_cards() {
        let s = settle(d("50"), 2, None, &[card("20")]).expect("accepted");
        assert_eq!((s.complete, s.remaining.0, s.change.0), (false, d("30"), d("0")));
        assert_eq!(settle(d("50"), 2, None, &[card("60")]).expect_err("refused").code(), "over_tender");
        assert_eq!(settle(d("50"), 2, None, &[card("50"), cash("5")]).expect_err("refused").code(), "cash_not_needed");
        assert_eq!(settle(d("50"), 2, None, &[cash("0")]).expect_err("refused").code(), "non_positive_tender");
        assert_eq!(settle(d("50"), 2, None, &[cash("1.005")]).expect_err("refused").code(), "tender_too_precise");
        assert_eq!(settle(d("-1"), 2, None, &[]).expect_err("refused").code(), "negative_total");
        let s = settle(d("0"), 2, None, &[]).expect("accepted");
        assert!(s.complete);
    }
}
