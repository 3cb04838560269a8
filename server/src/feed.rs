//! The pull feed: every change to a record devices hold bumps the record's row in `feed` to a
//! new version (see `migrations/0005_sync.sql`); `GET /api/v1/sync/pull` reads the rows after a
//! device's checkpoint and returns each record as it is now.
//!
//! Writers call [`record`] in the same transaction as the change itself.

use chrono::Utc;
use satchel_core::sync::protocol::Entity;
use sqlx::AnyConnection;

use crate::db::timestamp;
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
