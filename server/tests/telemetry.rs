//! Field telemetry over real HTTP (issue 21): devices' `telemetry.report`s stored once and shown
//! on the supervisor's dashboard, the server's own entry-to-server time of each order corrected
//! by the push's `sent_at`, same-day recording by route, and the Prometheus series.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use reqwest::StatusCode;
use satchel_core::sales::numbering::take_next;
use satchel_core::sales::{NumberRange, OrderKind};
use satchel_core::sync::protocol::{Mutation, MutationBody, PushRequest};
use satchel_core::telemetry::{Histogram, OutageSales, TelemetryReport, ATTEMPT_SLOTS};
use serde_json::Value;
use uuid::Uuid;

backend_tests! {
    a_report_shows_on_the_dashboard,
    a_replayed_report_counts_once,
    a_malformed_report_is_refused_and_nothing_is_stored,
    entry_to_server_is_corrected_by_the_push_clock,
    a_deferred_order_keeps_its_push_clock,
    same_day_recording_by_route,
    metrics_expose_the_telemetry_series,
    absurd_sums_saturate_instead_of_failing_the_push,
    a_rep_may_not_see_the_dashboard,
}

const DASHBOARD: &str = "/api/v1/telemetry/dashboard";

fn hist(samples: &[u64]) -> Histogram {
    let mut h = Histogram::default();
    for s in samples {
        h.record(*s);
    }
    h
}

/// A plausible report of the quarter hour before now.
fn report() -> TelemetryReport {
    let now = Utc::now();
    TelemetryReport {
        report_id: Uuid::now_v7(),
        from: now - Duration::minutes(15),
        to: now,
        entry_to_ack: Histogram::default(),
        attempts: vec![0; ATTEMPT_SLOTS],
        offline: Histogram::default(),
        app_starts: 1,
        unlocks: 1,
        force_closes: 0,
        storage_used: None,
        storage_quota: None,
        persisted: None,
        unsynced: 0,
        oldest_unsynced_at: None,
        outage_sales: OutageSales::default(),
    }
}

fn report_mutation(dev: &Device, seq: u64, r: TelemetryReport) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::TelemetryReport(Box::new(r)),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}

