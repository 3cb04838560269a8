//! `GET /api/v1/reference`: the catalog and the outlets the user may see, and the sales data of
//! orders v2 (`sales`): settings, the user's role, the v2 catalog, the price lists of the user's
//! outlets' groups, those outlets with their place of supply and credit, the user's van stock.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use satchel_core::money::{parse_decimal, Dec};
use satchel_core::sync::protocol::{OutletView, ProductView, ReferenceData, SalesReference};
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
    let sales = sales_reference(&mut conn, &state, &auth, routes.as_deref()).await?;
    Ok(Json(ReferenceData {
        as_of: Utc::now(),
        currency: CURRENCY.into(),
        products,
        outlets,
        sales,
    }))
}

/// The role's name as the validation policy's discount caps know it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Rep => "rep",
        Role::Supervisor => "supervisor",
    }
}

/// The v2 block, filtered like v1: outlets on the user's routes (all for a supervisor), the
/// price lists of those outlets' groups, the user's van. `None` when the deployment has no sales
/// settings.
async fn sales_reference(
    conn: &mut AnyConnection,
    state: &AppState,
    auth: &AuthDevice,
    routes: Option<&[String]>,
) -> Result<Option<SalesReference>, AppError> {
    let Some(settings) = crate::sales::settings(conn).await? else {
        return Ok(None);
    };
    let outlets = crate::sales::outlets(conn, routes).await?;
    let groups: Vec<String> = outlets
        .iter()
        .map(|o| o.group.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let price_lists = crate::sales::price_lists(conn, Some(&groups), None).await?;
    let products = crate::sales::products(conn, None).await?;
    let van_stock = crate::sales::van_stock(conn, state.db.backend, &auth.username, None, false).await?;
    Ok(Some(SalesReference {
        settings: settings.sales,
        role: role_name(auth.role).into(),
        products,
        price_lists,
        outlets,
        van_stock,
    }))
}
