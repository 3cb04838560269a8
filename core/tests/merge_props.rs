//! Properties of the field-level merge over random sequences of patches and resolutions:
//! no field ever changes except through an applied change or a resolution (no silent
//! overwrite), and the version rises by one exactly when something changed.

use std::collections::BTreeMap;

use proptest::prelude::*;
use satchel_core::sync::hlc::{Hlc, NodeId};
use satchel_core::sync::merge::{apply, resolve, Conflict, FieldChange, Patch, Record, Resolution};

const FIELDS: &[&str] = &["address", "contact", "phone"];
const VALUES: &[&str] = &["", "x", "y", "z"];

#[derive(Debug, Clone)]
enum Op {
    /// A device edits, from a version `lag` versions back, the fields picked by `mask`.
    Patch {
        lag: u64,
        author: usize,
        /// Per field: whether it is edited, whether `from` is what the device really saw (or
        /// an arbitrary value), the arbitrary `from`, and `to`.
        edits: Vec<(bool, bool, usize, usize)>,
    },
    /// A supervisor settles the pending conflict number `pick` (modulo their count).
    Resolve { pick: usize, choice: usize, custom: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let edit = (any::<bool>(), prop::bool::weighted(0.8), 0..VALUES.len(), 0..VALUES.len());
    prop_oneof![
        3 => (0u64..4, 0usize..3, prop::collection::vec(edit, FIELDS.len()))
            .prop_map(|(lag, author, edits)| Op::Patch { lag, author, edits }),
        1 => (any::<usize>(), 0usize..3, 0..VALUES.len())
            .prop_map(|(pick, choice, custom)| Op::Resolve { pick, choice, custom }),
    ]
}

fn stamp(ms: u64, node: &str) -> Hlc {
    Hlc::new(ms, 0, NodeId::new(node).expect("node id"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_silent_overwrite_and_version_rises_exactly_on_change(ops in prop::collection::vec(op(), 1..40)) {
        let id = "OUT-0007".to_string();
        let mut record = Record::new(id.clone());
        // The record at each version, for devices that edit from an old one.
        let mut history: Vec<Record> = vec![record.clone()];
        let mut pending: Vec<Conflict> = Vec::new();

        for (t, op) in (1u64..).zip(ops) {
            let before = record.clone();
            match op {
                Op::Patch { lag, author, edits } => {
                    let base_version = record.version.saturating_sub(lag);
                    let seen = &history[usize::try_from(base_version).expect("small")];
                    let mut changes = BTreeMap::new();
                    for (field, &(edited, honest, from, to)) in FIELDS.iter().zip(&edits) {
                        let from = if honest { seen.value(field) } else { VALUES[from] };
                        if edited && from != VALUES[to] {
                            changes.insert(field.to_string(), FieldChange { from: from.into(), to: VALUES[to].into() });
                        }
                    }
                    if changes.is_empty() {
                        continue;
                    }
                    let author = ["ann", "ben", "cat"][author];
                    let patch = Patch { record_id: id.clone(), base_version, changes, author: author.into(), at: stamp(t, author) };
                    let out = apply(&record, &patch, FIELDS).expect("a well-formed patch is accepted");

                    // Every change is exactly one of applied, already, conflict.
                    let mut seen_fields: Vec<&String> = out.applied.iter().chain(&out.already).chain(out.conflicts.iter().map(|c| &c.field)).collect();
                    seen_fields.sort();
                    prop_assert_eq!(seen_fields, patch.changes.keys().collect::<Vec<_>>());

                    // Version rises by one exactly when something applied; otherwise nothing moved.
                    if out.applied.is_empty() {
                        prop_assert_eq!(&out.record, &before);
                    } else {
                        prop_assert_eq!(out.record.version, before.version + 1);
                    }
                    // A field changes (value or provenance) only if the patch applied to it, and
                    // then exactly to the patch's value, author, time and the new version.
                    for field in FIELDS {
                        let (old, new) = (before.fields.get(*field), out.record.fields.get(*field));
                        if out.applied.iter().any(|f| f == field) {
                            let new = new.expect("applied field is set");
                            prop_assert_eq!(&new.value, &patch.changes[*field].to);
                            prop_assert_eq!(&new.changed_by, &patch.author);
                            prop_assert_eq!(&new.changed_at, &patch.at);
                            prop_assert_eq!(new.version, out.record.version);
                            prop_assert_ne!(before.value(field), new.value.as_str());
                        } else {
                            prop_assert_eq!(old, new, "{} changed without being applied", field);
                        }
                    }
                    for c in &out.conflicts {
                        let change = &patch.changes[&c.field];
                        prop_assert_eq!(Some(&c.ours), before.fields.get(&c.field));
                        prop_assert_ne!(&c.ours.value, &change.from);
                        prop_assert_ne!(&c.ours.value, &change.to);
                        prop_assert!(c.ours.version > patch.base_version);
                        prop_assert_eq!((&c.theirs.value, &c.theirs.by, &c.theirs.at), (&change.to, &patch.author, &patch.at));
                    }

                    // Replaying the same patch right away changes nothing.
                    let replay = apply(&out.record, &patch, FIELDS).expect("replay");
                    prop_assert!(replay.applied.is_empty());
                    prop_assert_eq!(&replay.record, &out.record);

                    record = out.record;
                    pending.extend(out.conflicts);
                }
                Op::Resolve { pick, choice, custom } => {
                    if pending.is_empty() {
                        continue;
                    }
                    let conflict = pending.remove(pick % pending.len());
                    let choice = match choice {
                        0 => Resolution::Ours,
                        1 => Resolution::Theirs,
                        _ => Resolution::Value(VALUES[custom].into()),
                    };
                    match resolve(&record, &conflict, &choice, "sup", stamp(t, "server")) {
                        Err(_) => {
                            prop_assert_ne!(record.fields.get(&conflict.field), Some(&conflict.ours));
                        }
                        Ok(after) => {
                            prop_assert_eq!(record.fields.get(&conflict.field), Some(&conflict.ours));
                            let chosen = match &choice {
                                Resolution::Ours => &conflict.ours.value,
                                Resolution::Theirs => &conflict.theirs.value,
                                Resolution::Value(v) => v,
                            };
                            prop_assert_eq!(after.value(&conflict.field), chosen.as_str());
                            if *chosen == conflict.ours.value {
                                prop_assert_eq!(&after, &record);
                            } else {
                                prop_assert_eq!(after.version, record.version + 1);
                                prop_assert_eq!(&after.fields[&conflict.field].changed_by, "sup");
                                prop_assert_eq!(after.fields[&conflict.field].version, after.version);
                            }
                            for field in FIELDS.iter().filter(|f| **f != conflict.field) {
                                prop_assert_eq!(after.fields.get(*field), record.fields.get(*field));
                            }
                            record = after;
                        }
                    }
                }
            }
            // Keep one snapshot per version.
            if record.version != before.version {
                prop_assert_eq!(record.version, before.version + 1);
                history.push(record.clone());
            }
            prop_assert_eq!(history.len() as u64, record.version + 1);
        }
    }
}
