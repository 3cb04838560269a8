//! The `Workspace` class: the module's JavaScript API.
//!
//! Data objects use the wire protocol's snake_case keys; every amount, quantity and rate is a
//! decimal string. Every failure is thrown as an `Error` named `SatchelError` with a `code`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use satchel_core::order::{check_catalog, compute_totals, CatalogPrice, OrderDocument, OrderError, OrderRequest, OrderTotals};
use satchel_core::sync::engine::{SyncEvent, WakeReason};
use satchel_core::sync::protocol::{OutletView, ProductView, ReferenceData, RegisterRequest, RegisterResponse};

use crate::error::{bad_input, SatchelError};
use crate::store::{LocalOrder, LocalStore, OrderStatus, ReferenceInfo, Session, SessionView};
use crate::sync_loop::{self, SyncLoop};
use crate::transport::{Failure, Transport};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Options of `Workspace.open`. */
export interface WorkspaceOptions {
  /** IndexedDB database name; default "satchel". */
  db_name?: string;
  /** The sync server's origin; default: this page's origin. */
  base_url?: string;
}
/** Who is signed in on this device. */
export interface SessionView { device_id: string; username: string; display_name: string; }
/** A product of the local catalog. */
export interface ProductView { sku: string; name: string; unit: string; unit_price: string; }
/** An outlet on the user's routes. */
export interface OutletView { id: string; name: string; route: string; address: string; phone: string; tax_rate: string; }
/** An order being composed. Amounts and quantities are decimal strings. */
export interface OrderRequest { outlet_id: string; tax_rate: string; lines: OrderLineRequest[]; }
export interface OrderLineRequest { sku: string; quantity: string; unit_price: string; }
/** Totals computed by the module (never compute money in JavaScript). */
export interface OrderTotals { line_nets: string[]; subtotal: string; tax: string; total: string; }
/** The result of `commitOrder`: the order is durably on the device. */
export interface CommittedOrderView { order_id: string; seq: number; totals: OrderTotals; }
/** A local order and its sync state. */
export interface OrderView {
  order_id: string; outlet_id: string; committed_at: string; total: string; seq: number;
  line_count: number; status: "pending" | "synced" | "rejected"; reason?: string;
}
/** Records on this device that could not be read (corrupt) and were skipped. */
export interface StorageReportView { unreadable_orders: number; unreadable_reference: number; }
/** The sync loop's state, as `onStatus` reports it. */
export interface SyncStatusView {
  pending: number;
  phase: "idle" | "pushing" | "backing_off" | "needs_sign_in";
  last_synced_at?: string;
  last_error?: string;
  last_error_code?: SatchelErrorCode;
}
"#;

/// The in-memory reference data, for instant reads.
#[derive(Default)]
pub(crate) struct Reference {
    info: Option<ReferenceInfo>,
    products: Vec<ProductView>,
    /// Lower-cased "sku name" per product, for search.
    haystacks: Vec<String>,
    by_sku: HashMap<String, usize>,
    outlets: Vec<OutletView>,
}

impl Reference {
    fn new(info: Option<ReferenceInfo>, products: Vec<ProductView>, outlets: Vec<OutletView>) -> Self {
        let haystacks = products.iter().map(|p| format!("{} {}", p.sku, p.name).to_lowercase()).collect();
        let by_sku = products.iter().enumerate().map(|(i, p)| (p.sku.clone(), i)).collect();
        Reference { info, products, haystacks, by_sku, outlets }
    }
}

/// Shared state behind the `Workspace` handle.
pub(crate) struct Inner {
    pub(crate) store: LocalStore,
    /// Reference records (products, outlets) that could not be read when loaded.
    pub(crate) unreadable_reference: std::cell::Cell<usize>,
    pub(crate) transport: Transport,
    pub(crate) session: RefCell<Option<Session>>,
    pub(crate) reference: RefCell<Reference>,
    pub(crate) sync: SyncLoop,
}

