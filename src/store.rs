//! The device's local store: the source of truth for the session.
//!
//! Object stores (schema version 1):
//! - `meta`: the session, the next outbox sequence number, the reference data's age.
//! - `products`, `outlets`: reference data pulled from the server, keyed by SKU / outlet id.
//! - `orders`: the orders taken on this device with their sync status, keyed by order id.
//! - `outbox`: mutations waiting for the server, keyed by their sequence number.
//!
//! Values are JSON strings: one serialization for every record, which the vault (issue 4) will
//! replace by encrypted envelopes without touching the callers.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use web_sys::IdbDatabase;

use satchel_core::money::Dec;
use satchel_core::order::OrderDocument;
use satchel_core::sync::protocol::{Mutation, MutationBody, MutationResult, Outcome, OutletView, ProductView};

use crate::error::SatchelError;
use crate::idb::{Db, Durability, Migration, Mode};

const META: &str = "meta";
const PRODUCTS: &str = "products";
const OUTLETS: &str = "outlets";
const ORDERS: &str = "orders";
const OUTBOX: &str = "outbox";

const KEY_SESSION: &str = "session";
const KEY_NEXT_SEQ: &str = "next_seq";
const KEY_REFERENCE: &str = "reference";

fn v1(db: &IdbDatabase) -> Result<(), JsValue> {
    for name in [META, PRODUCTS, OUTLETS, ORDERS, OUTBOX] {
        db.create_object_store(name)?;
    }
    Ok(())
}

/// Schema migrations, one per version; never edit a shipped step, add the next one.
static MIGRATIONS: [Migration; 1] = [v1];

/// The signed-in user and this device's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// This device's identity on the server.
    pub device_id: Uuid,
    /// Bearer token. Stored in clear until the vault (issue 4) encrypts the store.
    pub token: String,
    /// The login.
    pub username: String,
    /// The display name.
    pub display_name: String,
}

/// What the UI may see of the session (no token).
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// This device's identity.
    pub device_id: Uuid,
    /// The login.
    pub username: String,
    /// The display name.
    pub display_name: String,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView { device_id: s.device_id, username: s.username.clone(), display_name: s.display_name.clone() }
    }
}

/// Facts about the stored reference data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReferenceInfo {
    /// When the server produced it.
    pub as_of: String,
    /// Currency of the prices.
    pub currency: String,
}

/// Sync state of a local order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// In the outbox, not yet acknowledged by the server.
    Pending,
    /// The server applied it.
    Synced,
    /// The server refused it; `reason` says why.
    Rejected,
}

/// An order as kept on the device.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalOrder {
    /// The order's id.
    pub order_id: Uuid,
    /// The outlet.
    pub outlet_id: String,
    /// When it was committed.
    pub committed_at: String,
    /// Its total, as shown to the rep.
    pub total: Dec,
    /// Its outbox sequence number.
    pub seq: u64,
    /// Sync state.
    pub status: OrderStatus,
    /// Why the server refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The full document.
    pub document: OrderDocument,
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, SatchelError> {
    serde_json::to_string(v)
        .map(|s| JsValue::from_str(&s))
        .map_err(|e| SatchelError::internal(format!("serialize: {e}")))
}

fn from_js<T: DeserializeOwned>(what: &str, v: &JsValue) -> Result<T, SatchelError> {
    let text = v.as_string().ok_or_else(|| SatchelError::Storage(format!("corrupt {what} record")))?;
    serde_json::from_str(&text).map_err(|_| SatchelError::Storage(format!("corrupt {what} record")))
}

/// The local store.
#[derive(Debug, Clone)]
pub struct LocalStore {
    db: Db,
}

impl LocalStore {
    /// Opens (creating or migrating) the store named `name`.
    pub async fn open(name: &str) -> Result<LocalStore, SatchelError> {
        Ok(LocalStore { db: Db::open(name, &MIGRATIONS).await? })
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.db.close();
    }

