//! A record's encrypted envelope, and the nonce budget of a data key.
//!
//! Format (version 1), as stored in IndexedDB:
//!
//! ```text
//! offset 0   version     u8 = 1
//! offset 1   key_id      u32 big-endian
//! offset 5   nonce       12 bytes, random
//! offset 17  ciphertext  plaintext length + 16-byte GCM tag
//! ```
//!
//! Associated data (not stored; recomputed when opening):
//! `len ‖ "satchel/vault/record" ‖ version ‖ key_id ‖ len ‖ store ‖ len ‖ record_key`, each
//! `len` a u64 big-endian byte count. See the [module documentation](super) for the nonce policy.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::aead::{NONCE_LEN, TAG_LEN};
use super::{push_prefixed, DataKey, Rng, VaultError};

/// The envelope format version this build writes and reads.
pub const ENVELOPE_VERSION: u8 = 1;
/// Version, key id and nonce.
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// The length of the smallest valid envelope (an empty plaintext): 33 bytes.
pub const ENVELOPE_MIN_LEN: usize = HEADER_LEN + TAG_LEN;
/// Seals allowed per data key: 2^32, the NIST SP 800-38D §8.3 limit for random 96-bit nonces.
pub const NONCE_BUDGET: u64 = 1 << 32;

/// Domain label of a record's associated data.
const RECORD_AAD_LABEL: &[u8] = b"satchel/vault/record";

/// An encrypted record: what is stored in place of the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    version: u8,
    key_id: u32,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl Envelope {
    /// The format version.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// The generation of the data key that sealed it (lets a background re-encryption find the
    /// records still under an old key).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The nonce.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }

    /// The ciphertext followed by the 16-byte tag.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The stored form: `[version][key_id BE][nonce][ciphertext ‖ tag]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.ciphertext.len());
        out.push(self.version);
        out.extend_from_slice(&self.key_id.to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Parses the stored form. Checks the structure only; [`open`] authenticates.
    ///
    /// Empty input is [`VaultError::Truncated`]; an unknown first byte is
    /// [`VaultError::UnsupportedVersion`] (whatever the length, since another version may have
    /// another layout); a version-1 envelope shorter than [`ENVELOPE_MIN_LEN`] is
    /// [`VaultError::Truncated`].
    pub fn parse(bytes: &[u8]) -> Result<Envelope, VaultError> {
        let (&version, rest) = bytes.split_first().ok_or(VaultError::Truncated)?;
        if version != ENVELOPE_VERSION {
            return Err(VaultError::UnsupportedVersion(version));
        }
        if bytes.len() < ENVELOPE_MIN_LEN {
            return Err(VaultError::Truncated);
        }
        let (key_id, rest) = rest.split_at(4);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let key_id = u32::from_be_bytes(key_id.try_into().map_err(|_| VaultError::Truncated)?);
        let nonce = nonce.try_into().map_err(|_| VaultError::Truncated)?;
        Ok(Envelope {
            version,
            key_id,
            nonce,
            ciphertext: ciphertext.to_vec(),
        })
    }
}

/// How many records a data key has sealed. The caller persists it next to the wrapped key and
/// saves it in the same transaction as each record it seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUsage {
    /// The data key's generation.
    pub key_id: u32,
    /// Seals performed with it so far (each drew one nonce).
    pub sealed: u64,
}

impl KeyUsage {
    /// A fresh counter for the key generation `key_id`.
    pub fn new(key_id: u32) -> Self {
        KeyUsage { key_id, sealed: 0 }
    }

    /// Seals left before [`NONCE_BUDGET`] is reached.
    pub fn remaining(&self) -> u64 {
        NONCE_BUDGET.saturating_sub(self.sealed)
    }

    /// Whether to start rotating to a new key: at half the budget, leaving the other half for
    /// new records while the background re-encryption runs.
    pub fn should_rotate(&self) -> bool {
        self.sealed >= NONCE_BUDGET / 2
    }
}

