//! Orders v2 (issue "Catalog, outlets and orders"): priced from the outlet's price list, taxed by
//! the built-in Canadian rule set, validated under the policy, committed as a document and
//! re-checked by the server.
//!
//! The fixture is a rep on route R07 on Monday 2026-03-02 at 14:05 UTC, with the retail price
//! lists for 2025 and 2026, and two outlets: a corner store in Hamilton (CA-ON, HST 13 % =
//! 5 % federal + 8 % provincial, credit limit 500.00 with 320.00 outstanding as of the evening
//! before) and a dépanneur in Laval (CA-QC, GST 5 % + QST 9.975 %, no credit terms). Every
//! expected amount below is computed by hand in the comment next to it.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use satchel_core::money::Dec;
use satchel_core::sales::{
    quote, verify, Catalog, OrderKind, CatalogProduct, OutletInfo, PriceList, Quote, SalesContext, SalesDocument, SalesError,
    SalesLine, SalesOrder, SalesRejection, SalesSettings,
};
use satchel_core::tax::model::RuleSet;
use satchel_core::validation::{Details, Rule, Severity, ValidationPolicy};
use serde_json::json;
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

const NOW: &str = "2026-03-02T14:05:00Z";
const CREDIT_AS_OF: &str = "2026-03-01T22:00:00Z";

fn rules() -> RuleSet {
    satchel_core::tax::builtin::rule_set("ca").expect("built-in ca")
}

/// The catalog as it syncs down (JSON, with defaults left out where the wire leaves them out).
fn products() -> Vec<CatalogProduct> {
    serde_json::from_value(json!([
        {"sku": "CHIPS-200", "name": "Kettle chips 200 g", "unit": "pcs", "quantity_places": 0,
         "barcodes": ["0060410014503"]},
        {"sku": "CANDY-KG", "name": "Gummy bears, bulk", "unit": "kg", "quantity_places": 3},
        {"sku": "SODA-355", "name": "Cola 355 mL can", "unit": "can", "quantity_places": 0,
         "pack_size": "12", "barcodes": ["0067000004114"]},
        {"sku": "MILK-2L", "name": "Milk 2 %, 2 L", "unit": "pcs", "quantity_places": 0,
         "tax_class": "zero_rated"},
        {"sku": "ICE-TEA", "name": "Iced tea 1 L", "unit": "pcs", "quantity_places": 0}
    ]))
    .expect("products")
}

fn price_lists() -> Vec<PriceList> {
    serde_json::from_value(json!([
        {"id": "PL-RETAIL-2025", "outlet_group": "retail", "valid_from": "2025-01-01",
         "valid_until": "2026-01-01", "prices_include_tax": false,
         "prices": {"CHIPS-200": "3.29", "CANDY-KG": "12.40", "SODA-355": "0.85", "MILK-2L": "5.19"}},
        {"id": "PL-RETAIL-2026", "outlet_group": "retail", "valid_from": "2026-01-01",
         "valid_until": "2027-01-01", "prices_include_tax": false,
         "prices": {"CHIPS-200": "3.49", "CANDY-KG": "12.80", "SODA-355": "0.89", "MILK-2L": "5.29"}}
    ]))
    .expect("price lists")
}

fn ontario() -> OutletInfo {
    serde_json::from_value(json!({
        "id": "OUT-ON-017", "name": "Corner Mart Hamilton", "route": "R07",
        "address": "112 King St E, Hamilton ON L8N 1A8", "phone": "+1 905 555 0117",
        "contact_name": "Priya Natarajan", "group": "retail", "place_of_supply": "CA-ON",
        "credit": {"limit": "500.00", "outstanding": "320.00", "as_of": CREDIT_AS_OF}
    }))
    .expect("outlet")
}

fn quebec() -> OutletInfo {
    serde_json::from_value(json!({
        "id": "OUT-QC-042", "name": "Dépanneur Laval", "route": "R07",
        "address": "1850 boul. Saint-Martin O, Laval QC H7S 1M9", "phone": "+1 450 555 0142",
        "group": "retail", "place_of_supply": "CA-QC"
    }))
    .expect("outlet")
}

fn settings() -> SalesSettings {
    serde_json::from_value(json!({"rule_set": "ca", "currency": "CAD", "policy": {}})).expect("settings")
}

fn ctx() -> SalesContext {
    serde_json::from_value(json!({"role": "rep", "now": NOW})).expect("context")
}

fn line(sku: &str, quantity: &str) -> SalesLine {
    SalesLine { sku: sku.into(), quantity: d(quantity), discount_percent: None }
}

fn order(outlet: &str, lines: Vec<SalesLine>) -> SalesOrder {
    SalesOrder {
        outlet_id: outlet.into(),
        business_date: date("2026-03-02"),
        lines,
        order_discount_percent: None,
        note: None,
        requested_delivery_date: None,
        customer_reference: None,
        cash: false,
        kind: OrderKind::Sale,
    }
}

