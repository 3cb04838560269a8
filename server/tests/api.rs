//! The HTTP API end to end: a real server on loopback, a temporary database, reqwest.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

backend_tests! {
    registration_needs_the_right_password,
    reference_data_is_filtered_by_route,
    pushes_apply_exactly_once,
    a_gap_refuses_the_whole_batch,
    bad_bodies_get_json_errors,
    tokens_are_checked,
    retired_order_create_is_rejected_and_consumes_its_seq,
    reused_numbers_and_ids_are_not_applied_twice,
    a_replay_with_another_payload_is_refused_not_duplicate,
    readiness_reads_and_writes_the_database,
    nul_characters_are_refused_by_name_and_never_block_the_queue,
    rejection_reasons_never_echo_unbounded_input,
    reps_see_their_own_orders_and_the_supervisor_all,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_pushes_of_one_batch_apply_each_order_once,
    a_restart_keeps_last_seq,
    unknown_api_routes_and_the_unbuilt_app,
    the_built_app_is_served_with_an_spa_fallback,
}

async fn registration_needs_the_right_password(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let (id, secret) = dev.token.split_once('.').expect("token has a dot");
    assert_eq!(id, dev.id.to_string());
    assert_eq!(secret.len(), 43);
    assert_eq!(dev.id.get_version_num(), 7);

    for (user, pass) in [("rep1", "wrong"), ("nobody", "rep1-demo"), ("rep1", "")] {
        let res = s
            .http
            .post(s.url("/api/v1/devices"))
            .json(&json!({"username": user, "password": pass}))
            .send()
            .await
            .expect("send");
        let status = res.status();
        let v: Value = res.json().await.expect("json");
        assert_error(status, &v, 401, "bad_credentials");
    }
    // A password in the wrong place is not echoed back.
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .header("content-type", "application/json")
        .body(r#"{"username":"rep1","password":987654321}"#)
        .send()
        .await
        .expect("send");
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_error(status, &v, 400, "malformed_json");
    assert!(!v["message"]
        .as_str()
        .unwrap_or_default()
        .contains("987654321"));
    // JSON only: text/plain (what a cross-site form sends without a preflight) or no type at
    // all is refused with 415 before the body is read; a charset parameter is fine.
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut req = s.http.post(s.url("/api/v1/devices")).body(r#"{"username":"rep1","password":"rep1-demo"}"#);
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        let res = req.send().await.expect("send");
        let status = res.status();
        let v: Value = res.json().await.expect("json");
        assert_error(status, &v, 415, "unsupported_media_type");
    }
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(r#"{"username":"rep1","password":"rep1-demo"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(s
        .metrics()
        .await
        .contains("satchel_devices_registered_total 2\n"));
}

async fn reference_data_is_filtered_by_route(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;

    let r1 = s.reference(&rep1).await;
    assert_eq!(r1.currency, "CAD");
    assert_eq!(r1.products.len(), 800);
    assert_eq!(r1.products[0].sku, "SKU-00001");
    let routes: HashSet<&str> = r1.outlets.iter().map(|o| o.route.as_str()).collect();
    assert_eq!(routes, HashSet::from(["R1", "R2"]));
    assert_eq!(r1.outlets.len(), 100);

    let r2 = s.reference(&rep2).await;
    let routes: HashSet<&str> = r2.outlets.iter().map(|o| o.route.as_str()).collect();
    assert_eq!(routes, HashSet::from(["R2", "R3"]));

    let all = s.reference(&sup).await;
    // The 200 field outlets, the demo shop's 3 customers (route COUNTER) and the delivery
    // route's 8 (route D1).
    assert_eq!(all.outlets.len(), 211);
    let rates: HashSet<String> = all.outlets.iter().map(|o| o.tax_rate.to_string()).collect();
    assert_eq!(rates, HashSet::from(["5".into(), "13".into(), "15".into()]));
}

async fn pushes_apply_exactly_once(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 4);

    let (status, v) = s.push(&dev, &batch[..3]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "applied", "applied"]);
    assert_eq!(v["last_seq"], 3);
    assert_eq!(v["results"][1]["seq"], 2);
    assert_eq!(v["results"][1]["id"], batch[1].id.to_string());
    let orders = s.orders(&dev).await;
    assert_eq!(orders.len(), 3);
    for (o, m) in orders.iter().zip(&batch) {
        let satchel_core::sync::protocol::MutationBody::SalesOrderCreate(doc) = &m.body else { panic!("an order") };
        assert_eq!(o["order_id"], doc.order_id.to_string());
        assert_eq!(o["seq"], m.seq);
        assert_eq!(o["username"], "rep1");
        assert_eq!(o["device_id"], dev.id.to_string());
        assert_eq!(o["line_count"], 2);
        assert_eq!(dec(o["total"].as_str().expect("total")), doc.total);
        assert_eq!(dec(o["tax"].as_str().expect("tax")), doc.taxes.tax);
    }

    // The same batch again: all replays, nothing new.
    let (status, v) = s.push(&dev, &batch[..3]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "duplicate"]);
    assert_eq!(v["results"][0]["original"], "applied");
    assert_eq!(v["last_seq"], 3);
    assert_eq!(s.orders(&dev).await.len(), 3);

    // Overlapping old and new.
    let (status, v) = s.push(&dev, &batch[1..4]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "applied"]);
    assert_eq!(v["last_seq"], 4);
    assert_eq!(s.orders(&dev).await.len(), 4);

    let metrics = s.metrics().await;
    assert!(
        metrics.contains("satchel_push_requests_total 3\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("satchel_mutations_total{outcome=\"applied\"} 4\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("satchel_mutations_total{outcome=\"duplicate\"} 5\n"),
        "{metrics}"
    );
}

async fn a_gap_refuses_the_whole_batch(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 4);

    let (status, v) = s.push(&dev, &batch[1..2]).await;
    assert_error(status, &v, 409, "out_of_sequence");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expected mutation 1"),
        "{v}"
    );

    // 1 and 2 are fine but 4 does not follow 2: nothing at all is written.
    let holey = vec![batch[0].clone(), batch[1].clone(), batch[3].clone()];
    let (status, v) = s.push(&dev, &holey).await;
    assert_error(status, &v, 409, "out_of_sequence");
    assert!(s.orders(&dev).await.is_empty());

    // last_seq stayed 0: seq 1 is still the next one.
    let (status, v) = s.push(&dev, &batch[..1]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied"]);
    assert_eq!(v["last_seq"], 1);
    assert!(s
        .metrics()
        .await
        .contains("satchel_push_rejected_requests_total{code=\"out_of_sequence\"} 2\n"));
}

