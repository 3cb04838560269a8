//! From rule set and document to a [`Plan`]: which taxes are in force on the business date at
//! the place of supply, in what order, at which rate for each line, after discounts and
//! exemptions. Pure decimal; the same for every dialect.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::money::Rounding;
use crate::tax::model::{Base, Dialect, Discount, ExemptionRule, FiscalPosition, RuleSet, TaxDef, TaxDocument, TaxError, TaxKind};
use crate::tax::plan::{LineTax, Plan, PlanBase, PlannedLine, PlannedTax};
use crate::tax::rounding::{amount_limit, apportion, places, to_step, within_limit, Step, MAX_PLACES};

/// Largest quantity or unit price accepted: far above any sale, far below `Decimal`'s limits
/// (so products of a few of them cannot overflow).
const MAX_INPUT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0); // 10^12
/// Highest percentage accepted for a rate (1000 %: anything above is a data-entry error).
const MAX_PERCENT: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// A map for the few dozen keys a rule set or document has: a linear scan beats hashing at this
/// size (measured: SipHash was 7 % of the engine's instructions).
struct SmallMap<'a, V>(Vec<(&'a str, V)>);

impl<'a, V> SmallMap<'a, V> {
    fn new() -> Self {
        SmallMap(Vec::new())
    }
    fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
    fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Inserts; returns `false` when the key was already there (nothing is replaced).
    fn insert_new(&mut self, key: &'a str, value: V) -> bool {
        if self.contains_key(key) {
            return false;
        }
        self.0.push((key, value));
        true
    }
    fn get_or_insert_with(&mut self, key: &'a str, make: impl FnOnce() -> V) -> &mut V {
        let at = match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.0.push((key, make()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

impl<'a, V> FromIterator<(&'a str, V)> for SmallMap<'a, V> {
    fn from_iter<I: IntoIterator<Item = (&'a str, V)>>(iter: I) -> Self {
        SmallMap(iter.into_iter().collect())
    }
}

fn in_force(from: NaiveDate, until: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && until.is_none_or(|u| date < u)
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> TaxError {
    TaxError::InvalidRule { field: field.into(), reason: reason.into() }
}

fn bad_input(field: impl Into<String>, reason: impl Into<String>) -> TaxError {
    TaxError::InvalidInput { field: field.into(), reason: reason.into() }
}

/// Checks a whole rule set once, when it is loaded: every reference defined, no cycle, no
/// overlapping or inverted period, no negative or absurd rate.
pub fn validate_rules(rules: &RuleSet) -> Result<(), TaxError> {
    check_step(rules.currency.step.value())?;
    check_cash_step(rules)?;
    let by_code = index(rules)?;
    for (i, t) in rules.taxes.iter().enumerate() {
        let f = |s: &str| format!("taxes[{i}].{s}");
        if t.kind == TaxKind::Group {
            if t.components.is_empty() {
                return Err(invalid(f("components"), "a group needs components"));
            }
            for (j, c) in t.components.iter().enumerate() {
                if !by_code.contains_key(c.as_str()) {
                    return Err(TaxError::UnknownTax { field: f(&format!("components[{j}]")), value: c.clone() });
                }
            }
        } else if t.rates.is_empty() {
            return Err(invalid(f("rates"), "a tax needs at least one rate period"));
        }
        check_periods(&f("rates"), t.rates.iter().map(|r| (r.from, r.until)))?;
        for (j, r) in t.rates.iter().enumerate() {
            check_rate(&f(&format!("rates[{j}].rate")), t.kind, r.rate.value(), rules.dialect)?;
            for (class, rate) in &r.by_class {
                check_rate(&f(&format!("rates[{j}].by_class.{class}")), t.kind, rate.value(), rules.dialect)?;
            }
        }
        check_repartition(&f, t)?;
        if let Base::PreviousTax(code) = &t.base {
            if !by_code.contains_key(code.as_str()) {
                return Err(TaxError::UnknownTax { field: f("base.previous_tax"), value: code.clone() });
            }
        }
        expand(&by_code, &t.code, &f("code"))?;
    }
    for (i, j) in rules.jurisdictions.iter().enumerate() {
        let f = |s: &str| format!("jurisdictions[{i}].{s}");
        check_periods(&f("schedules"), j.schedules.iter().map(|s| (s.from, s.until)))?;
        for (k, s) in j.schedules.iter().enumerate() {
            for list in [Some(&s.taxes), s.interstate_taxes.as_ref()].into_iter().flatten() {
                if let Some(m) = (1..list.len()).find(|&m| list[..m].contains(&list[m])) {
                    return Err(invalid(f(&format!("schedules[{k}].taxes[{m}]")), format!("tax {} is listed twice", list[m])));
                }
            }
            for (m, code) in s.taxes.iter().chain(s.interstate_taxes.iter().flatten()).enumerate() {
                if !by_code.contains_key(code.as_str()) {
                    return Err(TaxError::UnknownTax { field: f(&format!("schedules[{k}].taxes[{m}]")), value: code.clone() });
                }
            }
        }
    }
    for (i, e) in rules.exemptions.iter().enumerate() {
        for (j, code) in e.relieves.iter().enumerate() {
            if !by_code.contains_key(code.as_str()) {
                return Err(TaxError::UnknownTax { field: format!("exemptions[{i}].relieves[{j}]"), value: code.clone() });
            }
        }
    }
    check_fiscal_positions(rules, &by_code)
}

/// Fiscal positions: unique codes, each tax mapped once, every code a tax of the rule set.
fn check_fiscal_positions(rules: &RuleSet, by_code: &SmallMap<'_, &TaxDef>) -> Result<(), TaxError> {
    for (i, fp) in rules.fiscal_positions.iter().enumerate() {
        let f = |s: &str| format!("fiscal_positions[{i}].{s}");
        if rules.fiscal_positions[..i].iter().any(|o| o.code == fp.code) {
            return Err(invalid(f("code"), format!("fiscal position {} is defined twice", fp.code)));
        }
        for (j, m) in fp.map.iter().enumerate() {
            if fp.map[..j].iter().any(|o| o.from == m.from) {
                return Err(invalid(f(&format!("map[{j}].from")), format!("tax {} is mapped twice", m.from)));
            }
            if !by_code.contains_key(m.from.as_str()) {
                return Err(TaxError::UnknownTax { field: f(&format!("map[{j}].from")), value: m.from.clone() });
            }
            for (k, to) in m.to.iter().enumerate() {
                if !by_code.contains_key(to.as_str()) {
                    return Err(TaxError::UnknownTax { field: f(&format!("map[{j}].to[{k}]")), value: to.clone() });
                }
            }
        }
    }
    Ok(())
}

/// Odoo's `map_tax`: each code replaced by its mapping (none: kept), duplicates dropped (the
/// first kept). Without a position, the codes themselves (no copy).
fn map_taxes<'a>(position: Option<&FiscalPosition>, codes: &'a [String]) -> std::borrow::Cow<'a, [String]> {
    let Some(fp) = position else { return std::borrow::Cow::Borrowed(codes) };
    let mut out: Vec<String> = Vec::with_capacity(codes.len());
    for code in codes {
        let mapped = fp.map.iter().find(|m| m.from == *code).map(|m| m.to.as_slice()).unwrap_or(std::slice::from_ref(code));
        for c in mapped {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The document's company currency, checked: a step as the rule set's, and exactly one positive
/// rate of at most 10^12.
fn company_conversion(c: &crate::tax::model::CompanyCurrency) -> Result<crate::tax::plan::Conversion, TaxError> {
    let step = c.step.value();
    if step <= Decimal::ZERO || places(step) > MAX_PLACES {
        return Err(bad_input("company_currency.step", format!("must be greater than zero, with at most {MAX_PLACES} decimal places")));
    }
    let (field, rate, divide) = match (c.rate, c.inverse_rate) {
        (Some(r), None) => ("company_currency.rate", r.value(), false),
        (None, Some(r)) => ("company_currency.inverse_rate", r.value(), true),
        _ => return Err(bad_input("company_currency", "give exactly one of rate and inverse_rate")),
    };
    if rate <= Decimal::ZERO || rate > MAX_INPUT {
        return Err(bad_input(field, "must be greater than zero and at most 10^12"));
    }
    Ok(crate::tax::plan::Conversion { step, places: places(step), rate, divide })
}

fn check_step(step: Decimal) -> Result<(), TaxError> {
    if step <= Decimal::ZERO {
        return Err(invalid("currency.step", "must be greater than zero"));
    }
    if places(step) > MAX_PLACES {
        return Err(invalid("currency.step", format!("at most {MAX_PLACES} decimal places")));
    }
    Ok(())
}

/// A repartition: factors within ±1000 %; only on a tax that is neither in the shelf price nor
/// in later bases (both need the whole tax, not what is charged of it).
fn check_repartition(f: &dyn Fn(&str) -> String, t: &TaxDef) -> Result<(), TaxError> {
    if t.repartition.is_empty() {
        return Ok(());
    }
    for (j, p) in t.repartition.iter().enumerate() {
        if p.factor.value().abs() > MAX_PERCENT {
            return Err(invalid(f(&format!("repartition[{j}].factor")), "a factor beyond ±1000 % is not a repartition"));
        }
    }
    if t.kind == TaxKind::Group {
        return Err(invalid(f("repartition"), "a group is split by its components"));
    }
    if t.price_include == Some(true) || t.include_in_later_base {
        return Err(invalid(f("repartition"), "a tax in the shelf price or in later bases is charged whole: no repartition"));
    }
    Ok(())
}

/// A cash total must be payable in the currency: the cash step is a multiple of its step.
fn check_cash_step(rules: &RuleSet) -> Result<(), TaxError> {
    let Some(cash) = rules.cash_rounding else { return Ok(()) };
    let (cash, step) = (cash.value(), rules.currency.step.value());
    if cash <= Decimal::ZERO || cash.checked_rem(step).is_none_or(|r| !r.is_zero()) {
        return Err(invalid("cash_rounding", format!("must be a positive multiple of the currency step {step}")));
    }
    Ok(())
}

fn check_rate(field: &str, kind: TaxKind, rate: Decimal, dialect: Dialect) -> Result<(), TaxError> {
    if rate.is_sign_negative() && !rate.is_zero() {
        // Withholding (Spain's IRPF −15 %, Latin American retentions) and ERPNext's negative
        // "On Previous Row Total" rows are percentages below zero; nothing else may be.
        return match kind {
            TaxKind::Percent if rate >= -Decimal::ONE_HUNDRED => Ok(()),
            TaxKind::Percent => Err(invalid(field, "a negative percentage must be at least -100")),
            _ => Err(invalid(field, "only a percentage may be negative (a withholding)")),
        };
    }
    match kind {
        TaxKind::Percent if rate > MAX_PERCENT => Err(invalid(field, "a percentage above 1000 is not a tax rate")),
        // 100 % is Odoo's "the whole price is tax" (its own tests use it), defined by the Odoo
        // dialects only: exact arithmetic has no finite answer for it.
        TaxKind::Division if rate > Decimal::ONE_HUNDRED => Err(invalid(field, "a division rate must be at most 100")),
        TaxKind::Division if rate == Decimal::ONE_HUNDRED && !matches!(dialect, Dialect::Odoo { .. } | Dialect::Odoo16 { .. }) => {
            Err(invalid(field, "a division rate of 100 % leaves no base (only the odoo dialects accept it)"))
        }
        _ if rate > MAX_INPUT => Err(invalid(field, "rate too large")),
        _ => Ok(()),
    }
}

fn check_periods(field: &str, periods: impl Iterator<Item = (NaiveDate, Option<NaiveDate>)>) -> Result<(), TaxError> {
    let mut ps: Vec<_> = periods.collect();
    for (from, until) in &ps {
        if until.is_some_and(|u| u <= *from) {
            return Err(invalid(field, format!("period starting {from} ends before it starts")));
        }
    }
    ps.sort();
    for w in ps.windows(2) {
        let (a_until, b_from) = (w[0].1, w[1].0);
        if a_until.is_none_or(|u| u > b_from) {
            return Err(invalid(field, format!("periods overlap at {b_from}")));
        }
    }
    Ok(())
}

fn index(rules: &RuleSet) -> Result<SmallMap<'_, &TaxDef>, TaxError> {
    let mut by_code = SmallMap(Vec::with_capacity(rules.taxes.len()));
    for (i, t) in rules.taxes.iter().enumerate() {
        if !by_code.insert_new(t.code.as_str(), t) {
            return Err(invalid(format!("taxes[{i}].code"), format!("tax {} is defined twice", t.code)));
        }
    }
    Ok(by_code)
}

/// Expands a tax code into the leaf taxes it stands for (itself, or a group's components,
/// recursively), each with the group it came from. Detects cycles.
fn expand<'a>(by_code: &SmallMap<'_, &'a TaxDef>, code: &str, field: &str) -> Result<Vec<(&'a TaxDef, Option<String>)>, TaxError> {
    fn walk<'a>(
        by_code: &SmallMap<'_, &'a TaxDef>,
        code: &str,
        group: Option<&str>,
        stack: &mut Vec<String>,
        out: &mut Vec<(&'a TaxDef, Option<String>)>,
        field: &str,
    ) -> Result<(), TaxError> {
        let def = by_code
            .get(code)
            .copied()
            .ok_or_else(|| TaxError::UnknownTax { field: field.into(), value: code.into() })?;
        if stack.iter().any(|s| s == code) {
            stack.push(code.into());
            return Err(TaxError::Cycle { field: field.into(), value: stack.join(" → ") });
        }
        if let Base::PreviousTax(prev) = &def.base {
            if prev == code {
                return Err(TaxError::Cycle { field: field.into(), value: format!("{code} → {code}") });
            }
        }
        if def.kind == TaxKind::Group {
            stack.push(code.into());
            for c in &def.components {
                walk(by_code, c, Some(code), stack, out, field)?;
            }
            stack.pop();
        } else {
            out.push((def, group.map(str::to_owned)));
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(by_code, code, None, &mut Vec::new(), &mut out, field)?;
    Ok(out)
}

fn matches(rule: &ExemptionRule, doc: &TaxDocument) -> bool {
    let w = &rule.when;
    doc.customer.category.as_deref() == Some(rule.customer_category.as_str())
        && w.delivered_to_reserve.is_none_or(|d| d == doc.delivered_to_reserve)
        && w.places.as_ref().is_none_or(|ps| ps.contains(&doc.place_of_supply))
        && w.from.is_none_or(|f| f <= doc.business_date)
        && w.until.is_none_or(|u| doc.business_date < u)
}

/// The exemptions that apply to the document, checking that certificates are present.
pub fn applied_exemptions<'a>(rules: &'a RuleSet, doc: &TaxDocument) -> Result<Vec<&'a ExemptionRule>, TaxError> {
    let applied: Vec<&ExemptionRule> = rules.exemptions.iter().filter(|e| matches(e, doc)).collect();
    if let Some(e) = applied.iter().find(|e| e.requires_certificate && doc.customer.certificate.is_none()) {
        return Err(TaxError::CertificateRequired { field: "customer.certificate".into(), value: e.code.clone() });
    }
    Ok(applied)
}

fn discount_of(field: &str, discount: &Discount, amount: Decimal, step: Decimal) -> Result<Decimal, TaxError> {
    match discount {
        Discount::Percent(p) => {
            let p = p.value();
            if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                return Err(bad_input(field, "a discount percentage must be between 0 and 100"));
            }
            Ok(to_step(amount * p / Decimal::ONE_HUNDRED, step, Rounding::HalfUp))
        }
        Discount::Amount(a) => {
            let a = a.value();
            if a < Decimal::ZERO {
                return Err(bad_input(field, "a discount amount must not be negative"));
            }
            if a > amount.abs() {
                return Err(bad_input(field, "a discount must not exceed the amount"));
            }
            if a.checked_rem(step).is_none_or(|r| !r.is_zero()) {
                return Err(bad_input(field, format!("a discount amount must be a multiple of the currency step {step}")));
            }
            // A return's discount mirrors the sale's.
            Ok(if amount.is_sign_negative() { -a } else { a })
        }
    }
}

fn kind_label(kind: TaxKind) -> &'static str {
    match kind {
        TaxKind::Percent => "percent",
        TaxKind::Division => "percent of the tax-included amount",
        TaxKind::PerUnit => "per unit",
        TaxKind::FixedPerLine => "per line",
        TaxKind::FixedPerDocument => "per document",
        TaxKind::Group => "group",
    }
}

