//! Argon2id in Wasm, for measuring the vault's PIN key derivation in Chromium
//! (`node tests/kdf-bench/run.mjs`). Not part of the product.
//!
//! One function is exported to JavaScript: [`argon2id`], which runs Argon2id (version 0x13)
//! with the given memory (KiB), passes and lanes on a fixed password and salt and returns the
//! 32-byte output. The native tests check the `argon2` crate against RFC 9106's Argon2id test
//! vector and check [`derive`] against `expected.json`; `run.mjs` checks the Wasm build against
//! the same file before it reports any timing.

use argon2::{Algorithm, Argon2, Params, Version};

/// The fixed password (a stand-in for a PIN or passphrase).
pub const PASSWORD: &[u8] = b"satchel-pin-1234";
/// The fixed 16-byte salt.
pub const SALT: &[u8; 16] = b"satchel/kdf/salt";
/// Output length: a 256-bit key-encryption key.
pub const OUT_LEN: usize = 32;

/// Argon2id(`PASSWORD`, `SALT`) with `m_kib` KiB, `t` passes and `p` lanes.
pub fn derive(m_kib: u32, t: u32, p: u32) -> Result<[u8; OUT_LEN], argon2::Error> {
    let params = Params::new(m_kib, t, p, Some(OUT_LEN))?;
    let mut out = [0u8; OUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(
        PASSWORD,
        SALT,
        &mut out,
    )?;
    Ok(out)
}

/// JavaScript: `argon2id(m_kib, t, p) -> Uint8Array` (32 bytes); throws on invalid parameters.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn argon2id(m_kib: u32, t: u32, p: u32) -> Result<Vec<u8>, wasm_bindgen::JsError> {
    derive(m_kib, t, p)
        .map(|out| out.to_vec())
        .map_err(|e| wasm_bindgen::JsError::new(&format!("argon2 parameters: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{AssociatedData, ParamsBuilder};

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 9106 §5.3, the Argon2id test vector: password 32 × 0x01, salt 16 × 0x02, secret
    /// 8 × 0x03, associated data 12 × 0x04, m = 32 KiB, t = 3, p = 4, 32-byte tag.
    #[test]
    fn argon2_crate_matches_rfc_9106_argon2id_vector() {
        let params = ParamsBuilder::new()
            .m_cost(32)
            .t_cost(3)
            .p_cost(4)
            .data(AssociatedData::new(&[0x04; 12]).expect("12 bytes of associated data"))
            .output_len(32)
            .build()
            .expect("valid parameters");
        let argon = Argon2::new_with_secret(&[0x03; 8], Algorithm::Argon2id, Version::V0x13, params)
            .expect("valid secret");
        let mut out = [0u8; 32];
        argon
            .hash_password_into(&[0x01; 32], &[0x02; 16], &mut out)
            .expect("hashing succeeds");
        assert_eq!(
            hex(&out),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"
        );
    }

    /// The bench's fixed inputs give the outputs recorded in expected.json (which run.mjs
    /// compares the Wasm build against). `SATCHEL_KDF_PRINT=1` prints them instead of failing,
    /// to regenerate the file.
    #[test]
    fn derive_matches_expected_json() {
        let text = include_str!("../expected.json");
        let print = std::env::var_os("SATCHEL_KDF_PRINT").is_some();
        let mut checked = 0;
        // A minimal reader for the file's fixed layout: one object per output line.
        for line in text.lines().filter(|l| l.contains("\"m_kib\"")) {
            let field = |name: &str| -> String {
                let start = line.find(&format!("\"{name}\":")).expect("field present")
                    + name.len()
                    + 3;
                line[start..]
                    .trim_start()
                    .split([',', '}'])
                    .next()
                    .expect("value")
                    .trim()
                    .trim_matches('"')
                    .to_string()
            };
            let (m, t, p) = (
                field("m_kib").parse().expect("m_kib"),
                field("t").parse().expect("t"),
                field("p").parse().expect("p"),
            );
            let got = hex(&derive(m, t, p).expect("valid parameters"));
            if print {
                println!("m_kib={m} t={t} p={p} hex={got}");
            } else {
                assert_eq!(got, field("hex"), "m_kib={m} t={t} p={p}");
            }
            checked += 1;
        }
        assert_eq!(checked, 3, "expected.json lists three parameter sets");
        assert!(text.contains(&format!("\"password\": \"{}\"", std::str::from_utf8(PASSWORD).unwrap())));
        assert!(text.contains(&format!("\"salt\": \"{}\"", std::str::from_utf8(SALT).unwrap())));
    }

    #[test]
    fn rejects_invalid_parameters() {
        assert!(derive(0, 1, 1).is_err());
        assert!(derive(8, 0, 1).is_err());
    }
}
