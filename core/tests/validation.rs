//! Order validation under the deployment's policy (issue 5): every rule under every severity,
//! at its boundaries; structural errors that no policy can allow; the policy as JSON; and the
//! verdict's independence from line order.
//!
//! The fixture is a rep at OUT-001 on 2026-11-22 at 09:47 UTC, with credit last computed by the
//! server the evening before (2026-11-21 18:00 UTC) and van stock counted at 06:00.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use satchel_core::money::Dec;
use satchel_core::validation::{
    validate, CreditPosition, Details, Finding, LineUnderValidation, OrderField,
    OrderUnderValidation, PriceValidity, ProductFacts, RecentLine, RecentOrder, Rule,
    RuleSeverities, Severity, StockLevel, ValidationInput, ValidationPolicy, Verdict,
};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixture

fn d(s: &str) -> Dec {
    Dec::from_str(s).expect("test decimal")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).expect("test date")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("test time").with_timezone(&Utc)
}

const NOW: &str = "2026-11-22T09:47:00Z";
const CREDIT_AS_OF: &str = "2026-11-21T18:00:00Z";
const STOCK_AS_OF: &str = "2026-11-22T06:00:00Z";

fn product(unit: &str, places: u32, moq: Option<&str>, pack: Option<&str>, from: &str, until: Option<&str>) -> ProductFacts {
    ProductFacts {
        unit: unit.into(),
        quantity_places: places,
        min_order_quantity: moq.map(d),
        pack_size: pack.map(d),
        price_validity: PriceValidity { valid_from: date(from), valid_until: until.map(date) },
    }
}

fn line(sku: &str, quantity: &str) -> LineUnderValidation {
    LineUnderValidation { sku: sku.into(), quantity: d(quantity), discount_percent: None }
}

fn discounted(sku: &str, quantity: &str, percent: &str) -> LineUnderValidation {
    LineUnderValidation { discount_percent: Some(d(percent)), ..line(sku, quantity) }
}

/// A clean order: no rule has anything to say about it under any policy.
///
/// - PEPSI-50CL: pieces, packs of 12, price valid for 2026; 48 in the van.
/// - RICE-KG: kilograms (3 places), minimum 5 kg, price valid in November 2026; 100 kg in the van.
/// - BISCUIT: pieces, minimum 10, price open-ended; not stock-tracked.
/// - Credit: limit 1000.00, outstanding 300.00, 200.00 waiting to sync, this order 450.00
///   (exposure 950.00).
fn input() -> ValidationInput {
    ValidationInput {
        order: OrderUnderValidation {
            outlet_id: "OUT-001".into(),
            business_date: date("2026-11-22"),
            lines: vec![line("PEPSI-50CL", "24"), line("RICE-KG", "5.5"), line("BISCUIT", "10")],
            order_discount_percent: None,
            total: d("450.00"),
            requested_delivery_date: None,
            note: None,
            customer_reference: None,
        },
        role: "rep".into(),
        catalog: BTreeMap::from([
            ("PEPSI-50CL".into(), product("pcs", 0, None, Some("12"), "2026-01-01", Some("2027-01-01"))),
            ("RICE-KG".into(), product("kg", 3, Some("5"), None, "2026-11-01", Some("2026-12-01"))),
            ("BISCUIT".into(), product("pcs", 0, Some("10"), None, "2025-01-01", None)),
        ]),
        stock: BTreeMap::from([
            ("PEPSI-50CL".into(), StockLevel { available: d("48"), as_of: at(STOCK_AS_OF) }),
            ("RICE-KG".into(), StockLevel { available: d("100.000"), as_of: at(STOCK_AS_OF) }),
        ]),
        credit: Some(CreditPosition {
            limit: d("1000.00"),
            outstanding: d("300.00"),
            as_of: at(CREDIT_AS_OF),
            pending_on_device: d("200.00"),
        }),
        recent_orders: vec![],
        now: at(NOW),
    }
}

fn policy_with(f: impl FnOnce(&mut RuleSeverities)) -> ValidationPolicy {
    let mut p = ValidationPolicy::default();
    f(&mut p.severity);
    p
}

fn check(input: &ValidationInput) -> Verdict {
    validate(&ValidationPolicy::default(), input)
}

/// The one finding of `rule` (fails when there are none or several).
fn the(verdict: &Verdict, rule: Rule) -> Finding {
    let found: Vec<&Finding> = verdict.of_rule(rule).collect();
    assert_eq!(found.len(), 1, "exactly one {rule:?} finding expected in {:#?}", verdict.findings);
    found[0].clone()
}

fn none_of(verdict: &Verdict, rule: Rule) {
    assert!(
        verdict.of_rule(rule).next().is_none(),
        "no {rule:?} finding expected, got {:#?}",
        verdict.findings
    );
}

/// A verdict with nothing in it.
fn assert_clean(verdict: &Verdict) {
    assert_eq!(verdict.findings, vec![], "no findings expected");
    assert!(!verdict.blocked && !verdict.flagged_for_review);
}

