//! Writes the TypeScript declarations of what the server sends a supervisor's page (review and
//! conflict items) from the Rust types into `src/generated/server.ts`, which the Wasm module's
//! TypeScript section includes; fails when the committed file is not what the types say
//! (`SATCHEL_WRITE_TS=1` rewrites it).
//!
//! `cargo test -p satchel-server --test ts_bindings`
#![cfg(not(target_arch = "wasm32"))]

use ts_rs::TS;

use satchel_core::sync::hlc::Hlc;
use satchel_core::sync::merge::{FieldState, Proposal};
use satchel_core::sync::protocol::FlagReason;
use satchel_core::tax::verify::ClaimedTax;
use satchel_core::validation::{Details, Finding, Rule};
use satchel_server::api::conflicts::{Choice, ConflictItem, ResolutionRecord};
use satchel_server::api::review::{ReviewItem, ReviewLine};

fn decl<T: TS>() -> String {
    format!("{}export {}\n", T::docs().map(|d| d.to_string()).unwrap_or_default(), T::decl())
}

#[test]
fn typescript_declarations_are_up_to_date() {
    let mut out = String::from("// Generated from the Rust types by server/tests/ts_bindings.rs: do not edit.\n\n");
    for d in [
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
    ] {
        out.push_str(&d);
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/generated/server.ts");
    if std::env::var_os("SATCHEL_WRITE_TS").is_some() {
        std::fs::write(&path, &out).expect("write the declarations");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == out,
        "{} is not what the Rust types say; run `SATCHEL_WRITE_TS=1 cargo test -p satchel-server --test ts_bindings`",
        path.display()
    );
}