/// A push whose device clock said `sent_at`.
async fn push_at(s: &TestServer, dev: &Device, mutations: &[Mutation], sent_at: Option<DateTime<Utc>>) -> Value {
    let body = PushRequest { device_id: dev.id, mutations: mutations.to_vec(), sealed: Vec::new(), numbers_left: None, receipts_left: None, sent_at, marks: None };
    let (status, v) = s.push_raw(Some(&dev.token), serde_json::to_vec(&body).expect("serialize")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

async fn dashboard(s: &TestServer, sup: &Device) -> Value {
    let (status, v) = s.get(DASHBOARD, &sup.token).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The merged offline histogram's count in the bucket up to `up_to_ms`.
fn offline_count(d: &Value, up_to_ms: u64) -> u64 {
    let spans = d["offline_spans"].as_array().expect("offline spans");
    assert_eq!(spans.len(), satchel_core::telemetry::BUCKETS, "every bucket: {d}");
    spans.iter().find(|b| b["up_to_ms"] == up_to_ms).and_then(|b| b["count"].as_u64()).expect("the bucket")
}

fn today(d: &Value) -> Value {
    let days = d["latency_by_day"].as_array().expect("latency by day");
    assert_eq!(days.len(), 7, "{d}");
    days.last().cloned().expect("today")
}

fn next(numbers: &mut Vec<NumberRange>) -> String {
    take_next(numbers).expect("a leased number")
}

/// A sample line of the exposition, parsed as a number.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{series} missing from:\n{metrics}"))
        .parse()
        .expect("a number")
}

async fn a_report_shows_on_the_dashboard(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let now = Utc::now();
    let first = TelemetryReport {
        entry_to_ack: hist(&[1_000, 2_000]),
        attempts: vec![1, 1, 0, 0, 0, 0],
        offline: hist(&[30_000, 400_000]),
        force_closes: 1,
        storage_used: Some(800),
        storage_quota: Some(1_000),
        persisted: Some(true),
        unsynced: 3,
        oldest_unsynced_at: Some(now - Duration::hours(2)),
        outage_sales: OutageSales { completed: 3, failed: 1 },
        ..report()
    };
    let second = TelemetryReport {
        offline: hist(&[20_000]),
        force_closes: 2,
        storage_used: Some(900),
        storage_quota: Some(1_000),
        persisted: Some(true),
        ..report()
    };
    let v = push_at(&s, &rep1, &[report_mutation(&rep1, 1, first), report_mutation(&rep1, 2, second)], None).await;
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");
    let stuck = TelemetryReport { unsynced: 5, oldest_unsynced_at: Some(now - Duration::hours(30)), ..report() };
    let v = push_at(&s, &rep2, &[report_mutation(&rep2, 1, stuck)], None).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");

    let d = dashboard(&s, &sup).await;
    let devices = d["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 2, "{d}");
    assert_eq!(devices[0]["device_id"], rep2.id.to_string(), "the oldest unsynced work first: {d}");
    assert_eq!((devices[0]["unsynced"].as_u64(), devices[0]["username"].as_str()), (Some(5), Some("rep2")));
    let a = &devices[1];
    assert_eq!(a["device_id"], rep1.id.to_string());
    assert_eq!((a["username"].as_str(), a["label"].as_str()), (Some("rep1"), Some("test")));
    assert_eq!(a["force_closes"], 3, "both reports' force-closes: {a}");
    assert_eq!((a["storage_used"].as_u64(), a["storage_quota"].as_u64()), (Some(900), Some(1_000)), "the latest report's storage");
    assert_eq!((a["storage_permille"].as_u64(), a["persisted"].as_bool()), (Some(900), Some(true)));
    assert_eq!((a["unsynced"].as_u64(), a["oldest_unsynced_at"].is_null()), (Some(0), true), "the latest report has nothing unsynced");
    assert_eq!(a["entry_to_ack_p95_ms"], 2_000, "p95 of 1 s and 2 s: {a}");
    assert!(a["last_report_at"].is_string());
    // Three spans of 20 s and 30 s, and one of 400 s, merged over both reports and devices.
    assert_eq!(offline_count(&d, 30_000), 2, "{d}");
    assert_eq!(offline_count(&d, 600_000), 1, "{d}");
    assert_eq!(d["offline_spans"].as_array().map(|b| b.iter().filter_map(|x| x["count"].as_u64()).sum::<u64>()), Some(3));
    assert!(d["offline_spans"].as_array().and_then(|b| b.last()).is_some_and(|b| b["up_to_ms"].is_null()), "the last bucket is open");
    assert_eq!(d["outage_sales"], serde_json::json!({"completed": 3, "failed": 1, "success_permille": 750}));
    assert_eq!(today(&d)["count"], 0, "no order yet: {d}");
    assert!(today(&d)["p95_ms"].is_null());
    assert_eq!(d["same_day_by_route"], serde_json::json!([]));
    assert!(d["generated_at"].is_string());

    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_devices_unsynced_over_24h"), 1.0, "rep2's work waits since 30 h");
}

async fn a_replayed_report_counts_once(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let rep2 = s.register("rep2", "rep2-demo").await;
    let sup = s.register("super", "super-demo").await;
    let r = TelemetryReport { force_closes: 2, app_starts: 3, offline: hist(&[5_000]), ..report() };
    let batch = [report_mutation(&rep1, 1, r.clone())];
    let v = push_at(&s, &rep1, &batch, None).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");
    // The answer was lost: the same push again is a replay.
    let v = push_at(&s, &rep1, &batch, None).await;
    assert_eq!((statuses(&v), v["results"][0]["original"].as_str()), (vec!["duplicate".to_string()], Some("applied")), "{v}");
    // The device queued the same report again under a new mutation: applied, not counted again.
    let v = push_at(&s, &rep1, &[report_mutation(&rep1, 2, r.clone())], None).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");
    // Another device cannot claim it.
    let v = push_at(&s, &rep2, &[report_mutation(&rep2, 1, r)], None).await;
    assert_eq!((v["results"][0]["code"].as_str(), v["results"][0]["field"].as_str()), (Some("duplicate_report"), Some("report_id")), "{v}");

    let d = dashboard(&s, &sup).await;
    assert_eq!(d["devices"].as_array().map(Vec::len), Some(1), "{d}");
    assert_eq!(d["devices"][0]["force_closes"], 2, "{d}");
    assert_eq!(offline_count(&d, 5_000), 1, "{d}");
    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_telemetry_reports_total"), 1.0);
    assert_eq!(sample(&metrics, "satchel_force_closes_total"), 2.0);
    assert_eq!(sample(&metrics, "satchel_app_starts_total"), 3.0);
    assert_eq!(sample(&metrics, "satchel_offline_span_seconds_count"), 1.0);
}

async fn a_malformed_report_is_refused_and_nothing_is_stored(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let short = TelemetryReport { offline: Histogram { counts: vec![1; 3], sum_ms: 0, max_ms: 0 }, force_closes: 9, ..report() };
    let now = Utc::now();
    let backwards = TelemetryReport { from: now, to: now - Duration::hours(1), force_closes: 9, ..report() };
    let attempts = TelemetryReport { attempts: vec![1; 2], ..report() };
    let v = push_at(
        &s,
        &rep1,
        &[report_mutation(&rep1, 1, short), report_mutation(&rep1, 2, backwards), report_mutation(&rep1, 3, attempts)],
        None,
    )
    .await;
    assert_eq!(statuses(&v), ["rejected", "rejected", "rejected"], "{v}");
    let refusal = |i: usize| (v["results"][i]["code"].as_str(), v["results"][i]["field"].as_str());
    assert_eq!(refusal(0), (Some("bad_telemetry"), Some("offline")), "{v}");
    assert_eq!(refusal(1), (Some("bad_telemetry"), Some("to")), "{v}");
    assert_eq!(refusal(2), (Some("bad_telemetry"), Some("attempts")), "{v}");
    assert!(v["results"][1]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");

    let d = dashboard(&s, &sup).await;
    assert_eq!(d["devices"], serde_json::json!([]), "{d}");
    assert_eq!(d["offline_spans"].as_array().map(|b| b.iter().filter_map(|x| x["count"].as_u64()).sum::<u64>()), Some(0));
    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_telemetry_reports_total"), 0.0);
    assert_eq!(sample(&metrics, "satchel_force_closes_total"), 0.0);
    assert_eq!(sample(&metrics, "satchel_mutation_rejections_total{code=\"bad_telemetry\"}"), 3.0);
}

async fn entry_to_server_is_corrected_by_the_push_clock(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = rep1.number_ranges.clone();
    // The phone's clock is an hour behind the server's; the order was entered 10 minutes before
    // the push, by that clock.
    let sent_at = Utc::now() - Duration::hours(1);
    let doc = sales_doc(sales, "OUT-0001", &[(&skus[0], "2")], OrderKind::Sale, next(&mut numbers));
    let mut m = sales_mutation(&rep1, 1, doc);
    m.created_at = sent_at - Duration::minutes(10);
    let v = push_at(&s, &rep1, &[m], Some(sent_at)).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");

    let d = dashboard(&s, &sup).await;
    let day = today(&d);
    assert_eq!(day["day"], Utc::now().date_naive().to_string());
    assert_eq!(day["count"], 1, "{d}");
    for p in ["p50_ms", "p95_ms"] {
        let ms = day[p].as_u64().expect("a percentile");
        assert!((599_000..=601_000).contains(&ms), "{p} is about 10 minutes, not 70: {ms}");
    }
    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_entry_to_server_seconds_count{route=\"R1\"}"), 1.0);
    let sum = sample(&metrics, "satchel_entry_to_server_seconds_sum{route=\"R1\"}");
    assert!((599.0..=601.0).contains(&sum), "{sum}");
    assert_eq!(sample(&metrics, "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"300\"}"), 0.0);
    assert_eq!(sample(&metrics, "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"1800\"}"), 1.0);
}

async fn a_deferred_order_keeps_its_push_clock(backend: Backend) {
    let s = start(backend).await;
    let phone = s.register("rep1", "rep1-demo").await;
    let tablet = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&phone).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = phone.number_ranges.clone();
    // The order waits for a mutation of the tablet's; the phone's clock is an hour behind.
    let parent = report_mutation(&tablet, 1, report());
    let sent_at = Utc::now() - Duration::hours(1);
    let doc = sales_doc(sales, "OUT-0001", &[(&skus[0], "1")], OrderKind::Sale, next(&mut numbers));
    let mut m = sales_mutation(&phone, 1, doc);
    m.created_at = sent_at - Duration::minutes(10);
    m.depends_on = vec![parent.id];
    let v = push_at(&s, &phone, &[m], Some(sent_at)).await;
    assert_eq!(statuses(&v), ["deferred"], "{v}");
    assert_eq!(today(&dashboard(&s, &sup).await)["count"], 0, "not applied yet");
    // The tablet's push, without `sent_at`, applies the parent and settles the order, which is
    // measured with the phone's offset.
    let v = push_at(&s, &tablet, &[parent], None).await;
    assert_eq!(statuses(&v), ["applied"], "{v}");
    let day = today(&dashboard(&s, &sup).await);
    assert_eq!(day["count"], 1, "{day}");
    let ms = day["p50_ms"].as_u64().expect("a percentile");
    assert!((599_000..=660_000).contains(&ms), "about 10 minutes, not 70: {ms}");
}

async fn same_day_recording_by_route(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = rep1.number_ranges.clone();
    let today = Utc::now().date_naive();
    let yesterday = today - Duration::days(1);
    let docs = [
        sales_doc_on(sales, "OUT-0001", &[(&skus[0], "1")], OrderKind::Sale, next(&mut numbers), today),
        sales_doc_on(sales, "OUT-0001", &[(&skus[1], "1")], OrderKind::Sale, next(&mut numbers), yesterday),
        sales_doc_on(sales, "OUT-0002", &[(&skus[2], "1")], OrderKind::Sale, next(&mut numbers), today),
    ];
    let batch: Vec<Mutation> = docs.into_iter().enumerate().map(|(i, doc)| sales_mutation(&rep1, i as u64 + 1, doc)).collect();
    let v = push_at(&s, &rep1, &batch, Some(Utc::now())).await;
    assert!(statuses(&v).iter().all(|st| st == "applied" || st == "flagged"), "{v}");

    let d = dashboard(&s, &sup).await;
    assert_eq!(
        d["same_day_by_route"],
        serde_json::json!([
            {"route": "R1", "orders": 2, "same_day": 1, "rate_permille": 500},
            {"route": "R2", "orders": 1, "same_day": 1, "rate_permille": 1000},
        ]),
        "{d}"
    );
    let metrics = s.metrics().await;
    assert_eq!(sample(&metrics, "satchel_orders_recorded_total{route=\"R1\"}"), 2.0);
    assert_eq!(sample(&metrics, "satchel_orders_same_day_total{route=\"R1\"}"), 1.0);
    assert_eq!(sample(&metrics, "satchel_orders_same_day_total{route=\"R2\"}"), 1.0);
}

async fn metrics_expose_the_telemetry_series(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&rep1).await;
    let sales = sales_of(&reference);
    let skus = plain_skus(sales);
    let mut numbers = rep1.number_ranges.clone();
    let doc = sales_doc(sales, "OUT-0001", &[(&skus[0], "1")], OrderKind::Sale, next(&mut numbers));
    let r = TelemetryReport {
        entry_to_ack: hist(&[800, 40_000]),
        attempts: vec![1, 0, 0, 0, 0, 1],
        offline: hist(&[90_000]),
        app_starts: 2,
        force_closes: 1,
        storage_used: Some(850),
        storage_quota: Some(1_000),
        outage_sales: OutageSales { completed: 4, failed: 1 },
        ..report()
    };
    let v = push_at(&s, &rep1, &[sales_mutation(&rep1, 1, doc), report_mutation(&rep1, 2, r)], Some(Utc::now())).await;
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");

    let metrics = s.metrics().await;
    for line in [
        "# TYPE satchel_entry_to_server_seconds histogram",
        "# TYPE satchel_entry_to_ack_seconds histogram",
        "# TYPE satchel_offline_span_seconds histogram",
        "# TYPE satchel_push_attempts histogram",
        "# TYPE satchel_device_storage_utilization histogram",
        "# TYPE satchel_force_closes_total counter",
        "# TYPE satchel_devices_unsynced_over_24h gauge",
        "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"0.1\"} ",
        "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"172800\"} 1",
        "satchel_entry_to_server_seconds_bucket{route=\"R1\",le=\"+Inf\"} 1",
        "satchel_entry_to_ack_seconds_bucket{le=\"1\"} 1",
        "satchel_entry_to_ack_seconds_bucket{le=\"60\"} 2",
        "satchel_entry_to_ack_seconds_sum 40.8",
        "satchel_offline_span_seconds_bucket{le=\"60\"} 0",
        "satchel_offline_span_seconds_bucket{le=\"120\"} 1",
        "satchel_push_attempts_bucket{le=\"1\"} 1",
        "satchel_push_attempts_bucket{le=\"5\"} 1",
        "satchel_push_attempts_bucket{le=\"+Inf\"} 2",
        "satchel_device_storage_utilization_bucket{le=\"0.8\"} 0",
        "satchel_device_storage_utilization_bucket{le=\"0.9\"} 1",
        "satchel_device_storage_utilization_sum 0.85",
        "satchel_force_closes_total 1",
        "satchel_app_starts_total 2",
        "satchel_outage_sales_total{result=\"completed\"} 4",
        "satchel_outage_sales_total{result=\"failed\"} 1",
        "satchel_orders_recorded_total{route=\"R1\"} 1",
        "satchel_devices_unsynced_over_24h 0",
    ] {
        assert!(metrics.contains(line), "{line:?} missing from:\n{metrics}");
    }
    for label in ["device", "user", "username"] {
        assert!(!metrics.contains(&format!("{label}=\"")), "no per-device or per-user label ({label})");
    }
}

async fn absurd_sums_saturate_instead_of_failing_the_push(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let sup = s.register("super", "super-demo").await;
    // Core bounds the sample counts, not the sums: a broken device may send any u64.
    let absurd = Histogram { sum_ms: u64::MAX, max_ms: u64::MAX, ..hist(&[1]) };
    let reports: Vec<Mutation> =
        (1..=2).map(|seq| report_mutation(&rep1, seq, TelemetryReport { offline: absurd.clone(), entry_to_ack: absurd.clone(), ..report() })).collect();
    let v = push_at(&s, &rep1, &reports, None).await;
    assert_eq!(statuses(&v), ["applied", "applied"], "{v}");
    let metrics = s.metrics().await;
    assert!(metrics.contains("satchel_offline_span_seconds_sum 9223372036854775.807\n"), "saturated at i64::MAX ms:\n{metrics}");
    assert_eq!(sample(&metrics, "satchel_offline_span_seconds_count"), 2.0);
    let d = dashboard(&s, &sup).await;
    assert_eq!(d["devices"][0]["entry_to_ack_p95_ms"], 100, "the bucket's bound, not the absurd maximum: {d}");
}

async fn a_rep_may_not_see_the_dashboard(backend: Backend) {
    let s = start(backend).await;
    let rep1 = s.register("rep1", "rep1-demo").await;
    let (status, v) = s.get(DASHBOARD, &rep1.token).await;
    assert_error(status, &v, 403, "forbidden");
    let sup = s.register("super", "super-demo").await;
    let d = dashboard(&s, &sup).await;
    assert_eq!(d["latency_by_day"].as_array().map(Vec::len), Some(7), "{d}");
    assert_eq!(d["outage_sales"]["success_permille"], Value::Null);
}