/// The three severities a rule can have, and what each does to the verdict.
fn assert_severity_obeyed(rule: Rule, set: fn(&mut RuleSeverities, Severity), input: &ValidationInput) {
    for severity in [Severity::Block, Severity::WarnAndFlag, Severity::Allow] {
        let policy = policy_with(|s| set(s, severity));
        let verdict = validate(&policy, input);
        let finding = the(&verdict, rule);
        assert_eq!(finding.severity, severity, "{rule:?} under {severity:?}");
        assert_eq!(verdict.blocked, severity == Severity::Block, "{rule:?} under {severity:?}: blocked");
        assert_eq!(
            verdict.flagged_for_review,
            severity == Severity::WarnAndFlag,
            "{rule:?} under {severity:?}: flagged"
        );
        assert_eq!(verdict.shown().count(), usize::from(severity != Severity::Allow), "shown");
    }
}

#[test]
fn the_fixture_order_is_clean_under_the_strictest_policy() {
    assert_clean(&validate(&ValidationPolicy::all(Severity::Block), &input()));
    assert_clean(&check(&input()));
}

// ---------------------------------------------------------------------------------------------
// Credit limit

fn with_total(total: &str) -> ValidationInput {
    let mut i = input();
    i.order.total = d(total);
    i
}

#[test]
fn credit_exactly_at_the_limit_is_allowed_without_a_finding() {
    // 300.00 outstanding + 200.00 pending + 500.00 = 1000.00, the limit.
    assert_clean(&check(&with_total("500.00")));
}

#[test]
fn credit_one_cent_over_warns_and_flags_by_default_with_the_credit_age() {
    let verdict = check(&with_total("500.01"));
    assert!(!verdict.blocked, "the default credit policy allows the order");
    assert!(verdict.flagged_for_review, "and flags it for review");
    let f = the(&verdict, Rule::CreditLimit);
    assert_eq!(f.severity, Severity::WarnAndFlag);
    assert_eq!(f.field, "outlet.credit");
    assert_eq!(f.data_as_of, Some(at(CREDIT_AS_OF)));
    assert!(f.message.starts_with("Over the credit limit by 0.01 "), "{}", f.message);
    assert!(f.message.contains("credit as of 2026-11-21 18:00 UTC"), "{}", f.message);
    assert_eq!(
        f.details,
        Details::CreditLimit {
            limit: d("1000.00"),
            outstanding: d("300.00"),
            pending_on_device: d("200.00"),
            order_total: d("500.01"),
            exposure: d("1000.01"),
            excess: d("0.01"),
        }
    );
}

#[test]
fn over_the_limit_scenario_message_names_the_excess_and_the_age() {
    // Acceptance scenario 4: 300.00 + 200.00 + 620.50 = 1120.50, 120.50 over.
    let verdict = check(&with_total("620.50"));
    let f = the(&verdict, Rule::CreditLimit);
    assert!(
        f.message.starts_with("Over the credit limit by 120.50 (credit as of 2026-11-21 18:00 UTC)"),
        "{}",
        f.message
    );
    assert!((!verdict.blocked) && verdict.flagged_for_review);
}

#[test]
fn credit_counts_this_devices_pending_orders() {
    // Without the 200.00 waiting to sync the order would be within the limit.
    let mut i = with_total("600.00");
    i.credit.as_mut().expect("credit").pending_on_device = d("0");
    assert_clean(&check(&i));
    let i = with_total("600.00");
    let f = the(&check(&i), Rule::CreditLimit);
    assert!(matches!(f.details, Details::CreditLimit { excess, .. } if excess == d("100.00")));
}

#[test]
fn credit_already_over_before_this_order_still_counts_the_whole_excess() {
    let mut i = with_total("10.00");
    let credit = i.credit.as_mut().expect("credit");
    credit.outstanding = d("1100.00");
    credit.pending_on_device = d("0.00");
    let f = the(&check(&i), Rule::CreditLimit);
    assert!(matches!(f.details, Details::CreditLimit { excess, .. } if excess == d("110.00")));
}

#[test]
fn credit_obeys_every_severity() {
    assert_severity_obeyed(Rule::CreditLimit, |s, v| s.credit_limit = v, &with_total("500.01"));
}

#[test]
fn an_outlet_without_credit_terms_has_no_credit_rule() {
    let mut i = with_total("999999.00");
    i.credit = None;
    assert_clean(&check(&i));
}

#[test]
fn the_server_revalidates_with_the_real_balance_and_flags_what_the_device_could_not_see() {
    // The device saw 300.00 outstanding as of last night: within the limit.
    let device = input();
    assert_clean(&check(&device));
    // The server knows the outlet owes 700.00 now and has nothing pending from the device.
    let mut server = device.clone();
    server.credit = Some(CreditPosition {
        limit: d("1000.00"),
        outstanding: d("700.00"),
        as_of: at("2026-11-22T10:15:00Z"),
        pending_on_device: d("0"),
    });
    let verdict = check(&server);
    let f = the(&verdict, Rule::CreditLimit);
    assert!(verdict.flagged_for_review);
    assert_eq!(f.data_as_of, Some(at("2026-11-22T10:15:00Z")));
    assert!(f.message.contains("by 150.00 (credit as of 2026-11-22 10:15 UTC)"), "{}", f.message);
}

// ---------------------------------------------------------------------------------------------
// Stock

