//! `GET /api/v1/orders`: the orders received, in the order they were received.

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
);

/// Lists the user's own orders (a supervisor's: everyone's).
pub async fn list(
    State(state): State<AppState>,
    auth: AuthDevice,
) -> Result<Json<OrderList>, AppError> {
    const COLUMNS: &str = "SELECT order_id, device_id, seq, username, outlet_id, committed_at, \
                           subtotal, tax, total, line_count FROM orders";
    const ORDER: &str = " ORDER BY received_at, device_id, seq";
    let rows: Vec<Row> = if auth.role == Role::Supervisor {
        sqlx::query_as(&format!("{COLUMNS}{ORDER}"))
            .fetch_all(&state.db.pool)
            .await?
    } else {
        sqlx::query_as(&format!("{COLUMNS} WHERE username = $1{ORDER}"))
            .bind(&auth.username)
            .fetch_all(&state.db.pool)
            .await?
    };
    let orders = rows
        .into_iter()
        .map(|r| OrderSummary {
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
        })
        .collect();
    Ok(Json(OrderList { orders }))
}
