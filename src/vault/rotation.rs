//! Key rotation: a new data key becomes current at once, and a background job re-seals every
//! record under it, resumable across locks and reloads.

use std::rc::Rc;

use satchel_core::device::codec::KeyRing;
use satchel_core::device::records::{RetiredKey, VaultRecord};
use satchel_core::device::schema::StoreId;
use satchel_core::vault::{self, hex, DataKey, KeyUsage};

use super::{notify, open_retired};
use crate::error::SatchelError;
use crate::workspace::Inner;
use crate::BrowserRng;

/// Records re-encrypted per transaction during a key rotation.
const ROTATION_BATCH: usize = 200;

/// Starts (or resumes) a key rotation in the background.
pub(crate) fn spawn_rotation(inner: &Rc<Inner>) {
    if inner.vault.rotating.get() {
        return;
    }
    let inner = inner.clone();
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = rotate(&inner).await {
            web_sys::console::warn_1(&format!("key rotation paused: {}", e.code()).into());
        }
    });
}

/// Key rotation: a new data key (generation + 1) becomes current at once; the previous one is
/// kept sealed under it until a background job has re-encrypted every record, in batches of
/// [`ROTATION_BATCH`] per transaction, yielding to the page between batches. Locking pauses
/// it; the next unlock resumes it where it stopped (records say which key sealed them).
pub(crate) async fn rotate(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    if inner.vault.rotating.replace(true) {
        return Ok(());
    }
    notify(inner);
    let result = rotate_inner(inner).await;
    inner.vault.rotating.set(false);
    notify(inner);
    result
}

async fn rotate_inner(inner: &Rc<Inner>) -> Result<(), SatchelError> {
    let keys = inner.device.keys()?;
    let mut record = inner.device.vault_record().await?.ok_or(SatchelError::NotSignedIn)?;
    if record.retired.is_none() {
        let mut rng = BrowserRng;
        let old = &keys.ring.current;
        let new = DataKey::generate(&mut rng, old.key_id() + 1);
        let wrapped = {
            let kek = inner.vault.kek.borrow();
            let kek = kek.as_ref().ok_or(SatchelError::Locked)?;
            vault::wrap(&new, kek, &mut rng, record.wrapped.kdf, record.wrapped.salt)?
        };
        // The old key sealed under the new one: the first seal of the new generation.
        let mut usage = KeyUsage::new(new.key_id());
        let sealed = vault::seal_retired(old, &new, &mut usage, &mut rng)?;
        let retired = RetiredKey { key_id: old.key_id(), sealed: hex::encode(&sealed.to_bytes()) };
        let reopened = open_retired(&retired, &new)?;
        record = VaultRecord { wrapped, retired: Some(retired) };
        inner.device.save_vault(&record).await?;
        inner.device.replace_keys(keys.with_ring(KeyRing { current: Rc::new(new), retired: Some(Rc::new(reopened)) })?);
    }
    // Passes over every store under the data key until one pass finds nothing left under the
    // old key (a commit in flight during a pass may still have used it).
    loop {
        let mut moved = 0;
        for store in StoreId::all().filter(|s| s.under_data_key()) {
            loop {
                let n = inner.device.reencrypt_batch(store, ROTATION_BATCH, &mut BrowserRng).await?;
                moved += n;
                if n < ROTATION_BATCH {
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(0).await;
            }
        }
        if moved == 0 {
            break;
        }
    }
    let keys = inner.device.keys()?;
    record.retired = None;
    inner.device.save_vault(&record).await?;
    inner.device.replace_keys(keys.with_ring(KeyRing { current: keys.ring.current.clone(), retired: None })?);
    Ok(())
}

