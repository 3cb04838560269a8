//! `outlet.update`: a device's patch of an outlet's shared fields (phone, address, contact),
//! merged field by field with core's [`merge::apply`] inside the push's transaction.
//!
//! - The outlet must be on the user's routes (a supervisor sees every route), else the mutation
//!   is rejected `unknown_outlet` (field `outlet_id`).
//! - The patch's hybrid-logical-clock time is observed by the server's clock (the `server_clock`
//!   row); one more than [`DEFAULT_MAX_DRIFT_MS`] ahead of the server's physical time is rejected
//!   `clock_skew` (field `at`).
//! - A patch core refuses whole is rejected with the code of [`merge_rejection`] (e.g.
//!   `unknown_field`, field `changes.<name>`).
//! - Otherwise the fields that do not overlap a concurrent change are applied: written to the
//!   outlet's columns (which the reference data and orders read) and its merge state, the
//!   outlet's version is raised by one, and its pull feed row moves (devices of its route get
//!   it with their next pull). Each overlapping field becomes a row of
//!   `outlet_conflicts` (both values, who set them, when) for a supervisor
//!   ([`super::conflicts`]); the mutation's outcome is then `flagged`, one reason (rule
//!   `conflict`) per field. With no conflict it is `applied`.
//!
//! The author of every change is the token's user, never the payload's.

use chrono::{DateTime, Utc};
use satchel_core::sync::hlc::{Clock, Hlc, HlcError, NodeId, DEFAULT_MAX_DRIFT_MS};
use satchel_core::sync::edits::{self, EditError};
use satchel_core::sync::merge::{self, Conflict, FieldState, MergeError, MergeOutcome, Patch, Record};
use satchel_core::sync::protocol::{
    Entity, FlagReason, Mutation, MutationResult, Outcome, OutletPatch, OUTLET_EDITABLE_FIELDS,
};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::push::Rejection;
use crate::auth::AuthDevice;
use crate::db::Backend;
use crate::errors::AppError;

/// The rule of the flag reasons of an outlet update that raised conflicts.
pub const CONFLICT_RULE: &str = "conflict";

/// Rejection codes of `outlet.update` (besides `unknown_outlet`).
pub mod codes {
    /// The outlet is not on the user's routes, or does not exist.
    pub const UNKNOWN_OUTLET: &str = "unknown_outlet";
    /// The patch's time is further ahead of the server's clock than the allowed drift.
    pub const CLOCK_SKEW: &str = "clock_skew";
    /// The patch names a field outlets do not have (or devices may not change).
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    /// The patch changes no field.
    pub const NO_CHANGES: &str = "no_changes";
    /// A change's `from` equals its `to`.
    pub const UNCHANGED_FIELD: &str = "unchanged_field";
    /// The patch claims a base version the outlet has not reached.
    pub const FUTURE_BASE: &str = "future_base";
    /// The patch is for another record (cannot happen: the record is looked up by the patch).
    pub const WRONG_RECORD: &str = "wrong_record";
    /// A value is longer than core's limit (`satchel_core::sync::edits::MAX_OUTLET_FIELD_CHARS`).
    pub const VALUE_TOO_LONG: &str = "value_too_long";
}

/// The server's node id in its hybrid-logical-clock timestamps.
pub const SERVER_NODE: &str = "server";

/// A patch core accepted, not yet written.
#[derive(Debug)]
pub(super) struct Merged {
    outcome: MergeOutcome,
    /// The server's clock after observing the patch.
    clock: Clock,
    /// The outlet's route (the scope of its feed row).
    route: String,
}

/// The rejection of a patch core refused whole: a stable code and the field concerned.
pub fn merge_rejection(e: &MergeError) -> (&'static str, String) {
    match e {
        MergeError::UnknownFields(fields) => {
            (codes::UNKNOWN_FIELD, format!("changes.{}", fields.first().map_or("", String::as_str)))
        }
        MergeError::NoChanges => (codes::NO_CHANGES, "changes".into()),
        MergeError::Unchanged(f) => (codes::UNCHANGED_FIELD, format!("changes.{f}")),
        MergeError::FutureBase { .. } => (codes::FUTURE_BASE, "base_version".into()),
        MergeError::WrongRecord { .. } => (codes::WRONG_RECORD, "outlet_id".into()),
    }
}

fn rejection(code: &str, reason: String, field: &str) -> Rejection {
    Rejection { code: code.into(), reason, field: Some(field.into()) }
}

/// The server's physical time in Unix milliseconds.
pub(super) fn physical_ms() -> u64 {
    u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0)
}

/// The server's clock, read (and locked for this transaction on PostgreSQL; SQLite's writer
/// already holds the database).
pub(super) async fn lock_clock(conn: &mut AnyConnection, backend: Backend) -> Result<Clock, AppError> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String,)> = sqlx::query_as(&format!("SELECT last FROM server_clock WHERE id = 1{lock}"))
        .fetch_optional(&mut *conn)
        .await?;
    let last = match row {
        Some((text,)) => text.parse::<Hlc>().map_err(|e| AppError::Internal(format!("stored server clock: {e}")))?,
        None => Hlc::new(0, 0, server_node()?),
    };
    Ok(Clock::restore(last, DEFAULT_MAX_DRIFT_MS))
}

