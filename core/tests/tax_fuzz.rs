//! Fuzzing the tax engine: arbitrary rule sets and documents, every dialect, amounts up to the
//! documented maxima. The engine must never panic (in the Wasm build a panic aborts the module);
//! it answers either a typed error or a result whose amounts add up.
//!
//! Runs for a bounded time: `SATCHEL_TAX_FUZZ_SECONDS` (default 20) or until
//! `SATCHEL_TAX_FUZZ_CASES` cases (default 200,000), whichever comes first. A failure is shrunk
//! and printed with the rule set and document that caused it.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use satchel_core::tax::{compute, RuleSet, TaxDocument, TaxResult};
use serde_json::{json, Value};

const KINDS: [&str; 5] = ["percent", "per_unit", "fixed_per_line", "fixed_per_document", "division"];

fn dialect() -> impl Strategy<Value = Value> {
    prop_oneof![
        (prop_oneof![Just("half_up"), Just("half_even"), Just("half_down"), Just("up"), Just("down")], prop_oneof![Just("line"), Just("document")])
            .prop_map(|(r, s)| json!({"kind": "exact", "rounding": r, "scope": s})),
        prop_oneof![Just("line"), Just("document")].prop_map(|s| json!({"kind": "odoo", "scope": s})),
        prop_oneof![Just("line"), Just("document")].prop_map(|s| json!({"kind": "odoo16", "scope": s})),
        prop_oneof![Just("bankers"), Just("bankers_legacy"), Just("commercial")]
            .prop_map(|m| json!({"kind": "erpnext", "rounding_method": m})),
    ]
}

fn step() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("0.01"), Just("0.05"), Just("1"), Just("0.001"), Just("0.000001"), Just("0.1"), Just("0.25")]
}

/// A decimal text from the ordinary to the extreme: zero, small, fractional, the maximum.
fn amount(max: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0i64..100_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s).to_string()),
        1 => Just(max.to_owned()),
        1 => (1i64..1_000_000_000, 0u32..7).prop_map(|(m, s)| Decimal::new(m, s).to_string()),
        1 => Just("0".to_owned()),
    ]
}

fn rate(kind: &'static str) -> impl Strategy<Value = String> {
    let max = match kind {
        "percent" => "1000",
        "division" => "99.99",
        _ => "1000000000000",
    };
    let small = if kind == "division" { 99_990i64 } else { 100_000 };
    prop_oneof![
        // Percentages up to 1000 (division below 100); fixed amounts up to 100,000.
        4 => (0i64..small, 0u32..4).prop_map(move |(m, s)| Decimal::new(m, s.max(match kind { "division" => 3, "percent" => 2, _ => 0 })).to_string()),
        1 => Just(max.to_owned()),
        // Withholding: a negative rate (refused for other kinds: rarely).
        (if kind == "percent" { 1 } else { 0 }) => (1i64..10_050).prop_map(|m| (-Decimal::new(m, 2)).to_string()),
    ]
}

#[derive(Debug, Clone)]
struct GenTax {
    kind: &'static str,
    rate: String,
    sequence: i32,
    base: u8,
    previous: usize,
    later_base: bool,
    price_include: Option<bool>,
    reduced_rate: Option<String>,
    base_affected: bool,
    repartition: Option<Vec<i64>>,
}

fn gen_tax() -> impl Strategy<Value = GenTax> {
    proptest::sample::select(&KINDS[..]).prop_flat_map(|kind| {
        (rate(kind), 0i32..4, 0u8..6, 0usize..8, any::<bool>(), proptest::option::of(any::<bool>()), proptest::option::of(rate(kind)), proptest::bool::weighted(0.8),
         proptest::option::weighted(0.2, proptest::collection::vec(-1_000i64..1_000, 1..4)))
            .prop_map(move |(rate, sequence, base, previous, later_base, price_include, reduced_rate, base_affected, repartition)| GenTax {
                kind,
                rate,
                sequence,
                base,
                previous,
                later_base,
                price_include,
                reduced_rate,
                base_affected,
                repartition,
            })
    })
}

