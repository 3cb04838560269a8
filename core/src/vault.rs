//! The vault: business records encrypted at rest, and the workspace lock.
//!
//! This module is pure: it encrypts, decrypts and decides, and the browser shell does the rest
//! (IndexedDB, WebCrypto PBKDF2, `crypto.getRandomValues`, timers, the lock screen).
//!
//! - [`ports`]: the randomness port ([`Rng`]); the browser implements it over
//!   `crypto.getRandomValues`.
//! - [`keys`]: the data key ([`DataKey`]), the key-encryption key derived from the PIN
//!   ([`KeyEncryptionKey`]), the KDF parameters and the wrapped data key ([`WrappedKey`]).
//! - [`envelope`]: a record's encrypted envelope, [`seal`] and [`open`], and the nonce budget.
//! - [`sealed`]: sealed boxes (X25519 + HKDF-SHA256 + AES-256-GCM) for the outbox, which syncs
//!   while the workspace is locked.
//! - [`index`]: keyed hashes that key encrypted records without leaking their ids.
//! - [`lock`]: the lock state machine: idle timeout, lock when hidden, wrong-PIN delays and the
//!   online re-authentication after too many failures.
//!
//! # Key hierarchy
//!
//! A random 256-bit data key (DEK) encrypts every record with AES-256-GCM. The DEK is stored only
//! wrapped (AES-256-GCM again) under a key-encryption key (KEK) that the browser derives from the
//! user's PIN or passphrase (PBKDF2-HMAC-SHA256, at least [`keys::MIN_PBKDF2_ITERATIONS`]
//! iterations, with the 16-byte salt kept in the [`WrappedKey`]). Changing the PIN re-wraps the
//! DEK ([`rewrap`]); no record is re-encrypted.
//!
//! # Record envelope (binary, version 1)
//!
//! ```text
//! [version u8 = 1][key_id u32 big-endian][nonce 12 bytes][ciphertext ‖ 16-byte GCM tag]
//! ```
//!
//! The associated data binds the version, the key id, the store name and the record key, each
//! string length-prefixed (u64 big-endian), after a domain label. A record copied under another
//! record key or into another store therefore fails to open ([`VaultError::Tampered`]), and
//! `("a|bc", …)` and `("ab|c", …)` cannot collide. The key id is compared before decrypting, so a
//! record sealed under another generation of the key gives [`VaultError::WrongKey`].
//!
//! # Nonce policy
//!
//! Nonces are 96 bits, drawn fresh from the [`Rng`] port for every seal (never a counter, so two
//! tabs or a restored backup cannot repeat one by construction). NIST SP 800-38D §8.3 limits a
//! key used with random 96-bit nonces to 2^32 encryptions; [`NONCE_BUDGET`] is that bound.
//! The count lives in a [`KeyUsage`] that the caller persists (in the same IndexedDB readwrite
//! transaction as the record it seals, so tabs serialise on it); [`seal`] bumps it and refuses
//! with [`VaultError::NonceBudgetExhausted`] once the budget is spent. Re-keying: when
//! [`KeyUsage::should_rotate`] says so (at half the budget), the shell generates a new
//! [`DataKey`] with `key_id + 1`, wraps it, and re-encrypts the records in the background
//! (resumable: a record's envelope names the key id it was sealed under). That background job is
//! not part of this module.
//!
//! # What locking does and does not do
//!
//! [`Lock`] only *decides* that the workspace is locked. Dropping the [`DataKey`] (which zeroizes
//! it) and refusing business reads and writes with [`VaultError::Locked`] are the caller's job.
//! Locking never deletes or alters data: the outbox stays encrypted and intact.
//!
//! # Memory hygiene
//!
//! [`DataKey`], [`KeyEncryptionKey`] and the plaintext returned by [`open`] are zeroized on drop;
//! the AES key schedule is wiped when the cipher is dropped. This is best effort: moves in Rust
//! may leave copies on the stack, and nothing here protects against a script that can call the
//! module while it is unlocked.

pub mod envelope;
pub mod hex;
pub mod index;
pub mod keys;
pub mod lock;
pub mod pin;
pub mod ports;
pub mod sealed;

mod aead;

