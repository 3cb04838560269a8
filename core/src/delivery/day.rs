//! What a crew's day sends the server, and the rules both sides check it with.
//!
//! A day is one record every later action belongs to:
//!
//! - `day.start` ([`DayStart`]): site, route and truck, the van load sheet as confirmed (counted
//!   or accepted as sent), the opening odometer and cash float, and the planned stops in route
//!   order.
//! - Each stop's outcome travels as a `task.complete` whose [`crate::sync::protocol::TaskCompletion::day`]
//!   is a [`DayStop`]: done with the recipient's name, a signature and photos (proof of
//!   delivery), failed with a reason and the goods back on the van, or skipped with a reason.
//!   An unplanned stop names its outlet; the server creates its task.
//! - Invoices billed from a stop are `sales_order.create` whose document carries a [`DayLink`].
//! - `collection.record` ([`CollectionEntry`]): money taken against invoices; it depends on the
//!   day's start and on each invoice of the day it pays, so the server never applies it first
//!   and holds it if the invoice is refused.
//! - `day.end` ([`DayEnd`]): the van and the cash as counted, the crew member's signature and
//!   the device's settlement; it depends on the start and on every stop (which may wait for
//!   their photos), and the device's other changes of the day precede it in sequence order, so
//!   the server recomputes the settlement from everything it counts and flags any difference.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::collection::{AdvancePolicy, Collection};
use super::settlement::{Settlement, StopOutcome};
use crate::money::Dec;
use crate::sync::protocol::BlobRef;

/// Longest site, route, truck, recipient or reason, in characters.
pub const MAX_TEXT: usize = 200;

/// A truck crews can take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Truck {
    /// Its id (the plate).
    pub id: String,
    /// What the crew calls it.
    pub label: String,
}

/// The deployment's delivery settings (part of the sales settings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// The routes worked as delivery days: a user with one of them is a crew member, and only
    /// they start days. Other routes' delivery tasks stay ordinary tasks.
    #[serde(default)]
    pub routes: Vec<String>,
    /// The sites (depots) a day starts from.
    pub sites: Vec<String>,
    /// The trucks.
    pub trucks: Vec<Truck>,
    /// Whether a collection may exceed what its invoices owe.
    #[serde(default)]
    pub advances: AdvancePolicy,
    /// Reasons offered for a failed delivery.
    #[serde(default)]
    pub failure_reasons: Vec<String>,
    /// Reasons offered for skipping a stop.
    #[serde(default)]
    pub skip_reasons: Vec<String>,
}

/// `day.start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayStart {
    /// The day's identity (UUIDv7, chosen on the device).
    pub day_id: Uuid,
    /// The crew member (the signed-in user; the server checks it is the device's user).
    pub crew: String,
    /// The site.
    pub site: String,
    /// The route.
    pub route: String,
    /// The truck's id.
    pub truck: String,
    /// When (device clock).
    pub started_at: DateTime<Utc>,
    /// The van load sheet as confirmed: quantity by SKU.
    pub loaded: BTreeMap<String, Dec>,
    /// Accepted as sent (true) or counted by the crew (false).
    #[serde(default)]
    pub accepted_as_sent: bool,
    /// The opening odometer (km).
    pub odometer: u64,
    /// The opening cash float.
    pub float: Dec,
    /// The planned stops (task ids), in route order.
    pub plan: Vec<String>,
}

/// What a stop's `task.complete` says of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayStop {
    /// The day.
    pub day_id: Uuid,
    /// What became of the stop.
    pub outcome: StopOutcome,
    /// Added on the road: the outlet it is at (the server creates its task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unplanned_at: Option<String>,
    /// Who received the goods (a delivered stop).
    #[serde(default)]
    pub recipient: String,
    /// The recipient's signature drawn on the screen, a blob like a photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<BlobRef>,
    /// Goods back on the van (a failed delivery): quantity by SKU.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub goods_back: BTreeMap<String, Dec>,
}

/// Carried by an invoice billed during a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct DayLink {
    /// The day.
    pub day_id: Uuid,
    /// The stop (task) it was billed from.
    pub task_id: String,
}

/// `collection.record`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionEntry {
    /// The day.
    pub day_id: Uuid,
    /// When (device clock).
    pub at: DateTime<Utc>,
    /// The collection.
    pub collection: Collection,
}

/// `day.end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayEnd {
    /// The day.
    pub day_id: Uuid,
    /// When (device clock).
    pub ended_at: DateTime<Utc>,
    /// The van as counted: quantity by SKU (a SKU not named counts 0).
    pub counted_van: BTreeMap<String, Dec>,
    /// The cash as counted.
    pub counted_cash: Dec,
    /// The closing odometer (km).
    pub odometer: u64,
    /// The crew member's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<BlobRef>,
    /// How many stops the device recorded (the server checks it holds as many).
    pub stops: u32,
    /// The device's settlement, which the server recomputes.
    pub settlement: Settlement,
}

