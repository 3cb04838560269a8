//! What a committed order does: to the van's stock, to the outlet's balance, and to the memory of
//! recent orders the likely-duplicate rule keeps. One function each, used by the server when it
//! applies an order and by the device when it derives what its unacknowledged orders changed.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use rust_decimal::Decimal;

use super::document::SalesDocument;
use super::model::SalesOrder;
use crate::validation::{RecentLine, RecentOrder, ValidationPolicy};

/// How the van's stock moves, by SKU: a sale takes the goods out (negative), a return puts them
/// back (positive). Lines of the same SKU are summed.
pub fn van_movements(order: &SalesOrder) -> BTreeMap<&str, Decimal> {
    let mut moved: BTreeMap<&str, Decimal> = BTreeMap::new();
    for line in &order.lines {
        let q = line.quantity.value();
        *moved.entry(line.sku.as_str()).or_default() += if order.kind.is_sale() { -q } else { q };
    }
    moved
}

/// What the order adds to the outlet's outstanding balance: its amount due (a return's is
/// negative, so it lowers the balance). A receipt of the counter adds nothing: its tenders paid
/// it (or paid its refund back) there and then.
pub fn balance_effect(doc: &SalesDocument) -> Decimal {
    if doc.counter.is_some() {
        return Decimal::ZERO;
    }
    doc.total.value()
}

/// The customer as a counter sale sees them: without credit terms, since the tenders pay the
/// sale there and then (the credit rule does not apply to it, and it adds nothing to the
/// balance, see [`balance_effect`]).
pub fn paying_at_counter(outlet: &super::model::OutletInfo) -> super::model::OutletInfo {
    super::model::OutletInfo { credit: None, ..outlet.clone() }
}

/// Whether the likely-duplicate rule looks at this document, and remembers it for later ones:
/// a rep's order, yes; a receipt of the counter, no (the walk-in customer buys the same bread
/// every few minutes, and a paid sale is no accidental second order).
pub fn duplicate_rule_applies(doc: &SalesDocument) -> bool {
    doc.counter.is_none()
}

/// The order as the likely-duplicate rule remembers it.
pub fn recent_order(doc: &SalesDocument) -> RecentOrder {
    RecentOrder {
        order_id: doc.order_id,
        outlet_id: doc.order.outlet_id.clone(),
        committed_at: doc.committed_at,
        lines: doc.order.lines.iter().map(|l| RecentLine { sku: l.sku.clone(), quantity: l.quantity }).collect(),
    }
}

/// The key of `order`'s lines for the likely-duplicate rule ([`crate::validation::duplicate_key`]).
pub fn duplicate_key(order: &RecentOrder) -> String {
    crate::validation::duplicate_key(order.lines.iter().map(|l| (l.sku.as_str(), l.quantity.value())))
}

/// [`recent_order`] of a stored document, read from its JSON text without decoding the rest of
/// it (prices, taxes, findings), or `None` where [`duplicate_rule_applies`] says the rule does
/// not count it. The server reads an outlet's recent orders this way: a push checks each order
/// against all of them.
pub fn stored_recent_order(json: &str) -> Result<Option<RecentOrder>, serde_json::Error> {
    use serde::de::IgnoredAny;
    use serde::Deserialize;
    #[derive(Deserialize)]
    struct Stored {
        order_id: uuid::Uuid,
        committed_at: chrono::DateTime<chrono::Utc>,
        order: StoredOrder,
        #[serde(default)]
        counter: Option<IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct StoredOrder {
        outlet_id: String,
        lines: Vec<StoredLine>,
    }
    #[derive(Deserialize)]
    struct StoredLine {
        sku: String,
        quantity: crate::money::Dec,
    }
    let d: Stored = serde_json::from_str(json)?;
    // As `duplicate_rule_applies`: a receipt of the counter is not counted.
    if d.counter.is_some() {
        return Ok(None);
    }
    Ok(Some(RecentOrder {
        order_id: d.order_id,
        outlet_id: d.order.outlet_id,
        committed_at: d.committed_at,
        lines: d.order.lines.into_iter().map(|l| RecentLine { sku: l.sku, quantity: l.quantity }).collect(),
    }))
}

/// How far apart (either way) two orders of an outlet may be committed for the second to look
/// like a duplicate of the first: the deployment's `duplicate_window_minutes`.
pub fn duplicate_window(policy: &ValidationPolicy) -> TimeDelta {
    TimeDelta::try_minutes(i64::from(policy.duplicate_window_minutes)).unwrap_or(TimeDelta::zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: &str) -> SalesOrder {
        serde_json::from_value(serde_json::json!({"outlet_id": "O", "business_date": "2026-11-22", "kind": kind,
            "lines": [{"sku": "A", "quantity": "2"}, {"sku": "B", "quantity": "1.5"}, {"sku": "A", "quantity": "1"}]}))
        .expect("order")
    }

    #[test]
    fn a_sale_takes_from_the_van_and_a_return_puts_back() {
        let sale_order = order("sale");
        let sale = van_movements(&sale_order);
        assert_eq!(sale["A"], Decimal::from(-3));
        assert_eq!(sale["B"], Decimal::new(-15, 1));
        let return_order = order("return");
        let back = van_movements(&return_order);
        assert_eq!(back["A"], Decimal::from(3));
    }

    fn recent(lines: &[(&str, &str)]) -> RecentOrder {
        serde_json::from_value(serde_json::json!({"order_id": uuid::Uuid::nil(), "outlet_id": "O",
            "committed_at": "2026-11-22T10:00:00Z",
            "lines": lines.iter().map(|(s, q)| serde_json::json!({"sku": s, "quantity": q})).collect::<Vec<_>>()}))
        .expect("recent order")
    }

    #[test]
    fn lines_the_duplicate_rule_finds_equal_share_a_key_and_others_do_not() {
        let key = duplicate_key(&recent(&[("A", "2"), ("B", "1.5")]));
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        // Another order of the lines, and quantities written with trailing zeros.
        assert_eq!(duplicate_key(&recent(&[("B", "1.50"), ("A", "2.0")])), key);
        assert_ne!(duplicate_key(&recent(&[("A", "2"), ("B", "1")])), key);
        assert_ne!(duplicate_key(&recent(&[("A", "2"), ("B", "1.5"), ("C", "1")])), key);
        // The separators keep a SKU from running into its quantity.
        assert_ne!(duplicate_key(&recent(&[("A1", "2")])), duplicate_key(&recent(&[("A", "12")])));
    }
}
