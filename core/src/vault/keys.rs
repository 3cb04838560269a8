//! The data key, the PIN-derived key-encryption key and the wrapped data key.
//!
//! # Flow
//!
//! - **Set a PIN**: `salt = new_salt(rng)`; the browser derives a 32-byte KEK with WebCrypto
//!   (`PBKDF2`, `SHA-256`, `salt`, `KdfParams::iterations`); `wrap(dek, kek, rng, kdf, salt)`;
//!   store the [`WrappedKey`] (JSON).
//! - **Unlock**: read the [`WrappedKey`]; derive the KEK from the PIN with its `kdf` and `salt`;
//!   [`unwrap`] gives the [`DataKey`] or [`VaultError::WrongPin`].
//! - **Change the PIN**: [`rewrap`] with the old KEK and a KEK derived from the new PIN over a
//!   fresh salt. The DEK, and so every record, is unchanged.
//!
//! # Wrapped key format (JSON, version 1)
//!
//! ```json
//! {"version":1,"key_id":1,"kdf":{"algorithm":"pbkdf2-sha256","iterations":600000},
//!  "salt":"<32 hex digits>","nonce":"<24 hex digits>","ciphertext":"<96 hex digits>"}
//! ```
//!
//! Byte fields are lowercase hex (either case is accepted on reading). The ciphertext is the
//! 32-byte DEK encrypted with AES-256-GCM under the KEK (plus the 16-byte tag), with associated
//! data binding the version, the key id, the KDF parameters and the salt: editing any of them
//! makes the unwrap fail.

use core::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use super::{hex, push_prefixed, Rng, VaultError};

/// The minimum PBKDF2-HMAC-SHA256 iteration count [`wrap`] accepts (OWASP's 2023 figure).
pub const MIN_PBKDF2_ITERATIONS: u32 = 600_000;
/// The salt length in bytes.
pub const SALT_LEN: usize = 16;
/// The wrapped-key format version this build writes and reads.
pub const WRAP_VERSION: u8 = 1;

/// Domain label of the wrapped key's associated data.
const WRAP_AAD_LABEL: &[u8] = b"satchel/vault/wrapped-dek";

/// The data key (DEK): 256 random bits that encrypt every record, tagged with its generation.
///
/// Zeroized on drop. Not `Clone`, and its `Debug` never shows the bytes. Lives only in memory
/// while the workspace is unlocked: at rest it exists only as a [`WrappedKey`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey {
    bytes: [u8; KEY_LEN],
    key_id: u32,
    /// The key prepared for AES-GCM, built at its first use (after `bytes` are final).
    #[zeroize(skip)]
    cipher: std::sync::OnceLock<aead::Cipher>,
}

impl DataKey {
    /// A fresh random key for generation `key_id` (the first key is 1; rotation uses `id + 1`).
    pub fn generate<R: Rng + ?Sized>(rng: &mut R, key_id: u32) -> Self {
        let mut key = DataKey {
            bytes: [0; KEY_LEN],
            key_id,
            cipher: std::sync::OnceLock::new(),
        };
        rng.fill(&mut key.bytes);
        key
    }

    /// The key's generation, written into every envelope it seals.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    #[cfg(test)]
    pub(super) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// The key prepared for AES-GCM; built once.
    pub(super) fn cipher(&self) -> &aead::Cipher {
        self.cipher.get_or_init(|| aead::Cipher::new(&self.bytes))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DataKey(<redacted>, id {})", self.key_id)
    }
}

/// The key-encryption key (KEK): 32 bytes the browser derives from the PIN or passphrase.
///
/// The derivation runs outside the core (WebCrypto PBKDF2); the core only receives its output.
/// Zeroized on drop; its `Debug` never shows the bytes.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeyEncryptionKey {
    bytes: [u8; KEY_LEN],
}

