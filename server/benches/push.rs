//! Server-side push throughput: the real server (`satchel_server::start`) on loopback, driven
//! over HTTP with batches of 100 valid `sales_order.create` mutations (priced, taxed and
//! numbered by core exactly as a device does), 10,000 in all: from one device, from four devices
//! at once (2,500 each) and from fifty (200 each: the month-end burst of issue 16); on
//! PostgreSQL also with the fifty spread over two and three server instances sharing the database. The server re-prices each against its catalog and
//! price lists, re-checks the policy with the outlet's balance and the van's stock, and writes
//! the order, the invoice, the balance, the stock and their feed rows; the demo's default policy
//! flags (never refuses) an order over a credit limit or short of stock, so late orders of a
//! 10,000-order run are accepted as `flagged`, which also writes a review row. On SQLite always; on PostgreSQL too
//! when `SATCHEL_TEST_DATABASE_URL` names a role that may create databases (a fresh database is
//! created for each run and dropped after, as the tests do).
//!
//! Run with `cargo bench -p satchel-server --bench push` (release). Prints figures; fails only
//! when a mutation is not applied. Every request body is serialized before the clock starts, so
//! the figure is the server's: reading, checking and committing the batches, plus loopback
//! HTTP. Each scenario runs three times, each on a fresh server and database, and the median
//! run is reported; its detail line gives the client's round trip per batch and the server's own
//! handling time from `satchel_push_duration_seconds`.
//!
//! Issue target: end-to-end drain of at least 5,000 mutations/s on SQLite.

use std::time::{Duration, Instant};

use chrono::Utc;
use satchel_core::sales::numbering::format_number;
use satchel_core::sales::{quote, Catalog, NumberRange, OrderKind, SalesContext, SalesDocument, SalesLine, SalesOrder};
use satchel_core::sync::protocol::{Mutation, MutationBody, PushRequest, ReferenceData, SalesReference};
use satchel_server::Config;
use serde_json::Value;
use uuid::Uuid;

/// The server binary's allocator (src/main.rs), so that the bench measures what runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;
use common::{admin_url, create_database, Backend, PG_URL_VAR};

const TOTAL: u64 = 10_000;
const BATCH: u64 = 100;
/// Each scenario runs this many times, each on a fresh server and database; the median is
/// reported (shared machines are noisy).
const ROUNDS: usize = 3;

/// One scenario: the backend, how many devices push at once, through how many server instances
/// (PostgreSQL only: instances share one database; devices are spread over them in turn), and
/// whose devices they are.
#[derive(Clone, Copy)]
struct Shape {
    backend: Backend,
    devices: usize,
    instances: usize,
    /// Each device is its own rep with their own route (two of the demo's outlets) and van, as
    /// at month-end (`-own` in the name). Otherwise the devices are the demo's rep1 and rep2 in
    /// turn: fifty devices then sell from two vans to the same hundred outlets, and wait for
    /// each other on those rows.
    own_reps: bool,
}

impl Shape {
    /// Its name, which the optional filter argument (`cargo bench … -- sqlite-50`) matches.
    fn name(self) -> String {
        let db = match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "pg",
        };
        let own = if self.own_reps { "-own" } else { "" };
        format!("{db}-{}x{}{own}", self.devices, self.instances)
    }
}

