//! `GET /api/v1/orders`: the orders received, in the order they were received, v1 and v2 alike
//! (v2 orders add their document number, kind, flag, review status and tax per tax code).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use crate::auth::{AuthDevice, Role};
use crate::errors::AppError;
use crate::AppState;

/// One received order, as listed.
#[derive(Debug, Serialize)]
pub struct OrderSummary {
    /// The order's id.
    pub order_id: String,
    /// The device that pushed it.
    pub device_id: String,
    /// The mutation's sequence number on that device.
    pub seq: i64,
    /// The rep (from the device's registration, never from the payload).
    pub username: String,
    /// The outlet.
    pub outlet_id: String,
    /// When the rep committed it (device clock).
    pub committed_at: String,
    /// Server-recomputed subtotal.
    pub subtotal: String,
    /// Server-recomputed tax.
    pub tax: String,
    /// Server-recomputed total.
    pub total: String,
    /// Number of lines.
    pub line_count: i64,
    /// 1 for `order.create`, 2 for `sales_order.create`.
    pub version: i64,
    /// v2: the document number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// `sale` or `return` (v1 orders are sales).
    pub kind: String,
    /// Whether the server flagged it for review.
    pub flagged: bool,
    /// v2 flagged orders: `open`, `approved` or `rejected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_status: Option<String>,
    /// v2: the tax per tax code (summed over the lines), e.g. `{"HST-FED": "5.00", "HST-ON-PROV": "8.00"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxes: Option<BTreeMap<String, String>>,
}

/// The list answer.
#[derive(Debug, Serialize)]
pub struct OrderList {
    /// Orders, oldest received first.
    pub orders: Vec<OrderSummary>,
}

type Row = (
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<String>,
);

/// Lists the user's own orders (a supervisor's: everyone's).
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
) -> Result<Json<OrderList>, AppError> {
    const COLUMNS: &str = "SELECT o.order_id, o.device_id, o.seq, o.username, o.outlet_id, o.committed_at, \
                           o.subtotal, o.tax, o.total, o.line_count, o.version, o.document_number, o.kind, \
                           o.flagged, o.tax_breakdown, r.status FROM orders o \
                           LEFT JOIN review_queue r ON r.order_id = o.order_id";
    const ORDER: &str = " ORDER BY o.received_at, o.device_id, o.seq";
    let rows: Vec<Row> = if auth.role == Role::Supervisor {
        sqlx::query_as(&format!("{COLUMNS}{ORDER}"))
            .fetch_all(&state.db.pool)
            .await?
    } else {
        sqlx::query_as(&format!("{COLUMNS} WHERE o.username = $1{ORDER}"))
            .bind(&auth.username)
            .fetch_all(&state.db.pool)
            .await?
    };
    let orders = rows
        .into_iter()
        .map(|r| {
            let taxes = r
                .14
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| AppError::Internal(format!("stored tax breakdown: {e}")))?;
            Ok(OrderSummary {
            order_id: r.0,
            device_id: r.1,
            seq: r.2,
            username: r.3,
            outlet_id: r.4,
            committed_at: r.5,
            subtotal: r.6,
            tax: r.7,
            total: r.8,
            line_count: r.9,
            version: r.10,
            document_number: r.11,
            kind: r.12,
            flagged: r.13 != 0,
            taxes,
            review_status: r.15,
        })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Json(OrderList { orders }))
}
