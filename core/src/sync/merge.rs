//! Field-level three-way merge of shared records (an outlet's phone number, its address, …).
//!
//! Several reps may edit the same record offline. A device does not send the whole record: it
//! sends a [`Patch`] carrying the record version its edit was based on and, for each field it
//! changed, the value it saw (`from`) and the value it wants (`to`). The server [`apply`]s it:
//!
//! - a change whose field has not changed on the server since the patch's base version, or whose
//!   field still holds `from`, is applied;
//! - a change whose field already holds `to` is already done: nothing changes, no conflict
//!   (so a replayed patch is harmless);
//! - otherwise someone else changed that field concurrently: the change is **not** applied (no
//!   silent overwrite); a [`Conflict`] with both values, who set them and when, goes to a review
//!   queue, and a supervisor settles it later with [`resolve`].
//!
//! Changes to other fields of the same patch apply regardless. Each patch that changes anything
//! raises the record's version by exactly one.
//!
//! Field values are plain strings (shared records are text: phone, address, contact name). A
//! field that was never set reads as the empty string, and clearing a field sets it to the empty
//! string, keeping who cleared it and when.
//!
//! Everything here is pure: the record comes in, a new record comes out; the caller stores it,
//! together with the conflicts, in one transaction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hlc::Hlc;

/// A field's current value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct FieldState {
    /// The value.
    pub value: String,
    /// When it was set (the patch's or the resolution's timestamp).
    pub changed_at: Hlc,
    /// The user who set it (the patch's author, or the supervisor who resolved a conflict).
    pub changed_by: String,
    /// The record version that this change produced.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub version: u64,
}

/// A shared record as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The record's id.
    pub id: String,
    /// Raised by one each time a patch or a resolution changes a field.
    pub version: u64,
    /// The fields that have ever been set, by name.
    pub fields: BTreeMap<String, FieldState>,
}

impl Record {
    /// A record with no field set yet, at version 0.
    pub fn new(id: impl Into<String>) -> Self {
        Record { id: id.into(), version: 0, fields: BTreeMap::new() }
    }

    /// The value of a field; the empty string if it was never set.
    pub fn value(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", |f| f.value.as_str())
    }
}

/// One field's change in a patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// The value the device saw before the edit (the empty string if unset).
    pub from: String,
    /// The value the device set.
    pub to: String,
}

/// A device's edit of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// The record edited.
    pub record_id: String,
    /// The record version the device had when the user edited it.
    pub base_version: u64,
    /// The changed fields only, by name.
    pub changes: BTreeMap<String, FieldChange>,
    /// The user who made the edit.
    pub author: String,
    /// When the edit was made (the device's hybrid logical clock).
    pub at: Hlc,
}

/// A value proposed by a patch that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// The value the patch wanted.
    pub value: String,
    /// The patch's author.
    pub by: String,
    /// The patch's timestamp.
    pub at: Hlc,
}

/// Two concurrent edits of one field, for a supervisor to settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflict {
    /// The record.
    pub record_id: String,
    /// The field.
    pub field: String,
    /// The value both sides started from, as the device saw it (the patch's `from`).
    pub base: String,
    /// The version the patch was based on.
    pub base_version: u64,
    /// The server's value, kept, with who set it, when, and at which version.
    pub ours: FieldState,
    /// The patch's value, not applied, with its author and timestamp.
    pub theirs: Proposal,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeOutcome {
    /// The record after the patch (equal to the input if nothing applied).
    pub record: Record,
    /// The fields the patch changed, in name order.
    pub applied: Vec<String>,
    /// The fields that already held the patch's value, so needed no change (a replay, or two
    /// people making the same edit), in name order.
    pub already: Vec<String>,
    /// The concurrent changes not applied, in field name order.
    pub conflicts: Vec<Conflict>,
}