#[test]
fn stock_exactly_available_is_not_a_shortfall() {
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "48");
    assert_clean(&check(&i));
}

#[test]
fn stock_shortfall_sums_the_lines_of_a_sku_and_names_its_first_line() {
    let mut i = input();
    // 36 + 24 = 60 PEPSI against 48: the shortfall is on the SKU, reported at its first line.
    i.order.lines = vec![line("RICE-KG", "5"), line("PEPSI-50CL", "36"), line("BISCUIT", "10"), line("PEPSI-50CL", "24")];
    let verdict = check(&i);
    let f = the(&verdict, Rule::StockShortfall);
    assert_eq!(f.severity, Severity::WarnAndFlag, "default: warn and flag");
    assert!(!verdict.blocked && verdict.flagged_for_review);
    assert_eq!(f.field, "lines[1].quantity");
    assert_eq!(f.data_as_of, Some(at(STOCK_AS_OF)));
    assert!(f.message.contains("stock as of 2026-11-22 06:00 UTC"), "{}", f.message);
    assert_eq!(
        f.details,
        Details::StockShortfall { sku: "PEPSI-50CL".into(), ordered: d("60"), available: d("48"), shortfall: d("12") }
    );
}

#[test]
fn stock_one_thousandth_of_a_kilogram_over_is_a_shortfall() {
    let mut i = input();
    i.order.lines[1] = line("RICE-KG", "100.001");
    let f = the(&check(&i), Rule::StockShortfall);
    assert!(matches!(f.details, Details::StockShortfall { shortfall, .. } if shortfall == d("0.001")));
    i.order.lines[1] = line("RICE-KG", "100.000");
    none_of(&check(&i), Rule::StockShortfall);
}

#[test]
fn stock_obeys_every_severity() {
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "60");
    assert_severity_obeyed(Rule::StockShortfall, |s, v| s.stock_shortfall = v, &i);
}

#[test]
fn a_product_without_a_stock_figure_is_not_stock_tracked() {
    let mut i = input();
    i.order.lines[2] = line("BISCUIT", "100000");
    assert_clean(&check(&i));
}

// ---------------------------------------------------------------------------------------------
// Price list validity: [valid_from, valid_until)

fn on(day: &str) -> ValidationInput {
    let mut i = input();
    i.order.business_date = date(day);
    i.order.lines = vec![line("RICE-KG", "5")]; // valid 2026-11-01 until 2026-12-01
    i
}

#[test]
fn price_valid_from_its_first_day_until_the_day_before_valid_until() {
    assert_clean(&check(&on("2026-11-01")));
    assert_clean(&check(&on("2026-11-30")));
}

#[test]
fn price_expired_on_valid_until_blocks_by_default() {
    let verdict = check(&on("2026-12-01"));
    assert!(verdict.blocked);
    let f = the(&verdict, Rule::PriceListExpired);
    assert_eq!(f.severity, Severity::Block);
    assert_eq!(f.field, "lines[0].sku");
    assert!(f.message.contains("expired on 2026-12-01"), "{}", f.message);
    assert_eq!(
        f.details,
        Details::PriceListExpired {
            sku: "RICE-KG".into(),
            business_date: date("2026-12-01"),
            valid_from: date("2026-11-01"),
            valid_until: Some(date("2026-12-01")),
        }
    );
}

#[test]
fn price_not_yet_valid_the_day_before_valid_from() {
    let f = the(&check(&on("2026-10-31")), Rule::PriceListExpired);
    assert!(f.message.contains("valid from 2026-11-01"), "{}", f.message);
}

#[test]
fn an_open_ended_price_never_expires() {
    let mut i = input();
    i.order.business_date = date("2099-12-31");
    i.order.lines = vec![line("BISCUIT", "10")];
    assert_clean(&check(&i));
}

#[test]
fn price_validity_obeys_every_severity() {
    assert_severity_obeyed(Rule::PriceListExpired, |s, v| s.price_list_expired = v, &on("2026-12-01"));
}

// ---------------------------------------------------------------------------------------------
// Minimum order quantity and pack multiples

#[test]
fn a_line_at_the_minimum_order_quantity_is_fine_and_just_below_blocks() {
    let mut i = input();
    i.order.lines[1] = line("RICE-KG", "5.000");
    assert_clean(&check(&i));
    i.order.lines[1] = line("RICE-KG", "4.999");
    let verdict = check(&i);
    let f = the(&verdict, Rule::MinOrderQuantity);
    assert!(verdict.blocked);
    assert_eq!(f.field, "lines[1].quantity");
    assert_eq!(f.details, Details::MinOrderQuantity { sku: "RICE-KG".into(), quantity: d("4.999"), minimum: d("5") });
    assert!(f.message.contains("minimum order of RICE-KG is 5 kg"), "{}", f.message);
}

#[test]
fn minimum_order_quantity_obeys_every_severity() {
    let mut i = input();
    i.order.lines[2] = line("BISCUIT", "9");
    assert_severity_obeyed(Rule::MinOrderQuantity, |s, v| s.min_order_quantity = v, &i);
}

