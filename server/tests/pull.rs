//! The checkpointed, paginated, resumable pull (`GET /api/v1/sync/pull`) end to end: initial
//! pulls page through everything exactly once, checkpoints resume (across a restart too),
//! incremental pulls carry only what changed (an order's outlet and van stock, a moved outlet,
//! a cancelled task), visibility follows the user's routes, a route change resets, and the
//! request's errors.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use satchel_core::sales::numbering::take_next;
use satchel_core::sales::{CatalogProduct, OrderKind, OutletInfo, PriceList};
use satchel_core::sync::protocol::{Change, Entity, PullResponse, SettingsView, TaskStatus, TaskView, PULL_PAGE};
use satchel_core::validation::StockLevel;
use satchel_server::feed::{self, Scope};
use serde_json::Value;

backend_tests! {
    an_initial_pull_pages_through_everything_exactly_once,
    a_pull_resumes_from_a_stored_checkpoint_even_after_a_restart,
    an_order_brings_only_its_outlet_and_van_stock,
    an_outlet_moved_to_another_route_is_deleted_for_the_old_routes_rep,
    a_change_of_the_users_routes_resets_the_pull,
    a_rep_sees_only_their_routes_tasks_and_van,
    a_push_only_token_may_not_pull,
    bad_checkpoints_are_refused_and_foreign_ones_reset,
    the_limit_is_bounded,
    a_cancelled_task_comes_as_a_changed_task,
    the_rule_set_and_settings_are_data,
    pulls_are_counted_in_the_metrics,
    a_database_with_an_empty_feed_gets_one_on_start,
}

/// PostgreSQL only: SQLite has one writer, so a transaction held open by the test would stop the
/// server's push instead of racing it; there versions come from the counter in commit order.
#[tokio::test]
async fn a_change_committed_after_a_later_one_is_still_pulled() {
    if let Some(backend) = Backend::postgres() {
        a_change_committed_after_a_later_one_is_pulled(backend).await;
    }
}

/// Rep1's records in the demo data: settings, the `ca` rule set, the 100 outlets of R1 and R2,
/// their 4 tasks, 800 products, 4 price lists, 800 van stock rows.
const REP1_RECORDS: usize = 1 + 1 + 100 + 4 + 800 + 4 + 800;

async fn pull_raw(s: &TestServer, token: &str, query: &str) -> (StatusCode, Value) {
    s.get(&format!("/api/v1/sync/pull{query}"), token).await
}

/// One page; panics unless `200`.
async fn page(s: &TestServer, dev: &Device, checkpoint: Option<&str>, limit: Option<usize>) -> PullResponse {
    let mut params = Vec::new();
    if let Some(c) = checkpoint {
        params.push(format!("checkpoint={c}"));
    }
    if let Some(l) = limit {
        params.push(format!("limit={l}"));
    }
    let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
    let (status, v) = pull_raw(s, &dev.token, &query).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    serde_json::from_value(v).expect("a pull response")
}

/// Pages until `has_more` is false, checking each page's bookkeeping.
async fn pull_all(s: &TestServer, dev: &Device, from: Option<&str>, limit: usize) -> Vec<PullResponse> {
    let mut pages: Vec<PullResponse> = Vec::new();
    let mut checkpoint = from.map(str::to_string);
    loop {
        let p = page(s, dev, checkpoint.as_deref(), Some(limit)).await;
        assert!(p.changes.len() <= limit, "{} changes for limit {limit}", p.changes.len());
        assert_eq!(p.has_more, p.remaining > 0, "has_more and remaining agree");
        if let Some(prev) = pages.last() {
            assert_eq!(prev.remaining, p.changes.len() as u64 + p.remaining, "remaining counts what follows");
        }
        checkpoint = Some(p.checkpoint.clone());
        let more = p.has_more;
        pages.push(p);
        assert!(pages.len() < 1000, "the pull does not end");
        if !more {
            return pages;
        }
    }
}

type Key = (Entity, String);

