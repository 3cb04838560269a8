//! The pull feed: every change to a record devices hold bumps the record's row in `feed` to a
//! new version (see `migrations/0005_sync.sql`); `GET /api/v1/sync/pull` reads the rows after a
//! device's checkpoint and returns each record as it is now.
//!
//! Writers call [`record`] in the same transaction as the change itself.
//!
//! A row's place in the feed is its [`Position`], `(xid, version)`:
//! - on SQLite the single writer takes versions from `feed_counter` in commit order, and `xid`
//!   is 0;
//! - on PostgreSQL `xid` is the writing transaction's id and `version` comes from the sequence
//!   `feed_versions`, so writers never wait on each other for them. A pull reads only the rows
//!   of transactions older than its snapshot's oldest running one ([`postgres_horizon`]): those are all
//!   committed (or gone) and no later writer can take a position below them. See
//!   docs/sync-protocol.md, "Order and completeness", for the argument.

use chrono::Utc;
use satchel_core::sync::protocol::Entity;
use sqlx::{AnyConnection, AnyPool, Connection};

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

/// Where a feed row sits: rows are read in this order (see the module's documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// The writing transaction's id on PostgreSQL; 0 on SQLite and for rows written before
    /// migration 0014.
    pub xid: u64,
    /// The version taken when the row last changed.
    pub version: u64,
}

/// What one pull's snapshot may read of the feed.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    /// Rows with an `xid` below this are final: every transaction of this database below it
    /// has ended.
    pub xid_below: u64,
    /// Rows with a version above this are not read (SQLite: the counter as the snapshot sees it).
    pub version_max: u64,
    /// The furthest position this database has handed out: a checkpoint beyond it was written
    /// by another database (a restored backup).
    pub latest: Position,
    /// Part of every checkpoint's view (see migration 0014); 0 until the feed is renumbered.
    pub epoch: u64,
}

impl Horizon {
    /// Whether `cp` lies beyond anything this database wrote.
    pub fn beyond(&self, cp: Position) -> bool {
        cp.xid > self.latest.xid || cp.version > self.latest.version
    }
}

/// How many times [`postgres_horizon`] reads PostgreSQL's running transactions while one of them cannot
/// be placed in a database.
const HORIZON_ATTEMPTS: usize = 3;