async fn bad_bodies_get_json_errors(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;

    let (status, v) = s.push_raw(Some(&dev.token), "{not json").await;
    assert_error(status, &v, 400, "malformed_json");
    let (status, v) = s.push_raw(Some(&dev.token), r#"{"device_id": 5}"#).await;
    assert_error(status, &v, 400, "malformed_json");

    // An amount sent as a JSON number is refused, never read as a float.
    let batch = valid_batch(&dev, &reference, 1, 1);
    let mut body =
        serde_json::to_value(json!({"device_id": dev.id, "mutations": batch})).expect("value");
    body["mutations"][0]["payload"]["total"] = json!(12.5);
    let (status, v) = s.push_raw(Some(&dev.token), body.to_string()).await;
    assert_error(status, &v, 400, "malformed_json");
    assert!(
        v["message"].as_str().unwrap_or_default().contains("string"),
        "{v}"
    );

    // Over 1 MiB.
    let big = format!(
        r#"{{"device_id":"{}","mutations":[],"pad":"{}"}}"#,
        dev.id,
        "x".repeat(1 << 20)
    );
    let (status, v) = s.push_raw(Some(&dev.token), big).await;
    assert_error(status, &v, 413, "body_too_large");

    // Over MAX_BATCH mutations.
    let batch = valid_batch(&dev, &reference, 1, 101);
    let (status, v) = s.push(&dev, &batch).await;
    assert_error(status, &v, 400, "batch_too_large");

    assert!(s.orders(&dev).await.is_empty());
    // Nothing above consumed a sequence number.
    let (status, v) = s.push(&dev, &batch[..1]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["last_seq"], 1);
}

async fn tokens_are_checked(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let reference = s.reference(&rep1).await;
    let batch = valid_batch(&rep1, &reference, 1, 1);
    let body =
        || serde_json::to_vec(&json!({"device_id": rep1.id, "mutations": batch})).expect("body");

    let (status, v) = s.push_raw(None, body()).await;
    assert_error(status, &v, 401, "missing_token");
    let (status, v) = s.push_raw(Some("not-a-token"), body()).await;
    assert_error(status, &v, 401, "missing_token");
    let res = s
        .http
        .get(s.url("/api/v1/reference"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let secret = rep1.token.split_once('.').expect("dot").1;
    let stranger = format!("{}.{secret}", Uuid::now_v7());
    let (status, v) = s.push_raw(Some(&stranger), body()).await;
    assert_error(status, &v, 401, "unknown_device");

    let forged = format!("{}.{}", rep1.id, "A".repeat(43));
    let (status, v) = s.push_raw(Some(&forged), body()).await;
    assert_error(status, &v, 401, "invalid_token");
    let (status, v) = s.get("/api/v1/orders", &forged).await;
    assert_error(status, &v, 401, "invalid_token");

    // rep2's valid token, rep1's device in the body.
    let (status, v) = s.push_raw(Some(&rep2.token), body()).await;
    assert_error(status, &v, 403, "device_mismatch");
    // rep2's device in the body, but a mutation claims rep1's device.
    let smuggled =
        serde_json::to_vec(&json!({"device_id": rep2.id, "mutations": batch})).expect("body");
    let (status, v) = s.push_raw(Some(&rep2.token), smuggled).await;
    assert_error(status, &v, 403, "device_mismatch");

    let sup = s.register("super", "super-demo").await;
    assert!(s.orders(&sup).await.is_empty(), "nothing was written");
    let (status, v) = s.push(&rep1, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied"]);
}

/// `order.create` (the first order version) skipped the sales policy: an order over the
/// outlet's credit limit was applied unflagged and the outstanding balance never moved. It is
/// retired: each one is rejected `retired_kind` on its own (the device's queue moves on),
/// nothing of it is stored, and replays answer with that rejection.
async fn retired_order_create_is_rejected_and_consumes_its_seq(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&dev).await;
    // OUT-0037 is on rep1's routes and at its credit limit: a v1 order for it went through.
    let at_limit = reference.outlets.iter().find(|o| o.id == "OUT-0037").expect("OUT-0037 on rep1's routes");
    let product = &reference.products[5];
    let outstanding = |r: &satchel_core::sync::protocol::ReferenceData| {
        sales_of(r).outlets.iter().find(|o| o.id == "OUT-0037").and_then(|o| o.credit).expect("credit").outstanding
    };
    let before = outstanding(&s.reference(&sup).await);
    let v1 = |qty: &str| {
        v1_order_doc(&at_limit.id, at_limit.tax_rate, &[(&product.sku, product.unit_price, qty)])
    };
    let as_v1 = |seq: u64, doc| satchel_core::sync::protocol::Mutation {
        body: satchel_core::sync::protocol::MutationBody::OrderCreate(doc),
        ..mutation(&dev, seq, valid_doc(&dev, &reference, seq as usize))
    };
    let good = valid_doc(&dev, &reference, 2);
    let batch = vec![as_v1(1, v1("40")), mutation(&dev, 2, good.clone()), as_v1(3, v1("1"))];
    let (status, v) = s.push(&dev, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["rejected", "applied", "rejected"], "{v}");
    for r in [&v["results"][0], &v["results"][2]] {
        assert_eq!(r["code"], "retired_kind", "{r}");
        assert_eq!(r["field"], "kind", "{r}");
        assert!(r["reason"].as_str().is_some_and(|m| m.contains("sales_order.create")), "{r}");
    }
    assert_eq!(v["last_seq"], 3);

    let orders = s.orders(&dev).await;
    assert_eq!(orders.len(), 1, "only the current kind is stored");
    assert_eq!(orders[0]["order_id"], good.order_id.to_string());
    assert_eq!(outstanding(&s.reference(&sup).await), before, "the retired order moved no balance");

    // Replays report the first outcome.
    let (status, v) = s.push(&dev, &batch[..1]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["status"], "duplicate");
    assert_eq!(v["results"][0]["original"], "rejected");
    assert!(s
        .metrics()
        .await
        .contains("satchel_mutation_rejections_total{code=\"retired_kind\"} 2\n"));
}

async fn reused_numbers_and_ids_are_not_applied_twice(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 1);
    assert_eq!(s.push(&dev, &batch).await.0, StatusCode::OK);

    // Another mutation under an already used number: a replay, answered with the recorded id.
    let impostor = valid_batch(&dev, &reference, 1, 1);
    let (status, v) = s.push(&dev, &impostor).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["status"], "duplicate");
    assert_eq!(v["results"][0]["id"], batch[0].id.to_string());

    // The recorded mutation id again under a new number: rejected, the seq consumed.
    let mut reused = valid_batch(&dev, &reference, 2, 1);
    reused[0].id = batch[0].id;
    let (status, v) = s.push(&dev, &reused).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["status"], "rejected");
    assert_eq!(v["results"][0]["code"], "duplicate_mutation");
    assert_eq!(v["last_seq"], 2);
    let (_, v) = s.push(&dev, &reused).await;
    assert_eq!(v["results"][0]["original"], "rejected");
    assert_eq!(s.orders(&dev).await.len(), 1);
}

