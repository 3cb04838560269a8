//! `GET /api/v1/sync/pull?checkpoint=<opaque>&limit=<n>`: one page of the changes a device has
//! not seen, resumable from the checkpoint of any page it stored.
//!
//! The feed (`feed`, see [`crate::feed`]) holds one row per record devices hold, with the
//! position of its latest change. A page is the rows after the checkpoint's position, in
//! position order, that the caller may see: scope `''` (everyone), `user:<username>`,
//! `device:<device_id>` and `route:<r>` for the user's routes (a supervisor: every route). Each
//! row becomes one [`Change`]: the record as it is **now**, read from the live tables
//! (batch-loaded per entity), or a delete (no `data`) when the row says deleted, the record is
//! gone, or it is no longer the caller's (an outlet moved off the user's routes: its row's
//! `prev_scope` is visible, its `scope` is not; incremental pulls only: an initial pull carries
//! no deletes).
//!
//! The checkpoint is `v1.<version>.<view>` (a position whose xid is 0: SQLite, and PostgreSQL
//! feeds before migration 0014) or `v2.<xid>.<version>.<view>`: the last position the page
//! covered, and a hash of what the caller may see (user, device, role, routes, the feed's
//! epoch). A checkpoint whose view differs from the caller's current one (the user's routes
//! changed) cannot be continued: the answer has `reset: true` and starts over. Anything else
//! that does not read as a checkpoint is `400 bad_checkpoint`.
//!
//! The page runs in one read transaction (a snapshot: `REPEATABLE READ` on PostgreSQL, a read
//! transaction on SQLite), bounded by the feed's [`Horizon`](crate::feed::Horizon) read at its
//! start: no row at or below it can still appear or move, so a page never skips a change. The
//! returned checkpoint moves past the rows the caller cannot see too (to the newest position
//! below the horizon when the page is the last), so pulls always progress.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::Json;
use chrono::Utc;
use satchel_core::sync::protocol::{Change, Entity, PullResponse, SettingsView, MAX_PULL_PAGE, PULL_PAGE};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::{Any, AnyConnection};

use super::reference::{role_name, routes_of};
use crate::auth::AuthDevice;
use crate::db::{placeholders, Backend};
use crate::errors::AppError;
use crate::feed::{self, entity_name, position, stored, Horizon, Position};
use crate::AppState;

/// Every entity the feed carries.
const ENTITIES: [Entity; 8] = [
    Entity::Settings,
    Entity::RuleSet,
    Entity::Product,
    Entity::PriceList,
    Entity::Outlet,
    Entity::VanStock,
    Entity::Task,
    Entity::MutationResult,
];

/// The entity of a stored name.
fn entity_of(name: &str) -> Option<Entity> {
    ENTITIES.into_iter().find(|e| entity_name(*e) == name)
}

/// The query of a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullQuery {
    /// Where to continue; `None` for an initial pull.
    pub checkpoint: Option<Checkpoint>,
    /// Largest number of changes in the page.
    pub limit: usize,
}

/// Reads `checkpoint=…&limit=…` (both optional, each at most once, nothing else).
pub fn parse_query(query: Option<&str>) -> Result<PullQuery, AppError> {
    let mut checkpoint = None;
    let mut limit = None;
    for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("checkpoint", v)) if checkpoint.is_none() => checkpoint = Some(v),
            Some(("limit", v)) if limit.is_none() => limit = Some(v),
            _ => {
                return Err(AppError::MalformedQuery(format!(
                    "the parameters are checkpoint=<from the previous page> and limit=<1 to {MAX_PULL_PAGE}>, each at most once"
                )))
            }
        }
    }
    let limit = match limit {
        None => PULL_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_PULL_PAGE).contains(&n) => n,
            _ => {
                return Err(AppError::MalformedQuery(format!(
                    "limit must be a whole number from 1 to {MAX_PULL_PAGE}, got {text:?}"
                )))
            }
        },
    };
    let checkpoint = checkpoint.filter(|c| !c.is_empty()).map(Checkpoint::parse).transpose()?;
    Ok(PullQuery { checkpoint, limit })
}

/// A position in the feed, as seen by one view: `v1.<version>.<16 hex>` when the position's xid
/// is 0, else `v2.<xid>.<version>.<16 hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The last feed position covered.
    pub position: Position,
    /// The hash of the caller's view ([`view_hash`]) when it was written.
    pub view: String,
}

