//! The server knows what it should have (issue 20), over real HTTP: every push carries the
//! device's high-water marks, recorded even when its batch then fails; a rep signing in again
//! (after the browser wiped the app's storage) is told what never arrived and its document
//! numbers, and a supervisor sees every device's (`GET /api/v1/devices/missing`). Once the work
//! arrives, by a push or a recovered backup, nothing is listed.

mod common;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use satchel_core::sales::numbering::format_number;
use satchel_core::sales::{NumberRange, OrderKind};
use satchel_core::sync::backup::Backup;
use satchel_core::sync::protocol::{Mutation, SealedMutation};
use satchel_core::sync::sealing::{key_from_hex, seal_mutation};
use satchel_core::vault::InsecureTestRng;
use serde_json::{json, Value};
use uuid::Uuid;

backend_tests! {
    marks_of_a_failed_push_tell_a_new_sign_in_what_never_arrived,
    work_pushed_at_last_is_no_longer_missing,
    work_recovered_from_a_backup_is_no_longer_missing,
    late_lower_marks_do_not_lower_them,
    marks_core_refuses_refuse_the_whole_push,
    a_push_without_marks_records_nothing,
    a_range_leased_by_the_same_push_is_not_counted_as_used,
    a_cashiers_receipt_numbers_are_not_counted,
    the_supervisor_sees_the_longest_waiting_first,
}

const MISSING: &str = "/api/v1/devices/missing";

/// Signs `username` in on a new device: the device and the answer's `missing` (empty when the
/// answer leaves it out).
async fn sign_in(s: &TestServer, username: &str, password: &str) -> (Device, Vec<Value>) {
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .json(&json!({"username": username, "password": password, "label": "test"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    let sealing = &v["sealing"];
    let dev = Device {
        id: Uuid::parse_str(v["device_id"].as_str().expect("id")).expect("uuid"),
        token: v["token"].as_str().expect("token").to_string(),
        push_token: sealing["push_token"].as_str().expect("push token").to_string(),
        device_secret: sealing["device_secret"].as_str().expect("secret").to_string(),
        server_key_id: u32::try_from(sealing["server_key_id"].as_u64().expect("key id")).expect("u32"),
        server_public_key: sealing["server_public_key"].as_str().expect("public key").to_string(),
        number_ranges: serde_json::from_value(v["number_ranges"].clone()).expect("number ranges"),
    };
    let missing = v.get("missing").map_or_else(Vec::new, |m| m.as_array().expect("missing is a list").clone());
    (dev, missing)
}

/// The supervisor's list.
async fn missing_list(s: &TestServer, sup: &Device) -> Vec<Value> {
    let (status, v) = s.get(MISSING, &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["devices"].as_array().expect("devices").clone()
}

/// The device's document range (its first lease, `SO-…`).
fn documents_range(dev: &Device) -> NumberRange {
    dev.number_ranges.iter().find(|r| r.prefix == "SO-").expect("a document range").clone()
}

/// Document number `i` of the device's first lease (`i` from 0), as printed.
fn number(dev: &Device, i: u64) -> String {
    let r = documents_range(dev);
    format_number(&r.prefix, r.first + i)
}

/// Marks saying the device committed up to `committed_seq` and holds its first lease unused from
/// its `next`th number on.
fn marks(dev: &Device, committed_seq: u64, next: u64) -> Value {
    let r = documents_range(dev);
    json!({"committed_seq": committed_seq, "unused_ranges": [{"prefix": r.prefix, "first": r.first + next, "last": r.last}]})
}

/// Valid sales orders of `dev` with sequence numbers `seqs`, the `i`th numbered with the device's
/// number `seq - 1` (one number per change, in order).
async fn orders(s: &TestServer, dev: &Device, seqs: std::ops::RangeInclusive<u64>) -> Vec<Mutation> {
    let reference = s.reference(dev).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    seqs.map(|seq| {
        let i = usize::try_from(seq).expect("small");
        let doc = sales_doc(sales, &sales.outlets[i % sales.outlets.len()].id, &[(&skus[i % skus.len()], "1")], OrderKind::Sale, number(dev, seq - 1));
        sales_mutation(dev, seq, doc)
    })
    .collect()
}

/// A push of `mutations` with the full token, carrying `marks` when given (and `extra` fields).
async fn push_with(s: &TestServer, dev: &Device, mutations: &[Mutation], marks: Option<Value>, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"device_id": dev.id, "mutations": mutations});
    if let Some(m) = marks {
        body["marks"] = m;
    }
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    s.push_raw(Some(&dev.token), serde_json::to_vec(&body).expect("json")).await
}

/// What rep1's device A leaves after the scenario of the issue: two orders pushed (marks: seq 2,
/// numbers unused from its third), then a push whose batch fails (it starts at seq 4:
/// `409 out_of_sequence`) but whose marks say seq 4, unused from its fifth number. Returns A and
/// its four orders (seq 1 to 4; the server never received the last two).
async fn a_with_two_changes_missing(s: &TestServer) -> (Device, Vec<Mutation>) {
    let (a, missing) = sign_in(s, "rep1", "rep1-demo").await;
    assert!(missing.is_empty(), "{missing:?}");
    let all = orders(s, &a, 1..=4).await;
    let (status, v) = push_with(s, &a, &all[..2], Some(marks(&a, 2, 2)), json!({})).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string(); 2]), "{v}");
    let (status, v) = push_with(s, &a, &all[3..], Some(marks(&a, 4, 4)), json!({})).await;
    assert_error(status, &v, 409, "out_of_sequence");
    (a, all)
}

