//! The rules themselves. Each appends findings; [`super::validate`] runs them in a fixed order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use super::finding::{Details, Finding};
use super::input::{LineUnderValidation, ProductFacts, ValidationInput};
use super::policy::{OrderField, Severity, ValidationPolicy};
use crate::money::Dec;

/// Collects findings, giving each its severity from the policy.
pub(super) struct Findings<'a> {
    policy: &'a ValidationPolicy,
    pub(super) list: Vec<Finding>,
}

impl<'a> Findings<'a> {
    pub(super) fn new(policy: &'a ValidationPolicy) -> Self {
        Findings { policy, list: Vec::new() }
    }

    fn push(&mut self, field: String, message: String, as_of: Option<DateTime<Utc>>, details: Details) {
        let rule = details.rule();
        self.push_with(self.policy.severity_of(rule), field, message, as_of, details);
    }

    fn push_with(
        &mut self,
        severity: Severity,
        field: String,
        message: String,
        data_as_of: Option<DateTime<Utc>>,
        details: Details,
    ) {
        self.list.push(Finding { rule: details.rule(), severity, field, message, data_as_of, details });
    }
}

/// `a + b`, saturating at `Decimal`'s range. Amounts that large are no real sale; saturating
/// keeps the comparison meaningful (and the function total) instead of panicking.
fn add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(if b.is_sign_negative() { Decimal::MIN } else { Decimal::MAX })
}

/// `a - b`, saturating.
fn sub(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b).unwrap_or(if b.is_sign_negative() { Decimal::MAX } else { Decimal::MIN })
}

/// A time for messages: `2026-11-21 18:00 UTC`. The UI shows `data_as_of` in local, relative
/// terms ("yesterday 18:00"); the message is the plain fallback.
fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A quantity or percentage for messages, without trailing zeros (`12`, `1.25`).
fn qty(d: Decimal) -> Decimal {
    d.normalize()
}

fn line_field(i: usize, name: &str) -> String {
    format!("lines[{i}].{name}")
}

fn is_blank(s: Option<&str>) -> bool {
    s.is_none_or(|s| s.trim().is_empty())
}

/// The outlet and at least one line (structural), then the fields the policy requires.
pub(super) fn required(input: &ValidationInput, f: &mut Findings<'_>) {
    let order = &input.order;
    if order.outlet_id.trim().is_empty() {
        f.push_with(
            Severity::Block,
            "outlet_id".into(),
            "Choose the outlet the order is for".into(),
            None,
            Details::MissingRequired,
        );
    }
    if order.lines.is_empty() {
        f.push_with(
            Severity::Block,
            "lines".into(),
            "An order needs at least one line".into(),
            None,
            Details::MissingRequired,
        );
    }
    let wanted: BTreeSet<OrderField> = f.policy.required_fields.iter().copied().collect();
    for field in wanted {
        let missing = match field {
            OrderField::RequestedDeliveryDate => order.requested_delivery_date.is_none(),
            OrderField::Note => is_blank(order.note.as_deref()),
            OrderField::CustomerReference => is_blank(order.customer_reference.as_deref()),
        };
        if missing {
            f.push(
                field.name().into(),
                format!("{} is required", field.label()),
                None,
                Details::MissingRequired,
            );
        }
    }
}

/// A discount (line or order): structurally between 0 and 100 %, then within the role's cap.
fn discount(input: &ValidationInput, field: String, discount: Option<Dec>, f: &mut Findings<'_>) {
    let Some(d) = discount else { return };
    let value = d.value();
    if (value.is_sign_negative() && !value.is_zero()) || value > Decimal::ONE_HUNDRED {
        f.push(
            field,
            format!("A discount must be between 0 and 100 % (got {} %)", qty(value)),
            None,
            Details::InvalidDiscount { discount_percent: d },
        );
        return;
    }
    let cap = f.policy.discount_cap(&input.role);
    if value > cap {
        let message = if cap.is_zero() {
            format!("A {} may give no discount (got {} %)", input.role, qty(value))
        } else {
            format!("Discount {} % is over the {} % cap for a {}", qty(value), qty(cap), input.role)
        };
        f.push(
            field,
            message,
            None,
            Details::DiscountCap { role: input.role.clone(), discount_percent: d, cap_percent: Dec(cap) },
        );
    }
}

pub(super) fn order_discount(input: &ValidationInput, f: &mut Findings<'_>) {
    discount(input, "order_discount_percent".into(), input.order.order_discount_percent, f);
}