/// SQLite: the feed's horizon for a pull, read in the pull's own read transaction `conn` (the
/// counter as its snapshot sees it).
pub async fn sqlite_horizon(conn: &mut AnyConnection) -> Result<Horizon, AppError> {
    let (v, epoch): (i64, i64) = sqlx::query_as("SELECT version, epoch FROM feed_counter WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let head = Position { xid: 0, version: position(v)? };
    Ok(Horizon { xid_below: 1, version_max: head.version, latest: head, epoch: position(epoch)? })
}

/// PostgreSQL: the feed's horizon for a pull, read *before* the pull's snapshot, in statements
/// of their own on a connection of `pool` (taken and given back before the pull's transaction
/// begins, so a pull never holds two). Every transaction of this database below the bound had
/// ended by then, so the pull's later snapshot sees all their rows.
///
/// The bound is the oldest transaction still running in this database as a snapshot sees it
/// (`xip`), or the snapshot's `xmax` when none is. A running transaction that
/// `pg_stat_activity` places in another database (the cluster's ids are shared) does not hold
/// pulls back, nor does a prepared transaction `pg_prepared_xacts` places there. One it cannot
/// place (it ended between the snapshot and the read) counts as this database's; while there is
/// one, the read is tried again, up to [`HORIZON_ATTEMPTS`] times, keeping the highest bound
/// (each is valid on its own).
pub async fn postgres_horizon(pool: &AnyPool) -> Result<Horizon, AppError> {
    let mut best: Option<Horizon> = None;
    for _ in 0..HORIZON_ATTEMPTS {
        let (below, unplaced, xmax, last, epoch): (i64, i64, i64, i64, i64) = sqlx::query_as(
            "WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s), \
                  running AS (SELECT x::text::bigint AS xid, COALESCE(a.datname, p.database) AS datname \
                              FROM snap CROSS JOIN LATERAL pg_snapshot_xip(snap.s) AS x \
                              LEFT JOIN pg_stat_activity a ON a.backend_xid = x::xid \
                              LEFT JOIN pg_prepared_xacts p ON p.transaction = x::xid) \
             SELECT COALESCE((SELECT MIN(xid) FROM running WHERE datname IS NULL OR datname = current_database()), \
                             (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap)), \
                    (SELECT COUNT(*) FROM running WHERE datname IS NULL), \
                    (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap), \
                    (SELECT last_value FROM feed_versions), \
                    (SELECT epoch FROM feed_counter WHERE id = 1)",
        )
        .fetch_one(pool)
        .await?;
        let h = Horizon {
            xid_below: position(below)?,
            version_max: i64::MAX.unsigned_abs(),
            latest: Position { xid: position(xmax)?, version: position(last)? },
            epoch: position(epoch)?,
        };
        if best.is_none_or(|b| h.xid_below > b.xid_below) {
            best = Some(h);
        }
        if unplaced == 0 {
            break;
        }
    }
    best.ok_or_else(|| AppError::Internal("no feed horizon".into()))
}

/// A feed position's part (a transaction id, a version) as stored: never negative.
pub fn position(v: i64) -> Result<u64, AppError> {
    u64::try_from(v).map_err(|_| AppError::Internal(format!("feed position {v} out of range")))
}

/// A feed position's part as bound to a query.
pub fn stored(n: u64) -> Result<i64, AppError> {
    i64::try_from(n).map_err(|_| AppError::Internal(format!("feed position {n} out of range")))
}

/// Whether this connection talks to PostgreSQL (the feed's writers are handed a connection
/// only).
fn on_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// The SQL that writes one feed row (`$1` entity, `$2` key, `$3` scope, `$4` deleted, `$5`
/// changed_at, and on SQLite `$6` version) and replaces the row of the same record.
const UPSERT: &str = "ON CONFLICT (entity, entity_key) DO UPDATE SET \
       version = excluded.version, xid = excluded.xid, \
       prev_scope = CASE WHEN feed.scope <> excluded.scope THEN feed.scope ELSE feed.prev_scope END, \
       scope = excluded.scope, deleted = excluded.deleted, changed_at = excluded.changed_at";

/// The version and xid of a row written now: PostgreSQL's sequence and transaction id, or the
/// SQLite version bound at `$n` and 0.
fn version_and_xid(postgres: bool, n: usize) -> String {
    if postgres {
        "nextval('feed_versions'), pg_current_xact_id()::text::bigint".to_string()
    } else {
        format!("${n}, 0")
    }
}

/// Records that `entity`/`key` changed (or was deleted), visible to `scope`, at the next feed
/// position. Call it in the transaction that makes the change.
pub async fn record(
    conn: &mut AnyConnection,
    entity: Entity,
    key: &str,
    scope: Scope<'_>,
    deleted: bool,
) -> Result<(), AppError> {
    let postgres = on_postgres(conn);
    let version = if postgres {
        None
    } else {
        let (v,): (i64,) =
            sqlx::query_as("UPDATE feed_counter SET version = version + 1 WHERE id = 1 RETURNING version")
                .fetch_one(&mut *conn)
                .await?;
        Some(v)
    };
    let sql = format!(
        "INSERT INTO feed (entity, entity_key, scope, deleted, changed_at, prev_scope, version, xid) \
         VALUES ($1, $2, $3, $4, $5, NULL, {}) {UPSERT}",
        version_and_xid(postgres, 6)
    );
    let mut q = sqlx::query(&sql)
        .bind(entity_name(entity))
        .bind(key)
        .bind(scope.stored())
        .bind(i64::from(deleted))
        .bind(timestamp(Utc::now()));
    if let Some(v) = version {
        q = q.bind(v);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Key of the feed's PostgreSQL advisory lock (`"satchelf"` read as a big-endian integer).
const FEED_LOCK_KEY: i64 = 0x7361_7463_6865_6c66;

/// Takes the feed's writer lock, exclusively, for this transaction before any other row lock it
/// will take (PostgreSQL: a transaction-scoped advisory lock; SQLite's writer already holds the
/// database, so nothing to do). Versions do not need it (see the module's documentation); it
/// orders writers' row locks.
///
/// The lock order of every writer is: the device's row (a push), then the feed's lock, then the
/// rows it changes (outlets, van stock, tasks, conflicts). A writer that locks such rows takes
/// this lock first, so two writers never wait on each other in opposite orders (e.g. a push
/// holding the lock for its first order while locking the outlet of its second, and another
/// push holding that outlet while waiting for the lock).
///
/// A push whose mutations are all plain orders takes it shared instead ([`lock_shared`]): such
/// pushes run side by side, and lock their outlets in id order, then their user's van.
pub async fn lock(conn: &mut AnyConnection, backend: Backend) -> Result<(), AppError> {
    advisory(conn, backend, "SELECT pg_advisory_xact_lock($1)").await
}

/// Takes the feed's writer lock shared (see [`lock`]): shared holders run together; an
/// exclusive holder waits for them all, and they for it. A transaction that holds it exclusively
/// gets it shared at once.
pub async fn lock_shared(conn: &mut AnyConnection, backend: Backend) -> Result<(), AppError> {
    advisory(conn, backend, "SELECT pg_advisory_xact_lock_shared($1)").await
}

async fn advisory(conn: &mut AnyConnection, backend: Backend, sql: &'static str) -> Result<(), AppError> {
    if backend == Backend::Postgres {
        sqlx::query(sql).bind(FEED_LOCK_KEY).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per multi-row INSERT of [`record_many`].
const RECORD_BATCH: usize = 200;

/// Records many changes of one entity at once (the seed, bulk imports, a batch of orders): like
/// [`record`] for each `(key, scope)` in order.
pub async fn record_many(
    conn: &mut AnyConnection,
    entity: Entity,
    items: &[(String, Scope<'_>)],
) -> Result<(), AppError> {
    if items.is_empty() {
        return Ok(());
    }
    let postgres = on_postgres(conn);
    let mut version = if postgres {
        0
    } else {
        let n = i64::try_from(items.len()).map_err(|_| AppError::Internal("feed batch size".into()))?;
        let (last,): (i64,) =
            sqlx::query_as("UPDATE feed_counter SET version = version + $1 WHERE id = 1 RETURNING version")
                .bind(n)
                .fetch_one(&mut *conn)
                .await?;
        last - n
    };
    let changed_at = timestamp(Utc::now());
    for chunk in items.chunks(RECORD_BATCH) {
        let sql = format!(
            "INSERT INTO feed (entity, entity_key, scope, changed_at, prev_scope, deleted, version, xid) VALUES {} {UPSERT}",
            (0..chunk.len())
                .map(|r| {
                    if postgres {
                        let b = r * 4;
                        format!("(${}, ${}, ${}, ${}, NULL, 0, {})", b + 1, b + 2, b + 3, b + 4, version_and_xid(postgres, b + 5))
                    } else {
                        // Anonymous on SQLite: binding up to 1,000 numbered parameters, sqlx asks
                        // SQLite each one's name, and SQLite walks its list of names for each
                        // (quadratic; see `db::insert_vals`): `sqlite3_bind_parameter_name` was
                        // 3.2 % of the push bench's samples, on the one writer's thread.
                        "(?, ?, ?, ?, NULL, 0, ?, 0)".to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (key, scope) in chunk {
            q = q
                .bind(entity_name(entity))
                .bind(key.as_str())
                .bind(scope.stored())
                .bind(changed_at.as_str());
            if !postgres {
                version += 1;
                q = q.bind(version);
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether nothing was ever recorded in the feed (a database from before it).
pub async fn is_empty(conn: &mut AnyConnection) -> Result<bool, AppError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM (SELECT 1 FROM feed LIMIT 1) AS any_row")
        .fetch_one(&mut *conn)
        .await?;
    Ok(n == 0)
}

/// PostgreSQL, on every start (after the migrations): creates the sequence `feed_versions`
/// past every version the feed holds (from `feed_counter`, migration 0014), once, however many
/// instances start together; and when the feed's transaction ids are ahead of this cluster's
/// (the database was restored into another cluster, whose ids start over), renumbers the feed's
/// rows to xid 0 and bumps the epoch, so every device's checkpoint resets instead of skipping
/// what the new cluster writes.
pub async fn prepare(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    if !on_postgres(conn) {
        return Ok(());
    }
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FEED_LOCK_KEY).execute(&mut *tx).await?;
    let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass('feed_versions') IS NOT NULL")
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        let (start,): (i64,) = sqlx::query_as(
            "SELECT GREATEST((SELECT version FROM feed_counter WHERE id = 1), (SELECT COALESCE(MAX(version), 0) FROM feed)) + 1",
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(&format!("CREATE SEQUENCE feed_versions START WITH {start}")).execute(&mut *tx).await?;
    }
    let (ahead,): (bool,) = sqlx::query_as(
        "SELECT COALESCE(MAX(xid), 0) >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint FROM feed",
    )
    .fetch_one(&mut *tx)
    .await?;
    if ahead {
        tracing::warn!("the feed's transaction ids are ahead of this database cluster's (restored into another cluster?): renumbering it; every device will pull everything again");
        sqlx::query("UPDATE feed SET xid = 0").execute(&mut *tx).await?;
        sqlx::query("UPDATE feed_counter SET epoch = epoch + 1 WHERE id = 1").execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