/// Builds the plan for `doc` under `rules`.
pub fn plan(rules: &RuleSet, doc: &TaxDocument) -> Result<Plan, TaxError> {
    let position = fiscal_position(rules, doc)?;
    match position {
        Some(fp) if fp.adapt_prices => plan_with(rules, &adapt_prices(rules, doc, fp)?, position),
        _ => plan_with(rules, doc, position),
    }
}

/// The fiscal position the document names, if any.
fn fiscal_position<'a>(rules: &'a RuleSet, doc: &TaxDocument) -> Result<Option<&'a FiscalPosition>, TaxError> {
    let Some(code) = &doc.fiscal_position else { return Ok(None) };
    let by_code = index(rules)?;
    check_fiscal_positions(rules, &by_code)?;
    rules
        .fiscal_positions
        .iter()
        .find(|fp| fp.code == *code)
        .map(Some)
        .ok_or_else(|| bad_input("fiscal_position", format!("the rule set has no fiscal position {code}")))
}

/// Odoo's `_adapt_price_unit_to_another_taxes`: on a line whose taxes the position changes and
/// whose original taxes are all price-included, the unit price becomes the price without them
/// (unrounded), plus the new price-included taxes computed on that as if excluded. So 121.00
/// with 21 % included is 100.00 under an export position (0 % excluded), 110.00 under a 10 %
/// included tax. Odoo stores it with the "Product Price" accuracy (2 places by default): here
/// rounded half-up to the currency's places, or 2 if fewer.
fn adapt_prices(rules: &RuleSet, doc: &TaxDocument, fp: &FiscalPosition) -> Result<TaxDocument, TaxError> {
    use crate::tax::model::TaxLine;
    // One unit of each line, undiscounted: Odoo adapts the unit price.
    let unit = |position: Option<&FiscalPosition>| -> Result<Plan, TaxError> {
        let lines = doc
            .lines
            .iter()
            .map(|l| TaxLine { quantity: crate::money::Dec(Decimal::ONE), discount: None, ..l.clone() })
            .collect();
        let units = TaxDocument { lines, document_discount: None, company_currency: None, cash: false, ..doc.clone() };
        plan_with(rules, &units, position)
    };
    let before = unit(None)?;
    let mut after = unit(Some(fp))?;
    let odoo = matches!(rules.dialect, Dialect::Odoo { .. } | Dialect::Odoo16 { .. });
    let untaxed = crate::tax::exact::unrounded_untaxed(&before, odoo)?;
    // The new taxes, all computed as excluded on the untaxed price.
    let included: Vec<bool> = after.taxes.iter().map(|t| t.price_include).collect();
    for t in &mut after.taxes {
        t.price_include = false;
    }
    for (line, u) in after.lines.iter_mut().zip(&untaxed) {
        line.net = *u;
        line.exact_net = *u;
    }
    let added = crate::tax::exact::unrounded_amounts(&after, odoo)?;
    let price_places = places(rules.currency.step.value()).max(2);
    let mut adapted = doc.clone();
    for (i, line) in adapted.lines.iter_mut().enumerate() {
        fn codes(p: &Plan, i: usize) -> Vec<&str> {
            p.taxes.iter().zip(&p.lines[i].taxes).filter(|(_, lt)| lt.rate().is_some()).map(|(t, _)| t.code.as_str()).collect()
        }
        let original = codes(&before, i);
        let all_included = before.taxes.iter().zip(&before.lines[i].taxes).filter(|(_, lt)| lt.rate().is_some()).all(|(t, _)| t.price_include);
        if original.is_empty() || !all_included || original == codes(&after, i) {
            continue;
        }
        let mut price = untaxed[i];
        for (k, amount) in added[i].iter().enumerate() {
            if let (true, Some(a)) = (included[k], amount) {
                price = price.checked_add(*a).ok_or_else(|| TaxError::Overflow { field: format!("lines[{i}].unit_price") })?;
            }
        }
        line.unit_price = crate::money::Dec(crate::money::round(price, price_places, Rounding::HalfUp));
    }
    Ok(adapted)
}

