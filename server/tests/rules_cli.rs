//! `satchel-server rules`: the built binary converts the ERP export fixtures of
//! `tests/fixtures/erp-exports/` into rule sets that load, and refuses the bad ones naming the
//! field, with exit status 2.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use satchel_core::tax::{resolve::validate_rules, RuleSet};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/erp-exports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rules(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-server"))
        .arg("rules")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn converted(args: &[&str], name: &str) -> RuleSet {
    let out = rules(args, &fixture(name));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
    let rules: RuleSet = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: not a rule set: {e}"));
    validate_rules(&rules).unwrap_or_else(|e| panic!("{name}: {e}"));
    rules
}

#[test]
fn good_exports_become_rule_sets_that_load() {
    for name in [
        "erpnext-vat-included.json",
        "erpnext-india-gst.json",
        "erpnext-actual-and-quantity.json",
    ] {
        let r = converted(&["from-erpnext"], name);
        assert_eq!(r.id, "erpnext", "{name}");
    }
    for name in ["odoo-be-vat.json", "odoo-group-division.json"] {
        let r = converted(&["from-odoo"], name);
        assert_eq!(r.id, "odoo", "{name}");
    }
}

#[test]
fn options_name_the_rule_set_and_choose_the_dialect() {
    let r = converted(
        &[
            "from-odoo",
            "--id",
            "be",
            "--version",
            "2026-01-01",
            "--currency",
            "EUR",
            "--jurisdiction",
            "BE",
            "--from",
            "2024-01-01",
            "--scope",
            "document",
        ],
        "odoo-be-vat.json",
    );
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(
        (
            json["id"].as_str(),
            json["version"].as_str(),
            json["currency"]["code"].as_str()
        ),
        (Some("be"), Some("2026-01-01"), Some("EUR"))
    );
    assert_eq!(
        json["dialect"],
        serde_json::json!({"kind": "odoo", "scope": "document"})
    );
    assert_eq!(
        json["jurisdictions"][0]["schedules"][0]["from"],
        "2024-01-01"
    );
    // An Odoo 16 or 17 export computes as Odoo 16 does.
    let r = converted(&["from-odoo", "--odoo-version", "17"], "odoo-be-vat.json");
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(
        json["dialect"],
        serde_json::json!({"kind": "odoo16", "scope": "line"})
    );
    let r = converted(
        &[
            "from-erpnext",
            "--rounding-method=commercial",
            "--step",
            "0.001",
        ],
        "erpnext-india-gst.json",
    );
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(
        (
            json["dialect"]["rounding_method"].as_str(),
            json["currency"]["step"].as_str()
        ),
        (Some("commercial"), Some("0.001"))
    );
}

#[test]
fn odoo_taxes_apply_per_line_unless_every_line_is_asked() {
    // The Belgian export holds 21 % and 6 %: alternatives in Odoo, picked per product.
    let per_line = serde_json::to_value(converted(&["from-odoo"], "odoo-be-vat.json")).expect("json");
    assert_eq!(
        per_line["jurisdictions"][0]["schedules"][0]["taxes"],
        serde_json::json!([])
    );
    let every =
        serde_json::to_value(converted(&["from-odoo", "--taxes", "every-line"], "odoo-be-vat.json"))
            .expect("json");
    assert_eq!(
        every["jurisdictions"][0]["schedules"][0]["taxes"],
        serde_json::json!(["21-1", "6-2"])
    );
}

#[test]
fn refused_exports_exit_2_naming_the_field() {
    let cases = [
        (
            "from-odoo",
            "odoo-bad-code.json",
            "error: unsupported at [1].amount_type: ",
        ),
        (
            "from-erpnext",
            "erpnext-bad-negative-actual.json",
            "error: unsupported at taxes[1].tax_amount: ",
        ),
        (
            "from-erpnext",
            "erpnext-bad-deduct.json",
            "error: unsupported at [0].add_deduct_tax: ",
        ),
    ];
    for (command, name, expected) in cases {
        let out = rules(&[command], &fixture(name));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.starts_with(expected), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
    }
    let out = rules(&["from-erpnext"], b"{not json");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: malformed_json at <stdin>: "));
}

#[test]
fn help_explains_both_converters() {
    let out = rules(&["--help"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.contains("from-erpnext") && text.contains("from-odoo") && text.contains("--scope"),
        "{text}"
    );
    let out = rules(&["from-odoo", "--rounding-method", "bankers"], b"[]");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an ERPNext option on the Odoo converter is a usage error"
    );
}
