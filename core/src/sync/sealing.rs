//! Outbox entries sealed to the server's key.
//!
//! At commit (workspace unlocked) the device seals each [`Mutation`] with
//! [`crate::vault::seal_to`] to the server's X25519 public key, authenticated by the device
//! secret it received at registration, and bound to `(device id, seq, mutation id)`. The sealed
//! entry is what the outbox keeps, so the sync loop (page or service worker) uploads it with the
//! push-only token without ever needing the data key, and a copy of the disk reveals nothing of
//! it. The server opens it with its secret key and the device's secret, and checks that what is
//! inside names the same device, sequence number and id as the envelope.

use uuid::Uuid;

use super::protocol::{Mutation, SealedMutation};
use crate::vault::{self, hex, BoxSecret, Rng, VaultError};

/// Length of the device secret.
pub const DEVICE_SECRET_LEN: usize = 32;

/// Why a sealed mutation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealingError {
    /// The hex text is not hex, or a key has the wrong length.
    #[error("malformed sealed entry or key")]
    Malformed,
    /// The box could not be opened.
    #[error("the sealed entry could not be opened: {0}")]
    Vault(#[from] VaultError),
    /// It opened but is not a mutation.
    #[error("the sealed entry does not hold a mutation")]
    NotAMutation,
    /// It opened, but names another device, sequence number or id than its envelope.
    #[error("the sealed entry's contents do not match its envelope")]
    Mismatch,
}

/// The context a sealed mutation is bound to.
pub fn context(device_id: Uuid, seq: u64, id: Uuid) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"satchel/mutation/v1");
    out.extend_from_slice(device_id.as_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(id.as_bytes());
    out
}

/// Decodes a 32-byte key from hex.
pub fn key_from_hex(text: &str) -> Result<[u8; 32], SealingError> {
    hex::decode(text).and_then(|v| <[u8; 32]>::try_from(v).ok()).ok_or(SealingError::Malformed)
}

/// Seals `mutation` for the server.
pub fn seal_mutation<R: Rng + ?Sized>(
    rng: &mut R,
    server_key_id: u32,
    server_public_key: &[u8; 32],
    device_secret: &[u8; DEVICE_SECRET_LEN],
    mutation: &Mutation,
) -> Result<SealedMutation, SealingError> {
    let json = zeroize::Zeroizing::new(serde_json::to_vec(mutation).map_err(|_| SealingError::NotAMutation)?);
    let sealed = vault::seal_to(
        rng,
        server_key_id,
        server_public_key,
        Some(device_secret),
        &context(mutation.device_id, mutation.seq, mutation.id),
        &json,
    )?;
    Ok(SealedMutation { seq: mutation.seq, id: mutation.id, sealed: hex::encode(&sealed) })
}

/// The server key generation a sealed mutation names.
pub fn sealed_key_id(sealed: &SealedMutation) -> Result<u32, SealingError> {
    let bytes = hex::decode(&sealed.sealed).ok_or(SealingError::Malformed)?;
    Ok(vault::sealed_key_id(&bytes)?)
}

/// Opens a mutation sealed by `device_id` (whose secret is `device_secret`) with the server's
/// secret key of generation `key_id`.
pub fn open_mutation(
    server_secret: &BoxSecret,
    key_id: u32,
    device_id: Uuid,
    device_secret: &[u8; DEVICE_SECRET_LEN],
    sealed: &SealedMutation,
) -> Result<Mutation, SealingError> {
    let bytes = hex::decode(&sealed.sealed).ok_or(SealingError::Malformed)?;
    let plain = vault::open_sealed(
        server_secret,
        key_id,
        Some(device_secret),
        &context(device_id, sealed.seq, sealed.id),
        &bytes,
    )?;
    let mutation: Mutation = serde_json::from_slice(&plain).map_err(|_| SealingError::NotAMutation)?;
    if mutation.device_id != device_id || mutation.seq != sealed.seq || mutation.id != sealed.id {
        return Err(SealingError::Mismatch);
    }
    Ok(mutation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::protocol::MutationBody;
    use crate::vault::InsecureTestRng;

    fn mutation(device_id: Uuid, seq: u64) -> Mutation {
        let json = format!(
            r#"{{"device_id":"{device_id}","seq":{seq},"id":"0190b7a0-0000-7000-8000-00000000000{seq}",
            "kind":"order.create","payload":{{"order_id":"0190b7a0-0000-7000-8000-000000000003",
            "committed_at":"2026-11-22T09:47:00Z","order":{{"outlet_id":"OUT-0001","tax_rate":"13",
            "lines":[{{"sku":"SKU-00001","quantity":"2","unit_price":"4.50"}}]}},
            "totals":{{"line_nets":["9.00"],"subtotal":"9.00","tax":"1.17","total":"10.17"}}}},
            "created_at":"2026-11-22T09:47:00Z"}}"#
        );
        serde_json::from_str(&json).expect("mutation")
    }

    #[test]
    fn only_the_server_opens_and_only_from_the_right_device() {
        let mut rng = InsecureTestRng::new(5);
        let server = BoxSecret::generate(&mut rng);
        let device = Uuid::from_u128(1);
        let secret = [9u8; 32];
        let m = mutation(device, 1);
        let sealed = seal_mutation(&mut rng, 1, &server.public_key(), &secret, &m).expect("seals");
        assert!(!sealed.sealed.contains("OUT-0001"));
        assert_eq!(sealed_key_id(&sealed), Ok(1));
        let back = open_mutation(&server, 1, device, &secret, &sealed).expect("opens");
        assert_eq!(back, m);
        let MutationBody::OrderCreate(doc) = &back.body else { panic!("v1 order") };
        assert_eq!(doc.order.outlet_id, "OUT-0001");
        // Another device id, another secret, a moved sequence number: refused.
        assert!(open_mutation(&server, 1, Uuid::from_u128(2), &secret, &sealed).is_err());
        assert!(open_mutation(&server, 1, device, &[8u8; 32], &sealed).is_err());
        let moved = SealedMutation { seq: 2, ..sealed.clone() };
        assert!(open_mutation(&server, 1, device, &secret, &moved).is_err());
        let garbled = SealedMutation { sealed: "zz".into(), ..sealed };
        assert_eq!(open_mutation(&server, 1, device, &secret, &garbled), Err(SealingError::Malformed));
    }

    #[test]
    fn keys_decode_from_hex() {
        assert_eq!(key_from_hex(&"ab".repeat(32)), Ok([0xab; 32]));
        assert_eq!(key_from_hex("ab"), Err(SealingError::Malformed));
        assert_eq!(key_from_hex(&"zz".repeat(32)), Err(SealingError::Malformed));
    }
}
