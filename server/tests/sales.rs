//! Orders v2 end to end: the sales reference data, leased document numbers, `sales_order.create`
//! priced and taxed by core on the test's side exactly as a device does, the server's verdict
//! (applied, flagged, rejected naming the field), the outlet's balance and the review queue.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use satchel_core::money::Dec;
use satchel_core::sales::numbering::{format_number, take_next};
use satchel_core::sales::{NumberRange, OrderKind};
use satchel_core::sync::protocol::SalesReference;
use serde_json::{json, Value};

backend_tests! {
    the_reference_carries_the_sales_data_by_route,
    registration_leases_numbers_no_two_devices_share,
    claims_of_running_low_cannot_burn_the_numbering,
    a_v2_order_is_applied_with_the_servers_figures,
    tampered_v2_orders_are_rejected_naming_the_field,
    document_numbers_must_be_leased_and_unused,
    an_order_over_the_credit_limit_is_flagged_for_review,
    a_return_reduces_the_outstanding_balance,
    a_low_lease_is_topped_up_once,
    a_device_that_says_it_is_low_gets_a_lease_even_after_a_lost_answer,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_orders_for_one_outlet_all_count,
    a_demo_database_of_the_previous_version_gets_the_sales_data,
    the_documented_example_is_accepted,
}

fn d(s: &str) -> Decimal {
    dec(s).value()
}

fn money(v: &Value) -> Decimal {
    d(v.as_str().unwrap_or_else(|| panic!("an amount: {v}")))
}

/// The outlet's outstanding balance as the server reports it (supervisor's reference).
async fn outstanding(s: &TestServer, sup: &Device, outlet: &str) -> Decimal {
    let r = s.reference(sup).await;
    let o = sales_of(&r).outlets.iter().find(|o| o.id == outlet).expect("outlet").clone();
    o.credit.expect("credit terms").outstanding.value()
}

/// The next number of a device's leases.
fn next(ranges: &mut Vec<NumberRange>) -> String {
    take_next(ranges).expect("a leased number")
}

