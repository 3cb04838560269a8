//! A cashier's shift: the opening float counted by denomination, the receipts and cash movements
//! of the shift, and the X (mid-shift, read only) and Z (closing) report computed from them.
//!
//! The report is a pure function of what the shift holds, so the device and the server compute
//! it with the same code from the same receipts: the server's recomputed Z report equals the
//! device's to the cent, or the difference is flagged.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Dec;

/// How many of one note or coin.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denomination {
    /// The face value, e.g. `"20"` or `"0.05"`.
    pub value: Dec,
    /// How many were counted.
    pub count: u32,
}

/// The value of a counted drawer.
pub fn count_drawer(denominations: &[Denomination]) -> Decimal {
    denominations.iter().map(|d| d.value.value() * Decimal::from(d.count)).sum()
}

/// Whether a receipt sold or took back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    /// A sale.
    Sale,
    /// A refund (against a receipt, or without one where the policy allows).
    Refund,
}

/// What a Z report needs of one receipt. Amounts are positive for both kinds; the kind says
/// which way the money went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptFigures {
    /// Its number (gap-free per register).
    pub number: String,
    /// Sale or refund.
    pub kind: ReceiptKind,
    /// Discounts given on it.
    pub discount: Dec,
    /// Tax per tax code.
    pub taxes: BTreeMap<String, Dec>,
    /// Its total (the tax engine's, before cash rounding).
    pub total: Dec,
    /// The cash rounding adjustment of its settlement.
    pub rounding: Dec,
    /// What was kept (a sale) or paid out (a refund) per tender kind, cash net of change.
    pub tenders: Vec<(String, Dec)>,
}

/// Money into or out of the drawer that is not a sale.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CashMovement {
    /// Cash put in (change from the bank, …).
    PaidIn {
        /// How much.
        amount: Dec,
        /// Why.
        reason: String,
    },
    /// Cash taken out (a supplier paid at the door, …).
    PaidOut {
        /// How much.
        amount: Dec,
        /// Why.
        reason: String,
    },
    /// The drawer opened without a sale.
    NoSale {
        /// Why.
        reason: String,
    },
}

/// The X or Z report of a shift.
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftReport {
    /// How many sales.
    pub sales: u32,
    /// How many refunds.
    pub refunds: u32,
    /// The sum of the sales' totals.
    pub sales_total: Dec,
    /// The sum of the refunds' totals.
    pub refunds_total: Dec,
    /// Sales minus refunds.
    pub net_total: Dec,
    /// Discounts given on sales, minus those reversed by refunds.
    pub discounts: Dec,
    /// Tax per code, sales minus refunds.
    pub taxes: BTreeMap<String, Dec>,
    /// Per tender kind, what was kept minus what was paid out.
    pub tenders: BTreeMap<String, Dec>,
    /// The cash rounding adjustments, net.
    pub rounding: Dec,
    /// The opening float.
    pub opening_float: Dec,
    /// Cash paid in.
    pub paid_in: Dec,
    /// Cash paid out.
    pub paid_out: Dec,
    /// Drawer openings without a sale.
    pub no_sales: u32,
    /// What the drawer should hold: float + net cash + paid in − paid out.
    pub expected_cash: Dec,
    /// What was counted at the close (a Z report); absent in an X report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted_cash: Option<Dec>,
    /// Counted minus expected (negative: the drawer is short).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<Dec>,
    /// The first and last receipt numbers of the shift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_range: Option<(String, String)>,
}

