//! Recovering unsynced work from a backup file (issue 20), over real HTTP: a rep whose browser
//! wiped the app's storage signs in again on a new device and uploads the old device's sealed
//! outbox; the server applies it exactly once as that device, or refuses the whole file.

mod common;

use std::collections::BTreeSet;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use satchel_core::sales::numbering::take_next;
use satchel_core::sales::OrderKind;
use satchel_core::sync::backup::{Backup, BACKUP_FORMAT, BACKUP_VERSION};
use satchel_core::sync::protocol::{Mutation, MutationBody, SealedMutation};
use satchel_core::sync::sealing::{key_from_hex, seal_mutation};
use satchel_core::vault::InsecureTestRng;
use serde_json::{json, Value};
use uuid::Uuid;

backend_tests! {
    a_new_device_recovers_work_the_old_one_never_pushed,
    the_same_work_twice_is_only_duplicate,
    a_file_the_server_partly_holds_applies_the_rest,
    one_changed_digit_refuses_the_whole_file,
    a_changed_entry_in_a_later_batch_refuses_the_earlier_batches_too,
    a_removed_entry_or_another_format_is_refused,
    entries_copied_into_another_devices_file_are_refused,
    only_the_devices_user_or_a_supervisor_may_recover,
    a_push_only_token_may_not_recover,
    a_file_that_starts_after_a_gap_waits_for_the_older_one,
    a_large_file_is_applied_in_push_sized_batches,
    the_route_takes_files_over_the_push_limit_up_to_32_mib,
    no_numbers_are_leased_to_the_old_device,
}

const RECOVER: &str = "/api/v1/sync/recover";

