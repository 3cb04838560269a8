//! The tax engine on the server: the check endpoint over HTTP and the `tax` command.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use satchel_core::tax::{builtin, compute, verify::ClaimedTaxes, TaxDocument};
use serde_json::{json, Value};

fn quebec_2012() -> Value {
    json!({
        "business_date": "2012-06-01", "place_of_supply": "CA-QC",
        "lines": [{"id": "a", "quantity": "2", "unit_price": "19.99"}, {"id": "b", "quantity": "1", "unit_price": "5.00"}]
    })
}

use common::Backend;

common::backend_tests! {
    the_server_accepts_honest_figures_and_names_the_line_and_tax_of_a_changed_one,
    bad_tax_documents_get_typed_errors_naming_the_field,
}

async fn check(s: &common::TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    let res = s.http.post(s.url("/api/v1/tax/check")).bearer_auth(token).json(&body).send().await.expect("post");
    let status = res.status();
    (status, res.json().await.expect("json"))
}

async fn the_server_accepts_honest_figures_and_names_the_line_and_tax_of_a_changed_one(backend: Backend) {
    let s = common::start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let doc: TaxDocument = serde_json::from_value(quebec_2012()).expect("doc");
    let device_result = compute(&builtin::rule_set("ca").expect("ca"), &doc).expect("computes");
    let claimed = ClaimedTaxes::from(&device_result);

    let (status, body) = check(&s, &dev.token, json!({"rules": "ca", "document": quebec_2012(), "claimed": claimed})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], device_result.total.to_string());

    // The device says the QST on line b is a cent more than the server computes.
    let mut tampered = serde_json::to_value(&claimed).expect("json");
    let qst = tampered["lines"][1]["taxes"].as_array_mut().expect("taxes").iter_mut().find(|t| t["code"] == "QST-PRE2013").expect("QST");
    let amount = satchel_core::money::parse_decimal(qst["amount"].as_str().expect("amount")).expect("decimal");
    let bumped = (amount + rust_decimal::Decimal::new(1, 2)).to_string();
    qst["amount"] = json!(bumped);
    let (status, body) = check(&s, &dev.token, json!({"rules": "ca", "document": quebec_2012(), "claimed": tampered})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "tax_mismatch");
    assert_eq!(body["field"], "claimed.lines[1].taxes.QST-PRE2013.amount");
    assert!(body["message"].as_str().expect("message").contains(&bumped), "{body}");
}

async fn bad_tax_documents_get_typed_errors_naming_the_field(backend: Backend) {
    let s = common::start(backend).await;
    let dev = s.register("rep1", "rep1-demo").await;
    let claimed = json!({"lines": [], "tax": "0.00", "total": "0.00"});
    let mut unknown_place = quebec_2012();
    unknown_place["place_of_supply"] = json!("CA-XX");
    let (status, body) = check(&s, &dev.token, json!({"rules": "ca", "document": unknown_place, "claimed": claimed})).await;
    assert_eq!((status, body["code"].as_str(), body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("tax_invalid"), Some("document.place_of_supply")));

    let (status, body) = check(&s, &dev.token, json!({"rules": "mars", "document": quebec_2012(), "claimed": claimed})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_rule_set")));

    let mut float_amount = quebec_2012();
    float_amount["lines"][0]["unit_price"] = json!(19.99);
    let (status, body) = check(&s, &dev.token, json!({"rules": "ca", "document": float_amount, "claimed": claimed})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));

    let res = s.http.post(s.url("/api/v1/tax/check")).json(&json!({})).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a device token is required");
}

fn run_cli(args: &[&str], stdin: &str) -> (bool, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-server"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("wait");
    (out.status.success(), serde_json::from_slice(&out.stdout).expect("stdout is JSON"))
}

#[test]
fn the_tax_command_prints_the_same_result_as_the_engine() {
    let (ok, v) = run_cli(&["tax", "--rules", "ca"], &quebec_2012().to_string());
    assert!(ok);
    let doc: TaxDocument = serde_json::from_value(quebec_2012()).expect("doc");
    let direct = serde_json::to_value(compute(&builtin::rule_set("ca").expect("ca"), &doc).expect("computes")).expect("json");
    assert_eq!(v, direct);
    // 2 × 19.99 = 39.98: GST 2.00; QST 9.5 % of 41.98 = 3.9881 → 3.99.
    assert_eq!(v["lines"][0]["taxes"][1]["amount"], "3.99");
}

#[test]
fn the_tax_command_answers_bad_input_with_a_json_error_and_failure() {
    let (ok, v) = run_cli(&["tax"], "{not json");
    assert!(!ok);
    assert_eq!(v["code"], "malformed_json");
    let mut past = quebec_2012();
    past["business_date"] = json!("1999-01-01");
    let (ok, v) = run_cli(&["tax", "--rules=ca"], &past.to_string());
    assert!(!ok);
    assert_eq!((v["code"].as_str(), v["field"].as_str()), (Some("not_in_force"), Some("business_date")));
    let (ok, v) = run_cli(&["tax", "--rules", "/nonexistent/rules.json"], &quebec_2012().to_string());
    assert!(!ok);
    assert_eq!(v["code"], "unknown_rule_set");
}