async fn reps_see_their_own_orders_and_the_supervisor_all(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let ref1 = s.reference(&rep1).await;
    let ref2 = s.reference(&rep2).await;
    assert_eq!(
        s.push(&rep1, &valid_batch(&rep1, &ref1, 1, 2)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.push(&rep2, &valid_batch(&rep2, &ref2, 1, 1)).await.0,
        StatusCode::OK
    );
    assert_eq!(s.orders(&rep1).await.len(), 2);
    let mine = s.orders(&rep2).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["username"], "rep2");
    assert_eq!(s.orders(&sup).await.len(), 3);
}

async fn concurrent_pushes_of_one_batch_apply_each_order_once(backend: Backend) {
    let s = std::sync::Arc::new(start(backend).await);
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    for round in 0..3u64 {
        let batch = valid_batch(&dev, &reference, round * 10 + 1, 10);
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (s, dev, batch) = (s.clone(), dev.clone(), batch.clone());
                tokio::spawn(async move { s.push(&dev, &batch).await })
            })
            .collect();
        let mut applied = vec![0; 10];
        for t in tasks {
            let (status, v) = t.await.expect("task");
            assert_eq!(status, StatusCode::OK, "{v}");
            assert_eq!(v["last_seq"], round * 10 + 10);
            for (i, st) in statuses(&v).iter().enumerate() {
                if st == "applied" {
                    applied[i] += 1;
                }
            }
        }
        assert_eq!(
            applied,
            vec![1; 10],
            "each mutation applied by exactly one push"
        );
    }
    // Pushes of one device wait for each other (SQLite's write lock, PostgreSQL's row lock on the
    // device) instead of colliding and being run again.
    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_push_retries_total 0\n"), "{metrics}");
    let orders = s.orders(&dev).await;
    assert_eq!(orders.len(), 30);
    let ids: HashSet<&str> = orders
        .iter()
        .map(|o| o["order_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 30);
}

async fn a_restart_keeps_last_seq(backend: Backend) {
    let s = start(backend).await;
    assert!(s.server.seeded);
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 3);
    let (status, _) = s.push(&dev, &batch[..2]).await;
    assert_eq!(status, StatusCode::OK);
    let store = s.stop().await;

    let s = start_in(store).await;
    assert!(!s.server.seeded, "the second start does not seed again");
    let (status, v) = s.push(&dev, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["duplicate", "duplicate", "applied"]);
    assert_eq!(v["last_seq"], 3);
    assert_eq!(s.orders(&dev).await.len(), 3);
}