pub use envelope::{
    open, seal, seal_with_budget, Envelope, KeyUsage, ENVELOPE_MIN_LEN, ENVELOPE_VERSION,
    NONCE_BUDGET,
};
pub use index::{keyed_id, new_index_key, INDEX_KEY_LEN};
pub use keys::{
    new_salt, open_retired, rewrap, seal_retired, unwrap, wrap, DataKey, KdfParams,
    KeyEncryptionKey, WrappedKey,
};
pub use sealed::{open_sealed, seal_to, sealed_key_id, BoxSecret};
pub use lock::{Lock, LockPolicy, LockState};
pub use pin::{check_new_pin, PinError, MAX_PIN_LEN, MIN_PIN_LEN};
pub use ports::{InsecureTestRng, Rng};
pub use zeroize::{Zeroize, Zeroizing};

/// Why a vault operation was refused.
///
/// Messages name what went wrong and never include key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The bytes are shorter than the smallest valid envelope.
    #[error("the encrypted record is truncated")]
    Truncated,
    /// The envelope or wrapped key has a format version this build does not know.
    #[error("unsupported vault format version {0}")]
    UnsupportedVersion(u8),
    /// The record (or key-usage counter) belongs to another generation of the data key.
    #[error("the record was sealed under key {found}, but the open key is {expected}")]
    WrongKey {
        /// The id of the key in hand.
        expected: u32,
        /// The id named by the record.
        found: u32,
    },
    /// Authentication failed: the record was altered, moved to another store or record key, or
    /// sealed under a different key with the same id. Deliberately carries no detail.
    #[error("the encrypted record failed authentication")]
    Tampered,
    /// The data key has sealed as many records as its nonce budget allows; rotate the key.
    #[error("the data key's nonce budget is exhausted; rotate the key")]
    NonceBudgetExhausted,
    /// The plaintext exceeds AES-GCM's per-message limit (2^36 − 32 bytes).
    #[error("the record is too large to encrypt")]
    TooLarge,
    /// The workspace is locked: business reads and writes are refused until it is unlocked.
    #[error("the workspace is locked")]
    Locked,
    /// The PIN or passphrase did not unwrap the data key.
    #[error("wrong PIN or passphrase")]
    WrongPin,
    /// Too many wrong PINs in a row: the next attempt is allowed after a delay.
    #[error("too many wrong attempts; try again in {retry_after_ms} ms")]
    TooManyAttempts {
        /// Milliseconds until the next attempt is allowed.
        retry_after_ms: u64,
    },
    /// So many wrong PINs that the device needs an online re-authentication with the server.
    #[error("too many wrong attempts; sign in online to unlock this device")]
    ReauthenticationRequired,
    /// The key-derivation parameters are below the minimum this build accepts.
    #[error(
        "key derivation {algorithm} with {found} iterations is below the minimum of {minimum}"
    )]
    KdfTooWeak {
        /// The algorithm, e.g. `pbkdf2-sha256`.
        algorithm: &'static str,
        /// The minimum cost accepted.
        minimum: u32,
        /// The cost requested.
        found: u32,
    },
    /// Raw key bytes of the wrong length were supplied.
    #[error("a key must be {expected} bytes, got {found}")]
    InvalidKeyLength {
        /// The required length.
        expected: usize,
        /// The length supplied.
        found: usize,
    },
}

impl VaultError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Truncated => "truncated",
            VaultError::UnsupportedVersion(_) => "unsupported_version",
            VaultError::WrongKey { .. } => "wrong_key",
            VaultError::Tampered => "tampered",
            VaultError::NonceBudgetExhausted => "nonce_budget_exhausted",
            VaultError::TooLarge => "too_large",
            VaultError::Locked => "locked",
            VaultError::WrongPin => "wrong_pin",
            VaultError::TooManyAttempts { .. } => "too_many_attempts",
            VaultError::ReauthenticationRequired => "reauthentication_required",
            VaultError::KdfTooWeak { .. } => "kdf_too_weak",
            VaultError::InvalidKeyLength { .. } => "invalid_key_length",
        }
    }
}

/// Appends `bytes` prefixed with their length (u64 big-endian), so that concatenated fields
/// cannot be re-split differently.
fn push_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // usize is at most 64 bits on every target Rust supports; the fallback is unreachable.
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}