    /// The stored session, if signed in.
    pub async fn session(&self) -> Result<Option<Session>, SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadOnly, Durability::Default)?;
        let v = tx.store(META)?.get(&KEY_SESSION.into()).await?;
        v.map(|v| from_js("session", &v)).transpose()
    }

    /// Stores the session.
    pub async fn save_session(&self, session: &Session) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadWrite, Durability::Strict)?;
        tx.store(META)?.put(&KEY_SESSION.into(), &to_js(session)?).await?;
        tx.done().await
    }

    /// Starts a session for a newly registered device. A new device numbers its mutations from
    /// 1 again, so this is refused while the outbox holds anything (checked in the same
    /// transaction that resets the counter).
    pub async fn start_session(&self, session: &Session) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META, OUTBOX], Mode::ReadWrite, Durability::Strict)?;
        let result = async {
            if tx.store(OUTBOX)?.count().await? > 0 {
                return Err(SatchelError::PendingWork("orders are waiting to sync".into()));
            }
            let meta = tx.store(META)?;
            meta.put(&KEY_SESSION.into(), &to_js(session)?).await?;
            meta.put(&KEY_NEXT_SEQ.into(), &JsValue::from_f64(1.0)).await
        }
        .await;
        if let Err(e) = result {
            tx.abort();
            let _ = tx.done().await;
            return Err(e);
        }
        tx.done().await
    }

    /// Forgets the session (sign-out).
    pub async fn clear_session(&self) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META], Mode::ReadWrite, Durability::Strict)?;
        tx.store(META)?.delete(&KEY_SESSION.into()).await?;
        tx.done().await
    }

    /// Replaces the reference data in one transaction.
    pub async fn save_reference(
        &self,
        info: &ReferenceInfo,
        products: &[ProductView],
        outlets: &[OutletView],
    ) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS], Mode::ReadWrite, Durability::Default)?;
        let ps = tx.store(PRODUCTS)?;
        ps.clear().await?;
        for p in products {
            ps.put(&p.sku.as_str().into(), &to_js(p)?).await?;
        }
        let os = tx.store(OUTLETS)?;
        os.clear().await?;
        for o in outlets {
            os.put(&o.id.as_str().into(), &to_js(o)?).await?;
        }
        tx.store(META)?.put(&KEY_REFERENCE.into(), &to_js(info)?).await?;
        tx.done().await
    }

    /// Loads the reference data. A corrupt record is skipped and counted, never fatal.
    pub async fn load_reference(&self) -> Result<(Option<ReferenceInfo>, Vec<ProductView>, Vec<OutletView>, usize), SatchelError> {
        let tx = self.db.transaction(&[META, PRODUCTS, OUTLETS], Mode::ReadOnly, Durability::Default)?;
        let info = tx.store(META)?.get(&KEY_REFERENCE.into()).await?.map(|v| from_js("reference", &v)).transpose()?;
        let mut corrupt = 0;
        let mut products = Vec::new();
        for v in tx.store(PRODUCTS)?.get_all(None).await? {
            match from_js::<ProductView>("product", &v) {
                Ok(p) => products.push(p),
                Err(_) => corrupt += 1,
            }
        }
        let mut outlets = Vec::new();
        for v in tx.store(OUTLETS)?.get_all(None).await? {
            match from_js::<OutletView>("outlet", &v) {
                Ok(o) => outlets.push(o),
                Err(_) => corrupt += 1,
            }
        }
        Ok((info, products, outlets, corrupt))
    }

    /// Records a committed order and its outbox mutation in ONE transaction with strict
    /// durability, numbering the mutation with the device's next gap-free sequence number.
    ///
    /// Resolves only after the transaction committed; on any failure nothing is written.
    pub async fn commit_order(
        &self,
        device_id: Uuid,
        mutation_id: Uuid,
        document: OrderDocument,
    ) -> Result<LocalOrder, SatchelError> {
        let tx = self.db.transaction(&[META, ORDERS, OUTBOX], Mode::ReadWrite, Durability::Strict)?;
        let result = async {
            let meta = tx.store(META)?;
            let seq = match meta.get(&KEY_NEXT_SEQ.into()).await? {
                Some(v) => v.as_f64().ok_or_else(|| SatchelError::Storage("corrupt sequence counter".into()))? as u64,
                None => 1,
            };
            let order = LocalOrder {
                order_id: document.order_id,
                outlet_id: document.order.outlet_id.clone(),
                committed_at: document.committed_at.to_rfc3339(),
                total: document.totals.total,
                seq,
                status: OrderStatus::Pending,
                reason: None,
                document: document.clone(),
            };
            let mutation = Mutation {
                device_id,
                seq,
                id: mutation_id,
                body: MutationBody::OrderCreate(document),
                created_at: order.document.committed_at,
            };
            tx.store(ORDERS)?.add(&order.order_id.to_string().into(), &to_js(&order)?).await?;
            tx.store(OUTBOX)?.add(&JsValue::from_f64(seq as f64), &to_js(&mutation)?).await?;
            meta.put(&KEY_NEXT_SEQ.into(), &JsValue::from_f64((seq + 1) as f64)).await?;
            Ok::<_, SatchelError>(order)
        }
        .await;
        match result {
            Ok(order) => {
                tx.done().await?;
                Ok(order)
            }
            Err(e) => {
                tx.abort();
                let _ = tx.done().await;
                Err(e)
            }
        }
    }

    /// The oldest `limit` mutations waiting for the server, in sequence order.
    pub async fn pending(&self, limit: u32) -> Result<Vec<Mutation>, SatchelError> {
        let tx = self.db.transaction(&[OUTBOX], Mode::ReadOnly, Durability::Default)?;
        let values = tx.store(OUTBOX)?.get_all(Some(limit)).await?;
        values.iter().map(|v| from_js("outbox", v)).collect()
    }

    /// How many mutations wait for the server.
    pub async fn pending_count(&self) -> Result<u32, SatchelError> {
        let tx = self.db.transaction(&[OUTBOX], Mode::ReadOnly, Durability::Default)?;
        tx.store(OUTBOX)?.count().await
    }

    /// Applies the server's per-mutation results: acknowledged mutations leave the outbox and
    /// their orders take the outcome, in one transaction.
    pub async fn acknowledge(&self, results: &[MutationResult]) -> Result<(), SatchelError> {
        let tx = self.db.transaction(&[ORDERS, OUTBOX], Mode::ReadWrite, Durability::Strict)?;
        let outbox = tx.store(OUTBOX)?;
        let orders = tx.store(ORDERS)?;
        for r in results {
            let key = JsValue::from_f64(r.seq as f64);
            let Some(m) = outbox.get(&key).await? else { continue };
            let mutation: Mutation = from_js("outbox", &m)?;
            if mutation.id != r.id {
                // Not the mutation we sent under that number: leave it for a human to look at.
                continue;
            }
            let MutationBody::OrderCreate(doc) = &mutation.body;
            let okey: JsValue = doc.order_id.to_string().into();
            if let Some(o) = orders.get(&okey).await? {
                let mut order: LocalOrder = from_js("order", &o)?;
                match &r.outcome {
                    Outcome::Applied => order.status = OrderStatus::Synced,
                    Outcome::Duplicate { original } if original == "applied" => order.status = OrderStatus::Synced,
                    Outcome::Duplicate { .. } => {
                        order.status = OrderStatus::Rejected;
                        order.reason.get_or_insert_with(|| "refused by the server".into());
                    }
                    Outcome::Rejected { reason, .. } => {
                        order.status = OrderStatus::Rejected;
                        order.reason = Some(reason.clone());
                    }
                }
                orders.put(&okey, &to_js(&order)?).await?;
            }
            outbox.delete(&key).await?;
        }
        tx.done().await
    }

    /// Every local order, newest first, and how many order records could not be read. An
    /// unreadable (corrupt) record is skipped and counted: it never hides the other orders.
    pub async fn orders(&self) -> Result<(Vec<LocalOrder>, usize), SatchelError> {
        let tx = self.db.transaction(&[ORDERS], Mode::ReadOnly, Durability::Default)?;
        let mut out: Vec<LocalOrder> = Vec::new();
        let mut unreadable = 0;
        for v in tx.store(ORDERS)?.get_all(None).await? {
            match from_js::<LocalOrder>("order", &v) {
                Ok(o) => out.push(o),
                Err(_) => unreadable += 1,
            }
        }
        out.sort_by_key(|o| std::cmp::Reverse(o.seq));
        Ok((out, unreadable))
    }
}
