//! A receipt: a sales document sold (or refunded) at the counter, with how it was paid.
//!
//! A counter sale is an ordinary [`SalesDocument`] (priced from the customer's price list,
//! taxed by the engine, validated under the deployment's policy, walk-in customers being an
//! outlet of the shop's own) whose [`SalesDocument::counter`] says which shift sold it and how
//! it was paid. Its `document_number` is the receipt number, taken from the register's leased
//! range when the tenders cover the total and never before, so a register's receipts have no
//! gaps ([`receipt_prefix`]).
//!
//! [`check`] is what the device runs before it commits a receipt and what the server runs on
//! every receipt it receives, with the tax result each of them computed: the tenders must
//! settle the total ([`super::tender::settle`]), and the figures a Z report counts come from
//! the same function on both sides. [`check_refund`] checks a refund against the receipt it
//! returns and the refunds of that receipt before it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::refund::{plan_return, NoReceiptPolicy, RefundError, RefundTo, ReturnLine, SoldLine};
use super::shift::{ReceiptFigures, ReceiptKind};
use super::tender::{settle, Settlement, Tender, TenderError};
use crate::money::Dec;
use crate::sales::{OrderKind, SalesDocument};
use crate::tax::model::RuleSet;
use crate::tax::TaxResult;

/// What makes a sales document a receipt of the counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS), ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct CounterSale {
    /// The shift it was sold in.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub shift_id: Uuid,
    /// The register (till) it was sold at.
    pub register: String,
    /// How it was paid (a sale) or paid back (a refund).
    pub tenders: Vec<Tender>,
    /// For a refund: the receipt it returns goods of; absent for a sale, and for a return
    /// without a receipt (which the deployment's policy must allow).
    #[serde(default)]
    pub refund_of: Option<RefundOf>,
    /// A manager's approval of this document (a return without a receipt where the deployment
    /// asks for one), checked by the device with the manager's PIN and by the server with the
    /// manager's key ([`super::approval`]).
    #[serde(default)]
    pub approval: Option<super::approval::ManagerApproval>,
}

/// The receipt a refund returns goods of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct RefundOf {
    /// The original sale's order id.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub order_id: Uuid,
    /// Its receipt number, as printed.
    pub receipt_number: String,
}

/// The deployment's counter settings (part of the sales settings devices pull).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct CounterSettings {
    /// The shop's walk-in customer: the outlet a sale is for unless the cashier picks one.
    pub walk_in_outlet: String,
    /// The seller as printed on receipts: name, address, tax numbers (one per line).
    #[serde(default)]
    pub seller: Vec<String>,
    /// The notes and coins a drawer is counted in, largest first.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "Array<string>"))]
    pub denominations: Vec<Dec>,
    /// Tender methods besides cash and card (`mobile_money`, `voucher`, …).
    #[serde(default)]
    pub other_tenders: Vec<String>,
    /// Where refunds go.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub refund_to: RefundTo,
    /// Returns without a receipt.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub no_receipt: NoReceiptPolicy,
    /// Favourite products for the quick keys, by SKU.
    #[serde(default)]
    pub quick_keys: Vec<String>,
    /// The managers who may approve at the till, with what checks their PIN offline.
    #[serde(default)]
    pub managers: Vec<super::approval::ManagerKey>,
}