#[test]
fn whole_packs_pass_and_one_unit_either_side_blocks_with_the_nearest_packs() {
    for ok in ["12", "36", "48"] {
        let mut i = input();
        i.order.lines[0] = line("PEPSI-50CL", ok);
        assert_clean(&check(&i));
    }
    for (q, lower, upper) in [("11", "0", "12"), ("13", "12", "24"), ("47", "36", "48")] {
        let mut i = input();
        i.order.lines[0] = line("PEPSI-50CL", q);
        let verdict = check(&i);
        assert!(verdict.blocked, "{q}");
        let f = the(&verdict, Rule::PackMultiple);
        assert_eq!(f.field, "lines[0].quantity");
        assert_eq!(
            f.details,
            Details::PackMultiple {
                sku: "PEPSI-50CL".into(),
                quantity: d(q),
                pack_size: d("12"),
                lower: d(lower),
                upper: d(upper),
            }
        );
    }
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "13");
    let f = the(&check(&i), Rule::PackMultiple);
    assert!(f.message.contains("packs of 12 pcs: order 12 or 24 (got 13)"), "{}", f.message);
}

#[test]
fn a_pack_size_of_one_or_less_allows_any_quantity() {
    for pack in ["1", "0.5", "0"] {
        let mut i = input();
        i.catalog.get_mut("PEPSI-50CL").expect("pepsi").pack_size = Some(d(pack));
        i.order.lines[0] = line("PEPSI-50CL", "7");
        assert_clean(&check(&i));
        i.catalog.get_mut("RICE-KG").expect("rice").pack_size = Some(d(pack));
        i.order.lines[1] = line("RICE-KG", "5.5");
        assert_clean(&check(&i));
    }
}

#[test]
fn a_fractional_pack_size_above_one_is_honoured() {
    let mut i = input();
    i.catalog.get_mut("RICE-KG").expect("rice").pack_size = Some(d("2.5"));
    i.order.lines[1] = line("RICE-KG", "7.5");
    assert_clean(&check(&i));
    i.order.lines[1] = line("RICE-KG", "8");
    let f = the(&check(&i), Rule::PackMultiple);
    assert!(matches!(&f.details, Details::PackMultiple { lower, upper, .. } if *lower == d("7.5") && *upper == d("10")));
}

#[test]
fn pack_multiple_obeys_every_severity() {
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "13");
    assert_severity_obeyed(Rule::PackMultiple, |s, v| s.pack_multiple = v, &i);
}

// ---------------------------------------------------------------------------------------------
// Discount caps per role (default: rep 10 %, supervisor 30 %)

#[test]
fn a_discount_exactly_at_the_cap_is_fine_and_one_hundredth_over_blocks() {
    let mut i = input();
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "10");
    i.order.order_discount_percent = Some(d("10.00"));
    assert_clean(&check(&i));

    i.order.lines[0] = discounted("PEPSI-50CL", "24", "10.01");
    let verdict = check(&i);
    assert!(verdict.blocked);
    let f = the(&verdict, Rule::DiscountCap);
    assert_eq!(f.field, "lines[0].discount_percent");
    assert_eq!(
        f.details,
        Details::DiscountCap { role: "rep".into(), discount_percent: d("10.01"), cap_percent: d("10") }
    );
    assert!(f.message.contains("10.01 % is over the 10 % cap for a rep"), "{}", f.message);
}

#[test]
fn the_order_discount_is_capped_too() {
    let mut i = input();
    i.order.order_discount_percent = Some(d("10.01"));
    let f = the(&check(&i), Rule::DiscountCap);
    assert_eq!(f.field, "order_discount_percent");
}

#[test]
fn the_cap_depends_on_the_role() {
    let mut i = input();
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "25");
    assert!(check(&i).blocked, "25 % is over a rep's cap");
    i.role = "supervisor".into();
    assert_clean(&check(&i));
}

#[test]
fn a_role_the_policy_does_not_list_may_give_no_discount() {
    let mut i = input();
    i.role = "driver".into();
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "0");
    assert_clean(&check(&i));
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "0.01");
    let f = the(&check(&i), Rule::DiscountCap);
    assert!(matches!(&f.details, Details::DiscountCap { cap_percent, .. } if cap_percent.value().is_zero()));
    assert!(f.message.contains("driver may give no discount"), "{}", f.message);
}

#[test]
fn discount_caps_come_from_the_policy() {
    let mut policy = ValidationPolicy::default();
    policy.discount_caps.insert("rep".into(), d("5"));
    let mut i = input();
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "5.5");
    assert!(validate(&policy, &i).blocked);
    assert!(!check(&i).blocked, "5.5 % is within the default cap of 10 %");
}

#[test]
fn discount_cap_obeys_every_severity() {
    let mut i = input();
    i.order.order_discount_percent = Some(d("11"));
    assert_severity_obeyed(Rule::DiscountCap, |s, v| s.discount_cap = v, &i);
}

// ---------------------------------------------------------------------------------------------
// Required fields

fn requiring(fields: &[OrderField]) -> ValidationPolicy {
    ValidationPolicy { required_fields: fields.to_vec(), ..ValidationPolicy::default() }
}

#[test]
fn optional_fields_are_optional_by_default() {
    let i = input();
    assert!(i.order.requested_delivery_date.is_none() && i.order.note.is_none());
    assert_clean(&check(&i));
}

