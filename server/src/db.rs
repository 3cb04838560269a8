//! The database: SQLite in the data directory (the default), or PostgreSQL when a
//! `postgres://` URL is configured. Migrations are applied on start.
//!
//! Both backends go through sqlx's `Any` driver: one pool type ([`AnyPool`]) and one SQL text per
//! query. Every query is written in the SQL the two share: `$1, $2, …` placeholders (SQLite
//! accepts `$NNN` too), `ON CONFLICT DO NOTHING`, TEXT and BIGINT columns. The few places where
//! the backends must differ go through [`Db`]: how a writing transaction serializes with others
//! ([`Db::begin_push`], [`Db::begin_seed`]) and which errors are worth retrying
//! ([`Db::is_transient`]).

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::OwnedMutexGuard;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor, Transaction};

use crate::config::DB_FILE;

/// The migrations under `server/migrations/`, embedded at compile time. They are written in the
/// SQL both backends share, so one set serves both (each database records which it applied).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer's lock before failing (SQLite's busy timeout;
/// PostgreSQL's `lock_timeout` for the per-device row lock).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Default size of the connection pool.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;

/// Key of the PostgreSQL advisory lock that serializes seeding between instances starting
/// together (`"satchel\0"` read as a big-endian integer; sqlx's migration lock uses another).
const SEED_LOCK_KEY: i64 = 0x7361_7463_6865_6c00;

/// Which database engine the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `satchel.sqlite3` in the data directory: one server instance.
    Sqlite,
    /// A PostgreSQL database: one or several server instances.
    Postgres,
}

/// The database pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool; pass `&db.pool` as the executor.
    pub pool: AnyPool,
    /// The engine behind it.
    pub backend: Backend,
    /// SQLite's one writer at a time, taken in arrival order ([`Db::begin_write`]).
    writer: Arc<tokio::sync::Mutex<()>>,
}

/// A writing transaction, holding (on SQLite) this process's writer turn until it commits or
/// is dropped (which rolls it back). Use it as the transaction itself: `&mut *tx` is the
/// connection.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    /// Released after the transaction ends: the next writer begins once this one's COMMIT is
    /// through, so it never meets SQLite's lock.
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits, then hands the writer's turn to the next in line.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, _turn } = self;
        tx.commit().await
    }

    /// Rolls back, then hands the writer's turn to the next in line.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, _turn } = self;
        tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = <Transaction<'static, Any> as std::ops::Deref>::Target;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database refused the connection.
    #[error("cannot open the database: {0}")]
    Open(#[from] sqlx::Error),
    /// A migration failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// SQLite's integrity check found the file damaged: the server does not start on it (it
    /// would accept writes into a broken file and fail later, in the middle of a push).
    #[error("the database file {path} is damaged ({detail}); restore it from a backup (docs/operations.md, Backups) or move it aside")]
    Damaged {
        /// The file.
        path: String,
        /// The integrity check's first finding.
        detail: String,
    },
}

/// Whether `url` names a PostgreSQL database (the only kind `--database-url` accepts).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` without its password, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// Opens the configured database and applies the migrations: PostgreSQL at `database_url` when
/// given, else `satchel.sqlite3` in `data_dir` (created if needed).
pub async fn open(
    data_dir: &Path,
    database_url: Option<&str>,
    max_connections: u32,
) -> Result<Db, DbError> {
    sqlx::any::install_default_drivers();
    let db = match database_url {
        Some(url) => open_postgres(url, max_connections).await?,
        None => open_sqlite(data_dir, max_connections).await?,
    };
    // On PostgreSQL sqlx holds an advisory lock while it migrates, so instances starting
    // together apply each migration once; the others wait, then find nothing left to do.
    MIGRATOR.run(&db.pool).await?;
    crate::feed::prepare(&mut *db.pool.acquire().await?).await?;
    crate::api::recent::backfill(&mut *db.pool.acquire().await?).await?;
    Ok(db)
}

