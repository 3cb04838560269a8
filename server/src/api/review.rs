//! The supervisor's review queue: v2 orders the server applied and flagged (a `warn_and_flag`
//! finding under its own data, e.g. over the credit limit).
//!
//! - `GET /api/v1/review?status=open|approved|rejected|all` (default `open`): the items, oldest
//!   first.
//! - `POST /api/v1/review/{order_id}/resolve` with `{"decision": "approve"|"reject",
//!   "note": "…"}`: `200` with the updated item; `404 not_found` for an order that is not in the
//!   queue; `409 already_resolved` when it was resolved before.
//!
//! Both need the full token of a supervisor's device: a rep gets `403 forbidden`. Resolving
//! records the decision; the order stands either way (what a rejection means for delivery and
//! invoicing is the ERP's business).

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::Utc;
use satchel_core::sales::rule_code;
use satchel_core::sync::protocol::FlagReason;
use satchel_core::validation::Finding;
use serde::{Deserialize, Serialize};

use super::JsonBody;
use crate::auth::AuthDevice;
use crate::db::timestamp;
use crate::errors::AppError;
use crate::AppState;

/// Longest note kept (longer notes are cut).
pub const MAX_NOTE_CHARS: usize = 1000;

/// One flagged order in the queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewItem {
    /// The order.
    pub order_id: String,
    /// Its document number.
    pub document_number: Option<String>,
    /// `sale` or `return`.
    pub kind: String,
    /// The outlet.
    pub outlet_id: String,
    /// The outlet's name.
    pub outlet_name: String,
    /// The rep (from the device's registration).
    pub username: String,
    /// The device that pushed it.
    pub device_id: String,
    /// The order's total (amount due), as the server recomputed it.
    pub total: String,
    /// When the rep committed it (device clock).
    pub committed_at: String,
    /// Why it was flagged: one per finding, `rule` as in the push's `flagged` outcome.
    pub reasons: Vec<FlagReason>,
    /// The findings in full (field, details, the age of the data relied on).
    pub findings: Vec<Finding>,
    /// `open`, `approved` or `rejected`.
    pub status: String,
    /// When the server flagged it.
    pub created_at: String,
    /// The supervisor who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<String>,
    /// The supervisor's note.
    pub note: Option<String>,
}

/// The list answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewList {
    /// Items, oldest flagged first.
    pub items: Vec<ReviewItem>,
}

/// The body of a resolution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// `approve` or `reject`.
    pub decision: Decision,
    /// Why, for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// A supervisor's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The order goes ahead.
    Approve,
    /// The order is refused (for the ERP to act on).
    Reject,
}

fn supervisor(auth: &AuthDevice) -> Result<(), AppError> {
    super::require_supervisor(auth, "the review queue")
}

const SELECT: &str = "SELECT r.order_id, o.document_number, o.kind, o.outlet_id, t.name, r.username, r.device_id, \
     o.total, o.committed_at, r.reasons, r.status, r.created_at, r.resolved_by, r.resolved_at, r.note \
     FROM review_queue r JOIN orders o ON o.order_id = r.order_id JOIN outlets t ON t.id = o.outlet_id";

type Row = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn item(r: Row) -> Result<ReviewItem, AppError> {
    let findings: Vec<Finding> =
        serde_json::from_str(&r.9).map_err(|e| AppError::Internal(format!("stored review reasons: {e}")))?;
    Ok(ReviewItem {
        reasons: findings
            .iter()
            .map(|f| FlagReason { rule: rule_code(f.rule).into(), message: f.message.clone() })
            .collect(),
        findings,
        order_id: r.0,
        document_number: r.1,
        kind: r.2,
        outlet_id: r.3,
        outlet_name: r.4,
        username: r.5,
        device_id: r.6,
        total: r.7,
        committed_at: r.8,
        status: r.10,
        created_at: r.11,
        resolved_by: r.12,
        resolved_at: r.13,
        note: r.14,
    })
}

/// `GET /api/v1/review`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
    RawQuery(query): RawQuery,
) -> Result<Json<ReviewList>, AppError> {
    supervisor(&auth)?;
    let status = super::status_filter(query.as_deref(), &["open", "approved", "rejected", "all"])?;
    let order = " ORDER BY r.created_at, r.order_id";
    let rows: Vec<Row> = if status == "all" {
        sqlx::query_as(&format!("{SELECT}{order}")).fetch_all(&state.db.pool).await?
    } else {
        sqlx::query_as(&format!("{SELECT} WHERE r.status = $1{order}"))
            .bind(&status)
            .fetch_all(&state.db.pool)
            .await?
    };
    let items = rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(Json(ReviewList { items }))
}

/// `POST /api/v1/review/{order_id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(order_id): Path<String>,
    body: Result<JsonBody<ResolveRequest>, AppError>,
) -> Result<Json<ReviewItem>, AppError> {
    supervisor(&auth)?;
    let JsonBody(req) = body?;
    let status = match req.decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
    };
    let note = req.note.map(|n| n.trim().chars().take(MAX_NOTE_CHARS).collect::<String>());
    // Only an open item changes: two supervisors resolving at once, one wins, one gets 409.
    let done = sqlx::query(
        "UPDATE review_queue SET status = $1, resolved_by = $2, resolved_at = $3, note = $4 \
         WHERE order_id = $5 AND status = 'open'",
    )
    .bind(status)
    .bind(&auth.username)
    .bind(timestamp(Utc::now()))
    .bind(&note)
    .bind(&order_id)
    .execute(&state.db.pool)
    .await?;
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE r.order_id = $1"))
        .bind(&order_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Err(AppError::NoSuchItem(format!("order {order_id:?} is not in the review queue")));
    };
    if done.rows_affected() == 0 {
        return Err(AppError::AlreadyResolved(format!("order {order_id} was already resolved ({})", row.10)));
    }
    state.metrics.review_resolved();
    tracing::info!(%order_id, decision = status, by = %auth.username, "review resolved");
    item(row).map(Json)
}