impl Checkpoint {
    /// Reads a checkpoint; anything but the exact form this server writes is `bad_checkpoint`.
    pub fn parse(text: &str) -> Result<Checkpoint, AppError> {
        let bad = || AppError::BadCheckpoint(format!("{text:?} is not a checkpoint this server wrote"));
        let number = |part: Option<&str>| -> Result<u64, AppError> {
            let part = part.ok_or_else(bad)?;
            part.parse()
                .ok()
                .filter(|n: &u64| n.to_string() == part && i64::try_from(*n).is_ok())
                .ok_or_else(bad)
        };
        let parts: Vec<&str> = text.split('.').collect();
        let (position, view) = match parts.as_slice() {
            ["v1", version, view] => (Position { xid: 0, version: number(Some(version))? }, *view),
            ["v2", xid, version, view] => {
                let position = Position { xid: number(Some(xid))?, version: number(Some(version))? };
                if position.xid == 0 {
                    return Err(bad());
                }
                (position, *view)
            }
            _ => return Err(bad()),
        };
        if view.len() != 16 || !view.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(bad());
        }
        Ok(Checkpoint { position, view: view.to_string() })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Position { xid: 0, version } => write!(f, "v1.{version}.{}", self.view),
            Position { xid, version } => write!(f, "v2.{xid}.{version}.{}", self.view),
        }
    }
}

/// The hash of what a caller may see: user, device, role and routes (`*`: every route). A
/// checkpoint written for another view is not continued (the answer resets).
pub fn view_hash(auth: &AuthDevice, routes: Option<&[String]>, epoch: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"satchel-pull-view-1\0");
    // Epoch 0 adds nothing, so checkpoints written before there were epochs still match.
    if epoch != 0 {
        h.update(format!("epoch {epoch}\0").as_bytes());
    }
    h.update(auth.username.as_bytes());
    h.update(b"\0");
    h.update(auth.device_id.to_string().as_bytes());
    h.update(b"\0");
    h.update(role_name(auth.role).as_bytes());
    h.update(b"\0");
    match routes {
        None => h.update(b"*"),
        Some(rs) => {
            let sorted: BTreeSet<&str> = rs.iter().map(String::as_str).collect();
            for r in sorted {
                h.update(r.as_bytes());
                h.update(b"\0");
            }
        }
    }
    h.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The scopes a caller sees.
struct Visibility {
    /// `''`, `user:<u>`, `device:<d>`, and `route:<r>` for each of a rep's routes.
    scopes: Vec<String>,
    /// A supervisor: every `route:` scope too.
    routes: Option<Vec<String>>,
    username: String,
}

impl Visibility {
    fn new(auth: &AuthDevice, routes: Option<&[String]>) -> Visibility {
        let mut scopes = vec![String::new(), format!("user:{}", auth.username), format!("device:{}", auth.device_id)];
        if let Some(rs) = routes {
            scopes.extend(rs.iter().map(|r| format!("route:{r}")));
        }
        Visibility { scopes, routes: routes.map(<[String]>::to_vec), username: auth.username.clone() }
    }

    /// SQL saying that `column` is visible, with the scopes bound from `$first`.
    fn sql(&self, column: &str, first: usize) -> String {
        let list = format!("{column} IN ({})", placeholders(first, self.scopes.len()));
        if self.routes.is_none() {
            format!("({list} OR {column} LIKE 'route:%')")
        } else {
            format!("({list})")
        }
    }

    fn sees(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope) || (self.routes.is_none() && scope.starts_with("route:"))
    }

    fn sees_route(&self, route: &str) -> bool {
        self.routes.as_ref().is_none_or(|rs| rs.iter().any(|r| r == route))
    }
}

/// Handles a pull; counts it, times it, and counts the changes and resets it served.
pub async fn pull(
    State(state): State<AppState>,
    auth: Result<AuthDevice, AppError>,
    RawQuery(query): RawQuery,
) -> Result<Json<PullResponse>, AppError> {
    state.metrics.pull_request();
    let started = Instant::now();
    let result = async {
        let auth = auth?;
        let query = parse_query(query.as_deref())?;
        page(&state, &auth, &query).await
    }
    .await;
    if let Ok(r) = &result {
        state.metrics.pull_served(r.changes.len() as u64, r.reset);
    }
    state.metrics.observe_pull(started.elapsed());
    result.map(Json)
}