/// `n` valid sales orders of `dev` (a rep's), numbered from its lease, seq 1 to `n`: what its
/// outbox holds after a morning offline. One outlet and one SKU each, so none is flagged.
async fn sales_orders(s: &TestServer, dev: &Device, n: usize) -> Vec<Mutation> {
    let reference = s.reference(dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = dev.number_ranges.clone();
    (0..n)
        .map(|i| {
            let number = take_next(&mut numbers).expect("a leased number");
            let doc = sales_doc(sales, &sales.outlets[i].id, &[(&skus[i], "1")], OrderKind::Sale, number);
            sales_mutation(dev, i as u64 + 1, doc)
        })
        .collect()
}

/// The entries sealed by `dev`, as its outbox keeps them.
fn sealed(dev: &Device, mutations: &[Mutation], seed: u64) -> Vec<SealedMutation> {
    let public = key_from_hex(&dev.server_public_key).expect("public key");
    let secret = key_from_hex(&dev.device_secret).expect("device secret");
    let mut rng = InsecureTestRng::new(seed);
    mutations
        .iter()
        .map(|m| seal_mutation(&mut rng, dev.server_key_id, &public, &secret, m).expect("seals"))
        .collect()
}

/// What "Export unsynced work" writes for `dev`.
fn backup_of(dev: &Device, entries: Vec<SealedMutation>) -> Backup {
    Backup::new(dev.id, Utc::now(), entries)
}

async fn upload(s: &TestServer, token: Option<&str>, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let mut req = s.http.post(s.url(RECOVER)).header("content-type", "application/json").body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("recover");
    let status = res.status();
    (status, res.json().await.expect("json body"))
}

async fn recover(s: &TestServer, token: &str, backup: &Backup) -> (StatusCode, Value) {
    upload(s, Some(token), serde_json::to_vec(backup).expect("json")).await
}

/// The device pushes sealed entries itself, with its push-only token.
async fn push_sealed(s: &TestServer, dev: &Device, entries: &[SealedMutation]) -> Value {
    let body = json!({"device_id": dev.id, "sealed": entries});
    let (status, v) = s.push_raw(Some(&dev.push_token), serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The orders the server holds of `dev`, as a supervisor sees them.
async fn orders_of(s: &TestServer, sup: &Device, dev: &Device) -> Vec<Value> {
    let id = dev.id.to_string();
    s.orders(sup).await.into_iter().filter(|o| o["device_id"] == id.as_str()).collect()
}

fn order_id(m: &Mutation) -> String {
    match &m.body {
        MutationBody::SalesOrderCreate(doc) => doc.order_id.to_string(),
        other => panic!("not an order: {}", other.kind()),
    }
}

/// Each of `mutations`' orders is held exactly once, and nothing else of that device.
async fn assert_orders_once(s: &TestServer, sup: &Device, dev: &Device, mutations: &[Mutation]) {
    let held: Vec<String> = orders_of(s, sup, dev)
        .await
        .iter()
        .map(|o| o["order_id"].as_str().expect("order id").to_string())
        .collect();
    let wanted: BTreeSet<String> = mutations.iter().map(order_id).collect();
    assert_eq!(held.len(), wanted.len(), "{held:?}");
    assert_eq!(held.into_iter().collect::<BTreeSet<_>>(), wanted);
}

fn summary(dev: &Device, applied: u32, duplicate: u32) -> Value {
    json!({"device_id": dev.id, "total": applied + duplicate, "applied": applied, "duplicate": duplicate, "rejected": 0, "waiting": 0})
}

/// `entries` with one hex digit of entry `index` flipped, in the middle of its sealed box.
fn flip_digit(entries: &[SealedMutation], index: usize) -> Vec<SealedMutation> {
    let mut changed = entries.to_vec();
    let hex = &mut changed[index].sealed;
    let middle = hex.len() / 2;
    let digit = if &hex[middle..=middle] == "0" { "1" } else { "0" };
    hex.replace_range(middle..=middle, digit);
    changed
}

/// A sample of `/metrics` (0 when absent).
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn a_new_device_recovers_work_the_old_one_never_pushed(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let file = backup_of(&a, sealed(&a, &orders, 1));
    // The browser wiped device A; rep1 signs in again on what is now device B.
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.token, &file).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["summary"], summary(&a, 3, 0));
    assert_eq!(statuses(&v), ["applied", "applied", "applied"]);
    let seqs: Vec<u64> = v["results"].as_array().expect("results").iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_orders_once(&s, &sup, &a, &orders).await;
    // Recorded as A's work, rep1's, under A's document numbers.
    for o in orders_of(&s, &sup, &a).await {
        assert_eq!(o["username"], "rep1", "{o}");
        assert!(o["document_number"].as_str().is_some_and(|n| n.starts_with("SO-")), "{o}");
    }
    assert!(orders_of(&s, &sup, &b).await.is_empty(), "nothing is recorded as B's");
}

async fn the_same_work_twice_is_only_duplicate(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let entries = sealed(&a, &orders, 2);
    let file = backup_of(&a, entries.clone());
    let b = s.register("rep1", "rep1-demo").await;
    let (status, v) = recover(&s, &b.token, &file).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string(); 3]), "{v}");

    // The same file again (the rep clicked twice, or a second copy turned up).
    let (status, v) = recover(&s, &b.token, &file).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["summary"], summary(&a, 0, 3));
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "duplicate"]);
    assert!(v["results"].as_array().expect("results").iter().all(|r| r["original"] == "applied"), "{v}");
    assert_orders_once(&s, &sup, &a, &orders).await;

    // Device A was not wiped after all and pushes its outbox itself.
    let v = push_sealed(&s, &a, &entries).await;
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "duplicate"]);
    assert_eq!(v["last_seq"], 3);
    assert_orders_once(&s, &sup, &a, &orders).await;

    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_recovered_mutations_total{result=\"applied\"}"), 3.0, "{metrics}");
    assert_eq!(sample(&metrics, "satchel_recovered_mutations_total{result=\"duplicate\"}"), 3.0, "{metrics}");
    assert_eq!(sample(&metrics, "satchel_recovered_mutations_total{result=\"rejected\"}"), 0.0, "{metrics}");
}

async fn a_file_the_server_partly_holds_applies_the_rest(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let entries = sealed(&a, &orders, 3);
    // A pushed its first order; the answer may even have been lost, so the outbox (and the
    // file) still holds it.
    let v = push_sealed(&s, &a, &entries[..1]).await;
    assert_eq!(statuses(&v), ["applied"]);
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.token, &backup_of(&a, entries)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["duplicate", "applied", "applied"]);
    assert_eq!(v["summary"], summary(&a, 2, 1));
    assert_orders_once(&s, &sup, &a, &orders).await;
}

async fn one_changed_digit_refuses_the_whole_file(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let entries = sealed(&a, &orders, 4);
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.token, &backup_of(&a, flip_digit(&entries, 1))).await;
    assert_error(status, &v, 400, "backup_tampered");
    assert_eq!(v["field"], "entries[1]", "{v}");
    assert!(!v["message"].as_str().unwrap_or_default().contains(&entries[1].sealed[..16]), "no echo of the file: {v}");
    // Not even the good entry before it.
    assert!(orders_of(&s, &sup, &a).await.is_empty());

    // The genuine file still applies whole: nothing of the changed one took a sequence number.
    let (status, v) = recover(&s, &b.token, &backup_of(&a, entries)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["summary"], summary(&a, 3, 0));
    assert_orders_once(&s, &sup, &a, &orders).await;
}

