//! Mutation dependencies end to end: chains applied in order, a refused parent holding its
//! children (replayed, discarded, resubmitted), a child deferred until its parent arrives from
//! another device, `task.complete` and its dependents, bad dependencies, and exactly-once with all
//! of it.

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use satchel_core::sales::numbering::take_next;
use satchel_core::sales::OrderKind;
use satchel_core::sync::protocol::{
    Discard, Entity, Mutation, MutationBody, MutationResult, Outcome, PullResponse, TaskCompletion,
};
use serde_json::Value;
use uuid::Uuid;

backend_tests! {
    a_chain_is_applied_in_order,
    a_refused_parent_holds_its_child_until_discarded_or_resubmitted,
    a_child_pushed_before_its_parent_on_another_device_waits_for_it,
    a_completion_of_a_cancelled_task_is_refused_and_holds_its_order,
    task_completions_are_checked_and_applied,
    bad_dependencies_are_rejected,
    a_circle_across_devices_is_broken,
    exactly_once_holds_with_dependencies,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_parent_and_its_child_racing_never_leave_the_child_waiting,
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A pool on the test server's own database (for the SQL an office tool would run, and to read
/// what the server recorded).
async fn pool(store: &Store) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = store
        .database_url()
        .unwrap_or_else(|| format!("sqlite://{}", store.data_dir().join("satchel.sqlite3").display()));
    sqlx::AnyPool::connect(&url).await.expect("connect to the test database")
}

async fn exec(store: &Store, sql: &str, binds: &[&str]) {
    let db = pool(store).await;
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    db.close().await;
}

/// What `outcomes::stored_outcome` says of a mutation.
async fn stored(store: &Store, id: Uuid) -> Option<MutationResult> {
    let db = pool(store).await;
    let mut conn = db.acquire().await.expect("conn");
    let r = satchel_server::outcomes::stored_outcome(&mut conn, &id.to_string()).await.expect("stored outcome");
    drop(conn);
    db.close().await;
    r
}

/// The feed row of a mutation's result: its scope, or `None`.
async fn result_feed_scope(store: &Store, id: Uuid) -> Option<String> {
    let db = pool(store).await;
    let row: Option<(String,)> =
        sqlx::query_as("SELECT scope FROM feed WHERE entity = 'mutation_result' AND entity_key = $1")
            .bind(id.to_string())
            .fetch_optional(&db)
            .await
            .expect("feed");
    db.close().await;
    row.map(|(s,)| s)
}

/// A task of `assignee` at `outlet`, inserted as the office would.
async fn insert_task(store: &Store, id: &str, outlet: &str, assignee: &str) {
    exec(
        store,
        "INSERT INTO tasks (id, outlet_id, assignee, kind, title, details, status, photos, updated_at) \
         VALUES ($1, $2, $3, 'visit', 'Check the shelf', '', 'open', '[]', '2026-11-20T08:00:00.000000Z')",
        &[id, outlet, assignee],
    )
    .await;
}

async fn cancel_task(store: &Store, id: &str) {
    exec(store, "UPDATE tasks SET status = 'cancelled', updated_at = '2026-11-21T09:30:00.000000Z' WHERE id = $1", &[id]).await;
}

async fn task_row(store: &Store, id: &str) -> (String, Option<String>, Option<String>) {
    let db = pool(store).await;
    let row: (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT status, completed_by, note FROM tasks WHERE id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("task");
    db.close().await;
    row
}

/// The `mutation_result` change of `id` a device's pull (from the start) carries, if any.
async fn pulled_result(s: &TestServer, dev: &Device, id: Uuid) -> Option<MutationResult> {
    let mut checkpoint: Option<String> = None;
    for _ in 0..100 {
        let query = match &checkpoint {
            Some(c) => format!("?checkpoint={c}&limit=2000"),
            None => "?limit=2000".to_string(),
        };
        let (status, v) = s.get(&format!("/api/v1/sync/pull{query}"), &dev.token).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let page: PullResponse = serde_json::from_value(v).expect("a pull page");
        if let Some(c) = page.changes.iter().find(|c| c.entity == Entity::MutationResult && c.key == id.to_string()) {
            return c.decode().expect("a mutation result");
        }
        if !page.has_more {
            return None;
        }
        checkpoint = Some(page.checkpoint);
    }
    panic!("the pull does not end")
}

fn results(v: &Value) -> Vec<MutationResult> {
    serde_json::from_value(v["results"].clone()).unwrap_or_else(|e| panic!("results in {v}: {e}"))
}

fn with_parents(mut m: Mutation, parents: &[Uuid]) -> Mutation {
    m.depends_on = parents.to_vec();
    m
}

fn complete(dev: &Device, seq: u64, task: &str) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::TaskComplete(TaskCompletion {
            task_id: task.into(),
            completed_at: Utc::now(),
            note: "shelf restocked".into(),
            photos: Vec::new(),
            day: None,
        }),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}