fn record_aad(version: u8, key_id: u32, store: &str, record_key: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64 + store.len() + record_key.len());
    push_prefixed(&mut aad, RECORD_AAD_LABEL);
    aad.push(version);
    aad.extend_from_slice(&key_id.to_be_bytes());
    push_prefixed(&mut aad, store.as_bytes());
    push_prefixed(&mut aad, record_key.as_bytes());
    aad
}

/// Seals `plaintext` as the record `record_key` of the object store `store`, under a fresh
/// random nonce, counting the seal in `usage` (budget [`NONCE_BUDGET`]).
///
/// Errors: [`VaultError::WrongKey`] if `usage` counts another key generation,
/// [`VaultError::NonceBudgetExhausted`] once the budget is spent, [`VaultError::TooLarge`] for a
/// plaintext beyond GCM's limit.
pub fn seal<R: Rng + ?Sized>(
    key: &DataKey,
    usage: &mut KeyUsage,
    rng: &mut R,
    store: &str,
    record_key: &str,
    plaintext: &[u8],
) -> Result<Envelope, VaultError> {
    seal_with_budget(key, usage, NONCE_BUDGET, rng, store, record_key, plaintext)
}

/// [`seal`] with an explicit budget (tests use a small one). A budget above [`NONCE_BUDGET`] is
/// lowered to it.
pub fn seal_with_budget<R: Rng + ?Sized>(
    key: &DataKey,
    usage: &mut KeyUsage,
    budget: u64,
    rng: &mut R,
    store: &str,
    record_key: &str,
    plaintext: &[u8],
) -> Result<Envelope, VaultError> {
    if usage.key_id != key.key_id() {
        return Err(VaultError::WrongKey {
            expected: key.key_id(),
            found: usage.key_id,
        });
    }
    if usage.sealed >= budget.min(NONCE_BUDGET) {
        return Err(VaultError::NonceBudgetExhausted);
    }
    // Counted before encrypting: a drawn nonce is spent even if the record is never stored.
    usage.sealed += 1;
    let mut nonce = [0; NONCE_LEN];
    rng.fill(&mut nonce);
    let aad = record_aad(ENVELOPE_VERSION, key.key_id(), store, record_key);
    let ciphertext = key.cipher().seal(&nonce, &aad, plaintext)?;
    Ok(Envelope {
        version: ENVELOPE_VERSION,
        key_id: key.key_id(),
        nonce,
        ciphertext,
    })
}

