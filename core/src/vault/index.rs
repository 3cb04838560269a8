//! Keyed hashes for the keys of encrypted records.
//!
//! IndexedDB keys are stored in clear, so a record cannot be keyed by its SKU, outlet id or
//! order id without leaking them. Records are keyed instead by
//! `HMAC-SHA256(index_key, label ‖ store ‖ id)`, truncated to 128 bits and written in hex: the
//! same id always maps to the same key (so a refresh overwrites, and a lookup by id works), and
//! without the index key nothing can be learned from it. The index key is random, kept sealed
//! under the data key, and survives data-key rotation, so record keys never change.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{hex, push_prefixed, Rng};

/// Length of the index key.
pub const INDEX_KEY_LEN: usize = 32;
const LABEL: &[u8] = b"satchel/vault/index";

/// The key of the record `id` in `store`: 32 lowercase hex characters.
pub fn keyed_id(index_key: &[u8; INDEX_KEY_LEN], store: &str, id: &str) -> String {
    // HMAC accepts a key of any length; 32 bytes cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(index_key) {
        Ok(mac) => mac,
        Err(_) => unreachable_key(),
    };
    let mut input = Vec::with_capacity(64 + store.len() + id.len());
    push_prefixed(&mut input, LABEL);
    push_prefixed(&mut input, store.as_bytes());
    push_prefixed(&mut input, id.as_bytes());
    mac.update(&input);
    let tag = mac.finalize().into_bytes();
    hex::encode(&tag[..16])
}

#[cold]
fn unreachable_key() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs; HMAC is not one.
    panic!("HMAC refused a 32-byte key")
}

/// A fresh random index key.
pub fn new_index_key<R: Rng + ?Sized>(rng: &mut R) -> zeroize::Zeroizing<[u8; INDEX_KEY_LEN]> {
    let mut key = zeroize::Zeroizing::new([0u8; INDEX_KEY_LEN]);
    rng.fill(key.as_mut());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_distinct_and_opaque() {
        let k = [7u8; 32];
        let a = keyed_id(&k, "products", "SKU-1");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, keyed_id(&k, "products", "SKU-1"));
        assert_ne!(a, keyed_id(&k, "outlets", "SKU-1"));
        assert_ne!(a, keyed_id(&k, "products", "SKU-2"));
        assert_ne!(a, keyed_id(&[8u8; 32], "products", "SKU-1"));
        assert!(!a.contains("SKU"));
        // Length prefixes: ("ab","c") and ("a","bc") differ.
        assert_ne!(keyed_id(&k, "ab", "c"), keyed_id(&k, "a", "bc"));
    }
}