/// Serializes to plain JS objects (maps as objects, integers as numbers).
pub(crate) fn to_js_value<T: Serialize>(v: &T) -> Result<JsValue, SatchelError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| SatchelError::internal(format!("to JS: {e}")))
}

fn from_js_value<T: for<'de> Deserialize<'de>>(v: JsValue) -> Result<T, SatchelError> {
    serde_wasm_bindgen::from_value(v).map_err(bad_input)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WorkspaceOptions {
    db_name: Option<String>,
    base_url: Option<String>,
}

#[derive(Serialize)]
struct CommittedOrderView {
    order_id: uuid::Uuid,
    seq: u64,
    totals: OrderTotals,
}

#[derive(Serialize)]
struct OrderView<'a> {
    order_id: uuid::Uuid,
    outlet_id: &'a str,
    committed_at: &'a str,
    total: satchel_core::money::Dec,
    seq: u64,
    line_count: usize,
    status: OrderStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl<'a> From<&'a LocalOrder> for OrderView<'a> {
    fn from(o: &'a LocalOrder) -> Self {
        OrderView {
            order_id: o.order_id,
            outlet_id: &o.outlet_id,
            committed_at: &o.committed_at,
            total: o.total,
            seq: o.seq,
            line_count: o.document.order.lines.len(),
            status: o.status,
            reason: o.reason.as_deref(),
        }
    }
}

fn page_origin() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| js_sys::Reflect::get(&l, &"origin".into()).ok())
        .and_then(|o| o.as_string())
        .unwrap_or_default()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(crate::now_ms() as i64).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

/// An offline-first workspace: the local store, the reference data and the sync loop.
#[wasm_bindgen]
pub struct Workspace {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Workspace {
    /// Opens the workspace stored on this device (creating it on first use).
    #[wasm_bindgen(unchecked_return_type = "Workspace")]
    pub async fn open(#[wasm_bindgen(unchecked_param_type = "WorkspaceOptions | undefined")] options: JsValue) -> Result<Workspace, SatchelError> {
        let options: WorkspaceOptions =
            if options.is_undefined() || options.is_null() { WorkspaceOptions::default() } else { from_js_value(options)? };
        let store = LocalStore::open(options.db_name.as_deref().unwrap_or("satchel")).await?;
        let session = store.session().await?;
        let (info, products, outlets, unreadable_reference) = store.load_reference().await?;
        let base_url = options.base_url.unwrap_or_else(page_origin);
        Ok(Workspace {
            inner: Rc::new(Inner {
                store,
                unreadable_reference: std::cell::Cell::new(unreadable_reference),
                transport: Transport::new(&base_url),
                session: RefCell::new(session),
                reference: RefCell::new(Reference::new(info, products, outlets)),
                sync: SyncLoop::default(),
            }),
        })
    }

    /// Who is signed in, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "SessionView | undefined")]
    pub fn session(&self) -> Result<JsValue, SatchelError> {
        match self.inner.session.borrow().as_ref() {
            Some(s) => to_js_value(&SessionView::from(s)),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Signs in: registers this device with the server and downloads the reference data.
    /// Needs the network once; afterwards the workspace opens signed in, offline too.
    #[wasm_bindgen(js_name = signIn, unchecked_return_type = "SessionView")]
    pub async fn sign_in(&self, username: String, password: String) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        if inner.session.borrow().is_some() && inner.store.pending_count().await? > 0 {
            return Err(SatchelError::PendingWork("orders are waiting to sync; sync them before signing in again".into()));
        }
        let label = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
            .ok()
            .and_then(|n| js_sys::Reflect::get(&n, &"userAgent".into()).ok())
            .and_then(|u| u.as_string())
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect();
        let request = RegisterRequest { username, password, label };
        let registered: RegisterResponse = inner.transport.post("/api/v1/devices", &request, None).await.map_err(|f| match f {
            Failure::Status { status: 401, .. } => SatchelError::BadCredentials,
            other => other.into(),
        })?;
        let session = Session {
            device_id: registered.device_id,
            token: registered.token,
            username: registered.user.username,
            display_name: registered.user.display_name,
        };
        let reference: ReferenceData = inner.transport.get("/api/v1/reference", Some(&session.token)).await?;
        self.install_reference(reference).await?;
        inner.store.start_session(&session).await?;
        let view = to_js_value(&SessionView::from(&session))?;
        *inner.session.borrow_mut() = Some(session);
        sync_loop::dispatch(inner, SyncEvent::Reauthenticated);
        Ok(view)
    }

    /// Downloads the reference data again (catalog, prices, outlets).
    #[wasm_bindgen(js_name = refreshReference)]
    pub async fn refresh_reference(&self) -> Result<(), SatchelError> {
        let token = self.inner.session.borrow().as_ref().map(|s| s.token.clone()).ok_or(SatchelError::NotSignedIn)?;
        let reference: ReferenceData = self.inner.transport.get("/api/v1/reference", Some(&token)).await?;
        self.install_reference(reference).await
    }

    /// When the server produced the reference data on this device (RFC 3339), or `undefined`.
    #[wasm_bindgen(js_name = referenceAsOf)]
    pub fn reference_as_of(&self) -> Option<String> {
        self.inner.reference.borrow().info.as_ref().map(|i| i.as_of.clone())
    }

    /// The outlets on the user's routes.
    #[wasm_bindgen(unchecked_return_type = "OutletView[]")]
    pub fn outlets(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&self.inner.reference.borrow().outlets)
    }