/// Opens the envelope of the record `record_key` in `store`.
///
/// Errors: [`VaultError::UnsupportedVersion`], [`VaultError::WrongKey`] (checked before
/// decrypting), and [`VaultError::Tampered`] for any authentication failure, with no detail.
/// The plaintext is zeroized when the returned buffer is dropped.
pub fn open(
    key: &DataKey,
    store: &str,
    record_key: &str,
    envelope: &Envelope,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if envelope.version != ENVELOPE_VERSION {
        return Err(VaultError::UnsupportedVersion(envelope.version));
    }
    if envelope.key_id != key.key_id() {
        return Err(VaultError::WrongKey {
            expected: key.key_id(),
            found: envelope.key_id,
        });
    }
    let aad = record_aad(envelope.version, envelope.key_id, store, record_key);
    key.cipher().open(&envelope.nonce, &aad, &envelope.ciphertext).ok_or(VaultError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out a fixed nonce: lets a test pin the envelope to a published vector.
    struct FixedRng([u8; NONCE_LEN]);

    impl Rng for FixedRng {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.copy_from_slice(&self.0[..buf.len()]);
        }
    }

    struct KeyRng([u8; 32]);

    impl Rng for KeyRng {
        fn fill(&mut self, buf: &mut [u8]) {
            buf.copy_from_slice(&self.0[..buf.len()]);
        }
    }

    /// McGrew–Viega GCM test case 15 (AES-256): key, IV, plaintext and ciphertext (without the
    /// tag, which depends on the associated data and so differs under ours).
    const TC15_KEY: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    const TC15_IV: &str = "cafebabefacedbaddecaf888";
    const TC15_PT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                           1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const TC15_CT: &str = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                           8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    fn hex(text: &str) -> Vec<u8> {
        super::super::hex::decode(text).expect("valid hex")
    }

    #[test]
    fn seal_through_the_public_path_matches_the_published_keystream() {
        let key_bytes: [u8; 32] = hex(TC15_KEY).try_into().expect("32 bytes");
        let iv: [u8; 12] = hex(TC15_IV).try_into().expect("12 bytes");
        let key = DataKey::generate(&mut KeyRng(key_bytes), 1);
        let mut usage = KeyUsage::new(1);
        let pt = hex(TC15_PT);
        let env = seal(&key, &mut usage, &mut FixedRng(iv), "orders", "o-1", &pt).expect("seals");

        let bytes = env.to_bytes();
        assert_eq!(bytes[0], 1);
        assert_eq!(bytes[1..5], [0, 0, 0, 1]);
        assert_eq!(bytes[5..17], iv);
        assert_eq!(bytes[17..17 + pt.len()], hex(TC15_CT)[..]);
        assert_eq!(bytes.len(), 17 + pt.len() + 16);
        let opened = open(&key, "orders", "o-1", &env).expect("opens");
        assert_eq!(opened.as_slice(), pt.as_slice());
    }

    #[test]
    fn associated_data_is_length_prefixed() {
        assert_ne!(record_aad(1, 1, "a|bc", "d"), record_aad(1, 1, "ab|c", "d"));
        assert_ne!(record_aad(1, 1, "ab", "c"), record_aad(1, 1, "a", "bc"));
        assert_ne!(record_aad(1, 1, "", "abc"), record_aad(1, 1, "abc", ""));
        assert_ne!(record_aad(1, 1, "s", "k"), record_aad(1, 2, "s", "k"));
    }

    #[test]
    fn usage_for_another_key_is_refused() {
        let key = DataKey::generate(&mut KeyRng([7; 32]), 3);
        let mut usage = KeyUsage::new(2);
        let err = seal(&key, &mut usage, &mut FixedRng([0; 12]), "s", "k", b"x").err();
        assert_eq!(
            err,
            Some(VaultError::WrongKey {
                expected: 3,
                found: 2
            })
        );
        assert_eq!(usage.sealed, 0);
    }

    #[test]
    fn rotation_starts_at_half_the_budget() {
        let usage = KeyUsage {
            key_id: 1,
            sealed: NONCE_BUDGET / 2 - 1,
        };
        assert!(!usage.should_rotate());
        assert_eq!(usage.remaining(), NONCE_BUDGET / 2 + 1);
        let usage = KeyUsage {
            key_id: 1,
            sealed: NONCE_BUDGET / 2,
        };
        assert!(usage.should_rotate());
    }

    #[test]
    fn the_real_budget_refuses_the_2_pow_32_plus_first_seal() {
        let key = DataKey::generate(&mut KeyRng([7; 32]), 1);
        let mut usage = KeyUsage {
            key_id: 1,
            sealed: NONCE_BUDGET - 1,
        };
        let mut rng = FixedRng([1; 12]);
        assert!(seal(&key, &mut usage, &mut rng, "s", "k", b"x").is_ok());
        assert_eq!(usage.sealed, NONCE_BUDGET);
        let err = seal(&key, &mut usage, &mut rng, "s", "k", b"x").err();
        assert_eq!(err, Some(VaultError::NonceBudgetExhausted));
        // A larger explicit budget cannot exceed the NIST bound.
        let err = seal_with_budget(&key, &mut usage, u64::MAX, &mut rng, "s", "k", b"x").err();
        assert_eq!(err, Some(VaultError::NonceBudgetExhausted));
    }
}