impl KeyEncryptionKey {
    /// Takes the derived bytes. The caller should zeroize its own copy afterwards.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        KeyEncryptionKey { bytes }
    }

    /// Takes the derived bytes from a slice (e.g. WebCrypto's `deriveBits` output); refuses any
    /// length but 32. The caller should zeroize its own buffer afterwards.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, VaultError> {
        if bytes.len() != KEY_LEN {
            return Err(VaultError::InvalidKeyLength {
                expected: KEY_LEN,
                found: bytes.len(),
            });
        }
        let mut kek = KeyEncryptionKey {
            bytes: [0; KEY_LEN],
        };
        kek.bytes.copy_from_slice(bytes);
        Ok(kek)
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

/// How the KEK is derived from the PIN: recorded next to the wrapped key so that unlocking uses
/// the same derivation. Serialized with an `algorithm` tag, so further algorithms (Argon2id, if
/// the browser measurements favour it) are new variants and old records keep reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "algorithm")]
pub enum KdfParams {
    /// PBKDF2-HMAC-SHA256 (WebCrypto), 32-byte output.
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2Sha256 {
        /// The iteration count; [`wrap`] refuses fewer than [`MIN_PBKDF2_ITERATIONS`].
        iterations: u32,
    },
}

impl KdfParams {
    /// PBKDF2-HMAC-SHA256 with `iterations`.
    pub fn pbkdf2_sha256(iterations: u32) -> Self {
        KdfParams::Pbkdf2Sha256 { iterations }
    }

    /// The algorithm's name as serialized (`pbkdf2-sha256`).
    pub fn algorithm(&self) -> &'static str {
        match self {
            KdfParams::Pbkdf2Sha256 { .. } => "pbkdf2-sha256",
        }
    }

    /// Refuses parameters below this build's minimum cost.
    pub fn validate(&self) -> Result<(), VaultError> {
        match *self {
            KdfParams::Pbkdf2Sha256 { iterations } if iterations < MIN_PBKDF2_ITERATIONS => {
                Err(VaultError::KdfTooWeak {
                    algorithm: self.algorithm(),
                    minimum: MIN_PBKDF2_ITERATIONS,
                    found: iterations,
                })
            }
            KdfParams::Pbkdf2Sha256 { .. } => Ok(()),
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        push_prefixed(out, self.algorithm().as_bytes());
        match *self {
            KdfParams::Pbkdf2Sha256 { iterations } => {
                out.extend_from_slice(&iterations.to_be_bytes())
            }
        }
    }
}

impl Default for KdfParams {
    /// PBKDF2-HMAC-SHA256 at [`MIN_PBKDF2_ITERATIONS`].
    fn default() -> Self {
        KdfParams::pbkdf2_sha256(MIN_PBKDF2_ITERATIONS)
    }
}

/// The data key encrypted under the KEK: the only form in which the DEK is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Format version ([`WRAP_VERSION`]).
    pub version: u8,
    /// The wrapped DEK's generation.
    pub key_id: u32,
    /// How to derive the KEK from the PIN.
    pub kdf: KdfParams,
    /// The KDF salt (hex in JSON).
    #[serde(with = "hex::array")]
    pub salt: [u8; SALT_LEN],
    /// The AES-GCM nonce (hex in JSON).
    #[serde(with = "hex::array")]
    pub nonce: [u8; NONCE_LEN],
    /// The encrypted DEK and its tag, 48 bytes (hex in JSON).
    #[serde(with = "hex::vec")]
    pub ciphertext: Vec<u8>,
}

/// A fresh random salt for a new KEK derivation (a new one at every PIN set or change).
pub fn new_salt<R: Rng + ?Sized>(rng: &mut R) -> [u8; SALT_LEN] {
    let mut salt = [0; SALT_LEN];
    rng.fill(&mut salt);
    salt
}

fn wrap_aad(version: u8, key_id: u32, kdf: &KdfParams, salt: &[u8; SALT_LEN]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(96);
    push_prefixed(&mut aad, WRAP_AAD_LABEL);
    aad.push(version);
    aad.extend_from_slice(&key_id.to_be_bytes());
    kdf.encode_into(&mut aad);
    aad.extend_from_slice(salt);
    aad
}