/// The entry `missing` must hold for device A of [`a_with_two_changes_missing`].
fn assert_a_missing(entry: &Value, a: &Device) {
    assert_eq!(entry["device_id"], a.id.to_string(), "{entry}");
    assert_eq!(entry["username"], "rep1", "{entry}");
    assert_eq!(entry["label"], "test", "{entry}");
    assert_eq!(entry["changes"], 2, "{entry}");
    assert_eq!(entry["documents"], json!([number(a, 2), number(a, 3)]), "{entry}");
    assert_eq!(entry["documents_total"], 2, "{entry}");
    assert!(entry["last_contact"].as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), "{entry}");
}

async fn marks_of_a_failed_push_tell_a_new_sign_in_what_never_arrived(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, _) = a_with_two_changes_missing(&s).await;

    // The browser wiped A; rep1 signs in again as device B.
    let (b, missing) = sign_in(&s, "rep1", "rep1-demo").await;
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_a_missing(&missing[0], &a);

    // The supervisor sees the same.
    let listed = missing_list(&s, &sup).await;
    assert_eq!(listed, missing);

    // rep2 is told nothing of rep1's devices.
    let (rep2, missing) = sign_in(&s, "rep2", "rep2-demo").await;
    assert!(missing.is_empty(), "{missing:?}");

    // Only a supervisor's full token reads the list.
    let (status, v) = s.get(MISSING, &b.token).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = s.get(MISSING, &rep2.token).await;
    assert_error(status, &v, 403, "forbidden");
    let (status, v) = s.get(MISSING, &sup.push_token).await;
    assert_error(status, &v, 403, "token_scope");
    let res = s.http.get(s.url(MISSING)).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn work_pushed_at_last_is_no_longer_missing(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, all) = a_with_two_changes_missing(&s).await;
    assert_eq!(missing_list(&s, &sup).await.len(), 1);

    // A was not wiped after all: its next push carries seq 3 and 4.
    let (status, v) = push_with(&s, &a, &all[2..], Some(marks(&a, 4, 4)), json!({})).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string(); 2]), "{v}");

    assert_eq!(missing_list(&s, &sup).await, Vec::<Value>::new());
    let (_, missing) = sign_in(&s, "rep1", "rep1-demo").await;
    assert!(missing.is_empty(), "{missing:?}");
}