/// The report of a shift opened with `opening_float`, from its receipts (in number order) and
/// cash movements; `counted` (the closing count by denomination) makes it a Z report.
pub fn report(opening_float: Decimal, receipts: &[ReceiptFigures], movements: &[CashMovement], counted: Option<&[Denomination]>) -> ShiftReport {
    let mut sales = 0u32;
    let mut refunds = 0u32;
    let (mut sales_total, mut refunds_total, mut discounts, mut rounding) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut taxes: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut tenders: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in receipts {
        let sign = match r.kind {
            ReceiptKind::Sale => {
                sales += 1;
                sales_total += r.total.value();
                Decimal::ONE
            }
            ReceiptKind::Refund => {
                refunds += 1;
                refunds_total += r.total.value();
                Decimal::NEGATIVE_ONE
            }
        };
        discounts += sign * r.discount.value();
        rounding += sign * r.rounding.value();
        for (code, amount) in &r.taxes {
            *taxes.entry(code.clone()).or_default() += sign * amount.value();
        }
        for (kind, amount) in &r.tenders {
            *tenders.entry(kind.clone()).or_default() += sign * amount.value();
        }
    }
    let (mut paid_in, mut paid_out, mut no_sales) = (Decimal::ZERO, Decimal::ZERO, 0u32);
    for m in movements {
        match m {
            CashMovement::PaidIn { amount, .. } => paid_in += amount.value(),
            CashMovement::PaidOut { amount, .. } => paid_out += amount.value(),
            CashMovement::NoSale { .. } => no_sales += 1,
        }
    }
    let net_cash = tenders.get("cash").copied().unwrap_or_default();
    let expected_cash = opening_float + net_cash + paid_in - paid_out;
    let counted_cash = counted.map(count_drawer);
    let dec_map = |m: BTreeMap<String, Decimal>| m.into_iter().map(|(k, v)| (k, Dec(v))).collect::<BTreeMap<_, _>>();
    ShiftReport {
        sales,
        refunds,
        sales_total: Dec(sales_total),
        refunds_total: Dec(refunds_total),
        net_total: Dec(sales_total - refunds_total),
        discounts: Dec(discounts),
        taxes: dec_map(taxes),
        tenders: dec_map(tenders),
        rounding: Dec(rounding),
        opening_float: Dec(opening_float),
        paid_in: Dec(paid_in),
        paid_out: Dec(paid_out),
        no_sales,
        expected_cash: Dec(expected_cash),
        counted_cash: counted_cash.map(Dec),
        variance: counted_cash.map(|c| Dec(c - expected_cash)),
        receipt_range: match (receipts.first(), receipts.last()) {
            (Some(a), Some(b)) => Some((a.number.clone(), b.number.clone())),
            _ => None,
        },
    }
}

/// One figure where the device's Z report and the server's recomputation disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDifference {
    /// The figure, e.g. `net_total`, `taxes.HST-FED`, `tenders.card`.
    pub field: String,
    /// What the device reported.
    pub device: String,
    /// What the server computed from the receipts it holds.
    pub server: String,
}

/// Compares the Z report a device sent with the one the server recomputed from the receipts it
/// holds (same code, so any difference means a receipt is missing, extra or altered): every
/// count and amount, per tax code and per tender kind. Empty when they agree to the cent.
pub fn differences(device: &ShiftReport, server: &ShiftReport) -> Vec<ReportDifference> {
    differences_of(device, server)
}

/// The differences of a closing: how many receipts and movements the device counted against
/// how many the server holds (one the server refused is missing), then the reports'.
pub fn closing_differences(closing: &super::ShiftClosing, held_receipts: usize, held_movements: usize, server: &ShiftReport) -> Vec<ReportDifference> {
    let mut out = Vec::new();
    for (field, claimed, held) in [("receipts", closing.receipts, held_receipts), ("movements", closing.movements, held_movements)] {
        if usize::try_from(claimed).ok() != Some(held) {
            out.push(ReportDifference { field: field.into(), device: claimed.to_string(), server: held.to_string() });
        }
    }
    out.extend(differences_of(&closing.report, server));
    out
}