fn discard(dev: &Device, seq: u64, target: Uuid, reason: &str) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::MutationDiscard(Discard { target, reason: reason.into() }),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}

/// An order for an outlet that does not exist: rejected `unknown_outlet`.
fn refused_order(dev: &Device, r: &satchel_core::sync::protocol::ReferenceData, seq: u64) -> Mutation {
    let mut doc = valid_doc(dev, r, seq as usize);
    doc.order.outlet_id = "OUT-NOPE".into();
    mutation(dev, seq, doc)
}

async fn push_ok(s: &TestServer, dev: &Device, ms: &[Mutation]) -> Vec<MutationResult> {
    let (status, v) = s.push(dev, ms).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    results(&v)
}

fn held_by(r: &MutationResult) -> (Uuid, String, String) {
    match &r.outcome {
        Outcome::Held { parent, code, reason } => (*parent, code.clone(), reason.clone()),
        other => panic!("held expected, got {other:?}"),
    }
}

fn rejected_code(r: &MutationResult) -> String {
    match &r.outcome {
        Outcome::Rejected { code, .. } => code.clone(),
        other => panic!("rejected expected, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

async fn a_chain_is_applied_in_order(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    let a = mutation(&dev, 1, valid_doc(&dev, &r, 1));
    let b = with_parents(mutation(&dev, 2, valid_doc(&dev, &r, 2)), &[a.id]);
    let got = push_ok(&s, &dev, &[a.clone(), b.clone()]).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    assert_eq!(got[1].outcome, Outcome::Applied);
    // A grandchild in a later push, naming both.
    let c = with_parents(mutation(&dev, 3, valid_doc(&dev, &r, 3)), &[b.id, a.id]);
    let got = push_ok(&s, &dev, std::slice::from_ref(&c)).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    assert_eq!(s.orders(&dev).await.len(), 3);
    // `depends_on` is kept with every row.
    let db = pool(&s.store).await;
    let (deps,): (String,) = sqlx::query_as("SELECT depends_on FROM mutations WHERE mutation_id = $1")
        .bind(c.id.to_string())
        .fetch_one(&db)
        .await
        .expect("row");
    assert_eq!(serde_json::from_str::<Vec<Uuid>>(&deps).expect("json"), vec![b.id, a.id]);
    let (deps,): (String,) = sqlx::query_as("SELECT depends_on FROM mutations WHERE mutation_id = $1")
        .bind(a.id.to_string())
        .fetch_one(&db)
        .await
        .expect("row");
    assert_eq!(deps, "[]");
    db.close().await;
    assert_eq!(stored(&s.store, c.id).await.map(|r| r.outcome), Some(Outcome::Applied));
}

async fn a_refused_parent_holds_its_child_until_discarded_or_resubmitted(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    let a = refused_order(&dev, &r, 1);
    let child_doc = valid_doc(&dev, &r, 5);
    let b = with_parents(mutation(&dev, 2, child_doc.clone()), &[a.id]);
    // A grandchild: held by a held parent.
    let g = with_parents(mutation(&dev, 3, valid_doc(&dev, &r, 6)), &[b.id]);
    let push = [a.clone(), b.clone(), g.clone()];
    let got = push_ok(&s, &dev, &push).await;
    assert_eq!(rejected_code(&got[0]), "unknown_outlet");
    let Outcome::Rejected { reason: parent_reason, .. } = &got[0].outcome else { unreachable!() };
    let (parent, code, reason) = held_by(&got[1]);
    assert_eq!((parent, code.as_str()), (a.id, "unknown_outlet"));
    assert!(reason.contains(parent_reason.as_str()), "the parent's reason: {reason}");
    let (gparent, gcode, greason) = held_by(&got[2]);
    assert_eq!((gparent, gcode.as_str(), greason.as_str()), (b.id, "held", reason.as_str()));
    assert!(s.orders(&dev).await.is_empty(), "nothing applied");

    // The seq was consumed; a replay answers held again, word for word.
    let (_, v) = s.push(&dev, &push).await;
    assert_eq!(v["last_seq"], 3);
    let again = results(&v);
    assert_eq!(again[0].outcome, Outcome::Duplicate { original: "rejected".into() });
    assert_eq!(again[1], got[1]);
    assert_eq!(again[2], got[2]);
    assert_eq!(stored(&s.store, b.id).await.expect("recorded").outcome, got[1].outcome);

    // Discarding something that is not held is refused.
    let got = push_ok(&s, &dev, &[discard(&dev, 4, a.id, "oops"), discard(&dev, 5, Uuid::now_v7(), "")]).await;
    assert_eq!(rejected_code(&got[0]), "not_held");
    assert_eq!(rejected_code(&got[1]), "not_held");
    // Another device of the same user cannot discard this device's held mutation either.
    let other = s.register("rep1", "rep1-demo").await;
    let got = push_ok(&s, &other, &[discard(&other, 1, b.id, "")]).await;
    assert_eq!(rejected_code(&got[0]), "not_held");

    // The user discards the held child: recorded, with who and why.
    let d = discard(&dev, 6, b.id, "the shop closed");
    let got = push_ok(&s, &dev, std::slice::from_ref(&d)).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    let rec = stored(&s.store, b.id).await.expect("still on record");
    let Outcome::Rejected { code, reason, .. } = &rec.outcome else { panic!("{rec:?}") };
    assert_eq!(code, "discarded");
    assert!(reason.contains("rep1") && reason.contains("the shop closed"), "{reason}");
    assert_eq!(result_feed_scope(&s.store, b.id).await, Some(format!("device:{}", dev.id)));
    // The grandchild is now held by a discarded parent, and its device is told.
    let rec = stored(&s.store, g.id).await.expect("recorded");
    let (gparent, gcode, _) = held_by(&rec);
    assert_eq!((gparent, gcode.as_str()), (b.id, "discarded"));
    assert_eq!(result_feed_scope(&s.store, g.id).await, Some(format!("device:{}", dev.id)));
    // A replay of the held child now says it was discarded; discarding twice is refused.
    let (_, v) = s.push(&dev, &push).await;
    assert_eq!(results(&v)[1].outcome, Outcome::Duplicate { original: "discarded".into() });
    let got = push_ok(&s, &dev, &[discard(&dev, 7, b.id, "again")]).await;
    assert_eq!(rejected_code(&got[0]), "not_held");

    // The user resubmits the grandchild's order as a new mutation, without the dependency.
    let mut again = g.clone();
    again.id = Uuid::now_v7();
    again.seq = 8;
    again.depends_on.clear();
    let got = push_ok(&s, &dev, &[again]).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    assert_eq!(s.orders(&dev).await.len(), 1);
}

async fn a_child_pushed_before_its_parent_on_another_device_waits_for_it(backend: Backend) {
    let s = start(backend).await;
    let phone = s.register("rep1", "rep1-demo").await;
    let tablet = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&phone).await;
    let parent = mutation(&phone, 1, valid_doc(&phone, &r, 1));
    let child = with_parents(mutation(&tablet, 1, valid_doc(&tablet, &r, 2)), &[parent.id]);

    let got = push_ok(&s, &tablet, std::slice::from_ref(&child)).await;
    let Outcome::Deferred { waiting_for, reason } = &got[0].outcome else { panic!("{got:?}") };
    assert_eq!(waiting_for, &vec![format!("mutation:{}", parent.id)]);
    assert!(reason.contains("1 other change"), "{reason}");
    assert!(s.orders(&tablet).await.is_empty(), "not applied yet");
    assert_eq!(result_feed_scope(&s.store, child.id).await, None, "the push itself told the device");
    // A replay answers deferred again; the seq is consumed.
    let (_, v) = s.push(&tablet, std::slice::from_ref(&child)).await;
    assert_eq!(results(&v), got);
    assert_eq!(v["last_seq"], 1);

    // The parent arrives: applied, and the child with it.
    let got = push_ok(&s, &phone, std::slice::from_ref(&parent)).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    let rec = stored(&s.store, child.id).await.expect("recorded");
    assert_eq!((rec.seq, rec.id, rec.outcome), (1, child.id, Outcome::Applied));
    assert_eq!(result_feed_scope(&s.store, child.id).await, Some(format!("device:{}", tablet.id)));
    // The tablet learns it through its pull; the phone is not told.
    let pulled = pulled_result(&s, &tablet, child.id).await.expect("the tablet's pull carries the result");
    assert_eq!((pulled.seq, pulled.id, pulled.outcome), (1, child.id, Outcome::Applied));
    assert_eq!(pulled_result(&s, &phone, child.id).await, None);
    let orders = s.orders(&tablet).await;
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().any(|o| o["device_id"] == tablet.id.to_string()), "{orders:?}");
    // The tablet's replay now answers as for any applied mutation; nothing is applied twice.
    let (_, v) = s.push(&tablet, std::slice::from_ref(&child)).await;
    assert_eq!(results(&v)[0].outcome, Outcome::Duplicate { original: "applied".into() });
    assert_eq!(s.orders(&tablet).await.len(), 2);
    let db = pool(&s.store).await;
    let (waits,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mutation_waits").fetch_one(&db).await.expect("count");
    let (body, settled): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT body, settled_at FROM mutations WHERE mutation_id = $1")
            .bind(child.id.to_string())
            .fetch_one(&db)
            .await
            .expect("row");
    db.close().await;
    assert_eq!(waits, 0, "no wait left");
    assert!(body.is_none() && settled.is_some(), "settled, its body dropped");
    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_deferred_settled_total{outcome=\"applied\"} 1\n"), "{metrics}");
    assert!(metrics.contains("satchel_mutations_total{outcome=\"deferred\"} 1\n"), "{metrics}");
}

async fn a_completion_of_a_cancelled_task_is_refused_and_holds_its_order(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    let sales = sales_of(&r);
    let outlet = sales.outlets[0].id.clone();
    insert_task(&s.store, "T-DEPS-1", &outlet, "rep1").await;
    cancel_task(&s.store, "T-DEPS-1").await;

    let done = complete(&dev, 1, "T-DEPS-1");
    let skus = plain_skus(sales);
    let mut ranges = dev.number_ranges.clone();
    let number = take_next(&mut ranges).expect("a leased number");
    let doc = sales_doc(sales, &outlet, &[(skus[0].as_str(), "2")], OrderKind::Sale, number);
    let order = with_parents(sales_mutation(&dev, 2, doc), &[done.id]);
    let got = push_ok(&s, &dev, &[done.clone(), order.clone()]).await;
    let Outcome::Rejected { code, reason, field } = &got[0].outcome else { panic!("{got:?}") };
    assert_eq!((code.as_str(), field.as_deref()), ("task_closed", Some("task_id")));
    assert!(reason.contains("cancelled by the office") && reason.contains("2026-11-21 09:30"), "{reason}");
    let (parent, code, held_reason) = held_by(&got[1]);
    assert_eq!((parent, code.as_str()), (done.id, "task_closed"));
    assert!(held_reason.contains("cancelled by the office"), "{held_reason}");
    assert!(s.orders(&dev).await.is_empty());
    assert_eq!(task_row(&s.store, "T-DEPS-1").await.0, "cancelled");
}

async fn task_completions_are_checked_and_applied(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let r = s.reference(&rep1).await;
    let outlet = r.outlets[0].id.clone();
    insert_task(&s.store, "T-MINE", &outlet, "rep1").await;
    insert_task(&s.store, "T-THEIRS", &outlet, "rep2").await;

    let mine = complete(&rep1, 1, "T-MINE");
    let got = push_ok(&s, &rep1, &[mine.clone(), complete(&rep1, 2, "T-THEIRS"), complete(&rep1, 3, "T-NONE"), complete(&rep1, 4, "T-MINE")]).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    assert_eq!(rejected_code(&got[1]), "unknown_task", "another rep's task");
    assert_eq!(rejected_code(&got[2]), "unknown_task");
    let Outcome::Rejected { code, reason, .. } = &got[3].outcome else { panic!("{got:?}") };
    assert_eq!(code, "task_closed");
    assert!(reason.contains("already completed"), "{reason}");
    let (status, by, note) = task_row(&s.store, "T-MINE").await;
    assert_eq!((status.as_str(), by, note.as_deref()), ("done", Some(mine.id.to_string()), Some("shelf restocked")));
    assert_eq!(task_row(&s.store, "T-THEIRS").await.0, "open");
    // The change goes to the assignee's devices through the feed.
    let db = pool(&s.store).await;
    let (scope,): (String,) = sqlx::query_as("SELECT scope FROM feed WHERE entity = 'task' AND entity_key = 'T-MINE'")
        .fetch_one(&db)
        .await
        .expect("a feed row for the task");
    db.close().await;
    assert_eq!(scope, "user:rep1");
    // rep2 completes their own.
    let got = push_ok(&s, &rep2, &[complete(&rep2, 1, "T-THEIRS")]).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
}

async fn bad_dependencies_are_rejected(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    let mut itself = mutation(&dev, 1, valid_doc(&dev, &r, 1));
    itself.depends_on = vec![itself.id];
    let a = Uuid::now_v7();
    let twice = with_parents(mutation(&dev, 2, valid_doc(&dev, &r, 2)), &[a, a]);
    let many: Vec<Uuid> = (0..17).map(|_| Uuid::now_v7()).collect();
    let too_many = with_parents(mutation(&dev, 3, valid_doc(&dev, &r, 3)), &many);
    let later = mutation(&dev, 5, valid_doc(&dev, &r, 5));
    let on_later = with_parents(mutation(&dev, 4, valid_doc(&dev, &r, 4)), &[later.id]);
    let got = push_ok(&s, &dev, &[itself, twice, too_many, on_later, later]).await;
    for (i, field) in [(0, "depends_on[0]"), (1, "depends_on[1]"), (2, "depends_on"), (3, "depends_on[0]")] {
        let Outcome::Rejected { code, field: f, .. } = &got[i].outcome else { panic!("{i}: {:?}", got[i]) };
        assert_eq!((code.as_str(), f.as_deref()), ("bad_dependency", Some(field)), "{i}");
    }
    assert_eq!(got[4].outcome, Outcome::Applied);
    // Sixteen parents are fine (here all applied: this push's own).
    let first: Vec<Mutation> = (6..=21).map(|seq| mutation(&dev, seq, valid_doc(&dev, &r, seq as usize))).collect();
    let ids: Vec<Uuid> = first.iter().map(|m| m.id).collect();
    let mut push = first.clone();
    push.push(with_parents(mutation(&dev, 22, valid_doc(&dev, &r, 22)), &ids));
    let got = push_ok(&s, &dev, &push).await;
    assert_eq!(got[16].outcome, Outcome::Applied, "{:?}", got[16]);

    // A dependency on a later mutation of the same device, found when that one arrives.
    let forward_id = Uuid::now_v7();
    let waits = with_parents(mutation(&dev, 23, valid_doc(&dev, &r, 23)), &[forward_id]);
    let got = push_ok(&s, &dev, std::slice::from_ref(&waits)).await;
    assert!(matches!(got[0].outcome, Outcome::Deferred { .. }), "{got:?}");
    let mut forward = mutation(&dev, 24, valid_doc(&dev, &r, 24));
    forward.id = forward_id;
    let got = push_ok(&s, &dev, &[forward]).await;
    assert_eq!(got[0].outcome, Outcome::Applied);
    let rec = stored(&s.store, waits.id).await.expect("recorded");
    assert_eq!(rejected_code(&rec), "bad_dependency");
    assert_eq!(result_feed_scope(&s.store, waits.id).await, Some(format!("device:{}", dev.id)));
}

async fn a_circle_across_devices_is_broken(backend: Backend) {
    let s = start(backend).await;
    let one = s.register("rep1", "rep1-demo").await;
    let two = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&one).await;
    let (a_id, b_id) = (Uuid::now_v7(), Uuid::now_v7());
    let mut a = with_parents(mutation(&one, 1, valid_doc(&one, &r, 1)), &[b_id]);
    a.id = a_id;
    let mut b = with_parents(mutation(&two, 1, valid_doc(&two, &r, 2)), &[a_id]);
    b.id = b_id;
    let got = push_ok(&s, &one, &[a]).await;
    assert!(matches!(got[0].outcome, Outcome::Deferred { .. }), "{got:?}");
    let got = push_ok(&s, &two, &[b]).await;
    assert_eq!(rejected_code(&got[0]), "bad_dependency", "closing the circle is refused");
    let rec = stored(&s.store, a_id).await.expect("recorded");
    let (parent, code, _) = held_by(&rec);
    assert_eq!((parent, code.as_str()), (b_id, "bad_dependency"), "and the waiting one is held by it");
    assert!(s.orders(&one).await.is_empty());
}

