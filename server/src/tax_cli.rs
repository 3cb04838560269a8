//! `satchel-server tax`: the tax engine as a command, for ERPs and for testing.
//!
//! Reads one document (JSON) on stdin, computes it with the same `satchel-core` engine the
//! devices run, and prints the result (JSON) on stdout with exit status 0. Any failure prints a
//! JSON error `{code, field, message}` on stdout with exit status 1, so a caller always gets
//! JSON back.

use std::io::{Read, Write};
use std::process::ExitCode;

use satchel_core::tax::{self, RuleSet, TaxDocument};
use serde::Serialize;

/// Largest document accepted on stdin (10 MiB).
const MAX_INPUT: u64 = 10 << 20;

#[derive(Serialize)]
struct CliError {
    code: String,
    field: String,
    message: String,
}

fn error(code: &str, field: &str, message: impl Into<String>) -> CliError {
    CliError { code: code.into(), field: field.into(), message: message.into() }
}

fn load_rules(spec: &str) -> Result<RuleSet, CliError> {
    let rules = match tax::builtin::rule_set(spec) {
        Some(r) => r,
        None => {
            let text = std::fs::read_to_string(spec)
                .map_err(|e| error("unknown_rule_set", "rules", format!("{spec:?} is neither a built-in rule set nor a readable file: {e}")))?;
            serde_json::from_str(&text).map_err(|e| error("malformed_json", "rules", format!("rule set: {e}")))?
        }
    };
    tax::resolve::validate_rules(&rules).map_err(|e| error(e.code(), e.field(), e.to_string()))?;
    Ok(rules)
}

fn compute(spec: &str, input: &str) -> Result<tax::TaxResult, CliError> {
    let rules = load_rules(spec)?;
    let document: TaxDocument =
        serde_json::from_str(input).map_err(|e| error("malformed_json", "document", format!("document: {e}")))?;
    tax::compute(&rules, &document).map_err(|e| error(e.code(), e.field(), e.to_string()))
}

/// Runs the command; returns the process exit code.
pub fn run(rules: &str) -> ExitCode {
    let mut input = String::new();
    let read = std::io::stdin().take(MAX_INPUT + 1).read_to_string(&mut input);
    let outcome = match read {
        Err(e) => Err(error("unreadable_input", "document", format!("stdin: {e}"))),
        Ok(n) if n as u64 > MAX_INPUT => Err(error("body_too_large", "document", "the document is over 10 MiB")),
        Ok(_) => compute(rules, &input),
    };
    let (text, code) = match &outcome {
        Ok(result) => (serde_json::to_string_pretty(result), ExitCode::SUCCESS),
        Err(e) => (serde_json::to_string_pretty(e), ExitCode::FAILURE),
    };
    let mut out = std::io::stdout().lock();
    let written = text.map_err(std::io::Error::other).and_then(|t| writeln!(out, "{t}"));
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    code
}