#[test]
fn a_required_delivery_date_that_is_missing_blocks_by_default() {
    let policy = requiring(&[OrderField::RequestedDeliveryDate]);
    let mut i = input();
    let verdict = validate(&policy, &i);
    assert!(verdict.blocked);
    let f = the(&verdict, Rule::MissingRequired);
    assert_eq!(f.field, "requested_delivery_date");
    assert_eq!(f.message, "Requested delivery date is required");
    i.order.requested_delivery_date = Some(date("2026-11-24"));
    assert_clean(&validate(&policy, &i));
}

#[test]
fn a_blank_text_counts_as_missing() {
    let policy = requiring(&[OrderField::Note, OrderField::CustomerReference, OrderField::Note]);
    let mut i = input();
    i.order.note = Some("   ".into());
    i.order.customer_reference = Some("PO-7781".into());
    let verdict = validate(&policy, &i);
    assert_eq!(the(&verdict, Rule::MissingRequired).field, "note", "listed twice, reported once");
}

#[test]
fn missing_required_obeys_every_severity() {
    let i = input();
    for severity in [Severity::Block, Severity::WarnAndFlag, Severity::Allow] {
        let mut policy = requiring(&[OrderField::CustomerReference]);
        policy.severity.missing_required = severity;
        let verdict = validate(&policy, &i);
        assert_eq!(the(&verdict, Rule::MissingRequired).severity, severity);
        assert_eq!(verdict.blocked, severity == Severity::Block);
        assert_eq!(verdict.flagged_for_review, severity == Severity::WarnAndFlag);
    }
}

// ---------------------------------------------------------------------------------------------
// Likely duplicate

fn recent(outlet: &str, minutes_ago: i64, seconds: i64, lines: &[(&str, &str)]) -> RecentOrder {
    RecentOrder {
        order_id: Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + u128::from((minutes_ago + 1000).unsigned_abs())),
        outlet_id: outlet.into(),
        committed_at: at(NOW) - TimeDelta::minutes(minutes_ago) - TimeDelta::seconds(seconds),
        lines: lines.iter().map(|(sku, q)| RecentLine { sku: (*sku).into(), quantity: d(q) }).collect(),
    }
}

const SAME_LINES: &[(&str, &str)] = &[("BISCUIT", "10"), ("PEPSI-50CL", "24.0"), ("RICE-KG", "5.500")];

#[test]
fn the_same_lines_for_the_same_outlet_at_the_window_edge_is_a_likely_duplicate() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", 10, 0, SAME_LINES)];
    let verdict = check(&i);
    let f = the(&verdict, Rule::LikelyDuplicate);
    assert_eq!(f.severity, Severity::WarnAndFlag, "default: warn and flag");
    assert!(!verdict.blocked && verdict.flagged_for_review);
    assert_eq!(f.field, "lines");
    assert_eq!(
        f.details,
        Details::LikelyDuplicate { duplicate_of: i.recent_orders[0].order_id, committed_at: at("2026-11-22T09:37:00Z") }
    );
    assert!(f.message.contains("09:37 UTC (10 min apart)"), "{}", f.message);
}

#[test]
fn one_second_past_the_window_is_not_a_duplicate() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", 10, 1, SAME_LINES)];
    assert_clean(&check(&i));
}

#[test]
fn the_window_comes_from_the_policy() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", 25, 0, SAME_LINES)];
    assert_clean(&check(&i));
    let policy = ValidationPolicy { duplicate_window_minutes: 30, ..ValidationPolicy::default() };
    the(&validate(&policy, &i), Rule::LikelyDuplicate);
}

#[test]
fn a_duplicate_committed_later_by_a_skewed_clock_still_counts() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", -3, 0, SAME_LINES)];
    the(&check(&i), Rule::LikelyDuplicate);
}

#[test]
fn other_outlets_and_other_lines_are_not_duplicates() {
    let mut i = input();
    i.recent_orders = vec![
        recent("OUT-002", 1, 0, SAME_LINES),
        recent("OUT-001", 2, 0, &[("BISCUIT", "10"), ("PEPSI-50CL", "24")]),
        recent("OUT-001", 3, 0, &[("BISCUIT", "10"), ("PEPSI-50CL", "36"), ("RICE-KG", "5.5")]),
        recent("OUT-001", 4, 0, &[("BISCUIT", "10"), ("PEPSI-50CL", "24"), ("RICE-KG", "5.5"), ("RICE-KG", "5.5")]),
    ];
    assert_clean(&check(&i));
}

#[test]
fn lines_are_compared_as_a_multiset() {
    let mut i = input();
    i.order.lines = vec![line("PEPSI-50CL", "12"), line("BISCUIT", "10"), line("PEPSI-50CL", "12")];
    i.recent_orders = vec![recent("OUT-001", 5, 0, &[("PEPSI-50CL", "24"), ("BISCUIT", "10")])];
    assert_clean(&check(&i));
    i.recent_orders = vec![recent("OUT-001", 5, 0, &[("PEPSI-50CL", "12"), ("PEPSI-50CL", "12"), ("BISCUIT", "10")])];
    the(&check(&i), Rule::LikelyDuplicate);
}