async fn a_changed_entry_in_a_later_batch_refuses_the_earlier_batches_too(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&a).await;
    let orders = valid_batch(&a, &reference, 1, 150);
    let entries = sealed(&a, &orders, 11);
    let b = s.register("rep1", "rep1-demo").await;

    // Entry 120 is in the second batch of 100: the first batch is refused with it.
    let (status, v) = recover(&s, &b.token, &backup_of(&a, flip_digit(&entries, 120))).await;
    assert_error(status, &v, 400, "backup_tampered");
    assert_eq!(v["field"], "entries[120]", "{v}");
    assert!(orders_of(&s, &sup, &a).await.is_empty());
}

async fn a_removed_entry_or_another_format_is_refused(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let entries = sealed(&a, &orders, 5);
    let b = s.register("rep1", "rep1-demo").await;

    let mut gap = entries.clone();
    gap.remove(1);
    let (status, v) = recover(&s, &b.token, &backup_of(&a, gap)).await;
    assert_error(status, &v, 400, "backup_tampered");
    assert_eq!(v["field"], "entries", "{v}");

    let other = Backup { format: "zip".into(), ..backup_of(&a, entries.clone()) };
    let (status, v) = recover(&s, &b.token, &other).await;
    assert_error(status, &v, 400, "not_a_backup");
    assert_eq!(v["field"], "format", "{v}");

    let newer = Backup { version: BACKUP_VERSION + 1, ..backup_of(&a, entries.clone()) };
    let (status, v) = recover(&s, &b.token, &newer).await;
    assert_error(status, &v, 400, "not_a_backup");
    assert_eq!(v["field"], "version", "{v}");

    let (status, v) = recover(&s, &b.token, &backup_of(&a, Vec::new())).await;
    assert_error(status, &v, 400, "empty_backup");

    let (status, v) = upload(&s, Some(&b.token), "{\"format\": \"satchel-backup\"").await;
    assert_error(status, &v, 400, "malformed_json");

    assert!(orders_of(&s, &sup, &a).await.is_empty());
}

async fn entries_copied_into_another_devices_file_are_refused(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let c = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let b = s.register("rep1", "rep1-demo").await;

    // A's entries in a file that says it is C's: they do not open with C's secret.
    let (status, v) = recover(&s, &b.token, &backup_of(&c, sealed(&a, &orders, 6))).await;
    assert_error(status, &v, 400, "backup_tampered");
    assert_eq!(v["field"], "entries[0]", "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains(&c.id.to_string()), "names the device: {v}");
    assert!(orders_of(&s, &sup, &a).await.is_empty());
    assert!(orders_of(&s, &sup, &c).await.is_empty());
}

async fn only_the_devices_user_or_a_supervisor_may_recover(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let file = backup_of(&a, sealed(&a, &orders, 7));

    let rep2 = s.register("rep2", "rep2-demo").await;
    let (status, v) = recover(&s, &rep2.token, &file).await;
    assert_error(status, &v, 403, "forbidden");
    assert!(orders_of(&s, &sup, &a).await.is_empty());

    // A file of a device this server never registered (another deployment's).
    let stranger = Backup { device_id: Uuid::now_v7(), ..file.clone() };
    let (status, v) = recover(&s, &sup.token, &stranger).await;
    assert_error(status, &v, 404, "unknown_device");
    assert_eq!(v["field"], "device_id", "{v}");

    let (status, v) = recover(&s, &sup.token, &file).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["summary"], summary(&a, 3, 0));
    assert_orders_once(&s, &sup, &a, &orders).await;
    for o in orders_of(&s, &sup, &a).await {
        assert_eq!(o["username"], "rep1", "recorded as the rep's work, not the supervisor's: {o}");
    }
}

async fn a_push_only_token_may_not_recover(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let file = backup_of(&a, sealed(&a, &orders, 8));
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.push_token, &file).await;
    assert_error(status, &v, 403, "token_scope");
    let (status, v) = upload(&s, None, serde_json::to_vec(&file).expect("json")).await;
    assert_error(status, &v, 401, "missing_token");
    assert!(orders_of(&s, &sup, &a).await.is_empty());
}