/// Every change of the pages by (entity, key); panics when one appears twice.
fn once(pages: &[PullResponse]) -> BTreeMap<Key, Option<Value>> {
    let mut out = BTreeMap::new();
    for c in pages.iter().flat_map(|p| &p.changes) {
        let k = (c.entity, c.key.clone());
        assert!(out.insert(k.clone(), c.decode::<Value>().expect("the record is JSON")).is_none(), "{k:?} came twice");
    }
    out
}

fn of(changes: &BTreeMap<Key, Option<Value>>, entity: Entity) -> BTreeMap<String, Value> {
    changes
        .iter()
        .filter(|((e, _), _)| *e == entity)
        .map(|((_, k), v)| (k.clone(), v.clone().unwrap_or_else(|| panic!("{entity:?} {k} is a delete"))))
        .collect()
}

fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

fn counts(changes: &BTreeMap<Key, Option<Value>>) -> BTreeMap<Entity, usize> {
    let mut out = BTreeMap::new();
    for (e, _) in changes.keys() {
        *out.entry(*e).or_default() += 1;
    }
    out
}

/// The server's database, opened beside it (as an office tool or an import would).
async fn db_of(store: &Store) -> satchel_server::db::Db {
    satchel_server::db::open(&store.data_dir(), store.database_url().as_deref(), 2).await.expect("database")
}

async fn an_initial_pull_pages_through_everything_exactly_once(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let pages = pull_all(&s, &rep1, None, 97).await;
    assert_eq!(pages.len(), REP1_RECORDS.div_ceil(97), "full pages of 97, then the rest");
    assert!(pages.iter().all(|p| !p.reset));
    assert_eq!(pages[0].remaining as usize, REP1_RECORDS - 97);
    let changes = once(&pages);
    assert_eq!(changes.len(), REP1_RECORDS);
    assert!(changes.values().all(Option::is_some), "an initial pull carries no deletes");
    assert_eq!(
        counts(&changes),
        BTreeMap::from([
            (Entity::Settings, 1),
            (Entity::RuleSet, 1),
            (Entity::Product, 800),
            (Entity::PriceList, 4),
            (Entity::Outlet, 100),
            (Entity::VanStock, 800),
            (Entity::Task, 4),
        ])
    );
    // The settings and the rule set come first: a device can read the rest with them.
    let first: Vec<Entity> = pages[0].changes.iter().take(2).map(|c| c.entity).collect();
    assert_eq!(first, [Entity::Settings, Entity::RuleSet]);

    // The same records as the reference snapshot, field for field.
    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let products = of(&changes, Entity::Product);
    for p in &sales.products {
        assert_eq!(&decode::<CatalogProduct>(&products[&p.sku]), p);
    }
    let outlets = of(&changes, Entity::Outlet);
    assert_eq!(outlets.len(), sales.outlets.len());
    for o in &sales.outlets {
        assert_eq!(&decode::<OutletInfo>(&outlets[&o.id]), o);
    }
    let van = of(&changes, Entity::VanStock);
    let van: BTreeMap<String, StockLevel> = van.iter().map(|(k, v)| (k.clone(), decode(v))).collect();
    assert_eq!(van, sales.van_stock, "wire keys are SKUs");
    let lists = of(&changes, Entity::PriceList);
    let retail: PriceList = decode(&lists["PL-RETAIL-2026"]);
    assert_eq!(retail.prices.len(), 800);
    assert_eq!(Some(&retail), sales.price_lists.iter().find(|l| l.id == "PL-RETAIL-2026"));

    // Caught up: the last checkpoint answers an empty page, and itself again.
    let last = pages.last().expect("a page");
    let again = page(&s, &rep1, Some(&last.checkpoint), None).await;
    assert!(again.changes.is_empty() && !again.has_more && !again.reset, "{again:?}");
    assert_eq!(again.remaining, 0);
    assert_eq!(again.checkpoint, last.checkpoint);
}