#[test]
fn of_several_duplicates_the_closest_is_named_whatever_their_order() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", 8, 0, SAME_LINES), recent("OUT-001", 2, 0, SAME_LINES), recent("OUT-001", 5, 0, SAME_LINES)];
    let closest = i.recent_orders[1].order_id;
    let a = check(&i);
    i.recent_orders.reverse();
    let b = check(&i);
    assert_eq!(a, b);
    assert!(matches!(the(&a, Rule::LikelyDuplicate).details, Details::LikelyDuplicate { duplicate_of, .. } if duplicate_of == closest));
}

#[test]
fn likely_duplicate_obeys_every_severity() {
    let mut i = input();
    i.recent_orders = vec![recent("OUT-001", 1, 0, SAME_LINES)];
    assert_severity_obeyed(Rule::LikelyDuplicate, |s, v| s.likely_duplicate = v, &i);
}

// ---------------------------------------------------------------------------------------------
// Structural errors: always block, whatever the policy

fn permissive() -> ValidationPolicy {
    ValidationPolicy::all(Severity::Allow)
}

fn assert_blocks_even_when_everything_is_allowed(i: &ValidationInput, rule: Rule, field: &str) -> Finding {
    let verdict = validate(&permissive(), i);
    assert!(verdict.blocked, "{rule:?} must block under an allow-everything policy");
    let f = the(&verdict, rule);
    assert_eq!(f.severity, Severity::Block);
    assert_eq!(f.field, field);
    assert!(rule.is_structural() || rule == Rule::MissingRequired);
    f
}

#[test]
fn an_unknown_product_blocks_under_any_policy() {
    let mut i = input();
    i.order.lines[1] = line("NO-SUCH-SKU", "5");
    let f = assert_blocks_even_when_everything_is_allowed(&i, Rule::UnknownProduct, "lines[1].sku");
    assert_eq!(f.details, Details::UnknownProduct { sku: "NO-SUCH-SKU".into() });
    assert_eq!(f.message, "Unknown product NO-SUCH-SKU");
}

#[test]
fn zero_and_negative_quantities_block_under_any_policy() {
    for q in ["0", "0.000", "-1", "-12"] {
        let mut i = input();
        i.order.lines[0] = line("PEPSI-50CL", q);
        let f = assert_blocks_even_when_everything_is_allowed(&i, Rule::NonPositiveQuantity, "lines[0].quantity");
        assert_eq!(f.details, Details::NonPositiveQuantity { sku: "PEPSI-50CL".into(), quantity: d(q) });
        // The line's other quantity rules would only add noise: the minimum, packs, stock.
        let verdict = validate(&ValidationPolicy::default(), &i);
        none_of(&verdict, Rule::PackMultiple);
        assert_eq!(verdict.findings.len(), 1, "{:#?}", verdict.findings);
    }
}

#[test]
fn a_quantity_too_precise_for_its_unit_blocks_under_any_policy() {
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "24.5");
    let f = assert_blocks_even_when_everything_is_allowed(&i, Rule::QuantityPrecision, "lines[0].quantity");
    assert_eq!(f.details, Details::QuantityPrecision { sku: "PEPSI-50CL".into(), quantity: d("24.5"), max_places: 0 });
    assert!(f.message.contains("sold in whole pcs"), "{}", f.message);

    i.order.lines[0] = line("PEPSI-50CL", "24");
    i.order.lines[1] = line("RICE-KG", "5.0005");
    let f = assert_blocks_even_when_everything_is_allowed(&i, Rule::QuantityPrecision, "lines[1].quantity");
    assert!(f.message.contains("at most 3 decimal places"), "{}", f.message);
}

#[test]
fn trailing_zeros_are_not_extra_precision() {
    let mut i = input();
    i.order.lines[0] = line("PEPSI-50CL", "24.000");
    i.order.lines[1] = line("RICE-KG", "5.500000");
    assert_clean(&validate(&ValidationPolicy::all(Severity::Block), &i));
}

#[test]
fn a_discount_outside_0_to_100_percent_blocks_under_any_policy() {
    let mut i = input();
    i.order.lines[0] = discounted("PEPSI-50CL", "24", "-5");
    let f = assert_blocks_even_when_everything_is_allowed(&i, Rule::InvalidDiscount, "lines[0].discount_percent");
    assert_eq!(f.details, Details::InvalidDiscount { discount_percent: d("-5") });
    i.order.lines[0] = line("PEPSI-50CL", "24");
    i.order.order_discount_percent = Some(d("100.01"));
    assert_blocks_even_when_everything_is_allowed(&i, Rule::InvalidDiscount, "order_discount_percent");
}

#[test]
fn an_order_without_an_outlet_or_without_lines_blocks_under_any_policy() {
    let mut i = input();
    i.order.outlet_id = "  ".into();
    assert_blocks_even_when_everything_is_allowed(&i, Rule::MissingRequired, "outlet_id");
    let mut i = input();
    i.order.lines.clear();
    assert_blocks_even_when_everything_is_allowed(&i, Rule::MissingRequired, "lines");
}

