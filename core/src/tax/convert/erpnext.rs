//! ERPNext's "Sales Taxes and Charges Template" to a rule set in the `erpnext` dialect.
//!
//! Accepted input: the template document as Frappe exports it (`{"doctype": "Sales Taxes and
//! Charges Template", "title": …, "taxes": [rows]}`), the REST API's answer
//! (`{"data": {…}}` from `/api/resource/Sales Taxes and Charges Template/<name>`), or a bare
//! array of rows. Field paths in errors follow the input (`taxes[2].charge_type`,
//! `data.taxes[0].rate`, `[1].row_id`).
//!
//! Each row becomes one tax, applied in `idx` order (`sequence = idx`), all listed in the one
//! schedule, like the template applies them all to every item:
//!
//! | `charge_type` | tax |
//! |---|---|
//! | On Net Total | `percent`, base `net`, `rate` |
//! | On Previous Row Amount | `percent`, base `previous_tax` of the row `row_id` |
//! | On Previous Row Total | `percent`, base `running_total`: only when `row_id` is the row just before |
//! | Actual | `fixed_per_document` of `tax_amount` |
//! | On Item Quantity | `per_unit`, `rate` per unit |
//!
//! `included_in_print_rate` becomes an explicit `price_include` on every row (ERPNext decides it
//! per row, never per document). Codes come from `account_head` (`"VAT - C"` → `VAT-C`; a second
//! row on the same account gets `-ROW<idx>`), or `ROW<idx>` without one; names from
//! `description`.
//!
//! Refused: unknown charge types; On Previous Row Total on another row than the previous one;
//! negative Actual amounts (a negative rate converts: a rebate or withholding row); "Deduct"
//! rows (purchase side);
//! the "Valuation" category; what ERPNext itself refuses (an included Actual row, an included
//! row computed on rows that are not included, a reference to a later row). Item Tax Templates
//! are not part of a template export; give items `by_class` rates by hand if needed.

use chrono::NaiveDate;
use serde_json::Value;

use super::{
    assemble, at, decimal, integer, malformed, object, opt_bool, opt_str, slug, unsupported,
    ConvertError, ConvertOptions,
};
use crate::money::Dec;
use crate::tax::model::{Base, Dialect, RatePeriod, RuleSet, TaxDef, TaxKind};

/// The doctype this converter reads.
pub const DOCTYPE: &str = "Sales Taxes and Charges Template";

/// Converts an ERPNext sales taxes template. See the module documentation.
pub fn from_erpnext(json: &Value, opts: &ConvertOptions) -> Result<RuleSet, ConvertError> {
    let (rows, rows_path, title) = template(json, "")?;
    if rows.is_empty() {
        return Err(malformed(&rows_path, "the template has no tax rows"));
    }
    let mut parsed = rows
        .iter()
        .enumerate()
        .map(|(i, v)| Row::read(v, &format!("{rows_path}[{i}]"), i))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort_by_key(|r| r.idx);
    for w in parsed.windows(2) {
        if w[0].idx == w[1].idx {
            return Err(malformed(
                &at(&w[1].path, "idx"),
                format!("two rows have idx {}", w[1].idx),
            ));
        }
    }
    let codes = codes(&parsed);
    let mut taxes = Vec::with_capacity(parsed.len());
    for (k, row) in parsed.iter().enumerate() {
        taxes.push(row.tax(k, &parsed, &codes, opts.from)?);
    }
    let dialect = Dialect::Erpnext {
        rounding_method: opts.rounding_method,
    };
    let name = title.unwrap_or("ERPNext sales taxes template").to_owned();
    assemble(opts, dialect, name, taxes, codes)
}

/// The rows, their path and the template's title, whichever of the three shapes was given.
fn template<'a>(
    json: &'a Value,
    path: &str,
) -> Result<(&'a Vec<Value>, String, Option<&'a str>), ConvertError> {
    if let Value::Array(rows) = json {
        return Ok((rows, path.to_owned(), None));
    }
    let obj = object(json, path)?;
    if path.is_empty() && !obj.contains_key("taxes") {
        if let Some(data) = obj.get("data") {
            return template(data, "data");
        }
    }
    match opt_str(obj, path, "doctype")? {
        None | Some(DOCTYPE) => {}
        Some("Purchase Taxes and Charges Template") => {
            return Err(unsupported(
                &at(path, "doctype"),
                "purchase templates (only sales taxes are computed)",
            ))
        }
        Some(other) => {
            return Err(malformed(
                &at(path, "doctype"),
                format!("expected {DOCTYPE:?}, got {other:?}"),
            ))
        }
    }
    let rows_path = at(path, "taxes");
    let rows = obj
        .get("taxes")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(&rows_path, "expected an array of tax rows"))?;
    let title = opt_str(obj, path, "title")?.or(opt_str(obj, path, "name")?);
    Ok((rows, rows_path, title))
}