/// Wraps `dek` under `kek`, which the browser derived with `kdf` over `salt`.
///
/// Refuses KDF parameters below the minimum ([`VaultError::KdfTooWeak`]).
pub fn wrap<R: Rng + ?Sized>(
    dek: &DataKey,
    kek: &KeyEncryptionKey,
    rng: &mut R,
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
) -> Result<WrappedKey, VaultError> {
    kdf.validate()?;
    let mut nonce = [0; NONCE_LEN];
    rng.fill(&mut nonce);
    let aad = wrap_aad(WRAP_VERSION, dek.key_id, &kdf, &salt);
    let ciphertext = aead::seal(&kek.bytes, &nonce, &aad, &dek.bytes)?;
    Ok(WrappedKey {
        version: WRAP_VERSION,
        key_id: dek.key_id,
        kdf,
        salt,
        nonce,
        ciphertext,
    })
}

/// Unwraps the data key with the KEK derived from the PIN the user typed.
///
/// Any authentication failure is [`VaultError::WrongPin`] (a wrong PIN and an edited wrapped key
/// are indistinguishable); a ciphertext of the wrong length is [`VaultError::Tampered`]. KDF
/// parameters are not re-checked against the minimum here, so a key wrapped under an older,
/// lower minimum still opens (re-wrap it then).
pub fn unwrap(wrapped: &WrappedKey, kek: &KeyEncryptionKey) -> Result<DataKey, VaultError> {
    if wrapped.version != WRAP_VERSION {
        return Err(VaultError::UnsupportedVersion(wrapped.version));
    }
    if wrapped.ciphertext.len() != KEY_LEN + TAG_LEN {
        return Err(VaultError::Tampered);
    }
    let aad = wrap_aad(wrapped.version, wrapped.key_id, &wrapped.kdf, &wrapped.salt);
    let plain = aead::open(&kek.bytes, &wrapped.nonce, &aad, &wrapped.ciphertext)
        .ok_or(VaultError::WrongPin)?;
    let mut dek = DataKey {
        bytes: [0; KEY_LEN],
        key_id: wrapped.key_id,
        cipher: std::sync::OnceLock::new(),
    };
    if plain.len() != KEY_LEN {
        // Authenticated but not a key: cannot come from `wrap`.
        return Err(VaultError::Tampered);
    }
    dek.bytes.copy_from_slice(&plain);
    Ok(dek)
}

/// Changes the PIN: unwraps with `old_kek` and wraps the same DEK under `new_kek` (derived with
/// `kdf` over the fresh `salt`). No record is re-encrypted.
pub fn rewrap<R: Rng + ?Sized>(
    wrapped: &WrappedKey,
    old_kek: &KeyEncryptionKey,
    new_kek: &KeyEncryptionKey,
    rng: &mut R,
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
) -> Result<WrappedKey, VaultError> {
    kdf.validate()?;
    let dek = unwrap(wrapped, old_kek)?;
    wrap(&dek, new_kek, rng, kdf, salt)
}

/// Store and record key under which a retired data key is kept during rotation.
const RETIRED_STORE: &str = "vault/retired-key";

/// Key rotation: seals the previous data key `retired` under the new one, so that records not
/// yet re-encrypted stay readable after a reload while the background job runs. The result is
/// an ordinary envelope (bound to the retired key's id), counted in the new key's `usage`.
pub fn seal_retired<R: Rng + ?Sized>(
    retired: &DataKey,
    current: &DataKey,
    usage: &mut super::KeyUsage,
    rng: &mut R,
) -> Result<super::Envelope, VaultError> {
    super::seal(current, usage, rng, RETIRED_STORE, &retired.key_id.to_string(), &retired.bytes)
}