/// The prefix of a register's receipt numbers: `R1` numbers `R1-0000001`, `R1-0000002` …
pub fn receipt_prefix(register: &str) -> String {
    format!("{register}-")
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The document has no counter part.
    #[error("not a counter sale")]
    NotCounter,
    /// Cash-on-delivery flag on a receipt: the counter rounds the cash part of the tenders.
    #[error("a receipt is paid by its tenders, not flagged cash")]
    CashFlag,
    /// A sale with `refund_of`, or a refund whose order is not a return.
    #[error("a refund must be a return order and a sale must not be")]
    KindMismatch,
    /// A tender method the deployment does not take.
    #[error("tender {index}: {method} is not taken here")]
    UnknownMethod {
        /// Its position.
        index: usize,
        /// The method.
        method: String,
    },
    /// The tenders do not add up.
    #[error(transparent)]
    Tender(#[from] TenderError),
    /// The tenders do not cover the total.
    #[error("{remaining} is still to pay")]
    Incomplete {
        /// What is left.
        remaining: Dec,
    },
    /// A receipt number not of its register.
    #[error("receipt number {number} is not of register {register}")]
    WrongRegister {
        /// The number.
        number: String,
        /// The register.
        register: String,
    },
    /// The refund's lines or tenders against the original receipt.
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// The refund's receipt is not a sale of the counter.
    #[error("receipt {0} is not a sale of the counter")]
    NotASale(String),
    /// A refund tender the original receipt did not use (or more than it can take back).
    #[error("{kind}: at most {allowed} can go back this way")]
    RefundTender {
        /// The tender kind.
        kind: String,
        /// What may go back to it.
        allowed: Dec,
    },
}

impl ReceiptError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::NotCounter => "not_counter",
            ReceiptError::CashFlag => "cash_flag",
            ReceiptError::KindMismatch => "kind_mismatch",
            ReceiptError::UnknownMethod { .. } => "unknown_tender_method",
            ReceiptError::Tender(e) => e.code(),
            ReceiptError::Incomplete { .. } => "tenders_incomplete",
            ReceiptError::WrongRegister { .. } => "wrong_register",
            ReceiptError::Refund(e) => e.code(),
            ReceiptError::NotASale(_) => "not_a_sale",
            ReceiptError::RefundTender { .. } => "refund_tender",
        }
    }

    /// The field it is about.
    pub fn field(&self) -> String {
        match self {
            ReceiptError::UnknownMethod { index, .. } => format!("counter.tenders[{index}]"),
            ReceiptError::Tender(TenderError::NonPositive { index } | TenderError::TooPrecise { index, .. } | TenderError::OverTender { index, .. } | TenderError::CashNotNeeded { index }) => {
                format!("counter.tenders[{index}]")
            }
            ReceiptError::Incomplete { .. } | ReceiptError::RefundTender { .. } | ReceiptError::Tender(_) => "counter.tenders".into(),
            ReceiptError::WrongRegister { .. } => "document_number".into(),
            ReceiptError::CashFlag => "order.cash".into(),
            ReceiptError::KindMismatch => "order.kind".into(),
            ReceiptError::Refund(RefundError::NoReceiptRefused | RefundError::ManagerApprovalRequired) => "counter.refund_of".into(),
            ReceiptError::Refund(_) | ReceiptError::NotASale(_) => "order.lines".into(),
            ReceiptError::NotCounter => "counter".into(),
        }
    }
}

/// A receipt checked: how it was settled and what its shift's report counts of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedReceipt {
    /// The settlement of its tenders.
    pub settlement: Settlement,
    /// Its figures for the X and Z reports.
    pub figures: ReceiptFigures,
}

/// Checks a receipt whose taxes are `taxes` (the engine's result for its order, computed by
/// whoever checks): its register's number, its kind, the tender methods, and that the tenders
/// settle the total (cash rounding of the cash part where `rules` rounds cash).
pub fn check(doc: &SalesDocument, taxes: &TaxResult, rules: &RuleSet, settings: &CounterSettings) -> Result<CheckedReceipt, ReceiptError> {
    let counter = doc.counter.as_ref().ok_or(ReceiptError::NotCounter)?;
    if doc.order.cash {
        return Err(ReceiptError::CashFlag);
    }
    if !doc.document_number.starts_with(&receipt_prefix(&counter.register)) {
        return Err(ReceiptError::WrongRegister { number: doc.document_number.clone(), register: counter.register.clone() });
    }
    let refund = doc.order.kind == OrderKind::Return;
    if counter.refund_of.is_some() && !refund {
        return Err(ReceiptError::KindMismatch);
    }
    if refund && counter.refund_of.is_none() {
        // Whether the approval is genuine is for whoever holds the key: the device checked the
        // PIN, the server checks the proof (`approval::verify`).
        super::refund::check_no_receipt(settings.no_receipt, counter.approval.is_some())?;
    }
    for (index, t) in counter.tenders.iter().enumerate() {
        if let Tender::Other { method, .. } = t {
            if !settings.other_tenders.iter().any(|m| m == method) {
                return Err(ReceiptError::UnknownMethod { index, method: method.clone() });
            }
        }
    }
    let settlement = settle_under(rules, taxes.total.value().abs(), &counter.tenders)?;
    if !settlement.complete {
        return Err(ReceiptError::Incomplete { remaining: settlement.remaining });
    }
    let kind = if refund { ReceiptKind::Refund } else { ReceiptKind::Sale };
    let figures = ReceiptFigures::of(&doc.document_number, kind, taxes, &settlement);
    Ok(CheckedReceipt { settlement, figures })
}