    /// Products whose SKU or name contains every word of `query` (case-insensitive).
    #[wasm_bindgen(js_name = searchProducts, unchecked_return_type = "ProductView[]")]
    pub fn search_products(&self, query: &str, limit: u32) -> Result<JsValue, SatchelError> {
        let reference = self.inner.reference.borrow();
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let hits: Vec<&ProductView> = reference
            .haystacks
            .iter()
            .zip(&reference.products)
            .filter(|(h, _)| words.iter().all(|w| h.contains(w.as_str())))
            .map(|(_, p)| p)
            .take(limit as usize)
            .collect();
        to_js_value(&hits)
    }

    /// Validates an order and computes its totals. Throws a `validation` error naming the field.
    #[wasm_bindgen(js_name = computeTotals, unchecked_return_type = "OrderTotals")]
    pub fn compute_totals(&self, #[wasm_bindgen(unchecked_param_type = "OrderRequest")] order: JsValue) -> Result<JsValue, SatchelError> {
        let order: OrderRequest = from_js_value(order)?;
        to_js_value(&compute_totals(&order)?)
    }

    /// Validates the order against the local catalog and outlet, computes its totals, and stores
    /// it with its outbox entry in one durable transaction. Resolves once it is on disk.
    #[wasm_bindgen(js_name = commitOrder, unchecked_return_type = "CommittedOrderView")]
    pub async fn commit_order(&self, #[wasm_bindgen(unchecked_param_type = "OrderRequest")] order: JsValue) -> Result<JsValue, SatchelError> {
        let inner = &self.inner;
        let device_id = inner.session.borrow().as_ref().map(|s| s.device_id).ok_or(SatchelError::NotSignedIn)?;
        let order: OrderRequest = from_js_value(order)?;
        let totals = compute_totals(&order)?;
        {
            let reference = inner.reference.borrow();
            let outlet = reference
                .outlets
                .iter()
                .find(|o| o.id == order.outlet_id)
                .ok_or_else(|| OrderError::UnknownOutlet { field: "outlet_id".into() })?;
            if outlet.tax_rate.value() != order.tax_rate.value() {
                return Err(OrderError::RateMismatch { field: "tax_rate".into(), expected: outlet.tax_rate, got: order.tax_rate }.into());
            }
            check_catalog(&order, |sku| {
                reference.by_sku.get(sku).map(|&i| CatalogPrice { unit_price: reference.products[i].unit_price.value() })
            })?;
        }
        let document = OrderDocument { order_id: crate::new_id()?, committed_at: now(), order, totals };
        let stored = inner.store.commit_order(device_id, crate::new_id()?, document).await?;
        sync_loop::dispatch(inner, SyncEvent::Wake(WakeReason::Committed));
        to_js_value(&CommittedOrderView { order_id: stored.order_id, seq: stored.seq, totals: stored.document.totals })
    }