type FeedRow = (String, String, i64, i64, String, Option<String>, i64);

/// Binds the page's range (`$1`–`$4`: after `from`, below the horizon) and then the caller's
/// scopes, to the page's query or its count.
fn bind_range<'q, O>(
    mut q: QueryAs<'q, Any, O, AnyArguments<'q>>,
    from: Position,
    horizon: &Horizon,
    scopes: &'q [String],
) -> Result<QueryAs<'q, Any, O, AnyArguments<'q>>, AppError> {
    q = q
        .bind(stored(from.xid)?)
        .bind(stored(from.version)?)
        .bind(stored(horizon.xid_below)?)
        .bind(stored(horizon.version_max)?);
    for s in scopes {
        q = q.bind(s.as_str());
    }
    Ok(q)
}

/// Reads one page for `auth` (see the module's documentation).
pub async fn page(state: &AppState, auth: &AuthDevice, query: &PullQuery) -> Result<PullResponse, AppError> {
    let backend = state.db.backend;
    let (mut tx, horizon) = match backend {
        Backend::Sqlite => {
            let mut tx = state.db.pool.begin().await?;
            let horizon = feed::sqlite_horizon(&mut tx).await?;
            (tx, horizon)
        }
        Backend::Postgres => {
            // Before the page's snapshot (see `feed::postgres_horizon`).
            let horizon = feed::postgres_horizon(&state.db.pool).await?;
            (state.db.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?, horizon)
        }
    };
    let routes = routes_of(&mut tx, auth).await?;
    let view = view_hash(auth, routes.as_deref(), horizon.epoch);
    let vis = Visibility::new(auth, routes.as_deref());
    // A checkpoint of another view, or beyond the feed (a database restored from a backup), is
    // not continued: the device starts over.
    let (from, reset) = match &query.checkpoint {
        None => (Position::default(), false),
        Some(cp) if cp.view != view || horizon.beyond(cp.position) => (Position::default(), true),
        Some(cp) => (cp.position, false),
    };
    let initial = from == Position::default();
    let filter = if initial {
        format!("{} AND deleted = 0", vis.sql("scope", 5))
    } else {
        format!("({} OR (prev_scope IS NOT NULL AND {}))", vis.sql("scope", 5), vis.sql("prev_scope", 5))
    };
    // Rows after `from`, written by transactions that have all ended (see `feed::Horizon`).
    let range = "(xid, version) > ($1, $2) AND xid < $3 AND version <= $4";
    let sql = format!(
        "SELECT entity, entity_key, xid, version, scope, prev_scope, deleted FROM feed \
         WHERE {range} AND {filter} ORDER BY xid, version LIMIT {}",
        query.limit + 1
    );
    let mut rows: Vec<FeedRow> = bind_range(sqlx::query_as(&sql), from, &horizon, &vis.scopes)?.fetch_all(&mut *tx).await?;
    let has_more = rows.len() > query.limit;
    rows.truncate(query.limit);
    let (checkpoint, remaining) = if has_more {
        let last = match rows.last() {
            Some(r) => Position { xid: position(r.2)?, version: position(r.3)? },
            None => from,
        };
        let sql = format!("SELECT COUNT(*) FROM feed WHERE {range} AND {filter}");
        let (n,): (i64,) = bind_range(sqlx::query_as(&sql), last, &horizon, &vis.scopes)?.fetch_one(&mut *tx).await?;
        (last, u64::try_from(n).unwrap_or(0))
    } else {
        // Past every row below the horizon, read in this snapshot: the newest position there.
        // Nothing can appear between it and the horizon, and it is a real, durable position,
        // so a feed that went back (a restored backup) shows as a checkpoint beyond it.
        let newest: Option<(i64, i64)> = sqlx::query_as(
            "SELECT xid, version FROM feed WHERE xid < $1 AND version <= $2 ORDER BY xid DESC, version DESC LIMIT 1",
        )
        .bind(stored(horizon.xid_below)?)
        .bind(stored(horizon.version_max)?)
        .fetch_optional(&mut *tx)
        .await?;
        let newest = match newest {
            Some((xid, version)) => Position { xid: position(xid)?, version: position(version)? },
            None => Position::default(),
        };
        (newest.max(from), 0)
    };
    let changes = changes(&mut tx, backend, auth, &vis, &rows, initial).await?;
    tx.commit().await?;
    Ok(PullResponse {
        checkpoint: Checkpoint { position: checkpoint, view }.to_string(),
        has_more,
        reset,
        remaining,
        server_time: Utc::now(),
        changes,
    })
}

