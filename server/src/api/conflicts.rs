//! The supervisor's queue of conflicting outlet edits: fields two reps changed concurrently
//! (see [`super::outlet_update`]); the server kept the value it had and queued the other.
//!
//! - `GET /api/v1/conflicts?status=open|resolved|all` (default `open`): the items, oldest first.
//! - `POST /api/v1/conflicts/{id}/resolve` with `{"choice": "ours"|"theirs"|"value",
//!   "value": "…"}` (`value` with, and only with, `"choice": "value"`): the field takes the
//!   kept value (`ours`, nothing changes), the proposed one (`theirs`) or the supervisor's own,
//!   by core's [`merge::resolve`]. A change is written to the outlet and raises its version, and
//!   moves the outlet's pull feed row, so devices learn it with their next pull. `200` with the resolved item; `404
//!   not_found` for an unknown id; `409 already_resolved`; `409 stale_conflict` when the field
//!   changed since the conflict was recorded (the item is then brought up to date with the
//!   current value: review it again); `400 malformed_json` for a bad body.
//!
//! Both need the full token of a supervisor's device: a rep gets `403 forbidden`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use satchel_core::sync::hlc::{Hlc, HlcError};
use satchel_core::sync::merge::{self, Conflict, FieldState, Proposal, Resolution, ResolveError};
use satchel_core::sync::protocol::{ApiError, Entity};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::outlet_update::{self, load_outlet, lock_clock, save_clock, save_outlet, to_json};
use super::JsonBody;
use crate::auth::AuthDevice;
use crate::db::{timestamp, Backend};
use crate::errors::AppError;
use crate::AppState;

/// The code of a resolution refused because the field changed since the conflict was recorded.
pub const STALE_CONFLICT: &str = "stale_conflict";

/// One conflict in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ConflictItem {
    /// Its id (a UUID).
    pub id: String,
    /// The outlet.
    pub outlet_id: String,
    /// The outlet's name.
    pub outlet_name: String,
    /// The field (`phone`, `address` or `contact_name`).
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "\"phone\" | \"address\" | \"contact_name\""))]
    pub field: String,
    /// The value the rep's edit started from.
    pub base: String,
    /// The outlet version the rep's edit was based on.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub base_version: u64,
    /// The server's value, kept: who set it, when (hybrid logical clock), at which version.
    pub ours: FieldState,
    /// The rep's value, not applied: who proposed it and when.
    pub theirs: Proposal,
    /// The device that sent the edit.
    pub device_id: String,
    /// `open` or `resolved`.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "\"open\" | \"resolved\""))]
    pub status: String,
    /// When the server recorded it (RFC 3339).
    pub created_at: String,
    /// The supervisor who resolved it.
    pub resolved_by: Option<String>,
    /// When (RFC 3339).
    pub resolved_at: Option<String>,
    /// The decision.
    pub resolution: Option<ResolutionRecord>,
}

/// A decision as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ResolutionRecord {
    /// `ours`, `theirs` or `value`.
    pub choice: Choice,
    /// The value the field has after the resolution.
    pub value: String,
    /// The server's clock at the resolution (the field's `changed_at` when it changed).
    pub at: Hlc,
    /// The outlet's version after the resolution.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "number"))]
    pub version: u64,
}

/// The list answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ConflictList {
    /// Items, oldest first.
    pub items: Vec<ConflictItem>,
}

/// A supervisor's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Keep the server's value.
    Ours,
    /// Take the rep's proposal.
    Theirs,
    /// Set the value given.
    Value,
}

/// The body of a resolution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// What the field takes.
    pub choice: Choice,
    /// The value, with `"choice": "value"` only.
    #[serde(default)]
    pub value: Option<String>,
}

/// A failure of these endpoints: the API's, or a stale conflict (`409 stale_conflict`).
#[derive(Debug)]
pub enum ConflictError {
    /// An [`AppError`].
    App(AppError),
    /// The field changed since the conflict was recorded.
    Stale(String),
}

impl From<AppError> for ConflictError {
    fn from(e: AppError) -> Self {
        ConflictError::App(e)
    }
}

impl From<sqlx::Error> for ConflictError {
    fn from(e: sqlx::Error) -> Self {
        ConflictError::App(e.into())
    }
}

impl IntoResponse for ConflictError {
    fn into_response(self) -> Response {
        match self {
            ConflictError::App(e) => e.into_response(),
            ConflictError::Stale(message) => (
                StatusCode::CONFLICT,
                Json(ApiError { code: STALE_CONFLICT.into(), message, field: None }),
            )
                .into_response(),
        }
    }
}

fn supervisor(auth: &AuthDevice) -> Result<(), AppError> {
    super::require_supervisor(auth, "outlet conflicts")
}

const SELECT: &str = "SELECT c.id, c.outlet_id, t.name, c.field, c.base, c.base_version, c.ours, c.theirs, c.device_id, \
     c.status, c.created_at, c.resolved_by, c.resolved_at, c.resolution \
     FROM outlet_conflicts c JOIN outlets t ON t.id = c.outlet_id";

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored conflict {what}: {e}")))
}

fn item(r: Row) -> Result<ConflictItem, AppError> {
    Ok(ConflictItem {
        base_version: u64::try_from(r.5).map_err(|_| AppError::Internal(format!("stored base version {}", r.5)))?,
        ours: json(&r.6, "ours")?,
        theirs: json(&r.7, "theirs")?,
        resolution: r.13.as_deref().map(|t| json(t, "resolution")).transpose()?,
        id: r.0,
        outlet_id: r.1,
        outlet_name: r.2,
        field: r.3,
        base: r.4,
        device_id: r.8,
        status: r.9,
        created_at: r.10,
        resolved_by: r.11,
        resolved_at: r.12,
    })
}

