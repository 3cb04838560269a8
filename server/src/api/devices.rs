//! `POST /api/v1/devices`: register a device with a username and password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use satchel_core::sync::protocol::{RegisterRequest, RegisterResponse, UserView};
use uuid::Uuid;

use super::JsonBody;
use crate::auth::{dummy_hash, new_token, token_hash, verify_password};
use crate::db::timestamp;
use crate::errors::AppError;
use crate::AppState;

/// Longest device label kept (longer labels are cut).
pub const MAX_LABEL_CHARS: usize = 100;

/// Registers a device: checks the password, creates the device and returns its token once.
pub async fn register(
    State(state): State<AppState>,
    body: Result<JsonBody<RegisterRequest>, AppError>,
) -> Result<(StatusCode, Json<RegisterResponse>), AppError> {
    // serde's message could quote a misplaced password; say what is expected instead.
    let JsonBody(req) = body.map_err(|e| match e {
        AppError::MalformedJson(_) => AppError::MalformedJson(
            "expected {\"username\": string, \"password\": string, \"label\": string (optional)}"
                .into(),
        ),
        other => other,
    })?;
    let user: Option<(String, String)> =
        sqlx::query_as("SELECT password_hash, display_name FROM users WHERE username = ?")
            .bind(&req.username)
            .fetch_optional(&state.db)
            .await?;
    let known = user.is_some();
    let (stored, display_name) = user.unwrap_or_else(|| (dummy_hash().to_string(), String::new()));
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))?;
    if !(known && ok) {
        tracing::info!(username = %req.username, "registration refused: bad credentials");
        return Err(AppError::BadCredentials);
    }
    let device_id = Uuid::now_v7();
    let token = new_token(device_id)?;
    let label: String = req.label.trim().chars().take(MAX_LABEL_CHARS).collect();
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO devices (device_id, username, label, token_hash, last_seq, created_at) \
         VALUES (?, ?, ?, ?, 0, ?)",
    )
    .bind(device_id.to_string())
    .bind(&req.username)
    .bind(&label)
    .bind(token_hash(&token))
    .bind(timestamp(now))
    .execute(&state.db)
    .await?;
    state.metrics.device_registered();
    tracing::info!(username = %req.username, %device_id, "device registered");
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            device_id,
            token,
            user: UserView {
                username: req.username,
                display_name,
            },
            server_time: now,
        }),
    ))
}
