//! What the server benchmarks share: a fresh PostgreSQL database per run, created under the
//! server `SATCHEL_TEST_DATABASE_URL` names (as `server/tests/common` does) and dropped after.

use std::sync::atomic::{AtomicU32, Ordering};

use uuid::Uuid;

/// The database a bench run uses.
#[derive(Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Its name in the printed figures.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// The variable naming the PostgreSQL server to create bench databases on.
pub const PG_URL_VAR: &str = "SATCHEL_TEST_DATABASE_URL";

pub fn admin_url() -> Option<String> {
    std::env::var(PG_URL_VAR).ok().filter(|u| !u.trim().is_empty())
}

// ---------------------------------------------------------------------------------------------
// A fresh PostgreSQL database per run (as server/tests/common does).
// ---------------------------------------------------------------------------------------------

fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query.split_once('/').map_or(before_query, |(a, _)| a);
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

async fn admin_execute(sql: &str) {
    use sqlx::{Connection, Executor};
    let admin = admin_url().expect(PG_URL_VAR);
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR}: {e}"));
    conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// A database created for one run; dropped with it.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::PgConnection::connect(&admin_url()?).await.ok()?;
                let done = conn.execute(sql.as_str()).await.ok();
                let _ = conn.close().await;
                done
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop the bench database {}", self.name);
        }
    }
}

/// Creates a fresh, uniquely named database.
pub async fn create_database() -> PgDatabase {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "satchel_bench_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        &Uuid::now_v7().simple().to_string()[24..]
    );
    admin_execute(&format!("CREATE DATABASE {name}")).await;
    let url = with_database(&admin_url().expect(PG_URL_VAR), &name);
    PgDatabase { name, url }
}