/// The changes of a page's feed rows, in their order: each visible record's current data,
/// loaded per entity in one query; a delete for the others (left out of initial pulls).
async fn changes(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    vis: &Visibility,
    rows: &[FeedRow],
    initial: bool,
) -> Result<Vec<Change>, AppError> {
    // Which records to load, per entity.
    let mut wanted: BTreeMap<Entity, Vec<&str>> = BTreeMap::new();
    for (entity, key, _, _, scope, _, deleted) in rows {
        let Some(entity) = entity_of(entity) else { continue };
        if *deleted == 0 && vis.sees(scope) {
            wanted.entry(entity).or_default().push(key.as_str());
        }
    }
    let mut loaded: BTreeMap<Entity, BTreeMap<String, Value>> = BTreeMap::new();
    for (entity, keys) in &wanted {
        loaded.insert(*entity, load(conn, backend, auth, vis, *entity, keys).await?);
    }
    let mut out = Vec::with_capacity(rows.len());
    for (name, key, _, _, _, _, _) in rows {
        let Some(entity) = entity_of(name) else {
            tracing::warn!(entity = %name, "a feed row of an unknown entity; skipped");
            continue;
        };
        let data = loaded.get_mut(&entity).and_then(|m| m.remove(key.as_str()));
        if initial && data.is_none() {
            continue;
        }
        let key = match entity {
            // Stored as `<username>/<sku>` (feed keys are unique across users); the wire key is
            // the SKU.
            Entity::VanStock => key.split_once('/').map_or(key.as_str(), |(_, sku)| sku).to_string(),
            _ => key.clone(),
        };
        out.push(Change::new(entity, key, data.as_ref()).map_err(|e| AppError::Internal(format!("a pulled record as JSON: {e}")))?);
    }
    Ok(out)
}

fn value<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(format!("serialize pull data: {e}")))
}

