//! The TypeScript declarations of the data objects the `Workspace` class takes and returns,
//! generated from the Rust types (ts-rs) and committed under `src/generated/`:
//!
//! - `core.ts`: core's views and documents (`cargo test -p satchel-core --test ts_bindings`);
//! - `module.ts`: this crate's own views (`cargo test -p satchel --lib ts_bindings`);
//! - `server.ts`: the server's review and conflict items (`cargo test -p satchel-server --test ts_bindings`).
//!
//! Each generator fails when its committed file differs from what the types say
//! (`SATCHEL_WRITE_TS=1` rewrites it); `./build.sh test` runs all three. The page imports these
//! names from the generated `satchel.d.ts`; nothing declares them by hand.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_CORE: &'static str = include_str!("generated/core.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_MODULE: &'static str = include_str!("generated/module.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_SERVER: &'static str = include_str!("generated/server.ts");

#[cfg(all(test, not(target_arch = "wasm32")))]
mod ts_bindings {
    use ts_rs::TS;

    use crate::sync_loop::status::SyncStatusView;
    use crate::vault::VaultStatusView;
    use crate::workspace::business::{CommittedOrderView, StorageReportView};
    use crate::workspace::{SessionView, WorkspaceOptions};
    use satchel_core::sync::engine::Phase;

    fn decl<T: TS>() -> String {
        format!("{}export {}\n", T::docs().map(|d| d.to_string()).unwrap_or_default(), T::decl())
    }

    #[test]
    fn typescript_declarations_are_up_to_date() {
        let mut out = String::from("// Generated from the Rust types by src/ts_types.rs (ts_bindings): do not edit.\n\n");
        for d in [
            decl::<WorkspaceOptions>(),
            decl::<VaultStatusView>(),
            decl::<SessionView<'static>>(),
            decl::<Phase>(),
            decl::<SyncStatusView>(),
            decl::<CommittedOrderView>(),
            decl::<StorageReportView>(),
        ] {
            out.push_str(&d);
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated/module.ts");
        if std::env::var_os("SATCHEL_WRITE_TS").is_some() {
            std::fs::write(&path, &out).expect("write the declarations");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == out,
            "{} is not what the Rust types say; run `SATCHEL_WRITE_TS=1 cargo test -p satchel --lib ts_bindings`",
            path.display()
        );
    }
}