async fn unknown_api_routes_and_the_unbuilt_app(backend: Backend) {
    let s = start(backend).await;
    let res = s.http.get(s.url("/healthz")).send().await.expect("healthz");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"status": "ok"})
    );

    let res = s
        .http
        .get(s.url("/api/v2/whatever"))
        .send()
        .await
        .expect("get");
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_error(status, &v, 404, "not_found");
    let res = s
        .http
        .get(s.url("/api/v1/sync/push"))
        .send()
        .await
        .expect("get");
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_error(status, &v, 405, "method_not_allowed");

    let res = s
        .http
        .get(s.url("/orders/today"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("text").contains("not been built"));
}

async fn the_built_app_is_served_with_an_spa_fallback(backend: Backend) {
    let store = Store::new(backend).await;
    let www = store.dir.path().join("www");
    std::fs::create_dir_all(&www).expect("mkdir");
    std::fs::write(
        www.join("index.html"),
        "<!doctype html><title>Satchel</title>",
    )
    .expect("write");
    std::fs::write(
        www.join("sw.js"),
        "self.addEventListener('fetch', () => {});",
    )
    .expect("write");
    std::fs::write(www.join("app.css"), "body{}").expect("write");
    let server = satchel_server::start(&store.config(&www))
        .await
        .expect("start");
    let http = client();
    let url = |p: &str| format!("http://{}{p}", server.addr);

    for path in ["/", "/index.html", "/orders/new"] {
        let res = http.get(url(path)).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(
            res.text().await.expect("text").contains("<title>Satchel"),
            "{path}"
        );
    }
    let res = http.get(url("/sw.js")).send().await.expect("get");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let res = http.get(url("/app.css")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("cache-control").is_none());

    // Precompressed copies (`./build.sh` writes them; the server never compresses on the fly)
    // are sent by Accept-Encoding, brotli first; a content-named file is cached for a year.
    std::fs::write(www.join("app.7KQ2ZC3M.js"), "console.log('app');").expect("write");
    std::fs::write(www.join("app.7KQ2ZC3M.js.br"), b"brotli bytes").expect("write");
    std::fs::write(www.join("app.7KQ2ZC3M.js.gz"), b"gzip bytes").expect("write");
    std::fs::write(www.join("index.html.br"), b"brotli page").expect("write");
    std::fs::write(www.join("manifest.webmanifest"), "{}").expect("write");
    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli bytes"),
        (Some("gzip"), Some("gzip"), "gzip bytes"),
        (Some("identity"), None, "console.log('app');"),
        (None, None, "console.log('app');"),
    ] {
        let mut req = http.get(url("/app.7KQ2ZC3M.js"));
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let res = req.send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(res.headers().get("content-encoding").map(|v| v.to_str().expect("ascii")), encoding, "{accept:?}");
        assert!(res.headers()["content-type"].to_str().expect("ascii").contains("javascript"), "{accept:?}");
        assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable", "{accept:?}");
        assert!(res.headers()["vary"].to_str().expect("ascii").to_ascii_lowercase().contains("accept-encoding"), "{accept:?}");
        assert_eq!(res.text().await.expect("text"), body, "{accept:?}");
    }
    // The page itself, and an app route that falls back to it: compressed, never cached.
    for path in ["/", "/orders/new"] {
        let res = http.get(url(path)).header("accept-encoding", "br").send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-encoding"], "br", "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert_eq!(res.text().await.expect("text"), "brotli page", "{path}");
    }
    let res = http.get(url("/manifest.webmanifest")).send().await.expect("get");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    // A content-named file that is not there is the app's page, not a year-long 404.
    let res = http.get(url("/app.00000000.js")).send().await.expect("get");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let res = http.get(url("/api/nope")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<Value>().await.expect("json")["code"],
        "not_found"
    );
    server.shutdown().await.expect("shutdown");
}

