//! A manager's approval at the counter (a return without a receipt, where the deployment asks
//! for one), given offline with the manager's PIN and checked again by the server.
//!
//! # How
//!
//! - The manager's key is `K = PBKDF2-HMAC-SHA256(PIN, salt, iterations)`. The server keeps `K`
//!   (like a password hash: never sent anywhere). Devices get only the salt, the iteration
//!   count and `SHA-256(K)` ([`ManagerKey`], in the counter settings), enough to check a PIN
//!   typed at the till without a network.
//! - A PIN that checks gives an approval of one document: `HMAC-SHA256(K, order id)`
//!   ([`ManagerApproval`]). The PIN and `K` are used and dropped; the document carries the proof.
//! - The server recomputes the proof with its `K` ([`verify`], constant-time). A device that
//!   flips a flag or copies a proof onto another document is refused.
//!
//! The trade-off of any offline approval: a device holds what checks a PIN, so a PIN can be
//! guessed offline at the cost of the key derivation per guess. Managers' PINs are 6 digits or
//! more ([`MIN_PIN_LEN`]), and the server's check means a guessed PIN still leaves a trace.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::vault::hex;

type HmacSha256 = Hmac<Sha256>;

/// The shortest manager PIN.
pub const MIN_PIN_LEN: usize = 6;

/// What a device knows of a manager: enough to check their PIN, not to forge an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ManagerKey {
    /// The manager's login.
    pub username: String,
    /// The name shown to the cashier.
    pub display_name: String,
    /// The key derivation's salt (hex).
    pub salt: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// `SHA-256(K)` (hex).
    pub verifier: String,
}

/// A manager's approval of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ManagerApproval {
    /// Who approved.
    pub manager: String,
    /// `HMAC-SHA256(K, order id)` (hex).
    pub proof: String,
}

/// Why an approval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// No such manager in the deployment's settings (or on the server).
    #[error("{0} is not a manager here")]
    UnknownManager(String),
    /// The PIN does not check.
    #[error("wrong manager PIN")]
    WrongPin,
    /// The proof does not match the document (server).
    #[error("the manager's approval does not match this document")]
    BadProof,
}

impl ApprovalError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApprovalError::UnknownManager(_) => "unknown_manager",
            ApprovalError::WrongPin => "wrong_manager_pin",
            ApprovalError::BadProof => "bad_approval",
        }
    }
}

/// `K` for a PIN.
pub fn derive(pin: &str, salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    // PBKDF2-HMAC-SHA256 with one output block (RFC 8018 §5.2).
    let mut out = Zeroizing::new([0u8; 32]);
    let Ok(prf) = HmacSha256::new_from_slice(pin.as_bytes()) else { return out };
    let mut first = prf.clone();
    first.update(salt);
    first.update(&1u32.to_be_bytes());
    let mut u = Zeroizing::new(<[u8; 32]>::from(first.finalize().into_bytes()));
    out.copy_from_slice(&*u);
    for _ in 1..iterations.max(1) {
        let mut next = prf.clone();
        next.update(&*u);
        u.copy_from_slice(&next.finalize().into_bytes());
        out.iter_mut().zip(u.iter()).for_each(|(o, b)| *o ^= b);
    }
    out
}

/// `SHA-256(K)` in hex: what devices get.
pub fn verifier_of(key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(key))
}

fn proof_of(key: &[u8; 32], order_id: Uuid) -> Result<HmacSha256, ApprovalError> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| ApprovalError::BadProof)?;
    mac.update(order_id.as_bytes());
    Ok(mac)
}

/// Checks a manager's PIN against what the device holds and approves `order_id` with it.
pub fn approve(managers: &[ManagerKey], manager: &str, pin: &str, order_id: Uuid) -> Result<ManagerApproval, ApprovalError> {
    let m = managers.iter().find(|m| m.username == manager).ok_or_else(|| ApprovalError::UnknownManager(manager.into()))?;
    let salt = hex::decode(&m.salt).ok_or_else(|| ApprovalError::UnknownManager(manager.into()))?;
    let key = derive(pin, &salt, m.iterations);
    let expected = hex::decode(&m.verifier).ok_or_else(|| ApprovalError::UnknownManager(manager.into()))?;
    // Constant-time comparison of the verifier: an HMAC check of the digest against itself.
    let digest = Sha256::digest(*key);
    let mut check = HmacSha256::new_from_slice(b"satchel manager verifier").map_err(|_| ApprovalError::WrongPin)?;
    check.update(&digest);
    let mut want = HmacSha256::new_from_slice(b"satchel manager verifier").map_err(|_| ApprovalError::WrongPin)?;
    want.update(&expected);
    check.verify_slice(&want.finalize().into_bytes()).map_err(|_| ApprovalError::WrongPin)?;
    let proof = proof_of(&key, order_id)?.finalize().into_bytes();
    Ok(ManagerApproval { manager: manager.into(), proof: hex::encode(&proof) })
}

/// The server's check of an approval with the manager's `key` (constant-time).
pub fn verify(key: &[u8; 32], order_id: Uuid, approval: &ManagerApproval) -> Result<(), ApprovalError> {
    let proof = hex::decode(&approval.proof).ok_or(ApprovalError::BadProof)?;
    proof_of(key, order_id)?.verify_slice(&proof).map_err(|_| ApprovalError::BadProof)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, first 32 bytes.
        let k = derive("passwd", b"salt", 1);
        assert_eq!(hex::encode(&*k), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
        // The same section's P="Password", S="NaCl", c=80000.
        let k = derive("Password", b"NaCl", 80_000);
        assert_eq!(hex::encode(&*k), "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56");
    }

    #[test]
    fn a_pin_approves_one_document_and_the_server_checks_it() {
        let key = derive("135790", b"pepper", 1000);
        let managers = vec![ManagerKey { username: "super".into(), display_name: "Sam".into(), salt: hex::encode(b"pepper".as_slice()), iterations: 1000, verifier: verifier_of(&key) }];
        let order = Uuid::from_u128(7);
        let ok = approve(&managers, "super", "135790", order).expect("the right PIN");
        assert_eq!(verify(&key, order, &ok), Ok(()));
        assert_eq!(verify(&key, Uuid::from_u128(8), &ok), Err(ApprovalError::BadProof), "a proof is for one document");
        let forged = ManagerApproval { manager: "super".into(), proof: "00".repeat(32) };
        assert_eq!(verify(&key, order, &forged), Err(ApprovalError::BadProof));
        assert_eq!(approve(&managers, "super", "135791", order).expect_err("wrong").code(), "wrong_manager_pin");
        assert_eq!(approve(&managers, "nobody", "135790", order).expect_err("unknown").code(), "unknown_manager");
    }
}
