//! Odoo's `account.tax` records to a rule set in the `odoo` dialect.
//!
//! Accepted input: the array `search_read` returns, `{"taxes": [...]}`, or a JSON-RPC answer
//! `{"result": [...]}`. Field paths in errors follow the input (`[2].amount_type`,
//! `taxes[0].children_tax_ids[1]`).
//!
//! Which taxes: every active tax with `type_tax_use` `"sale"` (or without the field) is converted;
//! purchase taxes, inactive taxes and `"none"` taxes are skipped, except that the children of a
//! converted group are converted whatever their `type_tax_use` (Odoo gives them `"none"` so that
//! they are not offered on their own). **Where they apply** ([`OdooTaxes`]): by default as in
//! Odoo, per line: the schedule lists none, and each document line names its product's taxes
//! (`tax_ids`, as codes) in `extra_taxes`, so a company's alternative rates (21 % and 6 %) stay
//! alternatives. With [`OdooTaxes::EveryLine`] the schedule lists them all and every line pays
//! each, for an export of taxes charged together.
//!
//! | `account.tax` | tax |
//! |---|---|
//! | `amount_type: percent`, `amount` | `percent`, `rate = amount` |
//! | `amount_type: fixed` | `per_unit` (Odoo charges `amount × quantity`) |
//! | `amount_type: division` | `division` |
//! | `amount_type: group`, `children_tax_ids` | `group`, `components` |
//! | `price_include` (Odoo 18: `price_include_override`) | explicit `price_include` |
//! | `include_base_amount` | `include_in_later_base` |
//! | `sequence` | `sequence` (a group's own is not used, see `docs/tax-engine.md` §4) |
//!
//! Codes are `<NAME>-<id>` (`"21% S"` with id 4 → `21-S-4`): readable and unique, and stable as
//! long as the tax keeps its name. `is_base_affected: false` converts to `base_affected: false`;
//! a negative percentage (a withholding) converts. Refused: `amount_type: code` (Python),
//! negative fixed or division amounts, and a group child missing from the export. The dialect
//! follows `ConvertOptions::odoo_version` (16 and 17: `odoo16`; 18: `odoo`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{
    assemble, at, decimal, integer, malformed, object, opt_bool, opt_str, slug, unsupported,
    ConvertError, ConvertOptions, OdooTaxes,
};
use crate::tax::model::{Base, Dialect, RatePeriod, RuleSet, TaxDef, TaxKind};

