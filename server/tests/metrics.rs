//! `/metrics` end to end: the push latency histogram, rejections by code, the pull and conflict
//! placeholders, and a well-formed text exposition.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use reqwest::StatusCode;

backend_tests! {
    pushes_are_timed_and_rejections_counted_by_code,
}

/// With `SATCHEL_METRICS_TOKEN` set, `/metrics` wants it from everyone (the loopback check of
/// the default applies only when no token is configured: every other test reads it that way).
#[tokio::test]
async fn a_metrics_token_is_required_when_configured() {
    const TOKEN: &str = "scrape-token-0123456789";
    let store = Store::new(Backend::Sqlite).await;
    let mut cfg = store.config(&store.dir.path().join("no-www"));
    cfg.metrics_token = Some(TOKEN.into());
    let server = satchel_server::start(&cfg).await.expect("server starts");
    let url = format!("http://{}/metrics", server.addr);
    let http = client();
    let status = |auth: Option<&str>| {
        let mut req = http.get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        async move { req.send().await.expect("metrics").status() }
    };
    assert_eq!(status(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(Some("Bearer scrape-token-0123456788")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(Some(TOKEN)).await, StatusCode::UNAUTHORIZED, "the Bearer scheme is required");
    assert_eq!(status(Some(&format!("Bearer {TOKEN}"))).await, StatusCode::OK);
    server.shutdown().await.expect("shutdown");
}

/// The value of the sample line `series` (name with labels, e.g. `a_total{code="x"}`).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// Checks the text format: each family has one HELP then one TYPE before its samples, and every
/// sample belongs to a declared family (histograms by their `_bucket`, `_sum`, `_count`).
fn assert_well_formed(text: &str) {
    let mut help = HashSet::new();
    let mut types: HashMap<String, String> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default();
            assert!(help.insert(name.to_owned()), "HELP twice for {name}:\n{text}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE <name> <kind>");
            assert!(help.contains(name), "TYPE before HELP for {name}");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(types.insert(name.into(), kind.into()).is_none(), "TYPE twice for {name}");
        } else {
            let (series, value) = line.rsplit_once(' ').expect("<series> <value>");
            assert!(value.parse::<f64>().is_ok(), "not a number: {line}");
            let name = series.split('{').next().unwrap_or_default();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| types.get(*f).is_some_and(|k| k == "histogram")))
                .unwrap_or(name);
            assert!(types.contains_key(family), "sample before its TYPE: {line}");
        }
    }
}

async fn pushes_are_timed_and_rejections_counted_by_code(backend: Backend) {
    let s = start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let reference = s.reference(&dev).await;

    let before = s.metrics().await;
    assert_well_formed(&before);
    assert_eq!(sample(&before, "satchel_push_duration_seconds_count"), Some(0.0), "{before}");
    assert_eq!(sample(&before, "satchel_pull_requests_total"), Some(0.0), "{before}");
    assert_eq!(sample(&before, "satchel_pull_duration_seconds_count"), Some(0.0), "{before}");
    assert_eq!(sample(&before, "satchel_conflicts_total"), Some(0.0), "{before}");
    assert!(before.contains("# TYPE satchel_mutation_rejections_total counter\n"), "{before}");

    // One push: two good orders, one below the list price, one with an unknown product.
    let mut cheap = valid_doc(&dev, &reference, 3);
    cheap.unit_prices[0] = dec("0.01");
    let mut unknown = valid_doc(&dev, &reference, 4);
    unknown.order.lines[0].sku = "SKU-99999".into();
    let mut batch = valid_batch(&dev, &reference, 1, 2);
    batch.push(mutation(&dev, 3, cheap));
    batch.push(mutation(&dev, 4, unknown));
    let (status, v) = s.push(&dev, &batch).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(statuses(&v), ["applied", "applied", "rejected", "rejected"]);

    let text = s.metrics().await;
    assert_well_formed(&text);
    assert_eq!(sample(&text, "satchel_push_duration_seconds_count"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "satchel_push_duration_seconds_bucket{le=\"+Inf\"}"), Some(1.0), "{text}");
    assert!(sample(&text, "satchel_push_duration_seconds_sum").is_some_and(|s| s > 0.0), "{text}");
    assert_eq!(sample(&text, "satchel_mutation_rejections_total{code=\"price_mismatch\"}"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "satchel_mutation_rejections_total{code=\"unknown_product\"}"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "satchel_mutations_total{outcome=\"rejected\"}"), Some(2.0), "{text}");

    // A replay is a duplicate, not a second rejection; a push refused whole is still timed.
    let (status, _) = s.push(&dev, &batch[2..3]).await;
    assert_eq!(status, StatusCode::OK);
    let gap = valid_batch(&dev, &reference, 9, 1);
    let (status, v) = s.push(&dev, &gap).await;
    assert_error(status, &v, 409, "out_of_sequence");

    let text = s.metrics().await;
    assert_well_formed(&text);
    assert_eq!(sample(&text, "satchel_push_requests_total"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "satchel_push_duration_seconds_count"), Some(3.0), "{text}");
    assert_eq!(sample(&text, "satchel_mutation_rejections_total{code=\"price_mismatch\"}"), Some(1.0), "{text}");
    // The cumulative buckets never decrease and end at the count.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("satchel_push_duration_seconds_bucket{"))
        .map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse().ok()).expect("bucket value"))
        .collect();
    assert_eq!(buckets.len(), 14, "{text}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{text}");
    assert_eq!(buckets.last(), Some(&3.0));
}