async fn the_reference_carries_the_sales_data_by_route(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;

    let r1 = s.reference(&rep1).await;
    let sales = sales_of(&r1);
    assert_eq!(sales.settings.rule_set, "ca");
    assert_eq!(sales.settings.currency, "CAD");
    assert_eq!(sales.settings.policy, satchel_core::validation::ValidationPolicy::default());
    assert_eq!(sales.role, "rep");
    // The catalog: every v1 product, with its v2 facts.
    assert_eq!(sales.products.len(), 800);
    for (v1, v2) in r1.products.iter().zip(&sales.products) {
        assert_eq!((&v1.sku, &v1.name, &v1.unit), (&v2.sku, &v2.name, &v2.unit));
        assert_eq!(v2.quantity_places, if v2.unit == "kg" { 3 } else { 0 }, "{}", v2.sku);
        assert_eq!(v2.pack_size.map(|p| p.value()), (v2.unit == "case of 12").then(|| d("12")), "{}", v2.sku);
        assert_eq!(v2.barcodes.len(), 1);
        assert!(v2.barcodes[0].len() == 13 && v2.barcodes[0].bytes().all(|b| b.is_ascii_digit()));
    }
    let classes: HashSet<&str> = sales.products.iter().map(|p| p.tax_class.as_str()).collect();
    assert_eq!(classes, HashSet::from(["standard", "zero_rated"]));
    assert!(sales.products.iter().any(|p| p.min_order_quantity.is_some()));
    let barcodes: HashSet<&str> = sales.products.iter().map(|p| p.barcodes[0].as_str()).collect();
    assert_eq!(barcodes.len(), 800);
    // Outlets on rep1's routes, with their place of supply and credit.
    assert_eq!(sales.outlets.len(), 100);
    let routes: HashSet<&str> = sales.outlets.iter().map(|o| o.route.as_str()).collect();
    assert_eq!(routes, HashSet::from(["R1", "R2"]));
    for (v1, v2) in r1.outlets.iter().zip(&sales.outlets) {
        assert_eq!(v1.id, v2.id);
        let expected: &[&str] = match v1.tax_rate.to_string().as_str() {
            "13" => &["CA-ON"],
            "15" => &["CA-NB", "CA-NL", "CA-PE"],
            "5" => &["CA-AB", "CA-YT"],
            other => panic!("rate {other}"),
        };
        assert!(expected.contains(&v2.place_of_supply.as_str()), "{} {}", v2.id, v2.place_of_supply);
        assert!(!v2.contact_name.is_empty());
        let credit = v2.credit.expect("credit terms");
        assert!(credit.outstanding.value() <= credit.limit.value());
    }
    // The documented near-limit outlets.
    for (id, limit, balance) in [("OUT-0021", "1500.00", "1475.00"), ("OUT-0034", "2500.00", "2490.00"), ("OUT-0037", "1000.00", "1000.00")] {
        let o = sales.outlets.iter().find(|o| o.id == id).expect("near-limit outlet on rep1's routes");
        let c = o.credit.expect("credit");
        assert_eq!((c.limit.value(), c.outstanding.value()), (d(limit), d(balance)), "{id}");
    }
    // The price lists of those outlets' groups; the retail list is the v1 price.
    let groups: HashSet<&str> = sales.outlets.iter().map(|o| o.group.as_str()).collect();
    assert_eq!(groups, HashSet::from(["retail", "wholesale"]));
    let ids: Vec<&str> = sales.price_lists.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["PL-RETAIL-2026", "PL-RETAIL-2027", "PL-WHOLESALE-2026", "PL-WHOLESALE-2027"]);
    let retail = &sales.price_lists[0];
    assert_eq!(retail.valid_from.to_string(), "2026-01-01");
    assert_eq!(retail.valid_until.map(|u| u.to_string()).as_deref(), Some("2027-01-01"));
    for p in &r1.products {
        assert_eq!(retail.prices[&p.sku].value(), p.unit_price.value(), "{}", p.sku);
        assert!(sales.price_lists[2].prices[&p.sku].value() < p.unit_price.value() || p.unit_price.value() < d("0.10"));
    }
    // The van.
    assert_eq!(sales.van_stock.len(), 800);
    assert!(sales.van_stock.values().any(|l| l.available.value() < d("5")), "a few SKUs are low");
    assert!(plain_skus(sales).len() > 300);

    let r2 = s.reference(&rep2).await;
    let routes: HashSet<&str> = sales_of(&r2).outlets.iter().map(|o| o.route.as_str()).collect();
    assert_eq!(routes, HashSet::from(["R2", "R3"]));

    let all = s.reference(&sup).await;
    let sales = sales_of(&all);
    assert_eq!(sales.role, "supervisor");
    assert_eq!(sales.outlets.len(), 211, "the 200 field outlets, the shop's 3 customers and route D1's 8");
    assert!(sales.van_stock.is_empty(), "the supervisor has no van");
    assert_eq!(sales.price_lists.len(), 4);
}

async fn registration_leases_numbers_no_two_devices_share(backend: Backend) {
    let s = start(backend).await;
    let mut seen: Vec<NumberRange> = Vec::new();
    for (user, pass) in [("rep1", "rep1-demo"), ("rep1", "rep1-demo"), ("rep2", "rep2-demo"), ("super", "super-demo")] {
        let dev = s.register(user, pass).await;
        assert_eq!(dev.number_ranges.len(), 1, "{user}");
        let r = &dev.number_ranges[0];
        assert_eq!((r.prefix.as_str(), r.len()), ("SO-", 1000));
        for other in &seen {
            assert!(r.last < other.first || other.last < r.first, "{r:?} overlaps {other:?}");
        }
        seen.push(r.clone());
    }
    let mut numbers = HashSet::new();
    for r in &seen {
        numbers.extend(r.first..=r.last);
    }
    assert_eq!(numbers.len(), 4000);
}

