//! Tasks the office assigns to reps at outlets (a visit, a delivery, a shelf check). Devices get
//! the user's own tasks through the pull (entity `task`, data [`TaskView`]) and complete them
//! with the `task.complete` mutation; the office sees and withdraws them here.
//!
//! - `GET /api/v1/tasks?status=open|done|cancelled|all` (default `open`, full token): a
//!   supervisor's answer holds every task, a rep's only their own; by due date, then id.
//! - `POST /api/v1/tasks/{id}/cancel` (full token, **supervisor only**: a rep gets `403
//!   forbidden`): an open task becomes `cancelled`, in one transaction with its feed row, so the
//!   assignee's devices learn it with their next pull and a later `task.complete` of it is
//!   rejected `task_closed`. `200` with the task; cancelling a cancelled task changes nothing and
//!   answers `200` again; `409 already_resolved` when it is done; `404 not_found` for an unknown
//!   id.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use chrono::{NaiveDate, Utc};
use satchel_core::sync::protocol::{Entity, TaskStatus, TaskView};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::auth::{AuthDevice, Role};
use crate::db::{placeholders, timestamp, Backend, Db};
use crate::errors::AppError;
use crate::feed::{self, Scope};
use crate::AppState;

/// A task as the office sees it: the device's view, who it is for and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskItem {
    /// What the assignee's devices get.
    #[serde(flatten)]
    pub task: TaskView,
    /// The rep it is assigned to.
    pub assignee: String,
    /// The `task.complete` mutation that completed it (its id; the assignee completed it).
    pub completed_by: Option<String>,
    /// When (device clock, RFC 3339).
    pub completed_at: Option<String>,
    /// The rep's note.
    pub note: Option<String>,
    /// The photos of the completion (blob references).
    pub photos: serde_json::Value,
    /// When the server last changed it (RFC 3339).
    pub updated_at: String,
}

/// The list answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskList {
    /// The tasks, by due date (undated last), then id.
    pub items: Vec<TaskItem>,
}

const SELECT: &str = "SELECT id, outlet_id, assignee, kind, title, details, due_date, status, completed_by, \
     completed_at, note, photos, updated_at, items FROM tasks";

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

/// A stored status.
pub fn status_of(text: &str) -> Result<TaskStatus, AppError> {
    match text {
        "open" => Ok(TaskStatus::Open),
        "done" => Ok(TaskStatus::Done),
        "cancelled" => Ok(TaskStatus::Cancelled),
        other => Err(AppError::Internal(format!("stored task status {other:?}"))),
    }
}

fn item(r: Row) -> Result<TaskItem, AppError> {
    let (id, outlet_id, assignee, kind, title, details, due, status, completed_by, completed_at, note, photos, updated_at, items) =
        r;
    let due_date = due
        .map(|d| {
            NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                .map_err(|e| AppError::Internal(format!("stored due date of task {id} {d:?}: {e}")))
        })
        .transpose()?;
    let photos = serde_json::from_str(&photos)
        .map_err(|e| AppError::Internal(format!("stored photos of task {id}: {e}")))?;
    let items = serde_json::from_str(&items).map_err(|e| AppError::Internal(format!("stored items of task {id}: {e}")))?;
    Ok(TaskItem {
        task: TaskView { status: status_of(&status)?, id, outlet_id, kind, title, details, due_date, items },
        assignee,
        completed_by,
        completed_at,
        note,
        photos,
        updated_at,
    })
}

/// The tasks with the ids `ids` (those that exist), by id (the pull's batch load).
pub async fn tasks_by_id(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<TaskItem>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{SELECT} WHERE id IN ({}) ORDER BY id", placeholders(1, ids.len()));
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows: Vec<Row> = q.fetch_all(&mut *conn).await?;
    rows.into_iter().map(item).collect()
}

/// `GET /api/v1/tasks`.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
    RawQuery(query): RawQuery,
) -> Result<Json<TaskList>, AppError> {
    let status = super::status_filter(query.as_deref(), &["open", "done", "cancelled", "all"])?;
    let mut conditions = Vec::new();
    let mut binds = Vec::new();
    if status != "all" {
        binds.push(status);
        conditions.push(format!("status = ${}", binds.len()));
    }
    if auth.role != Role::Supervisor {
        binds.push(auth.username.clone());
        conditions.push(format!("assignee = ${}", binds.len()));
    }
    let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    // Undated tasks last on both backends (SQLite sorts NULL first, PostgreSQL last).
    let sql = format!("{SELECT}{filter} ORDER BY CASE WHEN due_date IS NULL THEN 1 ELSE 0 END, due_date, id");
    let mut q = sqlx::query_as(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    let rows: Vec<Row> = q.fetch_all(&state.db.pool).await?;
    let items = rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(Json(TaskList { items }))
}

/// `POST /api/v1/tasks/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(id): Path<String>,
) -> Result<Json<TaskItem>, AppError> {
    if auth.role != Role::Supervisor {
        return Err(AppError::Forbidden("only a supervisor may cancel tasks".into()));
    }
    let task = cancel_task(&state.db, &id).await?;
    tracing::info!(task = %id, by = %auth.username, status = ?task.task.status, "task cancelled");
    Ok(Json(task))
}

/// The office withdraws a task: an open task becomes `cancelled` (and its feed row moves, in the
/// same transaction); a cancelled one is left as it is. A done task cannot be cancelled
/// (`already_resolved`); an unknown one is `not_found`.
///
/// Lock order (PostgreSQL): the feed's lock first ([`feed::lock`]), then the task's row, like
/// every writer of records devices hold.
pub async fn cancel_task(db: &Db, id: &str) -> Result<TaskItem, AppError> {
    let mut tx = db.begin_write().await?;
    feed::lock(&mut tx, db.backend).await?;
    let lock = if db.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE id = $1{lock}"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = row else {
        return Err(AppError::NoSuchItem(format!("no task {id:?}")));
    };
    let current = item(row)?;
    match current.task.status {
        TaskStatus::Cancelled => return Ok(current),
        TaskStatus::Done => {
            return Err(AppError::AlreadyResolved(format!("task {id} is done: it can no longer be cancelled")))
        }
        TaskStatus::Open => {}
    }
    sqlx::query("UPDATE tasks SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'open'")
        .bind(timestamp(Utc::now()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    feed::record(&mut tx, Entity::Task, id, Scope::User(&current.assignee), false).await?;
    let after: Row = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    item(after)
}
