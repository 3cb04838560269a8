//! `POST /api/v1/devices`: register a device with a username and password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use std::time::Instant;

use chrono::Utc;
use satchel_core::sync::protocol::{RegisterRequest, RegisterResponse, SealingMaterial, UserView};
use satchel_core::pos::receipt_prefix;
use satchel_core::vault::{hex, Rng};
use uuid::Uuid;

use super::JsonBody;
use crate::auth::{dummy_hash, new_token, token_hash, verify_password, PushAuth};
use crate::db::timestamp;
use crate::errors::AppError;
use crate::sales::Counter;
use crate::throttle::Peer;
use crate::AppState;

/// Longest device label kept (longer labels are cut).
pub const MAX_LABEL_CHARS: usize = 100;

/// Registers a device: checks the password, creates the device and returns its token once, with
/// a first lease of [`crate::sales::LEASE_SIZE`] document numbers (when the deployment has sales
/// settings) and, for a user with a register (a cashier), a first lease of that register's
/// receipt numbers (prefix `"<register>-"`), in one transaction. The answer lists the user's
/// other devices with work the server does not hold ([`super::marks::missing_for`]).
pub async fn register(
    State(state): State<AppState>,
    peer: Peer,
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
    // Throttled per username and per address before the password is looked at.
    let keys = peer.keys(&req.username);
    state.guard.check(&keys, Instant::now())?;
    let user: Option<(String, String)> =
        sqlx::query_as("SELECT password_hash, display_name FROM users WHERE username = $1")
            .bind(&req.username)
            .fetch_optional(&state.db.pool)
            .await?;
    let known = user.is_some();
    let (stored, display_name) = user.unwrap_or_else(|| (dummy_hash().to_string(), String::new()));
    let password = req.password;
    let ok = state.guard.verify(move || verify_password(&password, &stored)).await?;
    if !(known && ok) {
        state.guard.failed(&keys, Instant::now());
        // The username as typed is logged only when it names an account: a password typed
        // into the username field must not land in the log.
        if known {
            tracing::info!(username = %req.username, "registration refused: bad credentials");
        } else {
            tracing::info!(username_chars = req.username.chars().count(), "registration refused: no such user");
        }
        return Err(AppError::BadCredentials);
    }
    state.guard.succeeded(&keys[0]);
    let device_id = Uuid::now_v7();
    let token = new_token(device_id)?;
    let push_token = new_token(device_id)?;
    let mut secret = zeroize::Zeroizing::new([0u8; 32]);
    crate::keys::OsRng.fill(secret.as_mut());
    let device_secret = hex::encode(secret.as_ref());
    let (server_key_id, server_public_key) = state.keys.current()?;
    let label: String = req.label.trim().chars().take(MAX_LABEL_CHARS).collect();
    let now = Utc::now();
    // The user's devices' work that never arrived (the new device will have reported nothing),
    // read before anything is written so that a failure leaves no device behind.
    let missing = super::marks::missing_for(&state.db.pool, super::marks::Devices::OfUser(&req.username)).await?;
    // The device and its first lease of document numbers go in together.
    let mut tx = state.db.begin_write().await?;
    sqlx::query(
        "INSERT INTO devices (device_id, username, label, token_hash, push_token_hash, device_secret, last_seq, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
    )
    .bind(device_id.to_string())
    .bind(&req.username)
    .bind(&label)
    .bind(token_hash(&token))
    .bind(token_hash(&push_token))
    .bind(&device_secret)
    .bind(timestamp(now))
    .execute(&mut *tx)
    .await?;
    // A cashier's device also gets a first lease of its register's receipt numbers.
    let register = crate::sales::register_of(&mut tx, &req.username).await?;
    let number_ranges = match crate::sales::settings(&mut tx).await? {
        Some(settings) => {
            let device = device_id.to_string();
            let mut ranges = vec![crate::sales::lease(&mut tx, &device, Counter::Documents, &settings.number_prefix, now).await?];
            if let Some(register) = &register {
                let prefix = receipt_prefix(register);
                ranges.push(crate::sales::lease(&mut tx, &device, Counter::Receipts(register), &prefix, now).await?);
            }
            ranges
        }
        None => Vec::new(),
    };
    tx.commit().await?;
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
                register,
            },
            server_time: now,
            sealing: SealingMaterial {
                server_key_id,
                server_public_key,
                device_secret,
                push_token,
            },
            lock: state.lock.clone(),
            number_ranges,
            missing,
        }),
    ))
}

/// `POST /api/v1/devices/reauthenticate`: the device's user proves their password again, with
/// either of the device's tokens. A device that saw too many wrong PINs asks for this before it
/// allows more attempts. Answers 204, or 401 `bad_credentials` (also when the user is not the
/// device's). Nothing is changed on the server.
pub async fn reauthenticate(
    State(state): State<AppState>,
    peer: Peer,
    auth: Result<PushAuth, AppError>,
    body: Result<JsonBody<RegisterRequest>, AppError>,
) -> Result<StatusCode, AppError> {
    let PushAuth(auth) = auth?;
    let JsonBody(req) = body.map_err(|e| match e {
        AppError::MalformedJson(_) => AppError::MalformedJson(
            "expected {\"username\": string, \"password\": string}".into(),
        ),
        other => other,
    })?;
    // Counted against the device's user (whatever name was typed) and the address.
    let keys = peer.keys(&auth.username);
    state.guard.check(&keys, Instant::now())?;
    let stored: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM users WHERE username = $1")
        .bind(&auth.username)
        .fetch_optional(&state.db.pool)
        .await?;
    let same_user = req.username == auth.username && stored.is_some();
    let stored = stored.map_or_else(|| dummy_hash().to_string(), |(h,)| h);
    let password = req.password;
    let ok = state.guard.verify(move || verify_password(&password, &stored)).await?;
    if !(same_user && ok) {
        state.guard.failed(&keys, Instant::now());
        tracing::info!(device_id = %auth.device_id, "re-authentication refused");
        return Err(AppError::BadCredentials);
    }
    state.guard.succeeded(&keys[0]);
    tracing::info!(device_id = %auth.device_id, "re-authenticated");
    Ok(StatusCode::NO_CONTENT)
}
