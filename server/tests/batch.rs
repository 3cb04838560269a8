//! A push's orders are decided exactly as if each had come in a push of its own (issue 16).
//!
//! The push reads what its plain orders need once and writes the balances, the van stock and
//! their feed rows once per row at its end (`server/src/api/order_batch.rs`). This test sends the
//! same script of mutations to two fresh servers: to one as a single push, to the other one
//! mutation per push, where each order is read from and written to the database alone. The
//! script makes later orders depend on what earlier ones did inside the push: a balance that
//! crosses the credit limit, van stock that runs short, a likely duplicate, an order id, a
//! document number and a mutation id used twice, an order with a parent (which takes the general
//! path in the middle of the batch), a return, an outlet off the user's routes. Every answer,
//! every balance and every van stock level must be the same on both; and a pull after the push
//! must carry each changed balance and stock row as the reference reports it.

mod common;

use std::collections::BTreeMap;

use common::*;
use reqwest::StatusCode;
use satchel_core::sales::{OrderKind, SalesDocument};
use satchel_core::sync::protocol::{Entity, Mutation, PullResponse, ReferenceData};
use serde_json::Value;
use uuid::Uuid;

backend_tests! {
    a_push_decides_its_orders_as_if_each_came_alone,
    an_order_stored_before_the_recent_orders_table_still_counts_as_a_likely_duplicate,
    the_duplicate_rule_reads_orders_by_their_lines_key_and_rows_stored_before_it,
    the_duplicate_rule_names_the_closest_of_many_matching_orders_on_either_side,
}

/// The outlet near its credit limit (1,500.00 limit, 1,475.00 owed in the demo).
const NEAR: &str = "OUT-0021";

/// The script for `dev`, from its reference. `ids` fixes the mutation and order ids so both
/// servers receive the same mutations (each numbered from its own device's leases).
fn script(dev: &Device, reference: &ReferenceData, ids: &[Uuid]) -> Vec<Mutation> {
    let sales = sales_of(reference);
    let skus = plain_skus(sales);
    let near_limit: Vec<&str> = satchel_server::seed::NEAR_LIMIT.iter().map(|(id, _, _)| *id).collect();
    let others: Vec<&str> = sales.outlets.iter().map(|o| o.id.as_str()).filter(|id| !near_limit.contains(id)).collect();
    let (x, y) = (others[0], others[1]);
    // The SKU the script drains: all but one of the van's stock in one order.
    let drained = skus[3].as_str();
    let in_van = sales.van_stock[drained].available.value();
    let most = (in_van - rust_decimal::Decimal::ONE).to_string();
    let mut n = 0u64;
    let mut number = || {
        n += 1;
        nth_number(dev, n)
    };
    let doc = |outlet: &str, lines: &[(&str, &str)], kind: OrderKind, number: String, order_id: Uuid| SalesDocument {
        order_id,
        ..sales_doc(sales, outlet, lines, kind, number)
    };
    let mut docs = vec![
        // 1, 2: the first order fits under the limit, the second crosses it (flagged).
        doc(NEAR, &[(&skus[0], "1")], OrderKind::Sale, number(), ids[100]),
        doc(NEAR, &[(&skus[1], "3"), (&skus[2], "2")], OrderKind::Sale, number(), ids[101]),
        // 3, 4: the van runs short of `drained` (the second is flagged for it).
        doc(x, &[(drained, &most)], OrderKind::Sale, number(), ids[102]),
        doc(y, &[(drained, "2"), (&skus[4], "1")], OrderKind::Sale, number(), ids[103]),
        // 5, 6: the same order twice at one outlet: a likely duplicate.
        doc(y, &[(&skus[5], "1")], OrderKind::Sale, number(), ids[104]),
        doc(y, &[(&skus[5], "1")], OrderKind::Sale, number(), ids[105]),
    ];
    // 7: order 6's id again, with a number of its own: duplicate_order.
    docs.push(SalesDocument { document_number: number(), ..docs[5].clone() });
    // 8: order 5's number again on a new order: document_number.
    docs.push(doc(x, &[(&skus[6], "1")], OrderKind::Sale, docs[4].document_number.clone(), ids[106]));
    let mut ms: Vec<Mutation> =
        docs.into_iter().enumerate().map(|(i, d)| Mutation { id: ids[i], ..sales_mutation(dev, i as u64 + 1, d) }).collect();
    // 9: mutation 1's id again at another seq: duplicate_mutation.
    let again = doc(x, &[(&skus[7], "1")], OrderKind::Sale, number(), ids[107]);
    ms.push(Mutation { id: ids[0], ..sales_mutation(dev, 9, again) });
    // 10: an order whose parent is mutation 2 (the general path, mid-batch), at the outlet over
    // its limit: flagged again, from the balance the batch wrote out.
    let child = doc(NEAR, &[(&skus[8], "1")], OrderKind::Sale, number(), ids[108]);
    ms.push(Mutation { id: ids[9], depends_on: vec![ids[1]], ..sales_mutation(dev, 10, child) });
    // 11: a return at that outlet brings goods back to the van, and the balance down.
    let back = doc(NEAR, &[(drained, "3")], OrderKind::Return, number(), ids[109]);
    ms.push(Mutation { id: ids[10], ..sales_mutation(dev, 11, back) });
    // 12: `drained` again, from what the return put back.
    let more = doc(x, &[(drained, "2")], OrderKind::Sale, number(), ids[110]);
    ms.push(Mutation { id: ids[11], ..sales_mutation(dev, 12, more) });
    // 13: an outlet on another rep's route: unknown_outlet.
    let mut stranger = doc(x, &[(&skus[9], "1")], OrderKind::Sale, number(), ids[111]);
    stranger.order.outlet_id = "OUT-9999".into();
    ms.push(Mutation { id: ids[12], ..sales_mutation(dev, 13, stranger) });
    ms
}