/// Converts Odoo `account.tax` records. See the module documentation.
pub fn from_odoo(json: &Value, opts: &ConvertOptions) -> Result<RuleSet, ConvertError> {
    let (list, path) = records(json)?;
    let recs = list
        .iter()
        .enumerate()
        .map(|(i, v)| Rec::read(v, &format!("{path}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, r) in recs.iter().enumerate() {
        if recs[..i].iter().any(|o| o.id == r.id) {
            return Err(malformed(
                &at(&r.path, "id"),
                format!("two taxes have id {}", r.id),
            ));
        }
    }
    let top: Vec<usize> = (0..recs.len()).filter(|&i| recs[i].is_listed()).collect();
    if top.is_empty() {
        return Err(malformed(&path, "no active sale tax in the export"));
    }
    // The listed taxes and, transitively, the children of listed groups, in export order.
    let mut wanted = BTreeSet::new();
    let mut stack = top.clone();
    while let Some(i) = stack.pop() {
        if wanted.insert(i) {
            for (j, id) in recs[i].children.iter().enumerate() {
                let child = recs.iter().position(|r| r.id == *id).ok_or_else(|| {
                    malformed(
                        &at(&recs[i].path, &format!("children_tax_ids[{j}]")),
                        format!("tax {id} is not in the export"),
                    )
                })?;
                stack.push(child);
            }
        }
    }
    let code = |i: usize| recs[i].code();
    let taxes = wanted
        .iter()
        .map(|&i| recs[i].tax(opts, &recs, code))
        .collect::<Result<Vec<_>, _>>()?;
    let schedule = match opts.odoo_taxes {
        OdooTaxes::PerLine => Vec::new(),
        OdooTaxes::EveryLine => top.iter().map(|&i| code(i)).collect(),
    };
    // Odoo 16.0 and 17.0 (stable) compute included prices and division taxes otherwise.
    let dialect = if opts.odoo_version <= 17 { Dialect::Odoo16 { scope: opts.scope } } else { Dialect::Odoo { scope: opts.scope } };
    assemble(
        opts,
        dialect,
        "Odoo sale taxes".into(),
        taxes,
        schedule,
    )
}

/// The records and their path, whichever shape was given.
fn records(json: &Value) -> Result<(&Vec<Value>, String), ConvertError> {
    if let Value::Array(list) = json {
        return Ok((list, String::new()));
    }
    let obj = object(json, "")?;
    for key in ["taxes", "result"] {
        if let Some(v) = obj.get(key) {
            return v
                .as_array()
                .map(|l| (l, key.to_owned()))
                .ok_or_else(|| malformed(key, "expected an array of account.tax records"));
        }
    }
    Err(malformed(
        "",
        "expected an array of account.tax records, or {\"taxes\": [...]}",
    ))
}

/// One `account.tax` record, as far as the mapping reads it.
struct Rec<'a> {
    path: String,
    obj: &'a Map<String, Value>,
    id: i64,
    name: &'a str,
    amount_type: &'a str,
    children: Vec<i64>,
    type_tax_use: Option<&'a str>,
    active: bool,
}

impl<'a> Rec<'a> {
    fn read(value: &'a Value, path: &str) -> Result<Self, ConvertError> {
        let obj = object(value, path)?;
        let f = |key: &str| at(path, key);
        let id = integer(obj.get("id").unwrap_or(&Value::Null), &f("id"))?;
        let children = match obj.get("children_tax_ids") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .enumerate()
                .map(|(j, v)| integer(v, &f(&format!("children_tax_ids[{j}]"))))
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(malformed(
                    &f("children_tax_ids"),
                    "expected an array of ids",
                ))
            }
        };
        Ok(Rec {
            path: path.to_owned(),
            obj,
            id,
            name: opt_str(obj, path, "name")?.ok_or_else(|| malformed(&f("name"), "missing"))?,
            amount_type: opt_str(obj, path, "amount_type")?
                .ok_or_else(|| malformed(&f("amount_type"), "missing"))?,
            children,
            type_tax_use: opt_str(obj, path, "type_tax_use")?,
            active: opt_bool(obj, path, "active")?.unwrap_or(true),
        })
    }

    /// Whether the tax goes in the schedule.
    fn is_listed(&self) -> bool {
        self.active && matches!(self.type_tax_use, None | Some("sale"))
    }

    fn code(&self) -> String {
        match slug(self.name) {
            s if s.is_empty() => format!("TAX-{}", self.id),
            s => format!("{s}-{}", self.id),
        }
    }

    fn tax(
        &self,
        opts: &ConvertOptions,
        recs: &[Rec<'_>],
        code: impl Fn(usize) -> String,
    ) -> Result<TaxDef, ConvertError> {
        let f = |key: &str| at(&self.path, key);
        let kind = match self.amount_type {
            "percent" => TaxKind::Percent,
            "fixed" => TaxKind::PerUnit,
            "division" => TaxKind::Division,
            "group" => TaxKind::Group,
            "code" => {
                return Err(unsupported(
                    &f("amount_type"),
                    "taxes computed by Python code",
                ))
            }
            other => {
                return Err(unsupported(
                    &f("amount_type"),
                    format!("amount type {other:?}"),
                ))
            }
        };
        let mut tax = TaxDef {
            code: self.code(),
            name: self.name.to_owned(),
            kind,
            sequence: 0,
            rates: Vec::new(),
            components: Vec::new(),
            base: Base::Net,
            include_in_later_base: false,
            base_affected: true,
            repartition: Vec::new(),
            price_include: None,
            applies_to: None,
        };
        if kind == TaxKind::Group {
            if self.children.is_empty() {
                return Err(malformed(&f("children_tax_ids"), "a group needs children"));
            }
            for id in &self.children {
                let j = recs.iter().position(|r| r.id == *id).ok_or_else(|| {
                    malformed(
                        &f("children_tax_ids"),
                        format!("tax {id} is not in the export"),
                    )
                })?;
                tax.components.push(code(j));
            }
            return Ok(tax);
        }
        tax.base_affected = opt_bool(self.obj, &self.path, "is_base_affected")? != Some(false);
        let rate = decimal(self.obj.get("amount").unwrap_or(&Value::Null), &f("amount"))?;
        // A negative percentage is a withholding (Spain's IRPF); negative fixed or division
        // amounts have no kind in the model.
        if kind != TaxKind::Percent && rate.value().is_sign_negative() && !rate.value().is_zero() {
            return Err(unsupported(
                &f("amount"),
                "negative fixed or division amounts (only a percentage may be negative)",
            ));
        }
        tax.rates.push(RatePeriod {
            from: opts.from,
            until: None,
            rate,
            by_class: Default::default(),
        });
        if let Some(v) = self.obj.get("sequence").filter(|v| !v.is_null()) {
            tax.sequence = i32::try_from(integer(v, &f("sequence"))?)
                .map_err(|_| malformed(&f("sequence"), "out of range"))?;
        }
        tax.include_in_later_base =
            opt_bool(self.obj, &self.path, "include_base_amount")?.unwrap_or(false);
        tax.price_include = Some(match opt_bool(self.obj, &self.path, "price_include")? {
            Some(b) => b,
            None => {
                opt_str(self.obj, &self.path, "price_include_override")
                    .ok()
                    .flatten()
                    == Some("tax_included")
            }
        });
        Ok(tax)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tax::convert::testing::{compute, compute_with, fixture, taxes};
    use crate::tax::model::Scope;

    fn opts() -> ConvertOptions {
        ConvertOptions::new("odoo", "1", "EUR")
    }

    fn refusal(json: Value) -> (&'static str, String) {
        let e = from_odoo(&json, &opts()).expect_err("refused");
        (e.code(), e.field().to_owned())
    }

    fn percent(id: i64, amount: f64) -> Value {
        json!({"id": id, "name": format!("{amount}%"), "type_tax_use": "sale", "amount_type": "percent", "amount": amount})
    }

    #[test]
    fn belgian_vat_skips_purchase_and_inactive_taxes() {
        let rules = from_odoo(&fixture("odoo-be-vat.json"), &opts()).expect("converts");
        assert_eq!(rules.dialect, Dialect::Odoo { scope: Scope::Line });
        let codes: Vec<_> = rules.taxes.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(
            codes,
            ["21-1", "6-2"],
            "the purchase 21% M and the inactive 12% are skipped"
        );
        assert_eq!(rules.taxes[0].price_include, Some(false));
        // Per line, as Odoo: the schedule charges nothing, each line names its product's taxes.
        assert!(rules.jurisdictions[0].schedules[0].taxes.is_empty());
        // 100.00 standard-rated and 50.00 at the reduced rate: 21.00 and 3.00, not both on each.
        let r = compute_with(
            &rules,
            &[("1", "100.00", &["21-1"]), ("2", "25.00", &["6-2"])],
        );
        assert_eq!(
            taxes(&r),
            [
                ("21-1".into(), "21.00".into()),
                ("6-2".into(), "3.00".into())
            ]
        );
        assert_eq!(r.total.to_string(), "174.00");
        // A line that names no tax is not taxed.
        assert_eq!(compute(&rules, &[("3", "3.33")]).tax.to_string(), "0.00");
        // 3 × 3.33 = 9.99 × 21 % = 2.0979 → 2.10.
        let r = compute_with(&rules, &[("3", "3.33", &["21-1"])]);
        assert_eq!(
            (r.tax.to_string(), r.total.to_string()),
            ("2.10".into(), "12.09".into())
        );
    }

    #[test]
    fn every_line_lists_the_taxes_in_the_schedule() {
        let mut o = opts();
        o.odoo_taxes = OdooTaxes::EveryLine;
        let rules = from_odoo(&fixture("odoo-be-vat.json"), &o).expect("converts");
        assert_eq!(rules.jurisdictions[0].schedules[0].taxes, ["21-1", "6-2"]);
        // Every listed tax on every line: 100.00 pays 21.00 and 6.00.
        let r = compute(&rules, &[("1", "100.00")]);
        assert_eq!(r.total.to_string(), "127.00");
    }

    #[test]
    fn a_group_a_division_and_a_fixed_tax_that_affects_the_base() {
        let mut o = opts();
        o.odoo_taxes = OdooTaxes::EveryLine;
        let rules = from_odoo(&fixture("odoo-group-division.json"), &o).expect("converts");
        assert_eq!(
            rules.jurisdictions[0].schedules[0].taxes,
            ["COMBINED-13-10", "10-DIVISION-13", "ECO-0-50-UNIT-14"]
        );
        let group = &rules.taxes[0];
        assert_eq!(
            (group.kind, group.components.clone()),
            (
                TaxKind::Group,
                vec!["FEDERAL-5-11".to_owned(), "STATE-8-12".to_owned()]
            )
        );
        let eco = rules
            .taxes
            .iter()
            .find(|t| t.code == "ECO-0-50-UNIT-14")
            .expect("eco");
        assert_eq!(
            (eco.kind, eco.include_in_later_base),
            (TaxKind::PerUnit, true)
        );
        // 2 × 5.00 = 10.00. Odoo computes fixed taxes first, but the eco tax (2 × 0.50 = 1.00)
        // is at sequence 20, after the others: it joins the base of later taxes, and there are
        // none. Federal 5 % = 0.50, division 10.00 × 10/90 = 1.11, state 8 % = 0.80. Tax 3.41,
        // total 13.41.
        let r = compute(&rules, &[("2", "5.00")]);
        // The same line naming its taxes, converted per line: the same figures.
        let per_line = from_odoo(&fixture("odoo-group-division.json"), &opts()).expect("converts");
        let named: &[&str] = &["COMBINED-13-10", "10-DIVISION-13", "ECO-0-50-UNIT-14"];
        assert_eq!(
            taxes(&compute_with(&per_line, &[("2", "5.00", named)])),
            taxes(&r)
        );
        let mut got = taxes(&r);
        got.sort();
        assert_eq!(
            got,
            [
                ("10-DIVISION-13".into(), "1.11".into()),
                ("ECO-0-50-UNIT-14".into(), "1.00".into()),
                ("FEDERAL-5-11".into(), "0.50".into()),
                ("STATE-8-12".into(), "0.80".into())
            ]
        );
        assert_eq!(
            (r.tax.to_string(), r.total.to_string()),
            ("3.41".into(), "13.41".into())
        );
    }

    #[test]
    fn round_globally_is_the_document_scope() {
        let mut o = opts();
        o.scope = Scope::Document;
        let rules = from_odoo(&json!({"result": [percent(1, 15.0)]}), &o).expect("converts");
        // Three lines of 0.10 at 15 %: 0.045 → 0.05 once (per line it would be 0.06).
        let t: &[&str] = &["15-1"];
        let r = compute_with(&rules, &[("1", "0.10", t), ("1", "0.10", t), ("1", "0.10", t)]);
        assert_eq!(r.tax.to_string(), "0.05");
    }

    #[test]
    fn python_taxes_are_refused_and_an_unaffected_base_converts() {
        assert_eq!(
            refusal(fixture("odoo-bad-code.json")),
            ("unsupported", "[1].amount_type".into())
        );
        let mut opts = ConvertOptions::new("odoo", "1", "EUR");
        opts.odoo_taxes = OdooTaxes::EveryLine;
        let rules = from_odoo(&fixture("odoo-base-not-affected.json"), &opts).expect("converts");
        assert!(rules.taxes[0].include_in_later_base && rules.taxes[0].base_affected);
        assert!(!rules.taxes[1].base_affected);
        // 1 × 10.00: the eco tax 1.00 joins later bases, but VAT is on 10.00 alone: 2.00.
        let doc: crate::tax::TaxDocument = serde_json::from_value(json!({
            "business_date": "2024-01-01", "place_of_supply": "DEFAULT",
            "lines": [{"id": "1", "quantity": "1", "unit_price": "10.00"}]
        }))
        .expect("doc");
        let res = crate::tax::compute(&rules, &doc).expect("computes");
        let amounts: Vec<String> = res.taxes.iter().map(|t| t.amount.to_string()).collect();
        assert_eq!(amounts, ["1.00", "2.00"]);
    }

    #[test]
    fn refusals_name_their_field() {
        let mut neg = json!({"id": 1, "name": "Rebate", "type_tax_use": "sale", "amount_type": "fixed", "amount": -5.0});
        neg["name"] = json!("Rebate");
        let group = json!({"id": 9, "name": "G", "type_tax_use": "sale", "amount_type": "group", "amount": 0.0, "children_tax_ids": [1, 7]});
        let cases = [
            (json!([neg]), ("unsupported", "[0].amount")),
            (
                json!({"taxes": [percent(1, 5.0), group]}),
                ("malformed", "taxes[1].children_tax_ids[1]"),
            ),
            (
                json!([percent(1, 5.0), percent(1, 6.0)]),
                ("malformed", "[1].id"),
            ),
            (
                json!([{"id": 1, "type_tax_use": "sale", "amount_type": "percent", "amount": 5.0}]),
                ("malformed", "[0].name"),
            ),
            (
                json!([{"id": 1, "name": "x", "type_tax_use": "purchase", "amount_type": "percent", "amount": 5.0}]),
                ("malformed", ""),
            ),
            (
                json!([percent(1, 0.1 + 0.2)]),
                ("too_precise", "[0].amount"),
            ),
            (json!({"records": []}), ("malformed", "")),
        ];
        for (json, (code, field)) in cases {
            assert_eq!(refusal(json), (code, field.to_owned()));
        }
    }

    #[test]
    fn a_purchase_python_tax_is_skipped_not_refused() {
        let mut code = percent(2, 0.0);
        code["amount_type"] = json!("code");
        code["type_tax_use"] = json!("purchase");
        assert!(from_odoo(&json!([percent(1, 21.0), code]), &opts()).is_ok());
    }
}