/// Chips, bulk candy by weight, two packs of cola and zero-rated milk, for the Hamilton store.
fn ontario_order() -> SalesOrder {
    order(
        "OUT-ON-017",
        vec![line("CHIPS-200", "10"), line("CANDY-KG", "2.345"), line("SODA-355", "24"), line("MILK-2L", "4")],
    )
}

struct Data {
    products: Vec<CatalogProduct>,
    lists: Vec<PriceList>,
    rules: RuleSet,
    settings: SalesSettings,
}

impl Data {
    fn new() -> Self {
        Data { products: products(), lists: price_lists(), rules: rules(), settings: settings() }
    }

    fn catalog(&self) -> Catalog<'_> {
        Catalog::new(&self.products, &self.lists)
    }

    fn quote(&self, outlet: &OutletInfo, order: &SalesOrder, ctx: &SalesContext) -> Result<Quote, SalesError> {
        quote(&self.settings, &self.rules, &self.catalog(), outlet, order, ctx)
    }

    fn verify(&self, outlet: &OutletInfo, doc: &SalesDocument, ctx: &SalesContext) -> Result<satchel_core::sales::ServerVerdict, SalesRejection> {
        verify(&self.settings, &self.rules, &self.catalog(), outlet, doc, ctx)
    }

    /// The device's quote of `order`, committed.
    fn commit(&self, outlet: &OutletInfo, order: SalesOrder, ctx: &SalesContext) -> SalesDocument {
        let q = self.quote(outlet, &order, ctx).expect("quote");
        SalesDocument::from_quote(order_id(), "R07-000123".into(), ctx.now, order, &q).expect("commit")
    }
}

fn order_id() -> Uuid {
    Uuid::parse_str("01958a2e-7c41-7b3a-9f10-3c2d4e5f6a7b").expect("uuid")
}