/// An answer without what differs between the servers: status, code, field, flag rules.
fn verdict(r: &Value) -> String {
    let rules: Vec<&str> = r["reasons"].as_array().into_iter().flatten().filter_map(|f| f["rule"].as_str()).collect();
    format!(
        "{} {} {} [{}]",
        r["status"].as_str().unwrap_or("?"),
        r["code"].as_str().unwrap_or("-"),
        r["field"].as_str().unwrap_or("-"),
        rules.join(",")
    )
}

/// Each outlet's outstanding balance and the rep's van, as the server's reference reports them.
async fn state(s: &TestServer, sup: &Device, rep: &Device) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let r = s.reference(sup).await;
    let balances = sales_of(&r)
        .outlets
        .iter()
        .filter_map(|o| Some((o.id.clone(), o.credit.as_ref()?.outstanding.value().to_string())))
        .collect();
    let r = s.reference(rep).await;
    let van = sales_of(&r).van_stock.iter().map(|(sku, l)| (sku.clone(), l.available.value().to_string())).collect();
    (balances, van)
}

/// Every page of a pull from `checkpoint`.
async fn pull_from(s: &TestServer, dev: &Device, checkpoint: Option<&str>) -> Vec<PullResponse> {
    let mut pages = Vec::new();
    let mut checkpoint = checkpoint.map(str::to_string);
    loop {
        let query = checkpoint.as_ref().map(|c| format!("?checkpoint={c}")).unwrap_or_default();
        let (status, v) = s.get(&format!("/api/v1/sync/pull{query}"), &dev.token).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let page: PullResponse = serde_json::from_value(v).expect("a pull page");
        checkpoint = Some(page.checkpoint.clone());
        let more = page.has_more;
        pages.push(page);
        if !more {
            return pages;
        }
    }
}