fn main() {
    // One lease covers a device's whole run (the default lease is 1,000 numbers).
    std::env::set_var("SATCHEL_NUMBER_LEASE_SIZE", TOTAL.to_string());
    // `cargo bench -p satchel-server --bench push -- sqlite` runs only the scenarios whose name
    // contains "sqlite" (cargo passes `--bench` too).
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |shape: &Shape| filter.is_empty() || filter.iter().any(|f| shape.name().contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        // The month-end burst of issue 16 is the 50-device row: every device pushes at once.
        for (devices, own_reps) in [(1, false), (4, false), (50, false), (50, true)] {
            let shape = Shape { backend: Backend::Sqlite, devices, instances: 1, own_reps };
            if wanted(&shape) {
                report(shape).await;
            }
        }
        if admin_url().is_some() {
            for (devices, instances, own_reps) in
                [(1, 1, false), (4, 1, false), (50, 1, false), (50, 2, false), (50, 3, false), (50, 1, true), (50, 2, true), (50, 3, true)]
            {
                let shape = Shape { backend: Backend::Postgres, devices, instances, own_reps };
                if wanted(&shape) {
                    report(shape).await;
                }
            }
        } else {
            println!("BENCH server push (PostgreSQL): skipped ({PG_URL_VAR} is unset)");
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Valid orders, built as server/tests/common's `valid_batch` does.
// ---------------------------------------------------------------------------------------------

/// The `n`th number (from 0) of a device's leases.
fn nth_number(ranges: &[NumberRange], n: u64) -> String {
    let mut left = n;
    for r in ranges {
        if left < r.len() {
            return format_number(&r.prefix, r.first + left);
        }
        left -= r.len();
    }
    panic!("the device has fewer than {} leased numbers", n + 1)
}

/// A valid order for the `n`th outlet the user sees, with two plain catalog lines, numbered
/// with the device's `n - 1`th number (`n` from 1): quoted and committed by core with the reference's data.
fn valid_doc(sales: &SalesReference, skus: &[&str], ranges: &[NumberRange], n: usize) -> SalesDocument {
    let outlet = &sales.outlets[n % sales.outlets.len()];
    let rules = satchel_core::tax::builtin::rule_set(&sales.settings.rule_set).expect("rule set");
    let catalog = Catalog::new(&sales.products, &sales.price_lists);
    let now = Utc::now();
    let line = |sku: &str, q: &str| SalesLine { sku: sku.into(), quantity: q.parse().expect("quantity"), discount_percent: None };
    let order = SalesOrder {
        outlet_id: outlet.id.clone(),
        business_date: now.date_naive(),
        lines: vec![line(skus[(n * 3) % skus.len()], "2"), line(skus[(n * 3 + 1) % skus.len()], "1")],
        order_discount_percent: None,
        note: None,
        requested_delivery_date: None,
        customer_reference: None,
        cash: false,
        kind: OrderKind::Sale,
    };
    let ctx = SalesContext {
        role: sales.role.clone(),
        now,
        stock: sales.van_stock.clone(),
        pending_on_device: Default::default(),
        recent_orders: Vec::new(),
    };
    let q = quote(&sales.settings, &rules, &catalog, outlet, &order, &ctx).expect("the order prices");
    SalesDocument::from_quote(Uuid::now_v7(), nth_number(ranges, n as u64 - 1), now, order, &q).expect("the quote commits")
}

/// The serialized push bodies of `count` valid mutations from seq 1, `BATCH` per push.
fn bodies(device: &Device, reference: &ReferenceData, count: u64) -> Vec<Vec<u8>> {
    let sales = reference.sales.as_ref().expect("the reference carries the sales data");
    // SKUs any order may take in any quantity: no pack size, no minimum, whole units.
    let skus: Vec<&str> = sales
        .products
        .iter()
        .filter(|p| p.pack_size.is_none() && p.min_order_quantity.is_none() && p.quantity_places == 0)
        .map(|p| p.sku.as_str())
        .collect();
    let mutations: Vec<Mutation> = (1..=count)
        .map(|seq| Mutation {
            device_id: device.id,
            seq,
            id: Uuid::now_v7(),
            body: MutationBody::SalesOrderCreate(Box::new(valid_doc(sales, &skus, &device.number_ranges, seq as usize))),
            created_at: Utc::now(),
            depends_on: Vec::new(),
        })
        .collect();
    mutations
        .chunks(BATCH as usize)
        .map(|chunk| {
            let req = PushRequest {
                device_id: device.id,
                mutations: chunk.to_vec(),
                sealed: Vec::new(),
                numbers_left: None,
                receipts_left: None,
                sent_at: None,
                marks: None,
            };
            serde_json::to_vec(&req).expect("serialize")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// One scenario: a fresh server, `devices` devices, TOTAL mutations split between them.
// ---------------------------------------------------------------------------------------------

struct Device {
    id: Uuid,
    token: String,
    number_ranges: Vec<NumberRange>,
}

async fn register(http: &reqwest::Client, base: &str, username: &str, password: &str) -> Device {
    let res = http
        .post(format!("{base}/api/v1/devices"))
        .json(&serde_json::json!({"username": username, "password": password, "label": "bench"}))
        .send()
        .await
        .expect("register");
    assert_eq!(res.status(), reqwest::StatusCode::CREATED, "registration");
    let v: Value = res.json().await.expect("json");
    Device {
        id: Uuid::parse_str(v["device_id"].as_str().expect("device_id")).expect("uuid"),
        token: v["token"].as_str().expect("token").to_owned(),
        number_ranges: serde_json::from_value(v["number_ranges"].clone()).expect("number ranges"),
    }
}

async fn reference(http: &reqwest::Client, base: &str, dev: &Device) -> ReferenceData {
    let res = http
        .get(format!("{base}/api/v1/reference"))
        .bearer_auth(&dev.token)
        .send()
        .await
        .expect("reference");
    assert!(res.status().is_success(), "reference: {}", res.status());
    res.json().await.expect("reference data")
}

/// The value of one sample line of `/metrics`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{series} missing from /metrics"))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Adds `n` reps `bench-<i>` (rep1's password), each working route `BR-<i>` with two of the
/// demo's outlets moved onto it and a van stocked as rep1's.
async fn add_reps(db: &satchel_server::db::Db, n: usize) {
    let outlets: Vec<(String,)> = sqlx::query_as("SELECT id FROM outlets WHERE id LIKE 'OUT-%' ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("outlets");
    assert!(outlets.len() >= 2 * n, "two outlets per rep");
    for i in 0..n {
        let (user, route) = (format!("bench-{i}"), format!("BR-{i}"));
        let statements: [(&str, &[&str]); 3] = [
            (
                "INSERT INTO users (username, display_name, password_hash, role) \
                 SELECT $1, $1, password_hash, role FROM users WHERE username = 'rep1'",
                &[&user],
            ),
            ("INSERT INTO user_routes (username, route) VALUES ($1, $2)", &[&user, &route]),
            (
                "INSERT INTO van_stock (username, sku, available, as_of) \
                 SELECT $1, sku, available, as_of FROM van_stock WHERE username = 'rep1'",
                &[&user],
            ),
        ];
        for (sql, binds) in statements {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.execute(&db.pool).await.expect(sql);
        }
        for (id,) in &outlets[2 * i..2 * i + 2] {
            sqlx::query("UPDATE outlets SET route = $1 WHERE id = $2")
                .bind(&route)
                .bind(id)
                .execute(&db.pool)
                .await
                .expect("move an outlet");
        }
    }
}

/// How many times a push answered 5xx is sent again (after a pause), as a device would.
const RETRIES: u32 = 20;

async fn scenario(shape: Shape) -> Run {
    let Shape { backend, devices, instances, own_reps } = shape;
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(create_database().await),
    };
    let mut servers = Vec::new();
    for i in 0..instances {
        let config = Config {
            database_url: pg.as_ref().map(|db| db.url.clone()),
            ..Config::loopback(dir.path().join(format!("data{i}")), dir.path().join("no-www"))
        };
        servers.push(satchel_server::start(&config).await.expect("server starts"));
    }
    let bases: Vec<String> = servers.iter().map(|s| format!("http://{}", s.addr)).collect();
    let http = reqwest::Client::builder().no_proxy().build().expect("client");

    if own_reps {
        let db = satchel_server::db::open(&dir.path().join("data0"), pg.as_ref().map(|db| db.url.as_str()), 2)
            .await
            .expect("the bench's own connection");
        add_reps(&db, devices).await;
        db.close().await;
    }
    // Devices of both reps (or each of its own rep), each with its own reference data (its
    // routes' outlets).
    let per_device = TOTAL / devices as u64;
    let mut work = Vec::new();
    for i in 0..devices {
        let base = &bases[i % bases.len()];
        let own = format!("bench-{i}");
        let (user, pass) = match (own_reps, i % 2) {
            (true, _) => (own.as_str(), "rep1-demo"),
            (false, 0) => ("rep1", "rep1-demo"),
            (false, _) => ("rep2", "rep2-demo"),
        };
        let dev = register(&http, base, user, pass).await;
        let reference = reference(&http, base, &dev).await;
        let bodies = bodies(&dev, &reference, per_device);
        work.push((dev, bodies, format!("{base}/api/v1/sync/push")));
    }

    let cpu_before = process_cpu();
    let started = Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .map(|(dev, bodies, url)| {
            let http = http.clone();
            tokio::spawn(async move {
                let mut applied = 0u64;
                let mut errors = 0u64;
                let mut latencies = Vec::with_capacity(bodies.len());
                for body in bodies {
                    let t = Instant::now();
                    let mut attempt = 0;
                    let v: Value = loop {
                        let res = http
                            .post(&url)
                            .bearer_auth(&dev.token)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .expect("push");
                        let status = res.status();
                        let v: Value = res.json().await.expect("push answer");
                        if status.is_server_error() && attempt < RETRIES {
                            // Counted, then sent again as a device would: the latency is the
                            // whole wait until it was taken.
                            errors += 1;
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                        assert!(status.is_success(), "push refused: {status} {v}");
                        break v;
                    };
                    latencies.push(t.elapsed());
                    applied += v["results"]
                        .as_array()
                        .expect("results")
                        .iter()
                        .filter(|r| r["status"] == "applied" || r["status"] == "flagged")
                        .count() as u64;
                }
                (applied, errors, latencies)
            })
        })
        .collect();
    let mut applied = 0;
    let mut errors = 0;
    let mut latencies = Vec::new();
    for t in tasks {
        let (a, e, l) = t.await.expect("push task");
        applied += a;
        errors += e;
        latencies.extend(l);
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    assert_eq!(applied, TOTAL, "every mutation accepted");

    // Every instance's counters, summed.
    let (mut flagged, mut applied_metric, mut pushes, mut push_seconds) = (0.0, 0.0, 0.0, 0.0);
    for base in &bases {
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        // Flagged orders count as applied there, and in the flagged total too.
        flagged += sample(&metrics, "satchel_orders_flagged_total");
        applied_metric += sample(&metrics, "satchel_mutations_total{outcome=\"applied\"}");
        pushes += sample(&metrics, "satchel_push_duration_seconds_count");
        push_seconds += sample(&metrics, "satchel_push_duration_seconds_sum");
    }
    assert_eq!(applied_metric, TOTAL as f64);
    let server_mean_ms = push_seconds / pushes * 1e3;

    latencies.sort_unstable();
    for server in servers {
        server.shutdown().await.expect("clean shutdown");
    }
    drop(pg);
    Run { elapsed, cpu, latencies, pushes, server_mean_ms, flagged, errors }
}

/// CPU time this process has used (user + system, all threads), from `/proc/self/stat` in
/// clock ticks of 10 ms; `None` where that file does not exist.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// One timed run of a scenario.
struct Run {
    elapsed: Duration,
    /// CPU time of the whole process (server and client) during the run.
    cpu: Option<Duration>,
    /// Round trip of each push, sorted.
    latencies: Vec<Duration>,
    /// Pushes the server timed (`satchel_push_duration_seconds_count`).
    pushes: f64,
    /// Their mean handling time (`_sum / _count`), in ms.
    server_mean_ms: f64,
    /// Orders accepted as `flagged` (over a credit limit or short of stock).
    flagged: f64,
    /// Pushes answered 5xx (then sent again).
    errors: u64,
}

impl Run {
    fn rate(&self) -> f64 {
        TOTAL as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs a scenario [`ROUNDS`] times and prints the median run.
async fn report(shape: Shape) {
    let mut runs = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        runs.push(scenario(shape).await);
    }
    runs.sort_by_key(|r| r.elapsed);
    let rates: Vec<String> = runs.iter().rev().map(|r| format!("{:.0}", r.rate())).collect();
    let errors: Vec<String> = runs.iter().rev().map(|r| r.errors.to_string()).collect();
    let run = &runs[runs.len() / 2];
    let plural = if shape.devices == 1 { "device" } else { "devices" };
    let instances = match shape.instances {
        1 => String::new(),
        n => format!(", {n} instances"),
    };
    println!(
        "BENCH server push ({}, {} {plural}{instances}) [{}]: {:.0} mutations/s ({} ms for 10,000)",
        shape.backend.name(),
        shape.devices,
        shape.name(),
        run.rate(),
        run.elapsed.as_millis()
    );
    println!(
        "      median of {ROUNDS} runs ({} mutations/s); per {BATCH}-mutation push: round trip p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; server handling mean {:.1} ms over {} pushes; {} flagged; 5xx answers per run: {}",
        rates.join(", "),
        ms(percentile(&run.latencies, 0.5)),
        ms(percentile(&run.latencies, 0.99)),
        ms(*run.latencies.last().expect("a push")),
        run.server_mean_ms,
        run.pushes,
        run.flagged,
        errors.join(", "),
    );
    if let Some(cpu) = run.cpu {
        println!(
            "      process CPU (server + client, user + sys) {:.2} s for {:.2} s wall",
            cpu.as_secs_f64(),
            run.elapsed.as_secs_f64()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