/// Whether a line's quantity is structurally sound (then it counts for stock).
fn quantity_is_sound(line: &LineUnderValidation, product: &ProductFacts) -> bool {
    let q = line.quantity.value();
    q > Decimal::ZERO && q.normalize().scale() <= product.quantity_places
}

/// Every rule that looks at one line on its own.
pub(super) fn line(input: &ValidationInput, i: usize, line: &LineUnderValidation, f: &mut Findings<'_>) {
    let sku = &line.sku;
    let Some(product) = input.catalog.get(sku) else {
        f.push(
            line_field(i, "sku"),
            if sku.trim().is_empty() { "Choose a product".into() } else { format!("Unknown product {sku}") },
            None,
            Details::UnknownProduct { sku: sku.clone() },
        );
        discount(input, line_field(i, "discount_percent"), line.discount_percent, f);
        return;
    };
    let q = line.quantity.value();
    let quantity_ok = if q <= Decimal::ZERO {
        f.push(
            line_field(i, "quantity"),
            format!("The quantity of {sku} must be greater than zero (got {})", qty(q)),
            None,
            Details::NonPositiveQuantity { sku: sku.clone(), quantity: line.quantity },
        );
        false
    } else if q.normalize().scale() > product.quantity_places {
        let places = product.quantity_places;
        f.push(
            line_field(i, "quantity"),
            match places {
                0 => format!("{sku} is sold in whole {} (got {})", product.unit, qty(q)),
                _ => format!(
                    "{sku} is sold in {} with at most {places} decimal places (got {})",
                    product.unit,
                    qty(q)
                ),
            },
            None,
            Details::QuantityPrecision { sku: sku.clone(), quantity: line.quantity, max_places: places },
        );
        false
    } else {
        true
    };
    discount(input, line_field(i, "discount_percent"), line.discount_percent, f);

    let date = input.order.business_date;
    let validity = product.price_validity;
    let before = date < validity.valid_from;
    let after = validity.valid_until.is_some_and(|until| date >= until);
    if before || after {
        let message = match validity.valid_until {
            Some(until) if after => {
                format!("The price of {sku} expired on {until}; the order is dated {date}")
            }
            _ => {
                let from = validity.valid_from;
                format!("The price of {sku} is valid from {from}; the order is dated {date}")
            }
        };
        f.push(
            line_field(i, "sku"),
            message,
            None,
            Details::PriceListExpired {
                sku: sku.clone(),
                business_date: date,
                valid_from: validity.valid_from,
                valid_until: validity.valid_until,
            },
        );
    }

    if !quantity_ok {
        return;
    }
    if let Some(minimum) = product.min_order_quantity {
        if q < minimum.value() {
            f.push(
                line_field(i, "quantity"),
                format!(
                    "The minimum order of {sku} is {} {} (got {})",
                    qty(minimum.value()),
                    product.unit,
                    qty(q)
                ),
                None,
                Details::MinOrderQuantity { sku: sku.clone(), quantity: line.quantity, minimum },
            );
        }
    }
    if let Some(pack) = product.pack_size {
        let size = pack.value();
        if size > Decimal::ONE {
            let rest = q.checked_rem(size).unwrap_or(Decimal::ZERO);
            if !rest.is_zero() {
                let lower = sub(q, rest);
                let upper = add(lower, size);
                let suggestion = if lower.is_zero() {
                    format!("{}", qty(upper))
                } else {
                    format!("{} or {}", qty(lower), qty(upper))
                };
                f.push(
                    line_field(i, "quantity"),
                    format!(
                        "{sku} comes in packs of {} {}: order {suggestion} (got {})",
                        qty(size),
                        product.unit,
                        qty(q)
                    ),
                    None,
                    Details::PackMultiple {
                        sku: sku.clone(),
                        quantity: line.quantity,
                        pack_size: pack,
                        lower: Dec(qty(lower)),
                        upper: Dec(qty(upper)),
                    },
                );
            }
        }
    }
}