#[test]
fn every_structural_rule_is_block_in_the_policy_whatever_it_says() {
    let policy = permissive();
    for rule in [Rule::UnknownProduct, Rule::QuantityPrecision, Rule::NonPositiveQuantity, Rule::InvalidDiscount] {
        assert!(rule.is_structural());
        assert_eq!(policy.severity_of(rule), Severity::Block, "{rule:?}");
    }
    assert_eq!(policy.severity_of(Rule::CreditLimit), Severity::Allow);
}

// ---------------------------------------------------------------------------------------------
// The verdict

#[test]
fn allowed_findings_are_recorded_but_not_shown_and_blocking_ones_come_first() {
    let mut i = with_total("900.00"); // over the credit limit
    i.order.lines[0] = line("PEPSI-50CL", "13"); // not a whole pack
    i.recent_orders = vec![recent("OUT-001", 1, 0, &[("PEPSI-50CL", "13"), ("RICE-KG", "5.5"), ("BISCUIT", "10")])];
    let policy = policy_with(|s| s.credit_limit = Severity::Allow);
    let verdict = validate(&policy, &i);
    let rules: Vec<(Rule, Severity)> = verdict.findings.iter().map(|f| (f.rule, f.severity)).collect();
    assert_eq!(
        rules,
        vec![
            (Rule::PackMultiple, Severity::Block),
            (Rule::LikelyDuplicate, Severity::WarnAndFlag),
            (Rule::CreditLimit, Severity::Allow),
        ]
    );
    assert!(verdict.blocked && verdict.flagged_for_review);
    let shown: Vec<Rule> = verdict.shown().map(|f| f.rule).collect();
    assert_eq!(shown, vec![Rule::PackMultiple, Rule::LikelyDuplicate]);
}

#[test]
fn the_verdict_travels_as_json_with_amounts_as_strings() {
    let verdict = check(&with_total("500.01"));
    let json = serde_json::to_value(&verdict).expect("serializes");
    assert_eq!(json["blocked"], false);
    assert_eq!(json["flagged_for_review"], true);
    let f = &json["findings"][0];
    assert_eq!(f["rule"], "credit_limit");
    assert_eq!(f["severity"], "warn_and_flag");
    assert_eq!(f["data_as_of"], "2026-11-21T18:00:00Z");
    assert_eq!(f["details"]["excess"], "0.01");
    let back: Verdict = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, verdict);
}