#[derive(Debug, Clone)]
struct GenLine {
    quantity: String,
    negative: bool,
    price: String,
    class: &'static str,
    discount: Option<(bool, String)>,
    extra: Option<usize>,
}

/// A discount: a percentage up to 100, or an amount in cents (either may exceed the line and be
/// refused).
fn gen_discount() -> impl Strategy<Value = (bool, String)> {
    prop_oneof![
        (0i64..=10_000).prop_map(|m| (true, Decimal::new(m, 2).to_string())),
        (0i64..100_000).prop_map(|m| (false, Decimal::new(m, 2).to_string())),

    ]
}

fn gen_line() -> impl Strategy<Value = GenLine> {
    (
        // A zero quantity is refused: generate it rarely.
        prop_oneof![50 => amount("1000000000000").prop_filter("not zero", |q| q != "0"), 1 => Just("0".to_owned())],
        any::<bool>(),
        amount("1000000000000"),
        prop_oneof![Just("standard"), Just("reduced"), Just("zero_rated"), Just("exempt")],
        proptest::option::of(gen_discount()),
        proptest::option::of(0usize..8),
    )
        .prop_map(|(quantity, negative, price, class, discount, extra)| GenLine { quantity, negative, price, class, discount, extra })
}

#[derive(Debug, Clone)]
struct Case {
    dialect: Value,
    step: &'static str,
    taxes: Vec<GenTax>,
    group: bool,
    scheduled: Vec<bool>,
    lines: Vec<GenLine>,
    document_discount: Option<(bool, String)>,
    prices_include_tax: bool,
    discounts_before_tax: bool,
    cash: bool,
    /// A company currency: its step, the rate, whether Odoo's inverse rate.
    company: Option<(&'static str, String, bool)>,
    /// Whether the document discount is on the grand total (ERPNext's).
    on_grand_total: bool,
}

fn gen_case() -> impl Strategy<Value = Case> {
    (
        dialect(),
        step(),
        proptest::collection::vec(gen_tax(), 0..6),
        any::<bool>(),
        proptest::collection::vec(any::<bool>(), 8),
        proptest::collection::vec(gen_line(), 1..6),
        proptest::option::of(gen_discount()),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        (proptest::option::of((step(), amount("1000000000000"), any::<bool>())), any::<bool>()),
    )
        .prop_map(|(dialect, step, taxes, group, scheduled, lines, document_discount, prices_include_tax, discounts_before_tax, cash, (company, on_grand_total))| Case {
            dialect,
            step,
            taxes,
            group,
            scheduled,
            lines,
            document_discount,
            prices_include_tax,
            discounts_before_tax,
            cash,
            company,
            on_grand_total,
        })
}

fn discount(d: &(bool, String)) -> Value {
    if d.0 {
        json!({"percent": d.1})
    } else {
        json!({"amount": d.1})
    }
}

/// The rule set and document of a case, as JSON (what a caller sends).
fn build(case: &Case) -> (Value, Value) {
    let mut taxes: Vec<Value> = case
        .taxes
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let base = match t.base {
                0..=2 => json!("net"),
                3 => json!("running_total"),
                _ if i > 0 => json!({"previous_tax": format!("T{}", t.previous % i)}),
                _ => json!("net"),
            };
            let mut rate = json!({"from": "2000-01-01", "rate": t.rate});
            if let Some(r) = &t.reduced_rate {
                rate["by_class"] = json!({"reduced": r});
            }
            // A tax on a previous tax comes after every other (sequences are 0 to 3).
            let sequence = if base.is_object() { 4 } else { t.sequence };
            let repartition: Vec<Value> = t.repartition.iter().flatten().enumerate()
                .map(|(j, f)| json!({"label": format!("part {j}"), "factor": Decimal::new(*f, 1).to_string()}))
                .collect();
            json!({
                "repartition": repartition,
                "code": format!("T{i}"), "name": format!("Tax {i}"), "kind": t.kind, "sequence": sequence,
                "base": base, "include_in_later_base": t.later_base, "base_affected": t.base_affected,
                "price_include": t.price_include, "rates": [rate],
            })
        })
        .collect();
    let mut schedule: Vec<String> =
        (0..case.taxes.len()).filter(|&i| case.scheduled[i]).map(|i| format!("T{i}")).collect();
    if case.group && case.taxes.len() >= 2 {
        taxes.push(json!({"code": "G", "name": "Group", "kind": "group", "components": ["T0", "T1"]}));
        schedule.push("G".into());
    }
    // A cash step the currency can pay: five of its steps.
    let cash_rounding = (case.step.parse::<Decimal>().unwrap_or(Decimal::ONE) * Decimal::from(5)).to_string();
    // Fiscal positions over the first taxes: one maps T0 to T1 and removes T1 (re-adapting
    // prices), one removes T0 and keeps prices.
    let positions = if case.taxes.len() >= 2 {
        json!([{"code": "P", "name": "P", "map": [{"from": "T0", "to": ["T1"]}, {"from": "T1", "to": []}]},
               {"code": "Q", "name": "Q", "map": [{"from": "T0", "to": []}], "adapt_prices": false}])
    } else {
        json!([])
    };
    let rules = json!({
        "id": "fuzz", "version": "1", "currency": {"code": "XXX", "step": case.step}, "dialect": case.dialect,
        "discounts_before_tax": case.discounts_before_tax, "cash_rounding": cash_rounding,
        "taxes": taxes,
        "jurisdictions": [{"code": "X", "name": "X", "schedules": [{"from": "2000-01-01", "taxes": schedule}]}],
        "fiscal_positions": positions,
    });
    let lines: Vec<Value> = case
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let quantity = if l.negative { format!("-{}", l.quantity) } else { l.quantity.clone() };
            let mut v = json!({"id": format!("L{i}"), "quantity": quantity, "unit_price": l.price, "tax_class": l.class});
            if let Some(d) = &l.discount {
                v["discount"] = discount(d);
            }
            if let Some(k) = l.extra.filter(|k| *k < case.taxes.len()) {
                v["extra_taxes"] = json!([format!("T{k}")]);
            }
            v
        })
        .collect();
    let mut document = json!({
        "business_date": "2024-01-01", "place_of_supply": "X", "prices_include_tax": case.prices_include_tax,
        "cash": case.cash, "lines": lines,
    });
    if let Some(d) = &case.document_discount {
        document["document_discount"] = discount(d);
        if case.on_grand_total {
            document["document_discount_on"] = json!("grand_total");
        }
    }
    // Which position the document names: none, P or Q (a function of the case).
    if case.taxes.len() >= 2 && case.lines.len() % 3 != 0 {
        document["fiscal_position"] = json!(if case.lines.len() % 3 == 1 { "P" } else { "Q" });
    }
    if let Some((step, rate, inverse)) = &case.company {
        document["company_currency"] = json!({"code": "CCC", "step": step, if *inverse { "inverse_rate" } else { "rate" }: rate});
    }
    (rules, document)
}

