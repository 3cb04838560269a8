//! Shared helpers: a real server on 127.0.0.1:0 over a temporary data directory (SQLite) or a
//! fresh PostgreSQL database, a plain-HTTP client, and builders for valid orders (totals from
//! core's `compute_totals`).
//!
//! Every scenario that touches the database is written once, as `async fn name(backend: Backend)`,
//! and listed in [`backend_tests!`], which makes two tests of it: `name::sqlite` and
//! `name::postgres`. The PostgreSQL one needs `SATCHEL_TEST_DATABASE_URL`: the URL of a role that
//! may create databases (`./build.sh test` starts a throwaway server and sets it). Each test then
//! gets a database of its own, created from that URL and dropped when the test ends. Without the
//! variable the PostgreSQL tests fail, unless `SATCHEL_SKIP_POSTGRES=1` says to skip them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use reqwest::StatusCode;
use satchel_core::money::Dec;
use satchel_core::order::{compute_totals, OrderDocument, OrderLineRequest, OrderRequest};
use satchel_core::sync::protocol::{Mutation, MutationBody, PushRequest, ReferenceData};
use satchel_server::{Config, Server};
use serde_json::Value;
use tempfile::TempDir;
use uuid::Uuid;

/// Makes two tests of each listed scenario, `name::sqlite` and `name::postgres`. A scenario is
/// `async fn name(backend: Backend)`; an entry may carry the test attribute to use (default
/// `#[tokio::test]`).
macro_rules! backend_tests {
    (@test [] $name:ident) => {
        $crate::common::backend_tests!(@test [#[tokio::test]] $name);
    };
    (@test [$(#[$attr:meta])+] $name:ident) => {
        mod $name {
            $(#[$attr])+
            async fn sqlite() {
                super::$name(crate::common::Backend::Sqlite).await;
            }
            $(#[$attr])+
            async fn postgres() {
                if let Some(backend) = crate::common::Backend::postgres() {
                    super::$name(backend).await;
                }
            }
        }
    };
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        $($crate::common::backend_tests!(@test [$(#[$attr])*] $name);)*
    };
}
pub(crate) use backend_tests;

/// The variable naming the PostgreSQL server the tests create their databases in.
pub const PG_URL_VAR: &str = "SATCHEL_TEST_DATABASE_URL";
/// Set to 1 to skip the PostgreSQL tests when no server is available.
pub const PG_SKIP_VAR: &str = "SATCHEL_SKIP_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `Some(Postgres)` when a server is configured; `None` when the PostgreSQL tests are to be
    /// skipped (said on stderr); panics when neither was said.
    pub fn postgres() -> Option<Backend> {
        if admin_url().is_some() {
            return Some(Backend::Postgres);
        }
        if std::env::var(PG_SKIP_VAR).is_ok_and(|v| v.trim() == "1") {
            eprintln!("skipped: the PostgreSQL variant ({PG_SKIP_VAR}=1 and {PG_URL_VAR} is unset)");
            return None;
        }
        panic!(
            "{PG_URL_VAR} is not set, so this PostgreSQL test cannot run. Set it to the URL of a \
             PostgreSQL role that may create databases (e.g. postgres://postgres@localhost/postgres), \
             or run `./build.sh test`, which starts a throwaway server; set {PG_SKIP_VAR}=1 to skip \
             the PostgreSQL tests instead."
        )
    }
}

fn admin_url() -> Option<String> {
    std::env::var(PG_URL_VAR).ok().filter(|u| !u.trim().is_empty())
}

/// `url` with its database name replaced by `name` (query parameters such as `host=` kept).
pub fn with_database(url: &str, name: &str) -> String {
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

/// A PostgreSQL database of one test, dropped (with its connections) when this is dropped.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
    admin: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        use sqlx::{Connection, Executor};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url().expect("SATCHEL_TEST_DATABASE_URL");
        let name = format!(
            "satchel_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            &Uuid::now_v7().simple().to_string()[24..]
        );
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {PG_URL_VAR}: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let _ = conn.close().await;
        PgDatabase {
            url: with_database(&admin, &name),
            name,
            admin,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop may run inside the test's runtime (or while it unwinds): use a runtime of its own.
        let dropped = std::thread::spawn(move || {
            use sqlx::{Connection, Executor};
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let done = conn.execute(sql.as_str()).await.ok();
                let _ = conn.close().await;
                done
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop the test database {}", self.name);
        }
    }
}

/// Where a test server keeps its data: a temporary directory, and for PostgreSQL a fresh
/// database. Survives a server's stop, for a restart on the same data.
pub struct Store {
    pub backend: Backend,
    pub dir: TempDir,
    pub pg: Option<PgDatabase>,
}

impl Store {
    pub async fn new(backend: Backend) -> Store {
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await),
        };
        Store {
            backend,
            dir: tempfile::tempdir().expect("tempdir"),
            pg,
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The database URL the server is given (`None`: SQLite in the data directory).
    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(|db| db.url.clone())
    }

    pub fn config(&self, www: &Path) -> Config {
        Config {
            database_url: self.database_url(),
            ..config(&self.data_dir(), www)
        }
    }
}

pub struct TestServer {
    pub server: Server,
    pub store: Store,
    pub base: String,
    pub http: reqwest::Client,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

pub fn config(data: &Path, www: &Path) -> Config {
    Config::loopback(data, www)
}

pub async fn start_in(store: Store) -> TestServer {
    let cfg = store.config(&store.dir.path().join("no-www"));
    let server = satchel_server::start(&cfg).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    TestServer {
        server,
        store,
        base,
        http: client(),
    }
}

/// A server on a fresh store of `backend`.
pub async fn start(backend: Backend) -> TestServer {
    start_in(Store::new(backend).await).await
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and hands back its store (for a restart).
    pub async fn stop(self) -> Store {
        self.server.shutdown().await.expect("clean shutdown");
        self.store
    }

    pub async fn register(&self, username: &str, password: &str) -> Device {
        let res = self
            .http
            .post(self.url("/api/v1/devices"))
            .json(&serde_json::json!({"username": username, "password": password, "label": "test"}))
            .send()
            .await
            .expect("register");
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = res.json().await.expect("json");
        let sealing = &v["sealing"];
        Device {
            id: Uuid::parse_str(v["device_id"].as_str().expect("id")).expect("uuid"),
            token: v["token"].as_str().expect("token").to_string(),
            push_token: sealing["push_token"].as_str().expect("push token").to_string(),
            device_secret: sealing["device_secret"].as_str().expect("secret").to_string(),
            server_key_id: u32::try_from(sealing["server_key_id"].as_u64().expect("key id")).expect("u32"),
            server_public_key: sealing["server_public_key"].as_str().expect("public key").to_string(),
            number_ranges: serde_json::from_value(v["number_ranges"].clone()).expect("number ranges"),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        let status = res.status();
        (status, res.json().await.expect("json body"))
    }

    pub async fn reference(&self, dev: &Device) -> ReferenceData {
        let res = self
            .http
            .get(self.url("/api/v1/reference"))
            .bearer_auth(&dev.token)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("reference data")
    }

    pub async fn orders(&self, dev: &Device) -> Vec<Value> {
        let (status, v) = self.get("/api/v1/orders", &dev.token).await;
        assert_eq!(status, StatusCode::OK);
        v["orders"].as_array().expect("orders").clone()
    }

    pub async fn push_raw(
        &self,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(self.url("/api/v1/sync/push"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("push");
        let status = res.status();
        (status, res.json().await.expect("json body"))
    }

    pub async fn push(&self, dev: &Device, mutations: &[Mutation]) -> (StatusCode, Value) {
        self.push_raw(
            Some(&dev.token),
            serde_json::to_vec(&push_body(dev, mutations.to_vec())).expect("serialize"),
        )
        .await
    }

    /// `dev`'s push of `mutations` to the instance at `base` (`http://host:port`: this server's
    /// or another sharing its database), ready to send.
    pub fn push_to(&self, base: &str, dev: &Device, mutations: Vec<Mutation>) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(&dev.token)
            .json(&push_body(dev, mutations))
    }

    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }
}

#[derive(Debug, Clone)]
pub struct Device {
    pub id: Uuid,
    pub token: String,
    pub push_token: String,
    pub device_secret: String,
    pub server_key_id: u32,
    pub server_public_key: String,
    /// The document numbers leased at registration.
    pub number_ranges: Vec<satchel_core::sales::NumberRange>,
}

pub fn dec(s: &str) -> Dec {
    Dec::from_str(s).expect("decimal")
}

/// A first-version order document (`order.create`, retired: the server refuses it as
/// `retired_kind`) for `outlet` buying `qty` of each product at `price`.
pub fn v1_order_doc(outlet_id: &str, tax_rate: Dec, lines: &[(&str, Dec, &str)]) -> OrderDocument {
    let order = OrderRequest {
        outlet_id: outlet_id.into(),
        tax_rate,
        lines: lines
            .iter()
            .map(|(sku, price, qty)| OrderLineRequest {
                sku: (*sku).into(),
                quantity: dec(qty),
                unit_price: *price,
            })
            .collect(),
    };
    let totals = compute_totals(&order).expect("valid order");
    OrderDocument {
        order_id: Uuid::now_v7(),
        committed_at: Utc::now(),
        order,
        totals,
    }
}

/// A `sales_order.create` mutation of `dev` at `seq` (see [`sales_mutation`]).
pub fn mutation(dev: &Device, seq: u64, doc: SalesDocument) -> Mutation {
    sales_mutation(dev, seq, doc)
}

/// The device's `n`th leased document number (from 0, across its ranges in order): distinct
/// `n` give distinct numbers.
pub fn nth_number(dev: &Device, n: u64) -> String {
    let mut left = n;
    for r in &dev.number_ranges {
        if left < r.len() {
            return satchel_core::sales::numbering::format_number(&r.prefix, r.first + left);
        }
        left -= r.len();
    }
    panic!("the device has fewer than {} leased numbers", n + 1)
}

/// A valid order of the device for the `n`th outlet its user sees (skipping the outlets the
/// demo keeps near their credit limit), with two plain catalog lines, numbered with the
/// device's `n`th leased number: applied, not flagged, on a fresh demo server.
pub fn valid_doc(dev: &Device, reference: &ReferenceData, n: usize) -> SalesDocument {
    let sales = sales_of(reference);
    let outlets: Vec<&str> = sales
        .outlets
        .iter()
        .map(|o| o.id.as_str())
        .filter(|id| !satchel_server::seed::NEAR_LIMIT.iter().any(|(near, _, _)| near == id))
        .collect();
    let skus = plain_skus(sales);
    assert!(!outlets.is_empty() && skus.len() > 1, "the user sees outlets and stocked products");
    sales_doc(
        sales,
        outlets[n % outlets.len()],
        &[(&skus[(n * 3) % skus.len()], "2"), (&skus[(n * 3 + 1) % skus.len()], "1")],
        OrderKind::Sale,
        nth_number(dev, n as u64),
    )
}

/// `count` valid mutations numbered from `first` (each with the device's `seq`th number).
pub fn valid_batch(
    dev: &Device,
    reference: &ReferenceData,
    first: u64,
    count: u64,
) -> Vec<Mutation> {
    (first..first + count)
        .map(|seq| mutation(dev, seq, valid_doc(dev, reference, seq as usize)))
        .collect()
}

/// A plain push of `mutations` from `dev`: no leases asked, no sealed entries, no marks.
pub fn push_body(dev: &Device, mutations: Vec<Mutation>) -> PushRequest {
    PushRequest {
        numbers_left: None,
        receipts_left: None,
        device_id: dev.id,
        mutations,
        sealed: Vec::new(),
        sent_at: None,
        marks: None,
    }
}

pub fn statuses(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().expect("status").to_string())
        .collect()
}

pub fn assert_error(status: StatusCode, v: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "body: {v}");
    assert_eq!(v["code"], code, "body: {v}");
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message: {v}"
    );
}

// ---------------------------------------------------------------------------------------------
// Orders v2: documents built exactly as a device builds them (core's `quote`, then
// `SalesDocument::from_quote` with a leased number).
// ---------------------------------------------------------------------------------------------

use satchel_core::sales::{
    quote, Catalog, OrderKind, SalesContext, SalesDocument, SalesLine, SalesOrder,
};
use satchel_core::sync::protocol::SalesReference;

/// The v2 block of a reference answer.
pub fn sales_of(reference: &ReferenceData) -> &SalesReference {
    reference.sales.as_ref().expect("the reference carries the sales data")
}

/// SKUs any order may take in any quantity: no pack size, no minimum, whole units, plenty in
/// the van.
pub fn plain_skus(sales: &SalesReference) -> Vec<String> {
    sales
        .products
        .iter()
        .filter(|p| p.pack_size.is_none() && p.min_order_quantity.is_none() && p.quantity_places == 0)
        .filter(|p| {
            sales
                .van_stock
                .get(&p.sku)
                .is_some_and(|s| s.available.value() >= rust_decimal::Decimal::from(100))
        })
        .map(|p| p.sku.clone())
        .collect()
}

/// A committed v2 document for `outlet_id` (which must be in the reference), priced, taxed and
/// validated by core with the reference's data, numbered `number`. Panics when the quote blocks.
pub fn sales_doc(
    sales: &SalesReference,
    outlet_id: &str,
    lines: &[(&str, &str)],
    kind: OrderKind,
    number: String,
) -> SalesDocument {
    sales_doc_on(sales, outlet_id, lines, kind, number, Utc::now().date_naive())
}

/// [`sales_doc`] for the business date `date`.
pub fn sales_doc_on(
    sales: &SalesReference,
    outlet_id: &str,
    lines: &[(&str, &str)],
    kind: OrderKind,
    number: String,
    date: chrono::NaiveDate,
) -> SalesDocument {
    let outlet = sales
        .outlets
        .iter()
        .find(|o| o.id == outlet_id)
        .unwrap_or_else(|| panic!("outlet {outlet_id} in the reference"));
    let rules = satchel_core::tax::builtin::rule_set(&sales.settings.rule_set).expect("rule set");
    let catalog = Catalog::new(&sales.products, &sales.price_lists);
    let now = Utc::now();
    let order = SalesOrder {
        outlet_id: outlet_id.into(),
        business_date: date,
        lines: lines
            .iter()
            .map(|(sku, q)| SalesLine { sku: (*sku).into(), quantity: dec(q), discount_percent: None })
            .collect(),
        order_discount_percent: None,
        note: None,
        requested_delivery_date: None,
        customer_reference: None,
        cash: false,
        kind,
    };
    let ctx = SalesContext {
        role: sales.role.clone(),
        now,
        stock: sales.van_stock.clone(),
        pending_on_device: Dec::default(),
        recent_orders: Vec::new(),
    };
    let q = quote(&sales.settings, &rules, &catalog, outlet, &order, &ctx).expect("the order prices");
    SalesDocument::from_quote(Uuid::now_v7(), number, now, order, &q).expect("the quote commits")
}

/// A `sales_order.create` mutation.
pub fn sales_mutation(dev: &Device, seq: u64, doc: SalesDocument) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::SalesOrderCreate(Box::new(doc)),
        created_at: Utc::now(),
        depends_on: Vec::new(),
    }
}