async fn open_sqlite(data_dir: &Path, max_connections: u32) -> Result<Db, DbError> {
    let data_err = |source| DbError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(data_err)?;
    // An absolute path keeps the URL handed to the `Any` driver unambiguous.
    let path = std::fs::canonicalize(data_dir)
        .map_err(data_err)?
        .join(DB_FILE);
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed push survives a power cut, not only a crash of the process.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    // Create the file and switch it to WAL (a setting the file keeps) with the native driver;
    // the `Any` driver only reads the URL, so the per-connection pragmas follow in after_connect.
    // Then check the whole file once (`quick_check`: every page and record, not the index
    // contents; well under a second for the demo, seconds for gigabytes): a damaged file is not
    // served at all. A file that is not a database fails the same way.
    let mut conn = options.connect().await.map_err(|e| damaged_or(&path, e))?;
    let findings: Vec<(String,)> =
        sqlx::query_as("PRAGMA quick_check(3)").fetch_all(&mut conn).await.map_err(|e| damaged_or(&path, e))?;
    conn.close().await?;
    if findings.first().is_none_or(|(f,)| f != "ok") {
        let detail = findings.into_iter().map(|(f,)| f).collect::<Vec<_>>().join("; ");
        return Err(DbError::Damaged { path: path.display().to_string(), detail });
    }
    let any = AnyConnectOptions::from_url(&options.to_url_lossy())?;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                let pragmas = format!(
                    "PRAGMA synchronous = FULL; PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON;",
                    BUSY_TIMEOUT.as_millis()
                );
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        })
        // A connection whose last transaction could not end (a COMMIT refused with "database or
        // disk is full") still counts an open transaction, and every `BEGIN` on it would fail
        // ("non-zero transaction depth") until restart. Such a connection is closed instead of
        // handed out: the pool opens a fresh one, and writes work as soon as space is back.
        .before_acquire(|conn, _meta| {
            Box::pin(async move {
                let clean = !conn.is_in_transaction();
                if !clean {
                    tracing::warn!("closing a database connection left inside a failed transaction");
                }
                Ok(clean)
            })
        })
        .connect_with(any)
        .await?;
    Ok(Db {
        pool,
        backend: Backend::Sqlite,
        writer: Arc::default(),
    })
}

/// A failure opening or checking the SQLite file: [`DbError::Damaged`] when SQLite says the file
/// is corrupt (`SQLITE_CORRUPT`) or not a database (`SQLITE_NOTADB`), else [`DbError::Open`].
fn damaged_or(path: &Path, e: sqlx::Error) -> DbError {
    let code = e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned());
    match code.as_deref() {
        Some("11" | "26") => DbError::Damaged { path: path.display().to_string(), detail: e.to_string() },
        _ => DbError::Open(e),
    }
}

async fn open_postgres(url: &str, max_connections: u32) -> Result<Db, DbError> {
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // A push waits at most this long for its device's row lock, as on SQLite.
                // READ COMMITTED (the default) is what the push's locking relies on: after the
                // lock is granted, each statement sees what the previous holder committed.
                let settings = format!(
                    "SET lock_timeout = '{}ms'; \
                     SET default_transaction_isolation = 'read committed'; \
                     SET application_name = 'satchel-server'",
                    BUSY_TIMEOUT.as_millis()
                );
                conn.execute(settings.as_str()).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(Db {
        pool,
        backend: Backend::Postgres,
        writer: Arc::default(),
    })
}