fn places(step: &str) -> u32 {
    step.split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0)
}

/// Everything a result promises: each tax's line amounts add up to its total, each line's taxes
/// to its tax, `untaxed + tax (+ rounding difference) = total` on every line and on the document, and every amount is a
/// multiple of the currency step written with the currency's places.
///
/// ERPNext rounds to the currency's precision, not its step (docs: the step is a cash-rounding
/// matter there), so in that dialect the unit is `10^-places`.
fn check(result: &TaxResult, step: &str, erpnext: bool) -> Result<(), String> {
    let p = places(step);
    let step_value: Decimal = if erpnext { Decimal::new(1, p) } else { step.parse().map_err(|_| "step")? };
    let amount_ok = |what: &str, x: Decimal| -> Result<(), String> {
        if x.scale() < p {
            return Err(format!("{what} {x} is written with fewer than {p} places"));
        }
        if !(x % step_value).is_zero() {
            return Err(format!("{what} {x} is not a multiple of {step}"));
        }
        Ok(())
    };
    for t in &result.taxes {
        let per_line: Decimal =
            result.lines.iter().flat_map(|l| &l.taxes).filter(|x| x.code == t.code).map(|x| x.amount.value()).sum();
        if per_line != t.amount.value() {
            return Err(format!("tax {}: lines add up to {per_line}, total {}", t.code, t.amount));
        }
        amount_ok(&format!("tax {}", t.code), t.amount.value())?;
    }
    let mut untaxed = Decimal::ZERO;
    let mut tax = Decimal::ZERO;
    let mut differences = Decimal::ZERO;
    for l in &result.lines {
        let line_tax: Decimal = l.taxes.iter().map(|t| t.amount.value()).sum();
        if line_tax != l.tax.value() {
            return Err(format!("line {}: taxes add up to {line_tax}, tax {}", l.id, l.tax));
        }
        let difference = l.rounding_difference.map(|d| d.value()).unwrap_or_default();
        if l.untaxed.value() + l.tax.value() + difference != l.total.value() {
            return Err(format!("line {}: untaxed {} + tax {} + difference {difference} != total {}", l.id, l.untaxed, l.tax, l.total));
        }
        if l.rounding_difference.is_some() {
            amount_ok(&format!("line {} rounding difference", l.id), difference)?;
        }
        differences += difference;
        for t in &l.taxes {
            amount_ok(&format!("line {} tax {}", l.id, t.code), t.amount.value())?;
            if !t.parts.is_empty() {
                let parts: Decimal = t.parts.iter().map(|p| p.amount.value()).sum();
                if parts != t.amount.value() {
                    return Err(format!("line {} tax {}: parts add up to {parts}, charged {}", l.id, t.code, t.amount));
                }
            }
        }
        amount_ok(&format!("line {} untaxed", l.id), l.untaxed.value())?;
        untaxed += l.untaxed.value();
        tax += l.tax.value();
    }
    if untaxed != result.untaxed.value() || tax != result.tax.value() {
        return Err(format!("lines add up to {untaxed} + {tax}, document {} + {}", result.untaxed, result.tax));
    }
    let difference = result.rounding_difference.map(|d| d.value()).unwrap_or_default();
    if difference != differences {
        return Err(format!("line rounding differences add up to {differences}, document {difference}"));
    }
    if result.untaxed.value() + result.tax.value() + difference != result.total.value() {
        return Err(format!("document: {} + {} + {difference} != {}", result.untaxed, result.tax, result.total));
    }
    amount_ok("total", result.total.value())?;
    if let Some(c) = &result.company {
        let untaxed: Decimal = c.lines.iter().map(|l| l.untaxed.value()).sum();
        let tax: Decimal = c.lines.iter().map(|l| l.tax.value()).sum();
        let taxes: Decimal = c.taxes.iter().map(|t| t.amount.value()).sum();
        if untaxed != c.untaxed.value() || tax != c.tax.value() || taxes != tax {
            return Err(format!("company: lines add up to {untaxed} + {tax} (taxes {taxes}), document {} + {}", c.untaxed, c.tax));
        }
        if let Some(l) = c.lines.iter().find(|l| l.untaxed.value() + l.tax.value() != l.total.value()) {
            return Err(format!("company line {}: {} + {} != {}", l.id, l.untaxed, l.tax, l.total));
        }
        // ERPNext converts its grand total on its own; the others add up.
        if !result.dialect.starts_with("erpnext") && c.untaxed.value() + c.tax.value() != c.total.value() {
            return Err(format!("company: {} + {} != {}", c.untaxed, c.tax, c.total));
        }
    }
    Ok(())
}