/// ERPNext's charge types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charge {
    NetTotal,
    PreviousRowAmount,
    PreviousRowTotal,
    Actual,
    ItemQuantity,
}

/// One row, read and checked on its own; its other Frappe fields (`cost_center`,
/// `dont_recompute_tax`, `item_wise_tax_detail`, …) are ignored.
struct Row<'a> {
    path: String,
    idx: i64,
    charge: Charge,
    account: Option<&'a str>,
    description: Option<&'a str>,
    included: bool,
    /// `rate` (percent, or per unit) or `tax_amount` (Actual).
    rate: Dec,
    row_id: Option<i64>,
}

impl<'a> Row<'a> {
    fn read(value: &'a Value, path: &str, position: usize) -> Result<Self, ConvertError> {
        let obj = object(value, path)?;
        let f = |key: &str| at(path, key);
        let idx = match obj.get("idx") {
            None | Some(Value::Null) => position as i64 + 1,
            Some(v) => integer(v, &f("idx"))?,
        };
        if opt_str(obj, path, "add_deduct_tax")? == Some("Deduct") {
            return Err(unsupported(
                &f("add_deduct_tax"),
                "\"Deduct\" rows (a tax subtracted from the total)",
            ));
        }
        if opt_str(obj, path, "category")? == Some("Valuation") {
            return Err(unsupported(
                &f("category"),
                "\"Valuation\" rows (not part of the total)",
            ));
        }
        let charge = match opt_str(obj, path, "charge_type")? {
            Some("On Net Total") => Charge::NetTotal,
            Some("On Previous Row Amount") => Charge::PreviousRowAmount,
            Some("On Previous Row Total") => Charge::PreviousRowTotal,
            Some("Actual") => Charge::Actual,
            Some("On Item Quantity") => Charge::ItemQuantity,
            Some(other) => {
                return Err(unsupported(
                    &f("charge_type"),
                    format!("charge type {other:?}"),
                ))
            }
            None => return Err(malformed(&f("charge_type"), "missing")),
        };
        let amount_key = if charge == Charge::Actual {
            "tax_amount"
        } else {
            "rate"
        };
        let rate = match obj.get(amount_key) {
            None | Some(Value::Null) => return Err(malformed(&f(amount_key), "missing")),
            Some(v) => decimal(v, &f(amount_key))?,
        };
        // A negative percentage is a withholding or a rebate row; a negative fixed amount has
        // no tax kind in the model.
        if charge == Charge::Actual && rate.value().is_sign_negative() && !rate.value().is_zero() {
            return Err(unsupported(
                &f(amount_key),
                "negative amounts (the rule model has no negative fixed tax)",
            ));
        }
        let row_id = match obj.get("row_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(integer(v, &f("row_id"))?),
        };
        Ok(Row {
            path: path.to_owned(),
            idx,
            charge,
            account: opt_str(obj, path, "account_head")?,
            description: opt_str(obj, path, "description")?,
            included: opt_bool(obj, path, "included_in_print_rate")?.unwrap_or(false),
            rate,
            row_id,
        })
    }

