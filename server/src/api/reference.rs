//! `GET /api/v1/reference`: the catalog and the outlets the user may see.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use satchel_core::money::{parse_decimal, Dec};
use satchel_core::sync::protocol::{OutletView, ProductView, ReferenceData};
use sqlx::AnyConnection;

use crate::auth::{AuthDevice, Role};
use crate::errors::AppError;
use crate::AppState;

/// The currency of every demo price.
pub const CURRENCY: &str = "CAD";

/// Parses a decimal stored as text; a bad one is a server fault.
pub fn stored_dec(text: &str, what: &str) -> Result<Dec, AppError> {
    parse_decimal(text)
        .map(Dec)
        .map_err(|e| AppError::Internal(format!("stored {what} {text:?}: {e}")))
}

/// The routes a rep works, or `None` for a supervisor (every route).
pub async fn routes_of(
    conn: &mut AnyConnection,
    auth: &AuthDevice,
) -> Result<Option<Vec<String>>, AppError> {
    if auth.role == Role::Supervisor {
        return Ok(None);
    }
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT route FROM user_routes WHERE username = $1 ORDER BY route")
            .bind(&auth.username)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some(rows.into_iter().map(|(r,)| r).collect()))
}

/// Returns every product and the outlets on the user's routes (all outlets for a supervisor).
pub async fn reference(
    State(state): State<AppState>,
    auth: AuthDevice,
) -> Result<Json<ReferenceData>, AppError> {
    let mut conn = state.db.pool.acquire().await?;
    let products: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT sku, name, unit, unit_price FROM products ORDER BY sku")
            .fetch_all(&mut *conn)
            .await?;
    let products = products
        .into_iter()
        .map(|(sku, name, unit, price)| {
            Ok(ProductView {
                unit_price: stored_dec(&price, "unit_price")?,
                sku,
                name,
                unit,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let routes = routes_of(&mut conn, &auth).await?;
    let outlets: Vec<(String, String, String, String, String, String)> =
        sqlx::query_as("SELECT id, name, route, address, phone, tax_rate FROM outlets ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let outlets = outlets
        .into_iter()
        .filter(|o| routes.as_ref().is_none_or(|rs| rs.contains(&o.2)))
        .map(|(id, name, route, address, phone, rate)| {
            Ok(OutletView {
                tax_rate: stored_dec(&rate, "tax_rate")?,
                id,
                name,
                route,
                address,
                phone,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Json(ReferenceData {
        as_of: Utc::now(),
        currency: CURRENCY.into(),
        products,
        outlets,
        sales: None,
    }))
}