/// What one case did: computed, refused with a typed error, or not a document at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Computed,
    Refused(&'static str),
    Unreadable,
}

fn run_case(case: &Case) -> Result<Outcome, String> {
    let (rules, document) = build(case);
    // Input the model refuses on reading (e.g. a malformed number) is not the engine's concern.
    let (Ok(rules), Ok(document)) = (serde_json::from_value::<RuleSet>(rules), serde_json::from_value::<TaxDocument>(document)) else {
        return Ok(Outcome::Unreadable);
    };
    let describe = |why: String| {
        format!("{why}\nrules: {}\ndocument: {}", serde_json::to_string(&rules).unwrap_or_default(), serde_json::to_string(&document).unwrap_or_default())
    };
    let computed = std::panic::catch_unwind(|| compute(&rules, &document))
        .map_err(|p| describe(format!("panicked: {}", p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default())))?;
    match computed {
        // A typed error with its code and a field: what a caller shows.
        Err(e) if e.code().is_empty() => Err(describe(format!("error without a code: {e}"))),
        // The engine checking its own invariants and finding them broken is a bug, not an answer.
        Err(e) if e.to_string().contains("internal inconsistency") => Err(describe(format!("{e}"))),
        Err(e) => Ok(Outcome::Refused(e.code())),
        Ok(result) => check(&result, case.step, case.dialect["kind"] == "erpnext").map(|()| Outcome::Computed).map_err(describe),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn no_document_or_rule_set_makes_the_engine_panic_or_lose_a_cent() {
    let budget = Duration::from_secs(env_number("SATCHEL_TAX_FUZZ_SECONDS", 20));
    let cases = env_number("SATCHEL_TAX_FUZZ_CASES", 200_000);
    let started = Instant::now();
    // Quiet panics: a caught panic is reported with its case below, not as noise per attempt.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // Generators filter some values out (local rejects); proptest counts them over the runner's
    // life and gives up past its default limit, which a long run reaches: no limit here.
    let mut runner = TestRunner::new(Config { failure_persistence: None, max_local_rejects: u32::MAX, ..Config::default() });
    let strategy = gen_case();
    let mut counts = [0u64; 3];
    let mut refusals: std::collections::BTreeMap<&'static str, u64> = Default::default();
    let mut failure = None;
    while counts.iter().sum::<u64>() < cases && started.elapsed() < budget {
        let mut tree = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree,
            Err(why) => panic!("the generator failed: {why}"),
        };
        match run_case(&tree.current()) {
            Ok(Outcome::Computed) => counts[0] += 1,
            Ok(Outcome::Refused(code)) => {
                counts[1] += 1;
                *refusals.entry(code).or_default() += 1;
            }
            Ok(Outcome::Unreadable) => counts[2] += 1,
            Err(first) => {
                // Shrink: simpler while it still fails, back up when it passes.
                let mut smallest = (tree.current(), first);
                let mut failing = true;
                loop {
                    let moved = if failing { tree.simplify() } else { tree.complicate() };
                    if !moved {
                        break;
                    }
                    match run_case(&tree.current()) {
                        Err(why) => {
                            smallest = (tree.current(), why);
                            failing = true;
                        }
                        Ok(_) => failing = false,
                    }
                }
                failure = Some(smallest);
                break;
            }
        }
    }
    std::panic::set_hook(hook);
    let [computed, refused, unreadable] = counts;
    eprintln!(
        "tax fuzz: {computed} computed, {refused} refused with a typed error ({refusals:?}), {unreadable} unreadable, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Some((case, why)) = failure {
        panic!("{why}\nsmallest case: {case:#?}");
    }
    assert!(computed > 100 && refused > 10, "the fuzz tried too little to mean anything: {counts:?}");
}