/// An invoice of an outlet as the server last knew it (open, or paid within the last days so a
/// device can tell which of its collections the figures include).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct InvoiceInfo {
    /// The invoice (the order's id).
    pub order_id: Uuid,
    /// Its number.
    pub number: String,
    /// When it was issued.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub issued_on: chrono::NaiveDate,
    /// Its total.
    pub total: Dec,
    /// What it still owes by the server's figures.
    pub outstanding: Dec,
    /// The collections those figures include.
    #[serde(default)]
    pub collections: Vec<Uuid>,
}

/// A note left at an earlier visit to an outlet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct VisitNote {
    /// When.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "string"))]
    pub on: chrono::NaiveDate,
    /// Who.
    pub by: String,
    /// The note.
    pub note: String,
}

/// Why a day's record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    /// A required text is empty or too long.
    #[error("{0}: required, at most 200 characters")]
    Text(&'static str),
    /// A site or truck the deployment does not have.
    #[error("{field}: {value} is not one of the deployment's")]
    Unknown {
        /// Which.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// A negative or too precise quantity or amount.
    #[error("{0}: must be zero or more, with at most 3 decimal places (2 for money)")]
    Quantity(String),
    /// The same stop twice in the plan.
    #[error("plan: stop {0} is planned twice")]
    DuplicateStop(String),
    /// A delivered stop without the recipient or the signature.
    #[error("{0} is required to prove a delivery")]
    Proof(&'static str),
    /// A failed or skipped stop without its reason.
    #[error("reason: say why")]
    Reason,
}

impl DayError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DayError::Text(_) => "bad_text",
            DayError::Unknown { .. } => "unknown",
            DayError::Quantity(_) => "bad_quantity",
            DayError::DuplicateStop(_) => "duplicate_stop",
            DayError::Proof(_) => "proof_required",
            DayError::Reason => "reason_required",
        }
    }

    /// The field concerned.
    pub fn field(&self) -> String {
        match self {
            DayError::Text(f) | DayError::Proof(f) => (*f).into(),
            DayError::Unknown { field, .. } => (*field).into(),
            DayError::Quantity(f) => f.clone(),
            DayError::DuplicateStop(_) => "plan".into(),
            DayError::Reason => "reason".into(),
        }
    }
}

fn text(value: &str, field: &'static str) -> Result<(), DayError> {
    let n = value.trim().chars().count();
    if n == 0 || n > MAX_TEXT {
        Err(DayError::Text(field))
    } else {
        Ok(())
    }
}

fn quantities(map: &BTreeMap<String, Dec>, field: &str) -> Result<(), DayError> {
    for (sku, q) in map {
        let v = q.value();
        if v.is_sign_negative() || v.normalize().scale() > 3 {
            return Err(DayError::Quantity(format!("{field}.{sku}")));
        }
    }
    Ok(())
}

fn money(v: Dec, field: &str, places: u32) -> Result<(), DayError> {
    if v.value().is_sign_negative() || v.value().normalize().scale() > places {
        return Err(DayError::Quantity(field.into()));
    }
    Ok(())
}

/// Checks a day's start against the deployment's settings.
pub fn check_start(s: &DayStart, settings: &DeliverySettings, places: u32) -> Result<(), DayError> {
    text(&s.site, "site")?;
    text(&s.route, "route")?;
    text(&s.truck, "truck")?;
    if !settings.routes.iter().any(|x| x == &s.route) {
        return Err(DayError::Unknown { field: "route", value: s.route.clone() });
    }
    if !settings.sites.iter().any(|x| x == &s.site) {
        return Err(DayError::Unknown { field: "site", value: s.site.clone() });
    }
    if !settings.trucks.iter().any(|t| t.id == s.truck) {
        return Err(DayError::Unknown { field: "truck", value: s.truck.clone() });
    }
    quantities(&s.loaded, "loaded")?;
    money(s.float, "float", places)?;
    let mut seen = std::collections::BTreeSet::new();
    for t in &s.plan {
        if !seen.insert(t) {
            return Err(DayError::DuplicateStop(t.clone()));
        }
    }
    Ok(())
}