/// Quantity ordered per SKU (summed over its lines, leaving out quantities that are already a
/// structural error) against the stock available; the finding names the SKU's first line.
/// Findings come in the order of those first lines.
pub(super) fn stock(input: &ValidationInput, f: &mut Findings<'_>) {
    let mut ordered: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
    for (i, line) in input.order.lines.iter().enumerate() {
        let Some(product) = input.catalog.get(&line.sku) else { continue };
        let entry = ordered.entry(line.sku.as_str()).or_insert((i, Decimal::ZERO));
        if quantity_is_sound(line, product) {
            entry.1 = add(entry.1, line.quantity.value());
        }
    }
    let mut by_first_line: Vec<(usize, &str, Decimal)> =
        ordered.into_iter().map(|(sku, (first, total))| (first, sku, total)).collect();
    by_first_line.sort_unstable();
    for (first, sku, total) in by_first_line {
        let Some(level) = input.stock.get(sku) else { continue };
        let available = level.available.value();
        if total > available {
            let unit = input.catalog.get(sku).map_or("", |p| p.unit.as_str());
            f.push(
                line_field(first, "quantity"),
                format!(
                    "{} {unit} of {sku} ordered but only {} available (stock as of {})",
                    qty(total),
                    qty(available),
                    when(level.as_of)
                ),
                Some(level.as_of),
                Details::StockShortfall {
                    sku: sku.to_owned(),
                    ordered: Dec(qty(total)),
                    available: level.available,
                    shortfall: Dec(qty(sub(total, available))),
                },
            );
        }
    }
}

/// Outstanding + pending on this device + this order against the limit. Exactly at the limit is
/// within it.
pub(super) fn credit(input: &ValidationInput, f: &mut Findings<'_>) {
    let Some(credit) = input.credit else { return };
    let order_total = input.order.total.value();
    let exposure = add(add(credit.outstanding.value(), credit.pending_on_device.value()), order_total);
    let limit = credit.limit.value();
    if exposure <= limit {
        return;
    }
    let excess = sub(exposure, limit);
    f.push(
        "outlet.credit".into(),
        format!(
            "Over the credit limit by {excess} (credit as of {}): limit {limit}, outstanding {}, \
             waiting to sync {}, this order {order_total}",
            when(credit.as_of),
            credit.outstanding,
            credit.pending_on_device,
        ),
        Some(credit.as_of),
        Details::CreditLimit {
            limit: credit.limit,
            outstanding: credit.outstanding,
            pending_on_device: credit.pending_on_device,
            order_total: input.order.total,
            exposure: Dec(exposure),
            excess: Dec(excess),
        },
    );
}

/// The lines as a multiset of (SKU, quantity): sorted, quantities normalized (`5` = `5.0`).
/// What the likely-duplicate rule compares of an order's lines, as a key of 32 hex digits:
/// lines the rule finds equal (the same multiset of SKU and quantity, `5` = `5.0`, in any order)
/// give equal keys. A store keeps it beside each order it remembers, so that it reads back only
/// the orders whose lines could match; the rule still compares the lines themselves (different
/// lines sharing a key are only read for nothing).
pub fn duplicate_key<'l>(lines: impl Iterator<Item = (&'l str, Decimal)>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (sku, quantity) in multiset(lines) {
        h.update(sku.as_bytes());
        h.update([0x1f]);
        h.update(quantity.to_string().as_bytes());
        h.update([0x1e]);
    }
    crate::vault::hex::encode(&h.finalize()[..16])
}

pub(crate) fn multiset<'l>(lines: impl Iterator<Item = (&'l str, Decimal)>) -> Vec<(&'l str, Decimal)> {
    let mut v: Vec<_> = lines.map(|(s, q)| (s, q.normalize())).collect();
    v.sort_unstable();
    v
}

/// A recent order of the same outlet, at most the window away in time (either side: clocks
/// differ, and the server sees orders in arrival order), with the same multiset of lines. When
/// several match, the closest in time is named (ties: earlier commit, then smaller id).
pub(super) fn duplicate(input: &ValidationInput, f: &mut Findings<'_>) {
    let order = &input.order;
    if order.lines.is_empty() {
        return;
    }
    let window =
        TimeDelta::try_minutes(i64::from(f.policy.duplicate_window_minutes)).unwrap_or(TimeDelta::MAX);
    let ours = multiset(order.lines.iter().map(|l| (l.sku.as_str(), l.quantity.value())));
    let closest = input
        .recent_orders
        .iter()
        .filter(|r| r.outlet_id == order.outlet_id)
        .map(|r| ((input.now - r.committed_at).abs(), r))
        .filter(|(apart, _)| *apart <= window)
        .filter(|(_, r)| multiset(r.lines.iter().map(|l| (l.sku.as_str(), l.quantity.value()))) == ours)
        .min_by_key(|(apart, r)| (*apart, r.committed_at, r.order_id));
    let Some((apart, earlier)) = closest else { return };
    f.push(
        "lines".into(),
        format!(
            "Looks like a duplicate: an order with the same lines for this outlet was committed at {} \
             ({} min apart)",
            when(earlier.committed_at),
            apart.num_minutes()
        ),
        None,
        Details::LikelyDuplicate { duplicate_of: earlier.order_id, committed_at: earlier.committed_at },
    );
}