/// `(code, amount)` of every tax on line `i`, as strings.
fn line_taxes(q: &Quote, i: usize) -> Vec<(String, String)> {
    let taxes = q.taxes.as_ref().expect("taxes");
    taxes.lines[i].taxes.iter().map(|t| (t.code.to_string(), t.amount.to_string())).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

// ---------------------------------------------------------------------------------------------
// Quotes

#[test]
fn an_ontario_order_is_priced_from_the_list_and_taxed_with_hst_per_line() {
    let data = Data::new();
    let q = data.quote(&ontario(), &ontario_order(), &ctx()).expect("quote");
    assert_eq!(q.price_list_id, "PL-RETAIL-2026");
    assert_eq!(q.unit_prices, vec![d("3.49"), d("12.80"), d("0.89"), d("5.29")]);
    let t = q.taxes.as_ref().expect("taxes");
    // Gross: 10 × 3.49 = 34.90; 2.345 × 12.80 = 30.016 → 30.02; 24 × 0.89 = 21.36; 4 × 5.29 = 21.16.
    let gross: Vec<String> = t.lines.iter().map(|l| l.gross.to_string()).collect();
    assert_eq!(gross, ["34.90", "30.02", "21.36", "21.16"]);
    // HST per line, each part rounded half-up:
    //   34.90 × 5 % = 1.745 → 1.75, × 8 % = 2.792 → 2.79
    //   30.02 × 5 % = 1.501 → 1.50, × 8 % = 2.4016 → 2.40
    //   21.36 × 5 % = 1.068 → 1.07, × 8 % = 1.7088 → 1.71
    //   milk is zero-rated: 0.00 and 0.00.
    assert_eq!(line_taxes(&q, 0), pairs(&[("HST-FED", "1.75"), ("HST-ON-PROV", "2.79")]));
    assert_eq!(line_taxes(&q, 1), pairs(&[("HST-FED", "1.50"), ("HST-ON-PROV", "2.40")]));
    assert_eq!(line_taxes(&q, 2), pairs(&[("HST-FED", "1.07"), ("HST-ON-PROV", "1.71")]));
    assert_eq!(line_taxes(&q, 3), pairs(&[("HST-FED", "0.00"), ("HST-ON-PROV", "0.00")]));
    let ids: Vec<&str> = t.lines.iter().map(|l| &*l.id).collect();
    assert_eq!(ids, ["0", "1", "2", "3"]);
    // Per tax: federal 1.75 + 1.50 + 1.07 = 4.32 on 34.90 + 30.02 + 21.36 = 86.28 (milk is not a
    // taxed base); provincial 2.79 + 2.40 + 1.71 = 6.90.
    let totals: Vec<(String, String, String)> =
        t.taxes.iter().map(|x| (x.code.to_string(), x.base.to_string(), x.amount.to_string())).collect();
    assert_eq!(
        totals,
        [("HST-FED".into(), "86.28".into(), "4.32".into()), ("HST-ON-PROV".into(), "86.28".into(), "6.90".into())]
    );
    // Untaxed 34.90 + 30.02 + 21.36 + 21.16 = 107.44; tax 11.22; total 118.66.
    assert_eq!((t.untaxed.to_string(), t.tax.to_string(), t.total.to_string()), ("107.44".into(), "11.22".into(), "118.66".into()));
    assert_eq!(q.total, Some(d("118.66")));
    assert_eq!(t.rule_set, "ca@2026-11-22");
    // 320.00 + 118.66 = 438.66 is within the 500.00 limit: nothing to say.
    assert!(q.verdict.findings.is_empty(), "{:?}", q.verdict.findings);
    assert!(!q.verdict.blocked && !q.verdict.flagged_for_review);
}

#[test]
fn a_quebec_order_shows_gst_and_qst_separately() {
    let data = Data::new();
    let o = order("OUT-QC-042", vec![line("CHIPS-200", "12"), line("SODA-355", "36")]);
    let q = data.quote(&quebec(), &o, &ctx()).expect("quote");
    // 12 × 3.49 = 41.88: GST 2.094 → 2.09, QST 41.88 × 9.975 % = 4.17753 → 4.18.
    // 36 × 0.89 = 32.04: GST 1.602 → 1.60, QST 3.19599 → 3.20.
    assert_eq!(line_taxes(&q, 0), pairs(&[("GST", "2.09"), ("QST", "4.18")]));
    assert_eq!(line_taxes(&q, 1), pairs(&[("GST", "1.60"), ("QST", "3.20")]));
    let t = q.taxes.as_ref().expect("taxes");
    let totals: Vec<(String, String)> = t.taxes.iter().map(|x| (x.code.to_string(), x.amount.to_string())).collect();
    assert_eq!(totals, pairs(&[("GST", "3.69"), ("QST", "7.38")]));
    // 73.92 + 3.69 + 7.38 = 84.99. No credit terms: no credit finding.
    assert_eq!((t.untaxed.to_string(), t.tax.to_string()), ("73.92".into(), "11.07".into()));
    assert_eq!(q.total, Some(d("84.99")));
    assert!(q.verdict.findings.is_empty());
}

#[test]
fn line_and_order_discounts_reduce_the_taxable_base() {
    let data = Data::new();
    let mut o = order(
        "OUT-ON-017",
        vec![SalesLine { discount_percent: Some(d("5")), ..line("CHIPS-200", "20") }, line("SODA-355", "48")],
    );
    o.order_discount_percent = Some(d("2"));
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    let t = q.taxes.as_ref().expect("taxes");
    // Line 0: 20 × 3.49 = 69.80, 5 % off = 3.49 → 66.31. Line 1: 48 × 0.89 = 42.72.
    // Order: 2 % of 109.03 = 2.1806 → 2.18, spread 66.31 : 42.72 = 1.3258… : 0.8541… → the
    // spare cent to the larger remainder: 1.33 and 0.85. Nets 64.98 and 41.87.
    let nets: Vec<(String, String)> = t.lines.iter().map(|l| (l.discount.to_string(), l.untaxed.to_string())).collect();
    assert_eq!(nets, pairs(&[("4.82", "64.98"), ("0.85", "41.87")]));
    // 64.98 × 5 % = 3.249 → 3.25, × 8 % = 5.1984 → 5.20; 41.87 × 5 % = 2.0935 → 2.09,
    // × 8 % = 3.3496 → 3.35. Tax 13.89; total 106.85 + 13.89 = 120.74.
    assert_eq!(line_taxes(&q, 0), pairs(&[("HST-FED", "3.25"), ("HST-ON-PROV", "5.20")]));
    assert_eq!(line_taxes(&q, 1), pairs(&[("HST-FED", "2.09"), ("HST-ON-PROV", "3.35")]));
    assert_eq!((t.discount.to_string(), t.tax.to_string()), ("5.67".into(), "13.89".into()));
    assert_eq!(q.total, Some(d("120.74")));
    // Both within the rep's 10 % cap.
    assert!(q.verdict.findings.is_empty(), "{:?}", q.verdict.findings);

    // 12 % is over the cap: blocking under the default policy, and still taxed.
    o.order_discount_percent = Some(d("12"));
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert!(q.verdict.blocked && q.taxes.is_some());
    assert_eq!(q.verdict.findings[0].rule, Rule::DiscountCap);
    assert_eq!(q.verdict.findings[0].field, "order_discount_percent");
}

#[test]
fn a_cash_order_is_due_rounded_to_five_cents_with_the_tax_unchanged() {
    let data = Data::new();
    let mut o = ontario_order();
    o.cash = true;
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    let t = q.taxes.as_ref().expect("taxes");
    // 118.66 → 118.65 in cash; the tax stays 11.22.
    assert_eq!((t.total.to_string(), t.tax.to_string()), ("118.66".into(), "11.22".into()));
    assert_eq!(q.total.map(|x| x.to_string()).as_deref(), Some("118.65"));
    let doc = SalesDocument::from_quote(order_id(), "R07-000124".into(), ctx().now, o, &q).expect("commit");
    assert_eq!((doc.total.to_string(), doc.taxes.total.to_string()), ("118.65".into(), "118.66".into()));
    assert!(data.verify(&ontario(), &doc, &ctx()).is_ok());
}

#[test]
fn the_price_list_in_force_on_the_business_date_prices_the_order() {
    let data = Data::new();
    let mut o = ontario_order();
    o.business_date = date("2025-12-31");
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert_eq!(q.price_list_id, "PL-RETAIL-2025");
    assert_eq!(q.unit_prices, vec![d("3.29"), d("12.40"), d("0.85"), d("5.19")]);
    o.business_date = date("2026-01-01");
    assert_eq!(data.quote(&ontario(), &o, &ctx()).expect("quote").price_list_id, "PL-RETAIL-2026");

    let catalog = data.catalog();
    assert!(catalog.price_list_for("wholesale", date("2026-03-02")).is_none());
    // Before every list: the one that starts first.
    assert_eq!(catalog.price_list_for("retail", date("2024-06-01")).map(|l| l.id.as_str()), Some("PL-RETAIL-2025"));
    assert_eq!(catalog.product("CANDY-KG").map(|p| p.quantity_places), Some(3));
    assert_eq!(catalog.product("SODA-355").map(|p| p.tax_class.as_str()), Some("standard"));

    let mut elsewhere = ontario();
    elsewhere.group = "wholesale".into();
    let err = data.quote(&elsewhere, &ontario_order(), &ctx()).expect_err("no list");
    assert_eq!((err.code(), err.field()), ("no_price_list", "outlet.group"));
}

#[test]
fn an_expired_price_list_still_prices_but_blocks_by_default_and_warns_when_configured() {
    let mut data = Data::new();
    let mut o = ontario_order();
    o.business_date = date("2027-01-15");
    // Default policy: `price_list_expired` blocks (RuleSeverities::default).
    assert_eq!(ValidationPolicy::default().severity.price_list_expired, Severity::Block);
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert_eq!(q.price_list_id, "PL-RETAIL-2026");
    assert_eq!(q.unit_prices[0], d("3.49"));
    assert!(q.verdict.blocked);
    let expired: Vec<_> = q.verdict.of_rule(Rule::PriceListExpired).collect();
    assert_eq!(expired.len(), 4);
    assert_eq!(expired[0].field, "lines[0].sku");
    assert!(expired[0].message.contains("expired on 2027-01-01"), "{}", expired[0].message);
    assert!(q.taxes.is_some(), "an expired list is not structural: the order is still taxed");
    let err = SalesDocument::from_quote(order_id(), "R07-000125".into(), ctx().now, o.clone(), &q).expect_err("blocked");
    assert_eq!((err.code(), err.field()), ("price_list_expired", "lines[0].sku"));

    data.settings.policy.severity.price_list_expired = Severity::WarnAndFlag;
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert!(!q.verdict.blocked && q.verdict.flagged_for_review);
    assert!(q.verdict.findings.iter().all(|f| f.rule == Rule::PriceListExpired && f.severity == Severity::WarnAndFlag));
    assert_eq!(q.verdict.findings.len(), 4);
}

#[test]
fn an_order_over_the_credit_limit_is_allowed_flagged_and_dated() {
    let data = Data::new();
    let mut c = ctx();
    c.pending_on_device = d("100.00");
    let q = data.quote(&ontario(), &ontario_order(), &c).expect("quote");
    // 320.00 outstanding + 100.00 waiting to sync + 118.66 = 538.66: 38.66 over 500.00.
    assert!(!q.verdict.blocked && q.verdict.flagged_for_review);
    assert_eq!(q.verdict.findings.len(), 1);
    let f = &q.verdict.findings[0];
    assert_eq!((f.rule, f.severity, f.field.as_str()), (Rule::CreditLimit, Severity::WarnAndFlag, "outlet.credit"));
    assert_eq!(f.data_as_of, Some(at(CREDIT_AS_OF)));
    assert!(f.message.contains("credit as of 2026-03-01 22:00 UTC"), "{}", f.message);
    match &f.details {
        Details::CreditLimit { order_total, exposure, excess, pending_on_device, .. } => {
            assert_eq!(
                (order_total.to_string(), exposure.to_string(), excess.to_string(), pending_on_device.to_string()),
                ("118.66".into(), "538.66".into(), "38.66".into(), "100.00".into())
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    let doc = SalesDocument::from_quote(order_id(), "R07-000126".into(), c.now, ontario_order(), &q).expect("allowed");
    assert!(doc.flagged);
    assert_eq!(doc.findings, q.verdict.findings);
}

#[test]
fn an_unknown_sku_or_one_the_list_does_not_price_is_a_typed_error_naming_the_line() {
    let data = Data::new();
    let o = order("OUT-ON-017", vec![line("CHIPS-200", "10"), line("CHIPS-2OO", "5")]);
    let err = data.quote(&ontario(), &o, &ctx()).expect_err("unknown");
    assert_eq!((err.code(), err.field()), ("unknown_product", "lines[1].sku"));
    assert_eq!(err, SalesError::UnknownProduct { field: "lines[1].sku".into(), sku: "CHIPS-2OO".into() });
    assert_eq!(
        serde_json::to_value(&err).expect("json"),
        json!({"code": "unknown_product", "field": "lines[1].sku", "message": "lines[1].sku: unknown product \"CHIPS-2OO\""})
    );

    let o = order("OUT-ON-017", vec![line("MILK-2L", "2"), line("SODA-355", "12"), line("ICE-TEA", "6")]);
    let err = data.quote(&ontario(), &o, &ctx()).expect_err("not priced");
    assert_eq!((err.code(), err.field()), ("no_price", "lines[2].sku"));

    let err = data.quote(&quebec(), &ontario_order(), &ctx()).expect_err("other outlet");
    assert_eq!((err.code(), err.field()), ("outlet_mismatch", "outlet_id"));

    let mut wrong = data.settings.clone();
    wrong.currency = "USD".into();
    let err = quote(&wrong, &data.rules, &data.catalog(), &ontario(), &ontario_order(), &ctx()).expect_err("currency");
    assert_eq!((err.code(), err.field()), ("settings_mismatch", "currency"));
}

#[test]
fn a_tax_engine_error_keeps_its_field() {
    let data = Data::new();
    let mut outlet = ontario();
    outlet.place_of_supply = "CA-XX".into();
    let err = data.quote(&outlet, &ontario_order(), &ctx()).expect_err("unknown place");
    assert_eq!((err.code(), err.field()), ("unknown_jurisdiction", "place_of_supply"));
    assert!(matches!(err, SalesError::Tax(_)));
}

#[test]
fn a_tax_included_price_list_keeps_the_shelf_price_as_the_total() {
    let mut data = Data::new();
    data.lists.push(
        serde_json::from_value(json!({
            "id": "PL-KIOSK-2026", "outlet_group": "kiosk", "valid_from": "2026-01-01",
            "prices_include_tax": true, "prices": {"CHIPS-200": "3.95"}
        }))
        .expect("list"),
    );
    let mut kiosk = ontario();
    kiosk.group = "kiosk".into();
    let o = order("OUT-ON-017", vec![line("CHIPS-200", "10")]);
    let q = data.quote(&kiosk, &o, &ctx()).expect("quote");
    assert_eq!(q.price_list_id, "PL-KIOSK-2026");
    let t = q.taxes.as_ref().expect("taxes");
    // 10 × 3.95 = 39.50 on the shelf, HST included: the total stays 39.50 (not 39.50 × 1.13).
    assert_eq!(q.total, Some(d("39.50")));
    assert_eq!(t.untaxed.value() + t.tax.value(), d("39.50").value());
    // Untaxed 39.50 / 1.13 = 34.9557…; each part on it, half-up: 5 % = 1.7478 → 1.75,
    // 8 % = 2.7965 → 2.80; the untaxed amount is what is left: 39.50 − 4.55 = 34.95.
    assert_eq!(line_taxes(&q, 0), pairs(&[("HST-FED", "1.75"), ("HST-ON-PROV", "2.80")]));
    assert_eq!((t.untaxed.to_string(), t.tax.to_string()), ("34.95".into(), "4.55".into()));
}

#[test]
fn the_outlets_exemption_reaches_the_tax_engine() {
    let data = Data::new();
    let mut outlet = ontario();
    outlet.delivered_to_reserve = true;
    outlet.customer = serde_json::from_value(json!({
        "category": "first_nations",
        "certificate": {"number": "0123456789", "holder": "J. Whitehorse"}
    }))
    .expect("customer");
    let q = data.quote(&outlet, &ontario_order(), &ctx()).expect("quote");
    let t = q.taxes.as_ref().expect("taxes");
    assert_eq!(t.tax, d("0.00"));
    assert_eq!(t.exemptions.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), ["FN-ON-RESERVE"]);
    assert_eq!(q.total, Some(d("107.44")));

    outlet.customer.certificate = None;
    let err = data.quote(&outlet, &ontario_order(), &ctx()).expect_err("no certificate");
    assert_eq!((err.code(), err.field()), ("certificate_required", "customer.certificate"));
}

#[test]
fn a_zero_quantity_is_a_blocking_finding_and_the_tax_engine_is_not_fed() {
    let data = Data::new();
    let o = order("OUT-ON-017", vec![line("CHIPS-200", "0"), line("SODA-355", "12")]);
    let q = data.quote(&ontario(), &o, &ctx()).expect("a quote, not an error");
    assert!(q.verdict.blocked);
    let f = &q.verdict.findings[0];
    assert_eq!((f.rule, f.severity, f.field.as_str()), (Rule::NonPositiveQuantity, Severity::Block, "lines[0].quantity"));
    assert_eq!((q.taxes.is_none(), q.total), (true, None));
    assert_eq!(q.unit_prices, vec![d("3.49"), d("0.89")]);
    let err = SalesDocument::from_quote(order_id(), "R07-000127".into(), ctx().now, o, &q).expect_err("blocked");
    assert_eq!((err.code(), err.field()), ("non_positive_quantity", "lines[0].quantity"));

    let o = order("OUT-ON-017", vec![]);
    let q = data.quote(&ontario(), &o, &ctx()).expect("a quote");
    assert!(q.verdict.blocked && q.taxes.is_none());
    assert_eq!(q.verdict.findings[0].field, "lines");
}

#[test]
fn too_many_decimals_for_the_unit_is_a_blocking_finding() {
    let data = Data::new();
    let o = order("OUT-ON-017", vec![line("CANDY-KG", "1.25"), line("CHIPS-200", "2.5")]);
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert!(q.verdict.blocked && q.taxes.is_none());
    let precision: Vec<_> = q.verdict.of_rule(Rule::QuantityPrecision).collect();
    assert_eq!(precision.len(), 1, "1.25 kg is fine, 2.5 pieces is not");
    assert_eq!((precision[0].field.as_str(), precision[0].severity), ("lines[1].quantity", Severity::Block));

    let o = order("OUT-ON-017", vec![line("CANDY-KG", "1.2345")]);
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert_eq!(q.verdict.of_rule(Rule::QuantityPrecision).map(|f| f.field.as_str()).collect::<Vec<_>>(), ["lines[0].quantity"]);
}

#[test]
fn a_case_product_must_be_ordered_in_whole_packs() {
    let data = Data::new();
    let o = order("OUT-ON-017", vec![line("SODA-355", "18")]);
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    let f: Vec<_> = q.verdict.of_rule(Rule::PackMultiple).collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("12 or 24"), "{}", f[0].message);
    assert!(q.verdict.blocked && q.taxes.is_some(), "not structural: still taxed");
}

#[test]
fn a_return_mirrors_the_sale_and_skips_the_sale_only_checks() {
    let data = Data::new();
    // 18 cans is not a whole number of 12-packs: a sale blocks, a return takes them back.
    let mut o = order("OUT-ON-017", vec![line("CHIPS-200", "10"), line("SODA-355", "18")]);
    o.kind = OrderKind::Return;
    let q = data.quote(&ontario(), &o, &ctx()).expect("quote");
    assert!(!q.verdict.blocked, "{:?}", q.verdict.findings);
    assert_eq!(q.verdict.of_rule(Rule::PackMultiple).count(), 0);
    assert_eq!(q.verdict.of_rule(Rule::CreditLimit).count(), 0);
    let t = q.taxes.as_ref().expect("taxes");
    // −34.90 and −16.02 (18 × 0.89); HST 5 % and 8 % per line, mirrored.
    assert_eq!(line_taxes(&q, 0), pairs(&[("HST-FED", "-1.75"), ("HST-ON-PROV", "-2.79")]));
    assert_eq!(t.untaxed.to_string(), "-50.92");
    // The sale of the same chips line is the exact negation.
    let sale = data.quote(&ontario(), &order("OUT-ON-017", vec![line("CHIPS-200", "10")]), &ctx()).expect("quote");
    assert_eq!(line_taxes(&sale, 0), pairs(&[("HST-FED", "1.75"), ("HST-ON-PROV", "2.79")]));
    // A return still refuses a non-positive quantity: take back "-3" makes no sense.
    let mut bad = order("OUT-ON-017", vec![line("CHIPS-200", "-3")]);
    bad.kind = OrderKind::Return;
    assert!(data.quote(&ontario(), &bad, &ctx()).expect("quote").verdict.blocked);
    // And the server accepts the device's return document.
    let doc = data.commit(&ontario(), o, &ctx());
    assert!(serde_json::to_string(&doc).expect("json").contains("\"kind\":\"return\""));
    data.verify(&ontario(), &doc, &ctx()).expect("the server agrees");
}

// ---------------------------------------------------------------------------------------------
// The server's check

#[test]
fn a_document_from_the_device_quote_passes_the_server_check_with_the_same_data() {
    let data = Data::new();
    let doc = data.commit(&ontario(), ontario_order(), &ctx());
    assert_eq!(doc.total, d("118.66"));
    assert_eq!(doc.taxes.lines.len(), 4);
    let v = data.verify(&ontario(), &doc, &ctx()).expect("accepted");
    assert!(!v.flagged && v.reasons.is_empty());
}

#[test]
fn a_tampered_unit_price_is_rejected_naming_the_price() {
    let data = Data::new();
    let mut doc = data.commit(&ontario(), ontario_order(), &ctx());
    doc.unit_prices[1] = d("11.80");
    let err = data.verify(&ontario(), &doc, &ctx()).expect_err("tampered");
    assert_eq!((err.code(), err.field()), ("price_mismatch", "unit_prices[1]"));
    assert_eq!(err.to_string(), "unit_prices[1]: the device says 11.80, the price list says 12.80");

    let mut doc = data.commit(&ontario(), ontario_order(), &ctx());
    doc.price_list_id = "PL-RETAIL-2025".into();
    let err = data.verify(&ontario(), &doc, &ctx()).expect_err("other list");
    assert_eq!((err.code(), err.field()), ("price_list_mismatch", "price_list_id"));
}

#[test]
fn a_tampered_tax_amount_is_rejected_naming_the_line_and_the_tax() {
    let data = Data::new();
    let mut doc = data.commit(&ontario(), ontario_order(), &ctx());
    assert_eq!(doc.taxes.lines[0].taxes[1].code, "HST-ON-PROV");
    doc.taxes.lines[0].taxes[1].amount = d("2.69");
    let err = data.verify(&ontario(), &doc, &ctx()).expect_err("tampered");
    assert_eq!((err.code(), err.field()), ("tax_mismatch", "taxes.lines[0].taxes.HST-ON-PROV.amount"));
    match err {
        SalesRejection::TaxMismatch { line_id, tax, expected, got, .. } => {
            assert_eq!((line_id.as_deref(), tax.as_deref(), expected.as_str(), got.as_str()), (Some("0"), Some("HST-ON-PROV"), "2.79", "2.69"));
        }
        other => panic!("unexpected {other:?}"),
    }

    let mut doc = data.commit(&ontario(), ontario_order(), &ctx());
    doc.taxes.tax = d("11.00");
    assert_eq!(data.verify(&ontario(), &doc, &ctx()).expect_err("tax").field(), "taxes.tax");
}

#[test]
fn a_tampered_total_is_rejected_naming_the_total() {
    let data = Data::new();
    let mut doc = data.commit(&ontario(), ontario_order(), &ctx());
    doc.total = d("108.66");
    let err = data.verify(&ontario(), &doc, &ctx()).expect_err("tampered");
    assert_eq!((err.code(), err.field()), ("total_mismatch", "total"));
    assert_eq!(err, SalesRejection::TotalMismatch { field: "total".into(), expected: d("118.66"), got: d("108.66") });
    assert_eq!(
        serde_json::to_value(&err).expect("json"),
        json!({"code": "total_mismatch", "field": "total", "message": "total: the device says 108.66, the server computes 118.66"})
    );
}

#[test]
fn the_servers_higher_balance_flags_the_order_for_credit() {
    let data = Data::new();
    let doc = data.commit(&ontario(), ontario_order(), &ctx());
    assert!(!doc.flagged && doc.findings.is_empty(), "the device saw 438.66 against 500.00");
    // The server has received another order since: 420.00 outstanding as of 13:00 today.
    let mut server_outlet = ontario();
    let server_as_of = at("2026-03-02T13:00:00Z");
    server_outlet.credit = Some(satchel_core::sales::CreditInfo { limit: d("500.00"), outstanding: d("420.00"), as_of: server_as_of });
    let mut server_ctx = ctx();
    server_ctx.now = at("2026-03-02T16:30:00Z"); // not used: validation looks at committed_at
    let v = data.verify(&server_outlet, &doc, &server_ctx).expect("allowed, flagged");
    assert!(v.flagged);
    assert_eq!(v.reasons.len(), 1);
    let r = &v.reasons[0];
    assert_eq!((r.rule, r.severity, r.data_as_of), (Rule::CreditLimit, Severity::WarnAndFlag, Some(server_as_of)));
    match &r.details {
        Details::CreditLimit { excess, .. } => assert_eq!(excess.to_string(), "38.66"), // 420 + 118.66 − 500
        other => panic!("unexpected {other:?}"),
    }

    // Where the deployment blocks over-credit orders, the server refuses it with the rule's code.
    let mut strict = Data::new();
    strict.settings.policy.severity.credit_limit = Severity::Block;
    let err = strict.verify(&server_outlet, &doc, &server_ctx).expect_err("blocked");
    assert_eq!((err.code(), err.field()), ("credit_limit", "outlet.credit"));
}

#[test]
fn the_server_decides_the_flag_with_its_own_data() {
    let data = Data::new();
    let mut c = ctx();
    c.pending_on_device = d("100.00");
    let doc = data.commit(&ontario(), ontario_order(), &c);
    assert!(doc.flagged, "the device saw 538.66 against 500.00");
    // On the server the pending orders are in the balance, and the outlet has paid since.
    let mut server_outlet = ontario();
    server_outlet.credit = Some(satchel_core::sales::CreditInfo { limit: d("500.00"), outstanding: d("150.00"), as_of: at("2026-03-02T13:00:00Z") });
    let v = data.verify(&server_outlet, &doc, &ctx()).expect("accepted");
    assert!(!v.flagged && v.reasons.is_empty());
    assert!(doc.flagged, "the device's flag stays on the document for the record");
}

#[test]
fn the_server_refuses_what_it_cannot_price_or_what_its_validation_blocks() {
    let data = Data::new();
    let doc = data.commit(&ontario(), ontario_order(), &ctx());
    // The server's catalog no longer has the candy.
    let mut products = products();
    products.retain(|p| p.sku != "CANDY-KG");
    let lists = price_lists();
    let err = verify(&data.settings, &data.rules, &Catalog::new(&products, &lists), &ontario(), &doc, &ctx()).expect_err("unknown");
    assert_eq!((err.code(), err.field()), ("unknown_product", "lines[1].sku"));

    // A device that skipped validation: zero quantity.
    let mut bad = doc.clone();
    bad.order.lines[0].quantity = d("0");
    let err = data.verify(&ontario(), &bad, &ctx()).expect_err("blocked");
    assert_eq!((err.code(), err.field()), ("non_positive_quantity", "lines[0].quantity"));

    // A duplicate the server already received within the window (of `committed_at`, 14:05,
    // not of the server's clock) is flagged, not refused.
    let mut server_ctx = ctx();
    server_ctx.now = at("2026-03-02T18:00:00Z");
    server_ctx.recent_orders = vec![serde_json::from_value(json!({
        "order_id": "01958a2e-0000-7000-8000-000000000001", "outlet_id": "OUT-ON-017",
        "committed_at": "2026-03-02T14:01:00Z",
        "lines": [{"sku": "MILK-2L", "quantity": "4"}, {"sku": "CHIPS-200", "quantity": "10"},
                  {"sku": "SODA-355", "quantity": "24"}, {"sku": "CANDY-KG", "quantity": "2.345"}]
    }))
    .expect("recent order")];
    let v = data.verify(&ontario(), &doc, &server_ctx).expect("flagged");
    assert!(v.flagged);
    assert_eq!(v.reasons.iter().map(|r| r.rule).collect::<Vec<_>>(), [Rule::LikelyDuplicate]);
}

// ---------------------------------------------------------------------------------------------
// The document on the wire

#[test]
fn a_sales_document_round_trips_through_json_byte_for_byte() {
    let data = Data::new();
    let mut c = ctx();
    c.pending_on_device = d("100.00");
    let mut o = ontario_order();
    o.lines[0].discount_percent = Some(d("5.0"));
    o.order_discount_percent = Some(d("2"));
    o.note = Some("Back door, before 10:00".into());
    o.requested_delivery_date = Some(date("2026-03-04"));
    o.customer_reference = Some("PO-88412".into());
    let doc = data.commit(&ontario(), o, &c);
    assert!(doc.flagged && !doc.findings.is_empty());
    // Line 0: 34.90 − 5 % (1.745 → 1.75) = 33.15; 2 % of 105.69 = 2.11 spread as 0.66, 0.60,
    // 0.43, 0.42 (largest remainders); 33.15 − 0.66 = 32.49; × 5 % = 1.6245 → 1.62.

    let text = serde_json::to_string_pretty(&doc).expect("serializes");
    println!("{text}");
    let back: SalesDocument = serde_json::from_str(&text).expect("parses");
    assert_eq!(back, doc);
    assert_eq!(serde_json::to_string_pretty(&back).expect("serializes"), text);
    // Scale is kept ("5.0" stays "5.0"), amounts are strings, never numbers.
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["order"]["lines"][0]["discount_percent"], json!("5.0"));
    assert_eq!(v["unit_prices"][1], json!("12.80"));
    assert_eq!(v["taxes"]["lines"][0]["taxes"][0], json!({"code": "HST-FED", "amount": "1.62"}));
    assert!(v["total"].is_string() && v["taxes"]["total"].is_string());
    assert_eq!(v["findings"][0]["rule"], json!("credit_limit"));
    // Unknown fields are refused.
    let mut extra = v.clone();
    extra["discount_code"] = json!("X");
    assert!(serde_json::from_value::<SalesDocument>(extra).is_err());
    // And the parsed document still passes the server's check.
    assert!(data.verify(&ontario(), &back, &c).is_ok());
}

#[test]
fn inputs_refuse_unknown_fields_and_numbers_for_money() {
    assert!(serde_json::from_value::<SalesLine>(json!({"sku": "A", "quantity": "1", "unit_price": "2.00"})).is_err());
    assert!(serde_json::from_value::<SalesLine>(json!({"sku": "A", "quantity": 1})).is_err());
    let o: SalesOrder = serde_json::from_value(json!({
        "outlet_id": "OUT-ON-017", "business_date": "2026-03-02", "lines": [{"sku": "CHIPS-200", "quantity": "1"}]
    }))
    .expect("defaults");
    assert_eq!((o.cash, o.order_discount_percent, o.lines[0].discount_percent), (false, None, None));
    let outlet = quebec();
    assert_eq!((outlet.contact_name.as_str(), outlet.delivered_to_reserve, outlet.credit), ("", false, None));
    assert_eq!(settings().policy, ValidationPolicy::default());
}

/// The server reads an outlet's recent orders from their stored text without decoding the whole
/// document; that reading gives exactly what the rule remembers of the decoded one, and leaves a
/// receipt of the counter out, as `duplicate_rule_applies` does.
#[test]
fn a_stored_document_is_remembered_by_the_duplicate_rule_as_the_decoded_one() {
    use satchel_core::sales::effects::{duplicate_rule_applies, recent_order, stored_recent_order};
    let data = Data::new();
    let doc = data.commit(&ontario(), ontario_order(), &ctx());
    assert!(duplicate_rule_applies(&doc));
    let text = serde_json::to_string(&doc).expect("json");
    assert_eq!(stored_recent_order(&text).expect("reads"), Some(recent_order(&doc)));
    assert_eq!(recent_order(&doc).lines.len(), 4, "every line, with its quantity");

    let mut receipt = serde_json::to_value(&doc).expect("json");
    receipt["counter"] = json!({"register": "R1", "tenders": []});
    assert_eq!(stored_recent_order(&receipt.to_string()).expect("reads"), None);
    assert!(stored_recent_order("{\"order_id\": 1}").is_err(), "a damaged document is an error, not nothing");
}