async fn a_file_that_starts_after_a_gap_waits_for_the_older_one(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let orders = sales_orders(&s, &a, 3).await;
    let entries = sealed(&a, &orders, 9);
    let b = s.register("rep1", "rep1-demo").await;

    // Changes 2 and 3 only: the server never got change 1.
    let later = backup_of(&a, entries[1..].to_vec());
    let (status, v) = recover(&s, &b.token, &later).await;
    assert_error(status, &v, 409, "out_of_sequence");
    assert!(orders_of(&s, &sup, &a).await.is_empty());

    let (status, v) = recover(&s, &b.token, &backup_of(&a, entries[..1].to_vec())).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string()]), "{v}");
    let (status, v) = recover(&s, &b.token, &later).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string(); 2]), "{v}");
    assert_orders_once(&s, &sup, &a, &orders).await;
}

async fn a_large_file_is_applied_in_push_sized_batches(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&a).await;
    let orders = valid_batch(&a, &reference, 1, 230);
    let entries = sealed(&a, &orders, 10);
    // A got 120 through before the wipe (two pushes: a push holds at most 100).
    push_sealed(&s, &a, &entries[..100]).await;
    push_sealed(&s, &a, &entries[100..120]).await;
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.token, &backup_of(&a, entries)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["summary"], summary(&a, 110, 120));
    let results = v["results"].as_array().expect("results");
    let seqs: Vec<u64> = results.iter().filter_map(|r| r["seq"].as_u64()).collect();
    assert_eq!(seqs, (1..=230).collect::<Vec<u64>>(), "one result per entry, in the file's order");
    assert!(results[..120].iter().all(|r| r["status"] == "duplicate"));
    assert!(results[120..].iter().all(|r| r["status"] == "applied"));
    assert_orders_once(&s, &sup, &a, &orders).await;
}

async fn the_route_takes_files_over_the_push_limit_up_to_32_mib(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let b = s.register("rep1", "rep1-demo").await;

    // 2 MiB, twice what a push may carry: read and checked (its one entry does not open).
    let big = SealedMutation { seq: 1, id: Uuid::now_v7(), sealed: "00".repeat(1 << 20) };
    let (status, v) = recover(&s, &b.token, &backup_of(&a, vec![big])).await;
    assert_error(status, &v, 400, "backup_tampered");

    // Over 32 MiB: refused as too large, saying the route's limit.
    let huge = format!(
        "{{\"format\":\"{BACKUP_FORMAT}\",\"version\":{BACKUP_VERSION},\"device_id\":\"{}\",\"created_at\":\"{}\",\"entries\":[{{\"seq\":1,\"id\":\"{}\",\"sealed\":\"{}\"}}]}}",
        a.id,
        Utc::now().to_rfc3339(),
        Uuid::now_v7(),
        "00".repeat(16 << 20)
    );
    let (status, v) = upload(&s, Some(&b.token), huge).await;
    assert_error(status, &v, 413, "body_too_large");
    assert!(v["message"].as_str().unwrap_or_default().contains(&(32usize << 20).to_string()), "{v}");
    assert!(orders_of(&s, &sup, &a).await.is_empty());
}

async fn no_numbers_are_leased_to_the_old_device(backend: Backend) {
    let s = start(backend).await;
    let sup = s.register("super", "super-demo").await;
    let a = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&a).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    // A used 851 numbers offline: a push of this would lease A a new range (149 left).
    let lease = a.number_ranges[0].clone();
    let number = satchel_core::sales::numbering::format_number("SO-", lease.first + 850);
    let doc = sales_doc(sales, &sales.outlets[0].id, &[(&skus[0], "1")], OrderKind::Sale, number);
    let orders = vec![sales_mutation(&a, 1, doc)];
    let b = s.register("rep1", "rep1-demo").await;

    let (status, v) = recover(&s, &b.token, &backup_of(&a, sealed(&a, &orders, 12))).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string()]), "{v}");
    assert!(v.get("number_ranges").is_none(), "{v}");
    assert_orders_once(&s, &sup, &a, &orders).await;
    // Nobody would receive a range leased to A: the next lease follows B's.
    let c = s.register("rep2", "rep2-demo").await;
    assert_eq!(c.number_ranges[0].first, b.number_ranges[0].last + 1, "{:?} after {:?}", c.number_ranges, b.number_ranges);
}
