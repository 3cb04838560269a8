//! The TypeScript declarations of the types that cross the JavaScript boundary, generated from
//! the Rust types with ts-rs (native builds only) and committed under `src/generated/`. Each
//! crate's generator test calls [`check_or_write`]; `SATCHEL_WRITE_TS=1` rewrites the file.

use std::path::Path;

/// `export type …` of `T`, with its doc comment.
pub fn decl<T: ts_rs::TS>() -> String {
    format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl())
}

/// Writes `header` and `decls` to `path` when `SATCHEL_WRITE_TS` is set; otherwise checks that
/// the committed file is exactly that, naming the command that rewrites it (`how`) if not.
pub fn check_or_write(
    path: &Path,
    header: &str,
    decls: &[String],
    how: &str,
) -> Result<(), String> {
    let mut out = String::from(header);
    for d in decls {
        out.push_str(d);
    }
    if std::env::var_os("SATCHEL_WRITE_TS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(path, &out).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == out {
        Ok(())
    } else {
        Err(format!(
            "{} is not what the Rust types say; run `SATCHEL_WRITE_TS=1 {how}`",
            path.display()
        ))
    }
}
