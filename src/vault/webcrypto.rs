//! WebCrypto's PBKDF2: the PIN turned into the key that wraps the data key, in the browser's
//! native code (600,000 iterations take about 0.1 s there, several times that in Wasm).

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use satchel_core::vault::{self, KdfParams, KeyEncryptionKey};

use crate::error::SatchelError;

fn js_err(what: &str) -> impl Fn(JsValue) -> SatchelError + '_ {
    move |_| SatchelError::internal(format!("WebCrypto {what} failed"))
}

/// Derives the key-encryption key from the PIN with WebCrypto (`PBKDF2`, SHA-256).
pub async fn derive_kek(pin: &str, kdf: &KdfParams, salt: &[u8]) -> Result<KeyEncryptionKey, SatchelError> {
    let KdfParams::Pbkdf2Sha256 { iterations } = *kdf;
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &"crypto".into()).map_err(js_err("lookup"))?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).map_err(js_err("lookup"))?;
    if subtle.is_undefined() {
        return Err(SatchelError::internal("WebCrypto is not available (the page must be served over HTTPS or localhost)"));
    }
    let call = |name: &str, args: &js_sys::Array| -> Result<js_sys::Promise, SatchelError> {
        let f: js_sys::Function = Reflect::get(&subtle, &name.into()).map_err(js_err(name))?.dyn_into().map_err(js_err(name))?;
        f.apply(&subtle, args).map_err(js_err(name))?.dyn_into().map_err(js_err(name))
    };
    let pin_bytes = Uint8Array::from(pin.as_bytes());
    let usages = js_sys::Array::of1(&"deriveBits".into());
    let import = call("importKey", &js_sys::Array::of5(&"raw".into(), &pin_bytes, &"PBKDF2".into(), &false.into(), &usages));
    pin_bytes.fill(0, 0, pin_bytes.length());
    let base = JsFuture::from(import?).await.map_err(js_err("importKey"))?;
    let params = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&params, &k.into(), v).map_err(js_err("params"));
    set("name", &"PBKDF2".into())?;
    set("hash", &"SHA-256".into())?;
    set("salt", &Uint8Array::from(salt).into())?;
    set("iterations", &f64::from(iterations).into())?;
    let bits = JsFuture::from(call("deriveBits", &js_sys::Array::of3(&params, &base, &256.into()))?)
        .await
        .map_err(js_err("deriveBits"))?;
    let view = Uint8Array::new(&bits);
    let mut out = vault::Zeroizing::new([0u8; 32]);
    if view.length() != 32 {
        return Err(SatchelError::internal("PBKDF2 returned a key of the wrong length"));
    }
    view.copy_to(out.as_mut());
    view.fill(0, 0, 32);
    Ok(KeyEncryptionKey::from_bytes(*out))
}