/// Stores the server's clock (its latest timestamp).
pub(super) async fn save_clock(conn: &mut AnyConnection, clock: &Clock) -> Result<(), AppError> {
    sqlx::query("UPDATE server_clock SET last = $1 WHERE id = 1")
        .bind(clock.last().to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn server_node() -> Result<NodeId, AppError> {
    NodeId::new(SERVER_NODE).map_err(|e| AppError::Internal(e.to_string()))
}

/// An outlet as the merge sees it.
pub(super) struct StoredOutlet {
    pub(super) route: String,
    pub(super) record: Record,
}

/// An outlet's merge state (locked for this transaction on PostgreSQL), as core's [`Record`]:
/// the stored field states, each editable field never merged yet seeded from its column at
/// version 0 (so a patch of any base applies to it). A column that differs from its stored state
/// (changed outside the merge, e.g. by an import) wins, as a change of the current version.
pub(super) async fn load_outlet(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
) -> Result<Option<StoredOutlet>, AppError> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String, String, String, String, i64, String)> = sqlx::query_as(&format!(
        "SELECT route, phone, address, contact_name, version, field_state FROM outlets WHERE id = $1{lock}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((route, phone, address, contact_name, version, state)) = row else {
        return Ok(None);
    };
    let version = u64::try_from(version).map_err(|_| AppError::Internal(format!("stored outlet version {version}")))?;
    let fields = serde_json::from_str(&state)
        .map_err(|e| AppError::Internal(format!("stored field state of outlet {id}: {e}")))?;
    let mut record = Record { id: id.to_string(), version, fields };
    let node = server_node()?;
    for (field, column) in [("phone", phone), ("address", address), ("contact_name", contact_name)] {
        let seeded = |version| FieldState {
            value: column.clone(),
            changed_at: Hlc::new(0, 0, node.clone()),
            changed_by: SERVER_NODE.into(),
            version,
        };
        match record.fields.get(field) {
            None => {
                record.fields.insert(field.into(), seeded(0));
            }
            Some(s) if s.value != column => {
                record.fields.insert(field.into(), seeded(version));
            }
            Some(_) => {}
        }
    }
    Ok(Some(StoredOutlet { route, record }))
}

/// Writes a merged record back: the columns, the version and the merge state.
pub(super) async fn save_outlet(conn: &mut AnyConnection, record: &Record) -> Result<(), AppError> {
    let state = serde_json::to_string(&record.fields).map_err(|e| AppError::Internal(format!("serialize field state: {e}")))?;
    let version = i64::try_from(record.version).map_err(|_| AppError::Internal("outlet version range".into()))?;
    sqlx::query(
        "UPDATE outlets SET phone = $1, address = $2, contact_name = $3, version = $4, field_state = $5 WHERE id = $6",
    )
    .bind(record.value("phone"))
    .bind(record.value("address"))
    .bind(record.value("contact_name"))
    .bind(version)
    .bind(state)
    .bind(&record.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Checks and merges a patch against the stored outlet; nothing is written yet. The outer error
/// is a server fault; the inner one a verdict on the mutation.
pub(super) async fn check(
    conn: &mut AnyConnection,
    backend: Backend,
    routes: Option<&[String]>,
    auth: &AuthDevice,
    patch: &OutletPatch,
) -> Result<Result<Merged, Rejection>, AppError> {
    // The feed's lock before the outlet's row (see `feed::lock`): a merge records the outlet.
    crate::feed::lock(conn, backend).await?;
    let outlet = load_outlet(conn, backend, &patch.outlet_id)
        .await?
        .filter(|o| routes.is_none_or(|rs| rs.contains(&o.route)));
    let Some(outlet) = outlet else {
        return Ok(Err(rejection(
            codes::UNKNOWN_OUTLET,
            format!("outlet {:?} is not on your routes", patch.outlet_id),
            "outlet_id",
        )));
    };
    // Core's limits, the same the device applied before queueing the edit.
    if let Err(e) = edits::check_patch(patch) {
        let code = match e {
            EditError::NotEditable { .. } => codes::UNKNOWN_FIELD,
            EditError::TooLong { .. } => codes::VALUE_TOO_LONG,
        };
        return Ok(Err(rejection(code, e.to_string(), &format!("changes.{}", e.field()))));
    }
    let core_patch = Patch {
        record_id: patch.outlet_id.clone(),
        base_version: patch.base_version,
        changes: patch.changes.clone(),
        author: auth.username.clone(),
        at: patch.at.clone(),
    };
    let outcome = match merge::apply(&outlet.record, &core_patch, &OUTLET_EDITABLE_FIELDS) {
        Ok(o) => o,
        Err(e) => {
            let (code, field) = merge_rejection(&e);
            return Ok(Err(rejection(code, e.to_string(), &field)));
        }
    };
    let mut clock = lock_clock(conn, backend).await?;
    let now = physical_ms();
    match clock.observe(&patch.at, now) {
        Ok(_) => {}
        Err(HlcError::TooFarAhead { max_drift_ms, .. }) => {
            return Ok(Err(rejection(
                codes::CLOCK_SKEW,
                format!(
                    "the edit's time ({}) is more than {} hours ahead of the server's clock ({}): check the device's date and time",
                    when(&patch.at, None),
                    max_drift_ms / 3_600_000,
                    when_ms(now, None)
                ),
                "at",
            )))
        }
        Err(e @ HlcError::CounterOverflow { .. }) => {
            return Ok(Err(rejection(codes::CLOCK_SKEW, format!("the edit's time cannot be ordered: {e}"), "at")))
        }
    }
    Ok(Ok(Merged { outcome, clock, route: outlet.route }))
}

/// Writes a merged patch in the push's transaction: the outlet when a field applied, the
/// server's clock, one conflict row per overlapping field (once: an open conflict with the same
/// field and proposal is not recorded again); returns the mutation's outcome.
pub(super) async fn store(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
    m: &Mutation,
    seq: i64,
    merged: &Merged,
    received_at: &str,
) -> Result<Outcome, AppError> {
    let out = &merged.outcome;
    if !out.applied.is_empty() {
        save_outlet(conn, &out.record).await?;
        crate::feed::record(conn, Entity::Outlet, &out.record.id, crate::feed::Scope::Route(&merged.route), false).await?;
    }
    save_clock(conn, &merged.clock).await?;
    let mut reasons = Vec::with_capacity(out.conflicts.len());
    for c in &out.conflicts {
        let ours = to_json(&c.ours)?;
        let theirs = to_json(&c.theirs)?;
        let known: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM outlet_conflicts WHERE outlet_id = $1 AND field = $2 AND theirs = $3 AND status = 'open'",
        )
        .bind(&c.record_id)
        .bind(&c.field)
        .bind(&theirs)
        .fetch_optional(&mut *conn)
        .await?;
        if known.is_none() {
            sqlx::query(
                "INSERT INTO outlet_conflicts (id, outlet_id, field, base, base_version, ours, theirs, device_id, seq, \
                 mutation_id, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(&c.record_id)
            .bind(&c.field)
            .bind(&c.base)
            .bind(i64::try_from(c.base_version).map_err(|_| AppError::Internal("base version range".into()))?)
            .bind(ours)
            .bind(theirs)
            .bind(auth.device_id.to_string())
            .bind(seq)
            .bind(m.id.to_string())
            .bind(received_at)
            .execute(&mut *conn)
            .await?;
        }
        reasons.push(FlagReason { rule: CONFLICT_RULE.into(), message: conflict_message(c) });
    }
    tracing::info!(
        outlet = %out.record.id,
        by = %auth.username,
        applied = ?out.applied,
        conflicts = out.conflicts.len(),
        version = out.record.version,
        "outlet merged"
    );
    Ok(if reasons.is_empty() { Outcome::Applied } else { Outcome::Flagged { reasons } })
}

/// How many conflicts the results of a push raised (for `satchel_conflicts_total`).
pub(super) fn conflicts_in(results: &[MutationResult]) -> u64 {
    results
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Flagged { reasons } => reasons.iter().filter(|f| f.rule == CONFLICT_RULE).count() as u64,
            _ => 0,
        })
        .sum()
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("serialize: {e}")))
}

