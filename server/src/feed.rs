//! The pull feed: every change to a record devices hold bumps the record's row in `feed` to a
//! new version (see `migrations/0005_sync.sql`); `GET /api/v1/sync/pull` reads the rows after a
//! device's checkpoint and returns each record as it is now.
//!
//! Writers call [`record`] in the same transaction as the change itself.

use chrono::Utc;
use satchel_core::sync::protocol::Entity;
use sqlx::AnyConnection;

use crate::db::{timestamp, Backend};
use crate::errors::AppError;

/// Who may see a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every signed-in user.
    Everyone,
    /// Users working the route (and supervisors).
    Route(&'a str),
    /// One user (all their devices).
    User(&'a str),
    /// One device.
    Device(&'a str),
}

impl Scope<'_> {
    /// As stored in `feed.scope`.
    pub fn stored(&self) -> String {
        match self {
            Scope::Everyone => String::new(),
            Scope::Route(r) => format!("route:{r}"),
            Scope::User(u) => format!("user:{u}"),
            Scope::Device(d) => format!("device:{d}"),
        }
    }
}

/// The entity's name as stored in `feed.entity` (its wire name).
pub fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Settings => "settings",
        Entity::RuleSet => "rule_set",
        Entity::Product => "product",
        Entity::PriceList => "price_list",
        Entity::Outlet => "outlet",
        Entity::VanStock => "van_stock",
        Entity::Task => "task",
        Entity::MutationResult => "mutation_result",
    }
}

/// Records that `entity`/`key` changed (or was deleted), visible to `scope`, at the next feed
/// version. Call it in the transaction that makes the change.
pub async fn record(
    conn: &mut AnyConnection,
    entity: Entity,
    key: &str,
    scope: Scope<'_>,
    deleted: bool,
) -> Result<u64, AppError> {
    let (version,): (i64,) =
        sqlx::query_as("UPDATE feed_counter SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO feed (entity, entity_key, version, scope, prev_scope, deleted, changed_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6) \
         ON CONFLICT (entity, entity_key) DO UPDATE SET \
           version = excluded.version, \
           prev_scope = CASE WHEN feed.scope <> excluded.scope THEN feed.scope ELSE feed.prev_scope END, \
           scope = excluded.scope, deleted = excluded.deleted, changed_at = excluded.changed_at",
    )
    .bind(entity_name(entity))
    .bind(key)
    .bind(version)
    .bind(scope.stored())
    .bind(i64::from(deleted))
    .bind(timestamp(Utc::now()))
    .execute(&mut *conn)
    .await?;
    u64::try_from(version).map_err(|_| AppError::Internal("feed version".into()))
}

/// Takes the feed's writer lock for this transaction before any other row lock it will take
/// (PostgreSQL: the `feed_counter` row, `SELECT … FOR UPDATE`; SQLite's writer already holds the
/// database, so nothing to do).
///
/// The lock order of every writer is: the device's row (a push), then the feed counter, then the
/// rows it changes (outlets, van stock, tasks, conflicts). A writer that would lock such a row
/// before calling [`record`] takes this lock first, so two writers never wait on each other in
/// opposite orders (e.g. a push holding the counter for its first order while locking the
/// outlet of its second, and another push holding that outlet while waiting for the counter).
pub async fn lock(conn: &mut AnyConnection, backend: Backend) -> Result<(), AppError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT version FROM feed_counter WHERE id = 1 FOR UPDATE")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Rows per multi-row INSERT of [`record_many`].
const RECORD_BATCH: usize = 200;

/// Records many changes of one entity at once (the seed, bulk imports): like [`record`] for each
/// `(key, scope)` in order, with consecutive versions taken in one counter update. Returns the
/// last version (the counter's value when `items` is empty).
pub async fn record_many(
    conn: &mut AnyConnection,
    entity: Entity,
    items: &[(String, Scope<'_>)],
) -> Result<u64, AppError> {
    let n = i64::try_from(items.len()).map_err(|_| AppError::Internal("feed batch size".into()))?;
    let (last,): (i64,) =
        sqlx::query_as("UPDATE feed_counter SET version = version + $1 WHERE id = 1 RETURNING version")
            .bind(n)
            .fetch_one(&mut *conn)
            .await?;
    let changed_at = timestamp(Utc::now());
    let mut version = last - n;
    for chunk in items.chunks(RECORD_BATCH) {
        let sql = format!(
            "INSERT INTO feed (entity, entity_key, version, scope, prev_scope, deleted, changed_at) VALUES {} \
             ON CONFLICT (entity, entity_key) DO UPDATE SET \
               version = excluded.version, \
               prev_scope = CASE WHEN feed.scope <> excluded.scope THEN feed.scope ELSE feed.prev_scope END, \
               scope = excluded.scope, deleted = excluded.deleted, changed_at = excluded.changed_at",
            (0..chunk.len())
                .map(|r| {
                    let b = r * 5;
                    format!("(${}, ${}, ${}, ${}, NULL, 0, ${})", b + 1, b + 2, b + 3, b + 4, b + 5)
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (key, scope) in chunk {
            version += 1;
            q = q
                .bind(entity_name(entity))
                .bind(key.as_str())
                .bind(version)
                .bind(scope.stored())
                .bind(changed_at.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    u64::try_from(last).map_err(|_| AppError::Internal("feed version".into()))
}

/// The latest version written (committed, as this transaction sees it).
pub async fn current_version(conn: &mut AnyConnection) -> Result<u64, AppError> {
    let (v,): (i64,) = sqlx::query_as("SELECT version FROM feed_counter WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    u64::try_from(v).map_err(|_| AppError::Internal("feed version".into()))
}
