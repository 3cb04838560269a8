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
    use satchel_core::ts_export::{check_or_write, decl};

    use crate::sync_loop::status::SyncStatusView;
    use crate::vault::VaultStatusView;
    use crate::workspace::backup::{BackupFileView, CopyRecoveryView};
    use crate::workspace::business::{CommittedOrderView, StorageReportView};
    use crate::workspace::{SessionView, WorkspaceOptions};
    use satchel_core::sync::engine::Phase;

    #[test]
    fn typescript_declarations_are_up_to_date() {
        let decls = [
            decl::<WorkspaceOptions>(),
            decl::<VaultStatusView>(),
            decl::<SessionView<'static>>(),
            decl::<Phase>(),
            decl::<SyncStatusView>(),
            decl::<CommittedOrderView>(),
            decl::<StorageReportView>(),
            decl::<BackupFileView>(),
            decl::<CopyRecoveryView>(),
        ];
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated/module.ts");
        if let Err(e) = check_or_write(
            &path,
            "// Generated from the Rust types by src/ts_types.rs (ts_bindings): do not edit.\n\n",
            &decls,
            "cargo test -p satchel --lib ts_bindings",
        ) {
            panic!("{e}");
        }
    }
}