/// Why a patch was refused whole (nothing of it applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// The patch is for another record.
    #[error("the patch is for record {patch}, not {record}")]
    WrongRecord {
        /// The record the patch was applied to.
        record: String,
        /// The record the patch names.
        patch: String,
    },
    /// The patch changes no field.
    #[error("the patch changes no field")]
    NoChanges,
    /// A change's `from` and `to` are equal.
    #[error("the change of {0:?} does not change it")]
    Unchanged(String),
    /// The patch names fields that this kind of record does not have.
    #[error("unknown fields: {0:?}")]
    UnknownFields(Vec<String>),
    /// The patch claims a base version the record has not reached.
    #[error("the patch is based on version {base_version}, but the record is at {record_version}")]
    FutureBase {
        /// The patch's base version.
        base_version: u64,
        /// The record's version.
        record_version: u64,
    },
}

/// Applies a device's patch to a record, field by field.
///
/// `allowed` lists the field names this kind of record has (for an outlet, say,
/// `["address", "phone"]`). A patch naming any other field is refused whole with
/// [`MergeError::UnknownFields`] listing them all, as is an empty patch, a patch for another
/// record, a change whose `from` equals its `to`, and a patch based on a version the record has
/// not reached. Otherwise each change is, in this order of precedence:
///
/// 1. already done if the field holds `to`: nothing changes, no conflict;
/// 2. applied if the field has not changed since the base version (`field.version <=
///    base_version`), or holds `from`: it takes `to`, with the patch's author and timestamp and
///    the new record version;
/// 3. a [`Conflict`] otherwise: the server's value stays.
///
/// The record's version rises by one if any change applied, and stays otherwise.
pub fn apply(record: &Record, patch: &Patch, allowed: &[&str]) -> Result<MergeOutcome, MergeError> {
    if patch.record_id != record.id {
        return Err(MergeError::WrongRecord { record: record.id.clone(), patch: patch.record_id.clone() });
    }
    if patch.changes.is_empty() {
        return Err(MergeError::NoChanges);
    }
    let unknown: Vec<String> =
        patch.changes.keys().filter(|f| !allowed.contains(&f.as_str())).cloned().collect();
    if !unknown.is_empty() {
        return Err(MergeError::UnknownFields(unknown));
    }
    if let Some((field, _)) = patch.changes.iter().find(|(_, c)| c.from == c.to) {
        return Err(MergeError::Unchanged(field.clone()));
    }
    if patch.base_version > record.version {
        return Err(MergeError::FutureBase {
            base_version: patch.base_version,
            record_version: record.version,
        });
    }

    let new_version = record.version.saturating_add(1);
    let mut out = MergeOutcome {
        record: record.clone(),
        applied: Vec::new(),
        already: Vec::new(),
        conflicts: Vec::new(),
    };
    for (name, change) in &patch.changes {
        let current = record.fields.get(name);
        let value = current.map_or("", |f| f.value.as_str());
        let unchanged_since_base = current.is_none_or(|f| f.version <= patch.base_version);
        if value == change.to {
            out.already.push(name.clone());
        } else if unchanged_since_base || value == change.from {
            out.record.fields.insert(
                name.clone(),
                FieldState {
                    value: change.to.clone(),
                    changed_at: patch.at.clone(),
                    changed_by: patch.author.clone(),
                    version: new_version,
                },
            );
            out.applied.push(name.clone());
        } else if let Some(ours) = current {
            out.conflicts.push(Conflict {
                record_id: record.id.clone(),
                field: name.clone(),
                base: change.from.clone(),
                base_version: patch.base_version,
                ours: ours.clone(),
                theirs: Proposal {
                    value: change.to.clone(),
                    by: patch.author.clone(),
                    at: patch.at.clone(),
                },
            });
        }
    }
    if !out.applied.is_empty() {
        out.record.version = new_version;
    }
    Ok(out)
}

/// A supervisor's decision on a [`Conflict`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Keep the server's value.
    Ours,
    /// Take the patch's value.
    Theirs,
    /// Set another value (for example a combination of both).
    Value(String),
}

/// Why a conflict could not be resolved. The record is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// The conflict is about another record.
    #[error("the conflict is about record {conflict}, not {record}")]
    WrongRecord {
        /// The record given.
        record: String,
        /// The conflict's record.
        conflict: String,
    },
    /// The field changed after the conflict was recorded (another patch or resolution), so the
    /// supervisor decided on a value that is no longer current: show the conflict again.
    #[error("{field:?} changed since the conflict was recorded (now version {current_version})")]
    Stale {
        /// The field.
        field: String,
        /// The version that last changed the field now.
        current_version: u64,
    },
}