async fn a_pull_resumes_from_a_stored_checkpoint_even_after_a_restart(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let p1 = page(&s, &rep1, None, Some(300)).await;
    let p2 = page(&s, &rep1, Some(&p1.checkpoint), Some(300)).await;
    assert_eq!(p1.changes.len(), 300);
    assert_eq!(p2.changes.len(), 300);
    // The answer to page 2 was lost: asking again from page 1's checkpoint gives the same page.
    let p2_again = page(&s, &rep1, Some(&p1.checkpoint), Some(300)).await;
    assert_eq!(p2_again.changes, p2.changes);
    assert_eq!(p2_again.checkpoint, p2.checkpoint);

    // The server restarts; the device resumes where it stopped.
    let store = s.stop().await;
    let s = start_in(store).await;
    let rest = pull_all(&s, &rep1, Some(&p2.checkpoint), 300).await;
    let mut pages = vec![p1, p2];
    pages.extend(rest);
    let changes = once(&pages);
    assert_eq!(changes.len(), REP1_RECORDS, "every record once across the restart");
}

async fn an_order_brings_only_its_outlet_and_van_stock(backend: Backend) {
    let s = start(backend).await;
    let mut rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let cp1 = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;
    let cp2 = pull_all(&s, &rep2, None, 2000).await.pop().expect("a page").checkpoint;
    let cps = pull_all(&s, &sup, None, 2000).await.pop().expect("a page").checkpoint;

    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let (a, b) = (skus[0].as_str(), skus[1].as_str());
    let number = take_next(&mut rep1.number_ranges).expect("a leased number");
    // OUT-0001 is on R1: rep1's, not rep2's.
    let doc = sales_doc(sales, "OUT-0001", &[(a, "3"), (b, "2")], OrderKind::Sale, number);
    let total = doc.total.value();
    let (status, v) = s.push(&rep1, &[sales_mutation(&rep1, 1, doc)]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(["applied", "flagged"].contains(&statuses(&v)[0].as_str()), "{v}");

    let pages = pull_all(&s, &rep1, Some(&cp1), PULL_PAGE).await;
    let changes = once(&pages);
    let keys: BTreeSet<Key> = changes.keys().cloned().collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            (Entity::Outlet, "OUT-0001".to_string()),
            (Entity::VanStock, a.to_string()),
            (Entity::VanStock, b.to_string()),
        ])
    );
    let before = sales.outlets.iter().find(|o| o.id == "OUT-0001").expect("outlet").clone();
    let after: OutletInfo = decode(&of(&changes, Entity::Outlet)["OUT-0001"]);
    let outstanding = |o: &OutletInfo| o.credit.expect("credit").outstanding.value();
    assert_eq!(outstanding(&after), outstanding(&before) + total);
    let van = of(&changes, Entity::VanStock);
    for (sku, qty) in [(a, "3"), (b, "2")] {
        let level: StockLevel = decode(&van[sku]);
        assert_eq!(level.available.value(), sales.van_stock[sku].available.value() - qty.parse::<Decimal>().expect("qty"));
    }

    // rep2 does not work R1 and has another van: nothing for them.
    let p = page(&s, &rep2, Some(&cp2), None).await;
    assert!(p.changes.is_empty() && !p.has_more, "{:?}", p.changes);
    assert_ne!(p.checkpoint, cp2, "the checkpoint moves past what rep2 cannot see");
    // The supervisor sees every route, but no one's van.
    let p = page(&s, &sup, Some(&cps), None).await;
    let keys: Vec<(Entity, &str)> = p.changes.iter().map(|c| (c.entity, c.key.as_str())).collect();
    assert_eq!(keys, [(Entity::Outlet, "OUT-0001")]);
}