async fn a_replay_with_another_payload_is_refused_not_duplicate(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 1);
    assert_eq!(s.push(&dev, &batch).await.0, StatusCode::OK);
    let before = s.orders(&dev).await;

    // Same device, seq and id; the quantity changed from what was applied to 50.
    let mut v = serde_json::to_value(&batch[0]).expect("json");
    let first = v["payload"]["order"]["lines"][0]["quantity"].clone();
    assert_ne!(first, json!("50"));
    v["payload"]["order"]["lines"][0]["quantity"] = json!("50");
    let changed: satchel_core::sync::protocol::Mutation = serde_json::from_value(v).expect("mutation");
    let (status, v) = s.push(&dev, &[changed]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["results"][0]["status"], "rejected", "{v}");
    assert_eq!(v["results"][0]["code"], "payload_mismatch");
    assert_eq!(v["results"][0]["id"], batch[0].id.to_string());
    assert_eq!(v["last_seq"], 1);
    assert_eq!(s.orders(&dev).await, before, "the order received first stands");

    // The true replay is still a duplicate.
    let (_, v) = s.push(&dev, &batch).await;
    assert_eq!(v["results"][0]["status"], "duplicate", "{v}");
    assert!(s.metrics().await.contains("satchel_mutation_rejections_total{code=\"payload_mismatch\"} 1\n"), "{}", s.metrics().await);
}