/// A value as a sentence shows it.
fn shown(v: &str) -> &str {
    if v.is_empty() {
        "(empty)"
    } else {
        v
    }
}

/// An HLC time as `2026-11-22 10:04` (UTC), or only `10:04` when on the same day as `day_of`.
pub(super) fn when(at: &Hlc, day_of: Option<&Hlc>) -> String {
    when_ms(at.wall_ms, day_of.map(|d| d.wall_ms))
}

fn when_ms(ms: u64, day_of: Option<u64>) -> String {
    let time = |ms: u64| i64::try_from(ms).ok().and_then(DateTime::<Utc>::from_timestamp_millis);
    let Some(t) = time(ms) else { return format!("{ms} ms") };
    match day_of.and_then(time) {
        Some(d) if d.date_naive() == t.date_naive() => t.format("%H:%M").to_string(),
        _ => t.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// The flag reason's sentence: `phone: kept 555-0101 (rep1, 2026-11-22 10:04) over 555-0199
/// (rep2, 10:06); a supervisor decides`.
pub fn conflict_message(c: &Conflict) -> String {
    format!(
        "{}: kept {} ({}, {}) over {} ({}, {}); a supervisor decides",
        c.field,
        shown(&c.ours.value),
        c.ours.changed_by,
        when(&c.ours.changed_at, None),
        shown(&c.theirs.value),
        c.theirs.by,
        when(&c.theirs.at, Some(&c.ours.changed_at)),
    )
}
