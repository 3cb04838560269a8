//! The one place that calls the AES-256-GCM primitive (the `aes-gcm` crate).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::Zeroizing;

use super::VaultError;

/// AES-256-GCM key length in bytes.
pub(super) const KEY_LEN: usize = 32;
/// Nonce length in bytes (96 bits).
pub(super) const NONCE_LEN: usize = 12;
/// Authentication tag length in bytes.
pub(super) const TAG_LEN: usize = 16;

/// A key made ready for AES-256-GCM (its round keys and GHASH key computed once). A data key
/// keeps one (`DataKey::cipher`): unlocking opens every record under the same key, and building
/// the cipher for each was a fifth of the decryption time in Wasm. The `aes` crate's `zeroize`
/// feature clears the round keys when it is dropped.
pub(super) struct Cipher(Aes256Gcm);

impl Cipher {
    pub(super) fn new(key: &[u8; KEY_LEN]) -> Self {
        Cipher(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)))
    }

    /// Encrypts `plaintext`; returns ciphertext ‖ tag.
    pub(super) fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.0
            .encrypt(Nonce::from_slice(nonce), Payload { msg: plaintext, aad })
            // The only encryption failure is a message beyond GCM's length limit.
            .map_err(|_| VaultError::TooLarge)
    }

    /// Decrypts ciphertext ‖ tag; `None` on any authentication failure (no detail on purpose).
    pub(super) fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], ciphertext_and_tag: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        self.0
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext_and_tag, aad })
            .ok()
            .map(Zeroizing::new)
    }
}

/// Encrypts `plaintext`; returns ciphertext ‖ tag. One-off keys (a KEK, a sealed box's derived
/// key); data keys keep their [`Cipher`].
pub(super) fn seal(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    Cipher::new(key).seal(nonce, aad, plaintext)
}

/// Decrypts ciphertext ‖ tag; `None` on any authentication failure (no detail on purpose).
pub(super) fn open(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], aad: &[u8], ciphertext_and_tag: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    Cipher::new(key).open(nonce, aad, ciphertext_and_tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A published AES-256-GCM known-answer vector.
    struct Kat {
        name: &'static str,
        key: &'static str,
        iv: &'static str,
        aad: &'static str,
        pt: &'static str,
        ct: &'static str,
        tag: &'static str,
    }

    /// Source: D. McGrew and J. Viega, "The Galois/Counter Mode of Operation (GCM)", revised
    /// submission to NIST (2005), Appendix B, test cases 13 to 16 (the 256-bit-key cases); the
    /// same values appear in NIST's GCM validation examples.
    const MCGREW_VIEGA_AES256: &[Kat] = &[
        Kat {
            name: "test case 13",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            iv: "000000000000000000000000",
            aad: "",
            pt: "",
            ct: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b",
        },
        Kat {
            name: "test case 14",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            iv: "000000000000000000000000",
            aad: "",
            pt: "00000000000000000000000000000000",
            ct: "cea7403d4d606b6e074ec5d3baf39d18",
            tag: "d0d1c8a799996bf0265b98b5d48ab919",
        },
        Kat {
            name: "test case 15",
            key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            aad: "",
            pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                 1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            tag: "b094dac5d93471bdec1a502270e3cc6c",
        },
        Kat {
            name: "test case 16",
            key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            iv: "cafebabefacedbaddecaf888",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            pt: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                 1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            ct: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                 8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        },
    ];

    fn bytes(hex: &str) -> Vec<u8> {
        super::super::hex::decode(hex).expect("valid hex in the vector table")
    }

    fn fixed<const N: usize>(hex: &str) -> [u8; N] {
        <[u8; N]>::try_from(bytes(hex).as_slice()).expect("vector field has the right length")
    }

    #[test]
    fn published_aes_256_gcm_vectors_seal_and_open() {
        for kat in MCGREW_VIEGA_AES256 {
            let key = fixed::<KEY_LEN>(kat.key);
            let iv = fixed::<NONCE_LEN>(kat.iv);
            let (aad, pt) = (bytes(kat.aad), bytes(kat.pt));
            let mut expected = bytes(kat.ct);
            expected.extend_from_slice(&bytes(kat.tag));

            let sealed = seal(&key, &iv, &aad, &pt).expect("vector plaintext is small");
            assert_eq!(sealed, expected, "{}: ciphertext and tag", kat.name);

            let opened = open(&key, &iv, &aad, &expected).expect("the published tag verifies");
            assert_eq!(opened.as_slice(), pt.as_slice(), "{}: plaintext", kat.name);

            let mut forged = expected.clone();
            let last = forged.len() - 1;
            forged[last] ^= 1;
            assert!(
                open(&key, &iv, &aad, &forged).is_none(),
                "{}: forged tag",
                kat.name
            );
        }
    }
}
