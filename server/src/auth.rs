//! Passwords, device tokens and the bearer-token extractor.
//!
//! A token is `<device_id>.<secret>`, the secret being 32 random bytes in unpadded base64url
//! (43 characters). The server stores only the SHA-256 of the whole token and compares hashes in
//! constant time. Tokens and passwords are never logged.
//!
//! A device holds two tokens of that shape: its full token (kept inside the device's vault) and
//! a push-only token (kept outside it, so a locked device can still upload sealed entries). The
//! [`AuthDevice`] extractor accepts only the full token; [`PushAuth`] accepts either and says
//! which ([`Scope`]).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::errors::AppError;
use crate::AppState;

/// A cheap Argon2id cost (1 MiB, one pass, one lane) for unit tests of the hashing code only.
///
/// Every stored password, the seeded demo users' included, uses [`PRODUCTION_ARGON2`]; the
/// root Cargo.toml optimises argon2 in debug builds so that stays fast in tests. Verification
/// reads the cost from the stored hash.
pub const DEMO_ARGON2: (u32, u32, u32) = (1024, 1, 1);
/// Argon2id cost for real users (OWASP minimum: 19 MiB, two passes, one lane).
pub const PRODUCTION_ARGON2: (u32, u32, u32) = (19 * 1024, 2, 1);

/// Length of the secret part of a token (32 bytes in unpadded base64url).
pub const SECRET_LEN: usize = 43;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A field rep: sees the outlets of their routes and their own orders.
    Rep,
    /// A supervisor: sees everything.
    Supervisor,
}

impl Role {
    /// Reads the stored role; anything unknown is treated as the least privileged.
    pub fn from_db(s: &str) -> Role {
        if s == "supervisor" {
            Role::Supervisor
        } else {
            Role::Rep
        }
    }
}

fn argon2(cost: (u32, u32, u32)) -> Result<Argon2<'static>, AppError> {
    let params = Params::new(cost.0, cost.1, cost.2, None)
        .map_err(|e| AppError::Internal(format!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password to a PHC string with the given cost and a salt derived from `salt_seed`.
///
/// The demo seed is deterministic, so its salts come from the username; real users would pass
/// random bytes.
pub fn hash_password(
    password: &str,
    salt_seed: &[u8],
    cost: (u32, u32, u32),
) -> Result<String, AppError> {
    let digest = Sha256::digest(salt_seed);
    let salt = SaltString::encode_b64(&digest[..16])
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    argon2(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Checks a password against a stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to verify against when the username is unknown, so both failures cost the same.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("no such user", b"satchel-dummy", PRODUCTION_ARGON2).unwrap_or_default()
    })
}

/// Makes a new token for a device: `<device_id>.<43 chars>`.
pub fn new_token(device_id: Uuid) -> Result<String, AppError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| AppError::Internal(format!("getrandom: {e}")))?;
    Ok(format!("{device_id}.{}", URL_SAFE_NO_PAD.encode(secret)))
}

/// The stored form of a token: lowercase hex SHA-256 of the whole token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits a token into its device id, or `None` when it does not have the token's shape.
pub fn parse_token(token: &str) -> Option<Uuid> {
    let (id, secret) = token.split_once('.')?;
    let shaped = secret.len() == SECRET_LEN
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !shaped || id.len() != 36 {
        return None;
    }
    Uuid::try_parse(id).ok()
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything the device's user may do.
    Full,
    /// Only upload sealed entries.
    PushOnly,
}

/// The device (and its user) a request is authenticated as, with the full token.
#[derive(Debug, Clone)]
pub struct AuthDevice {
    /// The device the token belongs to.
    pub device_id: Uuid,
    /// The user who registered the device.
    pub username: String,
    /// That user's role.
    pub role: Role,
    /// Which of the device's tokens was presented.
    pub scope: Scope,
}

/// A request authenticated with either of the device's tokens (for the push endpoint).
#[derive(Debug, Clone)]
pub struct PushAuth(pub AuthDevice);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let auth = authenticate(parts, state).await?;
        if auth.scope != Scope::Full {
            return Err(AppError::TokenScope("a push-only token may only upload sealed entries".into()));
        }
        Ok(auth)
    }
}

impl FromRequestParts<AppState> for PushAuth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        authenticate(parts, state).await.map(PushAuth)
    }
}

/// Compares two token hashes in constant time.
fn hash_matches(presented: &str, stored: &str) -> bool {
    bool::from(presented.as_bytes().ct_eq(stored.as_bytes()))
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<AuthDevice, AppError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(AppError::MissingToken)?;
    let header = header.to_str().map_err(|_| AppError::MissingToken)?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(AppError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::MissingToken);
    }
    let token = token.trim();
    let device_id = parse_token(token).ok_or(AppError::MissingToken)?;
    let row: Option<(String, Option<String>, String, String)> = sqlx::query_as(
        "SELECT d.token_hash, d.push_token_hash, d.username, u.role FROM devices d \
         JOIN users u ON u.username = d.username WHERE d.device_id = $1",
    )
    .bind(device_id.to_string())
    .fetch_optional(&state.db.pool)
    .await?;
    let (stored, push_stored, username, role) = row.ok_or(AppError::UnknownDevice)?;
    let presented = token_hash(token);
    // Both comparisons always run, so timing does not tell which token was tried.
    let full = hash_matches(&presented, &stored);
    let push = hash_matches(&presented, push_stored.as_deref().unwrap_or(""));
    let scope = match (full, push) {
        (true, _) => Scope::Full,
        (false, true) => Scope::PushOnly,
        (false, false) => return Err(AppError::InvalidToken),
    };
    Ok(AuthDevice {
        device_id,
        username,
        role: Role::from_db(&role),
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_documented_shape() {
        let id = Uuid::now_v7();
        let t = new_token(id).expect("token");
        let (head, secret) = t.split_once('.').expect("dot");
        assert_eq!(head, id.to_string());
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(parse_token(&t), Some(id));
        assert_ne!(new_token(id).expect("token"), t);
        assert_eq!(parse_token("nodot"), None);
        assert_eq!(parse_token(&format!("{id}.short")), None);
        assert_eq!(token_hash("abc").len(), 64);
    }

    #[test]
    fn passwords_verify_only_when_right() {
        let h = hash_password("rep1-demo", b"rep1", DEMO_ARGON2).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("rep1-demo", &h));
        assert!(!verify_password("rep1-demo ", &h));
        assert!(!verify_password("rep1-demo", "garbage"));
        assert_eq!(
            hash_password("x", b"s", DEMO_ARGON2).ok(),
            hash_password("x", b"s", DEMO_ARGON2).ok()
        );
    }
}