fn differences_of(device: &ShiftReport, server: &ShiftReport) -> Vec<ReportDifference> {
    let mut out = Vec::new();
    let mut cmp = |field: String, a: String, b: String| {
        // Amounts compare by value: 22.60 and 22.6 agree.
        let same = match (a.parse::<Decimal>(), b.parse::<Decimal>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        };
        if !same {
            out.push(ReportDifference { field, device: a, server: b });
        }
    };
    let amount = |d: &Dec| d.to_string();
    cmp("sales".into(), device.sales.to_string(), server.sales.to_string());
    cmp("refunds".into(), device.refunds.to_string(), server.refunds.to_string());
    cmp("no_sales".into(), device.no_sales.to_string(), server.no_sales.to_string());
    for (field, a, b) in [
        ("sales_total", &device.sales_total, &server.sales_total),
        ("refunds_total", &device.refunds_total, &server.refunds_total),
        ("net_total", &device.net_total, &server.net_total),
        ("discounts", &device.discounts, &server.discounts),
        ("rounding", &device.rounding, &server.rounding),
        ("opening_float", &device.opening_float, &server.opening_float),
        ("paid_in", &device.paid_in, &server.paid_in),
        ("paid_out", &device.paid_out, &server.paid_out),
        ("expected_cash", &device.expected_cash, &server.expected_cash),
    ] {
        cmp(field.into(), amount(a), amount(b));
    }
    for (name, a, b) in [("taxes", &device.taxes, &server.taxes), ("tenders", &device.tenders, &server.tenders)] {
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            let show = |m: &BTreeMap<String, Dec>| m.get(k).map_or_else(|| "0".to_string(), amount);
            cmp(format!("{name}.{k}"), show(a), show(b));
        }
    }
    let range = |r: &ShiftReport| r.receipt_range.as_ref().map_or_else(String::new, |(a, b)| format!("{a}…{b}"));
    cmp("receipt_range".into(), range(device), range(server));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("literal"))
    }

    fn receipt(number: &str, kind: ReceiptKind, total: &str, tax: &str, tenders: &[(&str, &str)]) -> ReceiptFigures {
        ReceiptFigures {
            number: number.into(),
            kind,
            discount: d("0"),
            taxes: [("HST".to_string(), d(tax))].into_iter().collect(),
            total: d(total),
            rounding: d("0"),
            tenders: tenders.iter().map(|(k, v)| ((*k).to_string(), d(v))).collect(),
        }
    }

    #[test]
    fn a_shift_with_sales_a_refund_and_cash_movements() {
        let float = [Denomination { value: d("20"), count: 5 }, Denomination { value: d("0.25"), count: 40 }];
        assert_eq!(count_drawer(&float), d("110").value());
        let receipts = [
            receipt("R1-0001", ReceiptKind::Sale, "11.30", "1.30", &[("cash", "11.30")]),
            receipt("R1-0002", ReceiptKind::Sale, "22.60", "2.60", &[("card", "20.00"), ("cash", "2.60")]),
            receipt("R1-0003", ReceiptKind::Refund, "11.30", "1.30", &[("cash", "11.30")]),
        ];
        let movements = [
            CashMovement::PaidOut { amount: d("5"), reason: "window cleaner".into() },
            CashMovement::NoSale { reason: "change for a customer".into() },
        ];
        let counted = [Denomination { value: d("20"), count: 5 }, Denomination { value: d("0.05"), count: 52 }];
        let z = report(count_drawer(&float), &receipts, &movements, Some(&counted));
        assert_eq!((z.sales, z.refunds, z.no_sales), (2, 1, 1));
        assert_eq!(z.net_total, d("22.60"));
        assert_eq!(z.taxes["HST"], d("2.60"));
        assert_eq!(z.tenders["cash"], d("2.60"));
        assert_eq!(z.tenders["card"], d("20.00"));
        // 110 float + 2.60 net cash − 5 paid out.
        assert_eq!(z.expected_cash, d("107.60"));
        assert_eq!(z.counted_cash, Some(d("102.60")));
        assert_eq!(z.variance, Some(d("-5.00")));
        assert_eq!(z.receipt_range, Some(("R1-0001".into(), "R1-0003".into())));
        // An X report: no count, no variance.
        let x = report(count_drawer(&float), &receipts, &movements, None);
        assert_eq!((x.counted_cash, x.variance), (None, None));

        // The server recomputes from the receipts it holds: the same receipts agree to the cent
        // (counted cash is the device's own count, not recomputed); a missing one is named.
        assert_eq!(differences(&z, &report(count_drawer(&float), &receipts, &movements, None)), vec![]);
        let missing = report(count_drawer(&float), &receipts[..2], &movements, None);
        let diff = differences(&z, &missing);
        let fields: Vec<&str> = diff.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["refunds", "refunds_total", "net_total", "expected_cash", "taxes.HST", "tenders.cash", "receipt_range"]);
        assert_eq!((diff[2].device.as_str(), diff[2].server.as_str()), ("22.60", "33.90"));
    }
}