    /// The row as a tax; `k` is its place in idx order, `rows` all of them.
    fn tax(
        &self,
        k: usize,
        rows: &[Row<'_>],
        codes: &[String],
        from: NaiveDate,
    ) -> Result<TaxDef, ConvertError> {
        let f = |key: &str| at(&self.path, key);
        let refers_to = || -> Result<usize, ConvertError> {
            let id = self.row_id.ok_or_else(|| {
                malformed(
                    &f("row_id"),
                    "this charge type needs the row it is computed on",
                )
            })?;
            match rows[..k].iter().position(|r| r.idx == id) {
                Some(j) => Ok(j),
                None => Err(malformed(
                    &f("row_id"),
                    format!("no earlier row has idx {id}"),
                )),
            }
        };
        let (kind, base) = match self.charge {
            Charge::NetTotal => (TaxKind::Percent, Base::Net),
            Charge::ItemQuantity => (TaxKind::PerUnit, Base::Net),
            Charge::Actual => (TaxKind::FixedPerDocument, Base::Net),
            Charge::PreviousRowAmount => {
                let j = refers_to()?;
                if self.included && !rows[j].included {
                    return Err(malformed(
                        &f("included_in_print_rate"),
                        "included, but the row it is computed on is not",
                    ));
                }
                (TaxKind::Percent, Base::PreviousTax(codes[j].clone()))
            }
            Charge::PreviousRowTotal => {
                let j = refers_to()?;
                if j + 1 != k {
                    return Err(unsupported(
                        &f("row_id"),
                        "On Previous Row Total on a row other than the one just before",
                    ));
                }
                if self.included && rows[..k].iter().any(|r| !r.included) {
                    return Err(malformed(
                        &f("included_in_print_rate"),
                        "included, but an earlier row is not",
                    ));
                }
                (TaxKind::Percent, Base::RunningTotal)
            }
        };
        if self.included && self.charge == Charge::Actual {
            return Err(unsupported(
                &f("included_in_print_rate"),
                "an Actual charge included in the print rate",
            ));
        }
        let name = [self.description, self.account]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|s| !s.is_empty())
            .unwrap_or(&codes[k]);
        Ok(TaxDef {
            code: codes[k].clone(),
            name: name.to_owned(),
            kind,
            sequence: i32::try_from(self.idx).map_err(|_| malformed(&f("idx"), "out of range"))?,
            rates: vec![RatePeriod {
                from,
                until: None,
                rate: self.rate,
                by_class: Default::default(),
            }],
            components: Vec::new(),
            base,
            include_in_later_base: false,
            base_affected: true,
            repartition: Vec::new(),
            price_include: Some(self.included),
            applies_to: None,
        })
    }
}