async fn a_push_decides_its_orders_as_if_each_came_alone(backend: Backend) {
    let ids: Vec<Uuid> = (0..120).map(|_| Uuid::now_v7()).collect();
    let mut answers = Vec::new();
    let mut states = Vec::new();
    for one_push in [true, false] {
        let s = start(backend).await;
        let dev = s.register("rep1", "rep1-demo").await;
        let sup = s.register("super", "super-demo").await;
        let reference = s.reference(&dev).await;
        let before = pull_from(&s, &dev, None).await.last().expect("a page").checkpoint.clone();
        let ms = script(&dev, &reference, &ids);
        let mut results: Vec<Value> = Vec::new();
        if one_push {
            let (status, v) = s.push(&dev, &ms).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            results.extend(v["results"].as_array().expect("results").iter().cloned());
        } else {
            for m in &ms {
                let (status, v) = s.push(&dev, std::slice::from_ref(m)).await;
                assert_eq!(status, StatusCode::OK, "{v}");
                results.extend(v["results"].as_array().expect("results").iter().cloned());
            }
        }
        let verdicts: Vec<String> = results.iter().map(verdict).collect();
        let (balances, van) = state(&s, &sup, &dev).await;

        // The pull after the push carries every balance and stock row as the reference has it.
        let pages = pull_from(&s, &dev, Some(&before)).await;
        let mut pulled_van = BTreeMap::new();
        let mut pulled_balances = BTreeMap::new();
        for c in pages.iter().flat_map(|p| &p.changes) {
            let Some(record) = c.decode::<Value>().expect("a JSON record") else { continue };
            match c.entity {
                Entity::VanStock => {
                    // The device's key of its own van's row is the SKU.
                    let sku = c.key.clone();
                    pulled_van.insert(sku, dec(record["available"].as_str().expect("available")).value().to_string());
                }
                Entity::Outlet => {
                    if let Some(owed) = record["credit"]["outstanding"].as_str() {
                        pulled_balances.insert(c.key.clone(), dec(owed).value().to_string());
                    }
                }
                _ => {}
            }
        }
        assert!(!pulled_van.is_empty() && !pulled_balances.is_empty(), "the push changed rows the pull carries");
        for (sku, level) in &pulled_van {
            assert_eq!(Some(level), van.get(sku), "van stock of {sku} pulled as the reference has it");
        }
        for (outlet, owed) in &pulled_balances {
            assert_eq!(Some(owed), balances.get(outlet), "balance of {outlet} pulled as the reference has it");
        }
        let (status, v) = s.get("/api/v1/review?status=open", &sup.token).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let reviews = v["items"].as_array().expect("items").len();
        answers.push((verdicts, reviews));
        states.push((balances, van, pulled_van, pulled_balances));
    }

    let (batched, alone) = (&answers[0], &answers[1]);
    // The script does what it says, so that the comparison means something.
    let v = &batched.0;
    assert_eq!(v.len(), 13, "{v:?}");
    assert!(v[0].starts_with("applied"), "{v:?}");
    assert!(v[1].starts_with("flagged") && v[1].contains("credit_limit"), "{v:?}");
    assert!(v[2].starts_with("applied") || v[2].starts_with("flagged"), "{v:?}");
    assert!(v[3].starts_with("flagged") && !v[3].ends_with("[]"), "short of stock: {v:?}");
    assert!(v[5].starts_with("flagged") && !v[5].ends_with("[]"), "likely duplicate: {v:?}");
    assert!(v[6].starts_with("rejected duplicate_order"), "{v:?}");
    assert!(v[7].starts_with("rejected document_number"), "{v:?}");
    assert!(v[8].starts_with("rejected duplicate_mutation"), "{v:?}");
    assert!(v[9].starts_with("flagged") && v[9].contains("credit_limit"), "{v:?}");
    assert!(v[10].starts_with("applied") || v[10].starts_with("flagged"), "{v:?}");
    assert!(v[12].starts_with("rejected unknown_outlet"), "{v:?}");
    // And one push decides exactly as thirteen.
    assert_eq!(batched, alone, "one push against one mutation per push");
    assert_eq!(states[0], states[1], "balances, van stock and what the pull carries");
}