async fn exactly_once_holds_with_dependencies(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&dev).await;
    let ok = mutation(&dev, 1, valid_doc(&dev, &r, 1));
    let child = with_parents(mutation(&dev, 2, valid_doc(&dev, &r, 2)), &[ok.id]);
    let refused = refused_order(&dev, &r, 3);
    let held = with_parents(mutation(&dev, 4, valid_doc(&dev, &r, 4)), &[refused.id]);
    let waiting = with_parents(mutation(&dev, 5, valid_doc(&dev, &r, 5)), &[Uuid::now_v7(), Uuid::now_v7()]);
    let push = [ok, child, refused, held, waiting];
    let (_, v) = s.push(&dev, &push).await;
    let first = results(&v);
    let statuses: Vec<&str> = first.iter().map(|r| r.outcome.status()).collect();
    assert_eq!(statuses, ["applied", "applied", "rejected", "held", "deferred"]);
    assert_eq!(v["last_seq"], 5);
    let Outcome::Deferred { waiting_for, .. } = &first[4].outcome else { unreachable!() };
    assert_eq!(waiting_for.len(), 2);
    let mut sorted = waiting_for.clone();
    sorted.sort();
    assert_eq!(waiting_for, &sorted);

    let (status, v) = s.push(&dev, &push).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["last_seq"], 5);
    let again = results(&v);
    let dup = |o: &str| Outcome::Duplicate { original: o.into() };
    assert_eq!(again[0].outcome, dup("applied"));
    assert_eq!(again[1].outcome, dup("applied"));
    assert_eq!(again[2].outcome, dup("rejected"));
    assert_eq!(again[3], first[3], "held answers the same");
    assert_eq!(again[4], first[4], "deferred answers the same");
    assert_eq!(s.orders(&dev).await.len(), 2, "nothing applied twice");
    let db = pool(&s.store).await;
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mutations WHERE device_id = $1")
        .bind(dev.id.to_string())
        .fetch_one(&db)
        .await
        .expect("count");
    db.close().await;
    assert_eq!(rows, 5);
}

