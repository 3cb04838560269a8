//! The rules for what a device may change on a shared record (an outlet's phone, address and
//! contact), checked by the device before it queues an edit and by the server before it merges
//! one, with the same code.
//!
//! - Only [`OUTLET_EDITABLE_FIELDS`] may be changed.
//! - A value is trimmed and has at most [`MAX_OUTLET_FIELD_CHARS`] characters.
//! - Only fields whose value differs from what the device shows go into the patch, each with the
//!   value it saw (`from`), so the server can merge field by field ([`super::merge`]).

use std::collections::BTreeMap;

use super::merge::FieldChange;
use super::protocol::{OutletPatch, OUTLET_EDITABLE_FIELDS};
use crate::sales::OutletInfo;

/// Longest value of an outlet's editable field, in characters.
pub const MAX_OUTLET_FIELD_CHARS: usize = 200;

/// Why an outlet edit is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The field is not one a device may change.
    #[error("{field} cannot be changed from a device")]
    NotEditable {
        /// The field.
        field: String,
    },
    /// The value is longer than [`MAX_OUTLET_FIELD_CHARS`].
    #[error("{field}: at most {max} characters, this value has {chars}")]
    TooLong {
        /// The field.
        field: String,
        /// The limit.
        max: usize,
        /// The value's length.
        chars: usize,
    },
}

impl EditError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            EditError::NotEditable { .. } => "not_editable",
            EditError::TooLong { .. } => "too_long",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> &str {
        match self {
            EditError::NotEditable { field } | EditError::TooLong { field, .. } => field,
        }
    }
}

/// The current value of an editable field of `outlet`, or `None` for another field.
pub fn field_value<'a>(outlet: &'a OutletInfo, field: &str) -> Option<&'a str> {
    match field {
        "phone" => Some(&outlet.phone),
        "address" => Some(&outlet.address),
        "contact_name" => Some(&outlet.contact_name),
        _ => None,
    }
}

fn check_value(field: &str, value: &str) -> Result<(), EditError> {
    if !OUTLET_EDITABLE_FIELDS.contains(&field) {
        return Err(EditError::NotEditable { field: field.into() });
    }
    let chars = value.chars().count();
    if chars > MAX_OUTLET_FIELD_CHARS {
        return Err(EditError::TooLong { field: field.into(), max: MAX_OUTLET_FIELD_CHARS, chars });
    }
    Ok(())
}

/// The changes a device queues when the user sets `wanted` on `shown` (the outlet as the device
/// shows it): values trimmed, unchanged fields left out. Empty when nothing changed.
pub fn outlet_changes(shown: &OutletInfo, wanted: &BTreeMap<String, String>) -> Result<BTreeMap<String, FieldChange>, EditError> {
    let mut changes = BTreeMap::new();
    for (field, to) in wanted {
        let from = field_value(shown, field).ok_or_else(|| EditError::NotEditable { field: field.clone() })?;
        let to = to.trim();
        check_value(field, to)?;
        if to != from {
            changes.insert(field.clone(), FieldChange { from: from.to_string(), to: to.to_string() });
        }
    }
    Ok(changes)
}

/// The server's check of a patch's values, before it merges them: the same limits the device
/// applied.
pub fn check_patch(patch: &OutletPatch) -> Result<(), EditError> {
    for (field, change) in &patch.changes {
        check_value(field, &change.to)?;
    }
    Ok(())
}

/// Puts a patch's new values on an outlet (what the device shows until the server answers).
pub fn apply_patch(outlet: &mut OutletInfo, patch: &OutletPatch) {
    for (field, change) in &patch.changes {
        match field.as_str() {
            "phone" => outlet.phone = change.to.clone(),
            "address" => outlet.address = change.to.clone(),
            "contact_name" => outlet.contact_name = change.to.clone(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outlet() -> OutletInfo {
        serde_json::from_value(serde_json::json!({"id": "OUT-1", "name": "Joy's", "route": "R1", "address": "14 Market Lane",
            "phone": "+1 555 0100", "group": "retail", "place_of_supply": "CA-ON"}))
        .expect("outlet")
    }

    fn wanted(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn only_changed_fields_are_sent_trimmed_with_what_the_device_saw() {
        let changes = outlet_changes(&outlet(), &wanted(&[("phone", " +1 555 0199 "), ("address", "14 Market Lane")])).expect("ok");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes["phone"], FieldChange { from: "+1 555 0100".into(), to: "+1 555 0199".into() });
    }

    #[test]
    fn other_fields_and_long_values_are_refused_naming_the_field() {
        let e = outlet_changes(&outlet(), &wanted(&[("name", "Joy's Deli")])).expect_err("name is not editable");
        assert_eq!((e.code(), e.field()), ("not_editable", "name"));
        let long = "x".repeat(MAX_OUTLET_FIELD_CHARS + 1);
        let e = outlet_changes(&outlet(), &wanted(&[("address", &long)])).expect_err("too long");
        assert_eq!((e.code(), e.field()), ("too_long", "address"));
        assert!(outlet_changes(&outlet(), &wanted(&[("address", &"x".repeat(MAX_OUTLET_FIELD_CHARS))])).is_ok());
    }
}