/// The likely-duplicate rule reads an outlet's earlier orders from `recent_orders` (migration
/// 0013). An order stored before that table has no row there: the server gives it one when it
/// opens the database (`recent::backfill`, once, recorded in `backfills`), from its document.
/// Then it counts, for a batch (a plain order) and for the general path (an order with a parent)
/// alike. A document that cannot be read is left without a row, and the server still starts.
async fn an_order_stored_before_the_recent_orders_table_still_counts_as_a_likely_duplicate(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let outlet = sales.outlets.iter().map(|o| o.id.as_str()).find(|id| *id != NEAR).expect("an outlet");
    let first = sales_mutation(&dev, 1, sales_doc(sales, outlet, &[(&skus[2], "1")], OrderKind::Sale, nth_number(&dev, 1)));
    let damaged = sales_mutation(&dev, 2, sales_doc(sales, outlet, &[(&skus[3], "1")], OrderKind::Sale, nth_number(&dev, 2)));
    let (status, v) = s.push(&dev, &[first.clone(), damaged.clone()]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");
    let store = s.stop().await;

    // As if both had been stored by a version before the table, the second's document damaged.
    let db = satchel_server::db::open(&store.data_dir(), store.database_url().as_deref(), 2).await.expect("database");
    for m in [&first, &damaged] {
        let gone = sqlx::query("DELETE FROM recent_orders WHERE order_id = $1").bind(first_order_id(m)).execute(&db.pool).await.expect("delete");
        assert_eq!(gone.rows_affected(), 1, "the order had its row");
    }
    sqlx::query("UPDATE orders SET document = 'not a document' WHERE order_id = $1")
        .bind(first_order_id(&damaged))
        .execute(&db.pool)
        .await
        .expect("damage");
    let undone = sqlx::query("DELETE FROM backfills WHERE name = 'recent_orders'").execute(&db.pool).await.expect("undo");
    assert_eq!(undone.rows_affected(), 1, "the backfill had been recorded");
    db.close().await;

    let s = start_in(store).await;
    let again = sales_mutation(&dev, 3, sales_doc(sales, outlet, &[(&skus[2], "1")], OrderKind::Sale, nth_number(&dev, 3)));
    let child = Mutation {
        depends_on: vec![first.id],
        ..sales_mutation(&dev, 4, sales_doc(sales, outlet, &[(&skus[2], "1")], OrderKind::Sale, nth_number(&dev, 4)))
    };
    let (status, v) = s.push(&dev, &[again, child]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let verdicts: Vec<String> = v["results"].as_array().expect("results").iter().map(verdict).collect();
    assert_eq!(verdicts, ["flagged - - [likely_duplicate]", "flagged - - [likely_duplicate]"], "{v}");

    let db = satchel_server::db::open(&s.store.data_dir(), s.store.database_url().as_deref(), 2).await.expect("database");
    let rows: Vec<(String, Option<String>)> = sqlx::query_as("SELECT order_id, lines_key FROM recent_orders WHERE order_id IN ($1, $2)")
        .bind(first_order_id(&first))
        .bind(first_order_id(&damaged))
        .fetch_all(&db.pool)
        .await
        .expect("rows");
    let (done,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM backfills").fetch_one(&db.pool).await.expect("backfills");
    db.close().await;
    assert_eq!(rows.len(), 1, "the readable order has its row again, the damaged one none: {rows:?}");
    assert_eq!(rows[0].0, first_order_id(&first));
    assert_eq!(rows[0].1.as_deref().map(str::len), Some(32), "with its lines key");
    assert_eq!(done, 1, "recorded as done again");
}

/// A `recent_orders` row stored without its lines key (before migration 0015) gets the key
/// whenever the server opens the database (`recent::backfill`): the same key a new row with those lines has,
/// so a later order with the same lines finds it, by a batch (a plain order) and by the general
/// path (an order with a parent). Orders with other lines are not flagged.
async fn the_duplicate_rule_reads_orders_by_their_lines_key_and_rows_stored_before_it(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let outlet = sales.outlets.iter().map(|o| o.id.as_str()).find(|id| *id != NEAR).expect("an outlet");
    let doc = |lines: &[(&str, &str)], n: u64| sales_doc(sales, outlet, lines, OrderKind::Sale, nth_number(&dev, n));
    let (a, b) = ([(skus[2].as_str(), "1")], [(skus[3].as_str(), "2")]);
    let keyed = sales_mutation(&dev, 1, doc(&a, 1));
    let legacy = sales_mutation(&dev, 2, doc(&b, 2));
    let (status, v) = s.push(&dev, &[keyed.clone(), legacy.clone()]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");
    let store = s.stop().await;

    let key_of = |pool: &sqlx::AnyPool, m: &Mutation| {
        let q = sqlx::query_as::<_, (Option<String>,)>("SELECT lines_key FROM recent_orders WHERE order_id = $1").bind(first_order_id(m));
        let pool = pool.clone();
        async move { q.fetch_one(&pool).await.expect("its row").0 }
    };
    let db = satchel_server::db::open(&store.data_dir(), store.database_url().as_deref(), 2).await.expect("database");
    let keys = [key_of(&db.pool, &keyed).await.expect("a key"), key_of(&db.pool, &legacy).await.expect("a key")];
    assert_eq!(keys[0].len(), 32, "{keys:?}");
    assert_ne!(keys[0], keys[1], "other lines, another key");
    // As if the second had been stored by a version before the key, while instances were
    // upgraded one by one (after the one-time part of the backfill was recorded).
    let set = sqlx::query("UPDATE recent_orders SET lines_key = NULL WHERE order_id = $1")
        .bind(first_order_id(&legacy))
        .execute(&db.pool)
        .await
        .expect("update");
    assert_eq!(set.rows_affected(), 1);
    db.close().await;

    let s = start_in(store).await;
    let db = satchel_server::db::open(&s.store.data_dir(), s.store.database_url().as_deref(), 2).await.expect("database");
    assert_eq!(key_of(&db.pool, &legacy).await.as_deref(), Some(keys[1].as_str()), "the key it would have had");
    db.close().await;

    // The same lines as each, in a batch and behind a parent, and lines like neither.
    let pushed = [
        sales_mutation(&dev, 3, doc(&a, 3)),
        sales_mutation(&dev, 4, doc(&b, 4)),
        sales_mutation(&dev, 5, doc(&[(&skus[4], "7")], 5)),
        Mutation { depends_on: vec![keyed.id], ..sales_mutation(&dev, 6, doc(&b, 6)) },
    ];
    let (status, v) = s.push(&dev, &pushed).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let verdicts: Vec<String> = v["results"].as_array().expect("results").iter().map(verdict).collect();
    assert_eq!(
        verdicts,
        ["flagged - - [likely_duplicate]", "flagged - - [likely_duplicate]", "applied - - []", "flagged - - [likely_duplicate]"],
        "{v}"
    );
}

/// A push reads, of the stored orders with an order's lines, only the nearest before and the
/// nearest after it (`sales_order::Probe`). The rule must still name the closest of them all,
/// earlier or later, in a batch and behind a parent, with more matching orders than that on
/// both sides. The apart minutes in the flag's sentence say which order was named.
async fn the_duplicate_rule_names_the_closest_of_many_matching_orders_on_either_side(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let outlet = sales.outlets.iter().map(|o| o.id.as_str()).find(|id| *id != NEAR).expect("an outlet");
    let lines = [(skus[5].as_str(), "2"), (skus[6].as_str(), "1")];
    // Whole minutes before a common base, well inside the past.
    let base = chrono::Utc::now() - chrono::TimeDelta::minutes(30);
    let at = |minutes: i64| base + chrono::TimeDelta::minutes(minutes);
    let doc = |minutes: i64, n: u64| SalesDocument {
        committed_at: at(minutes),
        ..sales_doc(sales, outlet, &lines, OrderKind::Sale, nth_number(&dev, n))
    };
    // Stored first, alone (the default window is 10 minutes): 0 and 3 are 3 apart, and so on.
    let stored: Vec<Mutation> = [0, 3, 6, 9, 12].iter().zip(1..).map(|(m, n)| sales_mutation(&dev, n, doc(*m, n))).collect();
    let (status, v) = s.push(&dev, &stored[..1]).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string()]), "{v}");
    let (status, v) = s.push(&dev, &stored[1..]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v["results"].as_array().expect("results").iter().all(|r| verdict(r) == "flagged - - [likely_duplicate]"), "{v}");

    let sentence = |r: &Value| -> String {
        r["reasons"].as_array().into_iter().flatten().filter_map(|f| f["message"].as_str()).collect::<Vec<_>>().join("; ")
    };
    // 10: 9 is 1 apart (before; 6 and 12 are further). -2: only later ones, 0 is 2 apart.
    // 14 behind a parent: 12 is 2 apart (before); nothing after.  4 behind a parent: 3 is 1
    // apart before it, 6 is 2 after.  11, in a batch again: 12 is 1 after, 9 is 2 before, and 10
    // (stored by this push) is 1 before: a tie, which the earlier one wins.
    let pushed = [
        sales_mutation(&dev, 6, doc(10, 6)),
        sales_mutation(&dev, 7, doc(-2, 7)),
        Mutation { depends_on: vec![stored[0].id], ..sales_mutation(&dev, 8, doc(14, 8)) },
        Mutation { depends_on: vec![stored[1].id], ..sales_mutation(&dev, 9, doc(4, 9)) },
        sales_mutation(&dev, 10, doc(11, 10)),
    ];
    let (status, v) = s.push(&dev, &pushed).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let results = v["results"].as_array().expect("results");
    let named: Vec<String> = results.iter().map(sentence).collect();
    let want = [(9, 1), (0, 2), (12, 2), (3, 1), (10, 1)];
    for (i, (r, (of, apart))) in results.iter().zip(want).enumerate() {
        assert_eq!(verdict(r), "flagged - - [likely_duplicate]", "{i}: {v}");
        let committed = at(of).format("%Y-%m-%d %H:%M UTC").to_string();
        assert!(
            named[i].contains(&format!("committed at {committed} ({apart} min apart)")),
            "order {i} should name the one committed at {committed}, {apart} min apart: {}",
            named[i]
        );
    }
}

fn first_order_id(m: &Mutation) -> String {
    match &m.body {
        satchel_core::sync::protocol::MutationBody::SalesOrderCreate(doc) => doc.order_id.to_string(),
        _ => unreachable!("a sales order"),
    }
}
