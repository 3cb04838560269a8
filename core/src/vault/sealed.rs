//! Sealed boxes: a message only the holder of an X25519 secret key can open.
//!
//! Used for outbox entries (sealed to the **server's** key when an order is committed, so that
//! the page or the service worker can upload them while the workspace is locked, without the
//! data key) and for the server's answers received while locked (sealed to the **device's** own
//! key, applied at the next unlock).
//!
//! # Construction (version 1)
//!
//! ```text
//! [version u8 = 1][recipient key id u32 BE][ephemeral public key 32][ciphertext ‖ 16-byte tag]
//! ```
//!
//! The sender draws an ephemeral X25519 key, computes the shared secret with the recipient's
//! public key, and derives a one-time AES-256-GCM key and nonce with HKDF-SHA256:
//! `ikm = shared ‖ psk`, `info = label ‖ mode ‖ version ‖ key id ‖ ephemeral public ‖ recipient
//! public ‖ len-prefixed context`. The key is used for exactly one message, so the derived nonce
//! cannot repeat under it.
//!
//! The optional pre-shared key (`psk`) authenticates the sender: the server gives each device a
//! 32-byte secret at registration, kept on the device only under the data key. Anyone can seal
//! to the server's public key, but only the holder of that device secret can produce a box the
//! server opens for that device. A copy of the disk therefore yields sealed entries it can
//! replay (answered `duplicate`) but not forge. The `context` (device id, sequence number,
//! mutation id) is bound too, so a box cannot be moved to another slot.
//!
//! A shared secret of all zeros (a low-order public key) is refused.

use hkdf::Hkdf;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use super::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use super::{push_prefixed, Rng, VaultError};

/// Format version of a sealed box.
pub const SEALED_VERSION: u8 = 1;
/// Length of an X25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
const HEADER_LEN: usize = 1 + 4 + PUBLIC_KEY_LEN;
/// The smallest valid sealed box (empty plaintext).
pub const SEALED_MIN_LEN: usize = HEADER_LEN + TAG_LEN;

const LABEL: &[u8] = b"satchel/vault/sealed-box";

/// An X25519 secret key that can open sealed boxes. Zeroized on drop; `Debug` shows no bytes.
/// Its public key is computed once, when the key is made: every box opened binds it, and
/// deriving it again per box was a third of the server's X25519 time in a drain (issue 16).
pub struct BoxSecret {
    secret: StaticSecret,
    public: [u8; PUBLIC_KEY_LEN],
}

impl BoxSecret {
    /// A fresh random key.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(bytes.as_mut());
        Self::from_bytes(*bytes)
    }

    /// The key from its 32 stored bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret).to_bytes();
        BoxSecret { secret, public }
    }

    /// The key from a slice of 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, VaultError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| VaultError::InvalidKeyLength {
            expected: KEY_LEN,
            found: bytes.len(),
        })?;
        Ok(Self::from_bytes(array))
    }

    /// The bytes to store (only ever under encryption or in the server's key table).
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public key senders seal to.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }
}

impl std::fmt::Debug for BoxSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxSecret(<redacted>)")
    }
}

struct Derived {
    key: [u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
}

impl Drop for Derived {
    fn drop(&mut self) {
        self.key.zeroize();
        self.nonce.zeroize();
    }
}

fn derive(
    shared: &[u8; 32],
    psk: Option<&[u8; KEY_LEN]>,
    key_id: u32,
    ephemeral: &[u8; PUBLIC_KEY_LEN],
    recipient: &[u8; PUBLIC_KEY_LEN],
    context: &[u8],
) -> Result<Derived, VaultError> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(64));
    ikm.extend_from_slice(shared);
    let mut info = Vec::with_capacity(128 + context.len());
    push_prefixed(&mut info, LABEL);
    match psk {
        Some(psk) => {
            ikm.extend_from_slice(psk);
            info.push(1);
        }
        None => info.push(0),
    }
    info.push(SEALED_VERSION);
    info.extend_from_slice(&key_id.to_be_bytes());
    info.extend_from_slice(ephemeral);
    info.extend_from_slice(recipient);
    push_prefixed(&mut info, context);
    let mut okm = Zeroizing::new([0u8; KEY_LEN + NONCE_LEN]);
    Hkdf::<Sha256>::new(None, &ikm)
        .expand(&info, okm.as_mut())
        // 44 bytes is far below HKDF-SHA256's 8160-byte limit.
        .map_err(|_| VaultError::TooLarge)?;
    let mut out = Derived {
        key: [0; KEY_LEN],
        nonce: [0; NONCE_LEN],
    };
    out.key.copy_from_slice(&okm[..KEY_LEN]);
    out.nonce.copy_from_slice(&okm[KEY_LEN..]);
    Ok(out)
}

/// Seals `plaintext` to the recipient's public key `recipient` (generation `key_id`), optionally
/// authenticated by the pre-shared key `psk`, bound to `context`.
pub fn seal_to<R: Rng + ?Sized>(
    rng: &mut R,
    key_id: u32,
    recipient: &[u8; PUBLIC_KEY_LEN],
    psk: Option<&[u8; KEY_LEN]>,
    context: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let ephemeral = BoxSecret::generate(rng);
    let ephemeral_public = ephemeral.public_key();
    let shared = ephemeral.secret.diffie_hellman(&PublicKey::from(*recipient));
    if !shared.was_contributory() {
        return Err(VaultError::Tampered);
    }
    let derived = derive(shared.as_bytes(), psk, key_id, &ephemeral_public, recipient, context)?;
    let ciphertext = aead::seal(&derived.key, &derived.nonce, &[], plaintext)?;
    let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&key_id.to_be_bytes());
    out.extend_from_slice(&ephemeral_public);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// The recipient key generation a sealed box names (so the recipient can pick its key).
