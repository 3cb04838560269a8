//! Shared helpers: a real server on 127.0.0.1:0 over a temporary data directory, a plain-HTTP
//! client, and builders for valid orders (totals from core's `compute_totals`).
#![allow(dead_code)]

use std::path::Path;
use std::str::FromStr;

use chrono::Utc;
use reqwest::StatusCode;
use satchel_core::money::Dec;
use satchel_core::order::{compute_totals, OrderDocument, OrderLineRequest, OrderRequest};
use satchel_core::sync::protocol::{Mutation, MutationBody, PushRequest, ReferenceData};
use satchel_server::{Config, Server};
use serde_json::Value;
use tempfile::TempDir;
use uuid::Uuid;

pub struct TestServer {
    pub server: Server,
    pub dir: TempDir,
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
    Config {
        addr: "127.0.0.1:0".into(),
        data_dir: data.to_path_buf(),
        www_dir: www.to_path_buf(),
        lock: Default::default(),
    }
}

pub async fn start_in(dir: TempDir) -> TestServer {
    let cfg = config(&dir.path().join("data"), &dir.path().join("no-www"));
    let server = satchel_server::start(&cfg).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    TestServer {
        server,
        dir,
        base,
        http: client(),
    }
}

pub async fn start() -> TestServer {
    start_in(tempfile::tempdir().expect("tempdir")).await
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server and hands back its directory (for a restart).
    pub async fn stop(self) -> TempDir {
        self.server.shutdown().await.expect("clean shutdown");
        self.dir
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
        let body = PushRequest {
            device_id: dev.id,
            mutations: mutations.to_vec(),
            sealed: Vec::new(),
        };
        self.push_raw(
            Some(&dev.token),
            serde_json::to_vec(&body).expect("serialize"),
        )
        .await
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
}

pub fn dec(s: &str) -> Dec {
    Dec::from_str(s).expect("decimal")
}

/// A valid order document for `outlet` (with its tax rate) buying `qty` of each product.
pub fn order_doc(outlet_id: &str, tax_rate: Dec, lines: &[(&str, Dec, &str)]) -> OrderDocument {
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

pub fn mutation(dev: &Device, seq: u64, doc: OrderDocument) -> Mutation {
    Mutation {
        device_id: dev.id,
        seq,
        id: Uuid::now_v7(),
        body: MutationBody::OrderCreate(doc),
        created_at: Utc::now(),
    }
}

/// A valid order for the `n`th outlet the user sees, with two catalog lines.
pub fn valid_doc(reference: &ReferenceData, n: usize) -> OrderDocument {
    let outlet = &reference.outlets[n % reference.outlets.len()];
    let p1 = &reference.products[(n * 3) % reference.products.len()];
    let p2 = &reference.products[(n * 3 + 1) % reference.products.len()];
    order_doc(
        &outlet.id,
        outlet.tax_rate,
        &[
            (&p1.sku, p1.unit_price, "2"),
            (&p2.sku, p2.unit_price, "1.5"),
        ],
    )
}

/// `count` valid mutations numbered from `first`.
pub fn valid_batch(
    dev: &Device,
    reference: &ReferenceData,
    first: u64,
    count: u64,
) -> Vec<Mutation> {
    (first..first + count)
        .map(|seq| mutation(dev, seq, valid_doc(reference, seq as usize)))
        .collect()
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