/// The entries sealed by `dev`, as its outbox keeps them.
fn sealed(dev: &Device, mutations: &[Mutation]) -> Vec<SealedMutation> {
    let public = key_from_hex(&dev.server_public_key).expect("public key");
    let secret = key_from_hex(&dev.device_secret).expect("device secret");
    let mut rng = InsecureTestRng::new(7);
    mutations
        .iter()
        .map(|m| seal_mutation(&mut rng, dev.server_key_id, &public, &secret, m).expect("seals"))
        .collect()
}

async fn work_recovered_from_a_backup_is_no_longer_missing(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, all) = a_with_two_changes_missing(&s).await;
    let file = Backup::new(a.id, Utc::now(), sealed(&a, &all[2..]));

    // rep1 signs in again as B, is told what is missing, and imports A's backup file.
    let (b, missing) = sign_in(&s, "rep1", "rep1-demo").await;
    assert_eq!(missing.len(), 1, "{missing:?}");
    let res = s
        .http
        .post(s.url("/api/v1/sync/recover"))
        .bearer_auth(&b.token)
        .json(&file)
        .send()
        .await
        .expect("recover");
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");

    assert_eq!(missing_list(&s, &sup).await, Vec::<Value>::new());
    let (_, missing) = sign_in(&s, "rep1", "rep1-demo").await;
    assert!(missing.is_empty(), "{missing:?}");
}

async fn late_lower_marks_do_not_lower_them(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, all) = a_with_two_changes_missing(&s).await;
    let before = missing_list(&s, &sup).await;
    assert_eq!(before.len(), 1);
    assert_a_missing(&before[0], &a);

    // The first push again, arriving late (a retry the network held back): its lower marks
    // change nothing, not even the last contact.
    let (status, v) = push_with(&s, &a, &all[..2], Some(marks(&a, 2, 2)), json!({})).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["duplicate".to_string(); 2]), "{v}");
    assert_eq!(missing_list(&s, &sup).await, before);

    // Equal marks are news: they replace the unused ranges and the time of last contact.
    let (status, v) = push_with(&s, &a, &[], Some(marks(&a, 4, 4)), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let after = missing_list(&s, &sup).await;
    assert_eq!(after.len(), 1);
    assert_a_missing(&after[0], &a);
    assert!(after[0]["last_contact"].as_str() > before[0]["last_contact"].as_str(), "{before:?} then {after:?}");
}

async fn marks_core_refuses_refuse_the_whole_push(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, _) = sign_in(&s, "rep1", "rep1-demo").await;
    let first = orders(&s, &a, 1..=1).await;
    let r = documents_range(&a);
    let range = json!({"prefix": r.prefix, "first": r.first + 1, "last": r.last});

    // 17 unused ranges: more than core's 16.
    let too_many = json!({"committed_seq": 3, "unused_ranges": vec![range.clone(); 17]});
    let (status, v) = push_with(&s, &a, &first, Some(too_many), json!({})).await;
    assert_error(status, &v, 400, "bad_marks");
    assert_eq!(v["field"], "marks", "{v}");
    // A sequence number the database cannot hold.
    let too_large = json!({"committed_seq": u64::MAX, "unused_ranges": [range]});
    let (status, v) = push_with(&s, &a, &first, Some(too_large), json!({})).await;
    assert_error(status, &v, 400, "bad_marks");
    assert_eq!(v["field"], "marks", "{v}");

    // Nothing was applied and nothing recorded: the same order is new, and nothing is missing.
    assert_eq!(missing_list(&s, &sup).await, Vec::<Value>::new());
    let (status, v) = push_with(&s, &a, &first, None, json!({})).await;
    assert_eq!((status, statuses(&v)), (StatusCode::OK, vec!["applied".to_string()]), "{v}");
}

async fn a_push_without_marks_records_nothing(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, _) = sign_in(&s, "rep1", "rep1-demo").await;
    let all = orders(&s, &a, 1..=4).await;
    let (status, v) = push_with(&s, &a, &all[..2], None, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // A failing push of an older device (no marks): the server learns nothing from it.
    let (status, v) = push_with(&s, &a, &all[3..], None, json!({})).await;
    assert_error(status, &v, 409, "out_of_sequence");

    assert_eq!(missing_list(&s, &sup).await, Vec::<Value>::new());
    let (_, missing) = sign_in(&s, "rep1", "rep1-demo").await;
    assert!(missing.is_empty(), "{missing:?}");
}