/// The race a single counter lock used to rule out (issue 16): a writer takes its feed position
/// first, a push takes a later one and commits first, and a pull runs in between. The pull must
/// not move its checkpoint past the open writer's change; once that commits, the next page from
/// the same checkpoint brings both. The push also shows that writers no longer wait for each
/// other: it completes while the first writer holds the feed's lock shared, as a push does.
async fn a_change_committed_after_a_later_one_is_pulled(backend: Backend) {
    let s = start(backend).await;
    let mut rep1 = s.register("rep1", "rep1-demo").await;
    let cp = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;

    // The slow writer: records OUT-0001 (its feed position is taken now) and stays open.
    let db = db_of(&s.store).await;
    let mut slow = db.pool.begin().await.expect("begin");
    feed::lock_shared(&mut slow, db.backend).await.expect("the feed's lock, shared");
    sqlx::query("UPDATE outlets SET name = 'Renamed while a push ran' WHERE id = 'OUT-0001'")
        .execute(&mut *slow)
        .await
        .expect("rename");
    feed::record(&mut slow, Entity::Outlet, "OUT-0001", Scope::Route("R1"), false).await.expect("feed");

    // A push of a plain order to OUT-0002 takes later positions and commits first.
    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let number = take_next(&mut rep1.number_ranges).expect("a leased number");
    let doc = sales_doc(sales, "OUT-0002", &[(skus[0].as_str(), "1")], OrderKind::Sale, number);
    let pushed = tokio::time::timeout(Duration::from_secs(120), s.push(&rep1, &[sales_mutation(&rep1, 1, doc)]))
        .await
        .expect("the push does not wait for the open writer");
    assert_eq!(pushed.0, StatusCode::OK, "{}", pushed.1);
    assert!(["applied", "flagged"].contains(&statuses(&pushed.1)[0].as_str()), "{}", pushed.1);

    // A pull now must not step past the open writer: the push's rows wait with it.
    let during = page(&s, &rep1, Some(&cp), None).await;
    assert!(!during.has_more && !during.reset);
    assert!(during.changes.is_empty(), "nothing after an open writer's position: {:?}", during.changes);

    slow.commit().await.expect("commit");
    db.close().await;
    let changes = once(&pull_all(&s, &rep1, Some(&during.checkpoint), PULL_PAGE).await);
    let outlet = changes[&(Entity::Outlet, "OUT-0001".to_string())].clone().expect("an upsert");
    let outlet: OutletInfo = serde_json::from_value(outlet).expect("an outlet");
    assert_eq!(outlet.name, "Renamed while a push ran", "the change committed last is not skipped");
    assert!(changes.contains_key(&(Entity::Outlet, "OUT-0002".to_string())), "the push's outlet");
    assert!(changes.contains_key(&(Entity::VanStock, skus[0].clone())), "the push's van row");
}

/// Moves an outlet to another route as an office tool would: the row and its feed row in one
/// transaction.
async fn move_outlet(store: &Store, outlet: &str, route: &str) {
    let db = db_of(store).await;
    let mut tx = db.pool.begin().await.expect("begin");
    sqlx::query("UPDATE outlets SET route = $1 WHERE id = $2")
        .bind(route)
        .bind(outlet)
        .execute(&mut *tx)
        .await
        .expect("move");
    feed::record(&mut tx, Entity::Outlet, outlet, Scope::Route(route), false).await.expect("feed");
    tx.commit().await.expect("commit");
    db.close().await;
}

async fn an_outlet_moved_to_another_route_is_deleted_for_the_old_routes_rep(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let cp1 = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;
    let cp2 = pull_all(&s, &rep2, None, 2000).await.pop().expect("a page").checkpoint;

    // OUT-0001 goes from R1 (rep1's) to R3 (rep2's).
    move_outlet(&s.store, "OUT-0001", "R3").await;

    let p = page(&s, &rep1, Some(&cp1), None).await;
    assert_eq!(p.changes, [Change { entity: Entity::Outlet, key: "OUT-0001".into(), data: None }], "a delete for rep1");
    let p = page(&s, &rep2, Some(&cp2), None).await;
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    let o: OutletInfo = p.changes[0].decode().expect("outlet").expect("an upsert for rep2");
    assert_eq!((o.id.as_str(), o.route.as_str()), ("OUT-0001", "R3"));

    // A new device of rep1 starts from nothing: no delete, no OUT-0001.
    let fresh = s.register("rep1", "rep1-demo").await;
    let changes = once(&pull_all(&s, &fresh, None, 2000).await);
    assert!(changes.values().all(Option::is_some));
    assert_eq!(of(&changes, Entity::Outlet).len(), 99);
    assert!(!changes.contains_key(&(Entity::Outlet, "OUT-0001".to_string())));
}