impl Db {
    /// Begins a transaction with a custom statement (`BEGIN IMMEDIATE`, an isolation level),
    /// in a task of its own so that a caller cancelled half-way (a client that hangs up while
    /// the server waits for SQLite's write lock) cannot leave it half-begun.
    ///
    /// sqlx starts a custom `BEGIN`, then checks the connection's state before it hands out the
    /// `Transaction`; a future dropped between the two returns the connection to the pool inside
    /// an open transaction that nothing rolls back, holding the write lock, and every later
    /// `begin_with` on it fails ("attempted to call begin_with at non-zero transaction depth").
    /// Run to completion here, the `Transaction` always exists, and dropping it rolls back.
    pub async fn begin_with(&self, statement: &'static str) -> Result<Transaction<'static, Any>, sqlx::Error> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with(statement).await })
            .await
            .map_err(|e| sqlx::Error::Io(std::io::Error::other(format!("begin task: {e}"))))?
    }

    /// Begins a writing transaction: on SQLite, once this process's writer turn comes (writers
    /// queue in arrival order, then `BEGIN IMMEDIATE`); on PostgreSQL, a plain transaction
    /// (its writers serialize on the rows they lock, not on the database).
    ///
    /// SQLite lets one writer in at a time. Without the queue, concurrent writers each take
    /// `BEGIN IMMEDIATE`, and all but one sleep and poll on the busy timeout: under a burst of
    /// pushes the lock goes to whoever polls at the right moment, the file sits idle between
    /// polls, and a writer unlucky for 10 s fails with "database is locked". Queued, the next
    /// writer starts the moment the previous one commits, and waits only as long as the work
    /// ahead of it.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writer.clone().lock_owned().await;
                let tx = self.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx { tx, _turn: Some(turn) })
            }
            Backend::Postgres => Ok(WriteTx { tx: self.pool.begin().await?, _turn: None }),
        }
    }

    /// Begins the transaction of one push, holding the device's serialization lock, and returns
    /// it with the device's `last_seq` (`None`: no such device).
    ///
    /// Two pushes of the same device never overlap: on SQLite the writer's turn
    /// ([`Db::begin_write`]) holds the database's write lock before anything is read; on
    /// PostgreSQL `SELECT … FOR UPDATE` locks the device's row, so a second push of that device
    /// waits until the first commits or rolls back, then reads the `last_seq` it left. Pushes of
    /// other devices go on in parallel.
    pub async fn begin_push(&self, device_id: &str) -> Result<(WriteTx, Option<i64>), sqlx::Error> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT last_seq FROM devices WHERE device_id = $1",
            Backend::Postgres => "SELECT last_seq FROM devices WHERE device_id = $1 FOR UPDATE",
        };
        let mut tx = self.begin_write().await?;
        let last_seq: Option<(i64,)> = sqlx::query_as(sql)
            .bind(device_id)
            .fetch_optional(&mut *tx)
            .await?;
        Ok((tx, last_seq.map(|(s,)| s)))
    }

    /// Begins the transaction that seeds an empty database, serialized with every other
    /// instance's: SQLite's writer turn, or a PostgreSQL advisory lock held until it ends.
    pub async fn begin_seed(&self) -> Result<WriteTx, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SEED_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Whether a failed transaction may simply be run again: on PostgreSQL, a deadlock, a
    /// serialization failure, or a unique violation against a row another transaction committed
    /// meanwhile (two devices sending the same order id at once). The retry then sees that row.
    pub fn is_transient(&self, e: &sqlx::Error) -> bool {
        match (self.backend, e) {
            (Backend::Postgres, sqlx::Error::Database(d)) => {
                matches!(d.code().as_deref(), Some("40001" | "40P01" | "23505"))
            }
            _ => false,
        }
    }

    /// One line saying where the data lives, without secrets.
    pub fn describe(&self, data_dir: &Path, database_url: Option<&str>) -> String {
        match (self.backend, database_url) {
            (Backend::Postgres, Some(url)) => format!("PostgreSQL at {}", redact_url(url)),
            _ => format!("SQLite at {}", data_dir.join(DB_FILE).display()),
        }
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `$first, $first+1, …` for `count` values: a list of placeholders in the SQL both backends
/// read.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, $2), ($3, $4), …`: the VALUES of a multi-row INSERT of `rows` rows of `columns` each.
pub fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * columns + 1, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per multi-row statement of [`insert_vals`] and [`update_rows`] (a push's 100 rows of its
/// widest table, 19 columns, stay well under both databases' limits on bound values).
pub const ROWS_PER_STATEMENT: usize = 200;

/// One value of a row written by [`insert_vals`] or [`update_rows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    /// Text.
    Text(String),
    /// NULL in a TEXT column.
    Null,
    /// A BIGINT.
    Int(i64),
    /// NULL in a BIGINT column (PostgreSQL types a bound NULL, and refuses text for a BIGINT).
    NullInt,
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}

impl From<i64> for Val {
    fn from(n: i64) -> Val {
        Val::Int(n)
    }
}

impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Val {
        v.map_or(Val::Null, Val::Text)
    }
}

impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        v.map_or(Val::NullInt, Val::Int)
    }
}