/// The current data of `keys` of one entity that the caller may see, by feed key; a key left
/// out is gone (or no longer the caller's).
async fn load(
    conn: &mut AnyConnection,
    backend: Backend,
    auth: &AuthDevice,
    vis: &Visibility,
    entity: Entity,
    keys: &[&str],
) -> Result<BTreeMap<String, Value>, AppError> {
    let mut out = BTreeMap::new();
    match entity {
        Entity::Settings => {
            if keys.contains(&"sales") {
                if let Some(s) = crate::sales::settings(conn).await? {
                    let view = SettingsView { settings: s.sales, role: role_name(auth.role).into() };
                    out.insert("sales".to_string(), value(&view)?);
                }
            }
        }
        Entity::RuleSet => {
            let sql = format!("SELECT id, document FROM rule_sets WHERE id IN ({})", placeholders(1, keys.len()));
            let mut q = sqlx::query_as(&sql);
            for k in keys {
                q = q.bind(*k);
            }
            let rows: Vec<(String, String)> = q.fetch_all(&mut *conn).await?;
            for (id, document) in rows {
                let v: Value = serde_json::from_str(&document)
                    .map_err(|e| AppError::Internal(format!("stored rule set {id}: {e}")))?;
                out.insert(id, v);
            }
        }
        Entity::Product => {
            for p in crate::sales::products(conn, Some(keys)).await? {
                out.insert(p.sku.clone(), value(&p)?);
            }
        }
        Entity::PriceList => {
            for l in crate::sales::price_lists_by_id(conn, keys).await? {
                out.insert(l.id.clone(), value(&l)?);
            }
        }
        Entity::Outlet => {
            for (id, o) in crate::sales::outlets_by_id(conn, keys).await? {
                // Checked against the live row too: an outlet moved since its feed row was
                // read is the caller's no longer (its own feed row follows).
                if let Some(o) = o.filter(|o| vis.sees_route(&o.route)) {
                    out.insert(id, value(&o)?);
                }
            }
        }
        Entity::VanStock => {
            // Only the caller's own van (the scope says so; the key too).
            let prefix = format!("{}/", auth.username);
            let skus: Vec<&str> = keys.iter().filter_map(|k| k.strip_prefix(prefix.as_str())).collect();
            for (sku, level) in crate::sales::van_stock(conn, backend, &auth.username, Some(&skus), false).await? {
                out.insert(format!("{prefix}{sku}"), value(&level)?);
            }
        }
        Entity::Task => {
            for t in super::tasks::tasks_by_id(conn, keys).await? {
                if t.assignee == vis.username {
                    out.insert(t.task.id.clone(), value(&t.task)?);
                }
            }
        }
        Entity::MutationResult => {
            for key in keys {
                if let Some(r) = crate::outcomes::stored_outcome(conn, key).await? {
                    out.insert((*key).to_string(), value(&r)?);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use uuid::Uuid;

    fn auth(role: Role) -> AuthDevice {
        AuthDevice {
            device_id: Uuid::nil(),
            username: "rep1".into(),
            role,
            scope: crate::auth::Scope::Full,
        }
    }

    #[test]
    fn checkpoints_read_back_and_refuse_anything_else() {
        let cp = Checkpoint { position: Position { xid: 0, version: 42 }, view: "0123456789abcdef".into() };
        assert_eq!(cp.to_string(), "v1.42.0123456789abcdef");
        assert_eq!(Checkpoint::parse(&cp.to_string()).expect("parses"), cp);
        let cp = Checkpoint { position: Position { xid: 7, version: 42 }, view: "0123456789abcdef".into() };
        assert_eq!(cp.to_string(), "v2.7.42.0123456789abcdef");
        assert_eq!(Checkpoint::parse(&cp.to_string()).expect("parses"), cp);
        for bad in [
            "", "v1", "v1.42", "v2.42.0123456789abcdef", "v2.0.42.0123456789abcdef", "v2.07.42.0123456789abcdef",
            "v2.7.42.0123456789abcdef.1", "v3.7.42.0123456789abcdef", "v1.042.0123456789abcdef", "v1.-1.0123456789abcdef",
            "v1.42.0123456789ABCDEF", "v1.42.0123456789abcde", "v1.42.0123456789abcdef.x", "v1.x.0123456789abcdef",
            "v1.99999999999999999999.0123456789abcdef",
        ] {
            assert!(matches!(Checkpoint::parse(bad), Err(AppError::BadCheckpoint(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_view_changes_with_the_routes_and_the_role() {
        let rep = auth(Role::Rep);
        let r12 = ["R1".to_string(), "R2".to_string()];
        let r21 = ["R2".to_string(), "R1".to_string()];
        let r13 = ["R1".to_string(), "R3".to_string()];
        assert_eq!(view_hash(&rep, Some(&r12), 0), view_hash(&rep, Some(&r21), 0));
        assert_ne!(view_hash(&rep, Some(&r12), 0), view_hash(&rep, Some(&r13), 0));
        assert_ne!(view_hash(&rep, Some(&r12), 0), view_hash(&auth(Role::Supervisor), None, 0));
        assert_ne!(view_hash(&rep, Some(&r12), 0), view_hash(&rep, Some(&r12), 1), "a new epoch resets every checkpoint");
        assert_eq!(view_hash(&rep, None, 0).len(), 16);
    }

    #[test]
    fn the_query_takes_a_checkpoint_and_a_bounded_limit() {
        assert_eq!(parse_query(None).expect("empty"), PullQuery { checkpoint: None, limit: PULL_PAGE });
        assert_eq!(parse_query(Some("limit=7&checkpoint=")).expect("ok").limit, 7);
        for bad in ["limit=0", "limit=2001", "limit=x", "limit=1&limit=2", "other=1", "checkpoint"] {
            assert!(matches!(parse_query(Some(bad)), Err(AppError::MalformedQuery(_))), "{bad:?}");
        }
        assert!(matches!(parse_query(Some("checkpoint=garbage")), Err(AppError::BadCheckpoint(_))));
    }

    #[test]
    fn visibility_follows_the_routes() {
        let rep = Visibility::new(&auth(Role::Rep), Some(&["R1".to_string()]));
        assert!(rep.sees("") && rep.sees("user:rep1") && rep.sees("route:R1"));
        assert!(!rep.sees("route:R2") && !rep.sees("user:rep2") && !rep.sees("device:x"));
        let sup = Visibility::new(&auth(Role::Supervisor), None);
        assert!(sup.sees("route:R9") && sup.sees_route("R9") && !sup.sees("user:rep2"));
    }
}