async fn a_change_of_the_users_routes_resets_the_pull(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let cp = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;
    let db = db_of(&s.store).await;
    sqlx::query("INSERT INTO user_routes (username, route) VALUES ('rep1', 'R3')")
        .execute(&db.pool)
        .await
        .expect("route");
    db.close().await;

    let pages = pull_all(&s, &rep1, Some(&cp), 500).await;
    assert!(pages[0].reset, "the first page resets");
    assert!(pages[1..].iter().all(|p| !p.reset), "the next pages continue the new sync");
    let changes = once(&pages);
    assert_eq!(changes.len(), REP1_RECORDS + 50, "everything again, with R3's 50 outlets");
    let routes: BTreeSet<String> =
        of(&changes, Entity::Outlet).values().map(|v| decode::<OutletInfo>(v).route).collect();
    assert_eq!(routes, BTreeSet::from(["R1".into(), "R2".into(), "R3".into()]));
    // The old checkpoint resets again; the new one continues.
    assert!(page(&s, &rep1, Some(&cp), Some(1)).await.reset);
    let last = &pages.last().expect("a page").checkpoint;
    let p = page(&s, &rep1, Some(last), None).await;
    assert!(!p.reset && p.changes.is_empty());
}

async fn a_rep_sees_only_their_routes_tasks_and_van(backend: Backend) {
    let s = start(backend).await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;

    let changes = once(&pull_all(&s, &rep2, None, 2000).await);
    let routes: BTreeSet<String> =
        of(&changes, Entity::Outlet).values().map(|v| decode::<OutletInfo>(v).route).collect();
    assert_eq!(routes, BTreeSet::from(["R2".into(), "R3".into()]));
    assert_eq!(of(&changes, Entity::Outlet).len(), 100);
    let tasks: Vec<TaskView> = of(&changes, Entity::Task).values().map(decode).collect();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["TASK-0004", "TASK-0005", "TASK-0006"], "rep2's own tasks");
    assert!(tasks.iter().all(|t| t.status == TaskStatus::Open));
    let outlet_ids: BTreeSet<String> = of(&changes, Entity::Outlet).into_keys().collect();
    assert!(tasks.iter().all(|t| outlet_ids.contains(&t.outlet_id)), "tasks at outlets rep2 has");
    let van: BTreeMap<String, StockLevel> =
        of(&changes, Entity::VanStock).iter().map(|(k, v)| (k.clone(), decode(v))).collect();
    assert_eq!(&van, &sales_of(&s.reference(&rep2).await).van_stock, "rep2's own van");

    let changes = once(&pull_all(&s, &sup, None, 2000).await);
    assert_eq!(of(&changes, Entity::Outlet).len(), 211, "a supervisor sees every route (the shop's 3 customers and route D1's 8 too)");
    assert_eq!(counts(&changes).get(&Entity::VanStock), None, "a supervisor has no van");
    assert_eq!(counts(&changes).get(&Entity::Task), None, "and no tasks");
    let settings: SettingsView = decode(&of(&changes, Entity::Settings)["sales"]);
    assert_eq!(settings.role, "supervisor");
}