async fn a_v2_order_is_applied_with_the_servers_figures(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = dev.number_ranges.clone();
    let outlet = "OUT-0001";
    let before = outlet_balance(sales, outlet);
    let doc = sales_doc(sales, outlet, &[(&skus[0], "3"), (&skus[1], "1")], OrderKind::Sale, next(&mut numbers));
    assert!(!doc.flagged, "{:?}", doc.findings);
    let (status, v) = s.push(&dev, &[sales_mutation(&dev, 1, doc.clone())]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied"], "{v}");
    assert!(v.get("number_ranges").is_none(), "no top-up: {v}");

    let orders = s.orders(&dev).await;
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(o["version"], 2);
    assert_eq!(o["document_number"], doc.document_number);
    assert_eq!(o["kind"], "sale");
    assert_eq!(o["flagged"], false);
    assert_eq!(o["line_count"], 2);
    assert_eq!(money(&o["total"]), doc.total.value());
    assert_eq!(money(&o["tax"]), doc.taxes.tax.value());
    assert_eq!(money(&o["subtotal"]) + money(&o["tax"]), doc.taxes.total.value());
    let breakdown: BTreeMap<String, Value> = serde_json::from_value(o["taxes"].clone()).expect("tax breakdown");
    let sum: Decimal = breakdown.values().map(money).sum();
    assert_eq!(sum, doc.taxes.tax.value(), "{breakdown:?}");
    assert!(breakdown.keys().any(|k| k.starts_with("HST")), "an Ontario outlet pays HST: {breakdown:?}");

    // The balance and the van moved with the order.
    assert_eq!(outstanding(&s, &sup, outlet).await, before + doc.total.value());
    let after = s.reference(&dev).await;
    let van = &sales_of(&after).van_stock;
    assert_eq!(van[&skus[0]].available.value(), sales.van_stock[&skus[0]].available.value() - d("3"));

    // The same lines again a minute later: a likely duplicate, flagged by the server.
    let again = sales_doc(sales, outlet, &[(&skus[1], "1"), (&skus[0], "3")], OrderKind::Sale, next(&mut numbers));
    let (status, v) = s.push(&dev, &[sales_mutation(&dev, 2, again)]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["flagged"], "{v}");
    let rules: Vec<&str> = v["results"][0]["reasons"].as_array().expect("reasons").iter().map(|r| r["rule"].as_str().expect("rule")).collect();
    assert_eq!(rules, ["likely_duplicate"]);
}

fn outlet_balance(sales: &SalesReference, id: &str) -> Decimal {
    sales.outlets.iter().find(|o| o.id == id).and_then(|o| o.credit).expect("credit").outstanding.value()
}

async fn tampered_v2_orders_are_rejected_naming_the_field(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = dev.number_ranges.clone();
    let good = |numbers: &mut Vec<NumberRange>| {
        sales_doc(sales, "OUT-0002", &[(&skus[2], "2"), (&skus[3], "5")], OrderKind::Sale, next(numbers))
    };

    let mut cheap = good(&mut numbers);
    cheap.unit_prices[1] = dec("0.01");
    let mut tax = good(&mut numbers);
    let t = &mut tax.taxes.lines[0].taxes[0];
    t.amount = Dec(t.amount.value() + Decimal::new(1, 2));
    let tax_code = t.code.clone();
    let mut total = good(&mut numbers);
    total.total = Dec(total.total.value() - Decimal::ONE);
    let mut list = good(&mut numbers);
    list.price_list_id = "PL-WHOLESALE-2026".into();
    // An R3 outlet is not on rep1's routes: priced with the supervisor's data, refused.
    let all = s.reference(&sup).await;
    let r3 = sales_of(&all).outlets.iter().find(|o| o.route == "R3").expect("an R3 outlet").id.clone();
    let off_route = sales_doc(sales_of(&all), &r3, &[(&skus[2], "1")], OrderKind::Sale, next(&mut numbers));
    let mut unknown = good(&mut numbers);
    unknown.order.lines[0].sku = "SKU-99999".into();
    let fine = good(&mut numbers);
    let mut same_id = good(&mut numbers);
    same_id.order_id = fine.order_id;

    let docs = [cheap, tax, total, list, off_route, unknown, fine, same_id];
    let batch: Vec<_> = docs.into_iter().enumerate().map(|(i, doc)| sales_mutation(&dev, i as u64 + 1, doc)).collect();
    let (status, v) = s.push(&dev, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        statuses(&v),
        ["rejected", "rejected", "rejected", "rejected", "rejected", "rejected", "applied", "rejected"],
        "{v}"
    );
    let r = &v["results"];
    let expect = [
        ("price_mismatch", "unit_prices[1]".to_string()),
        ("tax_mismatch", format!("taxes.lines[0].taxes.{tax_code}.amount")),
        ("total_mismatch", "total".to_string()),
        ("price_list_mismatch", "price_list_id".to_string()),
        ("unknown_outlet", "outlet_id".to_string()),
        ("unknown_product", "lines[0].sku".to_string()),
    ];
    for (i, (code, field)) in expect.iter().enumerate() {
        assert_eq!(r[i]["code"], *code, "{i}: {}", r[i]);
        assert_eq!(r[i]["field"], field.as_str(), "{i}: {}", r[i]);
        assert!(r[i]["reason"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(r[7]["code"], "duplicate_order");
    assert_eq!(v["last_seq"], 8);
    assert_eq!(s.orders(&dev).await.len(), 1);
    // Replays answer with the first outcome.
    let (_, v) = s.push(&dev, &batch[..1]).await;
    assert_eq!(v["results"][0]["status"], "duplicate");
    assert_eq!(v["results"][0]["original"], "rejected");
}

async fn document_numbers_must_be_leased_and_unused(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let other = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mine = &dev.number_ranges[0];
    let theirs = &other.number_ranges[0];
    // Different quantities each time: the same lines again would be a likely duplicate.
    let doc = |number: String, qty: u32| {
        sales_doc(sales, "OUT-0005", &[(&skus[4], &qty.to_string())], OrderKind::Sale, number)
    };

    let first = format_number("SO-", mine.first);
    let cases = [
        doc(first.clone(), 1),                              // applied
        doc(first.clone(), 2),                              // the same number again
        doc(format_number("SO-", theirs.first), 3),         // another device's number
        doc(format_number("SO-", mine.last + 1_000_000), 4), // leased to nobody
        doc(format!("INV-{}", &first[3..]), 5),             // another prefix
        doc(format!("SO-{}", mine.first + 1), 6),           // not the canonical form (too short)
        doc(format_number("SO-", mine.first + 2), 7),       // skipping a number is fine
    ];
    let batch: Vec<_> = cases.into_iter().enumerate().map(|(i, d)| sales_mutation(&dev, i as u64 + 1, d)).collect();
    let (status, v) = s.push(&dev, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "rejected", "rejected", "rejected", "rejected", "rejected", "applied"], "{v}");
    for i in 1..6 {
        assert_eq!(v["results"][i]["code"], "document_number", "{i}: {v}");
        assert_eq!(v["results"][i]["field"], "document_number", "{i}: {v}");
    }

    // A number consumed by a rejected document is not reusable either (the gap policy).
    let mut rejected = doc(format_number("SO-", mine.first + 3), 8);
    rejected.total = Dec(rejected.total.value() + Decimal::ONE);
    let reuse = doc(format_number("SO-", mine.first + 3), 9);
    let (_, v) = s.push(&dev, &[sales_mutation(&dev, 8, rejected), sales_mutation(&dev, 9, reuse)]).await;
    assert_eq!(statuses(&v), ["rejected", "rejected"], "{v}");
    assert_eq!(v["results"][0]["code"], "total_mismatch");
    assert_eq!(v["results"][1]["code"], "document_number");

    // The other device's own number is still its to use.
    let (_, v) = s.push(&other, &[sales_mutation(&other, 1, doc(format_number("SO-", theirs.first), 10))]).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");
}

async fn an_order_over_the_credit_limit_is_flagged_for_review(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = dev.number_ranges.clone();
    let outlet = "OUT-0021";
    let before = outlet_balance(sales, outlet);
    let doc = sales_doc(sales, outlet, &[(&skus[5], "4"), (&skus[6], "2")], OrderKind::Sale, next(&mut numbers));
    assert!(doc.total.value() > d("25"), "the order is more than the headroom");
    assert!(doc.flagged, "the device warns too");
    let m = sales_mutation(&dev, 1, doc.clone());
    let (status, v) = s.push(&dev, std::slice::from_ref(&m)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["flagged"], "{v}");
    let reasons = v["results"][0]["reasons"].as_array().expect("reasons");
    assert_eq!(reasons.len(), 1, "{v}");
    assert_eq!(reasons[0]["rule"], "credit_limit");
    assert!(reasons[0]["message"].as_str().expect("message").contains("Over the credit limit"), "{v}");

    // A replay (the first answer may have been lost) is answered `flagged` again with the same
    // reasons, but nothing is applied twice: no second review item, no second debit.
    let (_, v) = s.push(&dev, std::slice::from_ref(&m)).await;
    assert_eq!(v["results"][0]["status"], "flagged", "{v}");
    assert_eq!(v["results"][0]["reasons"][0]["rule"], "credit_limit");
    assert_eq!(outstanding(&s, &sup, outlet).await, before + doc.total.value());

    // The supervisor sees it; a rep may not.
    let (status, v) = s.get("/api/v1/review?status=open", &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{v}");
    let item = &items[0];
    assert_eq!(item["order_id"], doc.order_id.to_string());
    assert_eq!(item["document_number"], doc.document_number);
    assert_eq!(item["outlet_id"], outlet);
    assert_eq!(item["username"], "rep1");
    assert_eq!(item["status"], "open");
    assert_eq!(money(&item["total"]), doc.total.value());
    assert_eq!(item["reasons"][0]["rule"], "credit_limit");
    assert_eq!(item["findings"][0]["details"]["rule"], "credit_limit");
    // With what was ordered: each line's product, quantity, unit price and taxes, as strings.
    let lines = item["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{item}");
    for (i, line) in lines.iter().enumerate() {
        let sku = &doc.order.lines[i].sku;
        let product = sales.products.iter().find(|p| &p.sku == sku).expect("product");
        assert_eq!(line["sku"], sku.as_str());
        assert_eq!(line["name"], product.name.as_str());
        assert_eq!(money(&line["quantity"]), doc.order.lines[i].quantity.value());
        assert_eq!(money(&line["unit_price"]), doc.unit_prices[i].value());
        assert!(line.get("discount_percent").is_none(), "no discount on this line: {line}");
        let taxes = line["taxes"].as_array().expect("taxes");
        assert_eq!(taxes.len(), doc.taxes.lines[i].taxes.len(), "{line}");
        for (t, claimed) in taxes.iter().zip(&doc.taxes.lines[i].taxes) {
            assert_eq!(t["code"], claimed.code.as_str());
            assert!(t["amount"].is_string(), "an amount is a decimal string: {t}");
            assert_eq!(money(&t["amount"]), claimed.amount.value());
        }
    }
    let (status, v) = s.get("/api/v1/review", &dev.token).await;
    assert_error(status, &v, 403, "forbidden");
    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_orders_flagged_total 1\n"), "{metrics}");
    assert!(metrics.contains("satchel_review_queue_open 1\n"), "{metrics}");
    let (status, v) = s.get("/api/v1/review?status=maybe", &sup.token).await;
    assert_error(status, &v, 400, "malformed_query");

    // Resolving.
    let resolve = |token: &str, id: &str, body: String| {
        let req = s
            .http
            .post(s.url(&format!("/api/v1/review/{id}/resolve")))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body);
        async move {
            let res = req.send().await.expect("resolve");
            let status = res.status();
            (status, res.json::<Value>().await.expect("json"))
        }
    };
    let id = doc.order_id.to_string();
    let approve = json!({"decision": "approve", "note": "known customer, paying Friday"}).to_string();
    let (status, v) = resolve(&dev.token, &id, approve.clone()).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = resolve(&sup.token, &id, r#"{"decision": "maybe"}"#.into()).await;
    assert_error(status, &v, 400, "malformed_json");
    let (status, v) = resolve(&sup.token, &uuid::Uuid::now_v7().to_string(), approve.clone()).await;
    assert_error(status, &v, 404, "not_found");
    let (status, v) = resolve(&sup.token, &id, approve.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "approved");
    assert_eq!(v["resolved_by"], "super");
    assert_eq!(v["note"], "known customer, paying Friday");
    assert_eq!(v["lines"].as_array().expect("the resolved item's lines").len(), 2, "{v}");
    let (status, v) = resolve(&sup.token, &id, json!({"decision": "reject"}).to_string()).await;
    assert_error(status, &v, 409, "already_resolved");

    let (_, v) = s.get("/api/v1/review", &sup.token).await;
    assert_eq!(v["items"].as_array().expect("items").len(), 0);
    let (_, v) = s.get("/api/v1/review?status=approved", &sup.token).await;
    assert_eq!(v["items"].as_array().expect("items").len(), 1);
    let orders = s.orders(&sup).await;
    assert_eq!(orders[0]["flagged"], true);
    assert_eq!(orders[0]["review_status"], "approved");
    assert!(s.metrics().await.contains("satchel_review_queue_open 0\n"));
}

async fn a_return_reduces_the_outstanding_balance(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = dev.number_ranges.clone();
    let outlet = "OUT-0006";
    let before = outlet_balance(sales, outlet);
    let sale = sales_doc(sales, outlet, &[(&skus[7], "6")], OrderKind::Sale, next(&mut numbers));
    let back = sales_doc(sales, outlet, &[(&skus[7], "2")], OrderKind::Return, next(&mut numbers));
    assert!(back.total.value() < Decimal::ZERO, "a return's total is negative");
    let (_, v) = s
        .push(&dev, &[sales_mutation(&dev, 1, sale.clone()), sales_mutation(&dev, 2, back.clone())])
        .await;
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");
    let after = outstanding(&s, &sup, outlet).await;
    assert_eq!(after, before + sale.total.value() + back.total.value());
    assert!(after < before + sale.total.value());
    let orders = s.orders(&dev).await;
    assert_eq!(orders[1]["kind"], "return");
    assert_eq!(money(&orders[1]["total"]), back.total.value());
    // The van got 2 back of the 6 sold.
    let r = s.reference(&dev).await;
    assert_eq!(
        sales_of(&r).van_stock[&skus[7]].available.value(),
        sales.van_stock[&skus[7]].available.value() - d("4")
    );
}

async fn a_low_lease_is_topped_up_once(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let lease = dev.number_ranges[0].clone();
    // 850 numbers used up offline (the device only sends the last one here): 149 left.
    let doc = sales_doc(sales, "OUT-0009", &[(&skus[8], "1")], OrderKind::Sale, format_number("SO-", lease.first + 850));
    let m = sales_mutation(&dev, 1, doc);
    let (status, v) = s.push(&dev, std::slice::from_ref(&m)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied"], "{v}");
    let ranges: Vec<NumberRange> = serde_json::from_value(v["number_ranges"].clone()).expect("a new lease");
    assert_eq!(ranges.len(), 1);
    let new = &ranges[0];
    assert_eq!((new.prefix.as_str(), new.len()), ("SO-", 1000));
    assert!(new.first > lease.last, "{new:?} after {lease:?}");

    // The same push again, and an empty one: the shortage was answered, nothing more is leased.
    let (_, v) = s.push(&dev, std::slice::from_ref(&m)).await;
    assert_eq!(statuses(&v), ["duplicate"]);
    assert!(v.get("number_ranges").is_none(), "{v}");
    let (_, v) = s.push(&dev, &[]).await;
    assert!(v.get("number_ranges").is_none(), "{v}");

    // The new range is usable, and another device's lease comes after it.
    let doc = sales_doc(sales, "OUT-0009", &[(&skus[9], "1")], OrderKind::Sale, format_number("SO-", new.first));
    let (_, v) = s.push(&dev, &[sales_mutation(&dev, 2, doc)]).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");
    let other = s.register("rep2", "rep2-demo").await;
    assert!(other.number_ranges[0].first > new.last);
}

async fn a_device_that_says_it_is_low_gets_a_lease_even_after_a_lost_answer(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let push_saying = |left: u64| {
        let body = json!({"device_id": dev.id, "mutations": [], "numbers_left": left});
        s.push_raw(Some(&dev.token), serde_json::to_vec(&body).expect("json"))
    };
    // Plenty left by both accounts: nothing leased.
    let (status, v) = push_saying(900).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("number_ranges").is_none(), "{v}");
    // The device says it is low (the answer carrying its last lease was lost, say), although
    // the server sees plenty unused: it gets a lease, and again if that answer is lost too.
    let (_, v) = push_saying(12).await;
    let first: Vec<NumberRange> = serde_json::from_value(v["number_ranges"].clone()).expect("a lease");
    let (_, v) = push_saying(12).await;
    let second: Vec<NumberRange> = serde_json::from_value(v["number_ranges"].clone()).expect("another lease");
    assert_eq!((first.len(), second.len()), (1, 1));
    assert!(second[0].first > first[0].last, "never the same numbers twice: {first:?} {second:?}");
    assert!(first[0].first > dev.number_ranges[0].last);
}

async fn concurrent_orders_for_one_outlet_all_count(backend: Backend) {
    let s = Arc::new(start(backend).await);
    let sup = s.register("super", "super-demo").await;
    let devices = [s.register("rep1", "rep1-demo").await, s.register("rep1", "rep1-demo").await];
    let reference = s.reference(&devices[0]).await;
    let sales = sales_of(&reference).clone();
    let skus = plain_skus(&sales);
    let outlet = "OUT-0010";
    let before = outlet_balance(&sales, outlet);
    const ROUNDS: usize = 6;
    let mut expected = before;
    let mut per_device: Vec<Vec<_>> = vec![Vec::new(), Vec::new()];
    for (k, dev) in devices.iter().enumerate() {
        let mut numbers = dev.number_ranges.clone();
        for round in 0..ROUNDS {
            let qty = format!("{}", 1 + round + 10 * k);
            let doc = sales_doc(&sales, outlet, &[(&skus[10 + round], &qty)], OrderKind::Sale, next(&mut numbers));
            expected += doc.total.value();
            per_device[k].push(sales_mutation(dev, round as u64 + 1, doc));
        }
    }
    for round in 0..ROUNDS {
        let tasks: Vec<_> = devices
            .iter()
            .zip(&per_device)
            .map(|(dev, ms)| {
                let (s, dev, m) = (s.clone(), dev.clone(), ms[round].clone());
                tokio::spawn(async move { s.push(&dev, &[m]).await })
            })
            .collect();
        for t in tasks {
            let (status, v) = t.await.expect("task");
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_ne!(v["results"][0]["status"], "rejected", "{v}");
        }
    }
    assert_eq!(outstanding(&s, &sup, outlet).await, expected);
    assert_eq!(s.orders(&sup).await.len(), 2 * ROUNDS);
}

/// A database seeded before orders v2 (users and the demo catalog, no sales settings) gets the
/// sales data on its next start, without counting as a new seed.
async fn a_demo_database_of_the_previous_version_gets_the_sales_data(backend: Backend) {
    let s = start(backend).await;
    let store = s.stop().await;
    {
        sqlx::any::install_default_drivers();
        let url = store.database_url().unwrap_or_else(|| {
            format!("sqlite://{}", store.data_dir().join("satchel.sqlite3").display())
        });
        let pool = sqlx::AnyPool::connect(&url).await.expect("connect");
        for sql in [
            "DELETE FROM settings",
            "DELETE FROM van_stock",
            "DELETE FROM price_list_items",
            "DELETE FROM price_lists",
            "UPDATE outlets SET outlet_group = NULL, place_of_supply = NULL, credit_limit = NULL, \
             outstanding = NULL, credit_as_of = NULL",
        ] {
            sqlx::query(sql).execute(&pool).await.expect(sql);
        }
        pool.close().await;
    }
    let s = start_in(store).await;
    assert!(!s.server.seeded);
    let dev = s.register("rep1", "rep1-demo").await;
    assert_eq!(dev.number_ranges.len(), 1);
    let r = s.reference(&dev).await;
    let sales = sales_of(&r);
    assert_eq!(sales.outlets.len(), 100);
    assert_eq!(sales.price_lists.len(), 4);
    assert_eq!(outlet_balance(sales, "OUT-0021"), d("1475.00"));
}

/// The `sales_order.create` example of docs/sync-protocol.md is a real document: the first
/// device's first number, priced and taxed with the demo data.
async fn the_documented_example_is_accepted(backend: Backend) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/sync-protocol.md")).expect("docs");
    let section = &text[text.find("### 3b.").expect("section 3b")..];
    let from = section.find("```json\n").expect("a JSON block") + "```json\n".len();
    let end = from + section[from..].find("\n```").expect("end of block");
    let mut example: Value = serde_json::from_str(&section[from..end]).expect("the example parses");
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    assert_eq!(dev.number_ranges[0].first, 1000, "the example uses the first device's first number");
    example["device_id"] = json!(dev.id);
    let m: satchel_core::sync::protocol::Mutation = serde_json::from_value(example).expect("a mutation");
    let (status, v) = s.push(&dev, &[m]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied"], "{v}");
}

async fn claims_of_running_low_cannot_burn_the_numbering(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    assert_eq!(dev.number_ranges.len(), 1, "a first range at registration");
    // Fifty empty pushes, each saying the device has no number left.
    let mut leased = 0;
    for _ in 0..50 {
        let body = serde_json::json!({"device_id": dev.id, "mutations": [], "numbers_left": 0});
        let (status, v) = s.push_raw(Some(&dev.token), serde_json::to_vec(&body).expect("json")).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        leased += v["number_ranges"].as_array().map_or(0, Vec::len);
    }
    // Believed while the untouched ranges of the day are fewer than three (a lost answer is
    // possible), then no more: 2 ranges, not 50.
    assert_eq!(leased as i64 + 1, satchel_server::sales::MAX_UNTOUCHED_LEASES, "leased {leased}");
}