/// Checks a stop's outcome: a delivery is proved by the recipient's name and a signature; a
/// failure or a skip says why; goods back are quantities.
pub fn check_stop(s: &DayStop) -> Result<(), DayError> {
    match &s.outcome {
        StopOutcome::Done => {
            text(&s.recipient, "recipient").map_err(|_| DayError::Proof("recipient"))?;
            if s.signature.is_none() {
                return Err(DayError::Proof("signature"));
            }
        }
        StopOutcome::Failed { reason } | StopOutcome::Skipped { reason } => {
            text(reason, "reason").map_err(|_| DayError::Reason)?;
        }
    }
    if let Some(o) = &s.unplanned_at {
        text(o, "outlet_id")?;
    }
    quantities(&s.goods_back, "goods_back")
}

/// Checks a day's end: the crew member signed it, counts are quantities, the cash is money.
pub fn check_end(e: &DayEnd, places: u32) -> Result<(), DayError> {
    if e.signature.is_none() {
        return Err(DayError::Proof("signature"));
    }
    quantities(&e.counted_van, "counted_van")?;
    money(e.counted_cash, "counted_cash", places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Dec;
    use crate::money::parse_decimal;

    fn d(s: &str) -> Dec {
        Dec(parse_decimal(s).expect("a decimal literal"))
    }

    fn settings() -> DeliverySettings {
        DeliverySettings { routes: vec!["R7".into()], sites: vec!["North depot".into()], trucks: vec![Truck { id: "KDA-101".into(), label: "Van 1".into() }], ..Default::default() }
    }

    fn start() -> DayStart {
        DayStart {
            day_id: Uuid::nil(),
            crew: "driver1".into(),
            site: "North depot".into(),
            route: "R7".into(),
            truck: "KDA-101".into(),
            started_at: DateTime::UNIX_EPOCH,
            loaded: [("SKU-1".to_string(), d("10"))].into(),
            accepted_as_sent: true,
            odometer: 1000,
            float: d("50.00"),
            plan: vec!["T1".into(), "T2".into()],
        }
    }

    #[test]
    fn a_start_names_what_the_deployment_has() {
        assert!(check_start(&start(), &settings(), 2).is_ok());
        let e = check_start(&DayStart { truck: "XYZ".into(), ..start() }, &settings(), 2).expect_err("truck");
        assert_eq!((e.code(), e.field().as_str()), ("unknown", "truck"));
        // A route the deployment does not work as delivery days.
        let e = check_start(&DayStart { route: "R1".into(), ..start() }, &settings(), 2).expect_err("route");
        assert_eq!((e.code(), e.field().as_str()), ("unknown", "route"));
        let e = check_start(&DayStart { plan: vec!["T1".into(), "T1".into()], ..start() }, &settings(), 2).expect_err("dup");
        assert_eq!(e.code(), "duplicate_stop");
        let e = check_start(&DayStart { float: d("-1"), ..start() }, &settings(), 2).expect_err("float");
        assert_eq!(e.field(), "float");
        let mut loaded = start().loaded;
        loaded.insert("SKU-2".into(), d("0.0001"));
        let e = check_start(&DayStart { loaded, ..start() }, &settings(), 2).expect_err("qty");
        assert_eq!(e.field(), "loaded.SKU-2");
    }

    #[test]
    fn a_delivery_is_proved_and_a_failure_says_why() {
        let sig = BlobRef { sha256: "ab".repeat(32), size: 10, content_type: "image/png".into() };
        let done = DayStop { day_id: Uuid::nil(), outcome: StopOutcome::Done, unplanned_at: None, recipient: "Amina".into(), signature: Some(sig), goods_back: BTreeMap::new() };
        assert!(check_stop(&done).is_ok());
        assert_eq!(check_stop(&DayStop { signature: None, ..done.clone() }).expect_err("sig").field(), "signature");
        assert_eq!(check_stop(&DayStop { recipient: " ".into(), ..done.clone() }).expect_err("who").field(), "recipient");
        let failed = DayStop { outcome: StopOutcome::Failed { reason: String::new() }, recipient: String::new(), signature: None, ..done };
        assert_eq!(check_stop(&failed).expect_err("why").code(), "reason_required");
    }

    #[test]
    fn an_end_is_signed() {
        let sig = BlobRef { sha256: "cd".repeat(32), size: 10, content_type: "image/png".into() };
        let settlement = crate::delivery::settle(&crate::delivery::DayRecords::default(), None, None);
        let end = DayEnd { day_id: Uuid::nil(), ended_at: chrono::DateTime::UNIX_EPOCH, counted_van: BTreeMap::new(), counted_cash: d("0"), odometer: 1, signature: Some(sig), stops: 0, settlement };
        assert!(check_end(&end, 2).is_ok());
        let unsigned = check_end(&DayEnd { signature: None, ..end }, 2).expect_err("unsigned");
        assert_eq!((unsigned.field().as_str(), unsigned.code()), ("signature", "proof_required"));
    }
}
