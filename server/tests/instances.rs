//! Exactly once under concurrency that a single SQLite writer never sees: devices racing on one
//! order id, and several server instances over one database (the PostgreSQL deployment).

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use common::*;
use reqwest::StatusCode;

backend_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    fifty_devices_over_two_instances_store_each_order_once_and_a_pull_misses_nothing,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    two_devices_racing_on_one_order_id_store_it_once,
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    instances_sharing_a_database_apply_each_mutation_once,
}

/// Two devices push the same order (same order id) at the same moment, many times over. One
/// push applies it, the other gets `duplicate_order`; neither fails. (On PostgreSQL the loser
/// first hits the UNIQUE constraint and is run again.)
async fn two_devices_racing_on_one_order_id_store_it_once(backend: Backend) {
    let s = Arc::new(start(backend).await);
    let a = s.register("rep1", "rep1-demo").await;
    let b = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&a).await;
    const ROUNDS: u64 = 12;
    for seq in 1..=ROUNDS {
        let doc = valid_doc(&a, &reference, seq as usize);
        let tasks: Vec<_> = [&a, &b]
            .into_iter()
            .map(|dev| {
                // One order id; each device numbers it from its own leases.
                let mut doc = doc.clone();
                doc.document_number = nth_number(dev, seq);
                let (s, dev, m) = (s.clone(), dev.clone(), mutation(dev, seq, doc));
                tokio::spawn(async move { s.push(&dev, &[m]).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            let (status, v) = t.await.expect("task");
            assert_eq!(status, StatusCode::OK, "round {seq}: {v}");
            assert_eq!(v["last_seq"], seq, "the seq is consumed either way: {v}");
            let r = &v["results"][0];
            outcomes.push(match r["status"].as_str() {
                Some("rejected") => format!("rejected:{}", r["code"].as_str().unwrap_or("?")),
                other => other.unwrap_or("?").to_string(),
            });
        }
        outcomes.sort();
        assert_eq!(
            outcomes,
            ["applied", "rejected:duplicate_order"],
            "round {seq}"
        );
    }
    let sup = s.register("super", "super-demo").await;
    assert_eq!(s.orders(&sup).await.len() as u64, ROUNDS);
    if backend == Backend::Sqlite {
        // One writer at a time: the second push always sees the first's order.
        assert!(s.metrics().await.contains("satchel_push_retries_total 0\n"));
    }
}

/// Three instances over one database (several processes behind a load balancer, in production):
/// every instance gets the same batch of one device at once, and each mutation is applied once.
/// On SQLite the instances are several pools on one file; on PostgreSQL, several pools on one
/// database, where the device's row lock does the serializing.
async fn instances_sharing_a_database_apply_each_mutation_once(backend: Backend) {
    let first = start(backend).await;
    let www = first.store.dir.path().join("no-www");
    let mut others = Vec::new();
    for _ in 0..2 {
        others.push(
            satchel_server::start(&first.store.config(&www))
                .await
                .expect("another instance starts"),
        );
    }
    assert!(
        others.iter().all(|o| !o.seeded),
        "only the first start seeds"
    );
    let bases: Vec<String> = std::iter::once(first.base.clone())
        .chain(others.iter().map(|o| format!("http://{}", o.addr)))
        .collect();

    // Registered on one instance, known to all; the server key is shared.
    let dev = first.register("rep1", "rep1-demo").await;
    let reference = first.reference(&dev).await;
    let http = client();
    for base in &bases[1..] {
        let res = http
            .post(format!("{base}/api/v1/devices"))
            .json(&serde_json::json!({"username": "rep2", "password": "rep2-demo"}))
            .send()
            .await
            .expect("register");
        let v: serde_json::Value = res.json().await.expect("json");
        assert_eq!(
            v["sealing"]["server_public_key"],
            dev.server_public_key.as_str()
        );
    }

    let first = Arc::new(first);
    for round in 0..3u64 {
        let batch = valid_batch(&dev, &reference, round * 10 + 1, 10);
        let tasks: Vec<_> = bases
            .iter()
            .flat_map(|base| [base.clone(), base.clone()])
            .map(|base| {
                let (s, dev, batch) = (first.clone(), dev.clone(), batch.clone());
                tokio::spawn(async move {
                    let res = s.push_to(&base, &dev, batch).send().await.expect("push");
                    let status = res.status();
                    (status, res.json::<serde_json::Value>().await.expect("json"))
                })
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
    let orders = first.orders(&dev).await;
    let ids: HashSet<&str> = orders
        .iter()
        .map(|o| o["order_id"].as_str().expect("id"))
        .collect();
    assert_eq!((orders.len(), ids.len()), (30, 30));
    // Across instances too, one device's pushes wait for each other rather than collide.
    for base in &bases {
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics");
        let text = metrics.text().await.expect("text");
        assert!(
            text.contains("satchel_push_retries_total 0\n"),
            "{base}: {text}"
        );
    }
    for o in others {
        o.shutdown().await.expect("shutdown");
    }
}

/// PostgreSQL only (SQLite serves one instance): instances starting together on an empty
/// database migrate it once (sqlx's migration lock), seed it once (an advisory lock) and agree
/// on one server key.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_on_one_postgresql_migrate_and_seed_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let store = Store::new(backend).await;
    let config = store.config(&store.dir.path().join("no-www"));
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let config = config.clone();
            tokio::spawn(async move { satchel_server::start(&config).await.expect("starts") })
        })
        .collect();
    let mut servers = Vec::new();
    for s in starts {
        servers.push(s.await.expect("task"));
    }
    assert_eq!(
        servers.iter().filter(|s| s.seeded).count(),
        1,
        "seeded exactly once"
    );
    let http = client();
    let mut keys = HashSet::new();
    for s in &servers {
        let res = http
            .post(format!("http://{}/api/v1/devices", s.addr))
            .json(&serde_json::json!({"username": "super", "password": "super-demo"}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: serde_json::Value = res.json().await.expect("json");
        keys.insert(
            v["sealing"]["server_public_key"]
                .as_str()
                .expect("key")
                .to_string(),
        );
        let token = v["token"].as_str().expect("token");
        let res = http
            .get(format!("http://{}/api/v1/reference", s.addr))
            .bearer_auth(token)
            .send()
            .await
            .expect("reference");
        let r: serde_json::Value = res.json().await.expect("json");
        assert_eq!(r["products"].as_array().map(Vec::len), Some(800));
        // The 200 field outlets, the demo shop's 3 customers and the delivery route's 8.
        assert_eq!(r["outlets"].as_array().map(Vec::len), Some(211));
    }
    assert_eq!(keys.len(), 1, "one server key for all instances");
    for s in servers {
        s.shutdown().await.expect("shutdown");
    }
}

/// The month-end burst of issue 16, scaled down: 50 devices (rep1's and rep2's) push 2 batches of
/// 5 orders each, all at once, half through each of two instances (on SQLite, which serves one
/// instance, both halves go to it), while a device of rep1 pulls over and over from where it
/// was. Every order is stored once; and what the puller assembled from its pages, once the
/// pushes are done and it has caught up, is exactly the server's state: each of its outlets'
/// balances and each of its van's stock levels. A page that skipped a change committed late with
/// an earlier version would leave a stale balance or level behind.
async fn fifty_devices_over_two_instances_store_each_order_once_and_a_pull_misses_nothing(backend: Backend) {
    let first = start(backend).await;
    let www = first.store.dir.path().join("no-www");
    let second = match backend {
        Backend::Postgres => Some(satchel_server::start(&first.store.config(&www)).await.expect("another instance starts")),
        Backend::Sqlite => None,
    };
    let bases: Vec<String> =
        std::iter::once(first.base.clone()).chain(second.iter().map(|o| format!("http://{}", o.addr))).collect();
    let puller = first.register("rep1", "rep1-demo").await;
    let sup = first.register("super", "super-demo").await;
    const DEVICES: usize = 50;
    const BATCHES: u64 = 2;
    const PER_BATCH: u64 = 5;
    let mut work = Vec::new();
    for i in 0..DEVICES {
        let (user, pass) = if i % 2 == 0 { ("rep1", "rep1-demo") } else { ("rep2", "rep2-demo") };
        let dev = first.register(user, pass).await;
        let reference = first.reference(&dev).await;
        let batches: Vec<_> = (0..BATCHES).map(|b| valid_batch(&dev, &reference, b * PER_BATCH + 1, PER_BATCH)).collect();
        work.push((bases[i % bases.len()].clone(), dev, batches));
    }

    // The puller starts from where it is before the burst.
    let first = Arc::new(first);
    let mut state: BTreeMap<(String, String), Option<serde_json::Value>> = BTreeMap::new();
    let mut checkpoint = catch_up(&first, &bases[0], &puller, None, &mut state).await;

    let pushes: Vec<_> = work
        .into_iter()
        .map(|(base, dev, batches)| {
            let s = first.clone();
            tokio::spawn(async move {
                let mut applied = 0;
                for batch in batches {
                    let res = s.push_to(&base, &dev, batch).send().await.expect("push");
                    let status = res.status();
                    let v: serde_json::Value = res.json().await.expect("json");
                    assert_eq!(status, StatusCode::OK, "{v}");
                    applied += statuses(&v).iter().filter(|st| *st == "applied" || *st == "flagged").count();
                }
                applied
            })
        })
        .collect();
    // Pull while the pushes run, through the other instance when there is one.
    let pull_base = bases.last().expect("an instance").clone();
    let mut rounds = 0;
    while pushes.iter().any(|p| !p.is_finished()) {
        checkpoint = catch_up(&first, &pull_base, &puller, Some(&checkpoint), &mut state).await;
        rounds += 1;
    }
    let mut applied = 0;
    for p in pushes {
        applied += p.await.expect("push task");
    }
    assert_eq!(applied, DEVICES * (BATCHES * PER_BATCH) as usize, "every order accepted");
    catch_up(&first, &pull_base, &puller, Some(&checkpoint), &mut state).await;
    eprintln!("{rounds} pull rounds ran during the pushes");

    // Stored once each.
    let orders = first.orders(&sup).await;
    let ids: HashSet<&str> = orders.iter().map(|o| o["order_id"].as_str().expect("id")).collect();
    assert_eq!((orders.len(), ids.len()), (applied, applied));

    // What the puller assembled is the server's state now.
    let reference = first.reference(&puller).await;
    let sales = sales_of(&reference);
    let mut compared = 0;
    for o in &sales.outlets {
        let Some(credit) = &o.credit else { continue };
        let pulled = state.get(&("outlet".into(), o.id.clone())).cloned().flatten().expect("the outlet was pulled");
        assert_eq!(dec(pulled["credit"]["outstanding"].as_str().expect("outstanding")), credit.outstanding, "{}", o.id);
        compared += 1;
    }
    for (sku, level) in &sales.van_stock {
        let pulled = state.get(&("van_stock".into(), sku.clone())).cloned().flatten().expect("the van row was pulled");
        assert_eq!(dec(pulled["available"].as_str().expect("available")), level.available, "{sku}");
        compared += 1;
    }
    assert!(compared > 50, "outlets and van rows compared: {compared}");
    if let Some(o) = second {
        o.shutdown().await.expect("shutdown");
    }
}

/// Pulls `dev`'s changes from `checkpoint` until it has them all, applying each to `state` (by
/// entity and key, the record or `None` when deleted); returns the new checkpoint.
async fn catch_up(
    s: &TestServer,
    base: &str,
    dev: &Device,
    checkpoint: Option<&str>,
    state: &mut BTreeMap<(String, String), Option<serde_json::Value>>,
) -> String {
    let mut checkpoint = checkpoint.map(str::to_string);
    loop {
        let mut url = format!("{base}/api/v1/sync/pull?limit=50");
        if let Some(c) = &checkpoint {
            url.push_str(&format!("&checkpoint={c}"));
        }
        let res = s.http.get(url).bearer_auth(&dev.token).send().await.expect("pull");
        assert_eq!(res.status(), StatusCode::OK);
        let page: satchel_core::sync::protocol::PullResponse = res.json().await.expect("a pull page");
        for c in &page.changes {
            let entity = serde_json::to_value(c.entity).expect("entity").as_str().expect("name").to_string();
            state.insert((entity, c.key.clone()), c.decode::<serde_json::Value>().expect("a JSON record"));
        }
        checkpoint = Some(page.checkpoint.clone());
        if !page.has_more {
            return page.checkpoint;
        }
    }
}