    /// Every order taken on this device, newest first, with its sync state.
    #[wasm_bindgen(unchecked_return_type = "OrderView[]")]
    pub async fn orders(&self) -> Result<JsValue, SatchelError> {
        let (orders, _unreadable) = self.inner.store.orders().await?;
        let views: Vec<OrderView> = orders.iter().map(OrderView::from).collect();
        to_js_value(&views)
    }

    /// How many records on this device could not be read and were skipped (a corrupt record is
    /// reported, never fatal; the rest of the workspace keeps working).
    #[wasm_bindgen(js_name = storageReport, unchecked_return_type = "StorageReportView")]
    pub async fn storage_report(&self) -> Result<JsValue, SatchelError> {
        #[derive(Serialize)]
        struct StorageReportView {
            unreadable_orders: usize,
            unreadable_reference: usize,
        }
        let (_, unreadable_orders) = self.inner.store.orders().await?;
        to_js_value(&StorageReportView { unreadable_orders, unreadable_reference: self.inner.unreadable_reference.get() })
    }

    /// How many changes wait to be sent to the server.
    #[wasm_bindgen(js_name = pendingCount)]
    pub async fn pending_count(&self) -> Result<u32, SatchelError> {
        self.inner.store.pending_count().await
    }

    /// The sync loop's current state.
    #[wasm_bindgen(unchecked_return_type = "SyncStatusView")]
    pub async fn status(&self) -> Result<JsValue, SatchelError> {
        to_js_value(&sync_loop::status(&self.inner).await)
    }

    /// Pushes everything now. Resolves when the outbox is drained; rejects with `network` or
    /// `unauthorized` (the loop keeps retrying on its own either way).
    #[wasm_bindgen(js_name = syncNow)]
    pub async fn sync_now(&self) -> Result<(), SatchelError> {
        if self.inner.session.borrow().is_none() {
            return Err(SatchelError::NotSignedIn);
        }
        let done = self.inner.sync.wait_for_pass();
        sync_loop::dispatch(&self.inner, SyncEvent::Wake(WakeReason::Manual));
        done.await.unwrap_or(Err(SatchelError::internal("sync loop dropped")))
    }

    /// Starts the background sync loop: a push now, on `online`, when the page becomes visible,
    /// after each commit, and on a backoff timer after failures.
    #[wasm_bindgen(js_name = startSync)]
    pub fn start_sync(&self) {
        sync_loop::start(&self.inner);
    }

    /// Calls `callback` with a `SyncStatusView` whenever the sync state may have changed.
    #[wasm_bindgen(js_name = onStatus)]
    pub fn on_status(&self, #[wasm_bindgen(unchecked_param_type = "(status: SyncStatusView) => void")] callback: js_sys::Function) {
        self.inner.sync.set_status_callback(callback);
        sync_loop::publish_status(&self.inner);
    }

    /// Signs out. Refused with `pending_work` while anything waits to sync: nothing unsynced is
    /// ever thrown away by signing out.
    #[wasm_bindgen(js_name = signOut)]
    pub async fn sign_out(&self) -> Result<(), SatchelError> {
        if self.inner.store.pending_count().await? > 0 {
            return Err(SatchelError::PendingWork("orders are waiting to sync; signing out now would lose them".into()));
        }
        self.inner.store.clear_session().await?;
        *self.inner.session.borrow_mut() = None;
        Ok(())
    }
}

impl Workspace {
    async fn install_reference(&self, reference: ReferenceData) -> Result<(), SatchelError> {
        let info = ReferenceInfo { as_of: reference.as_of.to_rfc3339(), currency: reference.currency };
        self.inner.store.save_reference(&info, &reference.products, &reference.outlets).await?;
        *self.inner.reference.borrow_mut() = Reference::new(Some(info), reference.products, reference.outlets);
        self.inner.unreadable_reference.set(0);
        Ok(())
    }
}