/// Whether statements on `conn` should number nothing (`?`): SQLite. Binding a statement's
/// values, sqlx asks SQLite the name of each `$N` parameter, and SQLite finds it by walking its
/// list of names: a time quadratic in the number of parameters, which a multi-row statement of
/// a push (2,000 values) makes the largest cost of the push. Anonymous `?` parameters have no
/// names to walk and are bound in order. PostgreSQL needs `$N`.
fn anonymous_placeholders(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// The VALUES of a multi-row statement: [`value_rows`], or with `?` placeholders when
/// `anonymous`.
fn values_list(anonymous: bool, rows: usize, columns: usize) -> String {
    if !anonymous {
        return value_rows(rows, columns);
    }
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// Binds `rows` (row-major) to `sql`, in order.
fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [Vec<Val>],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for row in rows {
        for v in row {
            q = match v {
                Val::Text(s) => q.bind(s.as_str()),
                Val::Null => q.bind(None::<String>),
                Val::Int(n) => q.bind(*n),
                Val::NullInt => q.bind(None::<i64>),
            };
        }
    }
    q
}

/// `INSERT INTO table_and_columns VALUES …` of rows `width` wide, [`ROWS_PER_STATEMENT`] rows per
/// statement.
pub async fn insert_vals(
    conn: &mut sqlx::AnyConnection,
    table_and_columns: &str,
    width: usize,
    rows: &[Vec<Val>],
) -> Result<(), sqlx::Error> {
    insert_rows(conn, table_and_columns, "", width, rows).await
}

/// [`insert_vals`], leaving out a row whose `key` (a unique column) is taken already: for writes
/// two instances may both make (`ON CONFLICT (key) DO NOTHING`).
pub async fn insert_vals_once(
    conn: &mut sqlx::AnyConnection,
    table_and_columns: &str,
    key: &str,
    width: usize,
    rows: &[Vec<Val>],
) -> Result<(), sqlx::Error> {
    insert_rows(conn, table_and_columns, &format!(" ON CONFLICT ({key}) DO NOTHING"), width, rows).await
}

async fn insert_rows(
    conn: &mut sqlx::AnyConnection,
    table_and_columns: &str,
    tail: &str,
    width: usize,
    rows: &[Vec<Val>],
) -> Result<(), sqlx::Error> {
    let anonymous = anonymous_placeholders(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!("INSERT INTO {table_and_columns} VALUES {}{tail}", values_list(anonymous, chunk.len(), width));
        bind_all(sqlx::query(&sql), chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// `UPDATE table SET columns[k] = v.… FROM (VALUES …) AS v WHERE table.keys[j] = v.…`,
/// [`ROWS_PER_STATEMENT`] rows per statement; each row is its keys' values, then the columns'.
/// (`columnN` is what both SQLite and PostgreSQL call the columns of a VALUES list.)
pub async fn update_rows(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    keys: &[&str],
    columns: &[&str],
    rows: &[Vec<Val>],
) -> Result<(), sqlx::Error> {
    let set: Vec<String> =
        columns.iter().enumerate().map(|(k, c)| format!("{c} = v.column{}", keys.len() + k + 1)).collect();
    let matches: Vec<String> =
        keys.iter().enumerate().map(|(j, key)| format!("{table}.{key} = v.column{}", j + 1)).collect();
    let anonymous = anonymous_placeholders(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "UPDATE {table} SET {} FROM (VALUES {}) AS v WHERE {}",
            set.join(", "),
            values_list(anonymous, chunk.len(), keys.len() + columns.len()),
            matches.join(" AND ")
        );
        bind_all(sqlx::query(&sql), chunk).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A timestamp as stored: RFC 3339, UTC, microseconds, fixed width (so text order is time order).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_one() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(value_rows(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values_list(false, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values_list(true, 2, 3), "(?, ?, ?), (?, ?, ?)");
    }

    #[test]
    fn urls_are_recognised_and_redacted() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("postgresql://h/db"));
        assert!(!is_postgres_url("sqlite://x"));
        assert!(!is_postgres_url("mysql://h/db"));
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db?x=1"),
            "postgres://u@h:5432/db?x=1"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("postgres://u:p@ss@h/db"), "postgres://u@h/db");
    }
}