/// What a receipt sold, per line, less what `earlier` refunds of it returned (matched by SKU,
/// first lines first).
pub fn sold_lines(original: &SalesDocument, earlier: &[&SalesDocument]) -> Vec<SoldLine> {
    let mut returned: BTreeMap<&str, Decimal> = BTreeMap::new();
    for r in earlier {
        for l in &r.order.lines {
            *returned.entry(l.sku.as_str()).or_default() += l.quantity.value();
        }
    }
    original
        .order
        .lines
        .iter()
        .map(|l| {
            let left = returned.entry(l.sku.as_str()).or_default();
            let taken = (*left).min(l.quantity.value());
            *left -= taken;
            SoldLine { sku: l.sku.clone(), quantity: l.quantity, refunded: Dec(taken) }
        })
        .collect()
}

/// Settles `amount` with `tenders` in `rules`' currency, with its cash rounding.
pub fn settle_under(rules: &RuleSet, amount: Decimal, tenders: &[Tender]) -> Result<Settlement, TenderError> {
    let places = crate::tax::rounding::places(rules.currency.step.value());
    settle(amount, places, rules.cash_rounding.map(|s| s.value()), tenders)
}

/// How a receipt was settled, from its tenders; `None` for a document of no counter, or whose
/// tenders do not settle.
pub fn settlement_of(doc: &SalesDocument, rules: &RuleSet) -> Option<Settlement> {
    let c = doc.counter.as_ref()?;
    settle_under(rules, doc.total.value().abs(), &c.tenders).ok()
}

/// What each tender kind of `doc` kept (cash net of change), from its tenders.
pub fn kept_by_kind(doc: &SalesDocument, rules: &RuleSet) -> Vec<(String, Dec)> {
    settlement_of(doc, rules).map(|s| s.by_kind).unwrap_or_default()
}

/// Checks a refund against the receipt it returns and that receipt's `earlier` refunds: never
/// more of a product than was sold less what was returned before, and the money back the way
/// the deployment says ([`RefundTo`]): no non-cash kind gets back more than it paid less what
/// went back to it before.
pub fn check_refund(
    refund: &SalesDocument,
    refund_settlement: &Settlement,
    original: &SalesDocument,
    earlier: &[&SalesDocument],
    rules: &RuleSet,
    settings: &CounterSettings,
) -> Result<(), ReceiptError> {
    if original.counter.is_none() || original.order.kind != OrderKind::Sale {
        return Err(ReceiptError::NotASale(original.document_number.clone()));
    }
    // Per SKU: what the receipt sold of it, less what earlier refunds returned.
    let mut sold: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for (l, s) in original.order.lines.iter().zip(sold_lines(original, earlier)) {
        let e = sold.entry(l.sku.as_str()).or_default();
        e.0 += s.quantity.value();
        e.1 += s.refunded.value();
    }
    let mut per_sku: BTreeMap<&str, Decimal> = BTreeMap::new();
    for l in &refund.order.lines {
        *per_sku.entry(l.sku.as_str()).or_default() += l.quantity.value();
    }
    let mut grouped: Vec<SoldLine> = Vec::new();
    let mut chosen = Vec::new();
    for (sku, qty) in &per_sku {
        let Some((quantity, refunded)) = sold.get(sku) else {
            return Err(RefundError::UnknownLine { line: refund.order.lines.iter().position(|l| l.sku == *sku).unwrap_or(0) }.into());
        };
        chosen.push(ReturnLine { line: grouped.len(), quantity: Dec(*qty) });
        grouped.push(SoldLine { sku: (*sku).to_string(), quantity: Dec(*quantity), refunded: Dec(*refunded) });
    }
    plan_return(&grouped, &chosen)?;
    if settings.refund_to == RefundTo::Cash {
        if let Some((kind, _)) = refund_settlement.by_kind.iter().find(|(k, _)| k != "cash") {
            return Err(ReceiptError::RefundTender { kind: kind.clone(), allowed: Dec(Decimal::ZERO) });
        }
        return Ok(());
    }
    let kept = kept_by_kind(original, rules);
    let mut given_back: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in earlier {
        for (kind, amount) in kept_by_kind(r, rules) {
            *given_back.entry(kind).or_default() += amount.value();
        }
    }
    for (kind, amount) in refund_settlement.by_kind.iter().filter(|(k, _)| k != "cash") {
        let paid: Decimal = kept.iter().filter(|(k, _)| k == kind).map(|(_, v)| v.value()).sum();
        let room = (paid - given_back.get(kind).copied().unwrap_or_default()).max(Decimal::ZERO);
        if amount.value() > room {
            return Err(ReceiptError::RefundTender { kind: kind.clone(), allowed: Dec(room) });
        }
    }
    Ok(())
}