/// A parent and its child pushed at the same moment by two devices: whichever commits first, the
/// child ends applied (never deferred on a parent that is already applied).
async fn a_parent_and_its_child_racing_never_leave_the_child_waiting(backend: Backend) {
    const ROUNDS: u64 = 12;
    let s = start(backend).await;
    let one = s.register("rep1", "rep1-demo").await;
    let two = s.register("rep1", "rep1-demo").await;
    let r = s.reference(&one).await;
    let mut children = Vec::new();
    for seq in 1..=ROUNDS {
        let parent = mutation(&one, seq, valid_doc(&one, &r, seq as usize));
        let child = with_parents(mutation(&two, seq, valid_doc(&two, &r, 100 + seq as usize)), &[parent.id]);
        let (p, c) = tokio::join!(s.push(&one, std::slice::from_ref(&parent)), s.push(&two, std::slice::from_ref(&child)));
        assert_eq!((p.0, c.0), (StatusCode::OK, StatusCode::OK), "{} {}", p.1, c.1);
        children.push(child.id);
    }
    for id in children {
        let rec = stored(&s.store, id).await.expect("recorded");
        assert_eq!(rec.outcome, Outcome::Applied, "{id}");
    }
    assert_eq!(s.orders(&one).await.len(), 2 * ROUNDS as usize);
}