async fn a_range_leased_by_the_same_push_is_not_counted_as_used(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, _) = sign_in(&s, "rep1", "rep1-demo").await;
    // A committed two orders and sends the first, saying its numbers run low: the server leases
    // it a new range in this push, after recording marks that cannot mention it.
    let all = orders(&s, &a, 1..=2).await;
    let (status, v) = push_with(&s, &a, &all[..1], Some(marks(&a, 2, 2)), json!({"numbers_left": 0})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["number_ranges"].as_array().map(Vec::len), Some(1), "a new lease: {v}");

    let listed = missing_list(&s, &sup).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["changes"], 1, "{listed:?}");
    assert_eq!(listed[0]["documents"], json!([number(&a, 1)]), "only the second order's number: {listed:?}");
    assert_eq!(listed[0]["documents_total"], 1, "{listed:?}");

    // rep2's device used its whole lease (it reports nothing unused) and sends its first order:
    // the rest of that lease is missing, and still nothing of the range this push leases.
    let (d, _) = sign_in(&s, "rep2", "rep2-demo").await;
    let first = orders(&s, &d, 1..=1).await;
    let exhausted = json!({"committed_seq": 1000, "unused_ranges": []});
    let (status, v) = push_with(&s, &d, &first, Some(exhausted), json!({"numbers_left": 0})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["number_ranges"].as_array().map(Vec::len), Some(1), "a new lease: {v}");
    let listed = missing_list(&s, &sup).await;
    let of_d = listed.iter().find(|m| m["device_id"] == d.id.to_string()).expect("d is listed");
    assert_eq!(of_d["changes"], 999, "{of_d}");
    assert_eq!(of_d["documents_total"], documents_range(&d).last - documents_range(&d).first, "{of_d}");
    assert_eq!(of_d["documents"][0], number(&d, 1), "{of_d}");
}

async fn a_cashiers_receipt_numbers_are_not_counted(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (c, _) = sign_in(&s, "cashier1", "cashier1-demo").await;
    assert!(c.number_ranges.iter().any(|r| r.prefix != "SO-"), "the cashier has receipt numbers: {:?}", c.number_ranges);
    // The till committed one change (no document number used) and its push failed; a device
    // reports its document ranges only.
    let reference = s.reference(&c).await;
    let late = valid_batch(&c, &reference, 2, 1);
    let (status, v) = push_with(&s, &c, &late, Some(marks(&c, 1, 0)), json!({})).await;
    assert_error(status, &v, 409, "out_of_sequence");

    let listed = missing_list(&s, &sup).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["username"], "cashier1", "{listed:?}");
    assert_eq!(listed[0]["changes"], 1, "{listed:?}");
    assert_eq!(listed[0]["documents"], json!([]), "{listed:?}");
    assert_eq!(listed[0]["documents_total"], 0, "{listed:?}");
}

async fn the_supervisor_sees_the_longest_waiting_first(backend: Backend) {
    let s = start(backend).await;
    let (sup, _) = sign_in(&s, "super", "super-demo").await;
    let (a, _) = a_with_two_changes_missing(&s).await;
    // rep2's device D reports later: one change that never arrived.
    let (d, _) = sign_in(&s, "rep2", "rep2-demo").await;
    let late = orders(&s, &d, 2..=2).await;
    let (status, v) = push_with(&s, &d, &late, Some(marks(&d, 2, 2)), json!({})).await;
    assert_error(status, &v, 409, "out_of_sequence");

    let ids = |list: Vec<Value>| list.iter().map(|m| m["device_id"].as_str().expect("id").to_string()).collect::<Vec<_>>();
    assert_eq!(ids(missing_list(&s, &sup).await), [a.id.to_string(), d.id.to_string()]);
    // A reports again (a push with nothing to send): D's work now waits longest.
    let (status, v) = push_with(&s, &a, &[], Some(marks(&a, 4, 4)), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(ids(missing_list(&s, &sup).await), [d.id.to_string(), a.id.to_string()]);
}
