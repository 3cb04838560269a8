//! The supervisor's view of the counter's shifts.
//!
//! - `GET /api/v1/shifts`: the shifts, newest opened first (at most [`MAX_SHIFTS`]), each with
//!   its register, cashier, times, receipt count and, once closed, the server's Z report figures
//!   (net total, expected and counted cash, variance) and the figures where the device's report
//!   differed (`flagged`).
//! - `GET /api/v1/shifts/{shift_id}`: one shift with the stored device and server Z reports;
//!   `404 not_found` for a shift the server does not know.
//!
//! Both need the full token of a supervisor's device: anyone else gets `403 forbidden`.

use axum::extract::{Path, State};
use axum::Json;
use satchel_core::pos::{ReportDifference, ShiftReport};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

use crate::auth::AuthDevice;
use crate::errors::AppError;
use crate::AppState;

/// Most shifts one list answers with.
pub const MAX_SHIFTS: i64 = 500;

/// One figure where the device's Z report and the server's recomputation disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ShiftDifference {
    /// The figure, e.g. `net_total`, `taxes.HST-ON`, `tenders.card`.
    pub field: String,
    /// What the device reported.
    pub device: String,
    /// What the server computed from the receipts it holds.
    pub server: String,
}

/// One shift in the supervisor's list. Amounts are decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ShiftItem {
    /// The shift's id.
    pub shift_id: String,
    /// The register (till).
    pub register: String,
    /// The cashier (the device's user).
    pub cashier: String,
    /// The device it ran on.
    pub device_id: String,
    /// When it opened (device clock).
    pub opened_at: String,
    /// When it closed (device clock); `null` while open.
    pub closed_at: Option<String>,
    /// How many receipts (sales and refunds) the server holds for it.
    pub receipts: u32,
    /// Sales minus refunds, by the server's Z report; `null` while open.
    pub net_total: Option<String>,
    /// What the drawer should have held at the close, by the server's Z report.
    pub expected_cash: Option<String>,
    /// What the cashier counted at the close.
    pub counted_cash: Option<String>,
    /// Counted minus expected (negative: short).
    pub variance: Option<String>,
    /// Where the device's Z report differs from the server's (empty when they agree).
    pub differences: Vec<ShiftDifference>,
    /// Whether the close was flagged (the reports differ).
    pub flagged: bool,
}

/// One shift with both Z reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
pub struct ShiftDetail {
    /// The shift as listed.
    pub shift: ShiftItem,
    /// The Z report the device sent with the close; `null` while open.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "Record<string, unknown> | null"))]
    pub device_report: Option<ShiftReport>,
    /// The Z report the server recomputed from the receipts it holds; `null` while open.
    #[cfg_attr(not(target_arch = "wasm32"), ts(type = "Record<string, unknown> | null"))]
    pub server_report: Option<ShiftReport>,
}

/// The list answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShiftList {
    /// Shifts, newest opened first.
    pub shifts: Vec<ShiftItem>,
}

const SELECT: &str = "SELECT s.shift_id, s.register, s.username, s.device_id, s.opened_at, s.closed_at, \
     (SELECT COUNT(*) FROM receipts r WHERE r.shift_id = s.shift_id), s.server_report, s.device_report, \
     s.differences, s.flagged FROM shifts s";

type Row = (String, String, String, String, String, Option<String>, i64, Option<String>, Option<String>, Option<String>, i64);

fn json<T: serde::de::DeserializeOwned>(text: Option<&str>, what: &str) -> Result<Option<T>, AppError> {
    text.map(|t| serde_json::from_str(t).map_err(|e| AppError::Internal(format!("stored {what}: {e}")))).transpose()
}

/// A row as the list shows it, with its reports (device, server).
fn item(r: Row) -> Result<(ShiftItem, Option<ShiftReport>, Option<ShiftReport>), AppError> {
    let server: Option<ShiftReport> = json(r.7.as_deref(), "server report")?;
    let device: Option<ShiftReport> = json(r.8.as_deref(), "device report")?;
    let differences: Vec<ReportDifference> = json(r.9.as_deref(), "report differences")?.unwrap_or_default();
    let amount = |f: fn(&ShiftReport) -> Option<String>| server.as_ref().and_then(f);
    let item = ShiftItem {
        shift_id: r.0,
        register: r.1,
        cashier: r.2,
        device_id: r.3,
        opened_at: r.4,
        closed_at: r.5,
        receipts: u32::try_from(r.6).map_err(|_| AppError::Internal("receipt count".into()))?,
        net_total: amount(|z| Some(z.net_total.to_string())),
        expected_cash: amount(|z| Some(z.expected_cash.to_string())),
        counted_cash: amount(|z| z.counted_cash.map(|c| c.to_string())),
        variance: amount(|z| z.variance.map(|v| v.to_string())),
        differences: differences
            .into_iter()
            .map(|d| ShiftDifference { field: d.field, device: d.device, server: d.server })
            .collect(),
        flagged: r.10 != 0,
    };
    Ok((item, device, server))
}

fn supervisor(auth: &AuthDevice) -> Result<(), AppError> {
    super::require_supervisor(auth, "the shifts")
}

async fn rows(pool: &AnyPool) -> Result<Vec<Row>, AppError> {
    Ok(sqlx::query_as(&format!("{SELECT} ORDER BY s.opened_at DESC, s.shift_id DESC LIMIT {MAX_SHIFTS}"))
        .fetch_all(pool)
        .await?)
}

/// `GET /api/v1/shifts`.
pub async fn list(State(state): State<AppState>, auth: AuthDevice) -> Result<Json<ShiftList>, AppError> {
    supervisor(&auth)?;
    let shifts = rows(&state.db.pool).await?.into_iter().map(|r| item(r).map(|(i, _, _)| i)).collect::<Result<_, _>>()?;
    Ok(Json(ShiftList { shifts }))
}

/// `GET /api/v1/shifts/{shift_id}`.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthDevice,
    Path(shift_id): Path<String>,
) -> Result<Json<ShiftDetail>, AppError> {
    supervisor(&auth)?;
    let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.shift_id = $1"))
        .bind(&shift_id)
        .fetch_optional(&state.db.pool)
        .await?;
    let Some(row) = row else {
        return Err(AppError::NoSuchItem(format!("shift {shift_id:?} is not known")));
    };
    let (shift, device_report, server_report) = item(row)?;
    Ok(Json(ShiftDetail { shift, device_report, server_report }))
}
