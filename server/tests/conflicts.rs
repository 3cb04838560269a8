//! Shared records end to end: `outlet.update` patches merged field by field, overlapping edits
//! queued as conflicts for a supervisor, the outcome learnt by the device through the reference
//! data, and the hybrid logical clock's drift limit.
//!
//! The scenarios edit an outlet on route R2, which both rep1 (R1, R2) and rep2 (R2, R3) work.

mod common;

use std::collections::BTreeMap;

use chrono::Utc;
use common::*;
use reqwest::StatusCode;
use satchel_core::sales::OutletInfo;
use satchel_core::sync::hlc::{Hlc, NodeId};
use satchel_core::sync::merge::FieldChange;
use satchel_core::sync::protocol::{Mutation, MutationBody, OutletPatch, OutletView};
use serde_json::{json, Value};
use uuid::Uuid;

backend_tests! {
    concurrent_edits_merge_and_the_overlap_goes_to_a_supervisor,
    a_resolution_against_a_changed_field_is_stale_until_reviewed_again,
    a_clock_too_far_ahead_is_rejected,
    bad_patches_are_rejected_naming_the_field,
    only_a_supervisor_sees_and_resolves_conflicts,
}

const HOUR_MS: u64 = 60 * 60 * 1000;

fn now_ms() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).expect("after 1970")
}

/// A device's HLC time `offset_ms` after (or before) the real time.
fn at(dev: &Device, offset_ms: i64) -> Hlc {
    let ms = now_ms().checked_add_signed(offset_ms).expect("in range");
    Hlc::new(ms, 0, NodeId::new(dev.id.to_string()).expect("node id"))
}

fn outlet_mutation(dev: &Device, seq: u64, outlet_id: &str, base_version: u64, changes: &[(&str, &str, &str)], at: Hlc) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::OutletUpdate(OutletPatch {
            outlet_id: outlet_id.into(),
            base_version,
            changes: changes
                .iter()
                .map(|(f, from, to)| (f.to_string(), FieldChange { from: from.to_string(), to: to.to_string() }))
                .collect::<BTreeMap<_, _>>(),
            at,
        }),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}

/// The outlet as a device of `dev` downloads it: the v1 view and the v2 info.
async fn outlet_of(s: &TestServer, dev: &Device, id: &str) -> (OutletView, OutletInfo) {
    let r = s.reference(dev).await;
    let v1 = r.outlets.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{id} in the v1 reference")).clone();
    let v2 = sales_of(&r).outlets.iter().find(|o| o.id == id).unwrap_or_else(|| panic!("{id} in the v2 reference")).clone();
    (v1, v2)
}

/// The first outlet both reps see (on R2).
async fn shared_outlet(s: &TestServer, rep1: &Device, rep2: &Device) -> OutletInfo {
    let r1 = s.reference(rep1).await;
    let r2 = s.reference(rep2).await;
    let theirs: Vec<&str> = sales_of(&r2).outlets.iter().map(|o| o.id.as_str()).collect();
    let o = sales_of(&r1).outlets.iter().find(|o| theirs.contains(&o.id.as_str())).expect("an outlet on both reps' routes").clone();
    assert_eq!(o.route, "R2");
    o
}

fn result(v: &Value, i: usize) -> &Value {
    &v["results"][i]
}

async fn conflicts(s: &TestServer, dev: &Device, status: &str) -> Vec<Value> {
    let (code, v) = s.get(&format!("/api/v1/conflicts?status={status}"), &dev.token).await;
    assert_eq!(code, StatusCode::OK, "{v}");
    v["items"].as_array().expect("items").clone()
}