async fn readiness_reads_and_writes_the_database(backend: Backend) {
    let s = start(backend).await;
    // Twice: the first call inserts the probe row, the second updates it (ON CONFLICT).
    for _ in 0..2 {
        let res = s.http.get(s.url("/readyz")).send().await.expect("readyz");
        assert_eq!(res.status(), StatusCode::OK);
        let v: Value = res.json().await.expect("json");
        assert_eq!(v["status"], "ready");
    }
    // A full database answers 503: tests/disk_full.rs.
}

async fn nul_characters_are_refused_by_name_and_never_block_the_queue(backend: Backend) {
    let s = start(backend).await;
    // A body field: 400 invalid_text naming it (PostgreSQL would have failed with a 500).
    let res = s
        .http
        .post(s.url("/api/v1/devices"))
        .json(&json!({"username": "rep1", "password": "rep1-demo", "label": "tablet\u{0}2"}))
        .send()
        .await
        .expect("send");
    let status = res.status();
    let v: Value = res.json().await.expect("json");
    assert_error(status, &v, 400, "invalid_text");
    assert_eq!(v["field"], "label");

    // In a path parameter (which goes to the database as an id) or a query value.
    let sup = s.register("super", "super-demo").await;
    for (method, path, field) in [
        ("GET", "/api/v1/days/d%00y", "path"),
        ("GET", "/api/v1/shifts/%00", "path"),
        ("POST", "/api/v1/tasks/T%00/cancel", "path"),
        ("POST", "/api/v1/review/o%00/resolve", "path"),
        ("POST", "/api/v1/conflicts/c%00/resolve", "path"),
        ("GET", "/api/v1/blobs/%00", "path"),
        ("GET", "/api/v1/sync/pull?checkpoint=%00", "query"),
    ] {
        let req = s.http.request(method.parse().expect("method"), s.url(path)).bearer_auth(&sup.token);
        let req = if method == "POST" { req.json(&json!({"resolution": "accept"})) } else { req };
        let res = req.send().await.expect("send");
        let status = res.status();
        let v: Value = res.json().await.expect("json");
        assert_error(status, &v, 400, "invalid_text");
        assert_eq!(v["field"], field, "{method} {path}");
    }

    // A mutation carrying one: rejected on its own, naming the field; the seq is consumed and
    // the next one applies, so the device's queue moves on.
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 2);
    let mut v = serde_json::to_value(&batch[0]).expect("json");
    let sku = v["payload"]["order"]["lines"][0]["sku"].as_str().expect("sku").to_owned();
    v["payload"]["order"]["lines"][0]["sku"] = json!(format!("{sku}\u{0}"));
    let bad: satchel_core::sync::protocol::Mutation = serde_json::from_value(v).expect("mutation");
    let (status, v) = s.push(&dev, &[bad, batch[1].clone()]).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["rejected", "applied"], "{v}");
    assert_eq!(v["results"][0]["code"], "invalid_text");
    assert_eq!(v["results"][0]["field"], "payload.order.lines[0].sku");
    assert_eq!(v["last_seq"], 2);
    assert_eq!(s.orders(&dev).await.len(), 1);
}

async fn rejection_reasons_never_echo_unbounded_input(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;
    let batch = valid_batch(&dev, &reference, 1, 1);
    let mut v = serde_json::to_value(&batch[0]).expect("json");
    v["payload"]["order"]["lines"][0]["sku"] = json!("S".repeat(900_000));
    let long: satchel_core::sync::protocol::Mutation = serde_json::from_value(v).expect("mutation");
    let (status, v) = s.push(&dev, &[long]).await;
    assert_eq!(status, StatusCode::OK, "{}", v.to_string().chars().take(300).collect::<String>());
    assert_eq!(v["results"][0]["status"], "rejected");
    let reason = v["results"][0]["reason"].as_str().expect("reason");
    assert!(reason.chars().count() <= satchel_core::sync::lifecycle::MAX_REASON_CHARS, "{} chars", reason.chars().count());
    assert!(v.to_string().len() < 5_000, "the answer is small: {} bytes", v.to_string().len());
}