#[test]
fn the_input_arrives_as_json_and_refuses_numeric_quantities() {
    let json = serde_json::to_value(input()).expect("serializes");
    let back: ValidationInput = serde_json::from_value(json.clone()).expect("deserializes");
    assert_eq!(back, input());
    let mut numeric = json;
    numeric["order"]["lines"][0]["quantity"] = serde_json::json!(24);
    let err = serde_json::from_value::<ValidationInput>(numeric).expect_err("numbers are refused");
    assert!(err.to_string().contains("decimal number written as a string"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The policy as JSON

#[test]
fn an_empty_policy_is_the_default_policy() {
    let policy: ValidationPolicy = serde_json::from_str("{}").expect("parses");
    assert_eq!(policy, ValidationPolicy::default());
    assert_eq!(policy.severity.credit_limit, Severity::WarnAndFlag, "the brief's default for credit");
    assert_eq!(policy.severity.stock_shortfall, Severity::WarnAndFlag);
    assert_eq!(policy.severity.likely_duplicate, Severity::WarnAndFlag);
    for s in [
        policy.severity.price_list_expired,
        policy.severity.min_order_quantity,
        policy.severity.pack_multiple,
        policy.severity.discount_cap,
        policy.severity.missing_required,
    ] {
        assert_eq!(s, Severity::Block);
    }
    assert_eq!(policy.duplicate_window_minutes, 10);
    assert_eq!(policy.discount_cap("rep"), d("10").value());
    assert_eq!(policy.discount_cap("supervisor"), d("30").value());
    assert!(policy.required_fields.is_empty());
}

#[test]
fn a_partial_policy_keeps_the_defaults_it_does_not_mention_and_round_trips() {
    let policy: ValidationPolicy = serde_json::from_str(
        r#"{"severity": {"credit_limit": "block", "stock_shortfall": "allow"},
            "required_fields": ["requested_delivery_date"]}"#,
    )
    .expect("parses");
    assert_eq!(policy.severity.credit_limit, Severity::Block);
    assert_eq!(policy.severity.stock_shortfall, Severity::Allow);
    assert_eq!(policy.severity.pack_multiple, Severity::Block, "default kept");
    assert_eq!(policy.severity.likely_duplicate, Severity::WarnAndFlag, "default kept");
    assert_eq!(policy.duplicate_window_minutes, 10, "default kept");
    assert_eq!(policy.required_fields, vec![OrderField::RequestedDeliveryDate]);

    let text = serde_json::to_string(&policy).expect("serializes");
    assert!(text.contains(r#""credit_limit":"block""#), "{text}");
    assert!(text.contains(r#""discount_caps":{"rep":"10","supervisor":"30"}"#), "{text}");
    let back: ValidationPolicy = serde_json::from_str(&text).expect("parses back");
    assert_eq!(back, policy);
    // And it is obeyed: over the limit now blocks.
    assert!(validate(&back, &with_total("500.01")).blocked);
}

#[test]
fn a_mistyped_policy_is_refused_not_half_applied() {
    for bad in [
        r#"{"severity": {"credit_limt": "block"}}"#,
        r#"{"severity": {"credit_limit": "warn"}}"#,
        r#"{"required_fields": ["delivery_date"]}"#,
        r#"{"discount_caps": {"rep": 10}}"#,
        r#"{"duplicate_window_minutes": -1}"#,
        r#"{"duplicate_window": 10}"#,
    ] {
        assert!(serde_json::from_str::<ValidationPolicy>(bad).is_err(), "{bad} must be refused");
    }
}

// ---------------------------------------------------------------------------------------------
// Line order does not change the verdict

const SKUS: [&str; 5] = ["PEPSI-50CL", "RICE-KG", "BISCUIT", "SOAP", "NO-SUCH-SKU"];

fn gen_line() -> impl Strategy<Value = LineUnderValidation> {
    (
        0usize..SKUS.len(),
        -2i64..80,
        0u32..3,
        proptest::option::of(prop_oneof![Just("0"), Just("5"), Just("10"), Just("10.01"), Just("35"), Just("101")]),
    )
        .prop_map(|(s, q, scale, disc)| LineUnderValidation {
            sku: SKUS[s].into(),
            quantity: Dec(rust_decimal::Decimal::new(q * 10i64.pow(scale) / 2, scale)),
            discount_percent: disc.map(d),
        })
}

fn permuted_case() -> impl Strategy<Value = (Vec<LineUnderValidation>, Vec<LineUnderValidation>, bool, String)> {
    (
        proptest::collection::vec(gen_line(), 1..8),
        any::<bool>(),
        prop_oneof![Just("rep".to_owned()), Just("supervisor".to_owned()), Just("driver".to_owned())],
    )
        .prop_flat_map(|(lines, recent_same, role)| {
            let shuffled = Just(lines.clone()).prop_shuffle();
            (Just(lines), shuffled, Just(recent_same), Just(role))
        })
}

/// A finding without its field (which names a line index), as comparable text.
fn without_field(f: &Finding) -> String {
    let mut v = serde_json::to_value(f).expect("serializes");
    v.as_object_mut().expect("object").remove("field");
    v.to_string()
}

fn line_index(field: &str) -> Option<usize> {
    field.strip_prefix("lines[")?.split(']').next()?.parse().ok()
}

fn sku_of(details: &Details) -> Option<&str> {
    match details {
        Details::StockShortfall { sku, .. }
        | Details::PriceListExpired { sku, .. }
        | Details::MinOrderQuantity { sku, .. }
        | Details::PackMultiple { sku, .. }
        | Details::UnknownProduct { sku }
        | Details::QuantityPrecision { sku, .. }
        | Details::NonPositiveQuantity { sku, .. } => Some(sku),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_verdict_does_not_depend_on_line_order((lines, shuffled, recent_same, role) in permuted_case()) {
        let mut i = input();
        i.catalog.insert("SOAP".into(), product("pcs", 0, Some("6"), Some("6"), "2026-12-01", None));
        i.stock.insert("BISCUIT".into(), StockLevel { available: d("40"), as_of: at(STOCK_AS_OF) });
        i.role = role;
        i.order.order_discount_percent = Some(d("5"));
        i.order.lines = lines.clone();
        if recent_same {
            // The same lines, committed a minute ago in yet another order.
            let mut earlier: Vec<RecentLine> =
                lines.iter().map(|l| RecentLine { sku: l.sku.clone(), quantity: l.quantity }).collect();
            earlier.reverse();
            i.recent_orders = vec![RecentOrder {
                order_id: Uuid::from_u128(7),
                outlet_id: "OUT-001".into(),
                committed_at: at(NOW) - TimeDelta::minutes(1),
                lines: earlier,
            }];
        }
        let mut j = i.clone();
        j.order.lines = shuffled;
        for policy in [ValidationPolicy::default(), ValidationPolicy::all(Severity::Allow)] {
            let a = validate(&policy, &i);
            let b = validate(&policy, &j);
            prop_assert_eq!(a.blocked, b.blocked);
            prop_assert_eq!(a.flagged_for_review, b.flagged_for_review);
            let mut fa: Vec<String> = a.findings.iter().map(without_field).collect();
            let mut fb: Vec<String> = b.findings.iter().map(without_field).collect();
            fa.sort();
            fb.sort();
            prop_assert_eq!(fa, fb);
            prop_assert_eq!(a.of_rule(Rule::LikelyDuplicate).count(), usize::from(recent_same));
            // Every line finding names a line of its SKU; a shortfall names the SKU's first line.
            for (verdict, lines) in [(&a, &i.order.lines), (&b, &j.order.lines)] {
                for f in &verdict.findings {
                    if let (Some(sku), Some(index)) = (sku_of(&f.details), line_index(&f.field)) {
                        prop_assert_eq!(lines[index].sku.as_str(), sku);
                        if f.rule == Rule::StockShortfall {
                            prop_assert_eq!(lines.iter().position(|l| l.sku == sku), Some(index));
                        }
                    }
                }
            }
        }
    }
}