pub fn sealed_key_id(sealed: &[u8]) -> Result<u32, VaultError> {
    if sealed.len() < SEALED_MIN_LEN {
        return Err(VaultError::Truncated);
    }
    if sealed[0] != SEALED_VERSION {
        return Err(VaultError::UnsupportedVersion(sealed[0]));
    }
    let mut id = [0u8; 4];
    id.copy_from_slice(&sealed[1..5]);
    Ok(u32::from_be_bytes(id))
}

/// Opens a sealed box with the recipient's secret key (generation `key_id`), the same `psk` and
/// `context` the sender used.
///
/// Errors: [`VaultError::Truncated`], [`VaultError::UnsupportedVersion`],
/// [`VaultError::WrongKey`] (the box names another key generation) and [`VaultError::Tampered`]
/// for any authentication failure (altered bytes, wrong psk or context, wrong key).
pub fn open_sealed(
    secret: &BoxSecret,
    key_id: u32,
    psk: Option<&[u8; KEY_LEN]>,
    context: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let found = sealed_key_id(sealed)?;
    if found != key_id {
        return Err(VaultError::WrongKey {
            expected: key_id,
            found,
        });
    }
    let mut ephemeral = [0u8; PUBLIC_KEY_LEN];
    ephemeral.copy_from_slice(&sealed[5..HEADER_LEN]);
    let shared = secret.secret.diffie_hellman(&PublicKey::from(ephemeral));
    if !shared.was_contributory() {
        return Err(VaultError::Tampered);
    }
    let derived = derive(shared.as_bytes(), psk, key_id, &ephemeral, &secret.public_key(), context)?;
    aead::open(&derived.key, &derived.nonce, &[], &sealed[HEADER_LEN..]).ok_or(VaultError::Tampered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::InsecureTestRng;

    fn setup() -> (InsecureTestRng, BoxSecret, [u8; 32]) {
        let mut rng = InsecureTestRng::new(11);
        let server = BoxSecret::generate(&mut rng);
        let mut psk = [0u8; 32];
        rng.fill(&mut psk);
        (rng, server, psk)
    }

    #[test]
    fn round_trip_with_and_without_psk() {
        let (mut rng, server, psk) = setup();
        let public = server.public_key();
        let sealed = seal_to(&mut rng, 3, &public, Some(&psk), b"dev|1|id", b"an order").expect("seals");
        assert_eq!(sealed_key_id(&sealed), Ok(3));
        let opened = open_sealed(&server, 3, Some(&psk), b"dev|1|id", &sealed).expect("opens");
        assert_eq!(opened.as_slice(), b"an order");
        let anon = seal_to(&mut rng, 3, &public, None, b"c", b"").expect("seals empty");
        assert_eq!(anon.len(), SEALED_MIN_LEN);
        assert_eq!(open_sealed(&server, 3, None, b"c", &anon).expect("opens").as_slice(), b"");
    }

    #[test]
    fn every_mismatch_is_refused() {
        let (mut rng, server, psk) = setup();
        let public = server.public_key();
        let sealed = seal_to(&mut rng, 1, &public, Some(&psk), b"ctx", b"secret order").expect("seals");
        // Wrong psk (a forger who has the disk but not the device secret), none, wrong context.
        let mut other = psk;
        other[0] ^= 1;
        assert_eq!(open_sealed(&server, 1, Some(&other), b"ctx", &sealed), Err(VaultError::Tampered));
        assert_eq!(open_sealed(&server, 1, None, b"ctx", &sealed), Err(VaultError::Tampered));
        assert_eq!(open_sealed(&server, 1, Some(&psk), b"ctx2", &sealed), Err(VaultError::Tampered));
        // Another recipient key with the same id.
        let stranger = BoxSecret::generate(&mut rng);
        assert_eq!(open_sealed(&stranger, 1, Some(&psk), b"ctx", &sealed), Err(VaultError::Tampered));
        // Another key generation.
        assert_eq!(
            open_sealed(&server, 2, Some(&psk), b"ctx", &sealed),
            Err(VaultError::WrongKey { expected: 2, found: 1 })
        );
        // Every flipped bit, truncation, version.
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert!(open_sealed(&server, 1, Some(&psk), b"ctx", &t).is_err(), "bit flip at {i} accepted");
        }
        assert_eq!(open_sealed(&server, 1, Some(&psk), b"ctx", &sealed[..SEALED_MIN_LEN - 1]), Err(VaultError::Truncated));
        let mut v = sealed.clone();
        v[0] = 9;
        assert_eq!(open_sealed(&server, 1, Some(&psk), b"ctx", &v), Err(VaultError::UnsupportedVersion(9)));
    }

    #[test]
    fn low_order_public_keys_are_refused() {
        let (mut rng, _, _) = setup();
        assert_eq!(seal_to(&mut rng, 1, &[0u8; 32], None, b"", b"x"), Err(VaultError::Tampered));
    }

    #[test]
    fn each_seal_is_fresh() {
        let (mut rng, server, psk) = setup();
        let public = server.public_key();
        let a = seal_to(&mut rng, 1, &public, Some(&psk), b"c", b"same").expect("seals");
        let b = seal_to(&mut rng, 1, &public, Some(&psk), b"c", b"same").expect("seals");
        assert_ne!(a, b);
        assert_eq!(BoxSecret::from_bytes(*server.to_bytes()).public_key(), public);
        assert!(BoxSecret::from_slice(&[1; 31]).is_err());
        assert_eq!(format!("{server:?}"), "BoxSecret(<redacted>)");
    }
}