/// Settles a conflict: the field takes the chosen value, set by `resolver` at `at`.
///
/// [`Resolution::Ours`], or any choice equal to the current value, changes nothing (the record
/// is returned as it was, version included). Any other choice sets the field and raises the
/// record's version by one, so that patches based on earlier versions see the field as changed.
///
/// Refused with [`ResolveError::Stale`] if the field no longer is as the conflict recorded it.
pub fn resolve(
    record: &Record,
    conflict: &Conflict,
    choice: &Resolution,
    resolver: &str,
    at: Hlc,
) -> Result<Record, ResolveError> {
    if conflict.record_id != record.id {
        return Err(ResolveError::WrongRecord { record: record.id.clone(), conflict: conflict.record_id.clone() });
    }
    let current = record.fields.get(&conflict.field);
    if current != Some(&conflict.ours) {
        return Err(ResolveError::Stale {
            field: conflict.field.clone(),
            current_version: current.map_or(0, |f| f.version),
        });
    }
    let value = match choice {
        Resolution::Ours => return Ok(record.clone()),
        Resolution::Theirs => &conflict.theirs.value,
        Resolution::Value(v) => v,
    };
    let mut out = record.clone();
    if *value == conflict.ours.value {
        return Ok(out);
    }
    out.version = record.version.saturating_add(1);
    out.fields.insert(
        conflict.field.clone(),
        FieldState {
            value: value.clone(),
            changed_at: at,
            changed_by: resolver.to_owned(),
            version: out.version,
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::hlc::NodeId;

    const OUTLET: &[&str] = &["address", "contact", "phone"];

    fn id() -> String {
        "OUT-0001".into()
    }

    fn at(ms: u64, node: &str) -> Hlc {
        Hlc::new(ms, 0, NodeId::new(node).expect("node"))
    }

    fn patch(base: u64, author: &str, t: u64, changes: &[(&str, &str, &str)]) -> Patch {
        Patch {
            record_id: id(),
            base_version: base,
            changes: changes
                .iter()
                .map(|(f, from, to)| {
                    (f.to_string(), FieldChange { from: from.to_string(), to: to.to_string() })
                })
                .collect(),
            author: author.into(),
            at: at(t, author),
        }
    }

    /// The outlet at version 1: phone and address set by the admin.
    fn outlet() -> Record {
        let p = patch(0, "admin", 100, &[("phone", "", "555-0100"), ("address", "", "1 Main St")]);
        let out = apply(&Record::new(id()), &p, OUTLET).expect("setup");
        assert_eq!(out.record.version, 1);
        out.record
    }

    fn rep_a() -> Patch {
        patch(1, "alice", 200, &[("phone", "555-0100", "555-0111")])
    }

    fn rep_b() -> Patch {
        patch(
            1,
            "bob",
            150,
            &[("phone", "555-0100", "555-0122"), ("address", "1 Main St", "2 Side Rd")],
        )
    }

    #[test]
    fn acceptance_a_then_b_keeps_a_phone_takes_b_address_and_records_the_phone_conflict() {
        let v1 = outlet();
        let a = apply(&v1, &rep_a(), OUTLET).expect("a");
        assert_eq!(
            (a.applied.clone(), a.conflicts.len(), a.record.version),
            (vec!["phone".into()], 0, 2)
        );
        let b = apply(&a.record, &rep_b(), OUTLET).expect("b");
        assert_eq!(b.record.version, 3);
        assert_eq!(b.applied, vec!["address".to_string()]);
        assert_eq!(b.record.value("address"), "2 Side Rd");
        assert_eq!(b.record.fields["address"].changed_by, "bob");
        assert_eq!(b.record.fields["address"].version, 3);
        assert_eq!(b.record.value("phone"), "555-0111");
        assert_eq!(b.record.fields["phone"].changed_by, "alice");
        assert_eq!(
            b.conflicts,
            vec![Conflict {
                record_id: id(),
                field: "phone".into(),
                base: "555-0100".into(),
                base_version: 1,
                ours: FieldState {
                    value: "555-0111".into(),
                    changed_at: at(200, "alice"),
                    changed_by: "alice".into(),
                    version: 2
                },
                theirs: Proposal { value: "555-0122".into(), by: "bob".into(), at: at(150, "bob") },
            }]
        );
    }

    #[test]
    fn acceptance_b_then_a_is_symmetric_the_first_applied_stands() {
        let v1 = outlet();
        let b = apply(&v1, &rep_b(), OUTLET).expect("b");
        assert_eq!(b.applied, vec!["address".to_string(), "phone".to_string()]);
        let a = apply(&b.record, &rep_a(), OUTLET).expect("a");
        assert!(a.applied.is_empty());
        assert_eq!(a.record, b.record, "nothing applied: record and version unchanged");
        assert_eq!(a.record.version, 2);
        assert_eq!(a.record.value("phone"), "555-0122");
        assert_eq!(a.record.value("address"), "2 Side Rd");
        assert_eq!(a.conflicts.len(), 1);
        let c = &a.conflicts[0];
        assert_eq!(
            (c.field.as_str(), c.ours.value.as_str(), c.ours.changed_by.as_str()),
            ("phone", "555-0122", "bob")
        );
        assert_eq!((c.theirs.value.as_str(), c.theirs.by.as_str()), ("555-0111", "alice"));
        assert_eq!(c.theirs.at, at(200, "alice"));
    }

    #[test]
    fn reapplying_the_same_patch_changes_nothing_and_raises_no_conflict() {
        let first = apply(&outlet(), &rep_b(), OUTLET).expect("first");
        let again = apply(&first.record, &rep_b(), OUTLET).expect("again");
        assert_eq!(again.record, first.record);
        assert!(again.applied.is_empty() && again.conflicts.is_empty());
        assert_eq!(again.already, vec!["address".to_string(), "phone".to_string()]);
    }

    #[test]
    fn a_stale_base_still_applies_when_the_field_still_holds_from() {
        // Alice edits the address at v2; Carol, still at v1, edits the phone: no overlap.
        let v2 = apply(
            &outlet(),
            &patch(1, "alice", 200, &[("address", "1 Main St", "3 Oak Ave")]),
            OUTLET,
        )
        .expect("v2")
        .record;
        let carol = patch(
            1,
            "carol",
            210,
            &[("phone", "555-0100", "555-0133"), ("address", "1 Main St", "1 Main St.")],
        );
        let out = apply(&v2, &carol, OUTLET).expect("carol");
        assert_eq!(out.applied, vec!["phone".to_string()]);
        assert_eq!(out.conflicts.len(), 1, "the address overlaps");
        // A base newer than the field's last change applies even if `from` is off (trust the version).
        let dave = patch(2, "dave", 220, &[("phone", "(typo)", "555-0144")]);
        assert_eq!(apply(&v2, &dave, OUTLET).expect("dave").applied, vec!["phone".to_string()]);
    }

    #[test]
    fn two_people_making_the_same_edit_is_no_conflict() {
        let a = apply(&outlet(), &rep_a(), OUTLET).expect("a");
        let same = patch(1, "erin", 300, &[("phone", "555-0100", "555-0111")]);
        let out = apply(&a.record, &same, OUTLET).expect("same");
        assert!(out.conflicts.is_empty() && out.applied.is_empty());
        assert_eq!(out.record.fields["phone"].changed_by, "alice", "the first author is kept");
    }

    #[test]
    fn new_and_cleared_fields() {
        let out = apply(
            &outlet(),
            &patch(1, "fay", 400, &[("contact", "", "Ms Lee"), ("phone", "555-0100", "")]),
            OUTLET,
        )
        .expect("fay");
        assert_eq!(out.record.value("contact"), "Ms Lee");
        assert_eq!(out.record.value("phone"), "");
        assert_eq!(out.record.fields["phone"].changed_by, "fay");
    }

    #[test]
    fn bad_patches_are_refused_whole() {
        let v1 = outlet();
        let mut p =
            patch(1, "x", 1, &[("phone", "555-0100", "1"), ("fax", "", "2"), ("email", "", "3")]);
        assert_eq!(
            apply(&v1, &p, OUTLET),
            Err(MergeError::UnknownFields(vec!["email".into(), "fax".into()]))
        );
        p.changes.clear();
        assert_eq!(apply(&v1, &p, OUTLET), Err(MergeError::NoChanges));
        let p = patch(1, "x", 1, &[("phone", "555-0100", "555-0100")]);
        assert_eq!(apply(&v1, &p, OUTLET), Err(MergeError::Unchanged("phone".into())));
        let p = patch(2, "x", 1, &[("phone", "555-0100", "1")]);
        assert_eq!(
            apply(&v1, &p, OUTLET),
            Err(MergeError::FutureBase { base_version: 2, record_version: 1 })
        );
        let mut p = rep_a();
        p.record_id = "OUT-9999".into();
        assert_eq!(
            apply(&v1, &p, OUTLET),
            Err(MergeError::WrongRecord { record: id(), patch: "OUT-9999".into() })
        );
    }

    #[test]
    fn resolving_the_phone_conflict() {
        let a = apply(&outlet(), &rep_a(), OUTLET).expect("a");
        let b = apply(&a.record, &rep_b(), OUTLET).expect("b");
        let conflict = &b.conflicts[0];
        let v3 = b.record;

        assert_eq!(
            resolve(&v3, conflict, &Resolution::Ours, "sam", at(500, "server")),
            Ok(v3.clone())
        );

        let theirs =
            resolve(&v3, conflict, &Resolution::Theirs, "sam", at(500, "server")).expect("theirs");
        assert_eq!(theirs.version, 4);
        assert_eq!(
            theirs.fields["phone"],
            FieldState {
                value: "555-0122".into(),
                changed_at: at(500, "server"),
                changed_by: "sam".into(),
                version: 4
            }
        );
        assert_eq!(theirs.fields["address"], v3.fields["address"]);

        let custom = resolve(
            &v3,
            conflict,
            &Resolution::Value("555-0111 / 555-0122".into()),
            "sam",
            at(500, "server"),
        )
        .expect("custom");
        assert_eq!((custom.value("phone"), custom.version), ("555-0111 / 555-0122", 4));
        let same =
            resolve(&v3, conflict, &Resolution::Value("555-0111".into()), "sam", at(500, "server"));
        assert_eq!(same, Ok(v3.clone()));

        // Once resolved, the same conflict is stale; a patch based on v3 or earlier now conflicts.
        assert_eq!(
            resolve(&theirs, conflict, &Resolution::Ours, "sam", at(501, "server")),
            Err(ResolveError::Stale { field: "phone".into(), current_version: 4 })
        );
        let late =
            apply(&theirs, &patch(3, "alice", 600, &[("phone", "555-0111", "555-0199")]), OUTLET)
                .expect("late");
        assert_eq!(late.conflicts.len(), 1);
        let mut other = conflict.clone();
        other.record_id = "OUT-9999".into();
        assert!(matches!(
            resolve(&v3, &other, &Resolution::Theirs, "sam", at(1, "s")),
            Err(ResolveError::WrongRecord { .. })
        ));
    }

    #[test]
    fn records_and_conflicts_serialize() {
        let b = apply(&apply(&outlet(), &rep_a(), OUTLET).expect("a").record, &rep_b(), OUTLET)
            .expect("b");
        let json = serde_json::to_value(&b.conflicts[0]).expect("to json");
        assert_eq!(json["ours"]["changed_at"], "00000000000000000200-0000000000-alice");
        let back: Conflict = serde_json::from_value(json).expect("from json");
        assert_eq!(back, b.conflicts[0]);
        let r: Record =
            serde_json::from_str(&serde_json::to_string(&b.record).expect("ser")).expect("de");
        assert_eq!(r, b.record);
        assert_eq!(
            serde_json::to_value(Resolution::Value("x".into())).expect("ser"),
            serde_json::json!({"value": "x"})
        );
    }
}