async fn a_push_only_token_may_not_pull(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let (status, v) = pull_raw(&s, &rep1.push_token, "").await;
    assert_error(status, &v, 403, "token_scope");
    let (status, v) = pull_raw(&s, &rep1.push_token, "?limit=1").await;
    assert_error(status, &v, 403, "token_scope");
    let res = s.http.get(s.url("/api/v1/sync/pull")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = s.http.post(s.url("/api/v1/sync/pull")).bearer_auth(&rep1.token).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

async fn bad_checkpoints_are_refused_and_foreign_ones_reset(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let other = s.register("rep1", "rep1-demo").await;
    let p = page(&s, &rep1, None, Some(10)).await;
    // `v1.<version>.<view>` (SQLite) or `v2.<xid>.<version>.<view>` (PostgreSQL: the position
    // of a row a transaction wrote since migration 0014).
    let parts: Vec<&str> = p.checkpoint.split('.').collect();
    let (prefix, version, view) = match parts.as_slice() {
        ["v1", version, view] => ("v1".to_string(), version.to_string(), view.to_string()),
        ["v2", xid, version, view] => (format!("v2.{xid}"), version.to_string(), view.to_string()),
        _ => panic!("unexpected checkpoint {}", p.checkpoint),
    };
    assert_eq!(prefix.starts_with("v2"), backend == Backend::Postgres, "{}", p.checkpoint);
    for bad in [
        "garbage".to_string(),
        "v1".to_string(),
        format!("v3.{version}.{view}"),
        format!("v2.0.{version}.{view}"),
        format!("{prefix}.-{version}.{view}"),
        format!("{prefix}.0{version}.{view}"),
        format!("{prefix}.{version}.{}", &view[1..]),
        format!("{prefix}.{version}.{}", view.to_uppercase()),
        format!("{prefix}.{version}.{view}.1"),
        format!("{prefix}.x.{view}"),
    ] {
        let (status, v) = pull_raw(&s, &rep1.token, &format!("?checkpoint={bad}")).await;
        assert_error(status, &v, 400, "bad_checkpoint");
    }
    // Another device's checkpoint (another view) is not continued: the answer starts over.
    let p = page(&s, &other, Some(&p.checkpoint), Some(10)).await;
    assert!(p.reset);
    assert_eq!(p.changes.first().map(|c| c.entity), Some(Entity::Settings));
    // So is one beyond the feed (a database restored from a backup): a version never handed
    // out, or (PostgreSQL) a transaction id this cluster has not reached.
    let beyond = format!("{prefix}.{}.{view}", version.parse::<u64>().expect("version") + 1_000_000);
    assert!(page(&s, &rep1, Some(&beyond), Some(1)).await.reset);
    let beyond = format!("v2.{}.{version}.{view}", 1u64 << 40);
    assert!(page(&s, &rep1, Some(&beyond), Some(1)).await.reset);

    // A caught-up checkpoint too: it names the newest change it covered, so when the server's
    // feed goes back (an older backup restored; here its version source is set back) it resets.
    let caught_up = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;
    assert!(!page(&s, &rep1, Some(&caught_up), None).await.reset);
    let db = db_of(&s.store).await;
    let back = match backend {
        Backend::Sqlite => "UPDATE feed_counter SET version = 5",
        Backend::Postgres => "SELECT setval('feed_versions', 5)",
    };
    sqlx::query(back).execute(&db.pool).await.expect(back);
    db.close().await;
    assert!(page(&s, &rep1, Some(&caught_up), None).await.reset, "a caught-up checkpoint beyond the feed resets");
}

async fn the_limit_is_bounded(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    for bad in ["?limit=0", "?limit=2001", "?limit=abc", "?limit=-1", "?limit=1&limit=2", "?page=1"] {
        let (status, v) = pull_raw(&s, &rep1.token, bad).await;
        assert_error(status, &v, 400, "malformed_query");
    }
    let p = page(&s, &rep1, None, None).await;
    assert_eq!(p.changes.len(), PULL_PAGE, "the default page");
    assert!(p.has_more);
    let p = page(&s, &rep1, None, Some(1)).await;
    assert_eq!(p.changes.len(), 1);
    let p = page(&s, &rep1, None, Some(2000)).await;
    assert_eq!(p.changes.len(), REP1_RECORDS, "everything fits the largest page");
    assert!(!p.has_more && p.remaining == 0);
}

async fn a_cancelled_task_comes_as_a_changed_task(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let cp1 = pull_all(&s, &rep1, None, 2000).await.pop().expect("a page").checkpoint;
    let cp2 = pull_all(&s, &rep2, None, 2000).await.pop().expect("a page").checkpoint;
    let task = satchel_server::seed::CANCELLABLE_TASK;
    let cancel = |token: String| {
        let req = s.http.post(s.url(&format!("/api/v1/tasks/{task}/cancel"))).bearer_auth(token);
        async move {
            let res = req.send().await.expect("cancel");
            let status = res.status();
            (status, res.json::<Value>().await.expect("json"))
        }
    };

    let (status, v) = cancel(rep1.token.clone()).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = cancel(sup.token.clone()).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["id"].as_str(), v["status"].as_str(), v["assignee"].as_str()), (Some(task), Some("cancelled"), Some("rep1")));

    let p = page(&s, &rep1, Some(&cp1), None).await;
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    assert_eq!((p.changes[0].entity, p.changes[0].key.as_str()), (Entity::Task, task));
    let t: TaskView = p.changes[0].decode().expect("task").expect("an upsert");
    assert_eq!(t.status, TaskStatus::Cancelled);
    assert!(page(&s, &rep2, Some(&cp2), None).await.changes.is_empty(), "not rep2's task");

    // Cancelling again changes nothing; an unknown task is not found.
    let (status, v) = cancel(sup.token.clone()).await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    assert!(page(&s, &rep1, Some(&p.checkpoint), None).await.changes.is_empty());
    let res = s.http.post(s.url("/api/v1/tasks/TASK-9999/cancel")).bearer_auth(&sup.token).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The office's list: a rep's own, a supervisor's all.
    let ids = |v: &Value| -> Vec<String> {
        v["items"].as_array().expect("items").iter().map(|t| t["id"].as_str().expect("id").to_string()).collect()
    };
    let (status, v) = s.get("/api/v1/tasks", &rep1.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(ids(&v), ["TASK-0001", "TASK-0002", "TASK-0003"], "rep1's open tasks, by due date");
    let (_, v) = s.get("/api/v1/tasks?status=cancelled", &rep1.token).await;
    assert_eq!(ids(&v), [task]);
    let (_, v) = s.get("/api/v1/tasks?status=all", &sup.token).await;
    assert_eq!(ids(&v).len(), 15, "the 7 field tasks and the driver's 8 deliveries");
    let (status, v) = s.get("/api/v1/tasks?status=late", &sup.token).await;
    assert_error(status, &v, 400, "malformed_query");
}

async fn the_rule_set_and_settings_are_data(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let changes = once(&pull_all(&s, &rep1, None, 2000).await);
    let rules: satchel_core::tax::model::RuleSet = decode(&of(&changes, Entity::RuleSet)["ca"]);
    assert_eq!(rules.id, "ca");
    assert_eq!(Some(rules), satchel_core::tax::builtin::rule_set("ca"));
    let settings: SettingsView = decode(&of(&changes, Entity::Settings)["sales"]);
    assert_eq!(settings.role, "rep");
    assert_eq!(settings.settings.rule_set, "ca");
    assert_eq!(&settings.settings, &sales_of(&s.reference(&rep1).await).settings);
}

/// The value of one sample line of `/metrics`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn pulls_are_counted_in_the_metrics(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let p = page(&s, &rep1, None, Some(30)).await;
    let (status, _) = pull_raw(&s, &rep1.token, "?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let other = s.register("rep1", "rep1-demo").await;
    let q = page(&s, &other, Some(&p.checkpoint), Some(5)).await;
    assert!(q.reset);
    let text = s.metrics().await;
    assert_eq!(sample(&text, "satchel_pull_requests_total"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "satchel_pull_duration_seconds_count"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "satchel_pull_changes_total"), Some(35.0), "{text}");
    assert_eq!(sample(&text, "satchel_pull_resets_total"), Some(1.0), "{text}");
}

/// A database of the version before the feed (data, no feed rows, no tasks, no rule sets) gets
/// them on its next start, and a device pulls everything.
async fn a_database_with_an_empty_feed_gets_one_on_start(backend: Backend) {
    let s = start(backend).await;
    let store = s.stop().await;
    {
        let db = db_of(&store).await;
        for sql in ["DELETE FROM feed", "UPDATE feed_counter SET version = 0", "DELETE FROM tasks", "DELETE FROM rule_sets"] {
            sqlx::query(sql).execute(&db.pool).await.expect(sql);
        }
        db.close().await;
    }
    let s = start_in(store).await;
    assert!(!s.server.seeded);
    let rep1 = s.register("rep1", "rep1-demo").await;
    let changes = once(&pull_all(&s, &rep1, None, 2000).await);
    assert_eq!(changes.len(), REP1_RECORDS);
    assert_eq!(counts(&changes)[&Entity::Task], 4);
    // A restart with a feed leaves it as it is.
    let cp = page(&s, &rep1, None, Some(2000)).await.checkpoint;
    let store = s.stop().await;
    let s = start_in(store).await;
    let p = page(&s, &rep1, Some(&cp), None).await;
    assert!(p.changes.is_empty() && !p.reset, "{:?}", p.changes.len());
}