/// One unique code per row, in idx order.
fn codes(rows: &[Row<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(rows.len());
    for r in rows {
        let base = r
            .account
            .map(slug)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("ROW{}", r.idx));
        let code = if out.contains(&base) {
            format!("{base}-ROW{}", r.idx)
        } else {
            base
        };
        out.push(code);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tax::convert::testing::{compute, fixture, taxes};
    use crate::tax::model::FrappeRounding;

    fn opts() -> ConvertOptions {
        ConvertOptions::new("erp", "1", "XXX")
    }

    fn refusal(json: serde_json::Value) -> (&'static str, String) {
        let e = from_erpnext(&json, &opts()).expect_err("refused");
        (e.code(), e.field().to_owned())
    }

    fn row(charge: &str, rate: f64, extra: serde_json::Value) -> serde_json::Value {
        let mut r = json!({"charge_type": charge, "account_head": format!("{charge} - C"), "rate": rate, "tax_amount": rate});
        if let (Some(r), Some(extra)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(extra.clone());
        }
        r
    }

    #[test]
    fn an_included_vat_template_gives_back_the_shelf_price() {
        let rules = from_erpnext(&fixture("erpnext-vat-included.json"), &opts()).expect("converts");
        assert_eq!(
            rules.dialect,
            Dialect::Erpnext {
                rounding_method: FrappeRounding::Bankers
            }
        );
        assert_eq!(rules.jurisdictions[0].name, "UAE VAT 5%");
        let vat = &rules.taxes[0];
        assert_eq!(
            (vat.code.as_str(), vat.name.as_str(), vat.price_include),
            ("VAT-5-SC", "VAT 5%", Some(true))
        );
        assert_eq!(vat.rates[0].rate.to_string(), "5");
        // 100.00 with 5 % included: net flt(100 / 1.05) = 95.24, tax 5 % of 95.24 = 4.762 → 4.76.
        let r = compute(&rules, &[("1", "100.00")]);
        assert_eq!(
            (
                r.untaxed.to_string(),
                r.tax.to_string(),
                r.total.to_string()
            ),
            ("95.24".into(), "4.76".into(), "100.00".into())
        );
    }

    #[test]
    fn india_gst_with_a_cess_on_the_previous_row() {
        let rules = from_erpnext(&fixture("erpnext-india-gst.json"), &opts()).expect("converts");
        let cess = &rules.taxes[2];
        assert_eq!(cess.base, Base::PreviousTax("OUTPUT-TAX-SGST-ST".into()));
        assert_eq!(rules.jurisdictions[0].schedules[0].taxes.len(), 3);
        // Nets 1000.00 and 33.33. CGST 9 %: 90 + 2.9997 = 92.9997 → 93.00; SGST the same;
        // cess 10 % of SGST's item amounts: 9 + 0.29997 = 9.29997 → 9.30. Total 1033.33 + 195.30.
        let r = compute(&rules, &[("2", "500.00"), ("1", "33.33")]);
        assert_eq!(
            taxes(&r),
            [
                ("OUTPUT-TAX-CGST-ST".into(), "93.00".into()),
                ("OUTPUT-TAX-SGST-ST".into(), "93.00".into()),
                ("OUTPUT-TAX-CESS-ST".into(), "9.30".into())
            ]
        );
        assert_eq!(r.total.to_string(), "1228.63");
    }

    #[test]
    fn an_actual_shipping_charge_and_a_per_unit_duty() {
        let rules =
            from_erpnext(&fixture("erpnext-actual-and-quantity.json"), &opts()).expect("converts");
        assert_eq!(
            (rules.taxes[0].kind, rules.taxes[1].kind),
            (TaxKind::FixedPerDocument, TaxKind::PerUnit)
        );
        assert_eq!(
            rules.taxes[0].rates[0].rate.to_string(),
            "10",
            "Actual reads tax_amount, not rate"
        );
        // Nets 30.00 and 10.00: shipping 10.00 spread 7.50 + 2.50; duty 0.25 × (3 + 1) = 1.00.
        let r = compute(&rules, &[("3", "10.00"), ("1", "10.00")]);
        assert_eq!(
            taxes(&r),
            [
                ("FREIGHT-AND-FORWARDING-CHARGES-SC".into(), "10.00".into()),
                ("EXCISE-DUTY-SC".into(), "1.00".into())
            ]
        );
        assert_eq!(r.lines[0].taxes[0].amount.to_string(), "7.50");
        assert_eq!(r.total.to_string(), "51.00");
    }

    #[test]
    fn the_rest_answer_and_a_bare_row_array_give_the_same_rules() {
        let doc = fixture("erpnext-vat-included.json");
        let direct = from_erpnext(&doc, &opts()).expect("document");
        let rest = from_erpnext(&json!({ "data": doc }), &opts()).expect("REST answer");
        let bare = from_erpnext(&doc["taxes"], &opts()).expect("rows");
        assert_eq!(direct, rest);
        assert_eq!(direct.taxes, bare.taxes);
    }

    #[test]
    fn options_set_identity_dialect_and_dates() {
        let mut o = ConvertOptions::new("ae", "2025-01", "AED");
        o.rounding_method = FrappeRounding::Commercial;
        o.jurisdiction = "AE".into();
        o.from = NaiveDate::from_ymd_opt(2018, 1, 1).expect("date");
        let rules = from_erpnext(&fixture("erpnext-vat-included.json"), &o).expect("converts");
        assert_eq!(
            (
                rules.id.as_str(),
                rules.version.as_str(),
                rules.currency.code.as_str()
            ),
            ("ae", "2025-01", "AED")
        );
        assert_eq!(
            rules.dialect,
            Dialect::Erpnext {
                rounding_method: FrappeRounding::Commercial
            }
        );
        assert_eq!(
            (
                rules.jurisdictions[0].code.as_str(),
                rules.taxes[0].rates[0].from
            ),
            ("AE", o.from)
        );
    }

    #[test]
    fn previous_row_total_on_the_row_just_before_is_a_running_total() {
        let rows = json!([
            row("On Net Total", 5.0, json!({})),
            row("On Previous Row Total", 9.5, json!({"row_id": "1"}))
        ]);
        let rules = from_erpnext(&rows, &opts()).expect("converts");
        assert_eq!(rules.taxes[1].base, Base::RunningTotal);
    }

    #[test]
    fn a_negative_rate_is_a_rebate_but_a_negative_amount_and_a_deduct_row_are_refused() {
        let rules = from_erpnext(&fixture("erpnext-rebate-negative-rate.json"), &opts()).expect("converts");
        assert_eq!(rules.taxes[1].rates[0].rate.to_string(), "-2");
        assert_eq!(
            refusal(fixture("erpnext-bad-negative-actual.json")),
            ("unsupported", "taxes[1].tax_amount".into())
        );
        assert_eq!(
            refusal(fixture("erpnext-bad-deduct.json")),
            ("unsupported", "[0].add_deduct_tax".into())
        );
    }

    #[test]
    fn what_the_model_cannot_express_is_refused_with_its_field() {
        let net = || row("On Net Total", 5.0, json!({}));
        let cases = [
            (
                json!({"taxes": [net(), net(), row("On Previous Row Total", 1.0, json!({"row_id": 1}))]}),
                ("unsupported", "taxes[2].row_id"),
            ),
            (
                json!({"taxes": [row("Actual", 3.0, json!({"included_in_print_rate": 1}))]}),
                ("unsupported", "taxes[0].included_in_print_rate"),
            ),
            (
                json!({"taxes": [row("On Paid Amount", 1.0, json!({}))]}),
                ("unsupported", "taxes[0].charge_type"),
            ),
            (
                json!({"taxes": [row("On Net Total", 5.0, json!({"category": "Valuation"}))]}),
                ("unsupported", "taxes[0].category"),
            ),
            (
                json!({"doctype": "Purchase Taxes and Charges Template", "taxes": [net()]}),
                ("unsupported", "doctype"),
            ),
        ];
        for (json, (code, field)) in cases {
            assert_eq!(refusal(json), (code, field.to_owned()));
        }
    }

    #[test]
    fn shapes_erpnext_would_not_save_are_malformed() {
        let net = || row("On Net Total", 5.0, json!({}));
        let cases = [
            (
                json!({"taxes": [row("On Previous Row Amount", 1.0, json!({}))]}),
                ("malformed", "taxes[0].row_id"),
            ),
            (
                json!({"taxes": [net(), row("On Previous Row Amount", 1.0, json!({"row_id": "2", "idx": 2}))]}),
                ("malformed", "taxes[1].row_id"),
            ),
            (
                json!({"data": {"taxes": [net(), row("On Previous Row Amount", 1.0, json!({"row_id": "1", "included_in_print_rate": 1}))]}}),
                ("malformed", "data.taxes[1].included_in_print_rate"),
            ),
            (json!({"taxes": []}), ("malformed", "taxes")),
            (
                json!({"taxes": [{"charge_type": "On Net Total", "rate": "five"}]}),
                ("malformed", "taxes[0].rate"),
            ),
            (
                json!({"taxes": [{"charge_type": "On Net Total", "rate": 0.1 + 0.2}]}),
                ("too_precise", "taxes[0].rate"),
            ),
            (
                json!([{"idx": 1, "charge_type": "Actual", "tax_amount": 1}, {"idx": 1, "charge_type": "Actual", "tax_amount": 2}]),
                ("malformed", "[1].idx"),
            ),
            (json!("VAT"), ("malformed", "")),
        ];
        for (json, (code, field)) in cases {
            assert_eq!(refusal(json), (code, field.to_owned()));
        }
    }

    #[test]
    fn codes_stay_unique_and_rows_follow_idx() {
        let rows = json!([
            {"idx": 2, "charge_type": "On Net Total", "account_head": "VAT - C", "rate": 2.0},
            {"idx": 1, "charge_type": "On Net Total", "account_head": "VAT - C", "rate": 1.0, "description": "First"},
            {"idx": 3, "charge_type": "On Net Total", "rate": 3.0},
        ]);
        let rules = from_erpnext(&rows, &opts()).expect("converts");
        let got: Vec<_> = rules
            .taxes
            .iter()
            .map(|t| (t.code.as_str(), t.name.as_str(), t.sequence))
            .collect();
        assert_eq!(
            got,
            [
                ("VAT-C", "First", 1),
                ("VAT-C-ROW2", "VAT - C", 2),
                ("ROW3", "ROW3", 3)
            ]
        );
    }

    #[test]
    fn a_rate_above_what_validation_allows_is_an_invalid_rule_set() {
        let e = from_erpnext(&json!([row("On Net Total", 1500.0, json!({}))]), &opts())
            .expect_err("refused");
        assert_eq!(
            (e.code(), e.field()),
            ("invalid_rule_set", "taxes[0].rates[0].rate")
        );
    }
}