/// Opens a retired data key sealed by [`seal_retired`] under `current`.
pub fn open_retired(
    envelope: &super::Envelope,
    retired_id: u32,
    current: &DataKey,
) -> Result<DataKey, VaultError> {
    let plain = super::open(current, RETIRED_STORE, &retired_id.to_string(), envelope)?;
    if plain.len() != KEY_LEN {
        return Err(VaultError::Tampered);
    }
    let mut key = DataKey {
        bytes: [0; KEY_LEN],
        key_id: retired_id,
        cipher: std::sync::OnceLock::new(),
    };
    key.bytes.copy_from_slice(&plain);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::InsecureTestRng;

    fn kek(seed: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes([seed; KEY_LEN])
    }

    #[test]
    fn wrapped_key_json_shape() {
        let mut rng = InsecureTestRng::new(3);
        let dek = DataKey::generate(&mut rng, 4);
        let salt = new_salt(&mut rng);
        let wrapped = wrap(&dek, &kek(1), &mut rng, KdfParams::default(), salt).expect("wraps");
        let json = serde_json::to_value(&wrapped).expect("serializes");
        assert_eq!(json["version"], 1);
        assert_eq!(json["key_id"], 4);
        assert_eq!(json["kdf"]["algorithm"], "pbkdf2-sha256");
        assert_eq!(json["kdf"]["iterations"], 600_000);
        assert_eq!(json["salt"].as_str().map(str::len), Some(32));
        assert_eq!(json["nonce"].as_str().map(str::len), Some(24));
        assert_eq!(json["ciphertext"].as_str().map(str::len), Some(96));
        let back: WrappedKey = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, wrapped);
        assert_eq!(
            unwrap(&back, &kek(1)).expect("unwraps").bytes(),
            dek.bytes()
        );
    }

    #[test]
    fn editing_bound_fields_fails_the_unwrap() {
        let mut rng = InsecureTestRng::new(5);
        let dek = DataKey::generate(&mut rng, 1);
        let salt = new_salt(&mut rng);
        let wrapped = wrap(&dek, &kek(2), &mut rng, KdfParams::default(), salt).expect("wraps");

        let mut edited = wrapped.clone();
        edited.key_id = 2;
        assert_eq!(unwrap(&edited, &kek(2)).err(), Some(VaultError::WrongPin));
        let mut edited = wrapped.clone();
        edited.kdf = KdfParams::pbkdf2_sha256(700_000);
        assert_eq!(unwrap(&edited, &kek(2)).err(), Some(VaultError::WrongPin));
        let mut edited = wrapped.clone();
        edited.salt[0] ^= 1;
        assert_eq!(unwrap(&edited, &kek(2)).err(), Some(VaultError::WrongPin));
        let mut edited = wrapped.clone();
        edited.ciphertext.pop();
        assert_eq!(unwrap(&edited, &kek(2)).err(), Some(VaultError::Tampered));
        let mut edited = wrapped.clone();
        edited.version = 2;
        assert_eq!(
            unwrap(&edited, &kek(2)).err(),
            Some(VaultError::UnsupportedVersion(2))
        );
        assert!(unwrap(&wrapped, &kek(2)).is_ok());
    }

    #[test]
    fn kek_from_slice_checks_the_length() {
        assert_eq!(
            KeyEncryptionKey::from_slice(&[0; 31]).err(),
            Some(VaultError::InvalidKeyLength {
                expected: 32,
                found: 31
            })
        );
        let a = KeyEncryptionKey::from_slice(&[9; 32]).expect("32 bytes");
        assert_eq!(a.bytes, [9; 32]);
    }

    #[test]
    fn zeroize_clears_the_key_bytes() {
        let mut rng = InsecureTestRng::new(11);
        let mut dek = DataKey::generate(&mut rng, 1);
        assert_ne!(dek.bytes, [0; KEY_LEN]);
        dek.zeroize();
        assert_eq!(dek.bytes, [0; KEY_LEN]);
    }

    #[test]
    fn a_retired_key_opens_only_under_the_key_that_sealed_it() {
        let mut rng = InsecureTestRng::new(9);
        let old = DataKey::generate(&mut rng, 1);
        let new = DataKey::generate(&mut rng, 2);
        let mut usage = crate::vault::KeyUsage::new(2);
        let sealed = seal_retired(&old, &new, &mut usage, &mut rng).expect("seals");
        assert_eq!(usage.sealed, 1);
        let back = open_retired(&sealed, 1, &new).expect("opens");
        assert_eq!(back.bytes, old.bytes);
        assert_eq!(back.key_id(), 1);
        assert_eq!(open_retired(&sealed, 3, &new).err(), Some(VaultError::Tampered));
        let other = DataKey::generate(&mut rng, 2);
        assert_eq!(open_retired(&sealed, 1, &other).err(), Some(VaultError::Tampered));
    }
}