async fn resolve(s: &TestServer, dev: &Device, id: &str, body: Value) -> (StatusCode, Value) {
    let res = s
        .http
        .post(s.url(&format!("/api/v1/conflicts/{id}/resolve")))
        .bearer_auth(&dev.token)
        .json(&body)
        .send()
        .await
        .expect("resolve");
    let status = res.status();
    (status, res.json().await.expect("json body"))
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The acceptance scenario: rep1 and rep2 edit the same outlet from the same version;
/// rep1's phone stands, rep2's address applies, the phone overlap waits for the supervisor, who
/// takes rep2's phone. rep1's device clock is five hours fast: the server still orders its own
/// later stamps after rep1's.
async fn concurrent_edits_merge_and_the_overlap_goes_to_a_supervisor(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let outlet = shared_outlet(&s, &rep1, &rep2).await;
    let (id, v, phone0, address0) = (outlet.id.clone(), outlet.version, outlet.phone.clone(), outlet.address.clone());
    assert_eq!(v, 0, "a seeded outlet starts at version 0");
    let contact0 = outlet.contact_name.clone();

    // rep1 changes the phone (device clock five hours fast).
    let rep1_at = at(&rep1, 5 * HOUR_MS as i64);
    let m1 = outlet_mutation(&rep1, 1, &id, v, &[("phone", &phone0, "555-0101")], rep1_at.clone());
    let (status, r) = s.push(&rep1, &[m1]).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(statuses(&r), ["applied"], "{r}");
    assert_eq!(outlet_of(&s, &rep1, &id).await.1.version, v + 1);

    // rep2, also based on version V, changes the phone and the address.
    let rep2_at = at(&rep2, 0);
    let m2 = outlet_mutation(&rep2, 1, &id, v, &[("phone", &phone0, "555-0199"), ("address", &address0, "9 New Road")], rep2_at.clone());
    let (status, r) = s.push(&rep2, std::slice::from_ref(&m2)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(statuses(&r), ["flagged"], "{r}");
    let reasons = result(&r, 0)["reasons"].as_array().expect("reasons").clone();
    assert_eq!(reasons.len(), 1, "{r}");
    assert_eq!(reasons[0]["rule"], "conflict");
    let message = reasons[0]["message"].as_str().expect("message");
    assert!(message.starts_with("phone: kept 555-0101 (rep1, "), "{message}");
    assert!(message.contains("over 555-0199 (rep2, ") && message.ends_with("a supervisor decides"), "{message}");
    assert_eq!(metric(&s.metrics().await, "satchel_conflicts_total"), Some(1.0));

    // Both devices learn the merge with their next reference data (v1 and v2).
    for dev in [&rep1, &rep2, &sup] {
        let (v1, v2) = outlet_of(&s, dev, &id).await;
        assert_eq!((v1.phone.as_str(), v1.address.as_str()), ("555-0101", "9 New Road"));
        assert_eq!((v2.phone.as_str(), v2.address.as_str()), ("555-0101", "9 New Road"));
        assert_eq!(v2.contact_name, contact0, "an untouched field stays");
        assert_eq!(v2.version, v + 2);
    }

    // One open conflict, with both values, who set them and when.
    let open = conflicts(&s, &sup, "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    let c = &open[0];
    assert_eq!(c["outlet_id"], id.as_str());
    assert_eq!(c["outlet_name"], outlet.name.as_str());
    assert_eq!(c["field"], "phone");
    assert_eq!(c["base"], phone0.as_str());
    assert_eq!(c["base_version"], v);
    assert_eq!(c["ours"]["value"], "555-0101");
    assert_eq!(c["ours"]["changed_by"], "rep1");
    assert_eq!(c["ours"]["changed_at"], rep1_at.to_string());
    assert_eq!(c["theirs"]["value"], "555-0199");
    assert_eq!(c["theirs"]["by"], "rep2");
    assert_eq!(c["theirs"]["at"], rep2_at.to_string());
    assert_eq!(c["device_id"], rep2.id.to_string());
    assert_eq!(c["status"], "open");
    assert!(c["resolved_by"].is_null() && c["resolution"].is_null());
    let conflict_id = c["id"].as_str().expect("id").to_string();

    // A replayed push changes nothing and records no second conflict; nor does the same edit
    // sent again under a new sequence number.
    let (status, r) = s.push(&rep2, std::slice::from_ref(&m2)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(statuses(&r), ["duplicate"]);
    assert_eq!(result(&r, 0)["original"], "applied");
    let mut again = m2.clone();
    again.seq = 2;
    again.id = Uuid::now_v7();
    let (_, r) = s.push(&rep2, &[again]).await;
    assert_eq!(statuses(&r), ["flagged"], "{r}");
    assert_eq!(conflicts(&s, &sup, "all").await.len(), 1);
    assert_eq!(outlet_of(&s, &rep2, &id).await.1.version, v + 2);

    // The supervisor takes rep2's phone: the outlet changes and its version rises again.
    let (status, item) = resolve(&s, &sup, &conflict_id, json!({"choice": "theirs"})).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["status"], "resolved");
    assert_eq!(item["resolved_by"], "super");
    assert_eq!(item["resolution"]["choice"], "theirs");
    assert_eq!(item["resolution"]["value"], "555-0199");
    assert_eq!(item["resolution"]["version"], v + 3);
    let resolved_at: Hlc = item["resolution"]["at"].as_str().expect("at").parse().expect("an HLC");
    assert!(resolved_at > rep1_at, "the server's stamp orders after the fast device's: {resolved_at} vs {rep1_at}");
    for dev in [&rep1, &rep2] {
        let (v1, v2) = outlet_of(&s, dev, &id).await;
        assert_eq!((v1.phone.as_str(), v2.phone.as_str()), ("555-0199", "555-0199"));
        assert_eq!(v2.address, "9 New Road");
        assert_eq!(v2.version, v + 3);
    }
    assert!(conflicts(&s, &sup, "open").await.is_empty());
    assert_eq!(conflicts(&s, &sup, "resolved").await.len(), 1);

    // Resolved once only; unknown ids and bad bodies are refused.
    let (status, e) = resolve(&s, &sup, &conflict_id, json!({"choice": "ours"})).await;
    assert_error(status, &e, 409, "already_resolved");
    let (status, e) = resolve(&s, &sup, &Uuid::now_v7().to_string(), json!({"choice": "ours"})).await;
    assert_error(status, &e, 404, "not_found");
    for bad in [json!({"choice": "value"}), json!({"choice": "ours", "value": "x"}), json!({"choice": "maybe"}), json!({})] {
        let (status, e) = resolve(&s, &sup, &conflict_id, bad.clone()).await;
        assert_error(status, &e, 400, "malformed_json");
    }

    // A later edit based on the current version applies without conflict.
    let m3 = outlet_mutation(&rep1, 2, &id, v + 3, &[("contact_name", &contact0, "Ms Lee")], at(&rep1, 0));
    let (_, r) = s.push(&rep1, &[m3]).await;
    assert_eq!(statuses(&r), ["applied"], "{r}");
    let (_, v2) = outlet_of(&s, &rep2, &id).await;
    assert_eq!((v2.contact_name.as_str(), v2.phone.as_str(), v2.version), ("Ms Lee", "555-0199", v + 4));
}

async fn a_resolution_against_a_changed_field_is_stale_until_reviewed_again(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let outlet = shared_outlet(&s, &rep1, &rep2).await;
    let (id, phone0) = (outlet.id.clone(), outlet.phone.clone());

    let (_, r) = s.push(&rep1, &[outlet_mutation(&rep1, 1, &id, 0, &[("phone", &phone0, "555-0101")], at(&rep1, 0))]).await;
    assert_eq!(statuses(&r), ["applied"]);
    let (_, r) = s.push(&rep2, &[outlet_mutation(&rep2, 1, &id, 0, &[("phone", &phone0, "555-0199")], at(&rep2, 0))]).await;
    assert_eq!(statuses(&r), ["flagged"]);
    // rep1 changes the phone again, from the current value: applied.
    let (_, r) = s.push(&rep1, &[outlet_mutation(&rep1, 2, &id, 1, &[("phone", "555-0101", "555-0111")], at(&rep1, 0))]).await;
    assert_eq!(statuses(&r), ["applied"]);

    let id_of = |items: &[Value]| items[0]["id"].as_str().expect("id").to_string();
    let conflict_id = id_of(&conflicts(&s, &sup, "open").await);
    let (status, e) = resolve(&s, &sup, &conflict_id, json!({"choice": "theirs"})).await;
    assert_error(status, &e, 409, "stale_conflict");
    assert_eq!(outlet_of(&s, &rep1, &id).await.1.phone, "555-0111", "nothing changed");
    // The item now shows the current value; a decision on it goes through.
    let open = conflicts(&s, &sup, "open").await;
    assert_eq!(open[0]["ours"]["value"], "555-0111");
    let (status, item) = resolve(&s, &sup, &conflict_id, json!({"choice": "value", "value": "555-0111 / 555-0199"})).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!(item["resolution"]["choice"], "value");
    let (v1, v2) = outlet_of(&s, &rep2, &id).await;
    assert_eq!((v1.phone.as_str(), v2.phone.as_str(), v2.version), ("555-0111 / 555-0199", "555-0111 / 555-0199", 3));

    // Keeping ours changes nothing, version included.
    let (_, r) = s.push(&rep2, &[outlet_mutation(&rep2, 2, &id, 2, &[("phone", "555-0111", "555-0122")], at(&rep2, 0))]).await;
    assert_eq!(statuses(&r), ["flagged"], "{r}");
    let conflict_id = id_of(&conflicts(&s, &sup, "open").await);
    let (status, item) = resolve(&s, &sup, &conflict_id, json!({"choice": "ours"})).await;
    assert_eq!(status, StatusCode::OK, "{item}");
    assert_eq!((item["resolution"]["value"].as_str(), item["resolution"]["version"].as_u64()), (Some("555-0111 / 555-0199"), Some(3)));
    assert_eq!(outlet_of(&s, &rep2, &id).await.1.version, 3);
}

async fn a_clock_too_far_ahead_is_rejected(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&rep1).await;
    let o = &sales_of(&reference).outlets[0];
    let days_ahead = at(&rep1, 3 * 24 * HOUR_MS as i64);
    let (_, r) = s.push(&rep1, &[outlet_mutation(&rep1, 1, &o.id, 0, &[("phone", &o.phone, "555-0101")], days_ahead)]).await;
    assert_eq!(statuses(&r), ["rejected"], "{r}");
    assert_eq!(result(&r, 0)["code"], "clock_skew");
    assert_eq!(result(&r, 0)["field"], "at");
    let (_, v2) = outlet_of(&s, &rep1, &o.id).await;
    assert_eq!((v2.phone.as_str(), v2.version), (o.phone.as_str(), 0), "nothing applied");
    // A replay answers the first verdict.
    let (_, r) = s.push(&rep1, &[outlet_mutation(&rep1, 1, &o.id, 0, &[("phone", &o.phone, "555-0101")], at(&rep1, 0))]).await;
    assert_eq!(statuses(&r), ["duplicate"]);
    assert_eq!(result(&r, 0)["original"], "rejected");
    // Hours ahead, within the drift, is accepted.
    let (_, r) = s.push(&rep1, &[outlet_mutation(&rep1, 2, &o.id, 0, &[("phone", &o.phone, "555-0101")], at(&rep1, 20 * HOUR_MS as i64))]).await;
    assert_eq!(statuses(&r), ["applied"], "{r}");
}

async fn bad_patches_are_rejected_naming_the_field(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let r1 = s.reference(&rep1).await;
    let mine = sales_of(&r1).outlets[0].clone();
    let r2 = s.reference(&rep2).await;
    let not_mine = sales_of(&r2).outlets.iter().find(|o| o.route == "R3").expect("an R3 outlet").clone();
    let t = || at(&rep1, 0);
    let batch = vec![
        outlet_mutation(&rep1, 1, &mine.id, 0, &[("fax", "", "555-0000"), ("phone", &mine.phone, "555-0101")], t()),
        outlet_mutation(&rep1, 2, &not_mine.id, 0, &[("phone", &not_mine.phone, "555-0101")], t()),
        outlet_mutation(&rep1, 3, "OUT-9999", 0, &[("phone", "", "555-0101")], t()),
        outlet_mutation(&rep1, 4, &mine.id, 7, &[("phone", &mine.phone, "555-0101")], t()),
        outlet_mutation(&rep1, 5, &mine.id, 0, &[("phone", &mine.phone, &mine.phone)], t()),
        outlet_mutation(&rep1, 6, &mine.id, 0, &[], t()),
        outlet_mutation(&rep1, 7, &mine.id, 0, &[("address", &mine.address, &"a".repeat(201))], t()),
    ];
    let (status, r) = s.push(&rep1, &batch).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let got: Vec<(String, String)> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| (x["code"].as_str().unwrap_or("-").to_string(), x["field"].as_str().unwrap_or("-").to_string()))
        .collect();
    let want = [
        ("unknown_field", "changes.fax"),
        ("unknown_outlet", "outlet_id"),
        ("unknown_outlet", "outlet_id"),
        ("future_base", "base_version"),
        ("unchanged_field", "changes.phone"),
        ("no_changes", "changes"),
        ("value_too_long", "changes.address"),
    ];
    assert_eq!(got, want.map(|(c, f)| (c.to_string(), f.to_string())), "{r}");
    assert_eq!(outlet_of(&s, &rep1, &mine.id).await.1, mine, "nothing of a refused patch applies");
}

async fn only_a_supervisor_sees_and_resolves_conflicts(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let (status, e) = s.get("/api/v1/conflicts", &rep1.token).await;
    assert_error(status, &e, 403, "forbidden");
    let (status, e) = resolve(&s, &rep1, &Uuid::now_v7().to_string(), json!({"choice": "ours"})).await;
    assert_error(status, &e, 403, "forbidden");
    let (status, v) = s.get("/api/v1/conflicts", &sup.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, json!({"items": []}));
    let (status, e) = s.get("/api/v1/conflicts?status=approved", &sup.token).await;
    assert_error(status, &e, 400, "malformed_query");
    // A push-only token reads nothing.
    let (status, e) = s.get("/api/v1/conflicts", &sup.push_token).await;
    assert_eq!(status.as_u16(), 403, "{e}");
}
