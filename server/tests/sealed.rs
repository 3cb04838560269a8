//! Sealed pushes end to end: what a locked device uploads with its push-only token.

mod common;

use common::*;
use reqwest::StatusCode;
use satchel_core::sync::protocol::{Mutation, SealedMutation};
use satchel_core::sync::sealing::{key_from_hex, seal_mutation};
use satchel_core::vault::InsecureTestRng;
use serde_json::{json, Value};

backend_tests! {
    a_push_only_token_uploads_sealed_entries_exactly_once,
    a_push_only_token_reads_nothing_and_sends_nothing_in_clear,
    forged_moved_or_altered_entries_are_refused_whole,
    reauthentication_checks_the_devices_own_user,
    registration_hands_out_the_sealing_material_and_the_deployments_lock,
}

fn seal(dev: &Device, m: &Mutation, rng: &mut InsecureTestRng) -> SealedMutation {
    let public = key_from_hex(&dev.server_public_key).expect("public key");
    let secret = key_from_hex(&dev.device_secret).expect("device secret");
    seal_mutation(rng, dev.server_key_id, &public, &secret, m).expect("seals")
}

async fn push_sealed(s: &TestServer, token: &str, dev: &Device, sealed: &[SealedMutation]) -> (StatusCode, Value) {
    let body = json!({"device_id": dev.id, "sealed": sealed});
    s.push_raw(Some(token), serde_json::to_vec(&body).expect("json")).await
}

async fn a_push_only_token_uploads_sealed_entries_exactly_once(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    assert_ne!(dev.push_token, dev.token);
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 3);
    let mut rng = InsecureTestRng::new(1);
    let sealed: Vec<SealedMutation> = batch.iter().map(|m| seal(&dev, m, &mut rng)).collect();
    for e in &sealed {
        assert!(!e.sealed.contains("OUT-"), "sealed entries carry no clear text");
    }

    let (status, v) = push_sealed(&s, &dev.push_token, &dev, &sealed[..2]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "applied"]);
    // A replay (what a copy of the disk could do) is only a duplicate.
    let (status, v) = push_sealed(&s, &dev.push_token, &dev, &sealed).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "applied"]);
    let orders = s.orders(&dev).await;
    assert_eq!(orders.len(), 3);
    // The server re-checked the opened orders like clear ones: totals are its own.
    let satchel_core::sync::protocol::MutationBody::SalesOrderCreate(doc) = &batch[2].body else { panic!("an order") };
    assert_eq!(dec(orders[2]["total"].as_str().expect("total")), doc.total);
}

async fn a_push_only_token_reads_nothing_and_sends_nothing_in_clear(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    for path in ["/api/v1/reference", "/api/v1/orders"] {
        let (status, v) = s.get(path, &dev.push_token).await;
        assert_error(status, &v, 403, "token_scope");
    }
    let batch = valid_batch(&dev, &reference, 1, 1);
    let (status, v) = s.push(&Device { token: dev.push_token.clone(), ..dev.clone() }, &batch).await;
    assert_error(status, &v, 403, "token_scope");
    // The full token may send sealed entries too; both lists at once are refused.
    let mut rng = InsecureTestRng::new(2);
    let sealed = seal(&dev, &batch[0], &mut rng);
    let body = json!({"device_id": dev.id, "mutations": batch, "sealed": [sealed]});
    let (status, v) = s.push_raw(Some(&dev.token), serde_json::to_vec(&body).expect("json")).await;
    assert_error(status, &v, 400, "malformed_json");
    assert!(s.orders(&dev).await.is_empty());
}

async fn forged_moved_or_altered_entries_are_refused_whole(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let other = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 2);
    let mut rng = InsecureTestRng::new(3);
    let good = seal(&dev, &batch[0], &mut rng);

    // Sealed with another device's secret (a forger without this device's secret).
    let forged = seal(&Device { device_secret: other.device_secret.clone(), ..dev.clone() }, &batch[1], &mut rng);
    let (status, v) = push_sealed(&s, &dev.push_token, &dev, &[good.clone(), forged]).await;
    assert_error(status, &v, 422, "unsealable");
    assert_eq!(v["field"], "sealed[1]");

    // Moved to another sequence number.
    let moved = SealedMutation { seq: 2, ..seal(&dev, &batch[0], &mut rng) };
    let (status, v) = push_sealed(&s, &dev.push_token, &dev, &[good.clone(), moved]).await;
    assert_error(status, &v, 422, "unsealable");

    // One flipped hex digit.
    let mut altered = seal(&dev, &batch[1], &mut rng);
    let last = altered.sealed.pop().expect("digit");
    altered.sealed.push(if last == '0' { '1' } else { '0' });
    let (status, v) = push_sealed(&s, &dev.push_token, &dev, &[good.clone(), altered]).await;
    assert_error(status, &v, 422, "unsealable");

    // Another device's push token for this device's entries.
    let (status, v) = push_sealed(&s, &other.push_token, &dev, &[good]).await;
    assert_error(status, &v, 403, "device_mismatch");

    // Nothing of any of those was applied.
    assert!(s.orders(&dev).await.is_empty());
}

async fn reauthentication_checks_the_devices_own_user(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let post = |token: String, body: Value| {
        let req = s.http.post(s.url("/api/v1/devices/reauthenticate")).bearer_auth(token).json(&body);
        async move { req.send().await.expect("reauth").status() }
    };
    assert_eq!(post(dev.push_token.clone(), json!({"username": "rep1", "password": "rep1-demo"})).await, StatusCode::NO_CONTENT);
    assert_eq!(post(dev.token.clone(), json!({"username": "rep1", "password": "rep1-demo"})).await, StatusCode::NO_CONTENT);
    assert_eq!(post(dev.push_token.clone(), json!({"username": "rep1", "password": "wrong"})).await, StatusCode::UNAUTHORIZED);
    // Another user's right password does not unlock rep1's device.
    assert_eq!(post(dev.push_token.clone(), json!({"username": "rep2", "password": "rep2-demo"})).await, StatusCode::UNAUTHORIZED);
    assert_eq!(post("nonsense".into(), json!({"username": "rep1", "password": "rep1-demo"})).await, StatusCode::UNAUTHORIZED);
}

async fn registration_hands_out_the_sealing_material_and_the_deployments_lock(backend: Backend) {
    let s = start(backend).await;
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .json(&json!({"username": "rep2", "password": "rep2-demo"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["lock"]["idle_timeout_ms"], 300_000);
    assert_eq!(v["lock"]["lock_when_hidden"], false);
    let sealing = &v["sealing"];
    assert_eq!(sealing["server_key_id"], 1);
    assert_eq!(sealing["server_public_key"].as_str().map(str::len), Some(64));
    assert_eq!(sealing["device_secret"].as_str().map(str::len), Some(64));
    assert_ne!(sealing["push_token"], v["token"]);
    // Every device gets its own secret; all share the server's key.
    let other = s.register("rep2", "rep2-demo").await;
    assert_ne!(Some(other.device_secret.as_str()), sealing["device_secret"].as_str());
    assert_eq!(Some(other.server_public_key.as_str()), sealing["server_public_key"].as_str());
}
