//! `satchel-server rules`: turn an ERP's exported tax definitions into a Satchel rule set.
//!
//! Reads the export (JSON) on stdin, converts it with `satchel_core::tax::convert` and prints
//! the validated rule set as pretty JSON on stdout (exit 0). A refusal prints one line
//! `error: <code> at <field>: <message>` on stderr and exits 2, so a script can both read the
//! rule set and tell what to fix in the ERP.

use std::io::{Read, Write};
use std::process::ExitCode;

use chrono::NaiveDate;
use satchel_core::money::Dec;
use satchel_core::tax::convert::{
    from_erpnext, from_odoo, ConvertError, ConvertOptions, OdooTaxes,
};
use satchel_core::tax::model::{FrappeRounding, Scope};

use crate::config::ConfigError;

/// Largest export accepted on stdin (10 MiB).
const MAX_INPUT: u64 = 10 << 20;

/// Usage text for `satchel-server rules --help`.
pub const USAGE: &str = "\
satchel-server rules: convert an ERP's tax definitions into a Satchel rule set

USAGE:
    satchel-server rules from-erpnext [OPTIONS] [--rounding-method <METHOD>] < template.json
    satchel-server rules from-odoo [OPTIONS] [--scope line|document] [--taxes per-line|every-line]
        [--odoo-version 16|17|18] < taxes.json

    from-erpnext reads a Sales Taxes and Charges Template as Frappe exports it, the REST
    answer of /api/resource/Sales Taxes and Charges Template/<name>, or an array of its rows.
    from-odoo reads account.tax records as search_read returns them (an array, or
    {\"taxes\": [...]}); sale taxes are converted, purchase and inactive ones skipped.
    As in Odoo, each document line then names its taxes (its tax_ids, as codes) in
    extra_taxes, so alternative rates (21 % and 6 %) stay alternatives.

    Prints the rule set as JSON on stdout (exit 0). A feature the rule model cannot express
    (a Python tax, a Deduct row, a negative fixed amount, ...) is refused, never approximated:
    `error: <code> at <field>: <message>` on stderr, exit 2. Mapping: docs/tax-engine.md §4.

OPTIONS:
    --id <ID>                rule-set id [default: erpnext or odoo]
    --version <V>            rule-set version [default: 1]
    --currency <CODE>        ISO 4217 currency [default: XXX]
    --step <STEP>            smallest currency step [default: 0.01]
    --jurisdiction <CODE>    code of the jurisdiction [default: DEFAULT]
    --from <YYYY-MM-DD>      first day in force [default: 2000-01-01]
    --rounding-method <M>    from-erpnext: bankers, bankers_legacy or commercial [default: bankers]
    --scope <S>              from-odoo: line (round per line) or document (round globally)
                             [default: line]
    --taxes <T>              from-odoo: per-line (each line names its taxes in extra_taxes) or
                             every-line (every tax on every line: taxes charged together)
                             [default: per-line]
    --odoo-version <N>       from-odoo: the Odoo the export comes from; 16 and 17 compute as
                             the odoo16 dialect, 18 and later as odoo [default: 18]
    -h, --help               print this help
";

/// Which ERP the export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erp {
    /// `from-erpnext`.
    Erpnext,
    /// `from-odoo`.
    Odoo,
}

/// What `satchel-server rules …` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesCommand {
    /// Print [`USAGE`].
    Help,
    /// Convert stdin.
    Convert {
        /// The source ERP.
        erp: Erp,
        /// The rule set's identity and dialect options.
        options: ConvertOptions,
    },
}

/// Parses the arguments after `rules`.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<RulesCommand, ConfigError> {
    let mut args = args.into_iter();
    let erp = match args.next().as_deref() {
        Some("from-erpnext") => Erp::Erpnext,
        Some("from-odoo") => Erp::Odoo,
        None | Some("-h" | "--help" | "help") => return Ok(RulesCommand::Help),
        Some(other) => return Err(ConfigError::Unknown(other.to_string())),
    };
    let id = if erp == Erp::Erpnext {
        "erpnext"
    } else {
        "odoo"
    };
    let mut options = ConvertOptions::new(id, "1", "XXX");
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if matches!(name.as_str(), "-h" | "--help") {
            return Ok(RulesCommand::Help);
        }
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| ConfigError::MissingValue(name.clone()))?;
        let bad = |reason: &str| ConfigError::BadValue {
            option: name.clone(),
            reason: reason.into(),
        };
        match (name.as_str(), erp) {
            ("--id", _) => options.id = value,
            ("--version", _) => options.version = value,
            ("--currency", _) => options.currency = value,
            ("--jurisdiction", _) => options.jurisdiction = value,
            ("--step", _) => {
                options.step = value
                    .parse::<Dec>()
                    .ok()
                    .filter(|s| s.value().is_sign_positive() && !s.value().is_zero())
                    .ok_or_else(|| bad("a decimal above zero, e.g. 0.01"))?
            }
            ("--from", _) => {
                options.from = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                    .map_err(|_| bad("a date YYYY-MM-DD"))?
            }
            ("--rounding-method", Erp::Erpnext) => {
                options.rounding_method = match value.as_str() {
                    "bankers" => FrappeRounding::Bankers,
                    "bankers_legacy" => FrappeRounding::BankersLegacy,
                    "commercial" => FrappeRounding::Commercial,
                    _ => return Err(bad("bankers, bankers_legacy or commercial")),
                }
            }
            ("--scope", Erp::Odoo) => {
                options.scope = match value.as_str() {
                    "line" => Scope::Line,
                    "document" => Scope::Document,
                    _ => return Err(bad("line or document")),
                }
            }
            ("--odoo-version", Erp::Odoo) => {
                options.odoo_version = value.parse::<u32>().ok().filter(|v| (8..=99).contains(v)).ok_or_else(|| bad("a major version such as 16, 17 or 18"))?
            }
            ("--taxes", Erp::Odoo) => {
                options.odoo_taxes = match value.as_str() {
                    "per-line" => OdooTaxes::PerLine,
                    "every-line" => OdooTaxes::EveryLine,
                    _ => return Err(bad("per-line or every-line")),
                }
            }
            _ => return Err(ConfigError::Unknown(arg)),
        }
    }
    Ok(RulesCommand::Convert { erp, options })
}

