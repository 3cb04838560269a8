//! The demo rule sets shipped with the engine (`core/rules/*.json`; sources in
//! `core/rules/SOURCES.md`). Demo data, not tax advice: deployments sync their own.

use crate::tax::model::RuleSet;

/// Ids of the built-in rule sets.
pub const IDS: [&str; 4] = ["ca", "pk", "in", "vat"];

/// The JSON text of a built-in rule set.
pub fn source(id: &str) -> Option<&'static str> {
    Some(match id {
        "ca" => include_str!("../../rules/ca.json"),
        "pk" => include_str!("../../rules/pk.json"),
        "in" => include_str!("../../rules/in.json"),
        "vat" => include_str!("../../rules/vat.json"),
        _ => return None,
    })
}

/// A built-in rule set, parsed. `None` for an unknown id (the shipped files are checked by
/// tests, so a parse failure cannot reach users).
pub fn rule_set(id: &str) -> Option<RuleSet> {
    source(id).and_then(|s| serde_json::from_str(s).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_rule_set_parses_and_validates() {
        for id in IDS {
            let text = source(id).expect("listed");
            let rules: RuleSet = serde_json::from_str(text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(rules.id, id);
            crate::tax::resolve::validate_rules(&rules).unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }
}
