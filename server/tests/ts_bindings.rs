//! Writes the TypeScript declarations of what the server sends a supervisor's page (review and
//! conflict items, the counter's shifts, the crews' delivery days, the field telemetry
//! dashboard) from the Rust types into `src/generated/server.ts`, which the Wasm module's
//! TypeScript section includes; fails when the committed file is not
//! what the types say (`SATCHEL_WRITE_TS=1` rewrites it).
//!
//! `cargo test -p satchel-server --test ts_bindings`
#![cfg(not(target_arch = "wasm32"))]

use satchel_core::sync::hlc::Hlc;
use satchel_core::sync::merge::{FieldState, Proposal};
use satchel_core::sync::protocol::FlagReason;
use satchel_core::tax::verify::ClaimedTax;
use satchel_core::ts_export::{check_or_write, decl};
use satchel_core::validation::{Details, Finding, Rule};
use satchel_server::api::conflicts::{Choice, ConflictItem, ResolutionRecord};
use satchel_server::api::days::{DayCollectionItem, DayDetail, DayDifference, DayInvoiceItem, DayItem, DayStopItem};
use satchel_server::api::review::{ReviewItem, ReviewLine};
use satchel_server::api::shifts::{ShiftDetail, ShiftDifference, ShiftItem};
use satchel_server::api::telemetry::{DeviceTelemetry, DurationBucket, LatencyDay, OutageSalesSummary, SameDayRoute, TelemetryDashboard};

#[test]
fn typescript_declarations_are_up_to_date() {
    let decls = [
        decl::<Hlc>(),
        decl::<Rule>(),
        decl::<Details>(),
        decl::<Finding>(),
        decl::<FlagReason>(),
        decl::<ClaimedTax>(),
        decl::<ReviewLine>(),
        decl::<ReviewItem>(),
        decl::<FieldState>(),
        decl::<Proposal>(),
        decl::<Choice>(),
        decl::<ResolutionRecord>(),
        decl::<ConflictItem>(),
        decl::<ShiftDifference>(),
        decl::<ShiftItem>(),
        decl::<ShiftDetail>(),
        decl::<DayDifference>(),
        decl::<DayItem>(),
        decl::<DayStopItem>(),
        decl::<DayInvoiceItem>(),
        decl::<DayCollectionItem>(),
        decl::<DayDetail>(),
        decl::<LatencyDay>(),
        decl::<DurationBucket>(),
        decl::<DeviceTelemetry>(),
        decl::<SameDayRoute>(),
        decl::<OutageSalesSummary>(),
        decl::<TelemetryDashboard>(),
    ];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/generated/server.ts");
    if let Err(e) = check_or_write(
        &path,
        "// Generated from the Rust types by server/tests/ts_bindings.rs: do not edit.\n\n",
        &decls,
        "cargo test -p satchel-server --test ts_bindings",
    ) {
        panic!("{e}");
    }
}