/// A failure, as printed: `error: <code> at <field>: <message>`.
struct Refusal {
    code: &'static str,
    field: String,
    message: String,
}

impl From<ConvertError> for Refusal {
    fn from(e: ConvertError) -> Self {
        Refusal {
            code: e.code(),
            field: e.field().to_owned(),
            message: e.reason(),
        }
    }
}

fn convert(erp: Erp, options: &ConvertOptions) -> Result<String, Refusal> {
    let mut input = String::new();
    let refusal = |code, message: String| Refusal {
        code,
        field: "<stdin>".into(),
        message,
    };
    match std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_string(&mut input)
    {
        Err(e) => return Err(refusal("unreadable_input", e.to_string())),
        Ok(n) if n as u64 > MAX_INPUT => {
            return Err(refusal(
                "body_too_large",
                "the export is over 10 MiB".into(),
            ))
        }
        Ok(_) => {}
    }
    let json: serde_json::Value =
        serde_json::from_str(&input).map_err(|e| refusal("malformed_json", e.to_string()))?;
    let rules = match erp {
        Erp::Erpnext => from_erpnext(&json, options)?,
        Erp::Odoo => from_odoo(&json, options)?,
    };
    serde_json::to_string_pretty(&rules).map_err(|e| refusal("internal", e.to_string()))
}

/// Runs the command; returns the process exit code.
pub fn run(command: RulesCommand) -> ExitCode {
    let (erp, options) = match command {
        RulesCommand::Help => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        RulesCommand::Convert { erp, options } => (erp, options),
    };
    match convert(erp, &options) {
        Ok(text) => match writeln!(std::io::stdout().lock(), "{text}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(r) => {
            let field = if r.field.is_empty() {
                "<root>"
            } else {
                &r.field
            };
            eprintln!("error: {} at {field}: {}", r.code, r.message);
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<RulesCommand, ConfigError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn options_fill_the_convert_options() {
        let Ok(RulesCommand::Convert { erp, options }) = parse_args(&[
            "from-odoo",
            "--id",
            "be",
            "--version=2026",
            "--currency",
            "EUR",
            "--step",
            "0.05",
            "--jurisdiction",
            "BE",
            "--from",
            "2024-01-01",
            "--scope",
            "document",
            "--taxes",
            "every-line",
            "--odoo-version",
            "16",
        ]) else {
            panic!("convert")
        };
        assert_eq!(options.odoo_taxes, OdooTaxes::EveryLine);
        assert_eq!(options.odoo_version, 16);
        assert_eq!(erp, Erp::Odoo);
        assert_eq!(
            (
                options.id.as_str(),
                options.version.as_str(),
                options.currency.as_str(),
                options.jurisdiction.as_str()
            ),
            ("be", "2026", "EUR", "BE")
        );
        assert_eq!(
            (
                options.step.to_string().as_str(),
                options.from.to_string().as_str(),
                options.scope
            ),
            ("0.05", "2024-01-01", Scope::Document)
        );
    }

    #[test]
    fn bad_or_misplaced_options_are_refused() {
        assert_eq!(
            parse_args(&["from-erpnext", "--scope", "line"]),
            Err(ConfigError::Unknown("--scope".into()))
        );
        assert_eq!(
            parse_args(&["from-odoo", "--rounding-method", "bankers"]),
            Err(ConfigError::Unknown("--rounding-method".into()))
        );
        assert_eq!(
            parse_args(&["from-erpnext", "--taxes", "per-line"]),
            Err(ConfigError::Unknown("--taxes".into()))
        );
        assert!(matches!(
            parse_args(&["from-odoo", "--odoo-version", "sixteen"]),
            Err(ConfigError::BadValue { .. })
        ));
        assert!(matches!(
            parse_args(&["from-odoo", "--taxes", "all"]),
            Err(ConfigError::BadValue { .. })
        ));
        assert!(matches!(
            parse_args(&["from-erpnext", "--step", "0"]),
            Err(ConfigError::BadValue { .. })
        ));
        assert!(matches!(
            parse_args(&["from-erpnext", "--from", "01/02/2024"]),
            Err(ConfigError::BadValue { .. })
        ));
        assert_eq!(
            parse_args(&["from-erpnext", "--id"]),
            Err(ConfigError::MissingValue("--id".into()))
        );
        assert_eq!(
            parse_args(&["from-sap"]),
            Err(ConfigError::Unknown("from-sap".into()))
        );
        assert_eq!(parse_args(&[]), Ok(RulesCommand::Help));
        assert_eq!(parse_args(&["from-odoo", "--help"]), Ok(RulesCommand::Help));
    }
}