async fn item_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<ConflictItem>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(item).transpose()
}

/// `GET /api/v1/conflicts`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
    RawQuery(query): RawQuery,
) -> Result<Json<ConflictList>, AppError> {
    supervisor(&auth)?;
    let status = super::status_filter(query.as_deref(), &["open", "resolved", "all"])?;
    let order = " ORDER BY c.created_at, c.id";
    let rows: Vec<Row> = if status == "all" {
        sqlx::query_as(&format!("{SELECT}{order}")).fetch_all(&state.db.pool).await?
    } else {
        sqlx::query_as(&format!("{SELECT} WHERE c.status = $1{order}"))
            .bind(&status)
            .fetch_all(&state.db.pool)
            .await?
    };
    let items = rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(Json(ConflictList { items }))
}

/// `POST /api/v1/conflicts/{id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(id): Path<String>,
    body: Result<JsonBody<ResolveRequest>, AppError>,
) -> Result<Json<ConflictItem>, ConflictError> {
    supervisor(&auth)?;
    let JsonBody(req) = body?;
    let resolution = match (req.choice, req.value) {
        (Choice::Ours, None) => Resolution::Ours,
        (Choice::Theirs, None) => Resolution::Theirs,
        (Choice::Value, Some(v)) => Resolution::Value(v),
        (Choice::Value, None) => return Err(AppError::MalformedJson("\"choice\": \"value\" needs a \"value\"".into()).into()),
        (_, Some(_)) => {
            return Err(AppError::MalformedJson("\"value\" goes with \"choice\": \"value\" only".into()).into())
        }
    };
    let backend = state.db.backend;
    // One writer: SQLite's write lock, or the conflict's, the outlet's and the clock's rows.
    let mut tx = state.db.begin_write().await?;
    // The feed's lock first, then the conflict's, the outlet's and the clock's rows (see
    // `feed::lock`): a resolution that changes the outlet records it in the feed.
    crate::feed::lock(&mut tx, backend).await?;
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<(String, String, String, i64, String, String, String)> = sqlx::query_as(&format!(
        "SELECT outlet_id, field, base, base_version, ours, theirs, status FROM outlet_conflicts WHERE id = $1{lock}"
    ))
    .bind(&id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((outlet_id, field, base, base_version, ours, theirs, status)) = row else {
        return Err(AppError::NoSuchItem(format!("no outlet conflict {id:?}")).into());
    };
    if status != "open" {
        return Err(AppError::AlreadyResolved(format!("conflict {id} was already resolved")).into());
    }
    let conflict = Conflict {
        record_id: outlet_id.clone(),
        field,
        base,
        base_version: u64::try_from(base_version).map_err(|_| AppError::Internal("stored base version".into()))?,
        ours: json(&ours, "ours")?,
        theirs: json(&theirs, "theirs")?,
    };
    let outlet = load_outlet(&mut tx, backend, &outlet_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("conflict {id} names outlet {outlet_id}, which is gone")))?;
    let mut clock = lock_clock(&mut tx, backend).await?;
    let at = clock.now(outlet_update::physical_ms()).map_err(|e: HlcError| AppError::Internal(format!("server clock: {e}")))?;
    let record = match merge::resolve(&outlet.record, &conflict, &resolution, &auth.username, at.clone()) {
        Ok(r) => r,
        Err(ResolveError::Stale { field, .. }) => {
            // Bring the item up to date: the supervisor reviews the current value, and a retry
            // resolves against it.
            let current = outlet.record.fields.get(&field).cloned().unwrap_or_else(|| FieldState {
                value: String::new(),
                changed_at: at.clone(),
                changed_by: String::new(),
                version: outlet.record.version,
            });
            sqlx::query("UPDATE outlet_conflicts SET ours = $1 WHERE id = $2")
                .bind(to_json(&current)?)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Err(ConflictError::Stale(format!(
                "{field} of outlet {outlet_id} changed since the conflict was recorded: it is now {:?} ({}, {}); \
                 the conflict shows the current value, review it again",
                current.value,
                current.changed_by,
                outlet_update::when(&current.changed_at, None),
            )));
        }
        Err(e @ ResolveError::WrongRecord { .. }) => return Err(AppError::Internal(e.to_string()).into()),
    };
    if record != outlet.record {
        save_outlet(&mut tx, &record).await?;
        crate::feed::record(&mut tx, Entity::Outlet, &outlet_id, crate::feed::Scope::Route(&outlet.route), false).await?;
    }
    save_clock(&mut tx, &clock).await?;
    let decided = ResolutionRecord {
        choice: req.choice,
        value: record.value(&conflict.field).to_string(),
        at,
        version: record.version,
    };
    sqlx::query(
        "UPDATE outlet_conflicts SET status = 'resolved', resolved_by = $1, resolved_at = $2, resolution = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(&auth.username)
    .bind(timestamp(Utc::now()))
    .bind(to_json(&decided)?)
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let item = item_by_id(&mut tx, &id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("conflict {id} vanished")))?;
    tx.commit().await?;
    tracing::info!(%id, outlet = %outlet_id, field = %conflict.field, choice = ?req.choice, by = %auth.username, version = record.version, "outlet conflict resolved");
    Ok(Json(item))
}