fn plan_with(rules: &RuleSet, doc: &TaxDocument, position: Option<&FiscalPosition>) -> Result<Plan, TaxError> {
    let step = rules.currency.step.value();
    check_step(step)?;
    check_cash_step(rules)?;
    let limit = amount_limit(places(step));
    let date = doc.business_date;
    let by_code = index(rules)?;
    let find_place = |code: &str, field: &str| {
        rules
            .jurisdictions
            .iter()
            .find(|j| j.code == code)
            .ok_or_else(|| TaxError::UnknownJurisdiction { field: field.into(), value: code.into() })
    };
    let place = find_place(&doc.place_of_supply, "place_of_supply")?;
    let interstate = match &doc.origin {
        Some(o) => find_place(o, "origin")?.code != place.code,
        None => false,
    };
    let schedule = place
        .schedules
        .iter()
        .find(|s| in_force(s.from, s.until, date))
        .ok_or(TaxError::NotInForce { field: "business_date".into(), date })?;
    let scheduled = if interstate { schedule.interstate_taxes.as_ref().unwrap_or(&schedule.taxes) } else { &schedule.taxes };
    let scheduled: &[String] = &map_taxes(position, scheduled);

    // Leaf taxes in order: the schedule's, then each line's extras; a code appears once.
    let mut leaves: Vec<(&TaxDef, Option<String>, bool)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, code) in scheduled.iter().enumerate() {
        for (def, group) in expand(&by_code, code, &format!("schedule.taxes[{i}]"))? {
            if seen.insert(def.code.clone()) {
                leaves.push((def, group, false));
            }
        }
    }
    // Extra taxes: each distinct code is expanded once, however many lines name it.
    for (i, line) in doc.lines.iter().enumerate() {
        for (j, code) in line.extra_taxes.iter().enumerate() {
            // Neither ERP charges one tax twice on a line (Odoo's taxes are a set): a second
            // mention is a mistake, not a double charge.
            if line.extra_taxes[..j].contains(code) {
                return Err(bad_input(format!("lines[{i}].extra_taxes[{j}]"), format!("tax {code} is named twice")));
            }
        }
    }
    // Each line's extras, through the fiscal position.
    let extras: Vec<std::borrow::Cow<'_, [String]>> = doc.lines.iter().map(|l| map_taxes(position, &l.extra_taxes)).collect();
    let mut expanded_extras: SmallMap<'_, Vec<String>> = SmallMap::new();
    for (i, line_extras) in extras.iter().enumerate() {
        for (j, code) in line_extras.iter().enumerate() {
            if expanded_extras.contains_key(code.as_str()) {
                continue;
            }
            let leaves_of = expand(&by_code, code, &format!("lines[{i}].extra_taxes[{j}]"))?;
            let mut codes = Vec::with_capacity(leaves_of.len());
            for (def, group) in leaves_of {
                codes.push(def.code.clone());
                if seen.insert(def.code.clone()) {
                    leaves.push((def, group, true));
                }
            }
            expanded_extras.insert_new(code.as_str(), codes);
        }
    }
    // Stable: equal sequences keep the order above.
    leaves.sort_by_key(|(def, _, _)| def.sequence);

    let leaf_index: SmallMap<'_, usize> = leaves.iter().enumerate().map(|(k, (d, _, _))| (d.code.as_str(), k)).collect();
    let line_extras: Vec<Vec<bool>> = extras
        .iter()
        .map(|line_extras| {
            if line_extras.is_empty() {
                return Vec::new();
            }
            let mut mine = vec![false; leaves.len()];
            for code in line_extras.iter() {
                for leaf in expanded_extras.get(code.as_str()).into_iter().flatten() {
                    if let Some(&k) = leaf_index.get(leaf.as_str()) {
                        mine[k] = true;
                    }
                }
            }
            mine
        })
        .collect();

    let mut taxes = Vec::with_capacity(leaves.len());
    let mut periods = Vec::with_capacity(leaves.len());
    for (pos, (def, group, _)) in leaves.iter().enumerate() {
        let field = format!("taxes.{}.rates", def.code);
        let period = def
            .rates
            .iter()
            .find(|r| in_force(r.from, r.until, date))
            .ok_or(TaxError::NotInForce { field: field.clone(), date })?;
        check_rate(&field, def.kind, period.rate.value(), rules.dialect)?;
        check_repartition(&|s: &str| format!("taxes.{}.{s}", def.code), def)?;
        let percentage_like = matches!(def.kind, TaxKind::Percent | TaxKind::Division);
        if !def.repartition.is_empty() && def.price_include.is_none() && percentage_like && doc.prices_include_tax {
            return Err(invalid(format!("taxes.{}.repartition", def.code), "a tax in the shelf price is charged whole: no repartition"));
        }
        let base = match &def.base {
            Base::Net => PlanBase::Net,
            Base::RunningTotal => PlanBase::RunningTotal,
            Base::PreviousTax(code) => {
                let j = leaves[..pos].iter().position(|(d, _, _)| d.code == *code).ok_or_else(|| {
                    invalid(format!("taxes.{}.base", def.code), format!("{code} must be applied before {}", def.code))
                })?;
                PlanBase::PreviousTax(j)
            }
        };
        let until = period.until.map(|u| format!(" until {u}")).unwrap_or_default();
        taxes.push(PlannedTax {
            code: def.code.clone(),
            name: def.name.clone(),
            group: group.clone(),
            kind: def.kind,
            base,
            include_in_later_base: def.include_in_later_base,
            base_affected: def.base_affected,
            repartition: def.repartition.iter().map(|p| (p.label.clone(), p.factor.value())).collect(),
            price_include: def.price_include.unwrap_or(percentage_like && doc.prices_include_tax),
            // The rate is reported on each line (it can depend on the item's class).
            rule: format!("{} ({}) in force from {}{} ({}@{})", def.name, kind_label(def.kind), period.from, until, rules.id, rules.version),
        });
        periods.push(period);
    }

    let exemptions = applied_exemptions(rules, doc)?;
    // Per leaf tax: the exemption relieving it, if any.
    let mut relieved: Vec<Option<&str>> = vec![None; leaves.len()];
    for e in &exemptions {
        for code in &e.relieves {
            for (def, _) in expand(&by_code, code, "exemptions")? {
                if let Some(&k) = leaf_index.get(def.code.as_str()) {
                    relieved[k].get_or_insert(e.code.as_str());
                }
            }
        }
    }

    // Amounts and discounts.
    if doc.lines.is_empty() {
        return Err(bad_input("lines", "a document needs at least one line"));
    }
    let rounder = Step::new(step);
    let mut gross = Vec::with_capacity(doc.lines.len());
    let mut after_line = Vec::with_capacity(doc.lines.len());
    // The same, unrounded (Odoo 18 rounding globally taxes these).
    let mut exact_after_line = Vec::with_capacity(doc.lines.len());
    let needs_exact = matches!(
        rules.dialect,
        Dialect::Odoo { scope: crate::tax::model::Scope::Document } | Dialect::Exact { scope: crate::tax::model::Scope::Document, .. }
    ) || doc.fiscal_position.is_some();
    for (i, line) in doc.lines.iter().enumerate() {
        let (q, p) = (line.quantity.value(), line.unit_price.value());
        if q.is_zero() {
            return Err(bad_input(format!("lines[{i}].quantity"), "must not be zero"));
        }
        if p.is_sign_negative() && !p.is_zero() {
            return Err(bad_input(format!("lines[{i}].unit_price"), "must not be negative (a return has a negative quantity)"));
        }
        if q.abs() > MAX_INPUT {
            return Err(TaxError::Overflow { field: format!("lines[{i}].quantity") });
        }
        if p > MAX_INPUT {
            return Err(TaxError::Overflow { field: format!("lines[{i}].unit_price") });
        }
        // Both at most 10^12: the product fits; its rounding to the step must too.
        let g = rounder.round(q * p, Rounding::HalfUp);
        if !within_limit(g, limit) {
            return Err(TaxError::Overflow { field: format!("lines[{i}]") });
        }
        let d = match &line.discount {
            Some(disc) => discount_of(&format!("lines[{i}].discount"), disc, g, step)?,
            None => Decimal::ZERO,
        };
        // Exact: both at most 10^12, the product fits; a percentage of it too. Only Odoo rounding
        // globally (and a fiscal position's price adaptation) taxes it, and only Odoo's and
        // ERPNext's percentages need it.
        if !needs_exact && !matches!(line.discount, Some(Discount::Percent(_))) {
            gross.push(g);
            after_line.push(g - d);
            exact_after_line.push(Decimal::ZERO);
            continue;
        }
        let exact_d = match &line.discount {
            Some(Discount::Percent(pc)) => (q * p).checked_mul(pc.value() / Decimal::ONE_HUNDRED),
            _ => Some(d),
        }
        .ok_or_else(|| TaxError::Overflow { field: format!("lines[{i}].discount") })?;
        // A percentage discount, as each ERP applies it: Odoo discounts the unit price and
        // rounds quantity × discounted price once (5 × 5.75 less 18 % is 23.575 → 23.58); ERPNext
        // rounds the discounted rate to the currency first, then rate × quantity; ours rounds the
        // amount and the discount each (28.75 − 5.18 = 23.57).
        let after = match (&line.discount, rules.dialect) {
            (Some(Discount::Percent(_)), Dialect::Odoo { .. } | Dialect::Odoo16 { .. }) => rounder.round(q * p - exact_d, Rounding::HalfUp),
            (Some(Discount::Percent(pc)), Dialect::Erpnext { rounding_method }) => {
                crate::tax::erpnext::discounted_amount(p, q, pc.value(), places(step), rounding_method, &|| format!("lines[{i}].discount"))?
            }
            _ => g - d,
        };
        gross.push(g);
        after_line.push(after);
        exact_after_line.push(q * p - exact_d);
    }
    // The document's amounts, positive and negative, stay within the limit (so do its totals).
    let mut magnitude = Decimal::ZERO;
    for g in &gross {
        magnitude = magnitude
            .checked_add(g.abs())
            .filter(|m| within_limit(*m, limit))
            .ok_or_else(|| TaxError::Overflow { field: "lines".into() })?;
    }
    // ERPNext spreads a document discount taken before tax its own way (the dialect does it);
    // only ERPNext takes one from the grand total.
    let erpnext = matches!(rules.dialect, Dialect::Erpnext { .. });
    let discount_on = doc.document_discount_on.unwrap_or(crate::tax::model::DiscountOn::NetTotal);
    if discount_on == crate::tax::model::DiscountOn::GrandTotal && (!erpnext || !rules.discounts_before_tax) {
        return Err(TaxError::Unsupported { field: "document_discount_on".into(), value: "grand_total".into() });
    }
    let mut left_to_dialect = None;
    let doc_discounts = match &doc.document_discount {
        Some(disc) if erpnext && rules.discounts_before_tax => {
            // Checked as any other (a percentage within 0-100, an amount in currency steps), then
            // handed over whole.
            let base: Decimal = after_line.iter().copied().sum();
            discount_of("document_discount", disc, base, step)?;
            left_to_dialect = Some((disc.clone(), discount_on));
            vec![Decimal::ZERO; doc.lines.len()]
        }
        Some(disc) => {
            let base: Decimal = after_line.iter().copied().sum();
            let total = discount_of("document_discount", disc, base, step)?;
            apportion(total, &after_line, step).ok_or_else(|| TaxError::Overflow { field: "document_discount".into() })?
        }
        None => vec![Decimal::ZERO; doc.lines.len()],
    };

    let mut lines = Vec::with_capacity(doc.lines.len());
    let mut templates: SmallMap<'_, Vec<LineTax>> = SmallMap::new();
    for (i, line) in doc.lines.iter().enumerate() {
        let net = after_line[i] - doc_discounts[i];
        let discount = gross[i] - net;
        let class = line.tax_class.as_str();
        // Lines of one class share how every tax treats them: decided once per class.
        let template = templates.get_or_insert_with(class, || {
            leaves
                .iter()
                .zip(&periods)
                .enumerate()
                .map(|(k, ((def, _, _), period))| {
                    let covered = |c: &str| def.applies_to.as_ref().is_none_or(|list| list.iter().any(|x| x == c));
                    if class == "exempt" {
                        return if covered("standard") || covered("exempt") { LineTax::Exempt } else { LineTax::NotApplicable };
                    }
                    if class == "zero_rated" {
                        // Zero-rated is inside the tax at 0 %: shown wherever a standard item
                        // would be taxed, so it stays distinguishable from exempt.
                        return if covered("standard") || covered("zero_rated") { LineTax::ZeroRated } else { LineTax::NotApplicable };
                    }
                    if !covered(class) {
                        return LineTax::NotApplicable;
                    }
                    if let Some(e) = relieved[k] {
                        return LineTax::Relieved { exemption: e.to_owned() };
                    }
                    match period.by_class.get(class) {
                        Some(rate) => LineTax::Applies { rate: rate.value() },
                        // The class had its own rate in another period but has none now (India's
                        // 12 % slab after the 2025 reform): refuse rather than silently charge
                        // the default rate. Classes the tax never lists take the default.
                        None if def.rates.iter().any(|r| r.by_class.contains_key(class)) => LineTax::NoRateForClass,
                        None => LineTax::Applies { rate: period.rate.value() },
                    }
                })
                .collect::<Vec<LineTax>>()
        });
        if let Some(k) = template.iter().position(|t| *t == LineTax::NoRateForClass) {
            return Err(bad_input(
                format!("lines[{i}].tax_class"),
                format!("{} has no rate for class {class:?} on {date}", leaves[k].0.code),
            ));
        }
        let mut line_taxes = template.clone();
        // Extra taxes apply only to the lines that name them.
        for (k, (_, _, extra)) in leaves.iter().enumerate() {
            if *extra && !line_extras[i].get(k).copied().unwrap_or(false) {
                line_taxes[k] = LineTax::NotApplicable;
            }
        }
        lines.push(PlannedLine {
            id: std::sync::Arc::from(line.id.as_str()),
            quantity: line.quantity.value(),
            unit_price: line.unit_price.value(),
            gross: gross[i],
            // When discounts apply after tax, taxes are computed on the gross amount and the
            // discount only reduces the total (see result::assemble).
            discount,
            net: if rules.discounts_before_tax { net } else { gross[i] },
            exact_net: match (needs_exact, rules.discounts_before_tax) {
                (false, _) => if rules.discounts_before_tax { net } else { gross[i] },
                (true, true) => exact_after_line[i] - doc_discounts[i],
                (true, false) => line.quantity.value() * line.unit_price.value(),
            },
            taxes: line_taxes,
        });
    }
    let company = doc.company_currency.as_ref().map(company_conversion).transpose()?;
    Ok(Plan { step, places: places(step), limit, taxes, lines, company, document_discount: left_to_dialect })
}
