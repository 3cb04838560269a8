//! `docs/openapi.yaml` describes exactly the routes the server has, with their methods: a route
//! added without its description (or a description left behind by a removed route) fails here.

use std::collections::BTreeSet;

/// (path, method) pairs of `server/src/lib.rs`'s router, read from its source: every
/// `.route("<path>", <method>(...`.
fn routes_in_router() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/lib.rs");
    let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = BTreeSet::new();
    for part in flat.split(".route(").skip(1) {
        let Some(rest) = part.trim_start().strip_prefix('"') else { continue };
        let Some((path, after)) = rest.split_once('"') else { continue };
        let method = after.trim_start_matches([',', ' ']).split('(').next().unwrap_or("").trim().to_string();
        if method == "any" {
            continue; // the API's 404 fallbacks
        }
        out.insert((path.to_string(), method));
    }
    out
}

/// (path, method) pairs of the OpenAPI document: two-space-indented path keys, then
/// four-space-indented method keys.
fn routes_in_openapi() -> BTreeSet<(String, String)> {
    let doc = include_str!("../../docs/openapi.yaml");
    let mut out = BTreeSet::new();
    let mut in_paths = false;
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if line == "paths:" {
            in_paths = true;
            continue;
        }
        if in_paths && !line.starts_with(' ') && !line.is_empty() {
            break;
        }
        if let Some(path) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            current = Some(format!("/{path}"));
        } else if let (Some(p), Some(method)) = (&current, line.strip_prefix("    ").and_then(|l| l.strip_suffix(':'))) {
            if ["get", "post", "put", "delete", "patch"].contains(&method) {
                out.insert((p.clone(), method.to_string()));
            }
        }
    }
    out
}

#[test]
fn the_openapi_document_lists_every_route_and_only_those() {
    let router = routes_in_router();
    let documented = routes_in_openapi();
    assert!(router.len() >= 10, "the router's routes were read: {router:?}");
    assert_eq!(documented, router, "docs/openapi.yaml and the router differ");
}
