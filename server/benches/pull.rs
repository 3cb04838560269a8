//! Server-side initial pull: the real server (`satchel_server::start`) on loopback, its demo data
//! grown to 10,000 products (names from `satchel_core::catalog::synthetic`) and 2,000 outlets,
//! with the four price lists pricing every product and both reps' vans stocking every product.
//! A device pulls everything from nothing over HTTP with the default page size
//! (`PULL_PAGE`), parsing each page, until `has_more` is false:
//!
//! - a supervisor: 10,000 products, 2,000 outlets, 4 price lists of 10,000 prices, settings and
//!   the rule set (the case);
//! - rep1: the same catalog and price lists, the 1,000 outlets of their routes, their 4 tasks and
//!   10,000 van stock rows.
//!
//! On SQLite always; on PostgreSQL too when `SATCHEL_TEST_DATABASE_URL` names a role that may
//! create databases (a fresh database per run, dropped after, as `push.rs` does). Each case runs
//! three times on the same server (a pull only reads), each time from a newly registered device;
//! the median is reported with the server's own handling time per page
//! (`satchel_pull_duration_seconds`).
//!
//! Run with `cargo bench -p satchel-server --bench pull` (release). Fails only when a pull does
//! not deliver every record exactly once.
//!
//! Issue target: the initial pull of 10k products + 2k outlets in at most 3 s on loopback.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use satchel_core::sync::protocol::{PullResponse, PULL_PAGE};
use satchel_server::Config;
use serde_json::Value;

mod common;
use common::{admin_url, create_database, Backend, PG_URL_VAR};

const PRODUCTS: usize = 10_000;
const OUTLETS: usize = 2_000;
const ROUNDS: usize = 3;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        report(Backend::Sqlite).await;
        if admin_url().is_some() {
            report(Backend::Postgres).await;
        } else {
            println!("BENCH server pull (PostgreSQL): skipped ({PG_URL_VAR} is unset)");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// The timed pull.
// ---------------------------------------------------------------------------------------------

async fn register(http: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/devices"))
        .json(&serde_json::json!({"username": username, "password": password, "label": "bench"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "registration");
    let v: Value = res.json().await.expect("json");
    v["token"].as_str().expect("token").to_owned()
}

struct Run {
    elapsed: Duration,
    pages: usize,
    changes: usize,
    bytes: usize,
}

/// A full initial pull with the default page size; checks every record came once.
async fn pull_everything(http: &reqwest::Client, base: &str, token: &str, expected: usize) -> Run {
    let started = Instant::now();
    let mut checkpoint: Option<String> = None;
    let (mut pages, mut bytes) = (0, 0);
    let mut seen = HashSet::with_capacity(expected);
    loop {
        let url = match &checkpoint {
            None => format!("{base}/api/v1/sync/pull"),
            Some(c) => format!("{base}/api/v1/sync/pull?checkpoint={c}"),
        };
        let res = http.get(url).bearer_auth(token).send().await.expect("pull");
        assert!(res.status().is_success(), "pull: {}", res.status());
        let body = res.bytes().await.expect("body");
        bytes += body.len();
        let page: PullResponse = serde_json::from_slice(&body).expect("a pull page");
        pages += 1;
        for c in page.changes {
            assert!(c.data.is_some(), "an initial pull carries no deletes");
            assert!(seen.insert((c.entity, c.key)), "a record came twice");
        }
        checkpoint = Some(page.checkpoint);
        if !page.has_more {
            break;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(seen.len(), expected, "every record once");
    Run { elapsed, pages, changes: seen.len(), bytes }
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{series} missing from /metrics"))
}

async fn server_page_ms(http: &reqwest::Client, base: &str) -> (f64, f64) {
    let text = http.get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("text");
    (sample(&text, "satchel_pull_duration_seconds_sum"), sample(&text, "satchel_pull_duration_seconds_count"))
}

async fn report(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(create_database().await),
    };
    let config = Config {
        database_url: pg.as_ref().map(|db| db.url.clone()),
        ..Config::loopback(dir.path().join("data"), dir.path().join("no-www"))
    };
    // Seed and grow the data before the server starts (it then finds users and a feed).
    let prepared = Instant::now();
    let db = satchel_server::db::open(&config.data_dir, config.database_url.as_deref(), 2).await.expect("database");
    satchel_server::seed::seed_if_empty(&db).await.expect("seed");
    satchel_server::seed::grow_demo(&db, PRODUCTS, OUTLETS).await.expect("grow the demo");
    db.close().await;
    let prepared = prepared.elapsed();

    let server = satchel_server::start(&config).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    println!(
        "BENCH server pull ({}): data of {PRODUCTS} products, {OUTLETS} outlets prepared in {:.1} s",
        backend.name(),
        prepared.as_secs_f64()
    );
    let tasks_of_rep1 = satchel_server::seed::TASKS.iter().filter(|t| t.assignee == "rep1").count();
    let lists = satchel_server::seed::PRICE_LISTS.len();
    for (who, user, pass, expected) in [
        ("supervisor", "super", "super-demo", 1 + 1 + PRODUCTS + lists + OUTLETS),
        ("rep1", "rep1", "rep1-demo", 1 + 1 + PRODUCTS + lists + OUTLETS / 2 + tasks_of_rep1 + PRODUCTS),
    ] {
        let mut runs = Vec::with_capacity(ROUNDS);
        let (sum0, count0) = server_page_ms(&http, &base).await;
        for _ in 0..ROUNDS {
            let token = register(&http, &base, user, pass).await;
            runs.push(pull_everything(&http, &base, &token, expected).await);
        }
        let (sum1, count1) = server_page_ms(&http, &base).await;
        runs.sort_by_key(|r| r.elapsed);
        let all: Vec<String> = runs.iter().map(|r| format!("{:.2}", r.elapsed.as_secs_f64())).collect();
        let run = &runs[runs.len() / 2];
        let secs = run.elapsed.as_secs_f64();
        println!(
            "BENCH server pull ({}, {who}): {} changes in {} pages of {PULL_PAGE} in {:.2} s = {:.0} changes/s ({:.1} MB)",
            backend.name(),
            run.changes,
            run.pages,
            secs,
            run.changes as f64 / secs,
            run.bytes as f64 / 1e6,
        );
        println!(
            "      median of {ROUNDS} runs (s: {}); server handling mean {:.1} ms per page over {} pages; target <= 3 s: {}",
            all.join(", "),
            (sum1 - sum0) / (count1 - count0) * 1e3,
            count1 - count0,
            if secs <= 3.0 { "met" } else { "NOT met" }
        );
    }
    server.shutdown().await.expect("clean shutdown");
    drop(pg);
}
